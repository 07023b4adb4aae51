//! [`Registration`]: one capability for one spec type, as [`Plugin::register`] takes it.
//!
//! [`Plugin::register`]: crate::Plugin::register

use std::{fmt, future::Future, sync::Arc};

use ocm_plugin_contracts::BoxError;
use ocm_plugin_endpoints::Capability;
use ocm_plugin_types::{CapabilityKind, JsonSchema, Type};

use crate::{
    PluginContext, TypedSpec,
    capability::{self, Factory},
};

/// One capability for one spec type: what it serves, the type and schema it declares, its
/// aliases, and the factory that builds the implementation when the plugin starts serving.
///
/// Made by the functions of the capability's module (for instance [`input::typed`] or
/// [`input::untyped`]) and handed to [`Plugin::register`](crate::Plugin::register). A typed
/// registration whose spec type cannot be declared (its schema refuses its own `type`, its
/// `TYPE` does not parse) is kept with its reason: the plugin then refuses to start with it,
/// and the aliases given to it go nowhere else.
///
/// [`input::typed`]: crate::input::typed
/// [`input::untyped`]: crate::input::untyped
pub struct Registration {
    pub(crate) kind: CapabilityKind,
    pub(crate) declared: Declared,
    pub(crate) aliases: Vec<Type>,
    pub(crate) consumer_identity_type: Option<Type>,
    pub(crate) factory: Factory,
}

/// The declared type and schema, or why a typed spec could not be declared.
pub(crate) enum Declared {
    Type { typ: Type, schema: JsonSchema },
    Failed { spec: &'static str, reason: String },
}

impl fmt::Debug for Registration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("Registration");
        s.field("kind", &self.kind);
        match &self.declared {
            Declared::Type { typ, .. } => s.field("type", typ),
            Declared::Failed { spec, reason } => s.field("failed", &(spec, reason)),
        };
        s.field("aliases", &self.aliases)
            .field("consumer_identity_type", &self.consumer_identity_type)
            .finish_non_exhaustive()
    }
}

impl Registration {
    /// Other names of the type: managers that read aliases (ours, and the v0.0.11+ document)
    /// find the implementation under each of them, and requests whose spec carries an alias are
    /// dispatched to it. In the v0.0.1 half of the document each alias is an entry of its own
    /// after the type, so v0.0.1 managers find component version repositories by alias too.
    /// A typed spec can declare its aliases itself ([`TypedSpec::ALIASES`]); these add to them.
    ///
    /// ```
    /// use ocm_plugin_sdk::{Plugin, component_version_repository, types::JsonSchema};
    /// # struct Repo;
    /// # impl ocm_plugin_sdk::contracts::component_version_repository::v1::ComponentVersionRepository for Repo {}
    /// let plugin = Plugin::new("oci").register(
    ///     component_version_repository::untyped("OCIRepository/v1".parse()?, JsonSchema::permissive(), |_| Ok(Repo))
    ///         .aliases(["OCIRepository".parse()?, "OCI/v1".parse()?]),
    /// );
    /// assert!(plugin.capabilities_json().contains(r#""aliases":["OCIRepository","OCI/v1"]"#));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn aliases(mut self, aliases: impl IntoIterator<Item = Type>) -> Self {
        self.aliases.extend(aliases);
        self
    }

    /// The capability registered.
    pub fn kind(&self) -> &CapabilityKind {
        &self.kind
    }

    /// The declared type; `None` when a typed spec could not be declared.
    pub fn type_(&self) -> Option<&Type> {
        match &self.declared {
            Declared::Type { typ, .. } => Some(typ),
            Declared::Failed { .. } => None,
        }
    }

    /// Capability `C` for `typ` with `schema`, built by `factory`.
    pub(crate) fn untyped<C: Capability>(
        typ: Type,
        schema: JsonSchema,
        consumer_identity_type: Option<Type>,
        factory: Factory,
    ) -> Self {
        Self {
            kind: C::KIND,
            declared: Declared::Type { typ, schema },
            aliases: Vec::new(),
            consumer_identity_type,
            factory,
        }
    }

    /// Capability `C` for typed spec `S`, with its derived schema and declared aliases.
    pub(crate) fn typed<C: Capability, S: TypedSpec>(
        consumer_identity_type: Option<Type>,
        factory: Factory,
    ) -> Self {
        let declared = match S::declaration().and_then(|d| Ok((d, S::declared_aliases()?))) {
            Ok(((typ, schema), aliases)) => {
                return Self {
                    kind: C::KIND,
                    declared: Declared::Type { typ, schema },
                    aliases,
                    consumer_identity_type,
                    factory,
                };
            }
            Err(crate::Error::TypedSpec { spec, reason }) => Declared::Failed { spec, reason },
            Err(other) => Declared::Failed {
                spec: S::TYPE,
                reason: other.to_string(),
            },
        };
        Self {
            kind: C::KIND,
            declared,
            aliases: Vec::new(),
            consumer_identity_type,
            factory,
        }
    }
}

/// A factory of `C`'s trait object from one of an implementation.
pub(crate) fn sync<C, R, F>(factory: F, wrap: fn(R) -> Arc<C::Handle>) -> Factory
where
    C: Capability,
    R: 'static,
    F: FnOnce(&PluginContext) -> Result<R, BoxError> + Send + 'static,
{
    capability::factory::<C>(move |ctx| factory(ctx).map(wrap))
}

/// A factory of `C`'s trait object from an async one of an implementation.
pub(crate) fn asynchronous<C, R, F, Fut>(factory: F, wrap: fn(R) -> Arc<C::Handle>) -> Factory
where
    C: Capability,
    R: Send + 'static,
    F: FnOnce(PluginContext) -> Fut + Send + 'static,
    Fut: Future<Output = Result<R, BoxError>> + Send + 'static,
{
    capability::async_factory::<C, _>(move |ctx| {
        let future = factory(ctx);
        async move { future.await.map(wrap) }
    })
}
