use std::{
    fs,
    path::{Path, PathBuf},
};

use ocm_plugin_sdk::{
    TypedSpec as _,
    contracts::{
        Error,
        resource_repository::v1::{
            AddGlobalResourceRequest, GetGlobalResourceRequest, GetIdentityRequest,
            ResourceRepository,
        },
    },
    endpoints::Client,
    testing::{TestClient, block_on},
    types::{Credentials, Digest, Identity, Location, LocationType, Raw, Resource},
};
use sha2::{Digest as _, Sha256};

use crate::{LocalFileAccess, LocalResources, plugin};

fn access(path: &Path) -> Raw {
    Raw::new(serde_json::json!({"type": "localFile/v1", "path": path})).unwrap()
}

fn resource(access: Option<Raw>) -> Resource {
    Resource {
        name: "data".into(),
        version: "1.0.0".into(),
        resource_type: "blob".into(),
        relation: "external".into(),
        access,
        ..Resource::default()
    }
}

fn location(path: &Path) -> Location {
    Location::local_file(path.to_str().unwrap())
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Every byte value, and more than one copy buffer's worth.
fn payload() -> Vec<u8> {
    (0..200_000u32).map(|i| (i % 251) as u8).collect()
}

struct Fixture {
    dir: tempfile::TempDir,
    temp: PathBuf,
    /// The plugin as a manager calls it: every call goes through the SDK (schema checks,
    /// dispatch by type, answer checks).
    repository: Client<TestClient>,
}

impl Fixture {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let temp = dir.path().join("handed-out");
        fs::create_dir(&temp).unwrap();
        let plugin = plugin(LocalResources::with_temp_dir(&temp));
        let repository = TestClient::new(plugin, Vec::new()).unwrap().traits();
        Self {
            dir,
            temp,
            repository,
        }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn add(&self, from: Location, resource: Resource) -> Result<Resource, Error> {
        block_on(self.repository.add_global_resource(
            AddGlobalResourceRequest {
                resource_location: from,
                resource,
            },
            &Credentials::new(),
        ))
        .unwrap()
        .map(|r| r.resource)
    }

    fn get(&self, resource: Resource) -> Result<Location, Error> {
        block_on(
            self.repository
                .get_global_resource(GetGlobalResourceRequest { resource }, &Credentials::new()),
        )
        .unwrap()
        .map(|r| r.location)
    }

    fn handed_out(&self) -> Vec<PathBuf> {
        fs::read_dir(&self.temp)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect()
    }
}

#[test]
fn add_then_get_roundtrips_real_bytes() {
    let f = Fixture::new();
    let bytes = payload();
    let upload = f.path("upload.bin");
    fs::write(&upload, &bytes).unwrap();
    let target = f.path("store/nested/data.bin");

    let added = f
        .add(location(&upload), resource(Some(access(&target))))
        .unwrap();
    assert_eq!(fs::read(&target).unwrap(), bytes);
    assert_eq!(
        added.digest,
        Some(Digest {
            hash_algorithm: "SHA-256".into(),
            normalisation_algorithm: "genericBlobDigest/v1".into(),
            value: sha256_hex(&bytes),
            extra: Default::default(),
        })
    );
    // Access unchanged, everything else kept.
    assert_eq!(added.access, Some(access(&target)));
    assert_eq!(
        Resource {
            digest: None,
            ..added.clone()
        },
        resource(Some(access(&target)))
    );
    // Only the target is left in its directory: no partial files.
    assert_eq!(fs::read_dir(f.path("store/nested")).unwrap().count(), 1);

    let got = f.get(added).unwrap();
    assert_eq!(got.location_type, LocationType::LocalFile);
    assert_eq!(got.media_type, None);
    let got_path = PathBuf::from(&got.value);
    assert_eq!(fs::read(&got_path).unwrap(), bytes);
    assert_eq!(
        sha256_hex(&fs::read(&got_path).unwrap()),
        sha256_hex(&bytes)
    );
}

#[test]
fn request_files_are_untouched_and_response_files_are_new() {
    let f = Fixture::new();
    let upload = f.path("upload.bin");
    fs::write(&upload, b"keep me").unwrap();
    let target = f.path("stored.bin");
    f.add(location(&upload), resource(Some(access(&target))))
        .unwrap();
    // The caller's location is read, never moved or deleted.
    assert_eq!(fs::read(&upload).unwrap(), b"keep me");

    let first = PathBuf::from(f.get(resource(Some(access(&target)))).unwrap().value);
    let second = PathBuf::from(f.get(resource(Some(access(&target)))).unwrap().value);
    assert_ne!(first, second);
    for handed in [&first, &second] {
        assert!(handed.is_absolute());
        assert_eq!(handed.parent(), Some(f.temp.as_path()));
        assert_ne!(handed, &target);
        assert_ne!(handed, &upload);
    }
    let mut listed = f.handed_out();
    listed.sort();
    let mut expected = vec![first.clone(), second];
    expected.sort();
    assert_eq!(listed, expected);

    // The handed-out file is a copy: removing it leaves the stored file.
    fs::remove_file(&first).unwrap();
    assert_eq!(fs::read(&target).unwrap(), b"keep me");
}

#[test]
fn add_overwrites_an_existing_file_and_fills_the_actual_digest() {
    let f = Fixture::new();
    let target = f.path("stored.bin");
    fs::write(&target, b"old content").unwrap();
    let upload = f.path("upload.bin");
    fs::write(&upload, b"new content").unwrap();
    let mut declared = resource(Some(access(&target)));
    declared.digest = Some(Digest {
        hash_algorithm: "SHA-256".into(),
        normalisation_algorithm: "genericBlobDigest/v1".into(),
        value: "00".repeat(32),
        extra: Default::default(),
    });
    let added = f.add(location(&upload), declared).unwrap();
    assert_eq!(fs::read(&target).unwrap(), b"new content");
    assert_eq!(added.digest.unwrap().value, sha256_hex(b"new content"));

    // Adding a file onto itself keeps its bytes.
    let again = f
        .add(location(&target), resource(Some(access(&target))))
        .unwrap();
    assert_eq!(fs::read(&target).unwrap(), b"new content");
    assert_eq!(again.digest.unwrap().value, sha256_hex(b"new content"));
}

#[test]
fn media_type_comes_from_the_access() {
    let f = Fixture::new();
    let file = f.path("a.json");
    fs::write(&file, b"{}").unwrap();
    let typed = Raw::new(serde_json::json!({
        "type": "localFile/v1", "path": file, "mediaType": "application/json",
    }))
    .unwrap();
    let got = f.get(resource(Some(typed))).unwrap();
    assert_eq!(got.media_type.as_deref(), Some("application/json"));
    assert_eq!(fs::read(&got.value).unwrap(), b"{}");
}

#[test]
fn missing_file_is_not_found() {
    let f = Fixture::new();
    let missing = f.path("missing.bin");
    let err = f.get(resource(Some(access(&missing)))).unwrap_err();
    let Error::NotFound(message) = &err else {
        panic!("{err:?}")
    };
    assert!(message.contains(missing.to_str().unwrap()), "{message}");
    assert!(f.handed_out().is_empty());

    // A missing upload is the caller's mistake.
    let err = f
        .add(location(&missing), resource(Some(access(&f.path("t")))))
        .unwrap_err();
    assert!(matches!(err, Error::InvalidArgument(_)), "{err}");
    assert!(!f.path("t").exists());
}

#[test]
fn directories_are_not_files() {
    let f = Fixture::new();
    let err = f.get(resource(Some(access(f.dir.path())))).unwrap_err();
    assert!(matches!(err, Error::InvalidArgument(_)), "{err}");

    let upload = f.path("upload.bin");
    fs::write(&upload, b"x").unwrap();
    let err = f
        .add(location(&upload), resource(Some(access(&f.temp))))
        .unwrap_err();
    assert!(matches!(err, Error::InvalidArgument(_)), "{err}");
}

#[test]
fn bad_access_types_and_paths_are_invalid() {
    let f = Fixture::new();
    let upload = f.path("upload.bin");
    fs::write(&upload, b"x").unwrap();
    // Refused by the SDK (no access, another type), by the derived schema (naming the field)
    // or by the plugin (a relative path).
    let accesses = [
        (None, "carries no localFile/v1 spec"),
        (
            Some(serde_json::json!({"type": "ociArtifact/v1", "imageReference": "ghcr.io/a:1"})),
            "no resource repository of type ociArtifact/v1",
        ),
        (
            Some(serde_json::json!({"type": "localFile/v2", "path": upload})),
            "no resource repository of type localFile/v2",
        ),
        (
            Some(serde_json::json!({"type": "localFile/v1"})),
            "\"path\" is a required property",
        ),
        (
            Some(serde_json::json!({"type": "localFile/v1", "path": ""})),
            "at '/path'",
        ),
        (
            Some(serde_json::json!({"type": "localFile/v1", "path": "relative/file"})),
            "relative",
        ),
        (
            Some(serde_json::json!({"type": "localFile/v1", "path": 7})),
            "at '/path'",
        ),
        (
            Some(serde_json::json!({"type": "localFile/v1", "path": upload, "mediaType": 1})),
            "at '/mediaType'",
        ),
        (
            Some(serde_json::json!({"type": "localFile/v1", "path": upload, "other": 1})),
            "other",
        ),
    ];
    for (a, needle) in accesses {
        let raw = a.clone().map(|v| Raw::new(v).unwrap());
        let err = f.get(resource(raw.clone())).unwrap_err();
        assert!(matches!(err, Error::InvalidArgument(_)), "get {a:?}: {err}");
        assert!(err.to_string().contains(needle), "get {a:?}: {err}");
        let err = f.add(location(&upload), resource(raw)).unwrap_err();
        assert!(matches!(err, Error::InvalidArgument(_)), "add {a:?}: {err}");
        assert!(err.to_string().contains(needle), "add {a:?}: {err}");
    }
    // Unversioned works.
    let unversioned = Raw::new(serde_json::json!({"type": "localFile", "path": upload})).unwrap();
    assert!(f.get(resource(Some(unversioned))).is_ok());
}

#[test]
fn only_absolute_local_file_locations_are_read() {
    let f = Fixture::new();
    let target = f.path("t.bin");
    for from in [
        Location {
            location_type: LocationType::UnixNamedPipe,
            value: "/tmp/pipe".into(),
            media_type: None,
        },
        Location {
            location_type: LocationType::RemoteUrl,
            value: "https://example.com/x".into(),
            media_type: None,
        },
        Location {
            location_type: LocationType::Other("ftp".into()),
            value: "/x".into(),
            media_type: None,
        },
        Location::local_file("relative/file"),
    ] {
        let err = f
            .add(from.clone(), resource(Some(access(&target))))
            .unwrap_err();
        assert!(matches!(err, Error::InvalidArgument(_)), "{from:?}: {err}");
    }
    assert!(!target.exists());
}

#[test]
fn identity_names_the_file() {
    let f = Fixture::new();
    let got = block_on(f.repository.get_identity(GetIdentityRequest {
        typ: access(Path::new("/data/file.bin")),
    }))
    .unwrap()
    .unwrap();
    assert_eq!(
        got.identity,
        Identity::from([
            ("type".to_owned(), "localFile".to_owned()),
            ("path".to_owned(), "/data/file.bin".to_owned()),
        ])
    );
    let err = block_on(f.repository.get_identity(GetIdentityRequest {
        typ: Raw::new(serde_json::json!({"type": "localFile/v1", "path": "rel"})).unwrap(),
    }))
    .unwrap()
    .unwrap_err();
    assert!(matches!(err, Error::InvalidArgument(_)), "{err}");
}

#[test]
fn default_temp_dir_is_the_system_one() {
    assert_eq!(LocalResources::new().temp_dir(), std::env::temp_dir());
}

#[test]
fn schema_requires_type_and_path() {
    let (typ, schema) = LocalFileAccess::declaration().unwrap();
    assert_eq!(typ.to_string(), "localFile/v1");
    let schema: serde_json::Value = serde_json::from_slice(&schema.0).unwrap();
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    assert_eq!(schema["required"], serde_json::json!(["type", "path"]));
    assert_eq!(schema["additionalProperties"], false);
    let properties = schema["properties"].as_object().unwrap();
    assert_eq!(
        properties.keys().collect::<Vec<_>>(),
        ["mediaType", "path", "type"]
    );
    let validator = jsonschema::options().build(&schema).unwrap();
    for ok in [
        serde_json::json!({"type": "localFile/v1", "path": "/a"}),
        serde_json::json!({"type": "localFile/v1", "path": "/a", "mediaType": "text/plain"}),
        serde_json::json!({"type": "localFile/v1", "path": "/a", "mediaType": ""}),
    ] {
        assert!(validator.is_valid(&ok), "{ok}");
    }
    for bad in [
        serde_json::json!({"type": "localFile/v1"}),
        serde_json::json!({"path": "/a"}),
        serde_json::json!({"type": "localFile/v1", "path": ""}),
        serde_json::json!({"type": "localFile/v1", "path": 7}),
        serde_json::json!({"type": "localFile/v1", "path": "/a", "mediaType": 1}),
        serde_json::json!({"type": "localFile/v1", "path": "/a", "mediaType": null}),
        serde_json::json!({"type": "localFile/v1", "path": "/a", "other": 1}),
    ] {
        assert!(!validator.is_valid(&bad), "{bad}");
    }
}

#[test]
fn access_decoding() {
    let access: LocalFileAccess = serde_json::from_value(
        serde_json::json!({"type": "localFile", "path": "/a/b", "mediaType": ""}),
    )
    .unwrap();
    assert_eq!(access.absolute_path().unwrap(), Path::new("/a/b"));
    assert_eq!(access.media_type(), None);
}
