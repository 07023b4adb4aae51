//! [`ResourceRepository`] over HTTP: each method is its operation.

use ocm_plugin_contracts::{
    Result, async_trait,
    resource_repository::v1::{
        AddGlobalResourceRequest, AddGlobalResourceResponse, GetGlobalResourceRequest,
        GetGlobalResourceResponse, GetIdentityRequest, GetIdentityResponse, ResourceRepository,
    },
};
use ocm_plugin_endpoints::resource_repository as ops;
use ocm_plugin_types::Credentials;

use super::ResourceRepositories;
use crate::Remote;

/// A resource repository served by an external plugin, bound to the access spec it was looked
/// up with.
pub type RemoteResourceRepository = Remote<ResourceRepositories>;

#[async_trait]
impl ResourceRepository for Remote<ResourceRepositories> {
    async fn get_global_resource(
        &self,
        request: GetGlobalResourceRequest,
        credentials: &Credentials,
    ) -> Result<GetGlobalResourceResponse> {
        self.call::<ops::GetGlobalResource>(request, credentials)
            .await
    }

    async fn add_global_resource(
        &self,
        request: AddGlobalResourceRequest,
        credentials: &Credentials,
    ) -> Result<AddGlobalResourceResponse> {
        self.call::<ops::AddGlobalResource>(request, credentials)
            .await
    }

    async fn get_identity(&self, request: GetIdentityRequest) -> Result<GetIdentityResponse> {
        self.call_anonymous::<ops::GetIdentity>(request).await
    }
}
