//! The registry of capability implementations: what a plugin registered (kind, types, schema,
//! factory), what the factories built, and how both turn into routes.
//!
//! Nothing here is written per capability: a capability is its [`Capability`] description in
//! `ocm-plugin-endpoints` (trait object, route table, operations), and every operation is served
//! by the one generic handler of [`operation`]. The `/identity` route is shared by every
//! capability that has one: [`Served`] collects one identity entry per registered type, in
//! registration order, and the router merges them into one handler that dispatches on the
//! declared type of the body.

pub(crate) mod dispatch;
pub(crate) mod identity;
pub(crate) mod operation;

use std::{any::Any, fmt, sync::Arc};

use axum::routing::MethodRouter;
use ocm_plugin_contracts::{
    BoxError,
    identity::{GetIdentityRequest, GetIdentityResponse},
};
use ocm_plugin_endpoints::{Capability, Operation, Route, SchemaValidator, Visit};
use ocm_plugin_types::{CapabilityKind, JsonSchema, Type};

use crate::PluginContext;

use self::{
    dispatch::TypeDispatch,
    identity::{Entry, IdentityProvider, ViaOperation},
};

/// Puts what a factory built into [`Served`], under its type and aliases, with the compiled
/// schema of the type.
pub(crate) type Installer = Box<dyn FnOnce(&mut Served, Type, &[Type], SchemaValidator) + Send>;

/// Builds an implementation once the configuration is known: at once, or (an async factory)
/// when its future completes.
pub(crate) type Factory = Box<dyn FnOnce(&PluginContext) -> Building + Send>;

/// What a factory gives back.
pub(crate) enum Building {
    /// Built already (or failed).
    Ready(Result<Installer, BoxError>),
    /// An async factory's work, awaited when the plugin starts serving.
    Pending(
        std::pin::Pin<Box<dyn std::future::Future<Output = Result<Installer, BoxError>> + Send>>,
    ),
}

/// One registration of one capability.
pub(crate) struct Registration {
    pub(crate) kind: CapabilityKind,
    /// The type requests are dispatched by (for a credential repository: the config type).
    pub(crate) typ: Type,
    /// Other names of `typ`, dispatched to the same implementation.
    pub(crate) aliases: Vec<Type>,
    /// The schema of `typ` in the capabilities document.
    pub(crate) schema: JsonSchema,
    /// Credential repositories only: the consumer identity type.
    pub(crate) consumer_identity_type: Option<Type>,
    pub(crate) factory: Factory,
}

impl fmt::Debug for Registration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registration")
            .field("kind", &self.kind)
            .field("typ", &self.typ)
            .field("aliases", &self.aliases)
            .field("consumer_identity_type", &self.consumer_identity_type)
            .finish_non_exhaustive()
    }
}

/// A factory for capability `C` from one that builds its trait object.
pub(crate) fn factory<C: Capability>(
    build: impl FnOnce(&PluginContext) -> Result<Arc<C::Handle>, BoxError> + Send + 'static,
) -> Factory {
    Box::new(move |ctx| Building::Ready(build(ctx).map(installer::<C>)))
}

/// A factory for capability `C` from an async one.
pub(crate) fn async_factory<C: Capability, Fut>(
    build: impl FnOnce(PluginContext) -> Fut + Send + 'static,
) -> Factory
where
    Fut: std::future::Future<Output = Result<Arc<C::Handle>, BoxError>> + Send + 'static,
{
    Box::new(move |ctx| {
        let future = build(ctx.clone());
        Building::Pending(Box::pin(async move { future.await.map(installer::<C>) }))
    })
}

/// Puts `handle` into [`Served`] as capability `C`.
fn installer<C: Capability>(handle: Arc<C::Handle>) -> Installer {
    Box::new(
        move |served: &mut Served, typ: Type, aliases: &[Type], schema: SchemaValidator| {
            served.add::<C>(typ, aliases, handle, schema);
        },
    )
}

/// Something to put into the router.
pub(crate) enum Mount {
    /// A route served by exactly one capability.
    Operation(&'static Route, MethodRouter),
    /// An identity route; all entries with the same path share one handler, and the first
    /// entry of a type answers.
    Identity(&'static Route, Entry),
}

/// The implementations of one capability, whatever it is.
trait Implementations: Send {
    fn as_any(&mut self) -> &mut dyn Any;
    /// `check_answers`: whether answers are checked against the rules managers rely on.
    fn into_mounts(self: Box<Self>, check_answers: bool) -> Vec<Mount>;
}

/// An implementation and the compiled schema of the type it was registered for: specs are
/// checked against it before the implementation sees them.
pub(crate) struct Implementation<H: ?Sized> {
    pub(crate) handle: Arc<H>,
    pub(crate) schema: SchemaValidator,
}

/// The implementations of capability `C`, by the type they serve.
struct Impls<C: Capability>(TypeDispatch<Implementation<C::Handle>>);

impl<C: Capability> Implementations for Impls<C> {
    fn as_any(&mut self) -> &mut dyn Any {
        self
    }

    fn into_mounts(self: Box<Self>, check_answers: bool) -> Vec<Mount> {
        /// Mounts every ordinary operation; identities are collected per type instead.
        struct Mounter<H: ?Sized + Send + Sync + 'static> {
            dispatch: Arc<TypeDispatch<Implementation<H>>>,
            mounts: Vec<Mount>,
            check_answers: bool,
        }
        impl<H: ?Sized + Send + Sync + 'static> Visit<H> for Mounter<H> {
            fn operation<Op: Operation<Handle = H>>(&mut self) {
                self.mounts.push(operation::mount::<Op>(
                    Arc::clone(&self.dispatch),
                    self.check_answers,
                ));
            }
            fn identity<Op>(&mut self)
            where
                Op: Operation<
                        Handle = H,
                        Request = GetIdentityRequest,
                        Response = GetIdentityResponse,
                    >,
            {
            }
        }
        let mut mounter = Mounter {
            dispatch: Arc::new(self.0),
            mounts: Vec::new(),
            check_answers,
        };
        C::operations(&mut mounter);
        mounter.mounts
    }
}

/// Everything the factories built, by capability, and the identity entries in registration
/// order.
pub(crate) struct Served {
    capabilities: Vec<Box<dyn Implementations>>,
    identities: Vec<Mount>,
    /// Check every answer against the rules managers rely on (debug builds, `TestClient`).
    check_answers: bool,
}

impl Served {
    pub(crate) fn new(check_answers: bool) -> Self {
        Self {
            capabilities: Vec::new(),
            identities: Vec::new(),
            check_answers,
        }
    }

    /// Adds an implementation of `C` for `typ` and its `aliases`.
    fn add<C: Capability>(
        &mut self,
        typ: Type,
        aliases: &[Type],
        handle: Arc<C::Handle>,
        schema: SchemaValidator,
    ) {
        let existing = self
            .capabilities
            .iter_mut()
            .position(|c| c.as_any().is::<Impls<C>>());
        let at = existing.unwrap_or_else(|| {
            self.capabilities
                .push(Box::new(Impls::<C>(TypeDispatch::new(C::WHAT, C::SPEC))));
            self.capabilities.len() - 1
        });
        if let Some(impls) = self.capabilities[at].as_any().downcast_mut::<Impls<C>>() {
            impls.0.insert(
                typ.clone(),
                Implementation {
                    handle: Arc::clone(&handle),
                    schema,
                },
            );
            for alias in aliases {
                impls.0.alias(alias.clone(), typ.clone());
            }
        }
        if let Some((route, provider)) = identity_of::<C>(handle) {
            for typ in aliases.iter().cloned().chain([typ]) {
                self.identities.push(Mount::Identity(
                    route,
                    Entry {
                        kind: C::KIND,
                        typ,
                        provider: Arc::clone(&provider),
                    },
                ));
            }
        }
    }

    /// The mounts of every capability that has an implementation: operation routes first, then
    /// the identity entries in registration order.
    pub(crate) fn into_mounts(self) -> Vec<Mount> {
        let check_answers = self.check_answers;
        let mut mounts: Vec<Mount> = self
            .capabilities
            .into_iter()
            .flat_map(|c| c.into_mounts(check_answers))
            .collect();
        mounts.extend(self.identities);
        mounts
    }
}

/// The identity route of capability `C` and the provider answering it for `handle`, if `C` has
/// one.
fn identity_of<C: Capability>(
    handle: Arc<C::Handle>,
) -> Option<(&'static Route, Arc<dyn IdentityProvider>)> {
    struct Finder<H: ?Sized + Send + Sync + 'static> {
        handle: Arc<H>,
        found: Option<(&'static Route, Arc<dyn IdentityProvider>)>,
    }
    impl<H: ?Sized + Send + Sync + 'static> Visit<H> for Finder<H> {
        fn operation<Op: Operation<Handle = H>>(&mut self) {}
        fn identity<Op>(&mut self)
        where
            Op: Operation<Handle = H, Request = GetIdentityRequest, Response = GetIdentityResponse>,
        {
            let provider = ViaOperation::<Op>::new(Arc::clone(&self.handle));
            self.found = Some((Op::ROUTE, Arc::new(provider)));
        }
    }
    let mut finder = Finder {
        handle,
        found: None,
    };
    C::operations(&mut finder);
    finder.found
}
