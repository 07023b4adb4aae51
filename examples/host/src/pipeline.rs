//! The pipeline: every capability working together on one real file.
//!
//! input (file -> blob) -> digest processor (SHA-256) -> blob transformer (gzip) -> credential
//! repository (Docker config) -> component version repository (store as local resource) ->
//! resource repository (publish and fetch back) -> blob transformer (gunzip) -> compare bytes and
//! digest with the original.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, ensure};
use ocm_plugin_contracts::{
    blob_transformer::v1 as bt, component_version_repository::v1 as cvr,
    credential_repository::v1 as cred, digest_processor::v1 as dp, input::v1 as inp,
    resource_repository::v1 as rr,
};
use ocm_plugin_manager::{PluginManager, RegistrationOptions};
use ocm_plugin_types::{Credentials, Descriptor, Raw, Resource};
use serde_json::json;
use sha2::{Digest as _, Sha256};

use crate::e2e::shut_down_cleanly;
use crate::util::{hex, raw, read, step};
pub(crate) async fn run(plugins: PathBuf, work: PathBuf) -> Result<()> {
    let mut n = 0;
    let original_path = work.join("pipeline-input.txt");
    let original: Vec<u8> = (0..20_000)
        .flat_map(|i| {
            format!("line {i}: the quick brown fox jumps over the lazy dog\n").into_bytes()
        })
        .collect();
    std::fs::write(&original_path, &original)?;
    let expected_digest = hex(&Sha256::digest(&original));
    let docker_config = work.join("docker/config.json");
    std::fs::create_dir_all(docker_config.parent().context("parent")?)?;
    // base64("pipeline-user:s3cret")
    std::fs::write(
        &docker_config,
        r#"{"auths":{"registry.example.org":{"auth":"cGlwZWxpbmUtdXNlcjpzM2NyZXQ="}}}"#,
    )?;
    let store = work.join("pipeline-store");
    let published = work.join("published/config.txt.gz");

    step(
        &mut n,
        &format!("register every plugin in {}", plugins.display()),
    );
    let manager = PluginManager::new()?;
    let report = manager
        .register_plugins(&plugins, RegistrationOptions::default())
        .await?;
    for c in report.registered() {
        println!("     {:<24} {}", c.id, c.outcome);
    }

    step(
        &mut n,
        &format!(
            "input (file/v1): turn {} ({} bytes) into a blob",
            original_path.display(),
            original.len()
        ),
    );
    let input_spec =
        raw(json!({"type": "file/v1", "path": original_path, "mediaType": "text/plain"}))?;
    let input = manager.input_methods().get(&input_spec).await?;
    let processed = input
        .process_resource(
            inp::ProcessResourceRequest {
                resource: inp::ConstructorResource {
                    name: "config".into(),
                    version: "1.0.0".into(),
                    resource_type: "plainText".into(),
                    input: Some(input_spec.clone()),
                    ..inp::ConstructorResource::default()
                },
            },
            &Credentials::new(),
        )
        .await?;
    let blob = processed.location.clone();
    ensure!(
        // Peek without taking ownership: `manager.blob()` would delete the handed-over file
        // when dropped, and the next steps still need it.
        std::fs::read(&blob.value)? == original,
        "the input blob differs from the file"
    );
    ensure!(
        original_path.exists(),
        "the input file belongs to us and must be left alone"
    );
    println!(
        "     blob {} ({})",
        blob.value,
        blob.media_type.as_deref().unwrap_or("no media type")
    );

    step(
        &mut n,
        "digest processor (localFile/v1): compute the blob's digest",
    );
    let mut resource: Resource = processed.resource.clone();
    resource.digest = None;
    resource.access = Some(raw(json!({"type": "localFile/v1", "path": blob.value}))?);
    let digested = manager
        .digest_processors()
        .get(resource.access.as_ref().context("access")?)
        .await?
        .process_resource_digest(
            dp::ProcessResourceDigestRequest { resource },
            &Credentials::new(),
        )
        .await?
        .resource;
    let digest = digested
        .digest
        .clone()
        .context("the digest processor must fill the digest")?;
    println!(
        "     {}:{} ({})",
        digest.hash_algorithm, digest.value, digest.normalisation_algorithm
    );
    ensure!(
        digest.value == expected_digest,
        "digest {} != sha256 of the file {expected_digest}",
        digest.value
    );

    step(&mut n, "blob transformer (GzipTransformer/v1): compress");
    let gzip = raw(json!({"type": "GzipTransformer/v1", "mode": "compress", "level": 9}))?;
    let transformer = manager.blob_transformers().get(&gzip).await?;
    let compressed = transformer
        .transform_blob(
            bt::TransformBlobRequest {
                location: blob.clone(),
                specification: gzip,
            },
            &Credentials::new(),
        )
        .await?
        .location;
    let size = std::fs::metadata(&compressed.value)?.len();
    println!("     {} bytes -> {size} bytes", original.len());
    ensure!(
        size < original.len() as u64,
        "compression did not shrink the blob"
    );

    step(
        &mut n,
        "credential repository (DockerConfig/v1): resolve credentials for registry.example.org",
    );
    let config = raw(json!({"type": "DockerConfig/v1", "dockerConfigFile": docker_config}))?;
    let creds = manager
        .credential_repositories()
        .get(&config)
        .await?
        .resolve(
            cred::ResolveRequest {
                config: config.clone(),
                identity: [
                    ("type".to_owned(), "OCIRegistry".to_owned()),
                    ("hostname".to_owned(), "registry.example.org".to_owned()),
                ]
                .into(),
            },
            &Credentials::new(),
        )
        .await?;
    println!(
        "     username {:?}, password {} characters",
        creds.get("username"),
        creds.get("password").map_or(0, String::len)
    );
    ensure!(
        creds.get("username").map(String::as_str) == Some("pipeline-user"),
        "wrong username {creds:?}"
    );
    let by_consumer = manager
        .credential_repositories()
        .for_consumer(&[("type".to_owned(), "OCIRegistry".to_owned())].into())?;
    drop(by_consumer);

    step(
        &mut n,
        "component version repository (DirectoryRepository/v1): store acme.org/pipeline 1.0.0 with the compressed blob",
    );
    let repo_spec = raw(json!({"type": "DirectoryRepository/v1", "path": store}))?;
    let repo = manager
        .component_version_repositories()
        .get(&repo_spec)
        .await?;
    let mut d = Descriptor::default();
    d.meta.schema_version = "v2".into();
    d.component.name = "acme.org/pipeline".into();
    d.component.version = "1.0.0".into();
    d.component.provider = "acme.org".into();
    repo.add_component_version(
        cvr::AddComponentVersionRequest {
            repository: repo_spec.clone(),
            descriptor: d,
        },
        &creds,
    )
    .await?;
    let mut local = digested.clone();
    local.digest = None; // the stored blob is the compressed one; the repository digests it
    let stored = repo
        .add_local_resource(
            cvr::AddLocalResourceRequest {
                repository: repo_spec.clone(),
                name: "acme.org/pipeline".into(),
                version: "1.0.0".into(),
                resource_location: compressed.clone(),
                resource: local,
            },
            &creds,
        )
        .await?;
    println!(
        "     stored with access {}",
        stored.access.as_ref().map(Raw::to_json).unwrap_or_default()
    );
    let fetched = repo
        .get_local_resource(
            cvr::GetLocalResourceRequest {
                repository: Some(repo_spec.clone()),
                name: "acme.org/pipeline".into(),
                version: "1.0.0".into(),
                identity: Some(stored.identity()),
            },
            &creds,
        )
        .await?;

    step(
        &mut n,
        &format!(
            "resource repository (localFile/v1): publish to {} and fetch it back",
            published.display()
        ),
    );
    let access = raw(json!({"type": "localFile/v1", "path": published}))?;
    let resources = manager.resource_repositories().get(&access).await?;
    let mut published_resource = stored.clone();
    published_resource.access = Some(access.clone());
    resources
        .add_global_resource(
            rr::AddGlobalResourceRequest {
                resource_location: fetched.location.clone(),
                resource: published_resource.clone(),
            },
            &creds,
        )
        .await?;
    let got = resources
        .get_global_resource(
            rr::GetGlobalResourceRequest {
                resource: published_resource,
            },
            &creds,
        )
        .await?
        .location;

    step(
        &mut n,
        "blob transformer: decompress and compare with the original",
    );
    let gunzip = raw(json!({"type": "GzipTransformer/v1", "mode": "decompress"}))?;
    let restored = transformer
        .transform_blob(
            bt::TransformBlobRequest {
                location: got,
                specification: gunzip,
            },
            &Credentials::new(),
        )
        .await?
        .location;
    // The last consumer takes ownership: the handed-over file is deleted when the blob drops.
    let bytes = read(&manager, &restored).await?;
    ensure!(
        !Path::new(&restored.value).exists(),
        "a consumed handed-over blob is deleted"
    );
    ensure!(
        bytes == original,
        "the bytes after the round trip differ from the original"
    );
    let restored_digest = hex(&Sha256::digest(&bytes));
    ensure!(
        restored_digest == digest.value,
        "digest after the round trip {restored_digest} != {}",
        digest.value
    );
    println!(
        "     {} bytes identical, SHA-256 {} matches",
        bytes.len(),
        restored_digest
    );

    step(&mut n, "shut down: no plugin process, no temp file left");
    shut_down_cleanly(&manager, &plugins).await?;
    ensure!(
        !Path::new(&blob.value).exists() && !Path::new(&compressed.value).exists(),
        "handed-over blobs left behind"
    );
    println!("pipeline: all {n} steps passed");
    Ok(())
}
