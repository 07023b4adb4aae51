//! [`ComponentVersionRepository`] over HTTP: each method is its operation.

use ocm_plugin_contracts::{
    Result, async_trait,
    component_version_repository::v1::{
        AddComponentVersionRequest, AddLocalResourceRequest, AddLocalSourceRequest,
        CheckHealthRequest, ComponentVersionRepository, GetComponentVersionRequest,
        GetIdentityRequest, GetIdentityResponse, GetLocalResourceRequest, GetLocalResourceResponse,
        GetLocalSourceRequest, GetLocalSourceResponse, ListComponentVersionsRequest,
    },
};
use ocm_plugin_endpoints::component_version_repository as ops;
use ocm_plugin_types::{Credentials, Descriptor, Resource, Source};

use super::ComponentVersionRepositories;
use crate::Remote;

/// A component version repository served by an external plugin, bound to one repository spec.
///
/// GET requests also carry the spec as the base64-JSON query parameter `repository`, so our
/// plugins know which repository a read targets; Go plugins ignore it.
pub type RemoteRepository = Remote<ComponentVersionRepositories>;

#[async_trait]
impl ComponentVersionRepository for Remote<ComponentVersionRepositories> {
    async fn get_component_version(
        &self,
        request: GetComponentVersionRequest,
        credentials: &Credentials,
    ) -> Result<Descriptor> {
        self.call::<ops::GetComponentVersion>(request, credentials)
            .await
    }

    async fn list_component_versions(
        &self,
        request: ListComponentVersionsRequest,
        credentials: &Credentials,
    ) -> Result<Vec<String>> {
        self.call::<ops::ListComponentVersions>(request, credentials)
            .await
    }

    async fn add_component_version(
        &self,
        request: AddComponentVersionRequest,
        credentials: &Credentials,
    ) -> Result<()> {
        self.call::<ops::AddComponentVersion>(request, credentials)
            .await
    }

    async fn get_local_resource(
        &self,
        request: GetLocalResourceRequest,
        credentials: &Credentials,
    ) -> Result<GetLocalResourceResponse> {
        self.call::<ops::GetLocalResource>(request, credentials)
            .await
    }

    async fn get_local_source(
        &self,
        request: GetLocalSourceRequest,
        credentials: &Credentials,
    ) -> Result<GetLocalSourceResponse> {
        self.call::<ops::GetLocalSource>(request, credentials).await
    }

    async fn add_local_resource(
        &self,
        request: AddLocalResourceRequest,
        credentials: &Credentials,
    ) -> Result<Resource> {
        self.call::<ops::AddLocalResource>(request, credentials)
            .await
    }

    async fn add_local_source(
        &self,
        request: AddLocalSourceRequest,
        credentials: &Credentials,
    ) -> Result<Source> {
        self.call::<ops::AddLocalSource>(request, credentials).await
    }

    async fn get_identity(&self, request: GetIdentityRequest) -> Result<GetIdentityResponse> {
        self.call_anonymous::<ops::GetIdentity>(request).await
    }

    async fn check_health(
        &self,
        request: CheckHealthRequest,
        credentials: &Credentials,
    ) -> Result<()> {
        self.call::<ops::CheckHealth>(request, credentials).await
    }
}
