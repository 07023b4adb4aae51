//! The capabilities documents of the newer capabilities against the Go goldens.

use ocm_plugin_sdk::{Plugin, types::JsonSchema};

use crate::{capabilities::golden, fakes::*};

/// A single-capability plugin of `kind` for `DummyRepository/v1` with the golden schema, like
/// the Go test plugins.
fn dummy(kind: &str) -> Plugin {
    let schema = JsonSchema(golden("DummyRepository-v1.schema.json"));
    let t = typ("DummyRepository/v1");
    let plugin = Plugin::new(kind);
    match kind {
        "input" => plugin.input(t, schema, |_| Ok(Bare)),
        "digester" => plugin.digest_processor(t, schema, |_| Ok(Bare)),
        "resource" => plugin.resource_repository(t, schema, |_| Ok(Bare)),
        "blobtransformer" => plugin.blob_transformer(t, schema, |_| Ok(Bare)),
        other => panic!("no test plugin {other}"),
    }
}

#[test]
fn byte_equal_to_the_go_test_plugins() {
    for kind in ["input", "digester", "resource", "blobtransformer"] {
        let want = golden(&format!("testplugin-{kind}.capabilities.json"));
        let want = want
            .strip_suffix(b"\n")
            .expect("goldens end with a newline");
        assert_eq!(
            dummy(kind).capabilities_json(),
            String::from_utf8(want.to_vec()).unwrap(),
            "{kind}"
        );
    }
}

#[test]
fn several_types_of_one_capability_are_listed_in_registration_order() {
    let plugin = Plugin::new("p")
        .blob_transformer(typ("B/v1"), JsonSchema::permissive(), |_| Ok(Bare))
        .blob_transformer(typ("A/v1"), JsonSchema::permissive(), |_| Ok(Bare));
    assert_eq!(
        plugin.capabilities_json(),
        r#"{"types":{"blobTransformer":[{"type":"B/v1","jsonSchema":"e30="},{"type":"A/v1","jsonSchema":"e30="}]}}"#
    );
}
