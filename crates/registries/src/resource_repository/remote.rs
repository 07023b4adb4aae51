//! The remote client: the contract trait implemented by HTTP calls to an external plugin.

use ocm_plugin_contracts::{
    Result, async_trait,
    resource_repository::v1::{
        AddGlobalResourceRequest, AddGlobalResourceResponse, GetGlobalResourceRequest,
        GetGlobalResourceResponse, GetIdentityRequest, GetIdentityResponse, ResourceRepository,
    },
};
use ocm_plugin_endpoints::resource_repository as routes;
use ocm_plugin_types::{Credentials, Location, Raw, Resource};
use serde::Deserialize;

use super::CAPABILITY;
use crate::ExternalPlugin;

/// A resource repository served by an external plugin, bound to the access spec it was looked
/// up with. Each request's `resource.access` is validated against the plugin's schema for its
/// type; a resource without `access` is refused. Credentials are always sent (Go SDK plugins
/// up to v0.0.15 ignore them).
#[derive(Debug, Clone)]
pub struct RemoteResourceRepository {
    plugin: ExternalPlugin,
    spec: Raw,
}

/// The answers as they may arrive: a Go plugin can leave the field `null`.
#[derive(Deserialize, Default)]
struct LocationAnswer {
    #[serde(default)]
    location: Option<Location>,
}

#[derive(Deserialize, Default)]
struct ResourceAnswer {
    #[serde(default)]
    resource: Option<Resource>,
}

impl RemoteResourceRepository {
    pub(crate) fn new(plugin: ExternalPlugin, spec: Raw) -> Self {
        Self { plugin, spec }
    }

    /// The plugin behind this handle.
    pub fn plugin(&self) -> &ExternalPlugin {
        &self.plugin
    }

    fn check(&self, resource: &Resource) -> Result<()> {
        self.plugin.check_present(
            CAPABILITY,
            Some(&self.spec),
            resource.access.as_ref(),
            resource,
        )
    }
}

#[async_trait]
impl ResourceRepository for RemoteResourceRepository {
    async fn get_global_resource(
        &self,
        request: GetGlobalResourceRequest,
        credentials: &Credentials,
    ) -> Result<GetGlobalResourceResponse> {
        let route = &routes::GET_GLOBAL_RESOURCE;
        self.check(&request.resource)?;
        let answer: Option<LocationAnswer> =
            self.plugin.post(route, &request, Some(credentials)).await?;
        let location = answer.unwrap_or_default().location;
        Ok(GetGlobalResourceResponse {
            location: self
                .plugin
                .required(CAPABILITY, route, "location", location)?,
        })
    }

    async fn add_global_resource(
        &self,
        request: AddGlobalResourceRequest,
        credentials: &Credentials,
    ) -> Result<AddGlobalResourceResponse> {
        let route = &routes::ADD_GLOBAL_RESOURCE;
        self.check(&request.resource)?;
        let answer: Option<ResourceAnswer> =
            self.plugin.post(route, &request, Some(credentials)).await?;
        let resource = answer.unwrap_or_default().resource;
        Ok(AddGlobalResourceResponse {
            resource: self
                .plugin
                .required(CAPABILITY, route, "resource", resource)?,
        })
    }

    /// Go SDK plugins fail on any non-null spec here (spec §5.5).
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
}
