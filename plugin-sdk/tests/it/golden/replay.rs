//! Replays what the Go manager sent to Go test plugins (the `transcript-manager-wire-*.txt`
//! recordings) against our router with fake implementations: every request must get a 200
//! whose JSON has the keys the Go plugin's answer had.
//!
//! Where the Go plugin failed (`/identity` of input: 404; of digest processors: 500; of resource
//! repositories: 400; W4; the v0.0.17 component version test plugin's local uploads: 500) or
//! answered `null` (`/identity`), ours answers the contract's shape: a deliberate improvement.
//!
//! Recordings of every generation are replayed: v0.0.1 (flat credentials), v0.0.17 and the
//! newest (typed credentials, no header where there are none).

use axum::{body::Body, http::Request};
use ocm_plugin_endpoints::AUTHORIZATION;
use ocm_plugin_sdk::{
    Plugin,
    types::{Credentials, JsonSchema},
};
use serde_json::Value;

use ocm_plugin_golden::{Corpus, Message, corpus};

use crate::{fakes::*, support::*};

/// The request/response pairs of a recording, in order, `/healthz` included. `name` is a
/// v0.0.1 file name or `<folder>/<name>`.
fn exchanges(g: &Corpus, name: &str) -> Vec<(Message, Message)> {
    let path = if name.contains('/') {
        name.to_owned()
    } else {
        format!("go-v0.0.1/{name}")
    };
    g.transcript(&path).unwrap().exchanges
}

fn object_keys(json: &str) -> Option<Vec<String>> {
    match serde_json::from_str::<Value>(json).ok()? {
        Value::Object(map) => Some(map.keys().cloned().collect()),
        _ => None,
    }
}

/// Sends every recorded request to `router`; returns how many were replayed.
async fn replay(g: &Corpus, name: &str, plugin: Plugin, log: &Fake) -> usize {
    let router = plugin.into_router(config()).unwrap();
    let pairs = exchanges(g, name);
    for (go_request, go_response) in &pairs {
        let (method, path) = (go_request.method(), go_request.target());
        let mut req = Request::builder().method(method).uri(path);
        if let Some(auth) = go_request.header(AUTHORIZATION) {
            req = req.header(AUTHORIZATION, auth);
        }
        if let Some(ct) = go_request.header("content-type") {
            req = req.header("content-type", ct);
        }
        let calls_before = log.calls().len();
        let answer = send(
            &router,
            req.body(Body::from(go_request.body.clone())).unwrap(),
        )
        .await;
        let what = format!("{name}: {method} {path}");
        assert_eq!(answer.status.as_u16(), 200, "{what}: {answer:?}");

        let go_ok = go_response.start == "200";
        if go_response.body.is_empty() {
            assert!(go_ok, "{what}");
            assert_eq!(answer.body, "", "{what}");
            continue;
        }
        let ours: Value = serde_json::from_str(answer.assert_json())
            .unwrap_or_else(|e| panic!("{what}: {e}: {answer:?}"));
        let go: Option<Value> = serde_json::from_slice(&go_response.body)
            .ok()
            .filter(|_| go_ok);
        match go {
            // A credentials map: its keys are the implementation's.
            Some(Value::Object(_)) if path.ends_with("/resolve") => {
                assert!(ours.is_object(), "{what}: {}", answer.body);
            }
            Some(Value::Object(_)) => assert_eq!(
                object_keys(&answer.body),
                object_keys(&go_response.text()),
                "{what}: {}",
                answer.body
            ),
            Some(Value::Array(_)) => assert!(ours.is_array(), "{what}: {}", answer.body),
            _ if path.ends_with("/identity") => {
                // Go failed or answered `null`.
                assert_eq!(object_keys(&answer.body).unwrap(), ["identity"], "{what}");
            }
            _ => {
                // The Go test plugin failed (it panics on local uploads); ours answers.
                assert!(ours.is_object(), "{what}: {}", answer.body);
            }
        }
        // The implementation was called, with the recorded credentials.
        let calls = log.calls();
        assert_eq!(calls.len(), calls_before + 1, "{what}");
        let want: Credentials = go_request
            .header(AUTHORIZATION)
            .map(|a| serde_json::from_str(a).unwrap())
            .unwrap_or_default();
        assert_eq!(calls[calls_before].credentials, want, "{what}");
    }
    pairs.len()
}

fn dummy(g: &Corpus) -> (ocm_plugin_sdk::types::Type, JsonSchema) {
    (typ("DummyRepository/v1"), super::dummy_schema(g))
}

#[tokio::test]
async fn credential_repository() {
    let Some(g) = corpus!("the Go v0.0.1 manager's credential repository requests replayed") else {
        return;
    };
    let log = Fake::new("harness");
    let fake = log.clone();
    let plugin = Plugin::new("harnessplugin-credential-repository").register(
        ocm_plugin_sdk::credential_repository::untyped(
            typ("HarnessConsumer/v1"),
            typ("HarnessCredentialRepository/v1"),
            JsonSchema::permissive(),
            move |_| Ok(fake),
        ),
    );
    let n = replay(
        &g,
        "transcript-manager-wire-credential-repository.txt",
        plugin,
        &log,
    )
    .await;
    assert_eq!(n, 4);
    let ops: Vec<_> = log.calls().into_iter().map(|c| c.op).collect();
    assert_eq!(
        ops,
        [
            "consumer_identity_for_config",
            "consumer_identity_for_config",
            "resolve"
        ]
    );
}

#[tokio::test]
async fn input() {
    let Some(g) = corpus!("the Go v0.0.1 manager's input requests replayed") else {
        return;
    };
    for (name, exchanges, ops) in [
        (
            "transcript-manager-wire-input.txt",
            4,
            &["process_resource", "process_source", "input_get_identity"][..],
        ),
        (
            "transcript-manager-wire-input-no-creds.txt",
            2,
            &["process_resource"][..],
        ),
    ] {
        let log = Fake::new("input");
        let fake = log.clone();
        let (t, schema) = dummy(&g);
        let plugin = Plugin::new("testplugin-input").register(ocm_plugin_sdk::input::untyped(
            t,
            schema,
            move |_| Ok(fake),
        ));
        assert_eq!(replay(&g, name, plugin, &log).await, exchanges, "{name}");
        let seen: Vec<_> = log.calls().into_iter().map(|c| c.op).collect();
        assert_eq!(seen, ops, "{name}");
    }
}

#[tokio::test]
async fn digest_processor() {
    let Some(g) = corpus!("the Go v0.0.1 manager's digest processor requests replayed") else {
        return;
    };
    let log = Fake::new("digester");
    let fake = log.clone();
    let (t, schema) = dummy(&g);
    let plugin = Plugin::new("testplugin-digester").register(
        ocm_plugin_sdk::digest_processor::untyped(t, schema, move |_| Ok(fake)),
    );
    assert_eq!(
        replay(&g, "transcript-manager-wire-digester.txt", plugin, &log).await,
        3
    );
}

#[tokio::test]
async fn resource_repository() {
    let Some(g) = corpus!("the Go v0.0.1 manager's resource repository requests replayed") else {
        return;
    };
    let log = Fake::new("resource");
    let fake = log.clone();
    let (t, schema) = dummy(&g);
    let plugin = Plugin::new("testplugin-resource").register(
        ocm_plugin_sdk::resource_repository::untyped(t, schema, move |_| Ok(fake)),
    );
    assert_eq!(
        replay(&g, "transcript-manager-wire-resource.txt", plugin, &log).await,
        3
    );
}

#[tokio::test]
async fn blob_transformer() {
    let Some(g) = corpus!("the Go v0.0.1 manager's blob transformer requests replayed") else {
        return;
    };
    let log = Fake::new("blob");
    let fake = log.clone();
    let (t, schema) = dummy(&g);
    let plugin = Plugin::new("testplugin-blobtransformer").register(
        ocm_plugin_sdk::blob_transformer::untyped(t, schema, move |_| Ok(fake)),
    );
    assert_eq!(
        replay(
            &g,
            "transcript-manager-wire-blobtransformer.txt",
            plugin,
            &log
        )
        .await,
        3
    );
    let ops: Vec<_> = log
        .calls()
        .into_iter()
        .map(|c| (c.op, c.spec_type))
        .collect();
    let dummy = Some("DummyRepository/v1".to_owned());
    assert_eq!(
        ops,
        [
            ("blob_get_identity", dummy.clone()),
            ("transform_blob", dummy)
        ]
    );
}

/// The recordings of v0.0.17 and the newest generation of every kind, each replayed against a
/// plugin of ours like the Go test plugin that was recorded.
#[tokio::test]
async fn every_newer_generation() {
    let Some(g) = corpus!("the Go v0.0.17 and newest managers' requests replayed, every kind")
    else {
        return;
    };
    let mut replayed = 0;
    for folder in ["go-v0.0.17", "go-head"] {
        for name in g.files(folder).unwrap() {
            let Some(rest) = name.strip_prefix("transcript-manager-wire-") else {
                continue;
            };
            let log = Fake::new("go");
            let fake = log.clone();
            let (t, schema) = dummy(&g);
            let plugin = Plugin::new("recorded");
            let plugin = match rest.split(['.', '-']).next().unwrap_or_default() {
                "component" if rest.starts_with("component-version") => plugin.register(
                    ocm_plugin_sdk::component_version_repository::untyped(t, schema, move |_| {
                        Ok(fake)
                    }),
                ),
                "with" => plugin.register(ocm_plugin_sdk::component_version_repository::untyped(
                    t,
                    schema,
                    move |_| Ok(fake),
                )),
                "credential" if rest.starts_with("credential-repository") => {
                    plugin.register(ocm_plugin_sdk::credential_repository::untyped(
                        typ("DummyToken"),
                        t,
                        schema,
                        move |_| Ok(fake),
                    ))
                }
                "input" => {
                    plugin.register(ocm_plugin_sdk::input::untyped(t, schema, move |_| Ok(fake)))
                }
                "digester" => plugin.register(ocm_plugin_sdk::digest_processor::untyped(
                    t,
                    schema,
                    move |_| Ok(fake),
                )),
                "resource" => plugin.register(ocm_plugin_sdk::resource_repository::untyped(
                    t,
                    schema,
                    move |_| Ok(fake),
                )),
                "blobtransformer" => plugin.register(ocm_plugin_sdk::blob_transformer::untyped(
                    t,
                    schema,
                    move |_| Ok(fake),
                )),
                "component" if rest.starts_with("component-lister") => plugin.register(
                    ocm_plugin_sdk::component_lister::untyped(t, schema, move |_| Ok(fake)),
                ),
                "signinghandler" => plugin.register(ocm_plugin_sdk::signing_handler::untyped(
                    t,
                    schema,
                    move |_| Ok(fake),
                )),
                "credential" if rest.starts_with("credential-plugin") => {
                    let schema = ocm_plugin_sdk::types::JsonSchema(
                        g.read("go-head/DummyCredentialPlugin-v1.schema.json")
                            .unwrap(),
                    );
                    plugin.register(ocm_plugin_sdk::credential_plugin::untyped(
                        typ("DummyCredentialPlugin/v1"),
                        schema,
                        move |_| Ok(fake),
                    ))
                }
                other => panic!("{folder}/{name}: no plugin for {other}"),
            };
            let n = replay(&g, &format!("{folder}/{name}"), plugin, &log).await;
            assert!(n > 1, "{folder}/{name}: nothing replayed");
            replayed += 1;
        }
    }
    assert_eq!(replayed, 19 + 3, "recordings replayed");
}
