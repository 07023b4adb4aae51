use std::{
    fs,
    io::{self, Read},
    path::{Path, PathBuf},
};

use ocm_plugin_sdk::{
    TypedSpec as _,
    contracts::{
        Error,
        digest_processor::v1::{
            DigestProcessor, GetIdentityRequest, ProcessResourceDigestRequest,
            ProcessResourceDigestResponse,
        },
    },
    endpoints::Client,
    testing::{TestClient, block_on},
    types::{Credentials, Digest, Identity, Label, Raw, Resource},
};
use sha2::{Digest as _, Sha256};

use crate::{LocalFileAccess, hash, plugin};

/// The plugin as a manager calls it: every call goes through the SDK (schema checks, dispatch
/// by type, answer checks).
fn digester() -> Client<TestClient> {
    TestClient::new(plugin(), Vec::new()).unwrap().traits()
}

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Bytes bigger than several read buffers, with an uneven tail.
fn big_bytes() -> Vec<u8> {
    (0..(3 * hash::BUFFER_SIZE + 123))
        .map(|i| (i * 31 % 251) as u8)
        .collect()
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    fs::write(&path, bytes).unwrap();
    path
}

fn resource(access: serde_json::Value) -> Resource {
    Resource {
        name: "data".into(),
        version: "1.0.0".into(),
        resource_type: "blob".into(),
        relation: "local".into(),
        access: Some(Raw::new(access).unwrap()),
        ..Resource::default()
    }
}

fn digest_of(
    resource: Resource,
) -> ocm_plugin_sdk::contracts::Result<ProcessResourceDigestResponse> {
    block_on(digester().process_resource_digest(
        ProcessResourceDigestRequest { resource },
        &Credentials::new(),
    ))
    .unwrap()
}

fn sha_digest(value: &str) -> Digest {
    Digest {
        hash_algorithm: "SHA-256".into(),
        normalisation_algorithm: "genericBlobDigest/v1".into(),
        value: value.into(),
        extra: Default::default(),
    }
}

#[test]
fn computes_the_sha256_of_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = big_bytes();
    let file = write(dir.path(), "blob", &bytes);
    let mut request = resource(serde_json::json!({"type": "localFile/v1", "path": file}));
    request.labels = Some(vec![Label {
        name: "l".into(),
        value: serde_json::json!("v"),
        ..Label::default()
    }]);
    request.extra_identity = Some([("os".to_owned(), "linux".to_owned())].into());
    request.creation_time = Some("2025-01-01T00:00:00Z".into());

    let answer = digest_of(request.clone()).unwrap();
    assert_eq!(answer.resource.digest, Some(sha_digest(&sha256(&bytes))));
    // Everything else is unchanged, and the caller's file is untouched.
    let mut expected = request;
    expected.digest = answer.resource.digest.clone();
    assert_eq!(answer.resource, expected);
    assert_eq!(fs::read(&file).unwrap(), bytes);
}

#[test]
fn empty_files_and_unversioned_type() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "empty", b"");
    let answer = digest_of(resource(
        serde_json::json!({"type": "localFile", "path": file}),
    ))
    .unwrap();
    assert_eq!(
        answer.resource.digest.unwrap().value,
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
}

#[test]
fn a_matching_declared_digest_is_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "blob", b"content");
    let hex = sha256(b"content");
    for declared in [
        sha_digest(&hex),
        Digest {
            hash_algorithm: "sha-256".into(),
            normalisation_algorithm: String::new(),
            value: hex.to_uppercase(),
            extra: Default::default(),
        },
        // An all-empty digest counts as none.
        Digest::default(),
    ] {
        let mut r = resource(serde_json::json!({"type": "localFile/v1", "path": file}));
        r.digest = Some(declared.clone());
        let answer = digest_of(r).unwrap();
        assert_eq!(
            answer.resource.digest,
            Some(sha_digest(&hex)),
            "{declared:?}"
        );
    }
}

#[test]
fn a_mismatching_declared_digest_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "blob", b"content");
    let wrong = sha256(b"other content");
    let mut r = resource(serde_json::json!({"type": "localFile/v1", "path": file}));
    r.digest = Some(sha_digest(&wrong));
    let err = digest_of(r).unwrap_err();
    assert!(matches!(err, Error::InvalidArgument(_)), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!(
            "digest mismatch: declared {wrong}, computed {}",
            sha256(b"content")
        )
    );
}

#[test]
fn a_digest_of_another_algorithm_is_not_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "blob", b"content");
    let mut r = resource(serde_json::json!({"type": "localFile/v1", "path": file}));
    r.digest = Some(Digest {
        hash_algorithm: "SHA-512".into(),
        normalisation_algorithm: "genericBlobDigest/v1".into(),
        value: "abc".into(),
        extra: Default::default(),
    });
    let err = digest_of(r).unwrap_err();
    assert!(matches!(err, Error::InvalidArgument(_)), "{err:?}");
    assert!(err.to_string().contains("SHA-512"), "{err}");
}

#[test]
fn a_missing_file_is_not_found() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing");
    let err = digest_of(resource(
        serde_json::json!({"type": "localFile/v1", "path": missing}),
    ))
    .unwrap_err();
    assert!(matches!(err, Error::NotFound(_)), "{err:?}");
    assert!(err.to_string().contains(missing.to_str().unwrap()), "{err}");
}

#[test]
fn bad_accesses_are_invalid_arguments() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "blob", b"x");
    // Refused by the plugin (a relative path, a directory), by the derived schema (naming the
    // field) or by the SDK's dispatch (another type).
    let cases = [
        (
            serde_json::json!({"type": "localBlob/v1", "localReference": "sha256:00"}),
            "no digest processor of type localBlob/v1",
        ),
        (
            serde_json::json!({"type": "localFile/v2", "path": file}),
            "no digest processor of type localFile/v2",
        ),
        (
            serde_json::json!({"path": file}),
            "\"type\" is a required property",
        ),
        (
            serde_json::json!({"type": "localFile/v1"}),
            "\"path\" is a required property",
        ),
        (
            serde_json::json!({"type": "localFile/v1", "path": 1}),
            "at '/path'",
        ),
        (
            serde_json::json!({"type": "localFile/v1", "path": ""}),
            "at '/path'",
        ),
        (
            serde_json::json!({"type": "localFile/v1", "path": file, "mediaType": "a/b"}),
            "mediaType",
        ),
        (
            serde_json::json!({"type": "localFile/v1", "path": "rel/file"}),
            "relative",
        ),
        (
            serde_json::json!({"type": "localFile/v1", "path": dir.path()}),
            "not a regular file",
        ),
    ];
    for (access, needle) in cases {
        let err = digest_of(resource(access.clone())).unwrap_err();
        assert!(
            matches!(err, Error::InvalidArgument(_)),
            "{access}: {err:?}"
        );
        assert!(err.to_string().contains(needle), "{access}: {err}");
    }

    let mut no_access = resource(serde_json::json!({"type": "localFile/v1", "path": file}));
    no_access.access = None;
    let err = digest_of(no_access).unwrap_err();
    assert!(matches!(err, Error::InvalidArgument(_)), "{err:?}");
    assert!(
        err.to_string().contains("carries no localFile/v1 spec"),
        "{err}"
    );
}

/// A reader that records how it is read, to show the hash is computed incrementally in
/// buffer-sized reads.
struct CountingReader<R> {
    inner: R,
    reads: usize,
    largest: usize,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.reads += 1;
        self.largest = self.largest.max(buf.len());
        self.inner.read(buf)
    }
}

#[test]
fn hashing_streams_in_buffer_sized_reads() {
    let bytes = big_bytes();
    let mut reader = CountingReader {
        inner: bytes.as_slice(),
        reads: 0,
        largest: 0,
    };
    assert_eq!(hash::sha256_reader(&mut reader).unwrap(), sha256(&bytes));
    assert_eq!(reader.largest, hash::BUFFER_SIZE);
    // Three full buffers, the tail, and the read that reports the end.
    assert_eq!(reader.reads, 5);
}

#[test]
fn identity_is_type_and_path() {
    let request = GetIdentityRequest {
        typ: Raw::new(serde_json::json!({"type": "localFile/v1", "path": "/data/blob"})).unwrap(),
    };
    let answer = block_on(digester().get_identity(request)).unwrap().unwrap();
    assert_eq!(
        answer.identity,
        Identity::from([
            ("type".to_owned(), "localFile".to_owned()),
            ("path".to_owned(), "/data/blob".to_owned()),
        ])
    );
    for typ in [
        serde_json::json!({"type": "OCIImage/v1", "imageReference": "x"}),
        serde_json::json!({"type": "localFile/v1", "path": "rel/blob"}),
    ] {
        let request = GetIdentityRequest {
            typ: Raw::new(typ).unwrap(),
        };
        let err = block_on(digester().get_identity(request))
            .unwrap()
            .unwrap_err();
        assert!(matches!(err, Error::InvalidArgument(_)), "{err:?}");
    }
}

#[test]
fn access_decoding() {
    let access: LocalFileAccess =
        serde_json::from_value(serde_json::json!({"type": "localFile/v1", "path": "/a/b"}))
            .unwrap();
    assert_eq!(access.absolute_path().unwrap(), PathBuf::from("/a/b"));
}

#[test]
fn schema_requires_type_and_path() {
    let (typ, schema) = LocalFileAccess::declaration().unwrap();
    assert_eq!(typ.to_string(), "localFile/v1");
    let schema: serde_json::Value = serde_json::from_slice(&schema.0).unwrap();
    let validator = jsonschema::options().build(&schema).unwrap();
    assert!(validator.is_valid(&serde_json::json!({"type": "localFile/v1", "path": "/a"})));
    for bad in [
        serde_json::json!({"type": "localFile/v1"}),
        serde_json::json!({"path": "/a"}),
        serde_json::json!({"type": "localFile/v1", "path": ""}),
        serde_json::json!({"type": "localFile/v1", "path": 1}),
        serde_json::json!({"type": "localFile/v1", "path": "/a", "other": true}),
    ] {
        assert!(!validator.is_valid(&bad), "{bad}");
    }
}
