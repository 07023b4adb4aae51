//! Digest processors: fill in a resource's digest, for resources whose access is of
//! the registered type.
//!
//! This module holds what a digest processor needs: the typed trait [`DigestProcessor`], the registration
//! functions [`typed`] and [`untyped`] (and their `_async` twins), and every request and
//! response type of the contract (`ocm_plugin_contracts::digest_processor::v1`, whose trait of the same
//! name is the untyped one). The [guide](crate::guide) shows it at work.

use std::{future::Future, sync::Arc};

pub use ocm_plugin_contracts::digest_processor::v1::*;
use ocm_plugin_contracts::{BoxError, Error, Result, async_trait, digest_processor::v1 as raw};
use ocm_plugin_endpoints::digest_processor::DigestProcessor as Capability;
pub use ocm_plugin_types::{Credentials, Identity};
use ocm_plugin_types::{JsonSchema, Type};

use crate::{PluginContext, Registration, TypedSpec, registration, typed::decode};

/// A digest processor for the spec type [`Self::Spec`], which the SDK has checked against its
/// derived schema and decoded before each call. Unimplemented operations answer 501, like
/// the Go SDK.
#[async_trait]
pub trait DigestProcessor: Send + Sync + 'static {
    /// The resource's access, e.g. `{"type":"OCIImage/v1","imageReference":…}`.
    type Spec: TypedSpec + Send;

    /// The resource with its digest ([`PROCESS_RESOURCE_DIGEST`](crate::endpoints::digest_processor::PROCESS_RESOURCE_DIGEST)).
    async fn process_resource_digest(
        &self,
        spec: Self::Spec,
        request: ProcessResourceDigestRequest,
        credentials: &Credentials,
    ) -> Result<ProcessResourceDigestResponse>;

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
impl<R: DigestProcessor> raw::DigestProcessor for Typed<R> {
    async fn process_resource_digest(
        &self,
        request: ProcessResourceDigestRequest,
        credentials: &Credentials,
    ) -> Result<ProcessResourceDigestResponse> {
        let spec = decode(request.resource.access.as_ref())?;
        self.0
            .process_resource_digest(spec, request, credentials)
            .await
    }

    async fn get_identity(&self, request: GetIdentityRequest) -> Result<GetIdentityResponse> {
        let identity = self.0.identity(decode(Some(&request.typ))?).await?;
        Ok(GetIdentityResponse { identity })
    }
}

fn typed_handle<R: DigestProcessor>(r: R) -> Arc<dyn raw::DigestProcessor> {
    Arc::new(Typed(r))
}

fn raw_handle<R: raw::DigestProcessor>(r: R) -> Arc<dyn raw::DigestProcessor> {
    Arc::new(r)
}

/// Registers the typed digest processor `R` for its spec type `R::Spec`, schema derived;
/// `factory` runs once when the plugin starts serving (never for `capabilities`), and its
/// error stops the plugin with exit code 1.
pub fn typed<R, F>(factory: F) -> Registration
where
    R: DigestProcessor,
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
    R: DigestProcessor,
    F: FnOnce(PluginContext) -> Fut + Send + 'static,
    Fut: Future<Output = std::result::Result<R, BoxError>> + Send + 'static,
{
    Registration::typed::<Capability, R::Spec>(
        None,
        registration::asynchronous::<Capability, _, _, _>(factory, typed_handle),
    )
}

/// Registers an implementation of the untyped contract (`ocm_plugin_contracts::digest_processor::v1`)
/// for specs of type `typ` (a [`Type`] or its text), with a hand-written `schema`; the
/// implementation decodes specs itself (see [`SpecExt`](crate::SpecExt)).
pub fn untyped<R, F>(
    typ: impl TryInto<Type, Error: std::fmt::Display>,
    schema: JsonSchema,
    factory: F,
) -> Registration
where
    R: raw::DigestProcessor,
    F: FnOnce(&PluginContext) -> std::result::Result<R, BoxError> + Send + 'static,
{
    Registration::untyped::<Capability>(
        registration::parse_type(typ, || "a digest processor type".to_owned()),
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
    R: raw::DigestProcessor,
    F: FnOnce(PluginContext) -> Fut + Send + 'static,
    Fut: Future<Output = std::result::Result<R, BoxError>> + Send + 'static,
{
    Registration::untyped::<Capability>(
        registration::parse_type(typ, || "a digest processor type".to_owned()),
        schema,
        None,
        registration::asynchronous::<Capability, _, _, _>(factory, raw_handle),
    )
}
