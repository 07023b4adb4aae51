//! Golden tests against bytes captured from the real Go manager and Go plugins
//! (`shared/spec/golden/`): our manager must send what the Go manager sends, and read what Go
//! plugins answer.
//!
//! A shell-script "plugin" prints the location of a recording server run by the test, so the
//! whole stack (manager, registry, remote client, runtime) talks to it exactly as to a plugin.

use ocm_plugin_contracts::component_version_repository::v1 as cvr;
use ocm_plugin_manager::{PluginManager, RegistrationOptions};
use ocm_plugin_test_support::golden::{RecordingServer, corpus, script_config_path, script_plugin};
use ocm_plugin_types::{Credentials, Descriptor, PluginConfig};

use crate::{options, spec};

fn query_without_repository(q: &str) -> String {
    q.split('&')
        .filter(|p| !p.starts_with("repository="))
        .collect::<Vec<_>>()
        .join("&")
}

#[tokio::test]
async fn requests_match_the_go_manager_byte_for_byte() {
    let Some(g) = corpus!("component version repository requests of the Go v0.0.1 manager") else {
        return;
    };
    let config_line = g
        .transcript("go-v0.0.1/transcript-manager-wire-with-config.txt")
        .unwrap()
        .config
        .unwrap();
    let all_pairs = g
        .transcript("go-v0.0.1/transcript-manager-wire.txt")
        .unwrap()
        .calls();
    assert_eq!(all_pairs.len(), 5, "transcript parsed");

    let tmp = tempfile::tempdir().unwrap();
    let socket = tmp.path().join("golden.sock");
    let server = RecordingServer::start(&socket, &all_pairs).unwrap();
    let caps = g
        .read_string("go-v0.0.1/testplugin-component-version.capabilities.json")
        .unwrap();
    let plugins = script_plugin(tmp.path(), "go-recorder", &caps, &socket).unwrap();

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
    let ours = std::fs::read_to_string(script_config_path(tmp.path(), "go-recorder")).unwrap();
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

    let recorded = server.requests();
    assert_eq!(recorded.len(), all_pairs.len());
    for (ours, (go, _)) in recorded.iter().zip(&all_pairs) {
        let (method, go_method) = (ours.start.split(' ').next(), go.start.split(' ').next());
        assert_eq!(method, go_method);
        assert_eq!(ours.path(), go.path());
        let go_uri = go.target();
        assert_eq!(
            query_without_repository(ours.query()),
            query_without_repository(go.query()),
            "query of {go_uri}"
        );
        if method == Some("GET") {
            // Our extension: the spec travels along, base64 JSON.
            let param = ours
                .query()
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
    let Some(g) = corpus!("--config lines of every Go manager generation") else {
        return;
    };
    let mut seen = 0;
    for version in ["go-v0.0.1", "go-v0.0.17", "go-head"] {
        for name in g.files(version).unwrap() {
            if !name.starts_with("transcript-manager-wire") {
                continue;
            }
            let text = g.read_string(&format!("{version}/{name}")).unwrap();
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
