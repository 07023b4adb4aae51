//! The plugin as the SDK serves it: capabilities and HTTP routes, in process.

use std::fs;

use axum::{
    Router,
    body::Body,
    http::{Request, StatusCode},
};
use http_body_util::BodyExt as _;
use ocm_plugin_endpoints::{AUTHORIZATION, Route, digest_processor as routes};
use ocm_plugin_types::{Capabilities, PluginConfig, Type};
use sha2::{Digest as _, Sha256};
use tower::ServiceExt as _;

use crate::{ACCESS_TYPE, access_schema, plugin};

fn access_type() -> Type {
    ACCESS_TYPE.parse().unwrap()
}

fn router() -> Router {
    let config: PluginConfig = serde_json::from_value(serde_json::json!({
        "id": "sha256-digester-test",
        "type": "unix",
    }))
    .unwrap();
    plugin(access_type()).into_router(config).unwrap()
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
        serde_json::from_str(&plugin(access_type()).capabilities_json()).unwrap();
    let entries = &caps.types.unwrap()["digestProcessorRepository"];
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
    let file = dir.path().join("blob");
    fs::write(&file, b"over the wire").unwrap();
    let hex: String = Sha256::digest(b"over the wire")
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let router = router();
    block_on(async {
        let access = serde_json::json!({"type": "localFile/v1", "path": file});
        let body = serde_json::json!({"resource": {
            "name": "data", "version": "1.0.0", "type": "blob", "relation": "local",
            "access": access,
        }});
        let (status, text) = send(&router, request(&routes::PROCESS_RESOURCE_DIGEST, &body)).await;
        assert_eq!(status, StatusCode::OK, "{text}");
        let answer: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            answer,
            serde_json::json!({"resource": {
                "name": "data", "version": "1.0.0", "type": "blob", "relation": "local",
                "access": access,
                "digest": {
                    "hashAlgorithm": "SHA-256",
                    "normalisationAlgorithm": "genericBlobDigest/v1",
                    "value": hex,
                },
            }})
        );
        assert_eq!(fs::read(&file).unwrap(), b"over the wire");

        // A declared digest that does not match is a client error.
        let body = serde_json::json!({"resource": {
            "name": "data", "version": "1.0.0", "type": "blob", "relation": "local",
            "access": access,
            "digest": {"hashAlgorithm": "SHA-256", "normalisationAlgorithm": "genericBlobDigest/v1", "value": "00"},
        }});
        let (status, text) = send(&router, request(&routes::PROCESS_RESOURCE_DIGEST, &body)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{text}");
        assert!(
            text.contains(&format!("digest mismatch: declared 00, computed {hex}")),
            "{text}"
        );

        let missing =
            serde_json::json!({"type": "localFile/v1", "path": dir.path().join("missing")});
        let body = serde_json::json!({"resource": {
            "name": "data", "version": "1.0.0", "type": "blob", "relation": "local",
            "access": missing,
        }});
        let (status, text) = send(&router, request(&routes::PROCESS_RESOURCE_DIGEST, &body)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{text}");

        let body = serde_json::json!({"type": access});
        let (status, text) = send(&router, request(&routes::GET_IDENTITY, &body)).await;
        assert_eq!(status, StatusCode::OK, "{text}");
        let id: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            id["identity"],
            serde_json::json!({"type": "localFile", "path": file})
        );
    });
}
