//! The plugin as the SDK serves it: capabilities and HTTP routes, in process.

use std::fs;

use ocm_plugin_sdk::{
    TypedSpec as _,
    endpoints::{Route, blob_transformer as routes},
    testing::{TestClient, TestResponse, block_on},
    types::Capabilities,
};

use crate::{GzipSpec, TRANSFORMER_TYPE, plugin};

fn client() -> TestClient {
    TestClient::new(plugin(), Vec::new()).unwrap()
}

/// A request as a Go manager sends it: `Authorization` with credentials, JSON body.
async fn send(client: &TestClient, route: &Route, body: &serde_json::Value) -> TestResponse {
    client
        .call(route, &[], Some(r#"{"username":"ignored"}"#), Some(body))
        .await
        .unwrap()
}

#[test]
fn capabilities_declare_type_alias_and_schema_in_both_formats() {
    let json = plugin().capabilities_json();
    let caps = ocm_plugin_sdk::types::PluginCapabilities::parse(json.as_bytes()).unwrap();
    assert_eq!(caps.format, ocm_plugin_sdk::types::CapabilitiesFormat::Dual);
    let declared = &caps.capabilities[0].types;
    assert_eq!(declared.len(), 1);
    assert_eq!(declared[0].typ.to_string(), TRANSFORMER_TYPE);
    assert_eq!(
        declared[0].aliases[0].to_string(),
        crate::TRANSFORMER_TYPE_NAME
    );
    let (_, schema) = GzipSpec::declaration().unwrap();
    assert_eq!(declared[0].schema.as_ref().unwrap().0, schema.0);
    // The v0.0.1 half: the type first (the entry v0.0.1 managers use), then its alias.
    let v1: Capabilities = serde_json::from_str(&json).unwrap();
    let entries = &v1.types.unwrap()["blobTransformer"];
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0].typ.to_string(), TRANSFORMER_TYPE);
    assert_eq!(entries[1].typ.to_string(), crate::TRANSFORMER_TYPE_NAME);
}

#[test]
fn serves_the_protocol_like_a_go_manager_calls_it() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("blob");
    let original = b"over the wire, over the wire, over the wire".repeat(100);
    fs::write(&file, &original).unwrap();
    let client = client();
    block_on(async {
        let body = serde_json::json!({
            "location": {"type": "localFile", "value": file, "mediaType": "text/plain"},
            "specification": {"type": "GzipTransformer/v1", "mode": "compress", "level": 9},
        });
        let response = send(&client, &routes::TRANSFORM_BLOB, &body).await;
        assert_eq!(response.status, 200, "{}", response.body);
        let answer: serde_json::Value = response.json().unwrap();
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
        let response = send(&client, &routes::TRANSFORM_BLOB, &body).await;
        assert_eq!(response.status, 200, "{}", response.body);
        let answer: serde_json::Value = response.json().unwrap();
        let decompressed = answer["location"]["value"].as_str().unwrap();
        assert_eq!(fs::read(decompressed).unwrap(), original);
        fs::remove_file(decompressed).unwrap();
        fs::remove_file(&compressed).unwrap();

        // Not gzip data: a client error with the plugin's message.
        let body = serde_json::json!({
            "location": {"type": "localFile", "value": file},
            "specification": {"type": "GzipTransformer/v1", "mode": "decompress"},
        });
        let response = send(&client, &routes::TRANSFORM_BLOB, &body).await;
        assert_eq!(response.status, 400, "{}", response.body);
        assert!(
            response.body.contains("input is not gzip data"),
            "{}",
            response.body
        );

        let body = serde_json::json!({
            "location": {"type": "remoteURL", "value": "https://example.org/blob"},
            "specification": {"type": "GzipTransformer/v1", "mode": "compress"},
        });
        let response = send(&client, &routes::TRANSFORM_BLOB, &body).await;
        assert_eq!(response.status, 400, "{}", response.body);
        assert!(response.body.contains("remoteURL"), "{}", response.body);

        let body = serde_json::json!({"type": {"type": "GzipTransformer/v1", "mode": "compress"}});
        let response = send(&client, &routes::GET_IDENTITY, &body).await;
        assert_eq!(response.status, 200, "{}", response.body);
        let id: serde_json::Value = response.json().unwrap();
        assert_eq!(
            id["identity"],
            serde_json::json!({"type": "GzipTransformer"})
        );
    })
    .unwrap();
}
