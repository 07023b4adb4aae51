//! Every recorded Go manager session of every capability kind, in every generation (v0.0.1,
//! v0.0.17, the newest `bindings/go`), replayed through our manager: each request the
//! Go manager sent is decoded into our contract's request, sent through the registry and remote
//! client to a recording server that answers as the Go plugin did, and what our manager sent
//! must equal what the Go manager sent: request line (less our `repository` extension
//! parameter), `Authorization` (typed or flat, present or absent), `Content-Type`, `Accept` and
//! body, byte for byte. The plugin presents the Go test plugin's own capabilities document of
//! that generation, so the credentials form is chosen from the document alone.

use std::time::Duration;

use ocm_plugin_contracts::{
    blob_transformer::v1 as bt, component_version_repository::v1 as cvr,
    credential_repository::v1 as cred, digest_processor::v1 as dp, identity::GetIdentityRequest,
    input::v1 as inp, resource_repository::v1 as rr,
};
use ocm_plugin_endpoints::decode_json_param;
use ocm_plugin_manager::{PluginManager, RegistrationOptions};
use ocm_plugin_test_support::golden::{
    Corpus, Message, RecordingServer, corpus, script_config_path, script_plugin,
};
use ocm_plugin_types::{Credentials, Identity, PluginConfig, Raw};
use serde::de::DeserializeOwned;

use crate::spec;

/// The spec every recording used.
fn dummy() -> Raw {
    spec(r#"{"type":"DummyRepository/v1","baseUrl":"https://ocm.software/test"}"#)
}

/// The v0.0.1 credential repository recording was made against a harness plugin (v0.0.1 ships
/// no credential test plugin); this is its document (spec §2.4).
const V001_CREDENTIAL_HARNESS: &str = r#"{"types":{"credentialRepository":[{"type":"HarnessConsumer/v1","jsonSchema":"e30="},{"type":"HarnessCredentialRepository/v1","jsonSchema":"e30="}]}}"#;

/// The recordings of one generation folder with the test plugin each was made with.
fn sessions(g: &Corpus, folder: &str) -> Vec<(String, &'static str)> {
    g.files(folder)
        .unwrap()
        .into_iter()
        .filter(|f| f.starts_with("transcript-manager-wire") && f.ends_with(".txt"))
        .filter_map(|f| {
            let rest = f.strip_prefix("transcript-manager-wire")?;
            let kind = [
                "component-version",
                "credential-repository",
                "input",
                "digester",
                "resource",
                "blobtransformer",
                "component-lister",
                "signinghandler",
                "credential-plugin",
            ]
            .into_iter()
            .find(|k| rest.starts_with(&format!("-{k}")))
            // `transcript-manager-wire.txt` and `-with-config.txt` are component version
            // recordings.
            .or_else(|| {
                (rest == ".txt" || rest == "-with-config.txt").then_some("component-version")
            })?;
            Some((f, kind))
        })
        .collect()
}

/// The credentials the Go host passed (`-creds <json>` on the recording's host line), in the
/// form it passed them. The oldest recordings have no host line; their (flat) credentials are
/// those of the first credentialed request.
fn host_credentials(text: &str, calls: &[(Message, Message)]) -> Credentials {
    let json = match text.lines().find_map(|l| l.strip_prefix("##### host:")) {
        Some(host) => host
            .split(" -creds ")
            .nth(1)
            .and_then(|rest| rest.split(' ').next()),
        None => calls.iter().find_map(|(m, _)| m.header("Authorization")),
    };
    json.map(|j| Credentials::from_json(j.as_bytes()).unwrap())
        .unwrap_or_default()
}

fn body<T: DeserializeOwned>(m: &Message) -> T {
    serde_json::from_slice(&m.body).unwrap_or_else(|e| panic!("{}: {e}", m.start))
}

/// A GET request of the component version repository, from its query string.
fn from_query(m: &Message) -> cvr::GetLocalResourceRequest {
    let param = |name: &str| {
        m.query()
            .split('&')
            .find_map(|p| p.strip_prefix(&format!("{name}=")))
            .map(|v| v.replace("%3D", "="))
    };
    cvr::GetLocalResourceRequest {
        repository: None,
        name: param("name").unwrap_or_default(),
        version: param("version").unwrap_or_default(),
        identity: decode_json_param::<Identity>("identity", param("identity").as_deref()).unwrap(),
    }
}

/// Sends one recorded request through our manager. The answer does not matter here (some Go
/// answers are errors); what was sent does.
async fn send(manager: &PluginManager, kind: &str, m: &Message, creds: &Credentials) {
    let spec = dummy();
    let identity = || GetIdentityRequest { typ: dummy() };
    let what = format!("{kind}: {}", m.start);
    match kind {
        "component-version" => {
            let repo = manager
                .component_version_repositories()
                .get(&spec)
                .await
                .unwrap();
            let _ = match (m.method(), m.path()) {
                ("POST", "/identity") => repo.get_identity(identity()).await.map(drop),
                ("GET", "/component-version/download") => {
                    let q = from_query(m);
                    let request = cvr::GetComponentVersionRequest {
                        repository: None,
                        name: q.name,
                        version: q.version,
                    };
                    repo.get_component_version(request, creds).await.map(drop)
                }
                ("GET", "/component-versions") => {
                    let request = cvr::ListComponentVersionsRequest {
                        repository: None,
                        name: from_query(m).name,
                    };
                    repo.list_component_versions(request, creds).await.map(drop)
                }
                ("GET", "/local-resource/download") => repo
                    .get_local_resource(from_query(m), creds)
                    .await
                    .map(drop),
                ("GET", "/local-source/download") => {
                    repo.get_local_source(from_query(m), creds).await.map(drop)
                }
                ("POST", "/component-version/upload") => {
                    repo.add_component_version(body(m), creds).await
                }
                ("POST", "/local-resource/upload") => {
                    repo.add_local_resource(body(m), creds).await.map(drop)
                }
                ("POST", "/local-source/upload") => {
                    repo.add_local_source(body(m), creds).await.map(drop)
                }
                _ => panic!("{what}: not a component version repository request"),
            };
        }
        "credential-repository" => {
            let repos = manager.credential_repositories();
            let _ = match m.path() {
                "/consumer-identity" => {
                    let request: cred::ConsumerIdentityForConfigRequest = body(m);
                    let repo = repos.get(&request.config).await.unwrap();
                    repo.consumer_identity_for_config(request).await.map(drop)
                }
                "/resolve" => {
                    let request: cred::ResolveRequest = body(m);
                    let repo = repos.get(&request.config).await.unwrap();
                    repo.resolve(request, creds).await.map(drop)
                }
                _ => panic!("{what}: not a credential repository request"),
            };
        }
        "input" => {
            let method = manager.input_methods().get(&spec).await.unwrap();
            let _ = match m.path() {
                "/resource/process" => {
                    let request: inp::ProcessResourceRequest = body(m);
                    method.process_resource(request, creds).await.map(drop)
                }
                "/source/process" => {
                    let request: inp::ProcessSourceRequest = body(m);
                    method.process_source(request, creds).await.map(drop)
                }
                "/identity" => method.get_identity(identity()).await.map(drop),
                _ => panic!("{what}: not an input request"),
            };
        }
        "digester" => {
            let processor = manager.digest_processors().get(&spec).await.unwrap();
            let _ = match m.path() {
                "/resource/digest/process" => {
                    let request: dp::ProcessResourceDigestRequest = body(m);
                    processor
                        .process_resource_digest(request, creds)
                        .await
                        .map(drop)
                }
                "/identity" => processor.get_identity(identity()).await.map(drop),
                _ => panic!("{what}: not a digest processor request"),
            };
        }
        "resource" => {
            let repo = manager.resource_repositories().get(&spec).await.unwrap();
            let _ = match m.path() {
                "/resource/get" => {
                    let request: rr::GetGlobalResourceRequest = body(m);
                    repo.get_global_resource(request, creds).await.map(drop)
                }
                "/resource/add" => {
                    let request: rr::AddGlobalResourceRequest = body(m);
                    repo.add_global_resource(request, creds).await.map(drop)
                }
                "/identity" => repo.get_identity(identity()).await.map(drop),
                _ => panic!("{what}: not a resource repository request"),
            };
        }
        "blobtransformer" => {
            let transformer = manager.blob_transformers().get(&spec).await.unwrap();
            let _ = match m.path() {
                "/blob/transform" => {
                    let request: bt::TransformBlobRequest = body(m);
                    transformer.transform_blob(request, creds).await.map(drop)
                }
                "/identity" => transformer.get_identity(identity()).await.map(drop),
                _ => panic!("{what}: not a blob transformer request"),
            };
        }
        "component-lister" => {
            let lister = manager.component_listers().get(&spec).await.unwrap();
            let _ = match m.path() {
                "/components/list" => lister.list_components(body(m), creds).await.map(drop),
                "/identity" => lister.get_identity(identity()).await.map(drop),
                _ => panic!("{what}: not a component lister request"),
            };
        }
        "signinghandler" => {
            let handlers = manager.signing_handlers();
            let config: Raw =
                serde_json::from_value(body::<serde_json::Value>(m)["config"].clone()).unwrap();
            let handler = handlers.get(&config).await.unwrap();
            let _ = match m.path() {
                "/sign" => handler.sign(body(m), creds).await.map(drop),
                "/verify" => handler.verify(body(m), creds).await.map(drop),
                "/sign/identity" => handler.get_signing_identity(body(m)).await.map(drop),
                "/verify/identity" => handler.get_verifying_identity(body(m)).await.map(drop),
                _ => panic!("{what}: not a signing handler request"),
            };
        }
        "credential-plugin" => {
            // The spec the Go host looked the plugin up with; `/resolve` names only an identity.
            let spec = crate::spec(
                r#"{"type":"DummyCredentialPlugin/v1","baseUrl":"https://ocm.software/test","secretName":"test-secret"}"#,
            );
            let plugin = manager.credential_plugins().get(&spec).await.unwrap();
            let _ = match m.path() {
                "/consumer-identity" => plugin.consumer_identity(body(m)).await.map(drop),
                "/resolve" => plugin.resolve(body(m), creds).await.map(drop),
                _ => panic!("{what}: not a credential plugin request"),
            };
        }
        other => panic!("no test plugin {other}"),
    }
}

fn without_repository_param(target: &str) -> String {
    let Some((path, query)) = target.split_once('?') else {
        return target.to_owned();
    };
    let kept: Vec<&str> = query
        .split('&')
        .filter(|p| !p.starts_with("repository="))
        .collect();
    if kept.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{}", kept.join("&"))
    }
}

/// Replays one recording; returns the number of requests compared.
async fn replay(g: &Corpus, folder: &str, name: &str, kind: &str) -> usize {
    let session = format!("{folder}/{name}");
    let text = g.read_string(&session).unwrap();
    let transcript = g.transcript(&session).unwrap();
    let calls = transcript.calls();
    let creds = host_credentials(&text, &calls);
    let capabilities = if folder == "go-v0.0.1" && kind == "credential-repository" {
        V001_CREDENTIAL_HARNESS.to_owned()
    } else {
        g.read_string(&format!("{folder}/testplugin-{kind}.capabilities.json"))
            .unwrap()
    };

    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("plugin.sock");
    let server = RecordingServer::start(&socket, &calls).unwrap();
    let plugins = script_plugin(dir.path(), "recorder", &capabilities, &socket).unwrap();
    let manager = PluginManager::new().unwrap();
    let options = RegistrationOptions {
        capabilities_timeout: Duration::from_secs(5),
        start_timeout: Duration::from_secs(10),
        stop_grace: Duration::from_secs(2),
        idle_timeout: Some(Duration::from_secs(60)),
        // The Go hosts passed this configuration to the component version test plugin.
        configuration: Some(vec![spec(
            r#"{"type":"custom.config/v1","maximumNumberOfPotatoes":"100"}"#,
        )]),
        ..RegistrationOptions::default()
    };
    let report = manager.register_plugins(&plugins, options).await.unwrap();
    assert_eq!(report.registered().count(), 1, "{session}: {report:?}");

    for (request, _) in &calls {
        send(&manager, kind, request, &creds).await;
    }
    let sent = server.requests();
    assert_eq!(
        sent.iter()
            .map(|m| without_repository_param(&m.start))
            .collect::<Vec<_>>(),
        calls
            .iter()
            .map(|(m, _)| m.start.clone())
            .collect::<Vec<_>>(),
        "{session}: requests"
    );
    for (ours, (go, _)) in sent.iter().zip(&calls) {
        let what = format!("{session}: {}", go.start);
        for h in ["Authorization", "Content-Type", "Accept", "Host"] {
            assert_eq!(ours.header(h), go.header(h), "{what}: {h}");
        }
        assert_eq!(ours.text(), go.text(), "{what}: body");
    }

    // --config: Go's, but for the per-instance id (W16) and the filled pluginType (W21).
    if let Some(go_config) = &transcript.config {
        let ours = std::fs::read_to_string(script_config_path(dir.path(), "recorder")).unwrap();
        let parsed: PluginConfig = serde_json::from_str(&ours).unwrap();
        let go: PluginConfig = serde_json::from_str(go_config).unwrap();
        assert_eq!(
            (parsed.connection, parsed.idle_timeout),
            (go.connection, go.idle_timeout),
            "{session}: --config"
        );
        assert!(
            go.plugin_type.is_empty(),
            "{session}: Go leaves pluginType empty"
        );
    }
    manager.shutdown().await.unwrap();
    calls.len()
}

#[tokio::test]
async fn every_generation_of_the_go_manager_is_reproduced() {
    let Some(g) = corpus!("requests of the Go managers of every generation, six kinds") else {
        return;
    };
    let mut sessions_seen = 0;
    let mut requests = 0;
    let mut typed = 0;
    for folder in ["go-v0.0.1", "go-v0.0.17", "go-head"] {
        for (name, kind) in sessions(&g, folder) {
            requests += replay(&g, folder, &name, kind).await;
            let text = g.read_string(&format!("{folder}/{name}")).unwrap();
            typed += text.matches("Authorization: {\"properties\"").count()
                + text.matches("Authorization: {\"type\"").count();
            sessions_seen += 1;
        }
    }
    // 8 recordings of v0.0.1, 19 of v0.0.17, 3 of the newest generation.
    assert_eq!(sessions_seen, 8 + 19 + 3, "recordings replayed");
    eprintln!(
        "{sessions_seen} recordings, {requests} requests, {typed} typed Authorization values"
    );
    assert!(requests >= 60, "only {requests} requests compared");
    assert!(
        typed >= 20,
        "only {typed} typed Authorization values compared"
    );
}
