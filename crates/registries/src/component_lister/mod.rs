//! Registry of component listers (`componentLister`, plugin module v0.0.8+): repository spec
//! type -> lister of that repository's component names.

use std::sync::Arc;

use ocm_plugin_contracts::component_lister::v1::ComponentLister;
use ocm_plugin_types::{CapabilityKind, Raw};

/// A component lister served by an external plugin, bound to the repository spec it was looked
/// up with.
pub type RemoteComponentLister = ocm_plugin_endpoints::Client<crate::Remote<ComponentListers>>;

pub use crate::type_map::Provider;
use crate::{ExternalPlugin, registry::Capability};

/// The `componentLister` capability, as [`Registry`] needs it.
#[derive(Debug)]
pub struct ComponentListers;

impl Capability for ComponentListers {
    type Handle = dyn ComponentLister;
    const KEY: &'static str = "componentLister";
    const KIND: CapabilityKind = CapabilityKind::ComponentLister;
    fn remote(plugin: ExternalPlugin, spec: Raw) -> Arc<Self::Handle> {
        Arc::new(crate::Remote::<Self>::client(plugin, Some(spec)))
    }
}

/// Repository spec type -> [`ComponentLister`]: in-process implementations first, then external
/// plugins.
pub type Registry = crate::registry::Registry<ComponentListers>;
