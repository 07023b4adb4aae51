//! Answers a Go plugin could give that are not what the contract says: errors naming the
//! problem, never panics. The "plugin" is a script pointing at a [`RecordingServer`] that answers
//! what the test tells it.

use std::time::{Duration, Instant};

use ocm_plugin_contracts::{component_version_repository::v1 as cvr, input::v1 as inp};
use ocm_plugin_manager::{PluginManager, RegistrationOptions};
use ocm_plugin_test_support::{
    PluginDir,
    golden::{Message, RecordingServer, script_plugin},
};
use ocm_plugin_types::Credentials;

use crate::{options, spec, test_plugin, test_spec};

/// An input plugin's `capabilities` as the Go SDK writes it (spec §2.4), for `Nulls/v1`.
const INPUT_CAPABILITIES: &str =
    r#"{"types":{"inputRepository":[{"type":"Nulls/v1","jsonSchema":"e30="}]}}"#;

#[tokio::test]
async fn null_fields_in_answers_are_errors_not_panics() {
    // `POST /resource/process` answered with `{"resource":null,...}` (W17).
    let (err, requests) = process_answered_with(
        br#"{"resource":null,"location":{"type":"localFile","value":"/tmp/x"}}"#,
    )
    .await;
    assert!(
        err.contains("invalid response: it has no resource (missing or null)"),
        "{err}"
    );
    assert_eq!(requests, 1, "the request reached the plugin");
}

/// An input plugin answering `POST /resource/process` with `body`: the error it causes, and
/// how many requests reached the plugin.
async fn process_answered_with(body: &[u8]) -> (String, usize) {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("bad.sock");
    let answers = [(
        Message {
            start: "POST /resource/process".into(),
            ..Message::default()
        },
        Message {
            start: "200".into(),
            body: body.to_vec(),
            ..Message::default()
        },
    )];
    let server = RecordingServer::start(&socket, &answers).unwrap();
    let plugins = script_plugin(dir.path(), "bad-answers", INPUT_CAPABILITIES, &socket).unwrap();
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
        .unwrap_err()
        .to_string();
    manager.shutdown().await.unwrap();
    (err, server.requests().len())
}

#[tokio::test]
async fn empty_and_invalid_answers_are_errors_naming_plugin_and_operation() {
    for body in [&b""[..], b"{not json", b"null", b"[1,2]"] {
        let (err, _) = process_answered_with(body).await;
        assert!(err.contains("bad-answers"), "names the plugin: {err}");
        assert!(
            err.contains("process-resource"),
            "names the operation: {err}"
        );
    }
}

fn get_request() -> cvr::GetComponentVersionRequest {
    cvr::GetComponentVersionRequest {
        repository: None,
        name: "acme.org/x".into(),
        version: "1.0.0".into(),
    }
}

/// A plugin that dies mid-call, one that exits right after its location and one that logs
/// garbage: each error names plugin, operation or exit status and stderr, within a bound, and a
/// healthy plugin beside them is unaffected.
#[tokio::test]
async fn process_faults_at_start_and_mid_call_are_named_and_isolated() {
    let dir = PluginDir::new().unwrap();
    for name in ["crash-on-get", "exit-after-location", "bad-logs"] {
        dir.add(&format!("{name}/{name}"), &test_plugin()).unwrap();
    }
    let manager = PluginManager::new().unwrap();
    // Each in its own sub-registration: they serve the same type.
    let registered = |name: &str| dir.path().join(name);
    let repo_of = |m: &PluginManager, name: &'static str| {
        let m = m.clone();
        async move {
            m.plugin(name).unwrap();
            m.component_version_repositories().get(&test_spec()).await
        }
    };

    // Mid-call crash: the call fails fast naming plugin and operation; the next call restarts.
    manager
        .register_plugins(registered("crash-on-get"), options())
        .await
        .unwrap();
    let repo = repo_of(&manager, "crash-on-get").await.unwrap();
    let started = Instant::now();
    let err = repo
        .get_component_version(get_request(), &Credentials::new())
        .await
        .unwrap_err()
        .to_string();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert!(err.contains("crash-on-get"), "{err}");
    assert!(err.contains("get-component-version"), "{err}");
    let listed = repo
        .list_component_versions(
            cvr::ListComponentVersionsRequest {
                repository: None,
                name: "acme.org/x".into(),
            },
            &Credentials::new(),
        )
        .await;
    assert!(listed.is_ok(), "restarted after the crash: {listed:?}");
    manager.shutdown().await.unwrap();

    // Exit right after the location: the start fails with the status and the stderr tail.
    let manager = PluginManager::new().unwrap();
    manager
        .register_plugins(registered("exit-after-location"), options())
        .await
        .unwrap();
    let started = Instant::now();
    let err = repo_of(&manager, "exit-after-location")
        .await
        .err()
        .unwrap()
        .to_string();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert!(err.contains("exit-after-location"), "{err}");
    assert!(err.contains('5'), "exit status: {err}");
    assert!(
        err.contains("gone right after the location"),
        "stderr tail: {err}"
    );
    manager.shutdown().await.unwrap();

    // Garbage on stderr (non-UTF-8, non-JSON, 1 MiB, wrongly typed JSON) costs nothing.
    let manager = PluginManager::new().unwrap();
    manager
        .register_plugins(registered("bad-logs"), options())
        .await
        .unwrap();
    let repo = repo_of(&manager, "bad-logs").await.unwrap();
    let err = repo
        .get_component_version(get_request(), &Credentials::new())
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("not found"),
        "served normally: {err}"
    );
    manager.shutdown().await.unwrap();
}

/// A plugin that ignores SIGTERM (here a script with `trap '' TERM`, inherited by what it
/// execs) is killed when the grace period ends, and `stop` returns within a bound.
#[tokio::test]
async fn process_ignoring_sigterm_is_killed_after_the_grace_period() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("stubborn.sock");
    let _server = RecordingServer::start(&socket, &[]).unwrap();
    let plugins = script_plugin(dir.path(), "stubborn", INPUT_CAPABILITIES, &socket).unwrap();
    let script = plugins.join("stubborn");
    let text = std::fs::read_to_string(&script).unwrap().replacen(
        "#!/bin/sh\n",
        "#!/bin/sh\ntrap '' TERM\n",
        1,
    );
    std::fs::write(&script, text).unwrap();
    let grace = Duration::from_millis(300);
    let manager = PluginManager::new().unwrap();
    manager
        .register_plugins(
            &plugins,
            RegistrationOptions {
                stop_grace: grace,
                ..options()
            },
        )
        .await
        .unwrap();
    let sup = manager.plugin("stubborn").unwrap();
    sup.start().await.unwrap();
    let pid = sup.pid().unwrap();
    let started = Instant::now();
    sup.stop().await.unwrap();
    let took = started.elapsed();
    assert!(
        took >= grace && took < grace + Duration::from_secs(2),
        "stop took {took:?}"
    );
    assert!(
        !ocm_plugin_test_support::process_exists(pid),
        "the stubborn plugin survived"
    );
    manager.shutdown().await.unwrap();
}
