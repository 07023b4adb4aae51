//! The example directory repository plugin through the manager: real files end to end.

use ocm_plugin_contracts::{Error as ContractError, component_version_repository::v1 as cvr};
use ocm_plugin_manager::PluginManager;
use ocm_plugin_registries::Error as RegistryError;
use ocm_plugin_test_support::PluginDir;
use ocm_plugin_types::{Credentials, Descriptor, Location, Resource};

use crate::{directory_repository, options, spec};

#[tokio::test]
async fn stores_and_reads_back_component_versions_and_blobs() {
    let dir = PluginDir::new().unwrap();
    dir.add("directory-repository", &directory_repository())
        .unwrap();
    let store = tempfile::tempdir().unwrap();
    let manager = PluginManager::new().unwrap();
    manager
        .register_plugins(dir.path(), options())
        .await
        .unwrap();
    let spec = spec(&format!(
        r#"{{"type":"DirectoryRepository/v1","path":"{}"}}"#,
        store.path().display()
    ));
    let repo = manager
        .component_version_repositories()
        .get(&spec)
        .await
        .unwrap();
    let creds = Credentials::new();

    let mut d = Descriptor::default();
    d.meta.schema_version = "v2".into();
    d.component.name = "acme.org/app".into();
    d.component.version = "1.0.0".into();
    d.component.provider = "acme.org".into();
    repo.add_component_version(
        cvr::AddComponentVersionRequest {
            repository: spec.clone(),
            descriptor: d,
        },
        &creds,
    )
    .await
    .unwrap();

    let blob = store.path().join("input.bin");
    let bytes: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 251) as u8).collect();
    std::fs::write(&blob, &bytes).unwrap();
    let stored = repo
        .add_local_resource(
            cvr::AddLocalResourceRequest {
                repository: spec.clone(),
                name: "acme.org/app".into(),
                version: "1.0.0".into(),
                resource_location: Location::local_file(blob.to_string_lossy()),
                resource: Resource {
                    name: "data".into(),
                    version: "1.0.0".into(),
                    resource_type: "blob".into(),
                    relation: "local".into(),
                    ..Resource::default()
                },
            },
            &creds,
        )
        .await
        .unwrap();
    assert_eq!(stored.digest.as_ref().unwrap().hash_algorithm, "SHA-256");
    assert!(blob.exists(), "the caller's file is left alone");

    let got = repo
        .get_local_resource(
            cvr::GetLocalResourceRequest {
                repository: None,
                name: "acme.org/app".into(),
                version: "1.0.0".into(),
                identity: Some(
                    [
                        ("name".to_owned(), "data".to_owned()),
                        ("version".to_owned(), "1.0.0".to_owned()),
                    ]
                    .into(),
                ),
            },
            &creds,
        )
        .await
        .unwrap();
    let out = std::path::PathBuf::from(&got.location.value);
    assert_ne!(out, blob);
    assert_eq!(std::fs::read(&out).unwrap(), bytes);
    assert!(
        out.starts_with(manager.temp_dir()),
        "handed-over files land in the manager's temp dir: {}",
        out.display()
    );
    assert_eq!(got.resource.digest, stored.digest);

    let d = repo
        .get_component_version(
            cvr::GetComponentVersionRequest {
                repository: None,
                name: "acme.org/app".into(),
                version: "1.0.0".into(),
            },
            &creds,
        )
        .await
        .unwrap();
    assert_eq!(d.component.resources.unwrap()[0].name, "data");
    let missing = repo
        .get_component_version(
            cvr::GetComponentVersionRequest {
                repository: None,
                name: "acme.org/app".into(),
                version: "9.9.9".into(),
            },
            &creds,
        )
        .await
        .unwrap_err();
    assert!(matches!(missing, ContractError::NotFound(_)), "{missing:?}");
    repo.check_health(
        cvr::CheckHealthRequest {
            repository: spec.clone(),
        },
        &creds,
    )
    .await
    .unwrap();
    manager.shutdown().await.unwrap();
    assert!(
        !out.exists(),
        "shutdown removes the temp dir with any file nobody deleted"
    );
}

#[tokio::test]
async fn specs_are_validated_against_the_declared_schema_before_any_start() {
    let dir = PluginDir::new().unwrap();
    dir.add("directory-repository", &directory_repository())
        .unwrap();
    let manager = PluginManager::new().unwrap();
    manager
        .register_plugins(dir.path(), options())
        .await
        .unwrap();
    let bad = spec(r#"{"type":"DirectoryRepository/v1","path":"/x","extra":true}"#);
    let err = manager
        .component_version_repositories()
        .get(&bad)
        .await
        .err()
        .unwrap();
    assert!(matches!(err, RegistryError::Validation { .. }), "{err:?}");
    assert!(err.to_string().contains("extra"), "{err}");
    let untyped = spec(r#"{"path":"/x"}"#);
    let err = manager
        .component_version_repositories()
        .get(&untyped)
        .await
        .err()
        .unwrap();
    assert!(matches!(err, RegistryError::MissingType { .. }), "{err:?}");
    let unknown = spec(r#"{"type":"Nope/v1"}"#);
    let err = manager
        .component_version_repositories()
        .get(&unknown)
        .await
        .err()
        .unwrap();
    assert!(
        matches!(err, RegistryError::NotRegistered { .. }),
        "{err:?}"
    );
    assert_eq!(
        manager
            .plugin("directory-repository")
            .unwrap()
            .spawn_count(),
        0,
        "nothing was started"
    );
    manager.shutdown().await.unwrap();
}

/// Drives the plugin the way the Go v0.0.1 manager does (spec §13.2): `--config` with a Go-style
/// id, the `http+unix://` location line, requests without our `repository` parameter, `null`
/// credentials, and SIGINT to stop it. The root comes from the environment, as a Go host would
/// set it.
#[tokio::test]
async fn serves_a_go_style_host_without_spec_on_reads() {
    use std::{
        io::{BufRead, BufReader},
        process::{Command, Stdio},
    };

    use ocm_plugin_endpoints::component_version_repository as routes;
    use ocm_plugin_runtime::{PluginClient, parse_location_line};

    let store = tempfile::tempdir().unwrap();
    let mut child = Command::new(directory_repository())
        .arg("--config")
        .arg(r#"{"id":"directory-repository","type":"unix","pluginType":"","idleTimeout":3600000000000}"#)
        .env("OCM_DIRECTORY_REPOSITORY_ROOT", store.path())
        .env("TMPDIR", store.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(
        line.starts_with("http+unix://") && line.ends_with('\n'),
        "{line:?}"
    );
    let endpoint = parse_location_line(&line).unwrap();
    let socket = match &endpoint {
        ocm_plugin_runtime::Endpoint::Unix(p) => p.clone(),
        other => panic!("{other:?}"),
    };
    let client = PluginClient::new("directory-repository", endpoint);
    client.health().await.unwrap();

    let upload = format!(
        r#"{{"repository":{{"type":"DirectoryRepository/v1","path":"{}"}},"descriptor":{{"meta":{{"schemaVersion":"v2"}},"component":{{"name":"test-component","version":"1.0.0","repositoryContexts":null,"provider":"ocm.software","resources":null,"sources":null,"componentReferences":null}}}}}}"#,
        store.path().display()
    );
    let null_creds = None;
    client
        .call(
            &routes::ADD_COMPONENT_VERSION,
            &[],
            null_creds,
            Some(upload.into_bytes()),
        )
        .await
        .unwrap();
    let d: Descriptor = client
        .call_json(
            &routes::GET_COMPONENT_VERSION,
            &[("name", "test-component"), ("version", "1.0.0")],
            null_creds,
            None,
        )
        .await
        .unwrap();
    assert_eq!(d.component.provider, "ocm.software");
    let versions: Vec<String> = client
        .call_json(
            &routes::LIST_COMPONENT_VERSIONS,
            &[("name", "test-component")],
            null_creds,
            None,
        )
        .await
        .unwrap();
    assert_eq!(versions, ["1.0.0"]);

    rustix::process::kill_process(
        rustix::process::Pid::from_raw(child.id() as i32).unwrap(),
        rustix::process::Signal::INT,
    )
    .unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "SIGINT is a clean exit: {status}");
    assert!(!socket.exists(), "the socket is removed before exit");
}
