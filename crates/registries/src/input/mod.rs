//! Registry of input methods (`inputRepository`, spec §5.3): constructor input type -> input
//! method.
//!
//! The key is the type of a constructor resource's or source's `input` (for a v0.0.1
//! constructor, its `access`: see
//! [`ConstructorResource::spec`](ocm_plugin_contracts::input::v1::ConstructorResource::spec)).
//! Requests are sent in the constructor shape, with `input` (spec §10.6); v0.0.1 plugins decode
//! it leniently.

#[cfg(test)]
mod tests;

use std::sync::Arc;

use ocm_plugin_contracts::input::v1::InputMethod;
use ocm_plugin_types::{CapabilityKind, Raw};

/// An input method served by an external plugin, bound to the input spec it was looked up with.
pub type RemoteInputMethod = ocm_plugin_endpoints::Client<crate::Remote<Inputs>>;

pub use crate::type_map::Provider;
use crate::{ExternalPlugin, registry::Capability};

const CAPABILITY: &str = "inputRepository";

/// The `inputRepository` capability, as [`Registry`] needs it.
#[derive(Debug)]
pub struct Inputs;

impl Capability for Inputs {
    type Handle = dyn InputMethod;
    const KEY: &'static str = CAPABILITY;
    const KIND: CapabilityKind = CapabilityKind::InputRepository;
    fn remote(plugin: ExternalPlugin, spec: Raw) -> Arc<Self::Handle> {
        Arc::new(crate::Remote::<Self>::client(plugin, Some(spec)))
    }
}

/// Spec type -> [`InputMethod`]: in-process implementations first, then
/// external plugins.
pub type Registry = crate::registry::Registry<Inputs>;
