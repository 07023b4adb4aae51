//! Registry of resource repositories (`resourceRepository`, spec §5.5): access type ->
//! resource repository (download and upload of global resources).
//!
//! The key is the type of a resource's `access`.

#[cfg(test)]
mod tests;

use std::sync::Arc;

use ocm_plugin_contracts::resource_repository::v1::ResourceRepository;
use ocm_plugin_types::{CapabilityKind, Raw};

/// A resource repository served by an external plugin, bound to the access spec it was looked up with.
pub type RemoteResourceRepository =
    ocm_plugin_endpoints::Client<crate::Remote<ResourceRepositories>>;

pub use crate::type_map::Provider;
use crate::{ExternalPlugin, registry::Capability};

const CAPABILITY: &str = "resourceRepository";

/// The `resourceRepository` capability, as [`Registry`] needs it.
#[derive(Debug)]
pub struct ResourceRepositories;

impl Capability for ResourceRepositories {
    type Handle = dyn ResourceRepository;
    const KEY: &'static str = CAPABILITY;
    const KIND: CapabilityKind = CapabilityKind::ResourceRepository;
    fn remote(plugin: ExternalPlugin, spec: Raw) -> Arc<Self::Handle> {
        Arc::new(crate::Remote::<Self>::client(plugin, Some(spec)))
    }
}

/// Spec type -> [`ResourceRepository`]: in-process implementations first, then
/// external plugins.
pub type Registry = crate::registry::Registry<ResourceRepositories>;
