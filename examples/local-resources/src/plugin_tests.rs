//! The plugin as the SDK serves it: capabilities and HTTP routes, in process.

use std::fs;

use ocm_plugin_sdk::{
    TypedSpec as _,
    endpoints::{Route, resource_repository as routes},
    testing::{TestClient, TestResponse, block_on},
    types::{Capabilities, Resource},
};

use crate::{ACCESS_TYPE, LocalFileAccess, LocalResources, plugin};

fn client() -> TestClient {
    TestClient::new(plugin(LocalResources::new()), Vec::new()).unwrap()
}

/// A request as a Go manager sends it: JSON body; a v0.0.1 manager sends no credentials the
/// plugin would need.
async fn send(client: &TestClient, route: &Route, body: &serde_json::Value) -> TestResponse {
    client.call(route, &[], None, Some(body)).await.unwrap()
}

#[test]
fn capabilities_declare_type_alias_and_schema_in_both_formats() {
    let json = plugin(LocalResources::new()).capabilities_json();
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
    let entries = &v1.types.unwrap()["resourceRepository"];
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0].typ.to_string(), ACCESS_TYPE);
    assert_eq!(entries[1].typ.to_string(), crate::ACCESS_TYPE_NAME);
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
    let client = client();
    block_on(async {
        let body = serde_json::json!({
            "resourceLocation": {"type": "localFile", "value": upload},
            "resource": resource,
        });
        let response = send(&client, &routes::ADD_GLOBAL_RESOURCE, &body).await;
        assert_eq!(response.status, 200, "{}", response.body);
        let answer: serde_json::Value = response.json().unwrap();
        let stored: Resource = serde_json::from_value(answer["resource"].clone()).unwrap();
        assert_eq!(stored.digest.unwrap().hash_algorithm, "SHA-256");
        assert_eq!(fs::read(&target).unwrap(), b"over the wire");
        assert_eq!(fs::read(&upload).unwrap(), b"over the wire");

        let body = serde_json::json!({"resource": resource});
        let response = send(&client, &routes::GET_GLOBAL_RESOURCE, &body).await;
        assert_eq!(response.status, 200, "{}", response.body);
        let answer: serde_json::Value = response.json().unwrap();
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
        let response = send(&client, &routes::GET_GLOBAL_RESOURCE, &missing).await;
        assert_eq!(response.status, 404, "{}", response.body);
        assert!(response.body.contains("missing.bin"), "{}", response.body);

        let body = serde_json::json!({"type": access});
        let response = send(&client, &routes::GET_IDENTITY, &body).await;
        assert_eq!(response.status, 200, "{}", response.body);
        let id: serde_json::Value = response.json().unwrap();
        assert_eq!(
            id["identity"],
            serde_json::json!({"type": "localFile", "path": target})
        );
    })
    .unwrap();
}
