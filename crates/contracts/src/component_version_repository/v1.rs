//! Version 1 of the component version repository contract, wire-compatible with OCM Go v0.0.1.
//!
//! Blob ownership: a [`Location`] in a *request* stays owned by the caller, so the implementation
//! must finish reading it before it answers. A [`Location`] in a *response* is handed over: the
//! caller owns that file from then on and deletes it when done, so implementations must answer
//! with a copy, never with their own stored file.

use ocm_plugin_types::{Credentials, Descriptor, Identity, Location, Raw, Resource, Source};
use serde::{Deserialize, Serialize};

pub use crate::identity::{GetIdentityRequest, GetIdentityResponse};
use crate::{Error, Result, async_trait};

/// `GET /component-version/download`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GetComponentVersionRequest {
    /// The repository spec. `None` when the caller did not send it (a Go manager never does on
    /// GET requests); implementations then fall back to their configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository: Option<Raw>,
    /// Component name.
    pub name: String,
    /// Component version.
    pub version: String,
}

/// `GET /component-versions`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ListComponentVersionsRequest {
    /// The repository spec, if the caller sent it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository: Option<Raw>,
    /// Component name.
    pub name: String,
}

/// `POST /component-version/upload`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AddComponentVersionRequest {
    /// The repository spec.
    pub repository: Raw,
    /// The descriptor to store.
    pub descriptor: Descriptor,
}

/// `GET /local-resource/download`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GetLocalResourceRequest {
    /// The repository spec, if the caller sent it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository: Option<Raw>,
    /// Component name.
    pub name: String,
    /// Component version.
    pub version: String,
    /// Identity of the resource within the component version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<Identity>,
}

/// `GET /local-source/download`: the same fields as [`GetLocalResourceRequest`].
pub type GetLocalSourceRequest = GetLocalResourceRequest;

/// Answer of `GET /local-resource/download`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GetLocalResourceResponse {
    /// The blob, handed over to the caller.
    pub location: Location,
    /// The stored resource.
    pub resource: Resource,
}

/// Answer of `GET /local-source/download`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GetLocalSourceResponse {
    /// The blob, handed over to the caller.
    pub location: Location,
    /// The stored source.
    pub source: Source,
}

/// `POST /local-resource/upload`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AddLocalResourceRequest {
    /// The repository spec.
    pub repository: Raw,
    /// Component name.
    pub name: String,
    /// Component version.
    pub version: String,
    /// The blob; owned by the caller, read it before answering.
    #[serde(rename = "resourceLocation")]
    pub resource_location: Location,
    /// The resource to store.
    pub resource: Resource,
}

/// `POST /local-source/upload`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AddLocalSourceRequest {
    /// The repository spec.
    pub repository: Raw,
    /// Component name.
    pub name: String,
    /// Component version.
    pub version: String,
    /// The blob; owned by the caller, read it before answering.
    #[serde(rename = "sourceLocation")]
    pub source_location: Location,
    /// The source to store.
    pub source: Source,
}

/// `POST /component-version/check-health`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckHealthRequest {
    /// The repository spec.
    pub repository: Raw,
}

/// A component version repository.
///
/// Every method has a default that fails with [`Error::Unsupported`], so an implementation
/// overrides only what it offers (a read-only repository, for example).
#[async_trait]
pub trait ComponentVersionRepository: Send + Sync + 'static {
    /// Reads a component descriptor.
    async fn get_component_version(
        &self,
        request: GetComponentVersionRequest,
        credentials: &Credentials,
    ) -> Result<Descriptor> {
        let _ = (request, credentials);
        Err(Error::Unsupported("get-component-version"))
    }

    /// Lists the versions of a component.
    async fn list_component_versions(
        &self,
        request: ListComponentVersionsRequest,
        credentials: &Credentials,
    ) -> Result<Vec<String>> {
        let _ = (request, credentials);
        Err(Error::Unsupported("list-component-versions"))
    }

    /// Stores a component descriptor.
    async fn add_component_version(
        &self,
        request: AddComponentVersionRequest,
        credentials: &Credentials,
    ) -> Result<()> {
        let _ = (request, credentials);
        Err(Error::Unsupported("add-component-version"))
    }

    /// Reads a local resource blob.
    async fn get_local_resource(
        &self,
        request: GetLocalResourceRequest,
        credentials: &Credentials,
    ) -> Result<GetLocalResourceResponse> {
        let _ = (request, credentials);
        Err(Error::Unsupported("get-local-resource"))
    }

    /// Reads a local source blob.
    async fn get_local_source(
        &self,
        request: GetLocalSourceRequest,
        credentials: &Credentials,
    ) -> Result<GetLocalSourceResponse> {
        let _ = (request, credentials);
        Err(Error::Unsupported("get-local-source"))
    }

    /// Stores a local resource blob and returns the resource as stored (with its access).
    async fn add_local_resource(
        &self,
        request: AddLocalResourceRequest,
        credentials: &Credentials,
    ) -> Result<Resource> {
        let _ = (request, credentials);
        Err(Error::Unsupported("add-local-resource"))
    }

    /// Stores a local source blob and returns the source as stored.
    async fn add_local_source(
        &self,
        request: AddLocalSourceRequest,
        credentials: &Credentials,
    ) -> Result<Source> {
        let _ = (request, credentials);
        Err(Error::Unsupported("add-local-source"))
    }

    /// The consumer identity for a repository spec, used to look up credentials.
    async fn get_identity(&self, request: GetIdentityRequest) -> Result<GetIdentityResponse> {
        let _ = request;
        Err(Error::Unsupported("get-identity"))
    }

    /// Checks that the repository is reachable.
    async fn check_health(
        &self,
        request: CheckHealthRequest,
        credentials: &Credentials,
    ) -> Result<()> {
        let _ = (request, credentials);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_bodies_match_go() {
        // The AddComponentVersion body from spec §5.1.
        let body = r#"{"repository":{"type":"DummyRepository/v1","baseUrl":"https://ocm.software/test"},"descriptor":{"meta":{"schemaVersion":"v2"},"component":{"name":"test-component","version":"1.0.0","repositoryContexts":null,"provider":"ocm.software","resources":null,"sources":null,"componentReferences":null}}}"#;
        let req: AddComponentVersionRequest = serde_json::from_str(body).unwrap();
        assert_eq!(req.descriptor.component.name, "test-component");
        // Raw re-emits its keys sorted, as Go does after decoding.
        assert!(serde_json::to_string(&req).unwrap().starts_with(
            r#"{"repository":{"baseUrl":"https://ocm.software/test","type":"DummyRepository/v1"},"descriptor":"#
        ));

        let ident =
            r#"{"type":{"baseUrl":"https://ocm.software/test","type":"DummyRepository/v1"}}"#;
        let req: GetIdentityRequest = serde_json::from_str(ident).unwrap();
        assert_eq!(serde_json::to_string(&req).unwrap(), ident);
    }

    #[test]
    fn go_null_identity_decodes_empty() {
        let r: GetIdentityResponse = serde_json::from_str(r#"{"identity":null}"#).unwrap();
        assert!(r.identity.is_empty());
    }

    #[test]
    fn local_resource_response_from_go() {
        let body = r#"{"location":{"type":"localFile","value":"/tmp/test-resource-file220037243"},"resource":{"name":"test-resource","version":"v0.0.1","type":"resource-type","relation":"local","access":{"access":"v1"},"digest":{"hashAlgorithm":"SHA-256","normalisationAlgorithm":"jsonNormalisation/v1","value":"test-value"}}}"#;
        let r: GetLocalResourceResponse = serde_json::from_str(body).unwrap();
        assert_eq!(serde_json::to_string(&r).unwrap(), body);
        assert!(
            serde_json::from_str::<GetLocalResourceResponse>(
                r#"{"location":{"type":"localFile","value":"x"},"resource":null}"#
            )
            .is_err()
        );
    }

    #[test]
    fn error_statuses() {
        assert_eq!(Error::InvalidArgument(String::new()).status(), 400);
        assert_eq!(Error::Unauthorized(String::new()).status(), 401);
        assert_eq!(Error::NotFound(String::new()).status(), 404);
        assert_eq!(Error::Unsupported("x").status(), 501);
        assert_eq!(Error::internal("x").status(), 500);
        let e = Error::internal_with("reading blob", std::io::Error::other("disk on fire"));
        assert_eq!(e.to_string(), "reading blob: disk on fire");
    }
}
