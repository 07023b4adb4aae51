//! Registry of blob transformers (`blobTransformer`, spec §5.6): transformer spec type -> blob
//! transformer.

mod remote;
#[cfg(test)]
mod tests;

use std::{collections::HashMap, sync::Arc};

use ocm_plugin_contracts::blob_transformer::v1::BlobTransformer;
use ocm_plugin_runtime::SchemaValidator;
use ocm_plugin_types::{CapabilityKind, Raw, Type};

pub use remote::RemoteBlobTransformer;

pub use crate::type_map::Provider;
use crate::{ExternalPlugin, Result, type_map::TypeMap};

const CAPABILITY: &str = "blobTransformer";

/// Transformer spec type -> blob transformer.
pub struct Registry {
    types: TypeMap<dyn BlobTransformer>,
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
    pub const KIND: CapabilityKind = CapabilityKind::BlobTransformer;

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
        implementation: Arc<dyn BlobTransformer>,
    ) -> Result<()> {
        self.types.register_internal(typ, implementation)
    }

    /// Registers an external plugin for all its transformer spec types; fails without registering
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

    /// The blob transformer for a transformer spec. For an external plugin this validates
    /// `spec` against the schema the plugin declared for its type and starts the plugin if it
    /// is not running.
    pub async fn get(&self, spec: &Raw) -> Result<Arc<dyn BlobTransformer>> {
        self.types
            .get(spec, |plugin| {
                Arc::new(RemoteBlobTransformer::new(plugin, spec.clone()))
            })
            .await
    }

    /// Every registered type and who serves it.
    pub fn list(&self) -> Vec<(Type, Provider)> {
        self.types.list()
    }
}
