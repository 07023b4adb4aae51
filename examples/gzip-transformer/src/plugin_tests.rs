//! The plugin as the SDK serves it: capabilities and HTTP routes, in process.

use std::fs;

use axum::{
    Router,
    body::Body,
    http::{Request, StatusCode},
};
use http_body_util::BodyExt as _;
use ocm_plugin_endpoints::{AUTHORIZATION, Route, blob_transformer as routes};
use ocm_plugin_types::{Capabilities, PluginConfig, Type};
use tower::ServiceExt as _;

use crate::{TRANSFORMER_TYPE, plugin, transformer_schema};

fn transformer_type() -> Type {
    TRANSFORMER_TYPE.parse().unwrap()
}

fn router() -> Router {
    let config: PluginConfig = serde_json::from_value(serde_json::json!({
        "id": "gzip-transformer-test",
        "type": "unix",
    }))
    .unwrap();
    plugin(transformer_type()).into_router(config).unwrap()
}

/// A request as a Go manager sends it: `Authorization` with credentials, JSON body.
fn request(route: &Route, body: &serde_json::Value) -> Request<Body> {
    Request::builder()
        .method(route.method.clone())
        .uri(route.uri(&[]))
        .header(AUTHORIZATION, r#"{"username":"ignored"}"#)
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
fn capabilities_declare_type_and_schema() {
    let caps: Capabilities =
        serde_json::from_str(&plugin(transformer_type()).capabilities_json()).unwrap();
    let entries = &caps.types.unwrap()["blobTransformer"];
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].typ.to_string(), TRANSFORMER_TYPE);
    assert_eq!(
        entries[0].json_schema.as_ref().unwrap().0,
        transformer_schema().0
    );
}

#[test]
fn serves_the_protocol_like_a_go_manager_calls_it() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("blob");
    let original = b"over the wire, over the wire, over the wire".repeat(100);
    fs::write(&file, &original).unwrap();
    let router = router();
    block_on(async {
        let body = serde_json::json!({
            "location": {"type": "localFile", "value": file, "mediaType": "text/plain"},
            "specification": {"type": "GzipTransformer/v1", "mode": "compress", "level": 9},
        });
        let (status, text) = send(&router, request(&routes::TRANSFORM_BLOB, &body)).await;
        assert_eq!(status, StatusCode::OK, "{text}");
        let answer: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(answer["location"]["type"], "localFile");
        assert_eq!(answer["location"]["mediaType"], "application/gzip");
        let compressed = answer["location"]["value"].as_str().unwrap().to_owned();
        assert_ne!(compressed, file.to_str().unwrap());
        assert!(fs::metadata(&compressed).unwrap().len() < original.len() as u64);
        assert_eq!(fs::read(&file).unwrap(), original);

        let body = serde_json::json!({
            "location": {"type": "localFile", "value": compressed},
            "specification": {"type": "GzipTransformer/v1", "mode": "decompress"},
        });
        let (status, text) = send(&router, request(&routes::TRANSFORM_BLOB, &body)).await;
        assert_eq!(status, StatusCode::OK, "{text}");
        let answer: serde_json::Value = serde_json::from_str(&text).unwrap();
        let decompressed = answer["location"]["value"].as_str().unwrap();
        assert_eq!(fs::read(decompressed).unwrap(), original);
        fs::remove_file(decompressed).unwrap();
        fs::remove_file(&compressed).unwrap();

        // Not gzip data: a client error with the plugin's message.
        let body = serde_json::json!({
            "location": {"type": "localFile", "value": file},
            "specification": {"type": "GzipTransformer/v1", "mode": "decompress"},
        });
        let (status, text) = send(&router, request(&routes::TRANSFORM_BLOB, &body)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{text}");
        assert!(text.contains("input is not gzip data"), "{text}");

        let body = serde_json::json!({
            "location": {"type": "remoteURL", "value": "https://example.org/blob"},
            "specification": {"type": "GzipTransformer/v1", "mode": "compress"},
        });
        let (status, text) = send(&router, request(&routes::TRANSFORM_BLOB, &body)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{text}");
        assert!(text.contains("remoteURL"), "{text}");

        let body = serde_json::json!({"type": {"type": "GzipTransformer/v1", "mode": "compress"}});
        let (status, text) = send(&router, request(&routes::GET_IDENTITY, &body)).await;
        assert_eq!(status, StatusCode::OK, "{text}");
        let id: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            id["identity"],
            serde_json::json!({"type": "GzipTransformer"})
        );
    });
}
