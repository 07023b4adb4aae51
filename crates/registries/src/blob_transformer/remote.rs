//! [`BlobTransformer`] over HTTP: each method is its operation.

use ocm_plugin_contracts::{
    Result, async_trait,
    blob_transformer::v1::{
        BlobTransformer, GetIdentityRequest, GetIdentityResponse, TransformBlobRequest,
        TransformBlobResponse,
    },
};
use ocm_plugin_endpoints::blob_transformer as ops;
use ocm_plugin_types::Credentials;

use super::BlobTransformers;
use crate::Remote;

/// A blob transformer served by an external plugin, bound to the transformer spec it was looked
/// up with.
pub type RemoteBlobTransformer = Remote<BlobTransformers>;

#[async_trait]
impl BlobTransformer for Remote<BlobTransformers> {
    async fn transform_blob(
        &self,
        request: TransformBlobRequest,
        credentials: &Credentials,
    ) -> Result<TransformBlobResponse> {
        self.call::<ops::TransformBlob>(request, credentials).await
    }

    async fn get_identity(&self, request: GetIdentityRequest) -> Result<GetIdentityResponse> {
        self.call_anonymous::<ops::GetIdentity>(request).await
    }
}
