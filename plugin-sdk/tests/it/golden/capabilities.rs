//! Capabilities documents against the Go test plugins' of every generation: ours are byte-equal
//! per half, and every Go document reads into the one model.

use ocm_plugin_endpoints::CapabilitiesBuilder;
use ocm_plugin_golden::{Corpus, corpus};
use ocm_plugin_sdk::{
    Plugin,
    types::{CapabilitiesFormat, CapabilityKind, DeclaredType, JsonSchema, PluginCapabilities},
};
use serde_json::Value;

use crate::fakes::*;

/// The Go test plugins of the six v0.0.1 kinds, by file name.
const SIX: [&str; 6] = [
    "component-version",
    "credential-repository",
    "input",
    "digester",
    "resource",
    "blobtransformer",
];

/// A single-capability plugin of `kind` for `DummyRepository/v1` with the Go schema, like the Go
/// test plugins. `None` for the credential repository, whose Go test plugin hand-writes a
/// document no SDK registration produces (no consumer identity type).
fn like_the_go_test_plugin(kind: &str, schema: JsonSchema) -> Option<Plugin> {
    let t = typ("DummyRepository/v1");
    let plugin = Plugin::new(kind);
    Some(match kind {
        "component-version" => plugin
            .register(ocm_plugin_sdk::component_version_repository::untyped(
                t,
                schema,
                |_| Ok(crate::support::Nothing),
            ))
            .config_type(typ("custom.config/v1")),
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
        _ => return None,
    })
}

/// The builder-level declaration of a Go test plugin: every kind of every generation.
fn builder_like_the_go_test_plugin(g: &Corpus, kind: &str) -> CapabilitiesBuilder {
    let schema = super::dummy_schema(g);
    let dummy = |kind| {
        CapabilitiesBuilder::new().capability(kind, typ("DummyRepository/v1"), schema.clone())
    };
    match kind {
        "component-version" => {
            dummy(CapabilityKind::ComponentVersionRepository).config_type(typ("custom.config/v1"))
        }
        "credential-repository" => {
            let mut b = dummy(CapabilityKind::CredentialRepository);
            b.custom_credential_type(DeclaredType {
                typ: typ("DummyToken/v1"),
                aliases: Vec::new(),
                schema: None,
            });
            b
        }
        "input" => dummy(CapabilityKind::InputRepository),
        "digester" => dummy(CapabilityKind::DigestProcessorRepository),
        "resource" => dummy(CapabilityKind::ResourceRepository),
        "blobtransformer" => dummy(CapabilityKind::BlobTransformer),
        "component-lister" => dummy(CapabilityKind::ComponentLister),
        "signinghandler" => dummy(CapabilityKind::SigningHandler),
        "credential-plugin" => CapabilitiesBuilder::new().capability(
            CapabilityKind::CredentialPlugin,
            typ("DummyCredentialPlugin/v1"),
            JsonSchema(
                g.read("go-head/DummyCredentialPlugin-v1.schema.json")
                    .unwrap(),
            ),
        ),
        other => panic!("no test plugin {other}"),
    }
}

fn golden_doc(g: &Corpus, folder: &str, kind: &str) -> String {
    let text = g
        .read_string(&format!("{folder}/testplugin-{kind}.capabilities.json"))
        .unwrap();
    text.strip_suffix('\n')
        .expect("capabilities output ends with a newline")
        .to_owned()
}

/// The test plugins of a folder, from its `testplugin-*.capabilities.json` files.
fn kinds(g: &Corpus, folder: &str) -> Vec<String> {
    g.files(folder)
        .unwrap()
        .into_iter()
        .filter_map(|f| {
            f.strip_prefix("testplugin-")?
                .strip_suffix(".capabilities.json")
                .map(str::to_owned)
        })
        .collect()
}

#[test]
fn byte_equal_to_the_go_v001_test_plugins() {
    let Some(g) = corpus!("v0.0.1 capabilities documents of the Go test plugins") else {
        return;
    };
    for kind in SIX {
        let Some(plugin) = like_the_go_test_plugin(kind, super::dummy_schema(&g)) else {
            continue; // v0.0.1 ships no credential repository test plugin
        };
        let plugin = plugin.capabilities_format(CapabilitiesFormat::V1);
        assert_eq!(
            plugin.capabilities_json(),
            golden_doc(&g, "go-v0.0.1", kind),
            "{kind}"
        );
    }
}

#[test]
fn byte_equal_to_the_go_v0017_and_newest_test_plugins() {
    let Some(g) = corpus!("v0.0.17 and newest capabilities documents of the Go test plugins")
    else {
        return;
    };
    let mut compared = 0;
    for folder in ["go-v0.0.17", "go-head"] {
        for kind in kinds(&g, folder) {
            let want = golden_doc(&g, folder, &kind);
            // Through the builder, for every kind of the generation...
            let built = builder_like_the_go_test_plugin(&g, &kind);
            assert_eq!(
                built.to_json_in(CapabilitiesFormat::Current),
                want,
                "{folder}/{kind}"
            );
            // ...and through the SDK where it offers the kind.
            if let Some(plugin) = like_the_go_test_plugin(&kind, super::dummy_schema(&g)) {
                let plugin = plugin.capabilities_format(CapabilitiesFormat::Current);
                assert_eq!(plugin.capabilities_json(), want, "{folder}/{kind} (SDK)");
            }
            compared += 1;
        }
    }
    assert_eq!(compared, 8 + 9, "every test plugin of both folders");
}

/// The dual document our SDK prints by default: its v0.0.1 keys are the v0.0.1 golden, its
/// v0.0.11+ keys the v0.0.17 golden, so each Go manager finds what it reads.
#[test]
fn the_dual_document_holds_both_goldens() {
    let Some(g) = corpus!("both halves of the dual capabilities document") else {
        return;
    };
    for kind in SIX {
        let Some(plugin) = like_the_go_test_plugin(kind, super::dummy_schema(&g)) else {
            continue;
        };
        let ours: Value = serde_json::from_str(&plugin.capabilities_json()).unwrap();
        let Value::Object(ours) = ours else {
            panic!("{kind}: not an object")
        };
        for (folder, keys) in [
            ("go-v0.0.1", ["types", "configTypes"]),
            ("go-v0.0.17", ["capabilities", "supportedConfigTypes"]),
        ] {
            let half: serde_json::Map<String, Value> = ours
                .iter()
                .filter(|(k, _)| keys.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            let want: Value = serde_json::from_str(&golden_doc(&g, folder, kind)).unwrap();
            assert_eq!(Value::Object(half), want, "{kind}: the {folder} half");
        }
    }
}

/// Every Go document of every generation reads into the one model, and the same test plugin
/// declares the same thing in each generation.
#[test]
fn every_go_document_reads_into_one_model() {
    let Some(g) = corpus!("capabilities documents of every Go generation, parsed") else {
        return;
    };
    let mut parsed = 0;
    for folder in ["go-v0.0.1", "go-v0.0.17", "go-head"] {
        for kind in kinds(&g, folder) {
            let doc = g
                .read(&format!("{folder}/testplugin-{kind}.capabilities.json"))
                .unwrap();
            let model =
                PluginCapabilities::parse(&doc).unwrap_or_else(|e| panic!("{folder}/{kind}: {e}"));
            let want_format = if folder == "go-v0.0.1" {
                CapabilitiesFormat::V1
            } else {
                CapabilitiesFormat::Current
            };
            assert_eq!(model.format, want_format, "{folder}/{kind}");
            // What our builder writes for the same declarations reads back the same.
            let ours = builder_like_the_go_test_plugin(&g, &kind);
            if folder == "go-v0.0.1" {
                let back =
                    PluginCapabilities::parse(ours.to_json_in(CapabilitiesFormat::V1).as_bytes())
                        .unwrap();
                assert_eq!(back.capabilities, model.capabilities, "{folder}/{kind}");
            } else {
                assert_eq!(
                    &model.capabilities,
                    &ours.build().capabilities,
                    "{folder}/{kind}"
                );
            }
            assert_eq!(
                model.config_types,
                ours.build().config_types,
                "{folder}/{kind}"
            );
            let cap = &model.capabilities[0];
            assert!(
                !cap.kind.key().is_empty() && !matches!(cap.kind, CapabilityKind::Other(_)),
                "{folder}/{kind}: {:?}",
                cap.kind
            );
            if kind == "credential-repository" {
                assert_eq!(cap.custom_credential_types[0].typ, typ("DummyToken/v1"));
                assert_eq!(cap.custom_credential_types[0].schema, None);
            }
            parsed += 1;
        }
    }
    assert_eq!(parsed, 5 + 8 + 9);
}
