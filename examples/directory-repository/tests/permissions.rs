//! Stored files are never more accessible than what they were made from: a blob (and its
//! metadata) keeps at most the permission bits of the file it was copied from, and rewriting a
//! descriptor keeps at most the bits it had.
#![cfg(unix)]
#![allow(clippy::unwrap_used)]

use std::{
    fs,
    os::unix::fs::PermissionsExt as _,
    path::{Path, PathBuf},
};

use ocm_example_directory_repository::{DirectoryRepository, DirectorySpec, layout};
use ocm_plugin_sdk::SpecExt as _;
use ocm_plugin_sdk::component_version_repository::{
    AddComponentVersionRequest, AddLocalResourceRequest, AddLocalSourceRequest,
    ComponentVersionRepository,
};
use ocm_plugin_types::{Credentials, Descriptor, Location, Raw, Resource, Source};

const NAME: &str = "acme.org/app";
const VERSION: &str = "1.0.0";

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(f)
}

fn spec(root: &Path) -> Raw {
    Raw::new(serde_json::json!({"type": "DirectoryRepository/v1", "path": root})).unwrap()
}

/// The spec decoded, as the SDK hands it to the repository.
fn decoded(root: &Path) -> DirectorySpec {
    spec(root).decode_spec().unwrap()
}

fn mode(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// A new file under `dir` with `bytes` and exactly `mode` (set after writing, so the umask
/// does not interfere).
fn source_file(dir: &Path, file: &str, bytes: &[u8], mode: u32) -> Location {
    let path = dir.join(file);
    fs::write(&path, bytes).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
    Location::local_file(path.to_str().unwrap())
}

fn resource(name: &str) -> Resource {
    Resource {
        name: name.into(),
        version: VERSION.into(),
        resource_type: "blob".into(),
        relation: "local".into(),
        ..Resource::default()
    }
}

/// Adds a local resource and returns the paths of its stored blob and metadata.
fn add_resource(root: &Path, location: Location, name: &str) -> (PathBuf, PathBuf) {
    let stored = block_on(DirectoryRepository::default().add_local_resource(
        decoded(root),
        AddLocalResourceRequest {
            repository: spec(root),
            name: NAME.into(),
            version: VERSION.into(),
            resource_location: location,
            resource: resource(name),
        },
        &Credentials::new(),
    ))
    .unwrap();
    stored_paths(root, layout::RESOURCES_DIR, &stored.identity())
}

fn stored_paths(
    root: &Path,
    kind_dir: &str,
    identity: &ocm_plugin_types::Identity,
) -> (PathBuf, PathBuf) {
    let dir = layout::version_dir(root, NAME, VERSION).join(kind_dir);
    let stem = layout::identity_digest(identity);
    (
        dir.join(format!("{stem}.{}", layout::BLOB_EXTENSION)),
        dir.join(format!("{stem}.{}", layout::METADATA_EXTENSION)),
    )
}

fn add_descriptor(root: &Path) {
    let mut descriptor = Descriptor::default();
    descriptor.meta.schema_version = "v2".into();
    descriptor.component.name = NAME.into();
    descriptor.component.version = VERSION.into();
    descriptor.component.provider = "acme.org".into();
    block_on(DirectoryRepository::default().add_component_version(
        decoded(root),
        AddComponentVersionRequest {
            repository: spec(root),
            descriptor,
        },
        &Credentials::new(),
    ))
    .unwrap();
}

#[test]
fn a_0640_blob_is_stored_without_wider_bits() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("repo");
    let location = source_file(dir.path(), "secret.bin", b"group only", 0o640);
    let (blob, metadata) = add_resource(&root, location, "secret");
    assert_eq!(fs::read(&blob).unwrap(), b"group only");
    for path in [&blob, &metadata] {
        let got = mode(path);
        assert_eq!(got & !0o640, 0, "{} is {got:o}", path.display());
    }
}

#[test]
fn a_0600_blob_stays_0600() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("repo");
    let location = source_file(dir.path(), "key.bin", b"owner only", 0o600);
    let (blob, metadata) = add_resource(&root, location, "key");
    assert_eq!(mode(&blob), 0o600);
    assert_eq!(mode(&metadata), 0o600);
}

#[test]
fn a_0640_source_is_stored_without_wider_bits() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("repo");
    let location = source_file(dir.path(), "src.tar", b"sources", 0o640);
    let stored = block_on(DirectoryRepository::default().add_local_source(
        decoded(&root),
        AddLocalSourceRequest {
            repository: spec(&root),
            name: NAME.into(),
            version: VERSION.into(),
            source_location: location,
            source: Source {
                name: "src".into(),
                version: VERSION.into(),
                source_type: "git".into(),
                ..Source::default()
            },
        },
        &Credentials::new(),
    ))
    .unwrap();
    let (blob, _) = stored_paths(&root, layout::SOURCES_DIR, &stored.identity());
    assert_eq!(mode(&blob) & !0o640, 0, "{:o}", mode(&blob));
}

#[test]
fn a_world_writable_source_does_not_make_a_writable_blob() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("repo");
    let location = source_file(dir.path(), "open.bin", b"anyone", 0o777);
    let (blob, _) = add_resource(&root, location, "open");
    // Neither group/world writable nor executable, whatever the source was.
    assert_eq!(mode(&blob) & 0o133, 0, "{:o}", mode(&blob));
}

#[test]
fn rewriting_a_descriptor_does_not_widen_it() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("repo");
    add_descriptor(&root);
    let path = layout::version_dir(&root, NAME, VERSION).join(layout::DESCRIPTOR_FILE);
    fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();

    // Replaced by a new add...
    add_descriptor(&root);
    assert_eq!(mode(&path), 0o600);
    // ...and updated by adding a resource (from a readable file) to the version.
    let location = source_file(dir.path(), "public.bin", b"public", 0o644);
    add_resource(&root, location, "public");
    assert_eq!(mode(&path), 0o600);
    let descriptor: Descriptor = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
    assert_eq!(descriptor.component.resources.unwrap().len(), 1);
}
