//! [`DigestProcessor`] over HTTP: each method is its operation.

use ocm_plugin_contracts::{
    Result, async_trait,
    digest_processor::v1::{
        DigestProcessor, GetIdentityRequest, GetIdentityResponse, ProcessResourceDigestRequest,
        ProcessResourceDigestResponse,
    },
};
use ocm_plugin_endpoints::digest_processor as ops;
use ocm_plugin_types::Credentials;

use super::DigestProcessors;
use crate::Remote;

/// A digest processor served by an external plugin, bound to the access spec it was looked up
/// with.
pub type RemoteDigestProcessor = Remote<DigestProcessors>;

#[async_trait]
impl DigestProcessor for Remote<DigestProcessors> {
    async fn process_resource_digest(
        &self,
        request: ProcessResourceDigestRequest,
        credentials: &Credentials,
    ) -> Result<ProcessResourceDigestResponse> {
        self.call::<ops::ProcessResourceDigest>(request, credentials)
            .await
    }

    async fn get_identity(&self, request: GetIdentityRequest) -> Result<GetIdentityResponse> {
        self.call_anonymous::<ops::GetIdentity>(request).await
    }
}
