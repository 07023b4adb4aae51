//! [`ComponentLister`] over HTTP: each method is its operation.

use ocm_plugin_contracts::{
    Result, async_trait,
    component_lister::v1::{
        ComponentLister, GetIdentityRequest, GetIdentityResponse, ListComponentsRequest,
        ListComponentsResponse,
    },
};
use ocm_plugin_endpoints::component_lister as ops;
use ocm_plugin_types::Credentials;

use super::ComponentListers;
use crate::Remote;

/// A component lister served by an external plugin, bound to the repository spec it was looked
/// up with.
pub type RemoteComponentLister = Remote<ComponentListers>;

#[async_trait]
impl ComponentLister for Remote<ComponentListers> {
    async fn list_components(
        &self,
        request: ListComponentsRequest,
        credentials: &Credentials,
    ) -> Result<ListComponentsResponse> {
        self.call::<ops::ListComponents>(request, credentials).await
    }

    async fn get_identity(&self, request: GetIdentityRequest) -> Result<GetIdentityResponse> {
        self.call_anonymous::<ops::GetIdentity>(request).await
    }
}
