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
    Failed(Failure),
}

/// Why a registration cannot be declared; `Plugin::register` keeps it and `run` reports it.
#[derive(Debug, Clone)]
pub(crate) enum Failure {
    /// A typed spec whose declaration failed.
    Typed { spec: &'static str, reason: String },
    /// A type given as text that is not one.
    Type { what: String, reason: String },
}

impl Failure {
    pub(crate) fn to_error(&self) -> crate::Error {
        match self.clone() {
            Self::Typed { spec, reason } => crate::Error::TypedSpec { spec, reason },
            Self::Type { what, reason } => crate::Error::InvalidType { what, reason },
        }
    }
}

/// `typ` as a [`Type`], or the failure naming `what` it is.
pub(crate) fn parse_type<T>(typ: T, what: impl FnOnce() -> String) -> Result<Type, Failure>
where
    T: TryInto<Type, Error: fmt::Display>,
{
    typ.try_into().map_err(|e| Failure::Type {
        what: what(),
        reason: e.to_string(),
    })
}

impl fmt::Debug for Registration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("Registration");
        s.field("kind", &self.kind);
        match &self.declared {
            Declared::Type { typ, .. } => s.field("type", typ),
            Declared::Failed(failure) => s.field("failed", failure),
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
    ///     component_version_repository::untyped("OCIRepository/v1", JsonSchema::permissive(), |_| Ok(Repo))
    ///         .aliases(["OCIRepository", "OCI/v1"]),
    /// );
    /// assert!(plugin.capabilities_json().contains(r#""aliases":["OCIRepository","OCI/v1"]"#));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// Each alias is a [`Type`] or its text (`"OCI/v1"`); one that is not a type makes the
    /// plugin refuse to start, naming it, with the registration.
    #[must_use]
    pub fn aliases<T>(mut self, aliases: impl IntoIterator<Item = T>) -> Self
    where
        T: TryInto<Type, Error: fmt::Display>,
    {
        for alias in aliases {
            let of = match &self.declared {
                Declared::Type { typ, .. } => typ.to_string(),
                Declared::Failed(_) => return self,
            };
            match parse_type(alias, || format!("an alias of {} type {of}", self.kind)) {
                Ok(alias) => self.aliases.push(alias),
                Err(failure) => self.declared = Declared::Failed(failure),
            }
        }
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
            Declared::Failed(_) => None,
        }
    }

    /// Capability `C` for `typ` with `schema`, built by `factory`.
    pub(crate) fn untyped<C: Capability>(
        typ: Result<Type, Failure>,
        schema: JsonSchema,
        consumer_identity_type: Option<Result<Type, Failure>>,
        factory: Factory,
    ) -> Self {
        let declared = match (typ, consumer_identity_type.transpose()) {
            (Ok(typ), Ok(consumer)) => {
                return Self {
                    kind: C::KIND,
                    declared: Declared::Type { typ, schema },
                    aliases: Vec::new(),
                    consumer_identity_type: consumer,
                    factory,
                };
            }
            (Err(failure), _) | (_, Err(failure)) => Declared::Failed(failure),
        };
        Self {
            kind: C::KIND,
            declared,
            aliases: Vec::new(),
            consumer_identity_type: None,
            factory,
        }
    }

    /// Capability `C` for typed spec `S`, with its derived schema and declared aliases.
    pub(crate) fn typed<C: Capability, S: TypedSpec>(
        consumer_identity_type: Option<Result<Type, Failure>>,
        factory: Factory,
    ) -> Self {
        let consumer = consumer_identity_type.transpose();
        let declared = match (
            S::declaration().and_then(|d| Ok((d, S::declared_aliases()?))),
            consumer,
        ) {
            (Ok(((typ, schema), aliases)), Ok(consumer_identity_type)) => {
                return Self {
                    kind: C::KIND,
                    declared: Declared::Type { typ, schema },
                    aliases,
                    consumer_identity_type,
                    factory,
                };
            }
            (Err(crate::Error::TypedSpec { spec, reason }), _) => {
                Declared::Failed(Failure::Typed { spec, reason })
            }
            (Err(other), _) => Declared::Failed(Failure::Typed {
                spec: S::TYPE,
                reason: other.to_string(),
            }),
            (Ok(_), Err(failure)) => Declared::Failed(failure),
        };
        Self {
            kind: C::KIND,
            declared,
            aliases: Vec::new(),
            consumer_identity_type: None,
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
