//! Signing handlers (plugin module v0.0.7+): sign digests and verify signatures, as a
//! signing config says.
//!
//! This module holds what a signing handler needs: the typed trait [`SigningHandler`], the registration
//! functions [`typed`] and [`untyped`] (and their `_async` twins), and every request and
//! response type of the contract (`ocm_plugin_contracts::signing_handler::v1`, whose trait of the same
//! name is the untyped one). The [guide](crate::guide) shows it at work.

use std::{future::Future, sync::Arc};

pub use ocm_plugin_contracts::signing_handler::v1::*;
use ocm_plugin_contracts::{BoxError, Error, Result, async_trait, signing_handler::v1 as raw};
use ocm_plugin_endpoints::signing_handler::SigningHandler as Capability;
pub use ocm_plugin_types::Credentials;
use ocm_plugin_types::{JsonSchema, Type};

use crate::{PluginContext, Registration, TypedSpec, registration, typed::decode};

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

fn typed_handle<R: SigningHandler>(r: R) -> Arc<dyn raw::SigningHandler> {
    Arc::new(Typed(r))
}

fn raw_handle<R: raw::SigningHandler>(r: R) -> Arc<dyn raw::SigningHandler> {
    Arc::new(r)
}

/// Registers the typed signing handler `R` for its spec type `R::Spec`, schema derived;
/// `factory` runs once when the plugin starts serving (never for `capabilities`), and its
/// error stops the plugin with exit code 1.
pub fn typed<R, F>(factory: F) -> Registration
where
    R: SigningHandler,
    F: FnOnce(&PluginContext) -> std::result::Result<R, BoxError> + Send + 'static,
{
    Registration::typed::<Capability, R::Spec>(
        None,
        registration::sync::<Capability, _, _>(factory, typed_handle),
    )
}

/// [`typed`] with an async factory (one that connects somewhere or reads files before the
/// plugin serves); the plugin prints its location once every factory has finished.
pub fn typed_async<R, F, Fut>(factory: F) -> Registration
where
    R: SigningHandler,
    F: FnOnce(PluginContext) -> Fut + Send + 'static,
    Fut: Future<Output = std::result::Result<R, BoxError>> + Send + 'static,
{
    Registration::typed::<Capability, R::Spec>(
        None,
        registration::asynchronous::<Capability, _, _, _>(factory, typed_handle),
    )
}

/// Registers an implementation of the untyped contract (`ocm_plugin_contracts::signing_handler::v1`)
/// for specs of type `typ` (a [`Type`] or its text), with a hand-written `schema`; the
/// implementation decodes specs itself (see [`SpecExt`](crate::SpecExt)).
pub fn untyped<R, F>(
    typ: impl TryInto<Type, Error: std::fmt::Display>,
    schema: JsonSchema,
    factory: F,
) -> Registration
where
    R: raw::SigningHandler,
    F: FnOnce(&PluginContext) -> std::result::Result<R, BoxError> + Send + 'static,
{
    Registration::untyped::<Capability>(
        registration::parse_type(typ, || "a signing handler type".to_owned()),
        schema,
        None,
        registration::sync::<Capability, _, _>(factory, raw_handle),
    )
}

/// [`untyped`] with an async factory.
pub fn untyped_async<R, F, Fut>(
    typ: impl TryInto<Type, Error: std::fmt::Display>,
    schema: JsonSchema,
    factory: F,
) -> Registration
where
    R: raw::SigningHandler,
    F: FnOnce(PluginContext) -> Fut + Send + 'static,
    Fut: Future<Output = std::result::Result<R, BoxError>> + Send + 'static,
{
    Registration::untyped::<Capability>(
        registration::parse_type(typ, || "a signing handler type".to_owned()),
        schema,
        None,
        registration::asynchronous::<Capability, _, _, _>(factory, raw_handle),
    )
}
