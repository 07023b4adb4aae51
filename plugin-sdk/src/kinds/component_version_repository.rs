//! Component version repositories: store and read component versions and their local
//! blobs in a repository described by a repository spec (`{"type":"MyRepo/v1", …}`).
//!
//! This module holds what a component version repository needs: the typed trait [`ComponentVersionRepository`], the registration
//! functions [`typed`] and [`untyped`] (and their `_async` twins), and every request and
//! response type of the contract (`ocm_plugin_contracts::component_version_repository::v1`, whose trait of the same
//! name is the untyped one). The [guide](crate::guide) shows it at work.

pub use ocm_plugin_contracts::component_version_repository::v1::*;
use ocm_plugin_contracts::{Error, Result, async_trait, component_version_repository::v1 as raw};
use ocm_plugin_endpoints::component_version_repository::ComponentVersionRepository as Capability;
pub use ocm_plugin_types::{Credentials, Descriptor, Identity, Resource, Source};

use crate::{TypedSpec, typed::decode};

/// A component version repository for the spec type [`Self::Spec`], which the SDK has checked against its
/// derived schema and decoded before each call. Unimplemented operations answer 501, like
/// the Go SDK.
#[async_trait]
pub trait ComponentVersionRepository: Send + Sync + 'static {
    /// The repository spec, e.g. `{"type":"Memory/v1"}`. Reads from Go managers carry none (`None`): take the repository from the plugin configuration then.
    type Spec: TypedSpec + Send;

    /// One component version's descriptor ([`GET_COMPONENT_VERSION`](crate::endpoints::component_version_repository::GET_COMPONENT_VERSION)).
    async fn get_component_version(
        &self,
        spec: Option<Self::Spec>,
        request: GetComponentVersionRequest,
        credentials: &Credentials,
    ) -> Result<Descriptor> {
        let _ = (spec, request, credentials);
        Err(Error::Unsupported("get-component-version"))
    }

    /// The versions of a component ([`LIST_COMPONENT_VERSIONS`](crate::endpoints::component_version_repository::LIST_COMPONENT_VERSIONS)).
    async fn list_component_versions(
        &self,
        spec: Option<Self::Spec>,
        request: ListComponentVersionsRequest,
        credentials: &Credentials,
    ) -> Result<Vec<String>> {
        let _ = (spec, request, credentials);
        Err(Error::Unsupported("list-component-versions"))
    }

    /// Stores a descriptor ([`ADD_COMPONENT_VERSION`](crate::endpoints::component_version_repository::ADD_COMPONENT_VERSION)).
    async fn add_component_version(
        &self,
        spec: Self::Spec,
        request: AddComponentVersionRequest,
        credentials: &Credentials,
    ) -> Result<()> {
        let _ = (spec, request, credentials);
        Err(Error::Unsupported("add-component-version"))
    }

    /// A local resource's blob ([`GET_LOCAL_RESOURCE`](crate::endpoints::component_version_repository::GET_LOCAL_RESOURCE)).
    async fn get_local_resource(
        &self,
        spec: Option<Self::Spec>,
        request: GetLocalResourceRequest,
        credentials: &Credentials,
    ) -> Result<GetLocalResourceResponse> {
        let _ = (spec, request, credentials);
        Err(Error::Unsupported("get-local-resource"))
    }

    /// A local source's blob ([`GET_LOCAL_SOURCE`](crate::endpoints::component_version_repository::GET_LOCAL_SOURCE)).
    async fn get_local_source(
        &self,
        spec: Option<Self::Spec>,
        request: GetLocalSourceRequest,
        credentials: &Credentials,
    ) -> Result<GetLocalSourceResponse> {
        let _ = (spec, request, credentials);
        Err(Error::Unsupported("get-local-source"))
    }

    /// Stores a local resource's blob ([`ADD_LOCAL_RESOURCE`](crate::endpoints::component_version_repository::ADD_LOCAL_RESOURCE)).
    async fn add_local_resource(
        &self,
        spec: Self::Spec,
        request: AddLocalResourceRequest,
        credentials: &Credentials,
    ) -> Result<Resource> {
        let _ = (spec, request, credentials);
        Err(Error::Unsupported("add-local-resource"))
    }

    /// Stores a local source's blob ([`ADD_LOCAL_SOURCE`](crate::endpoints::component_version_repository::ADD_LOCAL_SOURCE)).
    async fn add_local_source(
        &self,
        spec: Self::Spec,
        request: AddLocalSourceRequest,
        credentials: &Credentials,
    ) -> Result<Source> {
        let _ = (spec, request, credentials);
        Err(Error::Unsupported("add-local-source"))
    }

    /// Whether the repository is reachable ([`CHECK_HEALTH`](crate::endpoints::component_version_repository::CHECK_HEALTH)); healthy by default.
    async fn check_health(
        &self,
        spec: Self::Spec,
        request: CheckHealthRequest,
        credentials: &Credentials,
    ) -> Result<()> {
        let _ = (spec, request, credentials);
        Ok(())
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
impl<R: ComponentVersionRepository> raw::ComponentVersionRepository for Typed<R> {
    async fn get_component_version(
        &self,
        request: GetComponentVersionRequest,
        credentials: &Credentials,
    ) -> Result<Descriptor> {
        let spec = request
            .repository
            .as_ref()
            .map(|spec| decode(Some(spec)))
            .transpose()?;
        self.0
            .get_component_version(spec, request, credentials)
            .await
    }

    async fn list_component_versions(
        &self,
        request: ListComponentVersionsRequest,
        credentials: &Credentials,
    ) -> Result<Vec<String>> {
        let spec = request
            .repository
            .as_ref()
            .map(|spec| decode(Some(spec)))
            .transpose()?;
        self.0
            .list_component_versions(spec, request, credentials)
            .await
    }

    async fn add_component_version(
        &self,
        request: AddComponentVersionRequest,
        credentials: &Credentials,
    ) -> Result<()> {
        let spec = decode(Some(&request.repository))?;
        self.0
            .add_component_version(spec, request, credentials)
            .await
    }

    async fn get_local_resource(
        &self,
        request: GetLocalResourceRequest,
        credentials: &Credentials,
    ) -> Result<GetLocalResourceResponse> {
        let spec = request
            .repository
            .as_ref()
            .map(|spec| decode(Some(spec)))
            .transpose()?;
        self.0.get_local_resource(spec, request, credentials).await
    }

    async fn get_local_source(
        &self,
        request: GetLocalSourceRequest,
        credentials: &Credentials,
    ) -> Result<GetLocalSourceResponse> {
        let spec = request
            .repository
            .as_ref()
            .map(|spec| decode(Some(spec)))
            .transpose()?;
        self.0.get_local_source(spec, request, credentials).await
    }

    async fn add_local_resource(
        &self,
        request: AddLocalResourceRequest,
        credentials: &Credentials,
    ) -> Result<Resource> {
        let spec = decode(Some(&request.repository))?;
        self.0.add_local_resource(spec, request, credentials).await
    }

    async fn add_local_source(
        &self,
        request: AddLocalSourceRequest,
        credentials: &Credentials,
    ) -> Result<Source> {
        let spec = decode(Some(&request.repository))?;
        self.0.add_local_source(spec, request, credentials).await
    }

    async fn check_health(
        &self,
        request: CheckHealthRequest,
        credentials: &Credentials,
    ) -> Result<()> {
        let spec = decode(Some(&request.repository))?;
        self.0.check_health(spec, request, credentials).await
    }

    async fn get_identity(&self, request: GetIdentityRequest) -> Result<GetIdentityResponse> {
        let identity = self.0.identity(decode(Some(&request.typ))?).await?;
        Ok(GetIdentityResponse { identity })
    }
}

crate::kinds::registrations! {
    trait: ComponentVersionRepository,
    what: "component version repository",
    contract: "ocm_plugin_contracts::component_version_repository::v1"
}
