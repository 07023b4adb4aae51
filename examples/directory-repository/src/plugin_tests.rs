//! The plugin as the SDK serves it: capabilities, configuration and HTTP routes, in process.

use std::{fs, path::Path};

use ocm_plugin_endpoints::{Route, component_version_repository as cvr, encode_json_param};
use ocm_plugin_sdk::testing::{TestClient, TestResponse, block_on};
use ocm_plugin_types::{Capabilities, Descriptor, Raw, Resource, Type};

use ocm_plugin_sdk::TypedSpec as _;

use crate::{CONFIG_TYPE, DirectorySpec, REPOSITORY_TYPE, plugin};

/// The credentials a Go manager sends; the plugin ignores them.
const CREDENTIALS: &str = r#"{"username":"ignored","password":"ignored"}"#;

fn config_type() -> Type {
    CONFIG_TYPE.parse().unwrap()
}

fn entries(entries: serde_json::Value) -> Vec<Raw> {
    serde_json::from_value(entries).unwrap()
}

fn client_with(entries_json: serde_json::Value) -> ocm_plugin_sdk::Result<TestClient> {
    TestClient::new(plugin(config_type()), entries(entries_json))
}

fn client(root: &Path) -> TestClient {
    client_with(serde_json::json!([
        {"type": "other.config/v1", "root": "/elsewhere"},
        {"type": CONFIG_TYPE, "root": root},
    ]))
    .unwrap()
}

/// A request as a Go manager sends it: `Authorization` with credentials, JSON body.
async fn send(
    client: &TestClient,
    route: &Route,
    query: &[(&str, &str)],
    body: Option<&serde_json::Value>,
) -> TestResponse {
    client
        .call(route, query, Some(CREDENTIALS), body)
        .await
        .unwrap()
}

#[test]
fn capabilities_declare_type_schema_and_config() {
    let json = plugin(config_type()).capabilities_json();
    let caps: Capabilities = serde_json::from_str(&json).unwrap();
    let entries = &caps.types.unwrap()["componentVersionRepository"];
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].typ.to_string(), REPOSITORY_TYPE);
    assert_eq!(
        entries[0].json_schema.as_ref().unwrap().0,
        DirectorySpec::declaration().unwrap().1.0
    );
    assert_eq!(
        caps.config_types
            .iter()
            .map(Type::to_string)
            .collect::<Vec<_>>(),
        [CONFIG_TYPE]
    );
}

#[test]
fn factory_validates_the_config() {
    let err =
        client_with(serde_json::json!([{"type": CONFIG_TYPE, "root": "relative"}])).unwrap_err();
    assert!(err.to_string().contains("relative"), "{err}");

    assert!(client_with(serde_json::json!([{"type": CONFIG_TYPE, "root": 7}])).is_err());

    // No configuration at all is fine: every request then needs a spec with a path.
    let _client = client_with(serde_json::json!([])).unwrap();
}

#[test]
fn serves_the_protocol_like_a_go_manager_calls_it() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("repo");
    let client = client(&root);
    let spec = serde_json::json!({"type": REPOSITORY_TYPE, "path": root});
    block_on(async {
        // POST requests carry the spec.
        let body = serde_json::json!({
            "repository": spec,
            "descriptor": {"meta":{"schemaVersion":"v2"},"component":{"name":"acme.org/app","version":"1.0.0","repositoryContexts":null,"provider":"acme.org","resources":null,"sources":null,"componentReferences":null}},
        });
        let response = send(&client, &cvr::ADD_COMPONENT_VERSION, &[], Some(&body)).await;
        assert_eq!((response.status, response.body.as_str()), (200, ""));

        let input = dir.path().join("input.bin");
        fs::write(&input, b"over the wire").unwrap();
        let body = serde_json::json!({
            "repository": spec,
            "name": "acme.org/app",
            "version": "1.0.0",
            "resourceLocation": {"type": "localFile", "value": input},
            "resource": {"name":"data","version":"1.0.0","type":"blob","relation":"local","access":null},
        });
        let response = send(&client, &cvr::ADD_LOCAL_RESOURCE, &[], Some(&body)).await;
        assert_eq!(response.status, 200, "{}", response.body);
        let stored: Resource = response.json().unwrap();
        assert_eq!(
            stored.access.unwrap().type_().unwrap().to_string(),
            "localBlob/v1"
        );

        // GET requests from a Go manager carry no spec: the configured root is used.
        let query = [("name", "acme.org/app"), ("version", "1.0.0")];
        let response = send(&client, &cvr::GET_COMPONENT_VERSION, &query, None).await;
        assert_eq!(response.status, 200, "{}", response.body);
        let d: Descriptor = response.json().unwrap();
        assert_eq!(d.component.resources.unwrap()[0].name, "data");

        let query = [("name", "acme.org/app")];
        let response = send(&client, &cvr::LIST_COMPONENT_VERSIONS, &query, None).await;
        assert_eq!(
            (response.status, response.body.trim_end()),
            (200, r#"["1.0.0"]"#)
        );

        let identity = encode_json_param(r#"{"name":"data","version":"1.0.0"}"#);
        let query = [
            ("name", "acme.org/app"),
            ("version", "1.0.0"),
            ("identity", identity.as_str()),
        ];
        let response = send(&client, &cvr::GET_LOCAL_RESOURCE, &query, None).await;
        assert_eq!(response.status, 200, "{}", response.body);
        let answer: serde_json::Value = response.json().unwrap();
        assert_eq!(answer["location"]["type"], "localFile");
        let path = answer["location"]["value"].as_str().unwrap();
        assert_eq!(fs::read(path).unwrap(), b"over the wire");
        fs::remove_file(path).unwrap();

        let query = [("name", "acme.org/app"), ("version", "9.9.9")];
        let response = send(&client, &cvr::GET_COMPONENT_VERSION, &query, None).await;
        assert_eq!(response.status, 404);
        assert!(
            response
                .body
                .contains("component version acme.org/app:9.9.9 not found in"),
            "{}",
            response.body
        );

        // The Go manager's /identity sends the empty prototype.
        let body = serde_json::json!({"type": {"type": "", "path": ""}});
        let response = send(&client, &cvr::GET_IDENTITY, &[], Some(&body)).await;
        assert_eq!(response.status, 200, "{}", response.body);
        let id: serde_json::Value = response.json().unwrap();
        assert_eq!(id["identity"]["type"], "DirectoryRepository");
        assert_eq!(id["identity"]["path"], root.to_str().unwrap());

        let body = serde_json::json!({"repository": spec});
        let response = send(&client, &cvr::CHECK_HEALTH, &[], Some(&body)).await;
        assert_eq!(response.status, 200, "{}", response.body);
    })
    .unwrap();
}

/// The component lister over HTTP, paged by the configured page size, next to the repository
/// in one process; both capabilities are in both halves of the capabilities document.
#[test]
fn lists_components_over_the_protocol() {
    use ocm_plugin_endpoints::component_lister as lister;
    let dir = tempfile::tempdir().unwrap();
    let json = plugin(config_type()).capabilities_json();
    let caps = ocm_plugin_types::PluginCapabilities::parse(json.as_bytes()).unwrap();
    let kinds: Vec<String> = caps
        .capabilities
        .iter()
        .map(|c| c.kind.to_string())
        .collect();
    assert_eq!(kinds, ["componentVersionRepository", "componentLister"]);

    let client = client_with(serde_json::json!([{"type": CONFIG_TYPE, "pageSize": 1}])).unwrap();
    let repository = serde_json::json!({"type": REPOSITORY_TYPE, "path": dir.path()});
    block_on(async {
        for name in ["acme.org/one", "acme.org/two"] {
            let descriptor = serde_json::json!({"meta": {"schemaVersion": "v2"}, "component": {"name": name, "version": "1.0.0", "provider": "acme"}});
            let body = serde_json::json!({"repository": repository, "descriptor": descriptor});
            let answer = send(&client, &cvr::ADD_COMPONENT_VERSION, &[], Some(&body)).await;
            assert_eq!(answer.status, 200, "{}", answer.body);
        }
        let first = serde_json::json!({"repository": repository, "last": ""});
        let answer = send(&client, &lister::LIST_COMPONENTS, &[], Some(&first)).await;
        assert_eq!(
            answer.body,
            "{\"list\":[\"acme.org/one\"],\"header\":{\"last\":\"acme.org/one\"}}\n"
        );
        let next = serde_json::json!({"repository": repository, "last": "acme.org/one"});
        let answer = send(&client, &lister::LIST_COMPONENTS, &[], Some(&next)).await;
        assert_eq!(answer.body, "{\"list\":[\"acme.org/two\"]}\n");
    })
    .unwrap();
}
