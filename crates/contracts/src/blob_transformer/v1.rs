//! Version 1 of the blob transformer contract.

use ocm_plugin_types::{Credentials, Location, Raw};
use serde::{Deserialize, Serialize};

pub use crate::identity::{GetIdentityRequest, GetIdentityResponse};
use crate::{Error, Result, async_trait};

/// `POST /blob/transform`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TransformBlobRequest {
    /// The input blob; owned by the caller, read it before answering.
    pub location: Location,
    /// The transformer spec (its `type` selects the transformer).
    pub specification: Raw,
}

/// Answer of `POST /blob/transform`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TransformBlobResponse {
    /// The output blob, handed over to the caller.
    pub location: Location,
}

/// A blob transformer.
#[async_trait]
pub trait BlobTransformer: Send + Sync + 'static {
    /// Transforms a blob.
    async fn transform_blob(
        &self,
        request: TransformBlobRequest,
        credentials: &Credentials,
    ) -> Result<TransformBlobResponse>;

    /// The consumer identity for a transformer spec.
    async fn get_identity(&self, request: GetIdentityRequest) -> Result<GetIdentityResponse> {
        let _ = request;
        Err(Error::Unsupported("get-identity"))
    }
}
