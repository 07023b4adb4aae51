//! Version 1 of the credential plugin contract.

use ocm_plugin_types::{Credentials, Identity, Raw};
use serde::{Deserialize, Serialize};

use crate::{Error, Result, async_trait};

/// `POST /consumer-identity`: `{"credential": <credential spec>}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConsumerIdentityRequest {
    /// The credential spec (its `type` selects the plugin).
    pub credential: Raw,
}

/// `POST /resolve`: `{"identity": {...}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResolveRequest {
    /// The consumer whose credentials are wanted, as [`consumer_identity`] answered it.
    ///
    /// [`consumer_identity`]: CredentialPlugin::consumer_identity
    #[serde(default)]
    pub identity: Identity,
}

/// A credential plugin.
#[async_trait]
pub trait CredentialPlugin: Send + Sync + 'static {
    /// The consumer identity a credential spec describes. Answered as a bare identity object.
    async fn consumer_identity(&self, request: ConsumerIdentityRequest) -> Result<Identity> {
        let _ = request;
        Err(Error::Unsupported("consumer-identity"))
    }

    /// The credentials of `request.identity`, typed (e.g. `Credentials/v1`). `credentials` are
    /// those the caller has for reaching the plugin's own store, often none.
    async fn resolve(
        &self,
        request: ResolveRequest,
        credentials: &Credentials,
    ) -> Result<Credentials>;
}
