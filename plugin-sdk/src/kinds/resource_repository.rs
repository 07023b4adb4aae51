//! Resource repositories: download and upload resources by their access (an OCI image,
//! a blob in a store), for accesses of the registered type. Credentials are optional.
//!
//! This module holds what a resource repository needs: the typed trait [`ResourceRepository`], the registration
//! functions [`typed`] and [`untyped`] (and their `_async` twins), and every request and
//! response type of the contract (`ocm_plugin_contracts::resource_repository::v1`, whose trait of the same
//! name is the untyped one). The [guide](crate::guide) shows it at work.

use std::{future::Future, sync::Arc};

pub use ocm_plugin_contracts::resource_repository::v1::*;
use ocm_plugin_contracts::{BoxError, Error, Result, async_trait, resource_repository::v1 as raw};
use ocm_plugin_endpoints::resource_repository::ResourceRepository as Capability;
pub use ocm_plugin_types::{Credentials, Identity};
use ocm_plugin_types::{JsonSchema, Type};

use crate::{PluginContext, Registration, TypedSpec, registration, typed::decode};

/// A resource repository for the spec type [`Self::Spec`], which the SDK has checked against its
/// derived schema and decoded before each call. Unimplemented operations answer 501, like
/// the Go SDK.
#[async_trait]
pub trait ResourceRepository: Send + Sync + 'static {
    /// The resource's access, e.g. `{"type":"OCIImage/v1","imageReference":…}`.
    type Spec: TypedSpec + Send;

    /// The resource's blob ([`GET_GLOBAL_RESOURCE`](crate::endpoints::resource_repository::GET_GLOBAL_RESOURCE)).
    async fn get_global_resource(
        &self,
        spec: Self::Spec,
        request: GetGlobalResourceRequest,
        credentials: &Credentials,
    ) -> Result<GetGlobalResourceResponse>;

    /// Stores a blob where the access says ([`ADD_GLOBAL_RESOURCE`](crate::endpoints::resource_repository::ADD_GLOBAL_RESOURCE)).
    async fn add_global_resource(
        &self,
        spec: Self::Spec,
        request: AddGlobalResourceRequest,
        credentials: &Credentials,
    ) -> Result<AddGlobalResourceResponse> {
        let _ = (spec, request, credentials);
        Err(Error::Unsupported("add-global-resource"))
    }

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
impl<R: ResourceRepository> raw::ResourceRepository for Typed<R> {
    async fn get_global_resource(
        &self,
        request: GetGlobalResourceRequest,
        credentials: &Credentials,
    ) -> Result<GetGlobalResourceResponse> {
        let spec = decode(request.resource.access.as_ref())?;
        self.0.get_global_resource(spec, request, credentials).await
    }

    async fn add_global_resource(
        &self,
        request: AddGlobalResourceRequest,
        credentials: &Credentials,
    ) -> Result<AddGlobalResourceResponse> {
        let spec = decode(request.resource.access.as_ref())?;
        self.0.add_global_resource(spec, request, credentials).await
    }

    async fn get_identity(&self, request: GetIdentityRequest) -> Result<GetIdentityResponse> {
        let identity = self.0.identity(decode(Some(&request.typ))?).await?;
        Ok(GetIdentityResponse { identity })
    }
}

fn typed_handle<R: ResourceRepository>(r: R) -> Arc<dyn raw::ResourceRepository> {
    Arc::new(Typed(r))
}

fn raw_handle<R: raw::ResourceRepository>(r: R) -> Arc<dyn raw::ResourceRepository> {
    Arc::new(r)
}

/// Registers the typed resource repository `R` for its spec type `R::Spec`, schema derived;
/// `factory` runs once when the plugin starts serving (never for `capabilities`), and its
/// error stops the plugin with exit code 1.
pub fn typed<R, F>(factory: F) -> Registration
where
    R: ResourceRepository,
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
    R: ResourceRepository,
    F: FnOnce(PluginContext) -> Fut + Send + 'static,
    Fut: Future<Output = std::result::Result<R, BoxError>> + Send + 'static,
{
    Registration::typed::<Capability, R::Spec>(
        None,
        registration::asynchronous::<Capability, _, _, _>(factory, typed_handle),
    )
}

/// Registers an implementation of the untyped contract (`ocm_plugin_contracts::resource_repository::v1`)
/// for specs of type `typ` (a [`Type`] or its text), with a hand-written `schema`; the
/// implementation decodes specs itself (see [`SpecExt`](crate::SpecExt)).
pub fn untyped<R, F>(
    typ: impl TryInto<Type, Error: std::fmt::Display>,
    schema: JsonSchema,
    factory: F,
) -> Registration
where
    R: raw::ResourceRepository,
    F: FnOnce(&PluginContext) -> std::result::Result<R, BoxError> + Send + 'static,
{
    Registration::untyped::<Capability>(
        registration::parse_type(typ, || "a resource repository type".to_owned()),
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
    R: raw::ResourceRepository,
    F: FnOnce(PluginContext) -> Fut + Send + 'static,
    Fut: Future<Output = std::result::Result<R, BoxError>> + Send + 'static,
{
    Registration::untyped::<Capability>(
        registration::parse_type(typ, || "a resource repository type".to_owned()),
        schema,
        None,
        registration::asynchronous::<Capability, _, _, _>(factory, raw_handle),
    )
}
