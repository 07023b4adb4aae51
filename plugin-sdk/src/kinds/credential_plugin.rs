//! Credential plugins (the `bindings/go` generation): name the consumer identity of a
//! credential spec and resolve that identity's credentials.
//!
//! This module holds what a credential plugin needs: the typed trait [`CredentialPlugin`], the registration
//! functions [`typed`] and [`untyped`] (and their `_async` twins), and every request and
//! response type of the contract (`ocm_plugin_contracts::credential_plugin::v1`, whose trait of the same
//! name is the untyped one). The [guide](crate::guide) shows it at work.

pub use ocm_plugin_contracts::credential_plugin::v1::*;
use ocm_plugin_contracts::{Error, Result, async_trait, credential_plugin::v1 as raw};
use ocm_plugin_endpoints::credential_plugin::CredentialPlugin as Capability;
pub use ocm_plugin_types::{Credentials, Identity};

use crate::{TypedSpec, typed::decode};

/// A credential plugin for the spec type [`Self::Spec`], which the SDK has checked against its
/// derived schema and decoded before each call. Unimplemented operations answer 501, like
/// the Go SDK.
#[async_trait]
pub trait CredentialPlugin: Send + Sync + 'static {
    /// The credential spec, e.g. `{"type":"Vault/v1","path":…}`.
    type Spec: TypedSpec + Send;

    /// The consumer identity of a credential spec ([`CONSUMER_IDENTITY`](crate::endpoints::credential_plugin::CONSUMER_IDENTITY)).
    async fn consumer_identity(
        &self,
        spec: Self::Spec,
        request: ConsumerIdentityRequest,
    ) -> Result<Identity> {
        let _ = (spec, request);
        Err(Error::Unsupported("consumer-identity"))
    }

    /// The credentials of an identity ([`RESOLVE`](crate::endpoints::credential_plugin::RESOLVE)); the request carries the identity only, no spec.
    async fn resolve(
        &self,
        request: ResolveRequest,
        credentials: &Credentials,
    ) -> Result<Credentials>;
}

/// The untyped contract over a typed implementation.
struct Typed<R>(R);

#[async_trait]
impl<R: CredentialPlugin> raw::CredentialPlugin for Typed<R> {
    async fn consumer_identity(&self, request: ConsumerIdentityRequest) -> Result<Identity> {
        let spec = decode(Some(&request.credential))?;
        self.0.consumer_identity(spec, request).await
    }

    async fn resolve(
        &self,
        request: ResolveRequest,
        credentials: &Credentials,
    ) -> Result<Credentials> {
        self.0.resolve(request, credentials).await
    }
}

crate::kinds::registrations! {
    trait: CredentialPlugin,
    what: "credential plugin",
    contract: "ocm_plugin_contracts::credential_plugin::v1"
}
