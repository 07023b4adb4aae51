//! The plugin as the SDK serves it: capabilities and HTTP routes, in process.

use base64::{Engine as _, engine::general_purpose::STANDARD};
use ocm_plugin_sdk::{
    Plugin, TypedSpec as _,
    endpoints::{Route, credential_repository as routes},
    testing::{TestClient, TestResponse, block_on},
    types::Capabilities,
};

use crate::{CONFIG_TYPE, CONSUMER_IDENTITY_TYPE, DockerConfigSpec, DockerCredentials, plugin};

fn served() -> Plugin {
    plugin(
        CONSUMER_IDENTITY_TYPE.parse().unwrap(),
        DockerCredentials::new(None, None),
    )
}

fn client() -> TestClient {
    TestClient::new(served(), Vec::new()).unwrap()
}

/// A request as a Go manager sends it: `Authorization` (on `/resolve`), JSON body.
async fn send(client: &TestClient, route: &Route, body: &serde_json::Value) -> TestResponse {
    client
        .call(route, &[], Some("{}"), Some(body))
        .await
        .unwrap()
}

#[test]
fn capabilities_declare_identity_type_then_config_type() {
    let json = served().capabilities_json();
    let caps: Capabilities = serde_json::from_str(&json).unwrap();
    let entries = &caps.types.unwrap()["credentialRepository"];
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0].typ.to_string(), CONSUMER_IDENTITY_TYPE);
    assert_eq!(entries[1].typ.to_string(), CONFIG_TYPE);
    // Go managers validate the config against entry [0]'s schema.
    let (_, schema) = DockerConfigSpec::declaration().unwrap();
    assert_eq!(entries[0].json_schema.as_ref().unwrap().0, schema.0);
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
    let client = client();
    block_on(async {
        let body = serde_json::json!({"config": config});
        let response = send(&client, &routes::CONSUMER_IDENTITY, &body).await;
        assert_eq!(response.status, 200, "{}", response.body);
        let identity: serde_json::Value = response.json().unwrap();
        assert_eq!(
            identity,
            serde_json::json!({"type": "DockerConfig", "dockerConfigFile": file})
        );

        let body = serde_json::json!({
            "config": config,
            "identity": {"type": "OCIRegistry", "hostname": "localhost", "port": "5000"},
        });
        let response = send(&client, &routes::RESOLVE, &body).await;
        assert_eq!(response.status, 200, "{}", response.body);
        let credentials: serde_json::Value = response.json().unwrap();
        assert_eq!(
            credentials,
            serde_json::json!({"username": "wire", "password": "secret"})
        );

        let body = serde_json::json!({
            "config": config,
            "identity": {"type": "OCIRegistry", "hostname": "ghcr.io"},
        });
        let response = send(&client, &routes::RESOLVE, &body).await;
        assert_eq!(response.status, 404, "{}", response.body);
        assert!(response.body.contains("ghcr.io"), "{}", response.body);
        assert!(!response.body.contains("secret"), "{}", response.body);
    })
    .unwrap();
}
