//! The remote client: the contract trait implemented by HTTP calls to an external plugin.

use ocm_plugin_contracts::{
    Result, async_trait,
    digest_processor::v1::{
        DigestProcessor, GetIdentityRequest, GetIdentityResponse, ProcessResourceDigestRequest,
        ProcessResourceDigestResponse,
    },
};
use ocm_plugin_endpoints::digest_processor as routes;
use ocm_plugin_types::{Credentials, Raw, Resource};
use serde::Deserialize;

use super::CAPABILITY;
use crate::ExternalPlugin;

/// A digest processor served by an external plugin, bound to the access spec it was looked up
/// with. Each request's `resource.access` is validated against the plugin's schema for its
/// type (the Go manager validated nothing here); a resource without `access` is refused.
#[derive(Debug, Clone)]
pub struct RemoteDigestProcessor {
    plugin: ExternalPlugin,
    spec: Raw,
}

/// The answer as it may arrive: a Go plugin can leave `resource` `null`.
#[derive(Deserialize, Default)]
struct Answer {
    #[serde(default)]
    resource: Option<Resource>,
}

impl RemoteDigestProcessor {
    pub(crate) fn new(plugin: ExternalPlugin, spec: Raw) -> Self {
        Self { plugin, spec }
    }

    /// The plugin behind this handle.
    pub fn plugin(&self) -> &ExternalPlugin {
        &self.plugin
    }
}

#[async_trait]
impl DigestProcessor for RemoteDigestProcessor {
    async fn process_resource_digest(
        &self,
        request: ProcessResourceDigestRequest,
        credentials: &Credentials,
    ) -> Result<ProcessResourceDigestResponse> {
        let route = &routes::PROCESS_RESOURCE_DIGEST;
        self.plugin.check_present(
            CAPABILITY,
            Some(&self.spec),
            request.resource.access.as_ref(),
            &request.resource,
        )?;
        let answer: Option<Answer> = self.plugin.post(route, &request, Some(credentials)).await?;
        let resource = answer.unwrap_or_default().resource;
        Ok(ProcessResourceDigestResponse {
            resource: self
                .plugin
                .required(CAPABILITY, route, "resource", resource)?,
        })
    }

    /// Go SDK plugins fail on any non-null spec here (spec §5.4).
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
