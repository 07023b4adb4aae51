//! The remote client: the contract trait implemented by HTTP calls to an external plugin.

use ocm_plugin_contracts::{
    Result, async_trait,
    component_version_repository::v1::{
        AddComponentVersionRequest, AddLocalResourceRequest, AddLocalSourceRequest,
        CheckHealthRequest, GetComponentVersionRequest, GetIdentityRequest, GetIdentityResponse,
        GetLocalResourceRequest, GetLocalResourceResponse, GetLocalSourceRequest,
        GetLocalSourceResponse, ListComponentVersionsRequest, Repository,
    },
};
use ocm_plugin_endpoints::{component_version_repository as routes, encode_json_param};
use ocm_plugin_types::{Credentials, Descriptor, Identity, Raw, Resource, Source};

use super::CAPABILITY;
use crate::{ExternalPlugin, remote_error::to_contract_error};

/// A component version repository served by an external plugin, bound to one repository spec.
///
/// GET requests also carry the spec as the base64-JSON query parameter `repository`, so our
/// plugins know which repository a read targets; Go plugins ignore it.
#[derive(Debug, Clone)]
pub struct RemoteRepository {
    plugin: ExternalPlugin,
    spec: Raw,
}

impl RemoteRepository {
    pub(crate) fn new(plugin: ExternalPlugin, spec: Raw) -> Self {
        Self { plugin, spec }
    }

    /// The plugin behind this handle.
    pub fn plugin(&self) -> &ExternalPlugin {
        &self.plugin
    }

    /// The spec the request names, or the bound one, validated.
    fn spec<'a>(&'a self, requested: Option<&'a Raw>) -> Result<&'a Raw> {
        let spec = requested.unwrap_or(&self.spec);
        self.plugin.check(CAPABILITY, Some(&self.spec), spec)?;
        Ok(spec)
    }

    async fn get<T: serde::de::DeserializeOwned>(
        &self,
        route: &ocm_plugin_endpoints::Route,
        query: &[(&str, &str)],
        credentials: &Credentials,
    ) -> Result<T> {
        self.plugin
            .supervisor()
            .call_json(route, query, Some(credentials), None)
            .await
            .map_err(|e| to_contract_error(e.into()))
    }

    /// The local resource and local source downloads share their parameters.
    async fn get_local<T: serde::de::DeserializeOwned>(
        &self,
        route: &ocm_plugin_endpoints::Route,
        request: GetLocalResourceRequest,
        credentials: &Credentials,
    ) -> Result<T> {
        let spec = encode_json_param(&self.spec(request.repository.as_ref())?.to_json());
        let identity = identity_param(request.identity.as_ref());
        let query = [
            (routes::IDENTITY_PARAM, identity.as_str()),
            (routes::NAME_PARAM, request.name.as_str()),
            (routes::VERSION_PARAM, request.version.as_str()),
            (routes::REPOSITORY_PARAM, spec.as_str()),
        ];
        self.get(route, &query, credentials).await
    }
}

fn identity_param(identity: Option<&Identity>) -> String {
    // Go sends a nil identity as base64 of `null`.
    let json = serde_json::to_string(&identity).unwrap_or_else(|_| "null".to_owned());
    encode_json_param(&json)
}

#[async_trait]
impl Repository for RemoteRepository {
    async fn get_component_version(
        &self,
        request: GetComponentVersionRequest,
        credentials: &Credentials,
    ) -> Result<Descriptor> {
        let spec = encode_json_param(&self.spec(request.repository.as_ref())?.to_json());
        let query = [
            (routes::NAME_PARAM, request.name.as_str()),
            (routes::VERSION_PARAM, request.version.as_str()),
            (routes::REPOSITORY_PARAM, spec.as_str()),
        ];
        self.get(&routes::GET_COMPONENT_VERSION, &query, credentials)
            .await
    }

    async fn list_component_versions(
        &self,
        request: ListComponentVersionsRequest,
        credentials: &Credentials,
    ) -> Result<Vec<String>> {
        let spec = encode_json_param(&self.spec(request.repository.as_ref())?.to_json());
        let query = [
            (routes::NAME_PARAM, request.name.as_str()),
            (routes::REPOSITORY_PARAM, spec.as_str()),
        ];
        // Go encodes a nil list as `null`.
        let list: Option<Vec<String>> = self
            .get(&routes::LIST_COMPONENT_VERSIONS, &query, credentials)
            .await?;
        Ok(list.unwrap_or_default())
    }

    async fn add_component_version(
        &self,
        request: AddComponentVersionRequest,
        credentials: &Credentials,
    ) -> Result<()> {
        self.spec(Some(&request.repository))?;
        self.plugin
            .post_no_result(&routes::ADD_COMPONENT_VERSION, &request, Some(credentials))
            .await
    }

    async fn get_local_resource(
        &self,
        request: GetLocalResourceRequest,
        credentials: &Credentials,
    ) -> Result<GetLocalResourceResponse> {
        self.get_local(&routes::GET_LOCAL_RESOURCE, request, credentials)
            .await
    }

    async fn get_local_source(
        &self,
        request: GetLocalSourceRequest,
        credentials: &Credentials,
    ) -> Result<GetLocalSourceResponse> {
        self.get_local(&routes::GET_LOCAL_SOURCE, request, credentials)
            .await
    }

    async fn add_local_resource(
        &self,
        request: AddLocalResourceRequest,
        credentials: &Credentials,
    ) -> Result<Resource> {
        self.spec(Some(&request.repository))?;
        self.plugin
            .post(&routes::ADD_LOCAL_RESOURCE, &request, Some(credentials))
            .await
    }

    async fn add_local_source(
        &self,
        request: AddLocalSourceRequest,
        credentials: &Credentials,
    ) -> Result<Source> {
        self.spec(Some(&request.repository))?;
        self.plugin
            .post(&routes::ADD_LOCAL_SOURCE, &request, Some(credentials))
            .await
    }

    async fn get_identity(&self, request: GetIdentityRequest) -> Result<GetIdentityResponse> {
        self.plugin
            .get_identity(
                CAPABILITY,
                &routes::GET_IDENTITY,
                Some(&self.spec),
                &request,
            )
            .await
    }

    async fn check_health(
        &self,
        request: CheckHealthRequest,
        credentials: &Credentials,
    ) -> Result<()> {
        self.spec(Some(&request.repository))?;
        self.plugin
            .post_no_result(&routes::CHECK_HEALTH, &request, Some(credentials))
            .await
    }
}
