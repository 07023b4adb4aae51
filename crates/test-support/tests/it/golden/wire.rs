//! What the manager sends for the credential repository, input, digest processor, resource
//! repository and blob transformer capabilities, compared with recordings of the real Go
//! manager (`shared/spec/golden/go-v0.0.1/transcript-manager-wire-*.txt`): paths, methods,
//! `Authorization` (presence and exact JSON), and bodies byte for byte.
//!
//! The "plugin" is a shell script that prints the location of a small HTTP server run by the
//! test, which answers with the recorded Go plugin responses.

use std::time::Duration;

use ocm_plugin_contracts::{
    Error as ContractError, blob_transformer::v1 as bt, credential_repository::v1 as cred,
    digest_processor::v1 as dp, identity::GetIdentityRequest, input::v1 as inp,
    resource_repository::v1 as rr,
};
use ocm_plugin_manager::{PluginManager, RegistrationOptions};
use ocm_plugin_test_support::golden::{Corpus, Message, RecordingServer, corpus, script_plugin};
use ocm_plugin_types::{Credentials, LocationType, Raw, Resource};

/// A manager with the script plugin registered, the transcript's requests, and the log of
/// what the manager sent.
struct Setup {
    manager: PluginManager,
    golden: Vec<(Message, Message)>,
    server: RecordingServer,
    _dir: tempfile::TempDir,
}

async fn setup(g: &Corpus, transcript_name: &str, caps: &str) -> Setup {
    let golden = g
        .transcript(&format!("go-v0.0.1/{transcript_name}"))
        .unwrap()
        .calls();
    assert!(!golden.is_empty(), "{transcript_name} has no requests");
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("plugin.sock");
    let server = RecordingServer::start(&socket, &golden).unwrap();
    let plugins = script_plugin(dir.path(), "recorder", caps, &socket).unwrap();
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
        server,
        _dir: dir,
    }
}

impl Setup {
    /// Every request the manager sent equals the Go manager's, in order.
    fn assert_requests_match(&self, normalise: impl Fn(&str, &[u8]) -> Vec<u8>) {
        let sent = self.server.requests();
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

fn caps_file(g: &Corpus, name: &str) -> String {
    g.read_string(&format!("go-v0.0.1/{name}")).unwrap()
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
    let Some(g) =
        corpus!("the Go manager's requests: credential repository requests match the go manager")
    else {
        return;
    };
    // v0.0.1 index semantics: [0] consumer identity type, [1] repository config type.
    let caps = r#"{"types":{"credentialRepository":[{"type":"HarnessConsumer/v1","jsonSchema":"e30="},{"type":"HarnessCredentialRepository/v1","jsonSchema":"e30="}]}}"#;
    let s = setup(
        &g,
        "transcript-manager-wire-credential-repository.txt",
        caps,
    )
    .await;
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
    let Some(g) = corpus!("the Go manager's requests: input requests match the go manager") else {
        return;
    };
    let s = setup(
        &g,
        "transcript-manager-wire-input.txt",
        &caps_file(&g, "testplugin-input.capabilities.json"),
    )
    .await;
    let method = s.manager.input_methods().get(&dummy()).await.unwrap();
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
    let Some(g) =
        corpus!("the Go manager's requests: input requests without credentials send an empty map")
    else {
        return;
    };
    let s = setup(
        &g,
        "transcript-manager-wire-input-no-creds.txt",
        &caps_file(&g, "testplugin-input.capabilities.json"),
    )
    .await;
    let method = s.manager.input_methods().get(&dummy()).await.unwrap();
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
    let Some(g) =
        corpus!("the Go manager's requests: digest processor requests match the go manager")
    else {
        return;
    };
    let s = setup(
        &g,
        "transcript-manager-wire-digester.txt",
        &caps_file(&g, "testplugin-digester.capabilities.json"),
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
    let Some(g) =
        corpus!("the Go manager's requests: resource repository requests match the go manager")
    else {
        return;
    };
    let s = setup(
        &g,
        "transcript-manager-wire-resource.txt",
        &caps_file(&g, "testplugin-resource.capabilities.json"),
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
    let Some(g) =
        corpus!("the Go manager's requests: blob transformer requests match the go manager")
    else {
        return;
    };
    let s = setup(
        &g,
        "transcript-manager-wire-blobtransformer.txt",
        &caps_file(&g, "testplugin-blobtransformer.capabilities.json"),
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
