//! The capabilities document of a plugin like each Go test plugin, against its golden.

use ocm_plugin_golden::corpus;
use ocm_plugin_sdk::Plugin;

use crate::fakes::*;

/// A single-capability plugin of `kind` for `DummyRepository/v1` with the Go schema, like the Go
/// test plugins.
fn like_the_go_test_plugin(kind: &str, schema: ocm_plugin_sdk::types::JsonSchema) -> Plugin {
    let t = typ("DummyRepository/v1");
    let plugin = Plugin::new(kind);
    match kind {
        "component-version" => plugin
            .component_version_repository(t, schema, |_| Ok(crate::support::Nothing))
            .config_type(typ("custom.config/v1")),
        "input" => plugin.input(t, schema, |_| Ok(Bare)),
        "digester" => plugin.digest_processor(t, schema, |_| Ok(Bare)),
        "resource" => plugin.resource_repository(t, schema, |_| Ok(Bare)),
        "blobtransformer" => plugin.blob_transformer(t, schema, |_| Ok(Bare)),
        other => panic!("no test plugin {other}"),
    }
}

#[test]
fn byte_equal_to_the_go_v001_test_plugins() {
    let Some(g) = corpus!("capabilities documents of the v0.0.1 Go test plugins") else {
        return;
    };
    for kind in [
        "component-version",
        "input",
        "digester",
        "resource",
        "blobtransformer",
    ] {
        let want = g
            .read_string(&format!("go-v0.0.1/testplugin-{kind}.capabilities.json"))
            .unwrap();
        let plugin = like_the_go_test_plugin(kind, super::dummy_schema(&g));
        assert_eq!(format!("{}\n", plugin.capabilities_json()), want, "{kind}");
    }
}
