//! The capabilities document, against fixtures written from the spec (§2.4 for the v0.0.1
//! half, §10.2 for the v0.0.11+ half). The byte comparison with the Go test plugins themselves
//! is in the golden suite.

use ocm_plugin_sdk::{
    Plugin,
    types::{CapabilitiesFormat, JsonSchema, PluginCapabilities},
};

use crate::support::dual;

fn like_the_go_test_plugin() -> Plugin {
    Plugin::new("testplugin-component-version")
        .component_version_repository(
            "DummyRepository/v1".parse().unwrap(),
            JsonSchema::permissive(),
            |_| Ok(crate::support::Nothing),
        )
        .config_type("custom.config/v1".parse().unwrap())
}

const V1: &str = r#"{"types":{"componentVersionRepository":[{"type":"DummyRepository/v1","jsonSchema":"e30="}]},"configTypes":["custom.config/v1"]}"#;
const CURRENT: &str = r#"{"capabilities":[{"supportedRepositorySpecTypes":[{"aliases":null,"jsonSchema":"e30=","type":"DummyRepository/v1"}],"type":"componentVersionRepository"}],"supportedConfigTypes":["custom.config/v1"]}"#;

/// What the Go test plugin for the component version repository prints in each generation,
/// for a schema `{}`; ours prints both by default, and either on request.
#[test]
fn shaped_like_the_go_test_plugin_in_every_generation() {
    assert_eq!(
        like_the_go_test_plugin().capabilities_json(),
        dual(V1, CURRENT)
    );
    let only = |format| {
        like_the_go_test_plugin()
            .capabilities_format(format)
            .capabilities_json()
    };
    assert_eq!(only(CapabilitiesFormat::V1), V1);
    assert_eq!(only(CapabilitiesFormat::Current), CURRENT);
    assert_eq!(only(CapabilitiesFormat::Dual), dual(V1, CURRENT));
}

/// A manager reads each form into the same model; the dual document from its v0.0.11+ half.
#[test]
fn every_form_reads_back_into_the_same_model() {
    let plugin = like_the_go_test_plugin();
    let dual = PluginCapabilities::parse(plugin.capabilities_json().as_bytes()).unwrap();
    let v1 = PluginCapabilities::parse(V1.as_bytes()).unwrap();
    let current = PluginCapabilities::parse(CURRENT.as_bytes()).unwrap();
    assert_eq!(
        (dual.format, v1.format, current.format),
        (
            CapabilitiesFormat::Dual,
            CapabilitiesFormat::V1,
            CapabilitiesFormat::Current
        )
    );
    for doc in [&v1, &current] {
        assert_eq!(doc.capabilities, dual.capabilities);
        assert_eq!(doc.config_types, dual.config_types);
    }
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
        dual(
            r#"{"types":{"componentVersionRepository":[{"type":"A/v1","jsonSchema":"e30="},{"type":"B/v1","jsonSchema":"e30="}]}}"#,
            // One entry per capability kind, listing all its types.
            r#"{"capabilities":[{"supportedRepositorySpecTypes":[{"aliases":null,"jsonSchema":"e30=","type":"A/v1"},{"aliases":null,"jsonSchema":"e30=","type":"B/v1"}],"type":"componentVersionRepository"}]}"#,
        )
    );
    assert_eq!(
        Plugin::new("none").capabilities_json(),
        r#"{"types":null,"capabilities":[]}"#
    );
}

#[test]
fn aliases_are_listed_in_both_halves() {
    let plugin = Plugin::new("p")
        .component_version_repository("A/v1".parse().unwrap(), JsonSchema::permissive(), |_| {
            Ok(crate::support::Nothing)
        })
        .aliases(["A".parse().unwrap(), "Alpha/v1".parse().unwrap()]);
    assert_eq!(
        plugin.capabilities_json(),
        dual(
            // v0.0.1 managers know no aliases: each is an entry of its own.
            r#"{"types":{"componentVersionRepository":[{"type":"A/v1","jsonSchema":"e30="},{"type":"A","jsonSchema":"e30="},{"type":"Alpha/v1","jsonSchema":"e30="}]}}"#,
            r#"{"capabilities":[{"supportedRepositorySpecTypes":[{"aliases":["A","Alpha/v1"],"jsonSchema":"e30=","type":"A/v1"}],"type":"componentVersionRepository"}]}"#,
        )
    );
}

/// A request whose spec carries an alias goes to the type's implementation; two types stay
/// apart; the identity route answers for aliases too.
#[tokio::test]
async fn an_alias_dispatches_to_its_type() {
    use crate::{fakes::Fake, support::*};
    use ocm_plugin_endpoints::component_version_repository as routes;
    let (a, b) = (Fake::new("a"), Fake::new("b"));
    let (fa, fb) = (a.clone(), b.clone());
    let router = Plugin::new("p")
        .component_version_repository("A/v1".parse().unwrap(), JsonSchema::permissive(), |_| {
            Ok(fa)
        })
        .aliases(["A".parse().unwrap()])
        .component_version_repository("B/v1".parse().unwrap(), JsonSchema::permissive(), |_| {
            Ok(fb)
        })
        .into_router(config())
        .unwrap();
    for (spec, tag) in [("A", "a"), ("A/v1", "a"), ("B/v1", "b")] {
        let body = format!(r#"{{"type":{{"type":"{spec}"}}}}"#);
        let answer = send(&router, request(&routes::GET_IDENTITY, &[], &body)).await;
        assert!(
            answer.assert_json().contains(&format!(r#""tag":"{tag}""#)),
            "{spec}: {}",
            answer.body
        );
    }
    let body = r#"{"repository":{"type":"A"},"descriptor":{"meta":{"schemaVersion":"v2"},"component":{"name":"c","version":"1","provider":"p"}}}"#;
    send(&router, request(&routes::ADD_COMPONENT_VERSION, &[], body))
        .await
        .assert_empty_ok();
    assert_eq!(a.calls().last().unwrap().op, "add_component_version");
    assert!(b.calls().iter().all(|c| c.op != "add_component_version"));
    // An unknown name is still a 400 naming what is served.
    let answer = send(
        &router,
        request(&routes::GET_IDENTITY, &[], r#"{"type":{"type":"C"}}"#),
    )
    .await;
    assert_eq!(answer.status.as_u16(), 400, "{}", answer.body);
}

#[test]
fn aliases_before_any_registration_are_an_error() {
    let err = Plugin::new("p")
        .aliases(["X".parse().unwrap()])
        .into_router(crate::support::config())
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "aliases X were declared before any capability type was registered"
    );
}
