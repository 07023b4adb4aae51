//! Registry of digest processors (`digestProcessorRepository`, spec §5.4): access type ->
//! digest processor.
//!
//! The key is the type of a resource's `access`.

#[cfg(test)]
mod tests;

use std::sync::Arc;

use ocm_plugin_contracts::digest_processor::v1::DigestProcessor;
use ocm_plugin_types::{CapabilityKind, Raw};

/// A digest processor served by an external plugin, bound to the access spec it was looked up with.
pub type RemoteDigestProcessor = ocm_plugin_endpoints::Client<crate::Remote<DigestProcessors>>;

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
        Arc::new(crate::Remote::<Self>::client(plugin, Some(spec)))
    }
}

/// Spec type -> [`DigestProcessor`]: in-process implementations first, then
/// external plugins.
pub type Registry = crate::registry::Registry<DigestProcessors>;
