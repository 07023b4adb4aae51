//! The registry of capability implementations: what a plugin registered (kind, type, schema,
//! factory), what the factories built, and how both turn into routes.
//!
//! Each capability module turns its built implementations into [`Mount`]s. Operation routes
//! belong to one capability; `/identity`-style routes are shared by several capabilities and are
//! merged into one handler that dispatches on the declared type of the body.

pub(crate) mod component_version_repository;
pub(crate) mod dispatch;
pub(crate) mod identity;

use std::{fmt, sync::Arc};

use axum::routing::MethodRouter;
use ocm_plugin_contracts::BoxError;
use ocm_plugin_endpoints::Route;
use ocm_plugin_types::{CapabilityKind, JsonSchema, Type};

use crate::PluginContext;

/// An implementation a factory produced, by capability.
pub(crate) enum Built {
    /// A component version repository.
    ComponentVersionRepository(
        Arc<dyn ocm_plugin_contracts::component_version_repository::v1::Repository>,
    ),
}

/// Builds an implementation once the configuration is known.
pub(crate) type Factory = Box<dyn FnOnce(&PluginContext) -> Result<Built, BoxError> + Send>;

/// One registered type of one capability.
pub(crate) struct Registration {
    pub(crate) kind: CapabilityKind,
    pub(crate) typ: Type,
    pub(crate) schema: JsonSchema,
    pub(crate) factory: Factory,
}

impl fmt::Debug for Registration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registration")
            .field("kind", &self.kind)
            .field("typ", &self.typ)
            .field("schema", &self.schema)
            .finish_non_exhaustive()
    }
}

/// Something to put into the router.
pub(crate) enum Mount {
    /// A route served by exactly one capability.
    Operation(&'static Route, MethodRouter),
    /// An identity route; all entries with the same path share one handler.
    Identity(&'static Route, identity::Entry),
}
