//! Version 1 of the signing handler contract.

use ocm_plugin_types::{Credentials, Digest, Raw, Signature, SignatureInfo};
use serde::{Deserialize, Serialize};

pub use crate::identity::GetIdentityResponse;
use crate::{Error, Result, async_trait};

/// `POST /sign`: `{"digest": {...}, "config": <signing config>}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignRequest {
    /// The digest to sign.
    pub digest: Digest,
    /// The signing configuration (its `type` selects the handler).
    pub config: Raw,
}

/// Answer of `POST /sign`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignResponse {
    /// The signature.
    pub signature: SignatureInfo,
}

/// `POST /verify`: `{"signature": <signature>, "config": <signing config>}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VerifyRequest {
    /// The signature, with the digest it signs.
    pub signature: Signature,
    /// The signing configuration (its `type` selects the handler).
    pub config: Raw,
}

/// Answer of `POST /verify`: `{}`. A signature that does not verify is an error, not an answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct VerifyResponse {}

/// `POST /sign/identity`: the sign request inlined, plus the signature's name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignIdentityRequest {
    /// The digest to sign.
    pub digest: Digest,
    /// The signing configuration.
    pub config: Raw,
    /// The name the signature will have.
    #[serde(default)]
    pub name: String,
}

/// `POST /verify/identity`: the verify request.
pub type VerifyIdentityRequest = VerifyRequest;

/// A signing handler.
///
/// The two identity operations tell a host which consumer identity the credentials for signing
/// (a private key) or verifying (a public key) belong to, so it can resolve them before calling
/// [`sign`](Self::sign) or [`verify`](Self::verify).
#[async_trait]
pub trait SigningHandler: Send + Sync + 'static {
    /// Signs `request.digest`.
    async fn sign(&self, request: SignRequest, credentials: &Credentials) -> Result<SignResponse>;

    /// Verifies a signature; `Ok` only when it verifies.
    async fn verify(
        &self,
        request: VerifyRequest,
        credentials: &Credentials,
    ) -> Result<VerifyResponse>;

    /// The consumer identity of the signing credentials.
    async fn get_signing_identity(
        &self,
        request: SignIdentityRequest,
    ) -> Result<GetIdentityResponse> {
        let _ = request;
        Err(Error::Unsupported("get-signing-identity"))
    }

    /// The consumer identity of the verifying credentials.
    async fn get_verifying_identity(
        &self,
        request: VerifyIdentityRequest,
    ) -> Result<GetIdentityResponse> {
        let _ = request;
        Err(Error::Unsupported("get-verifying-identity"))
    }
}
