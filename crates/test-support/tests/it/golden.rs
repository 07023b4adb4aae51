//! Golden tests against bytes captured from the real Go manager and Go plugins
//! (`shared/spec/golden/`): our manager must send what the Go manager sends, and read what Go
//! plugins answer.
//!
//! A shell-script "plugin" prints the location of a recording server run by the test, so the
//! whole stack (manager, registry, remote client, runtime) talks to it exactly as to a plugin.

use std::{
    collections::HashMap,
    convert::Infallible,
    os::unix::fs::PermissionsExt,
    path::{Path, PathBuf},
    sync::{Arc, Mutex},
};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Request, Response, body::Incoming, service::service_fn};
use hyper_util::rt::TokioIo;
use ocm_plugin_contracts::component_version_repository::v1 as cvr;
use ocm_plugin_manager::{PluginManager, RegistrationOptions};
use ocm_plugin_types::{Credentials, Descriptor, PluginConfig};

use crate::{options, spec};

fn golden(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/spec/golden")
        .join(name)
}

#[derive(Debug, Clone)]
struct Message {
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
}

/// Splits a `transcript-manager-wire*.txt` into its `--config` line and (request, response)
/// pairs, in order.
fn transcript(name: &str) -> (String, Vec<(Message, Message)>) {
    let text = std::fs::read_to_string(golden(name)).unwrap();
    let config = text
        .lines()
        .find_map(|l| l.strip_prefix("===== manager started plugin with: --config "))
        .unwrap()
        .to_owned();
    let mut blocks: Vec<(bool, String)> = Vec::new();
    let mut current: Option<(bool, String)> = None;
    for line in text.split_inclusive('\n') {
        if line.starts_with("----- ") || line.starts_with("===== ") {
            blocks.extend(current.take());
            if line.contains("manager -> plugin") {
                current = Some((true, String::new()));
            } else if line.contains("plugin -> manager") {
                current = Some((false, String::new()));
            }
        } else if let Some((_, body)) = current.as_mut() {
            body.push_str(line);
        }
    }
    blocks.extend(current);
    let parse = |raw: &str| {
        let (head, rest) = raw
            .split_once("\r\n\r\n")
            .or_else(|| raw.split_once("\n\n"))
            .unwrap_or((raw, ""));
        let mut lines = head.lines();
        let start = lines.next().unwrap().to_owned();
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| {
                l.split_once(": ")
                    .map(|(k, v)| (k.to_owned(), v.to_owned()))
            })
            .collect();
        let len = headers
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
            panic!("unpaired request")
        };
        pairs.push((parse(&req), parse(&resp)));
    }
    (config, pairs)
}

type Recorded = Arc<Mutex<Vec<Message>>>;

/// Serves the golden responses on a Unix socket and records every request.
async fn recording_server(socket: &Path, pairs: Vec<(Message, Message)>) -> Recorded {
    let listener = tokio::net::UnixListener::bind(socket).unwrap();
    let recorded: Recorded = Arc::default();
    let responses: HashMap<String, Message> = pairs
        .into_iter()
        .map(|(req, resp)| {
            (
                req.start
                    .split(' ')
                    .nth(1)
                    .unwrap()
                    .split('?')
                    .next()
                    .unwrap()
                    .to_owned(),
                resp,
            )
        })
        .collect();
    let responses = Arc::new(responses);
    let rec = Arc::clone(&recorded);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let (rec, responses) = (Arc::clone(&rec), Arc::clone(&responses));
            tokio::spawn(async move {
                let svc = service_fn(move |req: Request<Incoming>| {
                    let (rec, responses) = (Arc::clone(&rec), Arc::clone(&responses));
                    async move {
                        let (parts, body) = req.into_parts();
                        let body = body
                            .collect()
                            .await
                            .map(|b| b.to_bytes().to_vec())
                            .unwrap_or_default();
                        let path = parts.uri.path().to_owned();
                        let start = format!("{} {} HTTP/1.1", parts.method, parts.uri);
                        let headers = parts
                            .headers
                            .iter()
                            .map(|(k, v)| {
                                (
                                    k.as_str().to_owned(),
                                    v.to_str().unwrap_or_default().to_owned(),
                                )
                            })
                            .collect();
                        if path != "/healthz" {
                            rec.lock().unwrap().push(Message {
                                start,
                                headers,
                                body,
                            });
                        }
                        let resp = responses.get(&path);
                        let status: u16 = resp
                            .map_or(200, |r| r.start.split(' ').nth(1).unwrap().parse().unwrap());
                        let body = resp.map(|r| r.body.clone()).unwrap_or_default();
                        Ok::<_, Infallible>(
                            Response::builder()
                                .status(status)
                                .body(Full::new(Bytes::from(body)))
                                .unwrap(),
                        )
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    recorded
}

/// A plugin directory with one script that answers `capabilities` with the Go test plugin's
/// golden output, records its `--config` argument, and prints the recording server's location.
fn script_plugin(dir: &Path, socket: &Path) -> PathBuf {
    let plugins = dir.join("plugins");
    std::fs::create_dir_all(&plugins).unwrap();
    let script = plugins.join("go-recorder");
    let caps = golden("go-v0.0.1/testplugin-component-version.capabilities.json");
    let argfile = dir.join("config-arg");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nif [ \"$1\" = capabilities ]; then exec cat '{}'; fi\nprintf '%s' \"$2\" > '{}'\necho 'http+unix://{}'\nexec tail -f /dev/null\n",
            caps.display(),
            argfile.display(),
            socket.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    plugins
}

fn query_without_repository(uri: &str) -> String {
    let q = uri.split_once('?').map_or("", |(_, q)| q);
    q.split('&')
        .filter(|p| !p.starts_with("repository="))
        .collect::<Vec<_>>()
        .join("&")
}

#[tokio::test]
async fn requests_match_the_go_manager_byte_for_byte() {
    let (config_line, pairs) = transcript("go-v0.0.1/transcript-manager-wire-with-config.txt");
    let (_, mut all_pairs) = transcript("go-v0.0.1/transcript-manager-wire.txt");
    all_pairs.retain(|(req, _)| !req.start.starts_with("GET /healthz"));
    assert!(
        pairs.len() >= 2 && all_pairs.len() == 5,
        "transcripts parsed: {} {}",
        pairs.len(),
        all_pairs.len()
    );

    let tmp = tempfile::tempdir().unwrap();
    let socket = tmp.path().join("golden.sock");
    let recorded = recording_server(&socket, all_pairs.clone()).await;
    let plugins = script_plugin(tmp.path(), &socket);

    let manager = PluginManager::new().unwrap();
    let configuration = vec![spec(
        r#"{"type":"custom.config/v1","maximumNumberOfPotatoes":"100"}"#,
    )];
    let report = manager
        .register_plugins(
            &plugins,
            RegistrationOptions {
                configuration: Some(configuration),
                idle_timeout: Some(std::time::Duration::from_secs(60)),
                ..options()
            },
        )
        .await
        .unwrap();
    assert_eq!(report.registered().count(), 1, "{report:?}");

    // The real Go schema validates our spec; then the plugin starts.
    let spec = spec(r#"{"type":"DummyRepository/v1","baseUrl":"https://ocm.software/test"}"#);
    let repo = manager
        .component_version_repositories()
        .get(&spec)
        .await
        .unwrap();
    let creds: Credentials = [
        ("password".to_owned(), "p".to_owned()),
        ("username".to_owned(), "u".to_owned()),
    ]
    .into();

    // --config: byte-equal to the Go manager's, except the per-instance id (W16) and the filled
    // pluginType (W21).
    let ours = std::fs::read_to_string(tmp.path().join("config-arg")).unwrap();
    let parsed: PluginConfig = serde_json::from_str(&ours).unwrap();
    let expected = config_line
        .replace(
            r#""id":"testplugin-component-version""#,
            &format!(r#""id":"{}""#, parsed.id),
        )
        .replace(
            r#""pluginType":"""#,
            r#""pluginType":"componentVersionRepository""#,
        );
    assert_eq!(ours, expected);
    assert!(parsed.id.starts_with("go-recorder-"), "{}", parsed.id);

    // The five operations of the transcript, in its order.
    let d = repo
        .get_component_version(
            cvr::GetComponentVersionRequest {
                repository: None,
                name: "test-component".into(),
                version: "1.0.0".into(),
            },
            &creds,
        )
        .await
        .unwrap();
    // Same JSON; only the key order inside `access` differs, which a decoding Go peer
    // canonicalises as well (spec §0.4).
    let go: serde_json::Value = serde_json::from_slice(&all_pairs[0].1.body).unwrap();
    assert_eq!(
        serde_json::to_value(&d).unwrap(),
        go,
        "Go's descriptor survives a round trip"
    );
    let versions = repo
        .list_component_versions(
            cvr::ListComponentVersionsRequest {
                repository: None,
                name: "test-component".into(),
            },
            &creds,
        )
        .await
        .unwrap();
    assert_eq!(versions, ["v0.0.1", "v0.0.2"]);
    let local = repo
        .get_local_resource(
            cvr::GetLocalResourceRequest {
                repository: None,
                name: "test-component".into(),
                version: "1.0.0".into(),
                identity: Some(
                    [
                        ("name".to_owned(), "test-resource".to_owned()),
                        ("version".to_owned(), "v0.0.1".to_owned()),
                    ]
                    .into(),
                ),
            },
            &creds,
        )
        .await
        .unwrap();
    assert_eq!(local.location.value, "/tmp/test-resource-file220037243");
    assert_eq!(local.resource.name, "test-resource");
    let identity = repo
        .get_identity(cvr::GetIdentityRequest { typ: spec.clone() })
        .await
        .unwrap();
    assert!(identity.identity.is_empty(), "Go answers `null`");
    let upload: serde_json::Value = serde_json::from_slice(&all_pairs[4].0.body).unwrap();
    let descriptor: Descriptor = serde_json::from_value(upload["descriptor"].clone()).unwrap();
    repo.add_component_version(
        cvr::AddComponentVersionRequest {
            repository: spec.clone(),
            descriptor,
        },
        &creds,
    )
    .await
    .unwrap();

    let recorded = recorded.lock().unwrap().clone();
    assert_eq!(recorded.len(), all_pairs.len());
    for (ours, (go, _)) in recorded.iter().zip(&all_pairs) {
        let (go_method, go_uri) = go.start.split_once(' ').unwrap();
        let go_uri = go_uri.trim_end_matches(" HTTP/1.1");
        let (method, uri) = ours.start.split_once(' ').unwrap();
        let uri = uri.trim_end_matches(" HTTP/1.1");
        assert_eq!(method, go_method);
        assert_eq!(uri.split('?').next(), go_uri.split('?').next());
        assert_eq!(
            query_without_repository(uri),
            query_without_repository(go_uri),
            "query of {go_uri}"
        );
        if method == "GET" {
            // Our extension: the spec travels along, base64 JSON.
            let param = uri
                .split('&')
                .find_map(|p| p.split_once("repository=").map(|(_, v)| v))
                .unwrap();
            let decoded: Option<ocm_plugin_types::Raw> = ocm_plugin_endpoints::decode_json_param(
                "repository",
                Some(&param.replace("%3D", "=")),
            )
            .unwrap();
            assert_eq!(decoded.unwrap(), spec);
        }
        for h in ["Host", "Accept", "Content-Type", "Authorization"] {
            assert_eq!(ours.header(h), go.header(h), "header {h} of {go_uri}");
        }
        assert_eq!(ours.body, go.body, "body of {go_uri}");
    }
    manager.shutdown().await.unwrap();
}

#[test]
fn go_manager_config_lines_parse_and_reencode_byte_for_byte() {
    let mut seen = 0;
    for version in ["go-v0.0.1", "go-v0.0.17"] {
        for entry in std::fs::read_dir(golden(version)).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if !name.starts_with("transcript-manager-wire") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            for line in text
                .lines()
                .filter_map(|l| l.strip_prefix("===== manager started plugin with: --config "))
            {
                let config: PluginConfig =
                    serde_json::from_str(line).unwrap_or_else(|e| panic!("{name}: {e}"));
                assert_eq!(serde_json::to_string(&config).unwrap(), line, "{name}");
                seen += 1;
            }
        }
    }
    assert!(seen >= 10, "only {seen} --config lines found");
}
