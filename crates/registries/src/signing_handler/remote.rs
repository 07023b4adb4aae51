//! [`SigningHandler`] over HTTP: each method is its operation.

use ocm_plugin_contracts::{
    Result, async_trait,
    signing_handler::v1::{
        GetIdentityResponse, SignIdentityRequest, SignRequest, SignResponse, SigningHandler,
        VerifyIdentityRequest, VerifyRequest, VerifyResponse,
    },
};
use ocm_plugin_endpoints::signing_handler as ops;
use ocm_plugin_types::Credentials;

use super::SigningHandlers;
use crate::Remote;

/// A signing handler served by an external plugin, bound to the signing config it was looked
/// up with.
pub type RemoteSigningHandler = Remote<SigningHandlers>;

#[async_trait]
impl SigningHandler for Remote<SigningHandlers> {
    async fn sign(&self, request: SignRequest, credentials: &Credentials) -> Result<SignResponse> {
        self.call::<ops::Sign>(request, credentials).await
    }

    async fn verify(
        &self,
        request: VerifyRequest,
        credentials: &Credentials,
    ) -> Result<VerifyResponse> {
        self.call::<ops::Verify>(request, credentials).await
    }

    async fn get_signing_identity(
        &self,
        request: SignIdentityRequest,
    ) -> Result<GetIdentityResponse> {
        self.call_anonymous::<ops::GetSigningIdentity>(request)
            .await
    }

    async fn get_verifying_identity(
        &self,
        request: VerifyIdentityRequest,
    ) -> Result<GetIdentityResponse> {
        self.call_anonymous::<ops::GetVerifyingIdentity>(request)
            .await
    }
}
