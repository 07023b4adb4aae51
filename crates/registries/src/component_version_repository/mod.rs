//! Registry of component version repositories (`componentVersionRepository`).

mod remote;
#[cfg(test)]
mod tests;

use std::{collections::HashMap, sync::Arc};

use ocm_plugin_contracts::component_version_repository::v1::Repository;
use ocm_plugin_runtime::SchemaValidator;
use ocm_plugin_types::{CapabilityKind, Raw, Type};

pub use remote::RemoteRepository;

pub use crate::type_map::Provider;
use crate::{ExternalPlugin, Result, type_map::TypeMap};

const CAPABILITY: &str = "componentVersionRepository";

/// Type -> component version repository.
pub struct Registry {
    types: TypeMap<dyn Repository>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry")
            .field("capability", &CAPABILITY)
            .field("types", &self.types.list())
            .finish()
    }
}

impl Default for Registry {
    fn default() -> Self {
        Self::new()
    }
}

impl Registry {
    /// The capability this registry serves.
    pub const KIND: CapabilityKind = CapabilityKind::ComponentVersionRepository;

    /// An empty registry.
    pub fn new() -> Self {
        Self {
            types: TypeMap::new(CAPABILITY),
        }
    }

    /// Registers an in-process implementation. It wins over any external plugin for `typ`.
    pub fn register_internal(&self, typ: Type, implementation: Arc<dyn Repository>) -> Result<()> {
        self.types.register_internal(typ, implementation)
    }

    /// Registers an external plugin for all its types; fails without registering anything if
    /// another plugin already serves one of them.
    pub fn register_external(&self, plugin: &ExternalPlugin) -> Result<()> {
        self.types.register_external(plugin)
    }

    /// Convenience for [`ExternalPlugin::new`] + [`register_external`](Self::register_external).
    pub fn register_plugin(
        &self,
        supervisor: Arc<ocm_plugin_runtime::Supervisor>,
        schemas: HashMap<Type, Option<SchemaValidator>>,
    ) -> Result<()> {
        self.register_external(&ExternalPlugin::new(supervisor, schemas))
    }

    /// The repository for `spec`. For an external plugin this starts it if it is not running and
    /// validates `spec` against the schema the plugin declared for the spec's type.
    pub async fn get(&self, spec: &Raw) -> Result<Arc<dyn Repository>> {
        self.types
            .get(spec, |plugin| {
                Arc::new(RemoteRepository::new(plugin, spec.clone()))
            })
            .await
    }

    /// Every registered type and who serves it.
    pub fn list(&self) -> Vec<(Type, Provider)> {
        self.types.list()
    }
}
