//! Credential repositories: resolve credentials for consumer identities from a store
//! described by a config (`{"type":"Vault/v1", …}`). At most one per plugin.
//!
//! This module holds what a credential repository needs: the typed trait [`CredentialRepository`], the registration
//! functions [`typed`] and [`untyped`] (and their `_async` twins), and every request and
//! response type of the contract (`ocm_plugin_contracts::credential_repository::v1`, whose trait of the same
//! name is the untyped one). The [guide](crate::guide) shows it at work.

use std::{future::Future, sync::Arc};

pub use ocm_plugin_contracts::credential_repository::v1::*;
use ocm_plugin_contracts::{
    BoxError, Error, Result, async_trait, credential_repository::v1 as raw,
};
use ocm_plugin_endpoints::credential_repository::CredentialRepository as Capability;
pub use ocm_plugin_types::{Credentials, Identity};
use ocm_plugin_types::{JsonSchema, Type};

use crate::{PluginContext, Registration, TypedSpec, registration, typed::decode};

/// A credential repository for the spec type [`Self::Spec`], which the SDK has checked against its
/// derived schema and decoded before each call. Unimplemented operations answer 501, like
/// the Go SDK.
#[async_trait]
pub trait CredentialRepository: Send + Sync + 'static {
    /// The repository config, e.g. `{"type":"Vault/v1","url":…}`.
    type Spec: TypedSpec + Send;

    /// The consumer identity of the store itself ([`CONSUMER_IDENTITY`](crate::endpoints::credential_repository::CONSUMER_IDENTITY)).
    async fn consumer_identity_for_config(
        &self,
        spec: Self::Spec,
        request: ConsumerIdentityForConfigRequest,
    ) -> Result<Identity> {
        let _ = (spec, request);
        Err(Error::Unsupported("consumer-identity-for-config"))
    }

    /// The credentials for an identity ([`RESOLVE`](crate::endpoints::credential_repository::RESOLVE)).
    async fn resolve(
        &self,
        spec: Self::Spec,
        request: ResolveRequest,
        credentials: &Credentials,
    ) -> Result<Credentials>;

    /// The consumer identity whose credentials a spec needs (`POST /identity`); none by
    /// default (501).
    async fn identity(&self, spec: Self::Spec) -> Result<Identity> {
        let _ = spec;
        Err(Error::Unsupported("get-identity"))
    }
}

/// The untyped contract over a typed implementation.
struct Typed<R>(R);

#[async_trait]
impl<R: CredentialRepository> raw::CredentialRepository for Typed<R> {
    async fn consumer_identity_for_config(
        &self,
        request: ConsumerIdentityForConfigRequest,
    ) -> Result<Identity> {
        let spec = decode(Some(&request.config))?;
        self.0.consumer_identity_for_config(spec, request).await
    }

    async fn resolve(
        &self,
        request: ResolveRequest,
        credentials: &Credentials,
    ) -> Result<Credentials> {
        let spec = decode(Some(&request.config))?;
        self.0.resolve(spec, request, credentials).await
    }

    async fn get_identity(&self, request: GetIdentityRequest) -> Result<GetIdentityResponse> {
        let identity = self.0.identity(decode(Some(&request.typ))?).await?;
        Ok(GetIdentityResponse { identity })
    }
}

fn typed_handle<R: CredentialRepository>(r: R) -> Arc<dyn raw::CredentialRepository> {
    Arc::new(Typed(r))
}

fn raw_handle<R: raw::CredentialRepository>(r: R) -> Arc<dyn raw::CredentialRepository> {
    Arc::new(r)
}

/// Registers the typed credential repository `R` for its spec type `R::Spec`, schema derived;
/// `factory` runs once when the plugin starts serving (never for `capabilities`), and its
/// error stops the plugin with exit code 1.
///
/// `consumer_identity_type` is the identity type it resolves credentials for: the
/// capabilities document lists it as entry `[0]` and the config type as `[1]`, both with the
/// config's schema (Go managers validate the config against entry `[0]`'s).
pub fn typed<R, F>(
    consumer_identity_type: impl TryInto<Type, Error: std::fmt::Display>,
    factory: F,
) -> Registration
where
    R: CredentialRepository,
    F: FnOnce(&PluginContext) -> std::result::Result<R, BoxError> + Send + 'static,
{
    Registration::typed::<Capability, R::Spec>(
        Some(registration::parse_type(consumer_identity_type, || {
            "the consumer identity type of a credential repository".to_owned()
        })),
        registration::sync::<Capability, _, _>(factory, typed_handle),
    )
}

/// [`typed`] with an async factory (one that connects somewhere or reads files before the
/// plugin serves); the plugin prints its location once every factory has finished.
pub fn typed_async<R, F, Fut>(
    consumer_identity_type: impl TryInto<Type, Error: std::fmt::Display>,
    factory: F,
) -> Registration
where
    R: CredentialRepository,
    F: FnOnce(PluginContext) -> Fut + Send + 'static,
    Fut: Future<Output = std::result::Result<R, BoxError>> + Send + 'static,
{
    Registration::typed::<Capability, R::Spec>(
        Some(registration::parse_type(consumer_identity_type, || {
            "the consumer identity type of a credential repository".to_owned()
        })),
        registration::asynchronous::<Capability, _, _, _>(factory, typed_handle),
    )
}

/// Registers an implementation of the untyped contract (`ocm_plugin_contracts::credential_repository::v1`)
/// for specs of type `typ` (a [`Type`] or its text), with a hand-written `schema`; the
/// implementation decodes specs itself (see [`SpecExt`](crate::SpecExt)).
///
/// `consumer_identity_type` is the identity type it resolves credentials for: the
/// capabilities document lists it as entry `[0]` and the config type as `[1]`, both with the
/// config's schema (Go managers validate the config against entry `[0]`'s).
pub fn untyped<R, F>(
    consumer_identity_type: impl TryInto<Type, Error: std::fmt::Display>,
    typ: impl TryInto<Type, Error: std::fmt::Display>,
    schema: JsonSchema,
    factory: F,
) -> Registration
where
    R: raw::CredentialRepository,
    F: FnOnce(&PluginContext) -> std::result::Result<R, BoxError> + Send + 'static,
{
    Registration::untyped::<Capability>(
        registration::parse_type(typ, || "a credential repository type".to_owned()),
        schema,
        Some(registration::parse_type(consumer_identity_type, || {
            "the consumer identity type of a credential repository".to_owned()
        })),
        registration::sync::<Capability, _, _>(factory, raw_handle),
    )
}

/// [`untyped`] with an async factory.
pub fn untyped_async<R, F, Fut>(
    consumer_identity_type: impl TryInto<Type, Error: std::fmt::Display>,
    typ: impl TryInto<Type, Error: std::fmt::Display>,
    schema: JsonSchema,
    factory: F,
) -> Registration
where
    R: raw::CredentialRepository,
    F: FnOnce(PluginContext) -> Fut + Send + 'static,
    Fut: Future<Output = std::result::Result<R, BoxError>> + Send + 'static,
{
    Registration::untyped::<Capability>(
        registration::parse_type(typ, || "a credential repository type".to_owned()),
        schema,
        Some(registration::parse_type(consumer_identity_type, || {
            "the consumer identity type of a credential repository".to_owned()
        })),
        registration::asynchronous::<Capability, _, _, _>(factory, raw_handle),
    )
}
