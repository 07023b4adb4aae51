//! Answers a Go plugin could give that are not what the contract says: errors naming the
//! problem, never panics. The "plugin" is a script pointing at a [`RecordingServer`] that answers
//! what the test tells it.

use ocm_plugin_contracts::input::v1 as inp;
use ocm_plugin_manager::{PluginManager, RegistrationOptions};
use ocm_plugin_test_support::golden::{Message, RecordingServer, script_plugin};
use ocm_plugin_types::Credentials;

use crate::spec;

/// An input plugin's `capabilities` as the Go SDK writes it (spec §2.4), for `Nulls/v1`.
const INPUT_CAPABILITIES: &str =
    r#"{"types":{"inputRepository":[{"type":"Nulls/v1","jsonSchema":"e30="}]}}"#;

#[tokio::test]
async fn null_fields_in_answers_are_errors_not_panics() {
    // `POST /resource/process` answered with `{"resource":null,...}` (W17).
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("null.sock");
    let answers = [(
        Message {
            start: "POST /resource/process".into(),
            ..Message::default()
        },
        Message {
            start: "200".into(),
            body: br#"{"resource":null,"location":{"type":"localFile","value":"/tmp/x"}}"#.to_vec(),
            ..Message::default()
        },
    )];
    let server = RecordingServer::start(&socket, &answers).unwrap();
    let plugins = script_plugin(dir.path(), "nulls", INPUT_CAPABILITIES, &socket).unwrap();
    let manager = PluginManager::new().unwrap();
    manager
        .register_plugins(&plugins, RegistrationOptions::default())
        .await
        .unwrap();
    let spec = spec(r#"{"type":"Nulls/v1","baseUrl":"x"}"#);
    let method = manager.input_methods().get(&spec).await.unwrap();
    let err = method
        .process_resource(
            inp::ProcessResourceRequest {
                resource: inp::ConstructorResource {
                    name: "r".into(),
                    input: Some(spec),
                    ..Default::default()
                },
            },
            &Credentials::new(),
        )
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("invalid response: it has no resource (missing or null)"),
        "{err}"
    );
    assert_eq!(server.requests().len(), 1, "the request reached the plugin");
    manager.shutdown().await.unwrap();
}
