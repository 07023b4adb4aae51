//! The capabilities document, against fixtures written from the spec (§2.4, §10.2). The byte
//! comparison with the Go test plugins themselves is in the golden suite.

use ocm_plugin_sdk::{Plugin, types::JsonSchema};

/// What the Go test plugin for the component version repository prints (spec §2.4), for a
/// schema `{}`.
#[test]
fn shaped_like_the_go_test_plugin() {
    let plugin = Plugin::new("testplugin-component-version")
        .component_version_repository(
            "DummyRepository/v1".parse().unwrap(),
            JsonSchema::permissive(),
            |_| Ok(crate::support::Nothing),
        )
        .config_type("custom.config/v1".parse().unwrap());
    assert_eq!(
        plugin.capabilities_json(),
        r#"{"types":{"componentVersionRepository":[{"type":"DummyRepository/v1","jsonSchema":"e30="}]},"configTypes":["custom.config/v1"]}"#
    );
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
