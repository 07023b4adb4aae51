//! Component listers (plugin module v0.0.8+): list a repository's component names, a
//! page at a time.
//!
//! This module holds what a component lister needs: the typed trait [`ComponentLister`], the registration
//! functions [`typed`] and [`untyped`] (and their `_async` twins), and every request and
//! response type of the contract (`ocm_plugin_contracts::component_lister::v1`, whose trait of the same
//! name is the untyped one). The [guide](crate::guide) shows it at work.

pub use ocm_plugin_contracts::component_lister::v1::*;
use ocm_plugin_contracts::{Error, Result, async_trait, component_lister::v1 as raw};
use ocm_plugin_endpoints::component_lister::ComponentLister as Capability;
pub use ocm_plugin_types::{Credentials, Identity};

use crate::{TypedSpec, typed::decode};

/// A component lister for the spec type [`Self::Spec`], which the SDK has checked against its
/// derived schema and decoded before each call. Unimplemented operations answer 501, like
/// the Go SDK.
#[async_trait]
pub trait ComponentLister: Send + Sync + 'static {
    /// The repository spec, e.g. `{"type":"MyRepo/v1"}`.
    type Spec: TypedSpec + Send;

    /// One page of component names ([`LIST_COMPONENTS`](crate::endpoints::component_lister::LIST_COMPONENTS)).
    async fn list_components(
        &self,
        spec: Self::Spec,
        request: ListComponentsRequest,
        credentials: &Credentials,
    ) -> Result<ListComponentsResponse>;

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
impl<R: ComponentLister> raw::ComponentLister for Typed<R> {
    async fn list_components(
        &self,
        request: ListComponentsRequest,
        credentials: &Credentials,
    ) -> Result<ListComponentsResponse> {
        let spec = decode(Some(&request.repository))?;
        self.0.list_components(spec, request, credentials).await
    }

    async fn get_identity(&self, request: GetIdentityRequest) -> Result<GetIdentityResponse> {
        let identity = self.0.identity(decode(Some(&request.typ))?).await?;
        Ok(GetIdentityResponse { identity })
    }
}

crate::kinds::registrations! {
    trait: ComponentLister,
    what: "component lister",
    contract: "ocm_plugin_contracts::component_lister::v1"
}
