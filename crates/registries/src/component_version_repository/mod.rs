//! Registry of component version repositories (`componentVersionRepository`).

mod remote;
#[cfg(test)]
mod tests;

use std::sync::Arc;

use ocm_plugin_contracts::component_version_repository::v1::ComponentVersionRepository;
use ocm_plugin_types::{CapabilityKind, Raw};

pub use remote::RemoteRepository;

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
        Arc::new(RemoteRepository::new(plugin, Some(spec)))
    }
}

/// Spec type -> [`ComponentVersionRepository`]: in-process implementations first, then
/// external plugins.
pub type Registry = crate::registry::Registry<ComponentVersionRepositories>;
