//! The remote client: the contract trait implemented by HTTP calls to an external plugin.

use ocm_plugin_contracts::{
    Result, async_trait,
    blob_transformer::v1::{
        BlobTransformer, GetIdentityRequest, GetIdentityResponse, TransformBlobRequest,
        TransformBlobResponse,
    },
};
use ocm_plugin_endpoints::blob_transformer as routes;
use ocm_plugin_types::{Credentials, Location, Raw};
use serde::Deserialize;

use super::CAPABILITY;
use crate::ExternalPlugin;

/// A blob transformer served by an external plugin, bound to the transformer spec it was looked
/// up with. Each request's `specification` is validated against the plugin's schema for its
/// type.
///
/// The request's `location` stays the caller's (e.g. a [`RequestFile`](crate::RequestFile)
/// kept alive until this call returns); the answer's location is handed over to the caller.
#[derive(Debug, Clone)]
pub struct RemoteBlobTransformer {
    plugin: ExternalPlugin,
    spec: Raw,
}

/// The answer as it may arrive: a Go plugin can leave `location` `null`, or (on an
/// undecodable request) answer 200 with an empty body, which the runtime reports.
#[derive(Deserialize, Default)]
struct Answer {
    #[serde(default)]
    location: Option<Location>,
}

impl RemoteBlobTransformer {
    pub(crate) fn new(plugin: ExternalPlugin, spec: Raw) -> Self {
        Self { plugin, spec }
    }

    /// The plugin behind this handle.
    pub fn plugin(&self) -> &ExternalPlugin {
        &self.plugin
    }
}

#[async_trait]
impl BlobTransformer for RemoteBlobTransformer {
    async fn transform_blob(
        &self,
        request: TransformBlobRequest,
        credentials: &Credentials,
    ) -> Result<TransformBlobResponse> {
        let route = &routes::TRANSFORM_BLOB;
        self.plugin
            .check(CAPABILITY, Some(&self.spec), &request.specification)?;
        let answer: Option<Answer> = self.plugin.post(route, &request, Some(credentials)).await?;
        let location = answer.unwrap_or_default().location;
        Ok(TransformBlobResponse {
            location: self
                .plugin
                .required(CAPABILITY, route, "location", location)?,
        })
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
}
