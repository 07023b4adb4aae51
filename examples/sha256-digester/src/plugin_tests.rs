//! The plugin as the SDK serves it: capabilities and HTTP routes, in process.

use std::fs;

use ocm_plugin_sdk::{
    TypedSpec as _,
    endpoints::{Route, digest_processor as routes},
    testing::{TestClient, TestResponse, block_on},
    types::Capabilities,
};
use sha2::{Digest as _, Sha256};

use crate::{ACCESS_TYPE, LocalFileAccess, plugin};

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
    assert_eq!(declared[0].typ.to_string(), ACCESS_TYPE);
    assert_eq!(declared[0].aliases[0].to_string(), crate::ACCESS_TYPE_NAME);
    let (_, schema) = LocalFileAccess::declaration().unwrap();
    assert_eq!(declared[0].schema.as_ref().unwrap().0, schema.0);
    // The v0.0.1 half: the type first (the entry v0.0.1 managers use), then its alias.
    let v1: Capabilities = serde_json::from_str(&json).unwrap();
    let entries = &v1.types.unwrap()["digestProcessorRepository"];
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0].typ.to_string(), ACCESS_TYPE);
    assert_eq!(entries[1].typ.to_string(), crate::ACCESS_TYPE_NAME);
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
    let client = client();
    block_on(async {
        let access = serde_json::json!({"type": "localFile/v1", "path": file});
        let body = serde_json::json!({"resource": {
            "name": "data", "version": "1.0.0", "type": "blob", "relation": "local",
            "access": access,
        }});
        let response = send(&client, &routes::PROCESS_RESOURCE_DIGEST, &body).await;
        assert_eq!(response.status, 200, "{}", response.body);
        let answer: serde_json::Value = response.json().unwrap();
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
        let response = send(&client, &routes::PROCESS_RESOURCE_DIGEST, &body).await;
        assert_eq!(response.status, 400, "{}", response.body);
        assert!(response.body.contains(&format!("digest mismatch: declared 00, computed {hex}")), "{}", response.body);

        let missing =
            serde_json::json!({"type": "localFile/v1", "path": dir.path().join("missing")});
        let body = serde_json::json!({"resource": {
            "name": "data", "version": "1.0.0", "type": "blob", "relation": "local",
            "access": missing,
        }});
        let response = send(&client, &routes::PROCESS_RESOURCE_DIGEST, &body).await;
        assert_eq!(response.status, 404, "{}", response.body);

        let body = serde_json::json!({"type": access});
        let response = send(&client, &routes::GET_IDENTITY, &body).await;
        assert_eq!(response.status, 200, "{}", response.body);
        let id: serde_json::Value = response.json().unwrap();
        assert_eq!(
            id["identity"],
            serde_json::json!({"type": "localFile", "path": file})
        );
    })
    .unwrap();
}
