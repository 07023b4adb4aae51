//! Resource repositories: download and upload resources by their access (an OCI image,
//! a blob in a store), for accesses of the registered type. Credentials are optional.
//!
//! This module holds what a resource repository needs: the typed trait [`ResourceRepository`], the registration
//! functions [`typed`] and [`untyped`] (and their `_async` twins), and every request and
//! response type of the contract (`ocm_plugin_contracts::resource_repository::v1`, whose trait of the same
//! name is the untyped one). The [guide](crate::guide) shows it at work.

pub use ocm_plugin_contracts::resource_repository::v1::*;
use ocm_plugin_contracts::{Error, Result, async_trait, resource_repository::v1 as raw};
use ocm_plugin_endpoints::resource_repository::ResourceRepository as Capability;
pub use ocm_plugin_types::{Credentials, Identity};

use crate::{TypedSpec, typed::decode};

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

crate::kinds::registrations! {
    trait: ResourceRepository,
    what: "resource repository",
    contract: "ocm_plugin_contracts::resource_repository::v1"
}
