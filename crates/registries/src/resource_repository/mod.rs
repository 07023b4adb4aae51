//! Registry of resource repositories (`resourceRepository`, spec §5.5): access type ->
//! resource repository (download and upload of global resources).
//!
//! The key is the type of a resource's `access`.

mod remote;
#[cfg(test)]
mod tests;

use std::{collections::HashMap, sync::Arc};

use ocm_plugin_contracts::resource_repository::v1::ResourceRepository;
use ocm_plugin_runtime::SchemaValidator;
use ocm_plugin_types::{CapabilityKind, Raw, Type};

pub use remote::RemoteResourceRepository;

pub use crate::type_map::Provider;
use crate::{ExternalPlugin, Result, type_map::TypeMap};

const CAPABILITY: &str = "resourceRepository";

/// Access type -> resource repository.
pub struct Registry {
    types: TypeMap<dyn ResourceRepository>,
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
    pub const KIND: CapabilityKind = CapabilityKind::ResourceRepository;

    /// An empty registry.
    pub fn new() -> Self {
        Self {
            types: TypeMap::new(CAPABILITY),
        }
    }

    /// Registers an in-process implementation. It wins over any external plugin for `typ`.
    pub fn register_internal(
        &self,
        typ: Type,
        implementation: Arc<dyn ResourceRepository>,
    ) -> Result<()> {
        self.types.register_internal(typ, implementation)
    }

    /// Registers an external plugin for all its access types; fails without registering
    /// anything if another plugin already serves one of them.
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

    /// The resource repository for an access spec. For an external plugin this validates
    /// `spec` against the schema the plugin declared for its type and starts the plugin if it
    /// is not running.
    pub async fn get(&self, spec: &Raw) -> Result<Arc<dyn ResourceRepository>> {
        self.types
            .get(spec, |plugin| {
                Arc::new(RemoteResourceRepository::new(plugin, spec.clone()))
            })
            .await
    }

    /// Every registered type and who serves it.
    pub fn list(&self) -> Vec<(Type, Provider)> {
        self.types.list()
    }
}
