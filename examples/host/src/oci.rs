//! The OCI scenario: the pipeline's component version copied from the directory store into a
//! real OCI registry through the OCI repository plugin, then read back.
//!
//! directory repository (read `acme.org/pipeline` `1.0.0` and its local resource) -> OCI
//! repository (add the local resource, add the component version) -> OCI repository (list, get
//! the component version, get the local resource: bytes and SHA-256 as the directory store
//! gave them) -> the registry itself over plain HTTP (tag list, manifest artifact type) ->
//! the manager signs the component version in the registry (jsonNormalisation/v4alpha1,
//! SHA-256, RSA signing handler) and verifies it with the public key only; tampered copies
//! re-tagged over the same version are refused (signed label, resource digest) or still
//! verify (repositoryContexts, unsigned label).
//!
//! Needs the pipeline scenario's store (`<work>/pipeline-store`) and a registry at `<baseUrl>`
//! (`http://127.0.0.1:<port>`, no authentication): `cargo xtask e2e` provides both.

use std::{
    io::{Read as _, Write as _},
    net::{TcpStream, ToSocketAddrs as _},
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

use anyhow::{Context, Result, bail, ensure};
use ocm_plugin_contracts::component_version_repository::v1 as cvr;

use ocm_plugin_manager::signing::{ComponentVersionRef, SigningCredentials};
use ocm_plugin_types::{Credentials, Raw};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use crate::e2e::shut_down_cleanly;
use crate::sign::{self, Expect};
use crate::util::{hex, raw, read, register_needing, step};

const NAME: &str = "acme.org/pipeline";
const VERSION: &str = "1.0.0";
/// The name of the signature the scenario writes.
const OCI_SIGNATURE: &str = "acme-oci";
/// Where OCM's OCI mapping keeps the component (no sub path).
const OCI_REPOSITORY: &str = "component-descriptors/acme.org/pipeline";
const ARTIFACT_TYPE: &str = "application/vnd.ocm.software.component-descriptor.v2";
const MANIFEST_MEDIA_TYPE: &str = "application/vnd.oci.image.manifest.v1+json";
/// Connect, read and write timeout of each raw HTTP request, and its overall deadline.
const HTTP_TIMEOUT: Duration = Duration::from_secs(10);
pub(crate) async fn run(plugins: PathBuf, work: PathBuf, base_url: String) -> Result<()> {
    let mut n = 0;
    let authority = base_url
        .strip_prefix("http://")
        .map(|a| a.trim_end_matches('/'))
        .filter(|a| !a.is_empty() && !a.contains('/'))
        .with_context(|| {
            format!(
                "the registry URL {base_url:?} is not http://<host>:<port> (plain HTTP, no path)"
            )
        })?
        .to_owned();
    let store = work.join("pipeline-store");
    ensure!(
        store.is_dir(),
        "{} does not exist: run the pipeline scenario first",
        store.display()
    );
    let creds = Credentials::new();

    step(
        &mut n,
        &format!("register every plugin in {}", plugins.display()),
    );
    let manager = register_needing(
        &plugins,
        &[
            "directory-repository",
            "oci-repository",
            "rsa-signing-handler",
        ],
    )
    .await?;

    step(
        &mut n,
        &format!(
            "directory repository (DirectoryRepository/v1): read {NAME} {VERSION} and its local resource from {}",
            store.display()
        ),
    );
    let dir_spec = raw(json!({"type": "DirectoryRepository/v1", "path": store}))?;
    let dir_repo = manager
        .component_version_repositories()
        .get(&dir_spec)
        .await?;
    let source = dir_repo
        .get_component_version(
            cvr::GetComponentVersionRequest {
                repository: Some(dir_spec.clone()),
                name: NAME.into(),
                version: VERSION.into(),
            },
            &creds,
        )
        .await?;
    ensure!(
        source.component.sources.as_ref().is_none_or(Vec::is_empty),
        "{NAME} {VERSION} has sources; this scenario copies resources only"
    );
    let resources = source.component.resources.clone().unwrap_or_default();
    let [dir_resource] = resources.as_slice() else {
        bail!(
            "{NAME} {VERSION} has {} resources in the directory store, expected the pipeline's one",
            resources.len()
        );
    };
    let dir_digest = dir_resource
        .digest
        .clone()
        .context("the directory store's resource has no digest")?;
    let fetched = dir_repo
        .get_local_resource(
            cvr::GetLocalResourceRequest {
                repository: Some(dir_spec.clone()),
                name: NAME.into(),
                version: VERSION.into(),
                identity: Some(dir_resource.identity()),
            },
            &creds,
        )
        .await?;
    // Peek without taking ownership: the handed-over file is the upload's source next.
    let original = std::fs::read(&fetched.location.value)
        .with_context(|| format!("reading {}", fetched.location.value))?;
    let original_sha = hex(&Sha256::digest(&original));
    println!(
        "     resource {:?}, {} bytes, digest {}:{}, access {}",
        dir_resource.name,
        original.len(),
        dir_digest.hash_algorithm,
        dir_digest.value,
        dir_resource
            .access
            .as_ref()
            .map(Raw::to_json)
            .unwrap_or_default()
    );
    ensure!(
        dir_digest.value == original_sha,
        "the directory store's digest {} != SHA-256 of its blob {original_sha}",
        dir_digest.value
    );

    let oci_spec = raw(json!({"type": "OCIRepository/v1", "baseUrl": base_url}))?;
    step(
        &mut n,
        &format!("OCI repository (OCIRepository/v1 at {base_url}): add the local resource"),
    );
    let oci_repo = manager
        .component_version_repositories()
        .get(&oci_spec)
        .await?;
    ensure!(
        manager
            .plugin("oci-repository")
            .and_then(|p| p.pid())
            .is_some(),
        "OCIRepository/v1 should be served by the oci-repository plugin"
    );
    let mut upload = dir_resource.clone();
    // The plugin digests what it uploads; the result must equal the directory store's digest.
    upload.digest = None;
    let stored = oci_repo
        .add_local_resource(
            cvr::AddLocalResourceRequest {
                repository: oci_spec.clone(),
                name: NAME.into(),
                version: VERSION.into(),
                resource_location: fetched.location.clone(),
                resource: upload,
            },
            &creds,
        )
        .await?;
    std::fs::remove_file(&fetched.location.value)
        .with_context(|| format!("removing {}", fetched.location.value))?; // ours to delete
    let oci_digest = stored
        .digest
        .clone()
        .context("the OCI repository must fill the digest")?;
    let access = stored
        .access
        .as_ref()
        .context("the OCI repository must set the access")?;
    println!("     access {}", access.to_json());
    println!(
        "     digest {}:{} ({})",
        oci_digest.hash_algorithm, oci_digest.value, oci_digest.normalisation_algorithm
    );
    ensure!(
        access.get("type").and_then(Value::as_str) == Some("LocalBlob/v1"),
        "expected a LocalBlob/v1 access, got {}",
        access.to_json()
    );
    let blob_digest = format!("sha256:{original_sha}");
    ensure!(
        access.get("localReference").and_then(Value::as_str) == Some(blob_digest.as_str()),
        "the access should reference the blob {blob_digest}"
    );
    ensure!(
        oci_digest.hash_algorithm == dir_digest.hash_algorithm
            && oci_digest.value == dir_digest.value,
        "the OCI repository's digest {}:{} differs from the directory store's {}:{}",
        oci_digest.hash_algorithm,
        oci_digest.value,
        dir_digest.hash_algorithm,
        dir_digest.value
    );
    ensure!(
        stored.name == dir_resource.name
            && stored.version == dir_resource.version
            && stored.resource_type == dir_resource.resource_type
            && stored.relation == dir_resource.relation
            && stored.labels == dir_resource.labels
            && stored.extra_identity == dir_resource.extra_identity,
        "the OCI repository changed the resource's metadata"
    );

    step(
        &mut n,
        "OCI repository: add the component version, its resource now the OCI local blob",
    );
    let mut descriptor = source.clone();
    descriptor.component.resources = Some(vec![stored.clone()]);
    oci_repo
        .add_component_version(
            cvr::AddComponentVersionRequest {
                repository: oci_spec.clone(),
                descriptor,
            },
            &creds,
        )
        .await?;
    println!("     {NAME}:{VERSION} tagged {VERSION} in {OCI_REPOSITORY}");

    step(&mut n, "OCI repository: list the versions");
    let versions = oci_repo
        .list_component_versions(
            cvr::ListComponentVersionsRequest {
                repository: Some(oci_spec.clone()),
                name: NAME.into(),
            },
            &creds,
        )
        .await?;
    println!("     {versions:?}");
    ensure!(versions == [VERSION], "unexpected versions {versions:?}");

    step(&mut n, "OCI repository: get the component version back");
    let got = oci_repo
        .get_component_version(
            cvr::GetComponentVersionRequest {
                repository: Some(oci_spec.clone()),
                name: NAME.into(),
                version: VERSION.into(),
            },
            &creds,
        )
        .await?;
    let got_resources = got.component.resources.clone().unwrap_or_default();
    println!(
        "     {}:{} provider {} with {} resource(s)",
        got.component.name,
        got.component.version,
        got.component.provider,
        got_resources.len()
    );
    ensure!(
        got.component.name == source.component.name
            && got.component.version == source.component.version
            && got.component.provider == source.component.provider,
        "name, version or provider differ from the directory store's"
    );
    let [got_resource] = got_resources.as_slice() else {
        bail!("expected one resource, got {}", got_resources.len());
    };
    ensure!(
        got_resource.digest.as_ref() == Some(&oci_digest),
        "the resource's digest {:?} differs from the stored {oci_digest:?}",
        got_resource.digest
    );
    ensure!(
        got_resource.access.as_ref().map(Raw::to_value) == Some(access.to_value()),
        "the resource's access differs from the stored one"
    );
    println!(
        "     resource {:?} digest {}:{} as stored",
        got_resource.name, oci_digest.hash_algorithm, oci_digest.value
    );

    step(
        &mut n,
        "OCI repository: get the local resource and compare with the directory store's",
    );
    let downloaded = oci_repo
        .get_local_resource(
            cvr::GetLocalResourceRequest {
                repository: Some(oci_spec.clone()),
                name: NAME.into(),
                version: VERSION.into(),
                identity: Some(got_resource.identity()),
            },
            &creds,
        )
        .await?;
    // Take ownership: the handed-over file is deleted when the blob drops.
    let bytes = read(&manager, &downloaded.location).await?;
    ensure!(
        !Path::new(&downloaded.location.value).exists(),
        "a consumed handed-over blob is deleted"
    );
    let sha = hex(&Sha256::digest(&bytes));
    ensure!(
        bytes == original,
        "the bytes from the registry differ from the directory store's"
    );
    ensure!(
        sha == original_sha,
        "SHA-256 {sha} != the directory store's {original_sha}"
    );
    println!(
        "     {} bytes identical ({}), SHA-256 {sha} matches",
        bytes.len(),
        downloaded
            .location
            .media_type
            .as_deref()
            .unwrap_or("no media type")
    );

    step(
        &mut n,
        &format!("the registry itself over plain HTTP: tags and manifest of {OCI_REPOSITORY}"),
    );
    let (tags, manifest) = tokio::task::spawn_blocking({
        let authority = authority.clone();
        move || -> Result<(Value, Value)> {
            let tags = http_get_json(
                &authority,
                &format!("/v2/{OCI_REPOSITORY}/tags/list"),
                "application/json",
            )?;
            let manifest = http_get_json(
                &authority,
                &format!("/v2/{OCI_REPOSITORY}/manifests/{VERSION}"),
                MANIFEST_MEDIA_TYPE,
            )?;
            Ok((tags, manifest))
        }
    })
    .await
    .context("the HTTP task failed")??;
    println!(
        "     GET /v2/{OCI_REPOSITORY}/tags/list -> tags {}",
        tags["tags"]
    );
    ensure!(
        tags["tags"] == json!([VERSION]),
        "the registry lists tags {}, expected [\"{VERSION}\"]",
        tags["tags"]
    );
    let layers: Vec<&str> = manifest["layers"]
        .as_array()
        .map(|l| l.iter().filter_map(|d| d["digest"].as_str()).collect())
        .unwrap_or_default();
    println!(
        "     GET /v2/{OCI_REPOSITORY}/manifests/{VERSION} -> artifactType {}, {} layers",
        manifest["artifactType"],
        layers.len()
    );
    ensure!(
        manifest["artifactType"] == ARTIFACT_TYPE,
        "the manifest's artifactType is {}, expected {ARTIFACT_TYPE}",
        manifest["artifactType"]
    );
    ensure!(
        layers.contains(&blob_digest.as_str()),
        "the manifest's layers {layers:?} lack the local blob {blob_digest}"
    );

    step(
        &mut n,
        "manager: sign the OCI component version (jsonNormalisation/v4alpha1, SHA-256), verify with the public key only",
    );
    let target = ComponentVersionRef {
        repository: oci_spec.clone(),
        component: NAME.into(),
        version: VERSION.into(),
    };
    let config = sign::rsa_config()?;
    let mut private = Credentials::new();
    private.insert("privateKeyPEM".into(), sign::PRIVATE_KEY.into());
    let signature = manager
        .sign_component_version(
            &target,
            &config,
            &SigningCredentials {
                repository: creds.clone(),
                signer: private,
            },
            &sign::options(OCI_SIGNATURE, false),
        )
        .await
        .with_context(|| format!("signing {NAME}:{VERSION} in the registry"))?;
    sign::print_signed(&signature);
    let public = sign::public_key_only(sign::PUBLIC_KEY);
    let checked = sign::Signed {
        manager: &manager,
        target: &target,
        verifier: &config,
        credentials: &public,
        name: OCI_SIGNATURE,
    };
    let verified = checked.verify().await?;
    sign::print_verified(&verified);
    ensure!(
        verified.iter().all(|v| v.digest == signature.digest),
        "verified {verified:?}, signed {signature:?}"
    );
    let tagged = sign::get(&manager, &target, &creds).await?;
    ensure!(
        sign::signatures_named(&tagged, OCI_SIGNATURE) == 1,
        "the registry's descriptor must carry the signature: {:?}",
        tagged.signatures
    );

    step(
        &mut n,
        &format!(
            "tamper in the registry (each copy re-tagged over {NAME}:{VERSION}): a signing label added and the resource digest changed are refused; a repositoryContexts entry and an unsigned label still verify"
        ),
    );
    checked
        .tamper(
            "signing label added",
            Expect::DigestMismatch,
            sign::add_signing_label,
        )
        .await?;
    checked
        .tamper(
            "resource digest changed",
            Expect::DigestMismatch,
            sign::zero_resource_digest,
        )
        .await?;
    checked
        .tamper(
            "repositoryContexts entry and unsigned label added",
            Expect::StillVerifies,
            |d| {
                d.component
                    .repository_contexts
                    .get_or_insert_with(Vec::new)
                    .push(raw(json!({"type": "OCIRegistry", "baseUrl": base_url}))?);
                sign::add_label(d, "acme.org/note", "copied", false);
                Ok(())
            },
        )
        .await?;
    let versions = oci_repo
        .list_component_versions(
            cvr::ListComponentVersionsRequest {
                repository: Some(oci_spec.clone()),
                name: NAME.into(),
            },
            &creds,
        )
        .await?;
    ensure!(
        versions == [VERSION],
        "re-tagging must leave one version, got {versions:?}"
    );

    step(&mut n, "shut down: no plugin process, no temp file left");
    shut_down_cleanly(&manager, &plugins).await?;
    println!("oci: all {n} steps passed");
    Ok(())
}

/// `GET http://<authority><path>` over a fresh connection; the body of a 200 answer as JSON.
fn http_get_json(authority: &str, path: &str, accept: &str) -> Result<Value> {
    let what = format!("GET http://{authority}{path}");
    let (status, body) = http_get(authority, path, accept).with_context(|| what.clone())?;
    ensure!(
        status == 200,
        "{what}: status {status}: {}",
        String::from_utf8_lossy(&body)
    );
    serde_json::from_slice(&body).with_context(|| format!("{what}: the body is not JSON"))
}

/// A minimal HTTP/1.1 GET (`Connection: close`): status code and body (de-chunked).
fn http_get(authority: &str, path: &str, accept: &str) -> Result<(u16, Vec<u8>)> {
    let deadline = Instant::now() + HTTP_TIMEOUT;
    let addr = authority
        .to_socket_addrs()?
        .next()
        .with_context(|| format!("{authority} resolves to no address"))?;
    let mut stream = TcpStream::connect_timeout(&addr, HTTP_TIMEOUT)?;
    stream.set_read_timeout(Some(HTTP_TIMEOUT))?;
    stream.set_write_timeout(Some(HTTP_TIMEOUT))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {authority}\r\nAccept: {accept}\r\nConnection: close\r\n\r\n"
    )?;
    stream.flush()?;
    let mut answer = Vec::new();
    let mut buf = [0_u8; 8192];
    loop {
        ensure!(
            Instant::now() < deadline,
            "no complete answer within {HTTP_TIMEOUT:?}"
        );
        let read = stream.read(&mut buf)?;
        if read == 0 {
            break;
        }
        answer.extend_from_slice(&buf[..read]);
    }
    let split = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .context("the answer has no end of headers")?;
    let head = String::from_utf8_lossy(&answer[..split]).into_owned();
    let body = &answer[split + 4..];
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status: u16 = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .with_context(|| format!("bad status line {status_line:?}"))?;
    let chunked = lines.any(|line| {
        line.split_once(':').is_some_and(|(k, v)| {
            k.trim().eq_ignore_ascii_case("transfer-encoding")
                && v.to_ascii_lowercase().contains("chunked")
        })
    });
    let body = if chunked {
        dechunk(body)?
    } else {
        body.to_vec()
    };
    Ok((status, body))
}

/// The payload of a `Transfer-Encoding: chunked` body.
fn dechunk(mut body: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let end = body
            .windows(2)
            .position(|w| w == b"\r\n")
            .context("a chunk size line has no end")?;
        let line = String::from_utf8_lossy(&body[..end]);
        let size_text = line.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_text, 16)
            .with_context(|| format!("bad chunk size {size_text:?}"))?;
        body = &body[end + 2..];
        if size == 0 {
            return Ok(out);
        }
        ensure!(body.len() >= size + 2, "a chunk is cut short");
        out.extend_from_slice(&body[..size]);
        body = &body[size + 2..];
    }
}
