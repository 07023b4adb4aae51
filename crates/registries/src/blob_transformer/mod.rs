//! Registry of blob transformers (`blobTransformer`, spec §5.6): transformer spec type -> blob
//! transformer.

#[cfg(test)]
mod tests;

use std::sync::Arc;

use ocm_plugin_contracts::blob_transformer::v1::BlobTransformer;
use ocm_plugin_types::{CapabilityKind, Raw};

/// A blob transformer served by an external plugin, bound to the transformer spec it was looked up with.
pub type RemoteBlobTransformer = ocm_plugin_endpoints::Client<crate::Remote<BlobTransformers>>;

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
        Arc::new(crate::Remote::<Self>::client(plugin, Some(spec)))
    }
}

/// Spec type -> [`BlobTransformer`]: in-process implementations first, then
/// external plugins.
pub type Registry = crate::registry::Registry<BlobTransformers>;
