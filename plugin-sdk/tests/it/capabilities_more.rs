//! The capabilities documents of the other capabilities, against fixtures written from the spec
//! (§2.4).

use ocm_plugin_sdk::{Plugin, types::JsonSchema};

use crate::fakes::*;

/// A single-capability plugin of `kind` for `DummyRepository/v1`, like the Go test plugins.
fn dummy(kind: &str) -> Plugin {
    let schema = JsonSchema::permissive();
    let t = typ("DummyRepository/v1");
    let plugin = Plugin::new(kind);
    match kind {
        "input" => plugin.register(ocm_plugin_sdk::input::untyped(t, schema, |_| Ok(Bare))),
        "digester" => plugin.register(ocm_plugin_sdk::digest_processor::untyped(t, schema, |_| {
            Ok(Bare)
        })),
        "resource" => plugin.register(ocm_plugin_sdk::resource_repository::untyped(
            t,
            schema,
            |_| Ok(Bare),
        )),
        "blobtransformer" => {
            plugin.register(ocm_plugin_sdk::blob_transformer::untyped(t, schema, |_| {
                Ok(Bare)
            }))
        }
        other => panic!("no test plugin {other}"),
    }
}

#[test]
fn shaped_like_the_go_test_plugins() {
    for (kind, key) in [
        ("input", "inputRepository"),
        ("digester", "digestProcessorRepository"),
        ("resource", "resourceRepository"),
        ("blobtransformer", "blobTransformer"),
    ] {
        let field = match key {
            "inputRepository" => "supportedInputTypes",
            "blobTransformer" => "supportedTransformerSpecTypes",
            _ => "supportedAccessTypes",
        };
        assert_eq!(
            dummy(kind).capabilities_json(),
            crate::support::dual(
                &format!(
                    r#"{{"types":{{"{key}":[{{"type":"DummyRepository/v1","jsonSchema":"e30="}}]}}}}"#
                ),
                &format!(
                    r#"{{"capabilities":[{{"{field}":[{{"aliases":null,"jsonSchema":"e30=","type":"DummyRepository/v1"}}],"type":"{key}"}}]}}"#
                ),
            ),
            "{kind}"
        );
    }
}

#[test]
fn several_types_of_one_capability_are_listed_in_registration_order() {
    let plugin = Plugin::new("p")
        .register(ocm_plugin_sdk::blob_transformer::untyped(
            typ("B/v1"),
            JsonSchema::permissive(),
            |_| Ok(Bare),
        ))
        .register(ocm_plugin_sdk::blob_transformer::untyped(
            typ("A/v1"),
            JsonSchema::permissive(),
            |_| Ok(Bare),
        ));
    assert_eq!(
        plugin.capabilities_json(),
        crate::support::dual(
            r#"{"types":{"blobTransformer":[{"type":"B/v1","jsonSchema":"e30="},{"type":"A/v1","jsonSchema":"e30="}]}}"#,
            r#"{"capabilities":[{"supportedTransformerSpecTypes":[{"aliases":null,"jsonSchema":"e30=","type":"B/v1"},{"aliases":null,"jsonSchema":"e30=","type":"A/v1"}],"type":"blobTransformer"}]}"#,
        )
    );
}
