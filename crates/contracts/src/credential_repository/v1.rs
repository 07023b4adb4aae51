//! Version 1 of the credential repository contract, wire-compatible with OCM Go v0.0.1.

use ocm_plugin_types::{Credentials, Identity, Raw};
use serde::{Deserialize, Serialize};

pub use crate::identity::{GetIdentityRequest, GetIdentityResponse};
use crate::{Error, Result, async_trait};

/// `POST /consumer-identity`: `{"config": <repository config>}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConsumerIdentityForConfigRequest {
    /// The repository config.
    pub config: Raw,
}

/// `POST /resolve`: `{"config": <repository config>, "identity": {...}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResolveRequest {
    /// The repository config.
    pub config: Raw,
    /// The consumer whose credentials are wanted.
    #[serde(default)]
    pub identity: Identity,
}

/// A credential repository.
#[async_trait]
pub trait CredentialRepository: Send + Sync + 'static {
    /// The consumer identity of the repository itself (the credentials needed to read it).
    /// Answered as a bare identity object.
    async fn consumer_identity_for_config(
        &self,
        request: ConsumerIdentityForConfigRequest,
    ) -> Result<Identity> {
        let _ = request;
        Err(Error::Unsupported("consumer-identity-for-config"))
    }

    /// Resolves credentials for `request.identity`. `credentials` are those needed to access the
    /// repository itself, as resolved by the caller (often empty). Answered as a bare map.
    async fn resolve(
        &self,
        request: ResolveRequest,
        credentials: &Credentials,
    ) -> Result<Credentials>;

    /// The consumer identity of a config (our extension; Go plugins have no `/identity` here).
    async fn get_identity(&self, request: GetIdentityRequest) -> Result<GetIdentityResponse> {
        let _ = request;
        Err(Error::Unsupported("get-identity"))
    }
}
