//! Registry of digest processors (`digestProcessorRepository`, spec §5.4): access type ->
//! digest processor.
//!
//! The key is the type of a resource's `access`.

mod remote;
#[cfg(test)]
mod tests;

use std::sync::Arc;

use ocm_plugin_contracts::digest_processor::v1::DigestProcessor;
use ocm_plugin_types::{CapabilityKind, Raw};

pub use remote::RemoteDigestProcessor;

pub use crate::type_map::Provider;
use crate::{ExternalPlugin, registry::Capability};

const CAPABILITY: &str = "digestProcessorRepository";

/// The `digestProcessorRepository` capability, as [`Registry`] needs it.
#[derive(Debug)]
pub struct DigestProcessors;

impl Capability for DigestProcessors {
    type Handle = dyn DigestProcessor;
    const KEY: &'static str = CAPABILITY;
    const KIND: CapabilityKind = CapabilityKind::DigestProcessorRepository;
    fn remote(plugin: ExternalPlugin, spec: Raw) -> Arc<Self::Handle> {
        Arc::new(RemoteDigestProcessor::new(plugin, Some(spec)))
    }
}

/// Spec type -> [`DigestProcessor`]: in-process implementations first, then
/// external plugins.
pub type Registry = crate::registry::Registry<DigestProcessors>;
