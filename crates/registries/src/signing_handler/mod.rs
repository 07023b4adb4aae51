//! Registry of signing handlers (`signingHandler`, plugin module v0.0.7+): signing config type
//! -> handler that signs digests and verifies signatures.

use std::sync::Arc;

use ocm_plugin_contracts::signing_handler::v1::SigningHandler;
use ocm_plugin_types::{CapabilityKind, Raw};

/// A signing handler served by an external plugin, bound to the signing config it was looked up
/// with.
pub type RemoteSigningHandler = ocm_plugin_endpoints::Client<crate::Remote<SigningHandlers>>;

pub use crate::type_map::Provider;
use crate::{ExternalPlugin, registry::Capability};

/// The `signingHandler` capability, as [`Registry`] needs it.
#[derive(Debug)]
pub struct SigningHandlers;

impl Capability for SigningHandlers {
    type Handle = dyn SigningHandler;
    const KEY: &'static str = "signingHandler";
    const KIND: CapabilityKind = CapabilityKind::SigningHandler;
    fn remote(plugin: ExternalPlugin, spec: Raw) -> Arc<Self::Handle> {
        Arc::new(crate::Remote::<Self>::client(plugin, Some(spec)))
    }
}

/// Signing config type -> [`SigningHandler`]: in-process implementations first, then external
/// plugins.
pub type Registry = crate::registry::Registry<SigningHandlers>;
