//! The registry shape shared by every capability keyed by one spec type: type -> in-process
//! implementation or external plugin, handed out as `Arc<dyn Trait>`.

use std::{collections::HashMap, fmt, marker::PhantomData, sync::Arc};

use ocm_plugin_runtime::{SchemaValidator, Supervisor};
use ocm_plugin_types::{CapabilityKind, Raw, Type};

use crate::{
    ExternalPlugin, Pending, Result,
    type_map::{Provider, TypeMap},
};

/// What a capability plugs into [`Registry`]: its trait object and its remote client.
pub trait Capability: 'static {
    /// The contract trait object, e.g. `dyn DigestProcessor`.
    type Handle: ?Sized + Send + Sync + 'static;
    /// The wire key, e.g. `digestProcessorRepository`.
    const KEY: &'static str;
    /// The capability kind.
    const KIND: CapabilityKind;
    /// The remote client for `plugin`, bound to `spec`.
    fn remote(plugin: ExternalPlugin, spec: Raw) -> Arc<Self::Handle>;
}

/// Spec type -> implementation of capability `C`.
pub struct Registry<C: Capability> {
    types: TypeMap<C::Handle>,
    capability: PhantomData<C>,
}

impl<C: Capability> fmt::Debug for Registry<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registry")
            .field("capability", &C::KEY)
            .field("types", &self.types.list())
            .finish()
    }
}

impl<C: Capability> Default for Registry<C> {
    fn default() -> Self {
        Self::new()
    }
}

impl<C: Capability> Registry<C> {
    /// The capability this registry serves.
    pub const KIND: CapabilityKind = C::KIND;

    /// An empty registry.
    pub fn new() -> Self {
        Self::with_pending(Pending::default())
    }

    /// An empty registry whose look-ups of a type nobody serves yet wait while `pending`
    /// registrations run (a manager probing plugins in the background).
    pub fn with_pending(pending: Pending) -> Self {
        Self {
            types: TypeMap::new(C::KEY).with_pending(pending),
            capability: PhantomData,
        }
    }

    /// Registers an in-process implementation. It wins over any external plugin for `typ`.
    pub fn register_internal(&self, typ: Type, implementation: Arc<C::Handle>) -> Result<()> {
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
        supervisor: Arc<Supervisor>,
        schemas: HashMap<Type, Option<SchemaValidator>>,
    ) -> Result<()> {
        self.register_external(&ExternalPlugin::new(supervisor, schemas))
    }

    /// The implementation for `spec`, chosen by the spec's type. For an external plugin this
    /// validates `spec` against the schema the plugin declared for that type and starts the
    /// plugin if it is not running.
    pub async fn get(&self, spec: &Raw) -> Result<Arc<C::Handle>> {
        self.types
            .get(spec, |plugin| C::remote(plugin, spec.clone()))
            .await
    }

    /// Remembers that plugin `plugin_id` declared `typ` for this capability but was rejected,
    /// and `why`: a later look-up of `typ` names it in its error.
    pub fn note_rejected(&self, typ: Type, plugin_id: &str, why: &str) {
        self.types.note_rejected(typ, plugin_id, why);
    }

    /// Every registered type and who serves it.
    pub fn list(&self) -> Vec<(Type, Provider)> {
        self.types.list()
    }
}
