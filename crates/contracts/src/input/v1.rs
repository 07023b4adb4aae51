//! Version 1 of the input contract.
//!
//! Requests carry a resource or source in the **constructor** shape (v0.0.2+: with `input`),
//! which is also a superset of the v0.0.1 shape (a descriptor v2 resource with `access`), so one
//! type decodes both. The response's [`Location`] is handed over to the caller.

use ocm_plugin_types::{Credentials, Identity, Label, Location, Raw, Resource, Source};
use serde::{Deserialize, Serialize};

pub use crate::identity::{GetIdentityRequest, GetIdentityResponse};
use crate::{Error, Result, async_trait};

/// A resource as a component constructor declares it: with an `input` to process, or (v0.0.1)
/// an `access`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ConstructorResource {
    /// Resource name.
    #[serde(default)]
    pub name: String,
    /// Resource version.
    #[serde(default)]
    pub version: String,
    /// Labels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<Vec<Label>>,
    /// Extra identity attributes.
    #[serde(
        rename = "extraIdentity",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub extra_identity: Option<Identity>,
    /// Resource type.
    #[serde(rename = "type", default)]
    pub resource_type: String,
    /// `local` or `external`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub relation: String,
    /// The input to process (v0.0.2+).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<Raw>,
    /// An access (what v0.0.1 managers send instead of `input`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access: Option<Raw>,
}

/// A source as a component constructor declares it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ConstructorSource {
    /// Source name.
    #[serde(default)]
    pub name: String,
    /// Source version.
    #[serde(default)]
    pub version: String,
    /// Labels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<Vec<Label>>,
    /// Extra identity attributes.
    #[serde(
        rename = "extraIdentity",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub extra_identity: Option<Identity>,
    /// Source type.
    #[serde(rename = "type", default)]
    pub source_type: String,
    /// The input to process (v0.0.2+).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<Raw>,
    /// An access (v0.0.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access: Option<Raw>,
}

impl ConstructorResource {
    /// The spec that selects the input method: `input`, or `access` from a v0.0.1 peer.
    pub fn spec(&self) -> Option<&Raw> {
        self.input.as_ref().or(self.access.as_ref())
    }
}

impl ConstructorSource {
    /// The spec that selects the input method: `input`, or `access` from a v0.0.1 peer.
    pub fn spec(&self) -> Option<&Raw> {
        self.input.as_ref().or(self.access.as_ref())
    }
}

/// `POST /resource/process`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProcessResourceRequest {
    /// The resource with its input.
    pub resource: ConstructorResource,
}

/// Answer of `POST /resource/process`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProcessResourceResponse {
    /// The resource as it goes into the descriptor.
    pub resource: Resource,
    /// The produced blob, handed over to the caller.
    pub location: Location,
}

/// `POST /source/process`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProcessSourceRequest {
    /// The source with its input.
    pub source: ConstructorSource,
}

/// Answer of `POST /source/process`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProcessSourceResponse {
    /// The source as it goes into the descriptor.
    pub source: Source,
    /// The produced blob, handed over to the caller.
    pub location: Location,
}

/// An input method.
#[async_trait]
pub trait InputMethod: Send + Sync + 'static {
    /// Processes a resource input into a blob.
    async fn process_resource(
        &self,
        request: ProcessResourceRequest,
        credentials: &Credentials,
    ) -> Result<ProcessResourceResponse> {
        let _ = (request, credentials);
        Err(Error::Unsupported("process-resource"))
    }

    /// Processes a source input into a blob.
    async fn process_source(
        &self,
        request: ProcessSourceRequest,
        credentials: &Credentials,
    ) -> Result<ProcessSourceResponse> {
        let _ = (request, credentials);
        Err(Error::Unsupported("process-source"))
    }

    /// The consumer identity for an input spec (Go SDK plugins do not serve it).
    async fn get_identity(&self, request: GetIdentityRequest) -> Result<GetIdentityResponse> {
        let _ = request;
        Err(Error::Unsupported("get-identity"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_both_request_shapes() {
        // v0.0.1: a descriptor v2 resource with an access.
        let v1: ProcessResourceRequest = serde_json::from_str(
            r#"{"resource":{"name":"test-resource","version":"v1.0.0","type":"test-type","relation":"local","access":{"type":"DummyRepository/v1","baseUrl":"x"}}}"#,
        )
        .unwrap();
        assert_eq!(
            v1.resource.spec().unwrap().type_().unwrap().to_string(),
            "DummyRepository/v1"
        );
        // v0.0.2+: a constructor resource with an input.
        let v2: ProcessResourceRequest = serde_json::from_str(
            r#"{"resource":{"name":"r","version":"1","type":"blob","input":{"type":"file/v1","path":"/x"}}}"#,
        )
        .unwrap();
        assert_eq!(
            v2.resource.spec().unwrap().type_().unwrap().to_string(),
            "file/v1"
        );
        assert_eq!(
            serde_json::to_string(&v2).unwrap(),
            r#"{"resource":{"name":"r","version":"1","type":"blob","input":{"path":"/x","type":"file/v1"}}}"#
        );
    }
}
