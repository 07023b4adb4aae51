//! The plugin as the SDK serves it: capabilities, configuration and HTTP routes, in process.

use std::{fs, path::Path};

use axum::{
    Router,
    body::Body,
    http::{Request, StatusCode},
};
use http_body_util::BodyExt as _;
use ocm_plugin_endpoints::{
    AUTHORIZATION, Route, component_version_repository as cvr, encode_json_param,
};
use ocm_plugin_types::{Capabilities, Descriptor, PluginConfig, Resource, Type};
use tower::ServiceExt as _;

use crate::{CONFIG_TYPE, REPOSITORY_TYPE, plugin, repository_schema};

fn types() -> (Type, Type) {
    (
        REPOSITORY_TYPE.parse().unwrap(),
        CONFIG_TYPE.parse().unwrap(),
    )
}

fn config(entries: serde_json::Value) -> PluginConfig {
    serde_json::from_value(serde_json::json!({
        "id": "directory-test",
        "type": "unix",
        "configTypes": entries,
    }))
    .unwrap()
}

fn router(root: &Path) -> Router {
    let (r, c) = types();
    plugin(r, c)
        .into_router(config(serde_json::json!([
            {"type": "other.config/v1", "root": "/elsewhere"},
            {"type": CONFIG_TYPE, "root": root},
        ])))
        .unwrap()
}

/// A request as a Go manager sends it: `Authorization` with credentials, JSON body.
fn request(route: &Route, query: &[(&str, &str)], body: &str) -> Request<Body> {
    Request::builder()
        .method(route.method.clone())
        .uri(route.uri(query))
        .header(
            AUTHORIZATION,
            r#"{"username":"ignored","password":"ignored"}"#,
        )
        .header("content-type", "application/json")
        .body(Body::from(body.to_owned()))
        .unwrap()
}

async fn send(router: &Router, request: Request<Body>) -> (StatusCode, String) {
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8(bytes.to_vec()).unwrap())
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

#[test]
fn capabilities_declare_type_schema_and_config() {
    let (r, c) = types();
    let json = plugin(r, c).capabilities_json();
    let caps: Capabilities = serde_json::from_str(&json).unwrap();
    let entries = &caps.types.unwrap()["componentVersionRepository"];
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].typ.to_string(), REPOSITORY_TYPE);
    assert_eq!(
        entries[0].json_schema.as_ref().unwrap().0,
        repository_schema().0
    );
    assert_eq!(
        caps.config_types
            .iter()
            .map(Type::to_string)
            .collect::<Vec<_>>(),
        [CONFIG_TYPE]
    );
}

#[test]
fn factory_validates_the_config() {
    let (r, c) = types();
    let err = plugin(r, c)
        .into_router(config(
            serde_json::json!([{"type": CONFIG_TYPE, "root": "relative"}]),
        ))
        .unwrap_err();
    assert!(err.to_string().contains("relative"), "{err}");

    let (r, c) = types();
    assert!(
        plugin(r, c)
            .into_router(config(
                serde_json::json!([{"type": CONFIG_TYPE, "root": 7}])
            ))
            .is_err()
    );

    // No configuration at all is fine: every request then needs a spec with a path.
    let (r, c) = types();
    let _router = plugin(r, c)
        .into_router(config(serde_json::json!([])))
        .unwrap();
}

#[test]
fn serves_the_protocol_like_a_go_manager_calls_it() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("repo");
    let router = router(&root);
    let spec = serde_json::json!({"type": REPOSITORY_TYPE, "path": root});
    block_on(async {
        // POST requests carry the spec.
        let body = serde_json::json!({
            "repository": spec,
            "descriptor": {"meta":{"schemaVersion":"v2"},"component":{"name":"acme.org/app","version":"1.0.0","repositoryContexts":null,"provider":"acme.org","resources":null,"sources":null,"componentReferences":null}},
        });
        let (status, text) = send(
            &router,
            request(&cvr::ADD_COMPONENT_VERSION, &[], &body.to_string()),
        )
        .await;
        assert_eq!((status, text.as_str()), (StatusCode::OK, ""));

        let input = dir.path().join("input.bin");
        fs::write(&input, b"over the wire").unwrap();
        let body = serde_json::json!({
            "repository": spec,
            "name": "acme.org/app",
            "version": "1.0.0",
            "resourceLocation": {"type": "localFile", "value": input},
            "resource": {"name":"data","version":"1.0.0","type":"blob","relation":"local","access":null},
        });
        let (status, text) = send(
            &router,
            request(&cvr::ADD_LOCAL_RESOURCE, &[], &body.to_string()),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{text}");
        let stored: Resource = serde_json::from_str(&text).unwrap();
        assert_eq!(
            stored.access.unwrap().type_().unwrap().to_string(),
            "localBlob/v1"
        );

        // GET requests from a Go manager carry no spec: the configured root is used.
        let query = [("name", "acme.org/app"), ("version", "1.0.0")];
        let (status, text) = send(&router, request(&cvr::GET_COMPONENT_VERSION, &query, "")).await;
        assert_eq!(status, StatusCode::OK, "{text}");
        let d: Descriptor = serde_json::from_str(&text).unwrap();
        assert_eq!(d.component.resources.unwrap()[0].name, "data");

        let (status, text) = send(
            &router,
            request(
                &cvr::LIST_COMPONENT_VERSIONS,
                &[("name", "acme.org/app")],
                "",
            ),
        )
        .await;
        assert_eq!((status, text.trim_end()), (StatusCode::OK, r#"["1.0.0"]"#));

        let identity = encode_json_param(r#"{"name":"data","version":"1.0.0"}"#);
        let query = [
            ("name", "acme.org/app"),
            ("version", "1.0.0"),
            ("identity", identity.as_str()),
        ];
        let (status, text) = send(&router, request(&cvr::GET_LOCAL_RESOURCE, &query, "")).await;
        assert_eq!(status, StatusCode::OK, "{text}");
        let answer: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(answer["location"]["type"], "localFile");
        let path = answer["location"]["value"].as_str().unwrap();
        assert_eq!(fs::read(path).unwrap(), b"over the wire");
        fs::remove_file(path).unwrap();

        let query = [("name", "acme.org/app"), ("version", "9.9.9")];
        let (status, text) = send(&router, request(&cvr::GET_COMPONENT_VERSION, &query, "")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(
            text.contains("component version acme.org/app:9.9.9 not found in"),
            "{text}"
        );

        // The Go manager's /identity sends the empty prototype.
        let (status, text) = send(
            &router,
            request(&cvr::GET_IDENTITY, &[], r#"{"type":{"type":"","path":""}}"#),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{text}");
        let id: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(id["identity"]["type"], "DirectoryRepository");
        assert_eq!(id["identity"]["path"], root.to_str().unwrap());

        let body = serde_json::json!({"repository": spec}).to_string();
        let (status, text) = send(&router, request(&cvr::CHECK_HEALTH, &[], &body)).await;
        assert_eq!(status, StatusCode::OK, "{text}");
    });
}
