//! Credential repositories: resolve credentials for consumer identities from a store
//! described by a config (`{"type":"Vault/v1", …}`). At most one per plugin.
//!
//! This module holds what a credential repository needs: the typed trait [`CredentialRepository`], the registration
//! functions [`typed`] and [`untyped`] (and their `_async` twins), and every request and
//! response type of the contract (`ocm_plugin_contracts::credential_repository::v1`, whose trait of the same
//! name is the untyped one). The [guide](crate::guide) shows it at work.

pub use ocm_plugin_contracts::credential_repository::v1::*;
use ocm_plugin_contracts::{Error, Result, async_trait, credential_repository::v1 as raw};
use ocm_plugin_endpoints::credential_repository::CredentialRepository as Capability;
pub use ocm_plugin_types::{Credentials, Identity};

use crate::{TypedSpec, typed::decode};

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

crate::kinds::registrations! {
    trait: CredentialRepository,
    what: "credential repository",
    contract: "ocm_plugin_contracts::credential_repository::v1",
    consumer: consumer_identity_type
}
