//! [`InputMethod`] over HTTP: each method is its operation.

use ocm_plugin_contracts::{
    Result, async_trait,
    input::v1::{
        GetIdentityRequest, GetIdentityResponse, InputMethod, ProcessResourceRequest,
        ProcessResourceResponse, ProcessSourceRequest, ProcessSourceResponse,
    },
};
use ocm_plugin_endpoints::input as ops;
use ocm_plugin_types::Credentials;

use super::Inputs;
use crate::Remote;

/// An input method served by an external plugin, bound to the input spec it was looked up with.
pub type RemoteInputMethod = Remote<Inputs>;

#[async_trait]
impl InputMethod for Remote<Inputs> {
    async fn process_resource(
        &self,
        request: ProcessResourceRequest,
        credentials: &Credentials,
    ) -> Result<ProcessResourceResponse> {
        self.call::<ops::ProcessResource>(request, credentials)
            .await
    }

    async fn process_source(
        &self,
        request: ProcessSourceRequest,
        credentials: &Credentials,
    ) -> Result<ProcessSourceResponse> {
        self.call::<ops::ProcessSource>(request, credentials).await
    }

    async fn get_identity(&self, request: GetIdentityRequest) -> Result<GetIdentityResponse> {
        self.call_anonymous::<ops::GetIdentity>(request).await
    }
}
