//! The plugin as the SDK serves it: capabilities and HTTP routes, in process.

use axum::{
    Router,
    body::Body,
    http::{Request, StatusCode},
};
use base64::{Engine as _, engine::general_purpose::STANDARD};
use http_body_util::BodyExt as _;
use ocm_plugin_endpoints::{AUTHORIZATION, Route, credential_repository as routes};
use ocm_plugin_types::{Capabilities, PluginConfig, Type};
use tower::ServiceExt as _;

use crate::{CONFIG_TYPE, CONSUMER_IDENTITY_TYPE, config_schema, plugin};

fn types() -> (Type, Type) {
    (
        CONSUMER_IDENTITY_TYPE.parse().unwrap(),
        CONFIG_TYPE.parse().unwrap(),
    )
}

fn router() -> Router {
    let (i, c) = types();
    let config: PluginConfig = serde_json::from_value(serde_json::json!({
        "id": "docker-credentials-test",
        "type": "unix",
    }))
    .unwrap();
    plugin(i, c).into_router(config).unwrap()
}

/// A request as a Go manager sends it: `Authorization` (on `/resolve`), JSON body.
fn request(route: &Route, body: &serde_json::Value) -> Request<Body> {
    Request::builder()
        .method(route.method.clone())
        .uri(route.uri(&[]))
        .header(AUTHORIZATION, "{}")
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
fn capabilities_declare_identity_type_then_config_type() {
    let (i, c) = types();
    let json = plugin(i, c).capabilities_json();
    let caps: Capabilities = serde_json::from_str(&json).unwrap();
    let entries = &caps.types.unwrap()["credentialRepository"];
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0].typ.to_string(), CONSUMER_IDENTITY_TYPE);
    assert_eq!(entries[1].typ.to_string(), CONFIG_TYPE);
    // Go managers validate the config against entry [0]'s schema.
    assert_eq!(
        entries[0].json_schema.as_ref().unwrap().0,
        config_schema().0
    );
}

#[test]
fn serves_the_protocol_like_a_go_manager_calls_it() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("config.json");
    let auth = STANDARD.encode("wire:secret");
    std::fs::write(
        &file,
        format!(r#"{{"auths":{{"localhost:5000":{{"auth":"{auth}"}}}}}}"#),
    )
    .unwrap();
    let config = serde_json::json!({"type": CONFIG_TYPE, "dockerConfigFile": file});
    let router = router();
    block_on(async {
        let (status, text) = send(
            &router,
            request(
                &routes::CONSUMER_IDENTITY,
                &serde_json::json!({"config": config}),
            ),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{text}");
        let identity: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            identity,
            serde_json::json!({"type": "DockerConfig", "dockerConfigFile": file})
        );

        let body = serde_json::json!({
            "config": config,
            "identity": {"type": "OCIRegistry", "hostname": "localhost", "port": "5000"},
        });
        let (status, text) = send(&router, request(&routes::RESOLVE, &body)).await;
        assert_eq!(status, StatusCode::OK, "{text}");
        let credentials: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            credentials,
            serde_json::json!({"username": "wire", "password": "secret"})
        );

        let body = serde_json::json!({
            "config": config,
            "identity": {"type": "OCIRegistry", "hostname": "ghcr.io"},
        });
        let (status, text) = send(&router, request(&routes::RESOLVE, &body)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{text}");
        assert!(text.contains("ghcr.io"), "{text}");
        assert!(!text.contains("secret"), "{text}");
    });
}
