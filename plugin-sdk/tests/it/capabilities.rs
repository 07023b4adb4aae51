//! The capabilities document against the Go golden.

use ocm_plugin_sdk::{Plugin, types::JsonSchema};

pub(crate) const GOLDEN: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/spec/golden/go-v0.0.1/"
);

pub(crate) fn golden(name: &str) -> Vec<u8> {
    std::fs::read(format!("{GOLDEN}{name}"))
        .unwrap_or_else(|e| panic!("reading golden {name}: {e}"))
}

#[test]
fn byte_equal_to_the_go_test_plugin() {
    let schema = golden("DummyRepository-v1.schema.json");
    assert_ne!(
        schema.last(),
        Some(&b'\n'),
        "the golden schema bytes have no trailing newline"
    );
    let want = String::from_utf8(golden("testplugin-component-version.capabilities.json")).unwrap();
    let plugin = Plugin::new("testplugin-component-version")
        .component_version_repository(
            "DummyRepository/v1".parse().unwrap(),
            JsonSchema(schema),
            |_| Ok(crate::support::Nothing),
        )
        .config_type("custom.config/v1".parse().unwrap());
    assert_eq!(format!("{}\n", plugin.capabilities_json()), want);
}

#[test]
fn several_types_and_no_capabilities() {
    let plugin = Plugin::new("p")
        .component_version_repository("A/v1".parse().unwrap(), JsonSchema::permissive(), |_| {
            Ok(crate::support::Nothing)
        })
        .component_version_repository("B/v1".parse().unwrap(), JsonSchema::permissive(), |_| {
            Ok(crate::support::Nothing)
        });
    assert_eq!(
        plugin.capabilities_json(),
        r#"{"types":{"componentVersionRepository":[{"type":"A/v1","jsonSchema":"e30="},{"type":"B/v1","jsonSchema":"e30="}]}}"#
    );
    assert_eq!(Plugin::new("none").capabilities_json(), r#"{"types":null}"#);
}
