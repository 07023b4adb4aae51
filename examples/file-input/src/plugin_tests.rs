//! The plugin as the SDK serves it: capabilities and HTTP routes, in process.

use std::{fs, io::Read as _};

use axum::{
    Router,
    body::Body,
    http::{Request, StatusCode},
};
use flate2::read::GzDecoder;
use http_body_util::BodyExt as _;
use ocm_plugin_endpoints::{AUTHORIZATION, Route, input as routes};
use ocm_plugin_types::{Capabilities, PluginConfig, Type};
use sha2::{Digest as _, Sha256};
use tower::ServiceExt as _;

use crate::{INPUT_TYPE, input_schema, plugin};

fn input_type() -> Type {
    INPUT_TYPE.parse().unwrap()
}

fn router() -> Router {
    let config: PluginConfig = serde_json::from_value(serde_json::json!({
        "id": "file-input-test",
        "type": "unix",
    }))
    .unwrap();
    plugin(input_type()).into_router(config).unwrap()
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

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Reads and deletes a file the plugin handed over.
fn take(value: &serde_json::Value) -> Vec<u8> {
    let path = value.as_str().unwrap();
    let bytes = fs::read(path).unwrap();
    fs::remove_file(path).unwrap();
    bytes
}

#[test]
fn capabilities_declare_type_and_schema() {
    let caps: Capabilities =
        serde_json::from_str(&plugin(input_type()).capabilities_json()).unwrap();
    let entries = &caps.types.unwrap()["inputRepository"];
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].typ.to_string(), INPUT_TYPE);
    assert_eq!(entries[0].json_schema.as_ref().unwrap().0, input_schema().0);
}

#[test]
fn serves_the_protocol_like_a_go_manager_calls_it() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("readme.txt");
    fs::write(&file, b"over the wire").unwrap();
    let router = router();
    block_on(async {
        // v0.0.2+: a constructor resource with `input`.
        let body = serde_json::json!({"resource": {
            "name": "readme", "version": "1.0.0", "type": "plainText",
            "input": {"type": "file/v1", "path": file, "mediaType": "text/plain", "compress": true},
        }});
        let (status, text) = send(&router, request(&routes::PROCESS_RESOURCE, &body)).await;
        assert_eq!(status, StatusCode::OK, "{text}");
        let answer: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(answer["location"]["type"], "localFile");
        assert_eq!(answer["location"]["mediaType"], "text/plain+gzip");
        let blob = take(&answer["location"]["value"]);
        let mut plain = Vec::new();
        GzDecoder::new(blob.as_slice())
            .read_to_end(&mut plain)
            .unwrap();
        assert_eq!(plain, b"over the wire");
        let hex = sha256(&blob);
        assert_eq!(
            answer["resource"],
            serde_json::json!({
                "name": "readme", "version": "1.0.0", "type": "plainText", "relation": "local",
                "access": {
                    "localReference": format!("sha256:{hex}"),
                    "mediaType": "text/plain+gzip",
                    "type": "localBlob/v1",
                },
                "digest": {
                    "hashAlgorithm": "SHA-256",
                    "normalisationAlgorithm": "genericBlobDigest/v1",
                    "value": hex,
                },
            })
        );
        assert_eq!(fs::read(&file).unwrap(), b"over the wire");

        // v0.0.1: a descriptor resource whose `access` is the input spec.
        let body = serde_json::json!({"resource": {
            "name": "readme", "version": "1.0.0", "type": "plainText", "relation": "local",
            "access": {"type": "file/v1", "path": file},
        }});
        let (status, text) = send(&router, request(&routes::PROCESS_RESOURCE, &body)).await;
        assert_eq!(status, StatusCode::OK, "{text}");
        let answer: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(take(&answer["location"]["value"]), b"over the wire");

        let body = serde_json::json!({"source": {
            "name": "src", "version": "1.0.0", "type": "filesystem",
            "input": {"type": "file/v1", "path": file},
        }});
        let (status, text) = send(&router, request(&routes::PROCESS_SOURCE, &body)).await;
        assert_eq!(status, StatusCode::OK, "{text}");
        let answer: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(take(&answer["location"]["value"]), b"over the wire");
        assert_eq!(answer["source"]["access"]["type"], "localBlob/v1");

        // Errors keep their kind on the wire.
        let missing = dir.path().join("missing");
        let body = serde_json::json!({"resource": {
            "name": "x", "version": "1", "type": "blob",
            "input": {"type": "file/v1", "path": missing},
        }});
        let (status, text) = send(&router, request(&routes::PROCESS_RESOURCE, &body)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{text}");
        let body = serde_json::json!({"resource": {
            "name": "x", "version": "1", "type": "blob",
            "input": {"type": "file/v1", "path": "relative"},
        }});
        let (status, text) = send(&router, request(&routes::PROCESS_RESOURCE, &body)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{text}");
        assert!(text.contains("relative"), "{text}");

        let body = serde_json::json!({"type": {"type": "file/v1", "path": "/data/f"}});
        let (status, text) = send(&router, request(&routes::GET_IDENTITY, &body)).await;
        assert_eq!(status, StatusCode::OK, "{text}");
        let id: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            id["identity"],
            serde_json::json!({"type": "file", "path": "/data/f"})
        );
    });
}
