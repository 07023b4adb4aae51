//! [`CredentialPlugin`] over HTTP: each method is its operation.

use ocm_plugin_contracts::{
    Result, async_trait,
    credential_plugin::v1::{ConsumerIdentityRequest, CredentialPlugin, ResolveRequest},
};
use ocm_plugin_endpoints::credential_plugin as ops;
use ocm_plugin_types::{Credentials, Identity};

use super::CredentialPlugins;
use crate::Remote;

/// A credential plugin served by an external plugin, bound to the credential spec it was looked
/// up with. `/resolve` answers are read as typed credentials (or a flat map).
pub type RemoteCredentialPlugin = Remote<CredentialPlugins>;

#[async_trait]
impl CredentialPlugin for Remote<CredentialPlugins> {
    async fn consumer_identity(&self, request: ConsumerIdentityRequest) -> Result<Identity> {
        self.call_anonymous::<ops::ConsumerIdentity>(request).await
    }

    async fn resolve(
        &self,
        request: ResolveRequest,
        credentials: &Credentials,
    ) -> Result<Credentials> {
        self.call::<ops::Resolve>(request, credentials).await
    }
}
