use std::{
    fs,
    path::{Path, PathBuf},
};

use ocm_plugin_contracts::{
    Error,
    component_version_repository::v1::{
        AddComponentVersionRequest, AddLocalResourceRequest, AddLocalSourceRequest,
        CheckHealthRequest, ComponentVersionRepository, GetComponentVersionRequest,
        GetIdentityRequest, GetLocalResourceRequest, ListComponentVersionsRequest,
    },
};
use ocm_plugin_types::{Credentials, Descriptor, Identity, Location, Raw, Resource, Source};
use sha2::{Digest as _, Sha256};

use ocm_plugin_sdk::{
    Plugin, SpecExt as _, TypedSpec as _, component_lister, component_version_repository,
    endpoints::Client, testing::TestClient,
};

use crate::{DirectoryConfig, DirectoryRepository, DirectorySpec, layout};

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

/// `repository` as a manager calls it: through the plugin's whole HTTP stack in process (spec
/// checked against the derived schema, decoded, answers checked), both capabilities.
fn served(repository: DirectoryRepository) -> Client<TestClient> {
    let lister = repository.clone();
    let plugin = Plugin::new("directory-repository")
        .register(component_version_repository::typed(|_| Ok(repository)))
        .register(component_lister::typed(|_| Ok(lister)));
    TestClient::new(plugin, Vec::new()).unwrap().traits()
}

fn creds() -> Credentials {
    Credentials::new()
}

fn spec(path: &Path) -> Raw {
    Raw::new(serde_json::json!({"type": "DirectoryRepository/v1", "path": path})).unwrap()
}

fn descriptor(name: &str, version: &str) -> Descriptor {
    let mut d = Descriptor::default();
    d.meta.schema_version = "v2".into();
    d.component.name = name.into();
    d.component.version = version.into();
    d.component.provider = "acme.org".into();
    d
}

fn resource(name: &str) -> Resource {
    Resource {
        name: name.into(),
        version: "1.0.0".into(),
        resource_type: "blob".into(),
        relation: "local".into(),
        ..Resource::default()
    }
}

fn source(name: &str) -> Source {
    Source {
        name: name.into(),
        version: "1.0.0".into(),
        source_type: "git".into(),
        ..Source::default()
    }
}

/// Writes `bytes` to a new file under `dir` and returns its location.
fn blob(dir: &Path, file: &str, bytes: &[u8]) -> Location {
    let path = dir.join(file);
    fs::write(&path, bytes).unwrap();
    Location::local_file(path.to_str().unwrap())
}

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn get_cv(name: &str, version: &str, repository: Option<Raw>) -> GetComponentVersionRequest {
    GetComponentVersionRequest {
        repository,
        name: name.into(),
        version: version.into(),
    }
}

fn get_local(
    name: &str,
    version: &str,
    repository: Option<Raw>,
    identity: Option<Identity>,
) -> GetLocalResourceRequest {
    GetLocalResourceRequest {
        repository,
        name: name.into(),
        version: version.into(),
        identity,
    }
}

fn add_res(
    root: &Path,
    name: &str,
    version: &str,
    location: Location,
    r: Resource,
) -> AddLocalResourceRequest {
    AddLocalResourceRequest {
        repository: spec(root),
        name: name.into(),
        version: version.into(),
        resource_location: location,
        resource: r,
    }
}

fn all_paths(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(all_paths(&path));
        }
        out.push(path);
    }
    out
}

#[test]
fn descriptor_roundtrip_and_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("repo");
    let repo = served(DirectoryRepository::default());
    block_on(async {
        let d = descriptor("acme.org/app", "1.0.0");
        repo.add_component_version(
            AddComponentVersionRequest {
                repository: spec(&root),
                descriptor: d.clone(),
            },
            &creds(),
        )
        .await
        .unwrap();
        assert!(
            root.join("components/acme.org%2Fapp/1.0.0/descriptor.json")
                .is_file()
        );
        let got = repo
            .get_component_version(get_cv("acme.org/app", "1.0.0", Some(spec(&root))), &creds())
            .await
            .unwrap();
        assert_eq!(got, d);

        // The same version again overwrites.
        let mut d2 = d.clone();
        d2.component.provider = "other.org".into();
        repo.add_component_version(
            AddComponentVersionRequest {
                repository: spec(&root),
                descriptor: d2.clone(),
            },
            &creds(),
        )
        .await
        .unwrap();
        let got = repo
            .get_component_version(get_cv("acme.org/app", "1.0.0", Some(spec(&root))), &creds())
            .await
            .unwrap();
        assert_eq!(got, d2);

        let err = repo
            .get_component_version(get_cv("acme.org/app", "2.0.0", Some(spec(&root))), &creds())
            .await
            .unwrap_err();
        assert!(matches!(err, Error::NotFound(_)), "{err:?}");
        assert_eq!(
            err.to_string(),
            format!(
                "component version acme.org/app:2.0.0 not found in {}",
                root.display()
            )
        );

        // No temporary files are left behind.
        for p in all_paths(&root) {
            let name = p.file_name().unwrap().to_str().unwrap();
            assert!(!name.starts_with(".tmp-"), "{}", p.display());
        }

        let mut empty = descriptor("", "1.0.0");
        empty.component.name.clear();
        let err = repo
            .add_component_version(
                AddComponentVersionRequest {
                    repository: spec(&root),
                    descriptor: empty,
                },
                &creds(),
            )
            .await
            .unwrap_err();
        assert!(matches!(err, Error::InvalidArgument(_)), "{err:?}");
    });
}

#[test]
fn list_orders_by_semver_then_lexically() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let repo = served(DirectoryRepository::default());
    block_on(async {
        for v in [
            "1.10.0",
            "latest",
            "1.2.0",
            "v1.9.0",
            "1.0.0-rc.1",
            "1.0.0",
            "10.0.0",
            "2.0.0",
        ] {
            repo.add_component_version(
                AddComponentVersionRequest {
                    repository: spec(root),
                    descriptor: descriptor("acme.org/app", v),
                },
                &creds(),
            )
            .await
            .unwrap();
        }
        // A version with only a blob (no descriptor yet) is not a component version.
        let loc = blob(root, "in.bin", b"x");
        repo.add_local_resource(
            add_res(root, "acme.org/app", "3.0.0", loc, resource("r")),
            &creds(),
        )
        .await
        .unwrap();

        let list = |name: &str| ListComponentVersionsRequest {
            repository: Some(spec(root)),
            name: name.into(),
        };
        let versions = repo
            .list_component_versions(list("acme.org/app"), &creds())
            .await
            .unwrap();
        assert_eq!(
            versions,
            [
                "1.0.0-rc.1",
                "1.0.0",
                "1.2.0",
                "v1.9.0",
                "1.10.0",
                "2.0.0",
                "10.0.0",
                "latest"
            ]
        );
        let none = repo
            .list_component_versions(list("acme.org/unknown"), &creds())
            .await
            .unwrap();
        assert!(none.is_empty());
    });
}

#[test]
fn local_resource_roundtrip_hands_out_a_copy() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("repo");
    let repo = served(DirectoryRepository::default());
    let bytes = b"hello, local blob\n".repeat(10_000);
    let loc = blob(dir.path(), "in.bin", &bytes);
    block_on(async {
        let stored = repo
            .add_local_resource(
                add_res(
                    &root,
                    "acme.org/app",
                    "1.0.0",
                    loc.clone(),
                    resource("data"),
                ),
                &creds(),
            )
            .await
            .unwrap();
        let hex = sha256(&bytes);
        let digest = stored.digest.clone().unwrap();
        assert_eq!(digest.hash_algorithm, "SHA-256");
        assert_eq!(digest.normalisation_algorithm, "genericBlobDigest/v1");
        assert_eq!(digest.value, hex);
        assert_eq!(
            stored.access.as_ref().unwrap().to_value(),
            serde_json::json!({
                "type": "localBlob/v1",
                "localReference": format!("sha256:{hex}"),
                "mediaType": "application/octet-stream",
            })
        );
        // The request's file is the caller's: it is left alone.
        assert_eq!(fs::read(&loc.value).unwrap(), bytes);

        // The documented layout.
        let stem = layout::identity_digest(&resource("data").identity());
        assert_eq!(stem, sha256(br#"{"name":"data","version":"1.0.0"}"#));
        let stored_blob = root.join(format!(
            "components/acme.org%2Fapp/1.0.0/resources/{stem}.blob"
        ));
        assert_eq!(fs::read(&stored_blob).unwrap(), bytes);
        let stored_json = root.join(format!(
            "components/acme.org%2Fapp/1.0.0/resources/{stem}.json"
        ));
        let on_disk: Resource = serde_json::from_slice(&fs::read(&stored_json).unwrap()).unwrap();
        assert_eq!(on_disk, stored);

        let mut paths = Vec::new();
        for identity in [
            Some(resource("data").identity()),
            None,
            Some(Identity::new()),
        ] {
            let got = repo
                .get_local_resource(
                    get_local("acme.org/app", "1.0.0", Some(spec(&root)), identity),
                    &creds(),
                )
                .await
                .unwrap();
            assert_eq!(got.resource, stored);
            let path = PathBuf::from(&got.location.value);
            assert!(path.is_absolute());
            assert!(path.starts_with(std::env::temp_dir()), "{}", path.display());
            assert_ne!(path, stored_blob);
            assert_ne!(path.as_os_str(), loc.value.as_str());
            assert_eq!(fs::read(&path).unwrap(), bytes);
            paths.push(path);
        }
        // Each answer is a new file the caller owns; deleting it leaves the store intact.
        assert_ne!(paths[0], paths[1]);
        for p in &paths {
            fs::remove_file(p).unwrap();
        }
        assert_eq!(fs::read(&stored_blob).unwrap(), bytes);

        // A declared digest is kept.
        let mut declared = resource("declared");
        declared.digest = Some(ocm_plugin_types::Digest {
            hash_algorithm: "SHA-512".into(),
            normalisation_algorithm: "genericBlobDigest/v1".into(),
            value: "abc".into(),
            extra: Default::default(),
        });
        let loc = Location {
            media_type: Some("text/plain".into()),
            ..loc
        };
        let stored = repo
            .add_local_resource(
                add_res(&root, "acme.org/app", "1.0.0", loc, declared.clone()),
                &creds(),
            )
            .await
            .unwrap();
        assert_eq!(stored.digest, declared.digest);
        assert_eq!(
            stored.access.unwrap().get("mediaType").unwrap(),
            "text/plain"
        );
    });
}

#[test]
fn stored_descriptor_gains_the_resource() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let repo = served(DirectoryRepository::default());
    block_on(async {
        let mut d = descriptor("acme.org/app", "1.0.0");
        let mut old = resource("data");
        old.labels = Some(vec![ocm_plugin_types::Label {
            name: "old".into(),
            ..Default::default()
        }]);
        let mut other = resource("data");
        other.extra_identity = Some([("arch".to_owned(), "arm64".to_owned())].into());
        d.component.resources = Some(vec![old, other.clone()]);
        repo.add_component_version(
            AddComponentVersionRequest {
                repository: spec(root),
                descriptor: d,
            },
            &creds(),
        )
        .await
        .unwrap();

        let loc = blob(root, "in.bin", b"payload");
        let stored = repo
            .add_local_resource(
                add_res(root, "acme.org/app", "1.0.0", loc.clone(), resource("data")),
                &creds(),
            )
            .await
            .unwrap();
        let got = repo
            .get_component_version(
                get_cv("acme.org/app", "1.0.0", None).with_repo(root),
                &creds(),
            )
            .await
            .unwrap();
        // Replaced by identity; the resource with another extra identity is untouched.
        assert_eq!(got.component.resources, Some(vec![stored.clone(), other]));

        let new = repo
            .add_local_resource(
                add_res(root, "acme.org/app", "1.0.0", loc, resource("new")),
                &creds(),
            )
            .await
            .unwrap();
        let got = repo
            .get_component_version(get_cv("acme.org/app", "1.0.0", Some(spec(root))), &creds())
            .await
            .unwrap();
        let resources = got.component.resources.unwrap();
        assert_eq!(resources.len(), 3);
        assert_eq!(resources[2], new);
    });
}

trait WithRepo {
    fn with_repo(self, root: &Path) -> Self;
}

impl WithRepo for GetComponentVersionRequest {
    fn with_repo(mut self, root: &Path) -> Self {
        self.repository = Some(spec(root));
        self
    }
}

#[test]
fn identity_selection() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let repo = served(DirectoryRepository::default());
    block_on(async {
        let no_creds = creds();
        let get = |identity: Option<Identity>| {
            repo.get_local_resource(get_local("c", "1", Some(spec(root)), identity), &no_creds)
        };
        // Unknown version.
        let err = get(None).await.unwrap_err();
        assert!(matches!(err, Error::NotFound(_)), "{err:?}");

        let loc = blob(root, "a.bin", b"a");
        repo.add_local_resource(add_res(root, "c", "1", loc, resource("a")), &creds())
            .await
            .unwrap();

        let mut wrong = resource("a").identity();
        wrong.insert("version".into(), "2.0.0".into());
        let err = get(Some(wrong)).await.unwrap_err();
        assert!(matches!(err, Error::NotFound(_)), "{err:?}");
        assert!(
            err.to_string()
                .contains("not found in component version c:1"),
            "{err}"
        );

        // A subset of the identity does not match either.
        let partial: Identity = [("name".to_owned(), "a".to_owned())].into();
        assert!(matches!(
            get(Some(partial)).await.unwrap_err(),
            Error::NotFound(_)
        ));

        // Sources are separate from resources.
        let err = repo
            .get_local_source(get_local("c", "1", Some(spec(root)), None), &creds())
            .await
            .unwrap_err();
        assert!(matches!(err, Error::NotFound(_)), "{err:?}");

        let loc = blob(root, "b.bin", b"b");
        repo.add_local_resource(add_res(root, "c", "1", loc, resource("b")), &creds())
            .await
            .unwrap();
        let err = get(None).await.unwrap_err();
        assert!(matches!(err, Error::InvalidArgument(_)), "{err:?}");
        let got = get(Some(resource("b").identity())).await.unwrap();
        assert_eq!(fs::read(&got.location.value).unwrap(), b"b");
        fs::remove_file(&got.location.value).unwrap();
    });
}

#[test]
fn hostile_names_stay_inside_the_root() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    let input = tempfile::tempdir().unwrap();
    let repo = served(DirectoryRepository::default());
    let hostile = [
        "../x",
        "a/b",
        ".hidden",
        "..",
        ".",
        "../../../../etc/passwd",
        "a\\b",
        "/abs",
    ];
    block_on(async {
        for (i, name) in hostile.iter().enumerate() {
            for version in hostile {
                repo.add_component_version(
                    AddComponentVersionRequest {
                        repository: spec(&root),
                        descriptor: descriptor(name, version),
                    },
                    &creds(),
                )
                .await
                .unwrap();
                let loc = blob(input.path(), &format!("{i}.bin"), name.as_bytes());
                let mut r = resource(name);
                r.version = version.to_owned();
                repo.add_local_resource(add_res(&root, name, version, loc, r.clone()), &creds())
                    .await
                    .unwrap();
                let got = repo
                    .get_component_version(get_cv(name, version, Some(spec(&root))), &creds())
                    .await
                    .unwrap();
                assert_eq!(
                    (got.component.name.as_str(), got.component.version.as_str()),
                    (*name, version)
                );
                let local = repo
                    .get_local_resource(
                        get_local(name, version, Some(spec(&root)), Some(r.identity())),
                        &creds(),
                    )
                    .await
                    .unwrap();
                assert_eq!(fs::read(&local.location.value).unwrap(), name.as_bytes());
                fs::remove_file(&local.location.value).unwrap();
            }
            let versions = repo
                .list_component_versions(
                    ListComponentVersionsRequest {
                        repository: Some(spec(&root)),
                        name: (*name).to_owned(),
                    },
                    &creds(),
                )
                .await
                .unwrap();
            let mut expected: Vec<String> = hostile.iter().map(|s| (*s).to_owned()).collect();
            expected.sort();
            assert_eq!(versions, expected);
        }
    });
    // Only the root was created next to it, and every component directory is a direct,
    // non-hidden child of <root>/components.
    let siblings: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(siblings, ["root"]);
    let components: Vec<_> = fs::read_dir(root.join("components"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(components.len(), hostile.len());
    for c in &components {
        assert!(!c.starts_with('.') && !c.contains('/'), "{c}");
    }
    for p in all_paths(&root) {
        assert!(p.starts_with(&root), "{}", p.display());
    }
}

#[test]
fn missing_or_relative_root_is_invalid() {
    let repo = served(DirectoryRepository::default());
    block_on(async {
        let err = repo
            .get_component_version(get_cv("c", "1", None), &creds())
            .await
            .unwrap_err();
        assert!(matches!(err, Error::InvalidArgument(_)), "{err:?}");
        let msg = err.to_string();
        assert!(msg.contains("`path`") && msg.contains("`root`"), "{msg}");

        // The empty prototype a Go manager sends on /identity counts as no spec.
        let empty = Raw::from_json(r#"{"type":"","path":""}"#).unwrap();
        let err = repo
            .get_identity(GetIdentityRequest { typ: empty })
            .await
            .unwrap_err();
        assert!(matches!(err, Error::InvalidArgument(_)), "{err:?}");

        let relative =
            Raw::from_json(r#"{"type":"DirectoryRepository/v1","path":"rel/dir"}"#).unwrap();
        let err = repo
            .get_component_version(get_cv("c", "1", Some(relative.clone())), &creds())
            .await
            .unwrap_err();
        assert!(matches!(err, Error::InvalidArgument(_)), "{err:?}");
        assert!(err.to_string().contains("rel/dir"), "{err}");
        let err = repo
            .add_component_version(
                AddComponentVersionRequest {
                    repository: relative,
                    descriptor: descriptor("c", "1"),
                },
                &creds(),
            )
            .await
            .unwrap_err();
        assert!(matches!(err, Error::InvalidArgument(_)), "{err:?}");

        let other = Raw::from_json(r#"{"type":"OCIRepository/v1","path":"/x"}"#).unwrap();
        let err = repo
            .get_component_version(get_cv("c", "1", Some(other)), &creds())
            .await
            .unwrap_err();
        assert!(matches!(err, Error::InvalidArgument(_)), "{err:?}");
        let bad = Raw::from_json(r#"{"type":"DirectoryRepository/v1","path":7}"#).unwrap();
        let err = repo
            .get_component_version(get_cv("c", "1", Some(bad)), &creds())
            .await
            .unwrap_err();
        assert!(matches!(err, Error::InvalidArgument(_)), "{err:?}");
    });
    let err = DirectoryRepository::new(Some(PathBuf::from("relative"))).unwrap_err();
    assert!(matches!(err, Error::InvalidArgument(_)), "{err:?}");
    let config: DirectoryConfig =
        serde_json::from_str(r#"{"type":"directory.config.ocm.software/v1","root":"rel"}"#)
            .unwrap();
    assert!(matches!(
        DirectoryRepository::from_config(Some(config)),
        Err(Error::InvalidArgument(_))
    ));
}

#[test]
fn falls_back_to_the_configured_root() {
    let configured = tempfile::tempdir().unwrap();
    let other = tempfile::tempdir().unwrap();
    let config: DirectoryConfig = serde_json::from_value(serde_json::json!({
        "type": "directory.config.ocm.software/v1",
        "root": configured.path(),
    }))
    .unwrap();
    let repo = DirectoryRepository::from_config(Some(config)).unwrap();
    assert_eq!(repo.config_root(), Some(configured.path()));
    let repo = served(repo);
    block_on(async {
        repo.add_component_version(
            AddComponentVersionRequest {
                repository: spec(configured.path()),
                descriptor: descriptor("c", "1"),
            },
            &creds(),
        )
        .await
        .unwrap();
        let loc = blob(other.path(), "in.bin", b"bytes");
        repo.add_local_resource(
            add_res(configured.path(), "c", "1", loc, resource("r")),
            &creds(),
        )
        .await
        .unwrap();

        // No spec: the configured root.
        let got = repo
            .get_component_version(get_cv("c", "1", None), &creds())
            .await
            .unwrap();
        assert_eq!(got.component.name, "c");
        let list = repo
            .list_component_versions(
                ListComponentVersionsRequest {
                    repository: None,
                    name: "c".into(),
                },
                &creds(),
            )
            .await
            .unwrap();
        assert_eq!(list, ["1"]);
        let local = repo
            .get_local_resource(get_local("c", "1", None, None), &creds())
            .await
            .unwrap();
        assert_eq!(fs::read(&local.location.value).unwrap(), b"bytes");
        fs::remove_file(&local.location.value).unwrap();

        // A spec wins over the configuration.
        let err = repo
            .get_component_version(get_cv("c", "1", Some(spec(other.path()))), &creds())
            .await
            .unwrap_err();
        assert!(matches!(err, Error::NotFound(_)), "{err:?}");
        assert!(
            err.to_string()
                .contains(&other.path().display().to_string()),
            "{err}"
        );

        // The Go manager's empty prototype on /identity falls back too.
        let empty = Raw::from_json(r#"{"type":"","path":""}"#).unwrap();
        let id = repo
            .get_identity(GetIdentityRequest { typ: empty })
            .await
            .unwrap();
        assert_eq!(id.identity["path"], configured.path().to_str().unwrap());
    });
}

#[test]
fn sources_roundtrip() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("repo");
    let repo = served(DirectoryRepository::default());
    block_on(async {
        repo.add_component_version(
            AddComponentVersionRequest {
                repository: spec(&root),
                descriptor: descriptor("acme.org/app", "1.0.0"),
            },
            &creds(),
        )
        .await
        .unwrap();
        let loc = blob(dir.path(), "src.tar", b"source bytes");
        let stored = repo
            .add_local_source(
                AddLocalSourceRequest {
                    repository: spec(&root),
                    name: "acme.org/app".into(),
                    version: "1.0.0".into(),
                    source_location: loc,
                    source: source("src"),
                },
                &creds(),
            )
            .await
            .unwrap();
        let hex = sha256(b"source bytes");
        assert_eq!(
            stored
                .access
                .as_ref()
                .unwrap()
                .get("localReference")
                .unwrap(),
            &serde_json::json!(format!("sha256:{hex}"))
        );
        let stem = layout::identity_digest(&source("src").identity());
        assert!(
            root.join(format!(
                "components/acme.org%2Fapp/1.0.0/sources/{stem}.blob"
            ))
            .is_file()
        );
        assert!(
            root.join(format!(
                "components/acme.org%2Fapp/1.0.0/sources/{stem}.json"
            ))
            .is_file()
        );

        let got = repo
            .get_local_source(
                get_local(
                    "acme.org/app",
                    "1.0.0",
                    Some(spec(&root)),
                    Some(source("src").identity()),
                ),
                &creds(),
            )
            .await
            .unwrap();
        assert_eq!(got.source, stored);
        assert_eq!(fs::read(&got.location.value).unwrap(), b"source bytes");
        fs::remove_file(&got.location.value).unwrap();

        let d = repo
            .get_component_version(get_cv("acme.org/app", "1.0.0", Some(spec(&root))), &creds())
            .await
            .unwrap();
        assert_eq!(d.component.sources, Some(vec![stored]));
        assert_eq!(d.component.resources, None);
    });
}

#[test]
fn bad_blob_locations_are_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("repo");
    let repo = served(DirectoryRepository::default());
    block_on(async {
        let cases = [
            (
                Location {
                    location_type: ocm_plugin_types::LocationType::RemoteUrl,
                    ..Location::local_file("http://x")
                },
                "remoteURL",
            ),
            (Location::local_file("relative.bin"), "absolute"),
            (
                Location::local_file(dir.path().to_str().unwrap()),
                "regular file",
            ),
        ];
        for (loc, needle) in cases {
            let err = repo
                .add_local_resource(add_res(&root, "c", "1", loc, resource("r")), &creds())
                .await
                .unwrap_err();
            assert!(matches!(err, Error::InvalidArgument(_)), "{err:?}");
            assert!(err.to_string().contains(needle), "{err}");
        }
        let missing = dir.path().join("missing.bin");
        let err = repo
            .add_local_resource(
                add_res(
                    &root,
                    "c",
                    "1",
                    Location::local_file(missing.to_str().unwrap()),
                    resource("r"),
                ),
                &creds(),
            )
            .await
            .unwrap_err();
        assert!(matches!(err, Error::NotFound(_)), "{err:?}");
        assert!(err.to_string().contains("missing.bin"), "{err}");
    });
}

#[test]
fn identity_and_health() {
    let dir = tempfile::tempdir().unwrap();
    let repo = served(DirectoryRepository::default());
    block_on(async {
        let id = repo
            .get_identity(GetIdentityRequest {
                typ: spec(dir.path()),
            })
            .await
            .unwrap();
        let expected: Identity = [
            ("type".to_owned(), "DirectoryRepository".to_owned()),
            ("path".to_owned(), dir.path().to_str().unwrap().to_owned()),
        ]
        .into();
        assert_eq!(id.identity, expected);

        let no_creds = creds();
        let health = |p: &Path| {
            repo.check_health(
                CheckHealthRequest {
                    repository: spec(p),
                },
                &no_creds,
            )
        };
        health(dir.path()).await.unwrap();
        // The probe file is gone.
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
        let err = health(&dir.path().join("missing")).await.unwrap_err();
        assert!(matches!(err, Error::NotFound(_)), "{err:?}");
        let file = dir.path().join("file");
        fs::write(&file, b"").unwrap();
        let err = health(&file).await.unwrap_err();
        assert!(matches!(err, Error::InvalidArgument(_)), "{err:?}");
        assert!(err.to_string().contains("not a directory"), "{err}");
    });
}

#[test]
fn concurrent_writers_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("repo");
    let repo = std::sync::Arc::new(served(DirectoryRepository::default()));
    block_on(async {
        repo.add_component_version(
            AddComponentVersionRequest {
                repository: spec(&root),
                descriptor: descriptor("c", "1"),
            },
            &creds(),
        )
        .await
        .unwrap();
        let mut tasks = Vec::new();
        for i in 0..16 {
            let repo = repo.clone();
            let loc = blob(
                dir.path(),
                &format!("{i}.bin"),
                format!("blob {i}").as_bytes(),
            );
            let root = root.clone();
            tasks.push(tokio::spawn(async move {
                repo.add_local_resource(
                    add_res(&root, "c", "1", loc, resource(&format!("r{i}"))),
                    &creds(),
                )
                .await
            }));
        }
        for t in tasks {
            t.await.unwrap().unwrap();
        }
        let d = repo
            .get_component_version(get_cv("c", "1", Some(spec(&root))), &creds())
            .await
            .unwrap();
        let mut names: Vec<_> = d
            .component
            .resources
            .unwrap()
            .into_iter()
            .map(|r| r.name)
            .collect();
        names.sort();
        let mut expected: Vec<_> = (0..16).map(|i| format!("r{i}")).collect();
        expected.sort();
        assert_eq!(names, expected);
    });
}

/// The derived schema accepts what the hand-written one did (`type` and `path`, both strings,
/// nothing else; the empty prototype of Go's `/identity` included) and refuses the rest,
/// naming the field.
#[test]
fn schema_and_types() {
    let (typ, schema) = DirectorySpec::declaration().unwrap();
    assert_eq!(typ.to_string(), crate::REPOSITORY_TYPE);
    let validator = ocm_plugin_endpoints::SchemaValidator::compile(&schema.0).unwrap();
    for valid in [
        serde_json::json!({"type": "DirectoryRepository/v1", "path": "/abs/dir"}),
        serde_json::json!({"type": "", "path": ""}),
    ] {
        validator.validate(&valid).unwrap();
        Raw::new(valid)
            .unwrap()
            .decode_spec::<DirectorySpec>()
            .unwrap();
    }
    for (invalid, field) in [
        (
            serde_json::json!({"type": "DirectoryRepository/v1"}),
            "path",
        ),
        (serde_json::json!({"path": "/abs"}), "type"),
        (
            serde_json::json!({"type": "DirectoryRepository/v1", "path": 7}),
            "path",
        ),
        (
            serde_json::json!({"type": "DirectoryRepository/v1", "path": "/a", "root": "/b"}),
            "root",
        ),
    ] {
        let message = validator.validate(&invalid).unwrap_err().to_string();
        assert!(message.contains(field), "{invalid}: {message}");
    }

    let t: ocm_plugin_types::Type = crate::REPOSITORY_TYPE.parse().unwrap();
    assert_eq!(
        (t.name(), t.version()),
        (crate::REPOSITORY_TYPE_NAME, Some("v1"))
    );
    let c: ocm_plugin_types::Type = crate::CONFIG_TYPE.parse().unwrap();
    assert_eq!(c.version(), Some("v1"));
}

/// The component lister pages through the stored component names, sorted, `header.last` set
/// only while more follow; a component with no stored version (only blobs) is not listed.
#[test]
fn components_are_listed_a_page_at_a_time() {
    use ocm_plugin_contracts::component_lister::v1::{ComponentLister, ListComponentsRequest};
    let dir = tempfile::tempdir().unwrap();
    let repo = served(
        DirectoryRepository::new(None)
            .unwrap()
            .with_page_size(2)
            .unwrap(),
    );
    block_on(async {
        for name in [
            "acme.org/e",
            "acme.org/a",
            "acme.org/c",
            "acme.org/b",
            "acme.org/d",
        ] {
            repo.add_component_version(
                AddComponentVersionRequest {
                    repository: spec(dir.path()),
                    descriptor: descriptor(name, "1.0.0"),
                },
                &creds(),
            )
            .await
            .unwrap();
        }
        // Blobs only, no descriptor: not a component version yet.
        fs::create_dir_all(layout::version_dir(dir.path(), "acme.org/f", "1.0.0")).unwrap();

        let mut pages = Vec::new();
        let mut last = String::new();
        loop {
            let page = repo
                .list_components(
                    ListComponentsRequest {
                        repository: spec(dir.path()),
                        last: last.clone(),
                    },
                    &creds(),
                )
                .await
                .unwrap();
            let more = page.header.as_ref().map(|h| h.last.clone());
            pages.push(page.list);
            match more {
                Some(l) => last = l,
                None => break,
            }
        }
        assert_eq!(
            pages,
            [
                vec!["acme.org/a", "acme.org/b"],
                vec!["acme.org/c", "acme.org/d"],
                vec!["acme.org/e"],
            ]
        );
        // After the last name: an empty page without a header.
        let tail = repo
            .list_components(
                ListComponentsRequest {
                    repository: spec(dir.path()),
                    last: "acme.org/z".into(),
                },
                &creds(),
            )
            .await
            .unwrap();
        assert!(tail.list.is_empty() && tail.header.is_none());
        // An empty repository has no components.
        let empty = tempfile::tempdir().unwrap();
        let none = repo
            .list_components(
                ListComponentsRequest {
                    repository: spec(empty.path()),
                    last: String::new(),
                },
                &creds(),
            )
            .await
            .unwrap();
        assert!(none.list.is_empty());
    });
    assert!(
        DirectoryRepository::new(None)
            .unwrap()
            .with_page_size(0)
            .is_err()
    );
    let config: DirectoryConfig = serde_json::from_str(r#"{"pageSize":3}"#).unwrap();
    assert_eq!(config.page_size, Some(3));
}

#[test]
fn a_named_pipe_is_streamed_into_an_owner_only_blob() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("repo");
    let repo = served(DirectoryRepository::default());
    let pipe = dir.path().join("in.pipe");
    rustix::fs::mkfifoat(
        rustix::fs::CWD,
        &pipe,
        rustix::fs::Mode::from_raw_mode(0o644),
    )
    .unwrap();
    let bytes: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    let writer = std::thread::spawn({
        let (pipe, bytes) = (pipe.clone(), bytes.clone());
        move || fs::write(pipe, bytes)
    });
    let location = Location {
        location_type: ocm_plugin_types::LocationType::UnixNamedPipe,
        ..Location::local_file(pipe.to_str().unwrap())
    };
    let stored = block_on(repo.add_local_resource(
        add_res(&root, "acme.org/pipe", "1.0.0", location, resource("data")),
        &creds(),
    ))
    .unwrap();
    writer.join().unwrap().unwrap();
    assert_eq!(stored.digest.unwrap().value, sha256(&bytes));
    let blobs: Vec<PathBuf> = all_paths(&root)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == layout::BLOB_EXTENSION))
        .collect();
    let [stored_blob] = blobs.as_slice() else {
        panic!("one blob expected: {blobs:?}")
    };
    assert_eq!(fs::read(stored_blob).unwrap(), bytes);
    let mode = fs::metadata(stored_blob).unwrap().permissions().mode() & 0o777;
    assert_eq!(
        mode & 0o077,
        0,
        "bytes from a pipe are owner-only: {mode:o}"
    );

    // A regular file given as a pipe, and a pipe given as a file, are refused.
    let file = blob(dir.path(), "plain.bin", b"x");
    let as_pipe = Location {
        location_type: ocm_plugin_types::LocationType::UnixNamedPipe,
        ..file
    };
    let as_file = Location::local_file(pipe.to_str().unwrap());
    for (loc, needle) in [
        (as_pipe, "not a named pipe"),
        (as_file, "not a regular file"),
    ] {
        let err = block_on(repo.add_local_resource(
            add_res(&root, "acme.org/pipe", "1.0.0", loc, resource("other")),
            &creds(),
        ))
        .unwrap_err();
        assert!(err.to_string().contains(needle), "{err}");
    }
}

#[test]
fn a_named_pipe_without_a_writer_fails_in_bounded_time() {
    let dir = tempfile::tempdir().unwrap();
    let pipe = dir.path().join("lonely.pipe");
    rustix::fs::mkfifoat(
        rustix::fs::CWD,
        &pipe,
        rustix::fs::Mode::from_raw_mode(0o600),
    )
    .unwrap();
    let started = std::time::Instant::now();
    let err = ocm_plugin_sdk::blob::open_named_pipe(&pipe, std::time::Duration::from_millis(200))
        .unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::TimedOut, "{err}");
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}

#[test]
fn kernel_copy_and_user_space_copy_store_and_hash_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    // Over two kernel chunks, not a multiple of the buffer.
    let bytes: Vec<u8> = (0..(20 * 1024 * 1024 + 12_345u32))
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    let src = dir.path().join("src.bin");
    fs::write(&src, &bytes).unwrap();
    let expected = sha256(&bytes);

    let dst = tempfile::tempfile_in(dir.path()).unwrap();
    let input = fs::File::open(&src).unwrap();
    let hex =
        crate::store::copy_in_kernel_hashing(&input, &dst, crate::store::Kernel::CopyFileRange)
            .unwrap()
            .expect("copy_file_range works on one file system");
    assert_eq!(hex, expected);
    let mut stored = Vec::new();
    std::io::Seek::rewind(&mut &dst).unwrap();
    std::io::Read::read_to_end(&mut &dst, &mut stored).unwrap();
    assert_eq!(stored.len(), bytes.len());
    assert!(stored == bytes);

    let mut out = Vec::new();
    let hex = crate::store::copy_hashing(&mut fs::File::open(&src).unwrap(), &mut out).unwrap();
    assert_eq!(hex, expected);
    assert!(out == bytes);
}
