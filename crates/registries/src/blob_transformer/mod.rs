//! Registry of blob transformers (`blobTransformer`, spec §5.6): transformer spec type -> blob
//! transformer.

mod remote;
#[cfg(test)]
mod tests;

use std::sync::Arc;

use ocm_plugin_contracts::blob_transformer::v1::BlobTransformer;
use ocm_plugin_types::{CapabilityKind, Raw};

pub use remote::RemoteBlobTransformer;

pub use crate::type_map::Provider;
use crate::{ExternalPlugin, registry::Capability};

const CAPABILITY: &str = "blobTransformer";

/// The `blobTransformer` capability, as [`Registry`] needs it.
#[derive(Debug)]
pub struct BlobTransformers;

impl Capability for BlobTransformers {
    type Handle = dyn BlobTransformer;
    const KEY: &'static str = CAPABILITY;
    const KIND: CapabilityKind = CapabilityKind::BlobTransformer;
    fn remote(plugin: ExternalPlugin, spec: Raw) -> Arc<Self::Handle> {
        Arc::new(RemoteBlobTransformer::new(plugin, Some(spec)))
    }
}

/// Spec type -> [`BlobTransformer`]: in-process implementations first, then
/// external plugins.
pub type Registry = crate::registry::Registry<BlobTransformers>;
