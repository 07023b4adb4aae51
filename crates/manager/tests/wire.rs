//! What the manager sends for the credential repository, input, digest processor, resource
//! repository and blob transformer capabilities, compared with recordings of the real Go
//! manager (`shared/spec/golden/go-v0.0.1/transcript-manager-wire-*.txt`): paths, methods,
//! `Authorization` (presence and exact JSON), and bodies byte for byte.
//!
//! The "plugin" is a shell script that prints the location of a small HTTP server run by the
//! test, which answers with the recorded Go plugin responses.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use std::{
    collections::HashMap,
    os::unix::fs::PermissionsExt,
    path::{Path, PathBuf},
    sync::{Arc, Mutex},
    time::Duration,
};

use ocm_plugin_contracts::{
    Error as ContractError, blob_transformer::v1 as bt, credential_repository::v1 as cred,
    digest_processor::v1 as dp, identity::GetIdentityRequest, input::v1 as inp,
    resource_repository::v1 as rr,
};
use ocm_plugin_manager::{PluginManager, RegistrationOptions};
use ocm_plugin_types::{Credentials, LocationType, Raw, Resource};
use tokio::{
    io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader},
    net::{UnixListener, UnixStream},
};

fn golden(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/spec/golden/go-v0.0.1")
        .join(name)
}

/// One HTTP message of a transcript, or one request the test server received.
#[derive(Debug, Clone, Default)]
struct Message {
    /// `POST /resolve` for a request, `200` for a response.
    start: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Message {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn path(&self) -> &str {
        self.start.split(' ').nth(1).unwrap_or_default()
    }
}

/// The (request, response) pairs of a transcript, `/healthz` left out.
fn transcript(name: &str) -> Vec<(Message, Message)> {
    let text = std::fs::read_to_string(golden(name)).unwrap();
    let mut blocks: Vec<(bool, String)> = Vec::new();
    let mut current: Option<(bool, String)> = None;
    for line in text.split_inclusive('\n') {
        if line.starts_with("----- ") || line.starts_with("===== ") || line.starts_with("##### ") {
            blocks.extend(current.take());
            if line.contains("manager -> plugin") {
                current = Some((true, String::new()));
            } else if line.contains("plugin -> manager") {
                current = Some((false, String::new()));
            }
        } else if let Some((_, raw)) = current.as_mut() {
            raw.push_str(line);
        }
    }
    blocks.extend(current);
    let parse = |raw: &str| {
        let (head, rest) = raw.split_once("\r\n\r\n").unwrap_or((raw, ""));
        let mut lines = head.lines();
        let first = lines.next().unwrap();
        let parts: Vec<&str> = first.split(' ').collect();
        let start = if first.starts_with("HTTP/") {
            parts[1].to_owned()
        } else {
            format!("{} {}", parts[0], parts[1])
        };
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(": "))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        let len: usize = headers
            .iter()
            .find(|(k, _)| k == "Content-Length")
            .map_or(0, |(_, v)| v.parse().unwrap());
        Message {
            start,
            headers,
            body: rest.as_bytes()[..len].to_vec(),
        }
    };
    let mut pairs = Vec::new();
    let mut it = blocks.into_iter();
    while let Some((true, req)) = it.next() {
        let (false, resp) = it.next().unwrap() else {
            panic!("unpaired request in {name}")
        };
        let pair = (parse(&req), parse(&resp));
        if pair.0.path() != "/healthz" {
            pairs.push(pair);
        }
    }
    assert!(!pairs.is_empty(), "{name} has no requests");
    pairs
}

type Log = Arc<Mutex<Vec<Message>>>;

/// A keep-alive HTTP/1.1 server on a Unix socket: `/healthz` answers 200, every other path the
/// recorded response for it; every other request is logged.
async fn serve(socket: &Path, pairs: &[(Message, Message)]) -> Log {
    let listener = UnixListener::bind(socket).unwrap();
    let answers: Arc<HashMap<String, Message>> = Arc::new(
        pairs
            .iter()
            .map(|(req, resp)| (req.path().to_owned(), resp.clone()))
            .collect(),
    );
    let log: Log = Arc::default();
    let server_log = Arc::clone(&log);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(connection(
                stream,
                Arc::clone(&answers),
                Arc::clone(&server_log),
            ));
        }
    });
    log
}

async fn connection(stream: UnixStream, answers: Arc<HashMap<String, Message>>, log: Log) {
    let mut stream = BufReader::new(stream);
    loop {
        let mut first = String::new();
        if stream.read_line(&mut first).await.unwrap_or(0) == 0 {
            return;
        }
        let parts: Vec<&str> = first.trim_end().split(' ').collect();
        let mut request = Message {
            start: format!("{} {}", parts[0], parts[1]),
            ..Message::default()
        };
        loop {
            let mut line = String::new();
            stream.read_line(&mut line).await.unwrap();
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            let (k, v) = line.split_once(": ").unwrap();
            request.headers.push((k.to_owned(), v.to_owned()));
        }
        let len: usize = request
            .header("content-length")
            .map_or(0, |v| v.parse().unwrap());
        request.body = vec![0; len];
        stream.read_exact(&mut request.body).await.unwrap();
        let (status, body) = if request.path() == "/healthz" {
            ("200".to_owned(), Vec::new())
        } else {
            let answer = answers.get(request.path()).cloned().unwrap_or(Message {
                start: "404".into(),
                ..Message::default()
            });
            log.lock().unwrap().push(request);
            (answer.start, answer.body)
        };
        let head = format!(
            "HTTP/1.1 {status} X\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        let out = stream.get_mut();
        out.write_all(head.as_bytes()).await.unwrap();
        out.write_all(&body).await.unwrap();
    }
}

/// A plugin directory with one script: `capabilities` prints `caps`, a start prints the
/// server's location and waits to be stopped.
fn script_plugin(dir: &Path, id: &str, caps: &str, socket: &Path) -> PathBuf {
    let plugins = dir.join("plugins");
    std::fs::create_dir_all(&plugins).unwrap();
    let caps_file = dir.join(format!("{id}.capabilities.json"));
    std::fs::write(&caps_file, caps).unwrap();
    let script = plugins.join(id);
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nif [ \"$1\" = capabilities ]; then exec cat '{}'; fi\necho 'http+unix://{}'\nexec tail -f /dev/null\n",
            caps_file.display(),
            socket.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    plugins
}

/// A manager with the script plugin registered, the transcript's requests, and the log of
/// what the manager sent.
struct Setup {
    manager: PluginManager,
    golden: Vec<(Message, Message)>,
    log: Log,
    _dir: tempfile::TempDir,
}

async fn setup(transcript_name: &str, caps: &str) -> Setup {
    let golden = transcript(transcript_name);
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("plugin.sock");
    let log = serve(&socket, &golden).await;
    let plugins = script_plugin(dir.path(), "recorder", caps, &socket);
    let manager = PluginManager::new().unwrap();
    let options = RegistrationOptions {
        capabilities_timeout: Duration::from_secs(5),
        start_timeout: Duration::from_secs(10),
        stop_grace: Duration::from_secs(2),
        ..RegistrationOptions::default()
    };
    let report = manager.register_plugins(&plugins, options).await.unwrap();
    assert_eq!(report.registered().count(), 1, "{report:?}");
    Setup {
        manager,
        golden,
        log,
        _dir: dir,
    }
}

impl Setup {
    /// Every request the manager sent equals the Go manager's, in order.
    fn assert_requests_match(&self, normalise: impl Fn(&str, &[u8]) -> Vec<u8>) {
        let sent = self.log.lock().unwrap().clone();
        let expected: Vec<&Message> = self.golden.iter().map(|(req, _)| req).collect();
        assert_eq!(
            sent.iter().map(|m| m.start.as_str()).collect::<Vec<_>>(),
            expected
                .iter()
                .map(|m| m.start.as_str())
                .collect::<Vec<_>>(),
        );
        for (ours, go) in sent.iter().zip(expected) {
            let what = &go.start;
            assert_eq!(
                ours.header("authorization"),
                go.header("Authorization"),
                "{what}: Authorization"
            );
            for h in ["Content-Type", "Accept"] {
                assert_eq!(ours.header(h), go.header(h), "{what}: {h}");
            }
            assert_eq!(
                String::from_utf8_lossy(&normalise(what, &ours.body)),
                String::from_utf8_lossy(&normalise(what, &go.body)),
                "{what}: body"
            );
        }
    }

    async fn shutdown(self) {
        self.manager.shutdown().await.unwrap();
    }
}

fn same(_: &str, body: &[u8]) -> Vec<u8> {
    body.to_vec()
}

fn caps_file(name: &str) -> String {
    std::fs::read_to_string(golden(name)).unwrap()
}

fn raw(json: &str) -> Raw {
    Raw::from_json(json).unwrap()
}

fn dummy() -> Raw {
    raw(r#"{"type":"DummyRepository/v1","baseUrl":"https://ocm.software/test"}"#)
}

fn creds() -> Credentials {
    [
        ("username".to_owned(), "u".to_owned()),
        ("password".to_owned(), "p".to_owned()),
    ]
    .into()
}

fn resource() -> Resource {
    Resource {
        name: "test-resource".into(),
        version: "v0.0.1".into(),
        resource_type: "blob".into(),
        relation: "local".into(),
        access: Some(dummy()),
        ..Resource::default()
    }
}

#[tokio::test]
async fn credential_repository_requests_match_the_go_manager() {
    // v0.0.1 index semantics: [0] consumer identity type, [1] repository config type.
    let caps = r#"{"types":{"credentialRepository":[{"type":"HarnessConsumer/v1","jsonSchema":"e30="},{"type":"HarnessCredentialRepository/v1","jsonSchema":"e30="}]}}"#;
    let s = setup("transcript-manager-wire-credential-repository.txt", caps).await;
    let config =
        raw(r#"{"type":"HarnessCredentialRepository/v1","baseUrl":"https://ocm.software/test"}"#);
    let repos = s.manager.credential_repositories();
    let repo = repos.get(&config).await.unwrap();
    let request = || cred::ConsumerIdentityForConfigRequest {
        config: config.clone(),
    };
    let identity = repo.consumer_identity_for_config(request()).await.unwrap();
    assert_eq!(identity["type"], "HarnessConsumer/v1");
    // The credential graph's way in: by the identity's type.
    let by_consumer = repos.for_consumer(&identity).unwrap();
    assert_eq!(
        by_consumer
            .consumer_identity_for_config(request())
            .await
            .unwrap(),
        identity
    );
    let resolved = by_consumer
        .resolve(
            cred::ResolveRequest {
                config: config.clone(),
                identity,
            },
            &creds(),
        )
        .await
        .unwrap();
    assert_eq!(resolved["in-username"], "u");
    assert_eq!(resolved["token"], "resolved-for-https://ocm.software/test");
    s.assert_requests_match(same);
    s.shutdown().await;
}

#[tokio::test]
async fn input_requests_match_the_go_manager() {
    let s = setup(
        "transcript-manager-wire-input.txt",
        &caps_file("testplugin-input.capabilities.json"),
    )
    .await;
    let method = s.manager.inputs().get(&dummy()).await.unwrap();
    // v0.0.1-style constructor resources (access, no input): the Go manager's bodies exactly.
    let processed = method
        .process_resource(
            inp::ProcessResourceRequest {
                resource: inp::ConstructorResource {
                    name: "test-resource".into(),
                    version: "v0.0.1".into(),
                    resource_type: "blob".into(),
                    relation: "local".into(),
                    access: Some(dummy()),
                    ..Default::default()
                },
            },
            &creds(),
        )
        .await
        .unwrap();
    assert_eq!(processed.resource.name, "test-resource");
    assert_eq!(processed.location.location_type, LocationType::LocalFile);
    let source = method
        .process_source(
            inp::ProcessSourceRequest {
                source: inp::ConstructorSource {
                    name: "test-source".into(),
                    version: "v0.0.1".into(),
                    source_type: "blob".into(),
                    access: Some(dummy()),
                    ..Default::default()
                },
            },
            &creds(),
        )
        .await
        .unwrap();
    assert_eq!(source.source.name, "test-source");
    // Go SDK input plugins serve no /identity.
    let err = method
        .get_identity(GetIdentityRequest { typ: dummy() })
        .await
        .unwrap_err();
    assert!(matches!(err, ContractError::NotFound(_)), "{err}");
    s.assert_requests_match(same);
    s.shutdown().await;
}

#[tokio::test]
async fn input_requests_without_credentials_send_an_empty_map() {
    let s = setup(
        "transcript-manager-wire-input-no-creds.txt",
        &caps_file("testplugin-input.capabilities.json"),
    )
    .await;
    let method = s.manager.inputs().get(&dummy()).await.unwrap();
    method
        .process_resource(
            inp::ProcessResourceRequest {
                resource: inp::ConstructorResource {
                    name: "test-resource".into(),
                    version: "v0.0.1".into(),
                    resource_type: "blob".into(),
                    relation: "local".into(),
                    access: Some(dummy()),
                    ..Default::default()
                },
            },
            &Credentials::new(),
        )
        .await
        .unwrap();
    s.assert_requests_match(same);
    s.shutdown().await;
}

#[tokio::test]
async fn digest_processor_requests_match_the_go_manager() {
    let s = setup(
        "transcript-manager-wire-digester.txt",
        &caps_file("testplugin-digester.capabilities.json"),
    )
    .await;
    let processor = s.manager.digest_processors().get(&dummy()).await.unwrap();
    let got = processor
        .process_resource_digest(
            dp::ProcessResourceDigestRequest {
                resource: resource(),
            },
            &creds(),
        )
        .await
        .unwrap();
    assert_eq!(got.resource.name, "test-resource");
    // The Go SDK's digest /identity cannot decode a spec: a 500, as an error.
    let err = processor
        .get_identity(GetIdentityRequest { typ: dummy() })
        .await
        .unwrap_err();
    assert!(err.to_string().contains("status code 500"), "{err}");
    s.assert_requests_match(same);
    s.shutdown().await;
}

#[tokio::test]
async fn resource_repository_requests_match_the_go_manager() {
    let s = setup(
        "transcript-manager-wire-resource.txt",
        &caps_file("testplugin-resource.capabilities.json"),
    )
    .await;
    let repo = s
        .manager
        .resource_repositories()
        .get(&dummy())
        .await
        .unwrap();
    let got = repo
        .get_global_resource(
            rr::GetGlobalResourceRequest {
                resource: resource(),
            },
            &creds(),
        )
        .await
        .unwrap();
    assert!(got.location.value.starts_with("/tmp/test-resource-file"));
    let err = repo
        .get_identity(GetIdentityRequest { typ: dummy() })
        .await
        .unwrap_err();
    assert!(matches!(err, ContractError::InvalidArgument(_)), "{err}");
    s.assert_requests_match(same);
    s.shutdown().await;
}

#[tokio::test]
async fn blob_transformer_requests_match_the_go_manager() {
    let s = setup(
        "transcript-manager-wire-blobtransformer.txt",
        &caps_file("testplugin-blobtransformer.capabilities.json"),
    )
    .await;
    let transformer = s.manager.blob_transformers().get(&dummy()).await.unwrap();
    // `null` from a Go plugin: an empty identity.
    let identity = transformer
        .get_identity(GetIdentityRequest { typ: dummy() })
        .await
        .unwrap();
    assert!(identity.identity.is_empty());
    let input = s.manager.request_file_from_bytes(b"blob").await.unwrap();
    let got = transformer
        .transform_blob(
            bt::TransformBlobRequest {
                location: input.location().clone(),
                specification: dummy(),
            },
            &creds(),
        )
        .await
        .unwrap();
    assert!(got.location.value.starts_with("/tmp/test-blob-file"));
    // The request file is ours: it lives in the manager's temp dir until we drop it.
    assert!(input.path().starts_with(s.manager.temp_dir()));
    drop(input);
    // Temp-file names differ from run to run; the rest of the body must not.
    s.assert_requests_match(|what, body| {
        if what != "POST /blob/transform" {
            return body.to_vec();
        }
        let mut v: serde_json::Value = serde_json::from_slice(body).unwrap();
        v["location"]["value"] = "<temp file>".into();
        serde_json::to_vec(&v).unwrap()
    });
    s.shutdown().await;
}

#[tokio::test]
async fn null_fields_in_answers_are_errors_not_panics() {
    // The input transcript's path, answered with `{}` and `{"resource":null,...}` (W17).
    let caps = caps_file("testplugin-input.capabilities.json");
    let mut s = setup("transcript-manager-wire-input-no-creds.txt", &caps).await;
    s.golden.clear();
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("null.sock");
    let answers = [(
        Message {
            start: "POST /resource/process".into(),
            ..Message::default()
        },
        Message {
            start: "200".into(),
            body: br#"{"resource":null,"location":{"type":"localFile","value":"/tmp/x"}}"#.to_vec(),
            ..Message::default()
        },
    )];
    serve(&socket, &answers).await;
    let plugins = script_plugin(
        dir.path(),
        "nulls",
        &caps.replace("DummyRepository", "Nulls"),
        &socket,
    );
    s.manager
        .register_plugins(&plugins, RegistrationOptions::default())
        .await
        .unwrap();
    let spec = raw(r#"{"type":"Nulls/v1","baseUrl":"x"}"#);
    let method = s.manager.inputs().get(&spec).await.unwrap();
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
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("invalid response: it has no resource (missing or null)"),
        "{err}"
    );
    s.shutdown().await;
}
