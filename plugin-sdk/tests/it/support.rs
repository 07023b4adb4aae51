//! A fake in-memory repository and request helpers.

use std::{
    collections::BTreeMap,
    sync::{Arc, Mutex},
};

use axum::{
    Router,
    body::Body,
    http::{HeaderMap, Request, StatusCode},
};
use http_body_util::BodyExt as _;
use ocm_plugin_endpoints::{AUTHORIZATION, Route};
use ocm_plugin_sdk::{
    Plugin,
    contracts::{Error, Result, async_trait, component_version_repository::v1::*},
    types::{
        Credentials, Descriptor, Identity, JsonSchema, Location, PluginConfig, Resource, Source,
    },
};
use tower::ServiceExt as _;

/// The descriptor golden of spec §5.0 (`TestGetComponentVersionHandlerFunc`).
pub(crate) const DESCRIPTOR: &str = r#"{"meta":{"schemaVersion":"1.0.0"},"component":{"name":"component","version":"1.0.0","repositoryContexts":null,"provider":"ocm.software","resources":null,"sources":null,"componentReferences":null}}"#;
/// The response body of `transcript-07-local-resource-download.txt`.
pub(crate) const LOCAL_RESOURCE: &str = r#"{"location":{"type":"localFile","value":"/tmp/test-resource-file48921622"},"resource":{"name":"test-resource","version":"v0.0.1","type":"resource-type","relation":"local","access":{"access":"v1"},"digest":{"hashAlgorithm":"SHA-256","normalisationAlgorithm":"jsonNormalisation/v1","value":"test-value"}}}"#;
pub(crate) const SOURCE: &str =
    r#"{"name":"src","version":"v1","type":"git","access":{"type":"gitHub/v1"}}"#;
pub(crate) const SPEC: &str = r#"{"type":"Memory/v1","baseUrl":"https://example.com"}"#;

/// What the fake saw, for assertions.
#[derive(Debug, Default)]
pub(crate) struct Seen {
    pub(crate) credentials: Vec<Credentials>,
    pub(crate) identities: Vec<Option<Identity>>,
    pub(crate) repositories: Vec<Option<String>>,
}

/// An in-memory component version repository. `tag` tells instances apart.
#[derive(Clone, Default)]
pub(crate) struct Memory {
    pub(crate) tag: &'static str,
    pub(crate) store: Arc<Mutex<BTreeMap<(String, String), Descriptor>>>,
    pub(crate) seen: Arc<Mutex<Seen>>,
}

impl Memory {
    pub(crate) fn tagged(tag: &'static str) -> Self {
        let m = Self {
            tag,
            ..Self::default()
        };
        let d: Descriptor = serde_json::from_str(DESCRIPTOR).unwrap();
        m.store
            .lock()
            .unwrap()
            .insert(("component".into(), "1.0.0".into()), d);
        m
    }

    fn record(&self, credentials: &Credentials, repository: Option<&ocm_plugin_sdk::types::Raw>) {
        let mut seen = self.seen.lock().unwrap();
        seen.credentials.push(credentials.clone());
        seen.repositories.push(repository.map(|r| r.to_json()));
    }
}

#[async_trait]
impl ComponentVersionRepository for Memory {
    async fn get_component_version(
        &self,
        r: GetComponentVersionRequest,
        c: &Credentials,
    ) -> Result<Descriptor> {
        self.record(c, r.repository.as_ref());
        if r.name == "panic" {
            panic!("the fake was asked to panic");
        }
        let store = self.store.lock().unwrap();
        store
            .get(&(r.name.clone(), r.version.clone()))
            .cloned()
            .ok_or_else(|| {
                Error::NotFound(format!(
                    "component version {}:{} not found",
                    r.name, r.version
                ))
            })
    }

    async fn list_component_versions(
        &self,
        r: ListComponentVersionsRequest,
        c: &Credentials,
    ) -> Result<Vec<String>> {
        self.record(c, r.repository.as_ref());
        let store = self.store.lock().unwrap();
        Ok(store
            .keys()
            .filter(|(n, _)| *n == r.name)
            .map(|(_, v)| v.clone())
            .collect())
    }

    async fn add_component_version(
        &self,
        r: AddComponentVersionRequest,
        c: &Credentials,
    ) -> Result<()> {
        self.record(c, Some(&r.repository));
        let key = (
            r.descriptor.component.name.clone(),
            r.descriptor.component.version.clone(),
        );
        self.store.lock().unwrap().insert(key, r.descriptor);
        Ok(())
    }

    async fn get_local_resource(
        &self,
        r: GetLocalResourceRequest,
        c: &Credentials,
    ) -> Result<GetLocalResourceResponse> {
        self.record(c, r.repository.as_ref());
        self.seen.lock().unwrap().identities.push(r.identity);
        Ok(serde_json::from_str(LOCAL_RESOURCE).unwrap())
    }

    async fn get_local_source(
        &self,
        r: GetLocalSourceRequest,
        c: &Credentials,
    ) -> Result<GetLocalSourceResponse> {
        self.record(c, r.repository.as_ref());
        self.seen.lock().unwrap().identities.push(r.identity);
        Ok(GetLocalSourceResponse {
            location: Location::local_file(format!("/tmp/{}-source", self.tag)),
            source: serde_json::from_str(SOURCE).unwrap(),
        })
    }

    async fn add_local_resource(
        &self,
        r: AddLocalResourceRequest,
        c: &Credentials,
    ) -> Result<Resource> {
        self.record(c, Some(&r.repository));
        let mut resource = r.resource;
        resource.version = format!("{}-stored", resource.version);
        Ok(resource)
    }

    async fn add_local_source(&self, r: AddLocalSourceRequest, c: &Credentials) -> Result<Source> {
        self.record(c, Some(&r.repository));
        Ok(r.source)
    }

    async fn get_identity(&self, r: GetIdentityRequest) -> Result<GetIdentityResponse> {
        let host = r
            .typ
            .get("baseUrl")
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_owned();
        let identity = [
            ("type".to_owned(), self.tag.to_owned()),
            ("hostname".to_owned(), host),
        ]
        .into();
        Ok(GetIdentityResponse { identity })
    }

    async fn check_health(&self, r: CheckHealthRequest, c: &Credentials) -> Result<()> {
        self.record(c, Some(&r.repository));
        match r.repository.get("baseUrl").and_then(|v| v.as_str()) {
            Some("down") => Err(Error::internal("repository unreachable")),
            _ => Ok(()),
        }
    }
}

/// A repository that implements nothing: every operation is "not supported".
pub(crate) struct Nothing;

#[async_trait]
impl ComponentVersionRepository for Nothing {}

pub(crate) fn config() -> PluginConfig {
    serde_json::from_str(r#"{"id":"it","type":"unix","idleTimeout":60000000000}"#).unwrap()
}

/// A plugin serving one in-memory repository for `Memory/v1`.
pub(crate) fn router_with(memory: &Memory) -> Router {
    let memory = memory.clone();
    // The fake echoes Go's test data, whose access `{"access":"v1"}` has no type.
    Plugin::new("it")
        .check_answers(false)
        .register(ocm_plugin_sdk::component_version_repository::untyped(
            "Memory/v1",
            JsonSchema::permissive(),
            move |_| Ok(memory),
        ))
        .into_router(config())
        .unwrap()
}

pub(crate) fn router() -> Router {
    router_with(&Memory::tagged("memory"))
}

/// A response, read whole.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: String,
}

impl Answer {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }

    /// Asserts a Go `http.Error` answer: status, exact text body, text headers.
    #[track_caller]
    pub(crate) fn assert_text_error(&self, status: u16, body: &str) {
        assert_eq!(self.status.as_u16(), status, "{self:?}");
        assert_eq!(self.body, body, "{self:?}");
        assert_eq!(
            self.header("content-type"),
            Some("text/plain; charset=utf-8")
        );
        assert_eq!(self.header("x-content-type-options"), Some("nosniff"));
    }

    /// Asserts a JSON success and returns the JSON text without its trailing newline.
    #[track_caller]
    pub(crate) fn assert_json(&self) -> &str {
        assert_eq!(self.status, StatusCode::OK, "{self:?}");
        assert_eq!(
            self.header("content-type"),
            Some("application/json"),
            "{self:?}"
        );
        self.body
            .strip_suffix('\n')
            .expect("JSON bodies end with a newline")
    }

    #[track_caller]
    pub(crate) fn assert_empty_ok(&self) {
        assert_eq!(self.status, StatusCode::OK, "{self:?}");
        assert_eq!(self.body, "", "{self:?}");
    }
}

pub(crate) async fn send(router: &Router, request: Request<Body>) -> Answer {
    let response = router.clone().oneshot(request).await.unwrap();
    let (parts, body) = response.into_parts();
    let bytes = body.collect().await.unwrap().to_bytes();
    Answer {
        status: parts.status,
        headers: parts.headers,
        body: String::from_utf8(bytes.to_vec()).unwrap(),
    }
}

/// A request as a manager sends it: the route's method, `Authorization: {}`.
pub(crate) fn request(route: &Route, query: &[(&str, &str)], body: &str) -> Request<Body> {
    Request::builder()
        .method(route.method.clone())
        .uri(route.uri(query))
        .header(AUTHORIZATION, "{}")
        .header("content-type", "application/json")
        .body(Body::from(body.to_owned()))
        .unwrap()
}

/// The same request with a different (or no) `Authorization` header.
pub(crate) fn with_auth(mut request: Request<Body>, value: Option<&str>) -> Request<Body> {
    request.headers_mut().remove(AUTHORIZATION);
    if let Some(v) = value {
        request
            .headers_mut()
            .insert(AUTHORIZATION, v.parse().unwrap());
    }
    request
}

pub(crate) fn b64(json: &str) -> String {
    ocm_plugin_endpoints::encode_json_param(json)
}

/// The dual capabilities document (spec §10.2): the v0.0.1 half's keys, then the v0.0.11+
/// half's, in one object. Each half must be a whole JSON object of its own.
pub(crate) fn dual(v1: &str, current: &str) -> String {
    for half in [v1, current] {
        serde_json::from_str::<serde_json::Value>(half).unwrap_or_else(|e| panic!("{half}: {e}"));
    }
    format!("{},{}", &v1[..v1.len() - 1], &current[1..])
}
