//! Signing handlers (plugin module v0.0.7+): sign digests and verify signatures, as a
//! signing config says.
//!
//! This module holds what a signing handler needs: the typed trait [`SigningHandler`], the registration
//! functions [`typed`] and [`untyped`] (and their `_async` twins), and every request and
//! response type of the contract (`ocm_plugin_contracts::signing_handler::v1`, whose trait of the same
//! name is the untyped one). The [guide](crate::guide) shows it at work.

pub use ocm_plugin_contracts::signing_handler::v1::*;
use ocm_plugin_contracts::{Error, Result, async_trait, signing_handler::v1 as raw};
use ocm_plugin_endpoints::signing_handler::SigningHandler as Capability;
pub use ocm_plugin_types::Credentials;

use crate::{TypedSpec, typed::decode};

/// A signing handler for the spec type [`Self::Spec`], which the SDK has checked against its
/// derived schema and decoded before each call. Unimplemented operations answer 501, like
/// the Go SDK.
#[async_trait]
pub trait SigningHandler: Send + Sync + 'static {
    /// The signing config, e.g. `{"type":"RSASigningConfiguration/v1alpha1"}`.
    type Spec: TypedSpec + Send;

    /// Signs a digest ([`SIGN`](crate::endpoints::signing_handler::SIGN)).
    async fn sign(
        &self,
        spec: Self::Spec,
        request: SignRequest,
        credentials: &Credentials,
    ) -> Result<SignResponse>;

    /// Verifies a signature ([`VERIFY`](crate::endpoints::signing_handler::VERIFY)).
    async fn verify(
        &self,
        spec: Self::Spec,
        request: VerifyRequest,
        credentials: &Credentials,
    ) -> Result<VerifyResponse>;

    /// The consumer identity whose credentials signing needs ([`SIGN_IDENTITY`](crate::endpoints::signing_handler::SIGN_IDENTITY)).
    async fn signing_identity(
        &self,
        spec: Self::Spec,
        request: SignIdentityRequest,
    ) -> Result<GetIdentityResponse> {
        let _ = (spec, request);
        Err(Error::Unsupported("get-signing-identity"))
    }

    /// The consumer identity whose credentials verifying needs ([`VERIFY_IDENTITY`](crate::endpoints::signing_handler::VERIFY_IDENTITY)).
    async fn verifying_identity(
        &self,
        spec: Self::Spec,
        request: VerifyIdentityRequest,
    ) -> Result<GetIdentityResponse> {
        let _ = (spec, request);
        Err(Error::Unsupported("get-verifying-identity"))
    }
}

/// The untyped contract over a typed implementation.
struct Typed<R>(R);

#[async_trait]
impl<R: SigningHandler> raw::SigningHandler for Typed<R> {
    async fn sign(&self, request: SignRequest, credentials: &Credentials) -> Result<SignResponse> {
        let spec = decode(Some(&request.config))?;
        self.0.sign(spec, request, credentials).await
    }

    async fn verify(
        &self,
        request: VerifyRequest,
        credentials: &Credentials,
    ) -> Result<VerifyResponse> {
        let spec = decode(Some(&request.config))?;
        self.0.verify(spec, request, credentials).await
    }

    async fn get_signing_identity(
        &self,
        request: SignIdentityRequest,
    ) -> Result<GetIdentityResponse> {
        let spec = decode(Some(&request.config))?;
        self.0.signing_identity(spec, request).await
    }

    async fn get_verifying_identity(
        &self,
        request: VerifyIdentityRequest,
    ) -> Result<GetIdentityResponse> {
        let spec = decode(Some(&request.config))?;
        self.0.verifying_identity(spec, request).await
    }
}

crate::kinds::registrations! {
    trait: SigningHandler,
    what: "signing handler",
    contract: "ocm_plugin_contracts::signing_handler::v1"
}
