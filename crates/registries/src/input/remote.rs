//! The remote client: the contract trait implemented by HTTP calls to an external plugin.

use ocm_plugin_contracts::{
    Result, async_trait,
    input::v1::{
        GetIdentityRequest, GetIdentityResponse, InputMethod, ProcessResourceRequest,
        ProcessResourceResponse, ProcessSourceRequest, ProcessSourceResponse,
    },
};
use ocm_plugin_endpoints::input as routes;
use ocm_plugin_types::{Credentials, Location, Raw, Resource, Source};
use serde::Deserialize;

use super::CAPABILITY;
use crate::ExternalPlugin;

/// An input method served by an external plugin, bound to the input spec it was looked up
/// with. Each request's `input` (or `access`) is validated against the plugin's schema for its
/// type before anything is sent; a request with neither is refused.
#[derive(Debug, Clone)]
pub struct RemoteInputMethod {
    plugin: ExternalPlugin,
    spec: Raw,
}

/// The answers as they may arrive: a Go plugin can leave either field `null`.
#[derive(Deserialize, Default)]
struct ResourceAnswer {
    #[serde(default)]
    resource: Option<Resource>,
    #[serde(default)]
    location: Option<Location>,
}

#[derive(Deserialize, Default)]
struct SourceAnswer {
    #[serde(default)]
    source: Option<Source>,
    #[serde(default)]
    location: Option<Location>,
}

impl RemoteInputMethod {
    pub(crate) fn new(plugin: ExternalPlugin, spec: Raw) -> Self {
        Self { plugin, spec }
    }

    /// The plugin behind this handle.
    pub fn plugin(&self) -> &ExternalPlugin {
        &self.plugin
    }
}

#[async_trait]
impl InputMethod for RemoteInputMethod {
    async fn process_resource(
        &self,
        request: ProcessResourceRequest,
        credentials: &Credentials,
    ) -> Result<ProcessResourceResponse> {
        let route = &routes::PROCESS_RESOURCE;
        self.plugin.check_present(
            CAPABILITY,
            Some(&self.spec),
            request.resource.spec(),
            &request.resource,
        )?;
        let answer: Option<ResourceAnswer> =
            self.plugin.post(route, &request, Some(credentials)).await?;
        let answer = answer.unwrap_or_default();
        Ok(ProcessResourceResponse {
            resource: self
                .plugin
                .required(CAPABILITY, route, "resource", answer.resource)?,
            location: self
                .plugin
                .required(CAPABILITY, route, "location", answer.location)?,
        })
    }

    async fn process_source(
        &self,
        request: ProcessSourceRequest,
        credentials: &Credentials,
    ) -> Result<ProcessSourceResponse> {
        let route = &routes::PROCESS_SOURCE;
        self.plugin.check_present(
            CAPABILITY,
            Some(&self.spec),
            request.source.spec(),
            &request.source,
        )?;
        let answer: Option<SourceAnswer> =
            self.plugin.post(route, &request, Some(credentials)).await?;
        let answer = answer.unwrap_or_default();
        Ok(ProcessSourceResponse {
            source: self
                .plugin
                .required(CAPABILITY, route, "source", answer.source)?,
            location: self
                .plugin
                .required(CAPABILITY, route, "location", answer.location)?,
        })
    }

    /// Go SDK plugins do not serve `/identity` for inputs and answer 404 (`NotFound`).
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
