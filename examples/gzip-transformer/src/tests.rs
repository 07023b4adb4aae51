use std::{
    fs,
    io::{Read as _, Write as _},
    path::{Path, PathBuf},
};

use flate2::{Compression, read::GzDecoder, write::GzEncoder};
use ocm_plugin_sdk::{
    TypedSpec as _,
    contracts::{
        Error,
        blob_transformer::v1::{
            BlobTransformer, GetIdentityRequest, TransformBlobRequest, TransformBlobResponse,
        },
    },
    endpoints::Client,
    testing::{TestClient, block_on},
    types::{Credentials, Identity, Location, LocationType, Raw},
};

use crate::{GzipSpec, Mode, gzip, plugin};

/// The plugin as a manager calls it: every call goes through the SDK (schema checks, dispatch
/// by type, answer checks).
fn transformer() -> Client<TestClient> {
    TestClient::new(plugin(), Vec::new()).unwrap().traits()
}

/// Compressible bytes bigger than several copy buffers.
fn big_bytes() -> Vec<u8> {
    let mut x: u32 = 0x9e37_79b9;
    (0..(4 * gzip::BUFFER_SIZE + 77))
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x % 8) as u8 + b'0'
        })
        .collect()
}

fn gzip_bytes(bytes: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    GzDecoder::new(bytes).read_to_end(&mut out).unwrap();
    out
}

/// A file handed over by the plugin; deleted when the test is done with it, also on panic.
struct HandedOver(PathBuf);

impl HandedOver {
    fn new(location: &Location) -> Self {
        assert_eq!(location.location_type, LocationType::LocalFile);
        let path = PathBuf::from(&location.value);
        assert!(path.is_absolute(), "{location:?}");
        assert!(
            path.starts_with(std::env::temp_dir()),
            "{location:?} is not in the temp dir"
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

fn location(path: &Path) -> Location {
    Location::local_file(path.to_str().unwrap())
}

fn spec(value: serde_json::Value) -> Raw {
    Raw::new(value).unwrap()
}

fn transform(
    location: Location,
    specification: serde_json::Value,
) -> ocm_plugin_sdk::contracts::Result<TransformBlobResponse> {
    block_on(transformer().transform_blob(
        TransformBlobRequest {
            location,
            specification: spec(specification),
        },
        &Credentials::new(),
    ))
    .unwrap()
}

#[test]
fn compress_then_decompress_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = big_bytes();
    let input = write(dir.path(), "input", &bytes);

    let compressed = transform(
        location(&input),
        serde_json::json!({"type": "GzipTransformer/v1", "mode": "compress"}),
    )
    .unwrap();
    let compressed_file = HandedOver::new(&compressed.location);
    assert_ne!(compressed_file.0, input);
    assert_eq!(
        compressed.location.media_type.as_deref(),
        Some("application/gzip")
    );
    let compressed_bytes = compressed_file.read();
    assert!(compressed_bytes.len() < bytes.len());
    assert_eq!(gunzip(&compressed_bytes), bytes);
    // The request's blob is untouched.
    assert_eq!(fs::read(&input).unwrap(), bytes);

    let decompressed = transform(
        compressed.location,
        serde_json::json!({"type": "GzipTransformer/v1", "mode": "decompress"}),
    )
    .unwrap();
    let decompressed_file = HandedOver::new(&decompressed.location);
    assert_ne!(decompressed_file.0, compressed_file.0);
    assert_eq!(decompressed_file.read(), bytes);
    // `application/gzip` has no `+gzip` suffix to strip: no media type.
    assert_eq!(decompressed.location.media_type, None);
    assert_eq!(compressed_file.read(), compressed_bytes);
}

#[test]
fn decompresses_what_other_tools_compressed() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = big_bytes();
    // Two members, as `cat a.gz b.gz` gives.
    let mut two_members = gzip_bytes(&bytes);
    two_members.extend(gzip_bytes(b"tail"));
    let input = write(dir.path(), "input.gz", &two_members);
    let mut loc = location(&input);
    loc.media_type = Some("text/plain+gzip".into());

    let answer = transform(
        loc,
        serde_json::json!({"type": "GzipTransformer", "mode": "decompress", "level": 9}),
    )
    .unwrap();
    let out = HandedOver::new(&answer.location);
    let mut expected = bytes;
    expected.extend(b"tail");
    assert_eq!(out.read(), expected);
    assert_eq!(answer.location.media_type.as_deref(), Some("text/plain"));
    assert_eq!(fs::read(&input).unwrap(), two_members);
}

#[test]
fn levels_change_the_output_but_not_the_content() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = big_bytes();
    let input = write(dir.path(), "input", &bytes);
    let mut outputs = Vec::new();
    for level in [0, 1, 9] {
        let answer = transform(
            location(&input),
            serde_json::json!({"type": "GzipTransformer/v1", "mode": "compress", "level": level}),
        )
        .unwrap();
        let out = HandedOver::new(&answer.location).read();
        assert_eq!(gunzip(&out), bytes, "level {level}");
        outputs.push(out);
    }
    // Level 0 stores: bigger than the input.
    assert!(outputs[0].len() > bytes.len());
    assert_ne!(outputs[1], outputs[2]);

    // Equal input and level give equal output.
    let again = transform(
        location(&input),
        serde_json::json!({"type": "GzipTransformer/v1", "mode": "compress", "level": 9}),
    )
    .unwrap();
    assert_eq!(HandedOver::new(&again.location).read(), outputs[2]);
}

#[test]
fn empty_input() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(dir.path(), "empty", b"");
    let compressed = transform(
        location(&input),
        serde_json::json!({"type": "GzipTransformer/v1", "mode": "compress"}),
    )
    .unwrap();
    let compressed_file = HandedOver::new(&compressed.location);
    assert_eq!(gunzip(&compressed_file.read()), b"");
    let decompressed = transform(
        compressed.location,
        serde_json::json!({"type": "GzipTransformer/v1", "mode": "decompress"}),
    )
    .unwrap();
    assert_eq!(HandedOver::new(&decompressed.location).read(), b"");

    // An empty file is not gzip data.
    let err = transform(
        location(&input),
        serde_json::json!({"type": "GzipTransformer/v1", "mode": "decompress"}),
    )
    .unwrap_err();
    assert!(matches!(err, Error::InvalidArgument(_)), "{err:?}");
    assert_eq!(err.to_string(), "input is not gzip data");
}

#[test]
fn decompressing_non_gzip_data_fails_and_leaves_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let plain = write(dir.path(), "plain", b"just some text, not gzip");
    let err = transform(
        location(&plain),
        serde_json::json!({"type": "GzipTransformer/v1", "mode": "decompress"}),
    )
    .unwrap_err();
    assert!(matches!(err, Error::InvalidArgument(_)), "{err:?}");
    assert_eq!(err.to_string(), "input is not gzip data");
    assert_eq!(fs::read(&plain).unwrap(), b"just some text, not gzip");

    // Truncated gzip data: the magic is right, the stream is not. Decoding fails after some
    // output was written; the partial output file is removed.
    let full = gzip_bytes(&big_bytes());
    let truncated = write(dir.path(), "truncated.gz", &full[..full.len() / 2]);
    let out_dir = tempfile::tempdir().unwrap();
    let decompress = |input| gzip::transform_into(input, Mode::Decompress, 6, None, out_dir.path());
    let err = decompress(&truncated).unwrap_err();
    assert!(matches!(err, Error::InvalidArgument(_)), "{err:?}");
    assert!(
        err.to_string().starts_with("input is corrupt gzip data"),
        "{err}"
    );
    assert_eq!(fs::read_dir(out_dir.path()).unwrap().count(), 0);
    let err = decompress(&plain).unwrap_err();
    assert_eq!(err.to_string(), "input is not gzip data");
    assert_eq!(fs::read_dir(out_dir.path()).unwrap().count(), 0);

    // The same through the trait.
    let err = transform(
        location(&truncated),
        serde_json::json!({"type": "GzipTransformer/v1", "mode": "decompress"}),
    )
    .unwrap_err();
    assert!(
        err.to_string().starts_with("input is corrupt gzip data"),
        "{err}"
    );
}

#[test]
fn only_local_files_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(dir.path(), "input", b"x");
    for (location_type, name) in [
        (LocationType::RemoteUrl, "remoteURL"),
        (LocationType::UnixNamedPipe, "unixNamedPipe"),
        (LocationType::Other("s3".into()), "s3"),
    ] {
        let loc = Location {
            location_type,
            value: input.to_str().unwrap().to_owned(),
            media_type: None,
        };
        let err = transform(
            loc,
            serde_json::json!({"type": "GzipTransformer/v1", "mode": "compress"}),
        )
        .unwrap_err();
        assert!(matches!(err, Error::InvalidArgument(_)), "{err:?}");
        assert!(
            err.to_string()
                .contains(&format!("unsupported location type {name}")),
            "{err}"
        );
    }

    let err = transform(
        Location::local_file("relative/blob"),
        serde_json::json!({"type": "GzipTransformer/v1", "mode": "compress"}),
    )
    .unwrap_err();
    assert!(matches!(err, Error::InvalidArgument(_)), "{err:?}");

    let err = transform(
        location(dir.path()),
        serde_json::json!({"type": "GzipTransformer/v1", "mode": "compress"}),
    )
    .unwrap_err();
    assert!(matches!(err, Error::InvalidArgument(_)), "{err:?}");
    assert!(err.to_string().contains("not a regular file"), "{err}");

    let missing = dir.path().join("missing");
    let err = transform(
        location(&missing),
        serde_json::json!({"type": "GzipTransformer/v1", "mode": "compress"}),
    )
    .unwrap_err();
    assert!(matches!(err, Error::NotFound(_)), "{err:?}");
    assert!(err.to_string().contains(missing.to_str().unwrap()), "{err}");
}

#[test]
fn bad_specs_are_invalid_arguments() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(dir.path(), "input", b"x");
    // Refused by the derived schema, naming the field, or by the SDK's dispatch by type.
    let cases = [
        (
            serde_json::json!({"type": "GzipTransformer/v1"}),
            "\"mode\" is a required property",
        ),
        (
            serde_json::json!({"type": "GzipTransformer/v1", "mode": "zip"}),
            "at '/mode'",
        ),
        (
            serde_json::json!({"type": "GzipTransformer/v1", "mode": "compress", "level": 10}),
            "at '/level'",
        ),
        (
            serde_json::json!({"type": "GzipTransformer/v1", "mode": "compress", "level": -1}),
            "at '/level'",
        ),
        (
            serde_json::json!({"type": "GzipTransformer/v1", "mode": "compress", "level": "9"}),
            "at '/level'",
        ),
        (
            serde_json::json!({"type": "GzipTransformer/v1", "mode": "compress", "level": 1.5}),
            "at '/level'",
        ),
        (
            serde_json::json!({"type": "GzipTransformer/v1", "mode": "compress", "extra": 1}),
            "extra",
        ),
        (
            serde_json::json!({"type": "ZstdTransformer/v1", "mode": "compress"}),
            "no blob transformer of type ZstdTransformer/v1",
        ),
        (
            serde_json::json!({"type": "GzipTransformer/v2", "mode": "compress"}),
            "no blob transformer of type GzipTransformer/v2",
        ),
    ];
    for (value, needle) in cases {
        let err = transform(location(&input), value.clone()).unwrap_err();
        assert!(matches!(err, Error::InvalidArgument(_)), "{value}: {err:?}");
        assert!(err.to_string().contains(needle), "{value}: {err}");
    }
}

#[test]
fn spec_decoding() {
    let decoded: GzipSpec = serde_json::from_value(
        serde_json::json!({"type": "GzipTransformer", "mode": "decompress"}),
    )
    .unwrap();
    assert_eq!((decoded.mode, decoded.level), (Mode::Decompress, 6));
    let decoded: GzipSpec = serde_json::from_value(
        serde_json::json!({"type": "GzipTransformer/v1", "mode": "compress", "level": 0}),
    )
    .unwrap();
    assert_eq!((decoded.mode, decoded.level), (Mode::Compress, 0));
}

#[test]
fn identity_is_the_transformer_type() {
    let expected = Identity::from([("type".to_owned(), "GzipTransformer".to_owned())]);
    for typ in [
        serde_json::json!({"type": "GzipTransformer/v1", "mode": "compress"}),
        serde_json::json!({"type": "GzipTransformer", "mode": "decompress", "level": 1}),
    ] {
        let answer = block_on(transformer().get_identity(GetIdentityRequest { typ: spec(typ) }))
            .unwrap()
            .unwrap();
        assert_eq!(answer.identity, expected);
    }
    for typ in [
        serde_json::json!({"type": "Other/v1"}),
        // A spec without its mode is no spec of this type.
        serde_json::json!({"type": ""}),
    ] {
        let err = block_on(transformer().get_identity(GetIdentityRequest { typ: spec(typ) }))
            .unwrap()
            .unwrap_err();
        assert!(matches!(err, Error::InvalidArgument(_)), "{err:?}");
    }
}

#[test]
fn schema_enforces_enum_and_range() {
    let (typ, schema) = GzipSpec::declaration().unwrap();
    assert_eq!(typ.to_string(), "GzipTransformer/v1");
    let schema: serde_json::Value = serde_json::from_slice(&schema.0).unwrap();
    let validator = jsonschema::options().build(&schema).unwrap();
    for ok in [
        serde_json::json!({"type": "GzipTransformer/v1", "mode": "compress"}),
        serde_json::json!({"type": "GzipTransformer/v1", "mode": "decompress"}),
        serde_json::json!({"type": "GzipTransformer/v1", "mode": "compress", "level": 0}),
        serde_json::json!({"type": "GzipTransformer/v1", "mode": "compress", "level": 9}),
    ] {
        assert!(validator.is_valid(&ok), "{ok}");
    }
    for bad in [
        serde_json::json!({"type": "GzipTransformer/v1"}),
        serde_json::json!({"mode": "compress"}),
        serde_json::json!({"type": "GzipTransformer/v1", "mode": "zip"}),
        serde_json::json!({"type": "GzipTransformer/v1", "mode": "compress", "level": 10}),
        serde_json::json!({"type": "GzipTransformer/v1", "mode": "compress", "level": -1}),
        serde_json::json!({"type": "GzipTransformer/v1", "mode": "compress", "level": 1.5}),
        serde_json::json!({"type": "GzipTransformer/v1", "mode": "compress", "other": 1}),
    ] {
        assert!(!validator.is_valid(&bad), "{bad}");
    }
}
