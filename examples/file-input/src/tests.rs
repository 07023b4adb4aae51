use std::{
    fs,
    io::Read as _,
    os::unix::fs::PermissionsExt as _,
    path::{Path, PathBuf},
};

use flate2::read::GzDecoder;
use ocm_plugin_sdk::{
    TypedSpec as _,
    contracts::{
        Error,
        input::v1::{
            ConstructorResource, ConstructorSource, GetIdentityRequest, InputMethod,
            ProcessResourceRequest, ProcessResourceResponse, ProcessSourceRequest,
        },
    },
    endpoints::Client,
    testing::{TestClient, block_on},
    types::{Credentials, Identity, Label, LocationType, Raw},
};
use sha2::{Digest as _, Sha256};

use crate::{FileSpec, plugin};

/// The plugin as a manager calls it: every call goes through the SDK (schema checks, dispatch
/// by type, answer checks).
fn input() -> Client<TestClient> {
    TestClient::new(plugin(), Vec::new()).unwrap().traits()
}

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    GzDecoder::new(bytes).read_to_end(&mut out).unwrap();
    out
}

/// Bytes that do not compress to nothing, bigger than the copy buffer.
fn big_bytes() -> Vec<u8> {
    let mut x: u32 = 0x1234_5678;
    (0..300_000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x % 16) as u8 + b'a'
        })
        .collect()
}

/// A file handed over by the plugin; deleted when the test is done with it, also on panic.
struct HandedOver(PathBuf);

impl HandedOver {
    fn new(value: &str) -> Self {
        let path = PathBuf::from(value);
        assert!(path.is_absolute(), "{value}");
        assert!(
            path.starts_with(std::env::temp_dir()),
            "{value} is not in the temp dir"
        );
        Self(path)
    }

    fn read(&self) -> Vec<u8> {
        fs::read(&self.0).unwrap()
    }
}

impl Drop for HandedOver {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.0);
    }
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    fs::write(&path, bytes).unwrap();
    path
}

fn spec(value: serde_json::Value) -> Raw {
    Raw::new(value).unwrap()
}

fn resource(input: Raw) -> ConstructorResource {
    ConstructorResource {
        name: "data".into(),
        version: "1.0.0".into(),
        resource_type: "blob".into(),
        input: Some(input),
        ..ConstructorResource::default()
    }
}

fn process(
    resource: ConstructorResource,
) -> ocm_plugin_sdk::contracts::Result<ProcessResourceResponse> {
    block_on(input().process_resource(ProcessResourceRequest { resource }, &Credentials::new()))
        .unwrap()
}

#[test]
fn copies_the_file_into_a_new_temp_file() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = big_bytes();
    let file = write(dir.path(), "input.bin", &bytes);
    let answer = process(resource(spec(
        serde_json::json!({"type": "file/v1", "path": file}),
    )))
    .unwrap();

    let out = HandedOver::new(&answer.location.value);
    assert_ne!(out.0, file);
    assert_eq!(answer.location.location_type, LocationType::LocalFile);
    assert_eq!(out.read(), bytes);
    // The request's file is untouched.
    assert_eq!(fs::read(&file).unwrap(), bytes);

    let hex = sha256(&bytes);
    let r = &answer.resource;
    assert_eq!(
        (
            r.name.as_str(),
            r.version.as_str(),
            r.resource_type.as_str(),
            r.relation.as_str()
        ),
        ("data", "1.0.0", "blob", "local")
    );
    assert_eq!(
        r.access.as_ref().unwrap().to_value(),
        serde_json::json!({
            "type": "localBlob/v1",
            "localReference": format!("sha256:{hex}"),
            "mediaType": "application/octet-stream",
        })
    );
    let digest = r.digest.as_ref().unwrap();
    assert_eq!(digest.hash_algorithm, "SHA-256");
    assert_eq!(digest.normalisation_algorithm, "genericBlobDigest/v1");
    assert_eq!(digest.value, hex);
    assert_eq!(
        answer.location.media_type.as_deref(),
        Some("application/octet-stream")
    );
}

#[test]
fn compresses_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = big_bytes();
    let file = write(dir.path(), "input.txt", &bytes);
    let answer = process(resource(spec(serde_json::json!({
        "type": "file/v1", "path": file, "mediaType": "text/plain", "compress": true,
    }))))
    .unwrap();

    let out = HandedOver::new(&answer.location.value);
    let compressed = out.read();
    assert!(compressed.len() < bytes.len());
    assert_eq!(gunzip(&compressed), bytes);
    assert_eq!(fs::read(&file).unwrap(), bytes);

    // Access and digest describe the blob, i.e. the compressed bytes.
    let hex = sha256(&compressed);
    let access = answer.resource.access.as_ref().unwrap();
    assert_eq!(access.get("mediaType").unwrap(), "text/plain+gzip");
    assert_eq!(
        access.get("localReference").unwrap(),
        &serde_json::Value::from(format!("sha256:{hex}"))
    );
    assert_eq!(answer.resource.digest.unwrap().value, hex);
    assert_eq!(
        answer.location.media_type.as_deref(),
        Some("text/plain+gzip")
    );

    // The same file compresses to the same blob.
    let again = process(resource(spec(serde_json::json!({
        "type": "file/v1", "path": file, "mediaType": "text/plain", "compress": true,
    }))))
    .unwrap();
    let again_out = HandedOver::new(&again.location.value);
    assert_ne!(again_out.0, out.0);
    assert_eq!(again_out.read(), compressed);
}

#[test]
fn compress_false_and_empty_files() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "empty", b"");
    for compress in [false, true] {
        let answer = process(resource(spec(serde_json::json!({
            "type": "file/v1", "path": file, "compress": compress, "mediaType": "",
        }))))
        .unwrap();
        let out = HandedOver::new(&answer.location.value);
        let blob = out.read();
        let expected_media_type = if compress {
            assert_eq!(gunzip(&blob), b"");
            "application/octet-stream+gzip"
        } else {
            assert_eq!(blob, b"");
            "application/octet-stream"
        };
        assert_eq!(answer.resource.digest.unwrap().value, sha256(&blob));
        assert_eq!(
            answer.location.media_type.as_deref(),
            Some(expected_media_type)
        );
    }
}

#[test]
fn keeps_labels_and_extra_identity_and_sets_relation_local() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "f", b"x");
    let extra: Identity = [("os".to_owned(), "linux".to_owned())].into();
    let labels = vec![Label {
        name: "purpose".into(),
        value: serde_json::json!({"a": 1}),
        signing: true,
        version: Some("v1".into()),
        extra: Default::default(),
    }];
    let mut r = resource(spec(serde_json::json!({"type": "file/v1", "path": file})));
    r.labels = Some(labels.clone());
    r.extra_identity = Some(extra.clone());
    r.relation = "external".into();
    let answer = process(r).unwrap();
    let _out = HandedOver::new(&answer.location.value);
    assert_eq!(answer.resource.labels, Some(labels));
    assert_eq!(answer.resource.extra_identity, Some(extra));
    assert_eq!(answer.resource.relation, "local");
    assert!(answer.resource.creation_time.is_none());
}

#[test]
fn reads_the_spec_from_access_for_v0_0_1_managers() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "f", b"old manager");
    // v0.0.1 sends a descriptor v2 resource: the spec is in `access`.
    let request: ProcessResourceRequest = serde_json::from_value(serde_json::json!({
        "resource": {
            "name": "data", "version": "1.0.0", "type": "blob", "relation": "local",
            "access": {"type": "file/v1", "path": file},
        }
    }))
    .unwrap();
    let answer = block_on(input().process_resource(request, &Credentials::new()))
        .unwrap()
        .unwrap();
    let out = HandedOver::new(&answer.location.value);
    assert_eq!(out.read(), b"old manager");
    assert_eq!(
        answer.resource.access.unwrap().type_().unwrap().to_string(),
        "localBlob/v1"
    );
}

#[test]
fn processes_sources() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "src.tar", b"source bytes");
    let source = ConstructorSource {
        name: "src".into(),
        version: "2.0.0".into(),
        source_type: "filesystem".into(),
        extra_identity: Some([("k".to_owned(), "v".to_owned())].into()),
        input: Some(spec(serde_json::json!({
            "type": "file/v1", "path": file, "mediaType": "application/x-tar", "compress": true,
        }))),
        ..ConstructorSource::default()
    };
    let answer =
        block_on(input().process_source(ProcessSourceRequest { source }, &Credentials::new()))
            .unwrap()
            .unwrap();
    let out = HandedOver::new(&answer.location.value);
    let blob = out.read();
    assert_eq!(gunzip(&blob), b"source bytes");
    assert_eq!(fs::read(&file).unwrap(), b"source bytes");
    let s = answer.source;
    assert_eq!(
        (s.name.as_str(), s.version.as_str(), s.source_type.as_str()),
        ("src", "2.0.0", "filesystem")
    );
    assert_eq!(s.extra_identity.unwrap()["k"], "v");
    assert_eq!(
        s.access.unwrap().to_value(),
        serde_json::json!({
            "type": "localBlob/v1",
            "localReference": format!("sha256:{}", sha256(&blob)),
            "mediaType": "application/x-tar+gzip",
        })
    );
    assert_eq!(
        answer.location.media_type.as_deref(),
        Some("application/x-tar+gzip")
    );
}

#[test]
fn a_missing_file_is_not_found() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing");
    let err = process(resource(spec(
        serde_json::json!({"type": "file/v1", "path": missing}),
    )))
    .unwrap_err();
    assert!(matches!(err, Error::NotFound(_)), "{err:?}");
    assert!(err.to_string().contains(missing.to_str().unwrap()), "{err}");
}

#[test]
fn bad_specs_are_invalid_arguments() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "f", b"x");
    // Refused by the plugin (a relative path, a directory), by the derived schema (naming the
    // field) or by the SDK's dispatch (another type).
    let cases = [
        (
            serde_json::json!({"type": "file/v1", "path": "relative/file"}),
            "relative",
        ),
        (
            serde_json::json!({"type": "file/v1"}),
            "\"path\" is a required property",
        ),
        (
            serde_json::json!({"type": "file/v1", "path": ""}),
            "at '/path'",
        ),
        (
            serde_json::json!({"type": "file/v1", "path": 7}),
            "at '/path'",
        ),
        (
            serde_json::json!({"type": "file/v1", "path": file, "compress": "yes"}),
            "at '/compress'",
        ),
        (
            serde_json::json!({"type": "file/v1", "path": file, "mediaType": 1}),
            "at '/mediaType'",
        ),
        (
            serde_json::json!({"type": "file/v1", "path": file, "mediaType": null}),
            "at '/mediaType'",
        ),
        (
            serde_json::json!({"type": "file/v1", "path": file, "extra": 1}),
            "extra",
        ),
        (
            serde_json::json!({"type": "dir/v1", "path": file}),
            "no input method of type dir/v1",
        ),
        (
            serde_json::json!({"type": "file/v2", "path": file}),
            "no input method of type file/v2",
        ),
        (
            serde_json::json!({"type": "file/v1", "path": dir.path()}),
            "not a regular file",
        ),
    ];
    for (value, needle) in cases {
        let err = process(resource(spec(value.clone()))).unwrap_err();
        assert!(matches!(err, Error::InvalidArgument(_)), "{value}: {err:?}");
        assert!(err.to_string().contains(needle), "{value}: {err}");
    }

    let mut no_input = resource(spec(serde_json::json!({"type": "file/v1", "path": file})));
    no_input.input = None;
    let err = process(no_input).unwrap_err();
    assert!(matches!(err, Error::InvalidArgument(_)), "{err:?}");
    assert!(err.to_string().contains("carries no file/v1 spec"), "{err}");
}

#[test]
fn spec_defaults_and_unversioned_type() {
    let s: FileSpec =
        serde_json::from_value(serde_json::json!({"type": "file", "path": "/a"})).unwrap();
    assert_eq!(
        (s.path.as_str(), s.media_type.as_str(), s.compress),
        ("/a", "application/octet-stream", false)
    );
    assert_eq!(s.blob_media_type(), "application/octet-stream");
    let s: FileSpec = serde_json::from_value(serde_json::json!({
        "type": "file/v1", "path": "/a", "mediaType": "text/plain", "compress": true,
    }))
    .unwrap();
    assert_eq!(s.blob_media_type(), "text/plain+gzip");

    // A spec typed `file` reaches the plugin, over HTTP as in process.
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "f", b"unversioned");
    let answer = process(resource(spec(
        serde_json::json!({"type": "file", "path": file}),
    )))
    .unwrap();
    assert_eq!(
        HandedOver::new(&answer.location.value).read(),
        b"unversioned"
    );
}

#[test]
fn identity_is_type_and_path() {
    let request = GetIdentityRequest {
        typ: spec(serde_json::json!({"type": "file/v1", "path": "/data/f.txt", "compress": true})),
    };
    let answer = block_on(input().get_identity(request)).unwrap().unwrap();
    assert_eq!(
        answer.identity,
        Identity::from([
            ("type".to_owned(), "file".to_owned()),
            ("path".to_owned(), "/data/f.txt".to_owned()),
        ])
    );
    let request = GetIdentityRequest {
        typ: spec(serde_json::json!({"type": "file/v1", "path": "rel"})),
    };
    let err = block_on(input().get_identity(request))
        .unwrap()
        .unwrap_err();
    assert!(matches!(err, Error::InvalidArgument(_)), "{err:?}");
    assert!(err.to_string().contains("relative"), "{err}");
}

#[test]
fn schema_matches_the_spec_rules() {
    let (typ, schema) = FileSpec::declaration().unwrap();
    assert_eq!(typ.to_string(), "file/v1");
    let schema: serde_json::Value = serde_json::from_slice(&schema.0).unwrap();
    let validator = jsonschema::options().build(&schema).unwrap();
    for ok in [
        serde_json::json!({"type": "file/v1", "path": "/a"}),
        serde_json::json!({"type": "file/v1", "path": "/a", "mediaType": "text/plain", "compress": true}),
        serde_json::json!({"type": "file/v1", "path": "/a", "mediaType": "", "compress": false}),
    ] {
        assert!(validator.is_valid(&ok), "{ok}");
    }
    for bad in [
        serde_json::json!({"type": "file/v1"}),
        serde_json::json!({"path": "/a"}),
        serde_json::json!({"type": "file/v1", "path": ""}),
        serde_json::json!({"type": "file/v1", "path": "/a", "compress": "yes"}),
        serde_json::json!({"type": "file/v1", "path": "/a", "mediaType": 3}),
        serde_json::json!({"type": "file/v1", "path": "/a", "mediaType": null}),
        serde_json::json!({"type": "file/v1", "path": "/a", "other": 1}),
    ] {
        assert!(!validator.is_valid(&bad), "{bad}");
    }
    // Users see these descriptions and defaults.
    assert_eq!(
        schema["properties"]["path"]["description"],
        "Absolute path of the file to read."
    );
    assert_eq!(
        schema["properties"]["mediaType"]["default"],
        "application/octet-stream"
    );
}

#[test]
fn blobs_are_new_private_files_in_the_temp_dir() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "f", b"bytes");
    let request = || {
        resource(spec(
            serde_json::json!({"type": "file/v1", "path": file, "mediaType": "text/plain"}),
        ))
    };
    let first = process(request()).unwrap();
    let second = process(request()).unwrap();
    let (a, b) = (
        HandedOver::new(&first.location.value),
        HandedOver::new(&second.location.value),
    );
    assert_ne!(a.0, b.0);
    for (answer, out) in [(&first, &a), (&second, &b)] {
        assert_eq!(answer.location.media_type.as_deref(), Some("text/plain"));
        assert_eq!(
            fs::metadata(&out.0).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(out.read(), b"bytes");
        assert_eq!(
            answer.resource.digest.as_ref().unwrap().value,
            sha256(b"bytes")
        );
    }
}
