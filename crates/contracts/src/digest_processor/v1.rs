//! Version 1 of the digest processor contract.

use ocm_plugin_types::{Credentials, Resource};
use serde::{Deserialize, Serialize};

pub use crate::identity::{GetIdentityRequest, GetIdentityResponse};
use crate::{Error, Result, async_trait};

/// `POST /resource/digest/process`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProcessResourceDigestRequest {
    /// The resource; its `access` addresses the content.
    pub resource: Resource,
}

/// Answer of `POST /resource/digest/process`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProcessResourceDigestResponse {
    /// The same resource with `digest` filled in.
    pub resource: Resource,
}

/// A digest processor.
#[async_trait]
pub trait DigestProcessor: Send + Sync + 'static {
    /// Fills in the digest of a resource.
    async fn process_resource_digest(
        &self,
        request: ProcessResourceDigestRequest,
        credentials: &Credentials,
    ) -> Result<ProcessResourceDigestResponse>;

    /// The consumer identity for an access (Go SDK plugins fail on any non-null spec here).
    async fn get_identity(&self, request: GetIdentityRequest) -> Result<GetIdentityResponse> {
        let _ = request;
        Err(Error::Unsupported("get-identity"))
    }
}
