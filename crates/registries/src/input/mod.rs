//! Registry of input methods (`inputRepository`, spec §5.3): constructor input type -> input
//! method.
//!
//! The key is the type of a constructor resource's or source's `input` (for a v0.0.1
//! constructor, its `access`: see
//! [`ConstructorResource::spec`](ocm_plugin_contracts::input::v1::ConstructorResource::spec)).
//! Requests are sent in the constructor shape, with `input` (spec §10.6); v0.0.1 plugins decode
//! it leniently.

mod remote;
#[cfg(test)]
mod tests;

use std::{collections::HashMap, sync::Arc};

use ocm_plugin_contracts::input::v1::InputMethod;
use ocm_plugin_runtime::SchemaValidator;
use ocm_plugin_types::{CapabilityKind, Raw, Type};

pub use remote::RemoteInputMethod;

pub use crate::type_map::Provider;
use crate::{ExternalPlugin, Result, type_map::TypeMap};

const CAPABILITY: &str = "inputRepository";

/// Input type -> input method.
pub struct Registry {
    types: TypeMap<dyn InputMethod>,
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
    pub const KIND: CapabilityKind = CapabilityKind::InputRepository;

    /// An empty registry.
    pub fn new() -> Self {
        Self {
            types: TypeMap::new(CAPABILITY),
        }
    }

    /// Registers an in-process implementation. It wins over any external plugin for `typ`.
    pub fn register_internal(&self, typ: Type, implementation: Arc<dyn InputMethod>) -> Result<()> {
        self.types.register_internal(typ, implementation)
    }

    /// Registers an external plugin for all its input types; fails without registering
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

    /// The input method for an input spec (`resource.input`, or `access` for a v0.0.1
    /// constructor). For an external plugin this validates `spec` against the schema the
    /// plugin declared for its type and starts the plugin if it is not running.
    pub async fn get(&self, spec: &Raw) -> Result<Arc<dyn InputMethod>> {
        self.types
            .get(spec, |plugin| {
                Arc::new(RemoteInputMethod::new(plugin, spec.clone()))
            })
            .await
    }

    /// Every registered type and who serves it.
    pub fn list(&self) -> Vec<(Type, Provider)> {
        self.types.list()
    }
}
