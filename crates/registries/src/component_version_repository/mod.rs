//! Registry of component version repositories (`componentVersionRepository`).

#[cfg(test)]
mod tests;

use std::sync::Arc;

use ocm_plugin_contracts::component_version_repository::v1::ComponentVersionRepository;
use ocm_plugin_types::{CapabilityKind, Raw};

/// A component version repository served by an external plugin, bound to one repository spec.
///
/// GET requests also carry the spec as the base64-JSON query parameter `repository`, so our
/// plugins know which repository a read targets; Go plugins ignore it.
pub type RemoteRepository =
    ocm_plugin_endpoints::Client<crate::Remote<ComponentVersionRepositories>>;

pub use crate::type_map::Provider;
use crate::{ExternalPlugin, registry::Capability};

const CAPABILITY: &str = "componentVersionRepository";

/// The `componentVersionRepository` capability, as [`Registry`] needs it.
#[derive(Debug)]
pub struct ComponentVersionRepositories;

impl Capability for ComponentVersionRepositories {
    type Handle = dyn ComponentVersionRepository;
    const KEY: &'static str = CAPABILITY;
    const KIND: CapabilityKind = CapabilityKind::ComponentVersionRepository;
    fn remote(plugin: ExternalPlugin, spec: Raw) -> Arc<Self::Handle> {
        Arc::new(crate::Remote::<Self>::client(plugin, Some(spec)))
    }
}

/// Spec type -> [`ComponentVersionRepository`]: in-process implementations first, then
/// external plugins.
pub type Registry = crate::registry::Registry<ComponentVersionRepositories>;
