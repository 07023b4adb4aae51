//! Version 1 of the resource repository contract.

use ocm_plugin_types::{Credentials, Location, Resource};
use serde::{Deserialize, Serialize};

pub use crate::identity::{GetIdentityRequest, GetIdentityResponse};
use crate::{Error, Result, async_trait};

/// `POST /resource/get`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GetGlobalResourceRequest {
    /// The resource; its `access` addresses the content.
    pub resource: Resource,
}

/// Answer of `POST /resource/get`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GetGlobalResourceResponse {
    /// The content, handed over to the caller.
    pub location: Location,
}

/// `POST /resource/add`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AddGlobalResourceRequest {
    /// The content; owned by the caller, read it before answering.
    #[serde(rename = "resourceLocation")]
    pub resource_location: Location,
    /// The resource; its `access` says where to put the content.
    pub resource: Resource,
}

/// Answer of `POST /resource/add`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AddGlobalResourceResponse {
    /// The resource as stored, with its final access.
    pub resource: Resource,
}

/// A resource repository.
#[async_trait]
pub trait ResourceRepository: Send + Sync + 'static {
    /// Downloads a resource.
    async fn get_global_resource(
        &self,
        request: GetGlobalResourceRequest,
        credentials: &Credentials,
    ) -> Result<GetGlobalResourceResponse>;

    /// Uploads a resource.
    async fn add_global_resource(
        &self,
        request: AddGlobalResourceRequest,
        credentials: &Credentials,
    ) -> Result<AddGlobalResourceResponse> {
        let _ = (request, credentials);
        Err(Error::Unsupported("add-global-resource"))
    }

    /// The consumer identity for an access.
    async fn get_identity(&self, request: GetIdentityRequest) -> Result<GetIdentityResponse> {
        let _ = request;
        Err(Error::Unsupported("get-identity"))
    }
}
