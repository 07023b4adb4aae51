//! The plugin as the SDK serves it: capabilities and HTTP routes, in process.

use std::{fs, io::Read as _};

use flate2::read::GzDecoder;
use ocm_plugin_sdk::{
    TypedSpec as _,
    endpoints::{Route, input as routes},
    testing::{TestClient, TestResponse, block_on},
    types::Capabilities,
};
use sha2::{Digest as _, Sha256};

use crate::{FileSpec, INPUT_TYPE, plugin};

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
fn capabilities_declare_type_alias_and_schema_in_both_formats() {
    let json = plugin().capabilities_json();
    let caps = ocm_plugin_sdk::types::PluginCapabilities::parse(json.as_bytes()).unwrap();
    assert_eq!(caps.format, ocm_plugin_sdk::types::CapabilitiesFormat::Dual);
    let declared = &caps.capabilities[0].types;
    assert_eq!(declared.len(), 1);
    assert_eq!(declared[0].typ.to_string(), INPUT_TYPE);
    assert_eq!(declared[0].aliases[0].to_string(), crate::INPUT_TYPE_NAME);
    let (_, schema) = FileSpec::declaration().unwrap();
    assert_eq!(declared[0].schema.as_ref().unwrap().0, schema.0);
    // The v0.0.1 half: the type first (the entry v0.0.1 managers use), then its alias.
    let v1: Capabilities = serde_json::from_str(&json).unwrap();
    let entries = &v1.types.unwrap()["inputRepository"];
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0].typ.to_string(), INPUT_TYPE);
    assert_eq!(entries[1].typ.to_string(), crate::INPUT_TYPE_NAME);
}

#[test]
fn serves_the_protocol_like_a_go_manager_calls_it() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("readme.txt");
    fs::write(&file, b"over the wire").unwrap();
    let client = client();
    block_on(async {
        // v0.0.2+: a constructor resource with `input`.
        let body = serde_json::json!({"resource": {
            "name": "readme", "version": "1.0.0", "type": "plainText",
            "input": {"type": "file/v1", "path": file, "mediaType": "text/plain", "compress": true},
        }});
        let response = send(&client, &routes::PROCESS_RESOURCE, &body).await;
        assert_eq!(response.status, 200, "{}", response.body);
        let answer: serde_json::Value = response.json().unwrap();
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
        let response = send(&client, &routes::PROCESS_RESOURCE, &body).await;
        assert_eq!(response.status, 200, "{}", response.body);
        let answer: serde_json::Value = response.json().unwrap();
        assert_eq!(take(&answer["location"]["value"]), b"over the wire");

        let body = serde_json::json!({"source": {
            "name": "src", "version": "1.0.0", "type": "filesystem",
            "input": {"type": "file/v1", "path": file},
        }});
        let response = send(&client, &routes::PROCESS_SOURCE, &body).await;
        assert_eq!(response.status, 200, "{}", response.body);
        let answer: serde_json::Value = response.json().unwrap();
        assert_eq!(take(&answer["location"]["value"]), b"over the wire");
        assert_eq!(answer["source"]["access"]["type"], "localBlob/v1");

        // Errors keep their kind on the wire.
        let missing = dir.path().join("missing");
        let body = serde_json::json!({"resource": {
            "name": "x", "version": "1", "type": "blob",
            "input": {"type": "file/v1", "path": missing},
        }});
        let response = send(&client, &routes::PROCESS_RESOURCE, &body).await;
        assert_eq!(response.status, 404, "{}", response.body);
        let body = serde_json::json!({"resource": {
            "name": "x", "version": "1", "type": "blob",
            "input": {"type": "file/v1", "path": "relative"},
        }});
        let response = send(&client, &routes::PROCESS_RESOURCE, &body).await;
        assert_eq!(response.status, 400, "{}", response.body);
        assert!(response.body.contains("relative"), "{}", response.body);

        let body = serde_json::json!({"type": {"type": "file/v1", "path": "/data/f"}});
        let response = send(&client, &routes::GET_IDENTITY, &body).await;
        assert_eq!(response.status, 200, "{}", response.body);
        let id: serde_json::Value = response.json().unwrap();
        assert_eq!(
            id["identity"],
            serde_json::json!({"type": "file", "path": "/data/f"})
        );
    })
    .unwrap();
}
