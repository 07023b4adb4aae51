//! [`CredentialRepository`] over HTTP: each method is its operation.

use ocm_plugin_contracts::{
    Result, async_trait,
    credential_repository::v1::{
        ConsumerIdentityForConfigRequest, CredentialRepository, GetIdentityRequest,
        GetIdentityResponse, ResolveRequest,
    },
};
use ocm_plugin_endpoints::credential_repository as ops;
use ocm_plugin_types::{Credentials, Identity};

use super::CredentialRepositories;
use crate::Remote;

/// A credential repository served by an external plugin, bound to the config it was looked up
/// with, or to none when found by consumer identity type (then each request's `config` is
/// validated against the plugin's schema for its type). `/resolve` answers are read in either
/// shape: a flat map (v0.0.1 to v0.0.15) or typed credentials (v0.0.16+), kept typed.
pub type RemoteCredentialRepository = Remote<CredentialRepositories>;

#[async_trait]
impl CredentialRepository for Remote<CredentialRepositories> {
    async fn consumer_identity_for_config(
        &self,
        request: ConsumerIdentityForConfigRequest,
    ) -> Result<Identity> {
        self.call_anonymous::<ops::ConsumerIdentityForConfig>(request)
            .await
    }

    async fn resolve(
        &self,
        request: ResolveRequest,
        credentials: &Credentials,
    ) -> Result<Credentials> {
        self.call::<ops::Resolve>(request, credentials).await
    }

    async fn get_identity(&self, request: GetIdentityRequest) -> Result<GetIdentityResponse> {
        self.call_anonymous::<ops::GetIdentity>(request).await
    }
}
