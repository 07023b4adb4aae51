//! Credential plugins (the `bindings/go` generation): name the consumer identity of a
//! credential spec and resolve that identity's credentials.
//!
//! This module holds what a credential plugin needs: the typed trait [`CredentialPlugin`], the registration
//! functions [`typed`] and [`untyped`] (and their `_async` twins), and every request and
//! response type of the contract (`ocm_plugin_contracts::credential_plugin::v1`, whose trait of the same
//! name is the untyped one). The [guide](crate::guide) shows it at work.

use std::{future::Future, sync::Arc};

pub use ocm_plugin_contracts::credential_plugin::v1::*;
use ocm_plugin_contracts::{BoxError, Error, Result, async_trait, credential_plugin::v1 as raw};
use ocm_plugin_endpoints::credential_plugin::CredentialPlugin as Capability;
pub use ocm_plugin_types::{Credentials, Identity};
use ocm_plugin_types::{JsonSchema, Type};

use crate::{PluginContext, Registration, TypedSpec, registration, typed::decode};

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

fn typed_handle<R: CredentialPlugin>(r: R) -> Arc<dyn raw::CredentialPlugin> {
    Arc::new(Typed(r))
}

fn raw_handle<R: raw::CredentialPlugin>(r: R) -> Arc<dyn raw::CredentialPlugin> {
    Arc::new(r)
}

/// Registers the typed credential plugin `R` for its spec type `R::Spec`, schema derived;
/// `factory` runs once when the plugin starts serving (never for `capabilities`), and its
/// error stops the plugin with exit code 1.
pub fn typed<R, F>(factory: F) -> Registration
where
    R: CredentialPlugin,
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
    R: CredentialPlugin,
    F: FnOnce(PluginContext) -> Fut + Send + 'static,
    Fut: Future<Output = std::result::Result<R, BoxError>> + Send + 'static,
{
    Registration::typed::<Capability, R::Spec>(
        None,
        registration::asynchronous::<Capability, _, _, _>(factory, typed_handle),
    )
}

/// Registers an implementation of the untyped contract (`ocm_plugin_contracts::credential_plugin::v1`)
/// for specs of type `typ` (a [`Type`] or its text), with a hand-written `schema`; the
/// implementation decodes specs itself (see [`SpecExt`](crate::SpecExt)).
pub fn untyped<R, F>(
    typ: impl TryInto<Type, Error: std::fmt::Display>,
    schema: JsonSchema,
    factory: F,
) -> Registration
where
    R: raw::CredentialPlugin,
    F: FnOnce(&PluginContext) -> std::result::Result<R, BoxError> + Send + 'static,
{
    Registration::untyped::<Capability>(
        registration::parse_type(typ, || "a credential plugin type".to_owned()),
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
    R: raw::CredentialPlugin,
    F: FnOnce(PluginContext) -> Fut + Send + 'static,
    Fut: Future<Output = std::result::Result<R, BoxError>> + Send + 'static,
{
    Registration::untyped::<Capability>(
        registration::parse_type(typ, || "a credential plugin type".to_owned()),
        schema,
        None,
        registration::asynchronous::<Capability, _, _, _>(factory, raw_handle),
    )
}
