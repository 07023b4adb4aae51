//! The plugin as the SDK serves it: capabilities and HTTP routes, in process.

use std::fs;

use axum::{
    Router,
    body::Body,
    http::{Request, StatusCode},
};
use http_body_util::BodyExt as _;
use ocm_plugin_endpoints::{Route, resource_repository as routes};
use ocm_plugin_types::{Capabilities, PluginConfig, Resource, Type};
use tower::ServiceExt as _;

use crate::{ACCESS_TYPE, access_schema, plugin};

fn access_type() -> Type {
    ACCESS_TYPE.parse().unwrap()
}

fn router() -> Router {
    let config: PluginConfig = serde_json::from_value(serde_json::json!({
        "id": "local-resources-test",
        "type": "unix",
    }))
    .unwrap();
    plugin(access_type()).into_router(config).unwrap()
}

/// A request as a Go manager sends it: JSON body; a v0.0.1 manager sends no credentials the
/// plugin would need.
fn request(route: &Route, body: &serde_json::Value) -> Request<Body> {
    Request::builder()
        .method(route.method.clone())
        .uri(route.uri(&[]))
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
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
fn capabilities_declare_the_access_type_and_schema() {
    let json = plugin(access_type()).capabilities_json();
    let caps: Capabilities = serde_json::from_str(&json).unwrap();
    let entries = &caps.types.unwrap()["resourceRepository"];
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].typ.to_string(), ACCESS_TYPE);
    assert_eq!(
        entries[0].json_schema.as_ref().unwrap().0,
        access_schema().0
    );
}

#[test]
fn serves_the_protocol_like_a_go_manager_calls_it() {
    let dir = tempfile::tempdir().unwrap();
    let upload = dir.path().join("upload.bin");
    fs::write(&upload, b"over the wire").unwrap();
    let target = dir.path().join("store/data.bin");
    let access =
        serde_json::json!({"type": ACCESS_TYPE, "path": target, "mediaType": "text/plain"});
    let resource = serde_json::json!({
        "name": "data", "version": "1.0.0", "type": "blob", "relation": "external", "access": access,
    });
    let router = router();
    block_on(async {
        let body = serde_json::json!({
            "resourceLocation": {"type": "localFile", "value": upload},
            "resource": resource,
        });
        let (status, text) = send(&router, request(&routes::ADD_GLOBAL_RESOURCE, &body)).await;
        assert_eq!(status, StatusCode::OK, "{text}");
        let answer: serde_json::Value = serde_json::from_str(&text).unwrap();
        let stored: Resource = serde_json::from_value(answer["resource"].clone()).unwrap();
        assert_eq!(stored.digest.unwrap().hash_algorithm, "SHA-256");
        assert_eq!(fs::read(&target).unwrap(), b"over the wire");
        assert_eq!(fs::read(&upload).unwrap(), b"over the wire");

        let body = serde_json::json!({"resource": resource});
        let (status, text) = send(&router, request(&routes::GET_GLOBAL_RESOURCE, &body)).await;
        assert_eq!(status, StatusCode::OK, "{text}");
        let answer: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(answer["location"]["type"], "localFile");
        assert_eq!(answer["location"]["mediaType"], "text/plain");
        let path = answer["location"]["value"].as_str().unwrap();
        assert_ne!(path, target.to_str().unwrap());
        assert_eq!(fs::read(path).unwrap(), b"over the wire");
        fs::remove_file(path).unwrap();

        let missing = serde_json::json!({"resource": {
            "name": "gone", "version": "1.0.0", "type": "blob", "relation": "external",
            "access": {"type": ACCESS_TYPE, "path": dir.path().join("missing.bin")},
        }});
        let (status, text) = send(&router, request(&routes::GET_GLOBAL_RESOURCE, &missing)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{text}");
        assert!(text.contains("missing.bin"), "{text}");

        let (status, text) = send(
            &router,
            request(&routes::GET_IDENTITY, &serde_json::json!({"type": access})),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{text}");
        let id: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            id["identity"],
            serde_json::json!({"type": "localFile", "path": target})
        );
    });
}
