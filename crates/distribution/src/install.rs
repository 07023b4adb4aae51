//! Installing plugins from component versions into a plugin directory, verified, atomically,
//! and recorded in its [lock file](crate::lockfile).

use std::{
    os::unix::fs::PermissionsExt as _,
    path::{Path, PathBuf},
    time::Duration,
};

use ocm_plugin_manager::{
    PluginManager,
    contracts::component_version_repository::v1::{
        ComponentVersionRepository, GetComponentVersionRequest, GetLocalResourceRequest,
        ListComponentVersionsRequest,
    },
    types::{CapabilityKind, Credentials, Descriptor, Identity, PluginCapabilities, Raw, Resource},
};
use serde::Serialize;
use sha2::{Digest as _, Sha256};
use tokio::io::AsyncReadExt as _;

use crate::{
    Error, Platform, Reference, Result,
    lockfile::{
        DEFAULT_LOCK_WAIT, DirLock, LockEntry, LockFile, Policy, RequireSignature, SignatureRecord,
        Source, check_file_name, hash_file, key_fingerprint, sync_dir,
    },
    reference::{describe_repository, plugin_file_name},
    select::{blob_sha256, highest_semver, select_plugin_resource},
};

/// The deadline of the `capabilities` probe of a downloaded binary.
pub const DEFAULT_PROBE_TIMEOUT: Duration = Duration::from_secs(30);

/// The signing config used to verify when none is given: OCM's RSA signing handler.
pub const DEFAULT_VERIFIER: &str = r#"{"type":"RSASigningConfiguration/v1alpha1"}"#;

/// The warning for a plugin that declares `credentialPlugin`, which breaks OCM 0.13.
pub use ocm_plugin_manager::CREDENTIAL_PLUGIN_WARNING;

/// How to verify the component version's signature before installing.
#[derive(Debug, Clone)]
pub struct VerifyWith {
    /// The public key (PEM), handed to the signing handler as `publicKeyPEMFile`.
    pub public_key: PathBuf,
    /// The signature's name.
    pub signature: String,
    /// The signing config; its type selects the signing-handler plugin.
    pub verifier: Raw,
}

/// What [`install`] does, beyond the reference.
#[derive(Debug, Clone)]
pub struct InstallOptions {
    /// The plugin directory to install into (created if missing).
    pub target: PathBuf,
    /// The platform whose binary to install.
    pub platform: Platform,
    /// Install the `ocmPlugin` resource of this name only.
    pub resource_name: Option<String>,
    /// Verify the signature first.
    pub verify: Option<VerifyWith>,
    /// Replace a different file of the same name.
    pub force: bool,
    /// Credentials for the repository plugin.
    pub repository_credentials: Credentials,
    /// Deadline of the `capabilities` probe.
    pub probe_timeout: Duration,
    /// Deadline for the plugin directory's lock.
    pub lock_wait: Duration,
}

impl InstallOptions {
    /// Defaults for installing into `target` for this host.
    pub fn new(target: impl Into<PathBuf>) -> Self {
        Self {
            target: target.into(),
            platform: Platform::host(),
            resource_name: None,
            verify: None,
            force: false,
            repository_credentials: Credentials::new(),
            probe_timeout: DEFAULT_PROBE_TIMEOUT,
            lock_wait: DEFAULT_LOCK_WAIT,
        }
    }
}

/// What happened to the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    /// It was not there.
    Installed,
    /// A different file was replaced.
    Replaced,
    /// The same bytes were there already.
    Unchanged,
}

/// The outcome of an install.
#[derive(Debug, Clone, Serialize)]
pub struct InstallReport {
    /// The installed file.
    pub path: PathBuf,
    /// What happened to it.
    pub change: Change,
    /// Its lock file entry.
    pub entry: LockEntry,
    /// What the plugin declared.
    pub capabilities: Vec<String>,
    /// Warnings (also logged), e.g. the credentialPlugin warning.
    pub warnings: Vec<String>,
}

/// The repository plugin for a spec.
pub(crate) async fn repository_for(
    manager: &PluginManager,
    spec: &Raw,
) -> Result<std::sync::Arc<dyn ComponentVersionRepository>> {
    manager
        .component_version_repositories()
        .get(spec)
        .await
        .map_err(|source| Error::RepositoryPlugin {
            repository: describe_repository(spec),
            cause: Box::new(source),
        })
}

/// The version of `reference`, or the highest semantic version the repository lists.
pub async fn resolve_version(
    manager: &PluginManager,
    reference: &Reference,
    credentials: &Credentials,
) -> Result<String> {
    if let Some(v) = &reference.version {
        return Ok(v.clone());
    }
    let repo = repository_for(manager, &reference.repository).await?;
    let versions = list_versions(repo.as_ref(), reference, credentials).await?;
    match highest_semver(versions.iter().map(String::as_str)) {
        Some(v) => {
            tracing::info!(component = %reference.component, version = v, "chose the highest version");
            Ok(v.to_owned())
        }
        None => Err(Error::NoVersion {
            component: reference.component.clone(),
            versions,
        }),
    }
}

/// The versions of a component; an unknown component has none.
pub(crate) async fn list_versions(
    repo: &dyn ComponentVersionRepository,
    reference: &Reference,
    credentials: &Credentials,
) -> Result<Vec<String>> {
    match repo
        .list_component_versions(
            ListComponentVersionsRequest {
                repository: Some(reference.repository.clone()),
                name: reference.component.clone(),
            },
            credentials,
        )
        .await
    {
        Ok(v) => Ok(v),
        Err(e) if e.kind() == ocm_plugin_manager::contracts::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(Error::repository(
            "listing the versions of",
            &reference.component,
            "",
            e,
        )),
    }
}

/// Reads a component version's descriptor.
pub(crate) async fn read_descriptor(
    repo: &dyn ComponentVersionRepository,
    spec: &Raw,
    component: &str,
    version: &str,
    credentials: &Credentials,
) -> Result<Descriptor> {
    repo.get_component_version(
        GetComponentVersionRequest {
            repository: Some(spec.clone()),
            name: component.to_owned(),
            version: version.to_owned(),
        },
        credentials,
    )
    .await
    .map_err(|e| Error::repository("reading", component, version, e))
}

/// The version a reference names (the highest semantic version when it names none), the
/// repository plugin that serves it, and that version's descriptor.
pub(crate) async fn fetch_descriptor(
    manager: &PluginManager,
    reference: &Reference,
    credentials: &Credentials,
) -> Result<(
    String,
    std::sync::Arc<dyn ComponentVersionRepository>,
    Descriptor,
)> {
    let version = resolve_version(manager, reference, credentials).await?;
    let repo = repository_for(manager, &reference.repository).await?;
    let descriptor = read_descriptor(
        repo.as_ref(),
        &reference.repository,
        &reference.component,
        &version,
        credentials,
    )
    .await?;
    Ok((version, repo, descriptor))
}

/// Installs the plugin binary of a component version for a platform into a plugin directory.
///
/// `manager` must have the component version repository plugin of the reference registered
/// (and the signing handler, to verify). Steps: resolve the version (highest semver when
/// none); read the descriptor; verify the signature when asked (on that same descriptor);
/// choose the `ocmPlugin` resource as OCM's Go CLI does; download it through the repository
/// plugin into a private temporary file in the target (name starting with `.`, mode 0700),
/// hashing on the way, and compare size and SHA-256 with the descriptor; probe `capabilities`
/// from there; then, under the directory's lock, rename it to `<target>/<last element of the
/// component name>` (0755; a different file is replaced only with `force`) and record it in the
/// lock file. Any failure removes the temporary file and leaves the lock file as it was.
pub async fn install(
    manager: &PluginManager,
    reference: &Reference,
    options: &InstallOptions,
) -> Result<InstallReport> {
    check_policy(&options.target, options.verify.as_ref())?;
    let credentials = &options.repository_credentials;
    let (version, repo, descriptor) = fetch_descriptor(manager, reference, credentials).await?;
    let signature = match &options.verify {
        Some(verify) => Some(verify_descriptor(manager, &descriptor, verify).await?),
        None => None,
    };
    let resource = select_plugin_resource(
        &descriptor,
        &options.platform,
        options.resource_name.as_deref(),
    )?;
    let file = plugin_file_name(&reference.component).to_owned();
    let wanted = Wanted {
        component: &reference.component,
        version: &version,
        resource,
        sha256: None,
        size: None,
    };
    let staged = download(
        manager,
        repo.as_ref(),
        &reference.repository,
        &wanted,
        options,
    )
    .await?;
    let (capabilities, warnings) =
        probe(&staged, &file, "a downloaded ocmPlugin resource", options).await?;
    let entry = LockEntry {
        file,
        source: Source::Repository,
        component: Some(reference.component.clone()),
        version: Some(version.clone()),
        repository: Some(reference.repository.clone()),
        resource: Some(resource.identity()),
        sha256: staged.sha256.clone(),
        size: staged.size,
        signature,
    };
    commit(
        staged,
        entry,
        options.force,
        options,
        capabilities,
        warnings,
    )
    .await
}

/// Verifies `descriptor`'s signature; the record for the lock file.
async fn verify_descriptor(
    manager: &PluginManager,
    descriptor: &Descriptor,
    verify: &VerifyWith,
) -> Result<SignatureRecord> {
    let key = std::path::absolute(&verify.public_key)
        .map_err(|e| Error::io("resolving", &verify.public_key, e))?;
    let fingerprint = key_fingerprint(&key)?;
    let mut credentials = Credentials::new();
    credentials.insert(
        "publicKeyPEMFile".to_owned(),
        key.to_string_lossy().into_owned(),
    );
    manager
        .verify_descriptor(
            descriptor,
            &verify.verifier,
            &credentials,
            Some(&verify.signature),
        )
        .await
        .map_err(|source| Error::Verification {
            component: descriptor.component.name.clone(),
            version: descriptor.component.version.clone(),
            cause: Box::new(source),
        })?;
    tracing::info!(
        component = %descriptor.component.name,
        version = %descriptor.component.version,
        signature = %verify.signature,
        key = %fingerprint,
        "signature verified"
    );
    Ok(SignatureRecord {
        name: verify.signature.clone(),
        key_fingerprint: fingerprint,
    })
}

/// Refuses an install that the plugin directory's policy does not allow: where it requires a
/// signature, `verify` must use one of its keys (and its signature name, when it names one).
fn check_policy(target: &Path, verify: Option<&VerifyWith>) -> Result<()> {
    let Some(required) = LockFile::read(target)?
        .and_then(|lock| lock.policy)
        .and_then(|policy| policy.require_signature)
    else {
        return Ok(());
    };
    let refuse = |problem: String| Error::Policy {
        dir: target.to_owned(),
        keys: required.key_fingerprints.clone(),
        problem,
    };
    let Some(verify) = verify else {
        return Err(refuse("no key was given to verify with".to_owned()));
    };
    let fingerprint = key_fingerprint(&verify.public_key)?;
    if !required.key_fingerprints.contains(&fingerprint) {
        return Err(refuse(format!(
            "{} ({fingerprint}) is not one of them",
            verify.public_key.display()
        )));
    }
    if let Some(name) = &required.signature
        && *name != verify.signature
    {
        return Err(refuse(format!(
            "it requires the signature {name:?}, not {:?}",
            verify.signature
        )));
    }
    Ok(())
}

/// Sets (or with `None` clears) the signature requirement of `target`'s policy, under the
/// directory's lock: from then on every install into it must verify with one of `keys`.
pub fn require_signature(
    target: &Path,
    keys: &[PathBuf],
    signature: Option<String>,
    wait: Duration,
) -> Result<Option<RequireSignature>> {
    std::fs::create_dir_all(target).map_err(|e| Error::io("creating", target, e))?;
    let requirement = if keys.is_empty() {
        None
    } else {
        let key_fingerprints = keys
            .iter()
            .map(|k| key_fingerprint(k))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        Some(RequireSignature {
            key_fingerprints,
            signature,
        })
    };
    let _lock = DirLock::acquire(target, wait)?;
    let mut lock = LockFile::read(target)?.unwrap_or_default();
    let mut policy = lock.policy.take().unwrap_or_default();
    policy.require_signature = requirement.clone();
    lock.policy = (policy != Policy::default()).then_some(policy);
    lock.write(target)?;
    tracing::info!(dir = %target.display(), ?requirement, "install policy set");
    Ok(requirement)
}

/// The resource to download and what its bytes must be.
struct Wanted<'a> {
    component: &'a str,
    version: &'a str,
    resource: &'a Resource,
    /// From the lock file; else the descriptor's digest.
    sha256: Option<&'a str>,
    /// From the lock file, or the resource's `size` when it has one.
    size: Option<u64>,
}

/// A checked binary in a temporary file in the target directory.
pub(crate) struct Staged {
    pub(crate) temp: tempfile::TempPath,
    pub(crate) sha256: String,
    pub(crate) size: u64,
}

/// Prefix of the temporary files installs stage binaries in, followed by the installing
/// process's pid and `-`: what a killed install leaves behind is recognised and removed by the
/// next one.
const STAGING_PREFIX: &str = ".ocm-plugin-install-";

/// Creates the private temporary file in `target` (a `.` name: no plugin manager takes it for
/// a plugin; 0700: only we can read or run it).
fn temp_in(target: &Path) -> Result<(std::fs::File, tempfile::TempPath)> {
    std::fs::create_dir_all(target).map_err(|e| Error::io("creating", target, e))?;
    let temp = tempfile::Builder::new()
        .prefix(&format!("{STAGING_PREFIX}{}-", std::process::id()))
        .permissions(std::fs::Permissions::from_mode(0o700))
        .tempfile_in(target)
        .map_err(|e| Error::io("creating a temporary file in", target, e))?;
    Ok(temp.into_parts())
}

/// Downloads a resource into a temporary file in the target, hashing it, and checks it.
async fn download(
    manager: &PluginManager,
    repo: &dyn ComponentVersionRepository,
    spec: &Raw,
    wanted: &Wanted<'_>,
    options: &InstallOptions,
) -> Result<Staged> {
    let identity = wanted.resource.identity();
    let resource_label = serde_json::to_string(&identity).unwrap_or_default();
    let expected = match wanted.sha256 {
        Some(s) => s.to_owned(),
        None => blob_sha256(wanted.resource).map_err(|found| Error::MissingDigest {
            component: wanted.component.to_owned(),
            version: wanted.version.to_owned(),
            resource: resource_label.clone(),
            found,
        })?,
    };
    let expected_size = wanted.size.or_else(|| {
        wanted
            .resource
            .extra
            .get("size")
            .and_then(serde_json::Value::as_u64)
    });
    let answer = repo
        .get_local_resource(
            GetLocalResourceRequest {
                repository: Some(spec.clone()),
                name: wanted.component.to_owned(),
                version: wanted.version.to_owned(),
                identity: Some(identity),
            },
            &options.repository_credentials,
        )
        .await
        .map_err(|e| {
            Error::repository(
                "downloading a resource of",
                wanted.component,
                wanted.version,
                e,
            )
        })?;
    let blob_err = |operation, source: ocm_plugin_manager::Error| Error::Blob {
        operation,
        component: wanted.component.to_owned(),
        version: wanted.version.to_owned(),
        cause: Box::new(source),
    };
    let mut blob = manager
        .blob(&answer.location)
        .map_err(|e| blob_err("reading the downloaded resource of", e))?;
    let mut reader = blob
        .reader()
        .await
        .map_err(|e| blob_err("reading the downloaded resource of", e.into()))?;
    let (file, temp) = temp_in(&options.target)?;
    let write_err = |e| Error::io("writing", temp.to_path_buf(), e);
    // Reading and hashing here, writing and flushing to disk on a thread of their own, so that
    // the three overlap (see `write_durably`).
    let (chunks, receiver) = tokio::sync::mpsc::channel::<Vec<u8>>(8);
    let writer = tokio::task::spawn_blocking(move || write_durably(file, receiver));
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    let copied: Result<()> = async {
        loop {
            let mut buf = vec![0u8; CHUNK];
            let n = reader
                .read(&mut buf)
                .await
                .map_err(|e| Error::io("reading", blob.path(), e))?;
            if n == 0 {
                return Ok(());
            }
            buf.truncate(n);
            hasher.update(&buf);
            size += n as u64;
            if chunks.send(buf).await.is_err() {
                // The writer stopped: its error says why.
                return Ok(());
            }
        }
    }
    .await;
    drop(chunks);
    let written = writer
        .await
        .map_err(|e| write_err(std::io::Error::other(e)))?;
    copied?;
    written.map_err(write_err)?;
    // Closed before it is ever run (an open writer makes exec fail with ETXTBSY): the writer
    // thread owned the only handle.
    drop(reader);
    drop(blob);
    let actual = hex::encode(hasher.finalize());
    if let Some(expected_size) = expected_size
        && expected_size != size
    {
        return Err(Error::SizeMismatch {
            component: format!("{}:{}", wanted.component, wanted.version),
            resource: resource_label,
            expected: expected_size,
            actual: size,
        });
    }
    if actual != expected {
        return Err(Error::DigestMismatch {
            component: format!("{}:{}", wanted.component, wanted.version),
            resource: resource_label,
            expected,
            actual,
            size,
        });
    }
    Ok(Staged {
        temp,
        sha256: actual,
        size,
    })
}

/// Size of the pieces a download is copied in.
const CHUNK: usize = 256 * 1024;
/// How much is written between two background flushes.
const FLUSH_EVERY: u64 = 16 * 1024 * 1024;

/// Writes the chunks into `file` and makes them durable. Every [`FLUSH_EVERY`] bytes a flush
/// (`fdatasync`) starts on a second handle in the background while writing goes on, so that
/// the disk works during the download instead of all at the end; the final flush then has
/// little left to do.
fn write_durably(
    mut file: std::fs::File,
    mut chunks: tokio::sync::mpsc::Receiver<Vec<u8>>,
) -> std::io::Result<()> {
    use std::io::Write as _;
    let flusher = file.try_clone()?;
    let mut flushing: Option<std::thread::JoinHandle<std::io::Result<()>>> = None;
    let mut unflushed = 0u64;
    while let Some(chunk) = chunks.blocking_recv() {
        file.write_all(&chunk)?;
        unflushed += chunk.len() as u64;
        if unflushed >= FLUSH_EVERY && flushing.as_ref().is_none_or(|f| f.is_finished()) {
            if let Some(done) = flushing.take() {
                done.join()
                    .map_err(|_| std::io::Error::other("the flush thread panicked"))??;
            }
            let handle = flusher.try_clone()?;
            flushing = Some(
                std::thread::Builder::new()
                    .name("ocm-plugin-flush".into())
                    .spawn(move || handle.sync_data())?,
            );
            unflushed = 0;
        }
    }
    if let Some(done) = flushing {
        done.join()
            .map_err(|_| std::io::Error::other("the flush thread panicked"))??;
    }
    file.sync_all()
}

/// Runs `capabilities` of a staged binary; its capability kinds and the warnings they call for.
async fn probe(
    staged: &Staged,
    file: &str,
    what: &str,
    options: &InstallOptions,
) -> Result<(Vec<String>, Vec<String>)> {
    let (capabilities, _) = probe_binary(&staged.temp, file, what, options.probe_timeout).await?;
    let warnings = warnings_for(file, &capabilities);
    Ok((kinds(&capabilities), warnings))
}

/// `probe_plugin`, with the error naming the file and what it is.
pub(crate) async fn probe_binary(
    path: &Path,
    id: &str,
    what: &str,
    timeout: Duration,
) -> Result<(PluginCapabilities, Vec<u8>)> {
    ocm_plugin_manager::probe_plugin(id, path, timeout)
        .await
        .map_err(|source| Error::NotAPlugin {
            path: path.to_owned(),
            what: what.to_owned(),
            cause: Box::new(source),
        })
}

/// `kind: type, type` per capability.
pub(crate) fn kinds(capabilities: &PluginCapabilities) -> Vec<String> {
    capabilities
        .capabilities
        .iter()
        .map(|c| {
            let types: Vec<String> = c.types.iter().map(|t| t.typ.to_string()).collect();
            format!("{}: {}", c.kind.key(), types.join(", "))
        })
        .collect()
}

/// Warnings about a plugin's declarations, logged as they are found: today, the
/// `credentialPlugin` kind that breaks OCM 0.13.
pub fn warnings_for(file: &str, capabilities: &PluginCapabilities) -> Vec<String> {
    let mut warnings = Vec::new();
    if capabilities
        .capabilities
        .iter()
        .any(|c| c.kind == CapabilityKind::CredentialPlugin)
    {
        let warning = format!("{file} {CREDENTIAL_PLUGIN_WARNING}");
        tracing::warn!("{warning}");
        warnings.push(warning);
    }
    warnings
}

/// Under the directory's lock: compares with what is installed, renames the staged file into
/// place and records it in the lock file.
async fn commit(
    staged: Staged,
    entry: LockEntry,
    force: bool,
    options: &InstallOptions,
    capabilities: Vec<String>,
    warnings: Vec<String>,
) -> Result<InstallReport> {
    let target = options.target.clone();
    let wait = options.lock_wait;
    tokio::task::spawn_blocking(move || {
        commit_blocking(staged, entry, force, &target, wait, capabilities, warnings)
    })
    .await
    .map_err(|e| Error::io("installing into", &options.target, std::io::Error::other(e)))?
}

fn commit_blocking(
    staged: Staged,
    entry: LockEntry,
    force: bool,
    target: &Path,
    wait: Duration,
    capabilities: Vec<String>,
    warnings: Vec<String>,
) -> Result<InstallReport> {
    check_file_name(&entry.file).map_err(Error::Invalid)?;
    let _lock = DirLock::acquire(target, wait)?;
    remove_leftovers(target);
    let mut lock = LockFile::read(target)?.unwrap_or_default();
    let dest = target.join(&entry.file);
    let change = match hash_file(&dest) {
        Ok((existing, _)) if existing == staged.sha256 => Change::Unchanged,
        Ok((existing, _)) if !force => {
            return Err(Error::Exists {
                path: dest,
                existing,
                new: staged.sha256,
            });
        }
        Ok(_) => Change::Replaced,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Change::Installed,
        Err(e) => return Err(Error::io("reading", dest, e)),
    };
    lock.upsert(entry.clone());
    let prepared = lock.prepare(target)?;
    if change != Change::Unchanged {
        std::fs::set_permissions(&staged.temp, std::fs::Permissions::from_mode(0o755))
            .map_err(|e| Error::io("making executable", staged.temp.to_path_buf(), e))?;
        staged
            .temp
            .persist(&dest)
            .map_err(|e| Error::io("renaming into place", &dest, e.error))?;
    }
    prepared.commit()?;
    sync_dir(target)?;
    tracing::info!(file = %dest.display(), ?change, sha256 = %entry.sha256, "plugin installed");
    Ok(InstallReport {
        path: dest,
        change,
        entry,
        capabilities,
        warnings,
    })
}

/// Removes what killed installs left in `target` (under its lock): staged binaries of processes
/// that are gone, and temporary lock files (only ever written under the lock, so any found now
/// is stale). Best effort: a leftover that cannot be removed is logged, never an error.
fn remove_leftovers(target: &Path) {
    let Ok(entries) = std::fs::read_dir(target) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let stale = if let Some(rest) = name.strip_prefix(STAGING_PREFIX) {
            rest.split('-')
                .next()
                .and_then(|pid| pid.parse::<u32>().ok())
                .is_some_and(|pid| !Path::new(&format!("/proc/{pid}")).exists())
        } else {
            name.starts_with(".ocm-plugins.lock-")
        };
        if stale {
            let path = entry.path();
            match std::fs::remove_file(&path) {
                Ok(()) => {
                    tracing::info!(path = %path.display(), "removed what an interrupted install left behind");
                }
                Err(e) => {
                    tracing::warn!(path = %path.display(), "cannot remove a leftover of an interrupted install: {e}")
                }
            }
        }
    }
}

/// The outcome of one entry of a locked install.
#[derive(Debug, Clone, Serialize)]
pub struct LockedOutcome {
    /// The file name.
    pub file: String,
    /// What happened to it.
    pub change: Change,
    /// Warnings.
    pub warnings: Vec<String>,
}

/// Installs exactly what the lock file of `options.target` lists, like `cargo install
/// --locked`: a file whose SHA-256 is the recorded one is left alone; any other (changed or
/// missing) is downloaded again from the recorded repository, component version and resource
/// identity, checked against the recorded SHA-256 and size, probed and put back. A local build
/// cannot be fetched: a changed or missing one is an error. A missing lock file is an error.
pub async fn install_locked(
    manager: &PluginManager,
    options: &InstallOptions,
) -> Result<Vec<LockedOutcome>> {
    let lock = LockFile::read(&options.target)?.ok_or_else(|| {
        Error::Invalid(format!(
            "{} has no lock file ({}): nothing to install; give a reference",
            options.target.display(),
            crate::lockfile::LOCK_FILE
        ))
    })?;
    let mut outcomes = Vec::new();
    for entry in &lock.plugins {
        let path = options.target.join(&entry.file);
        let hashing = path.clone();
        let hashed = tokio::task::spawn_blocking(move || hash_file(&hashing))
            .await
            .map_err(|e| Error::io("hashing", &path, std::io::Error::other(e)))?;
        let current = match hashed {
            Ok((sha, _)) => Some(sha),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(Error::io("reading", path, e)),
        };
        if current.as_deref() == Some(entry.sha256.as_str()) {
            outcomes.push(LockedOutcome {
                file: entry.file.clone(),
                change: Change::Unchanged,
                warnings: Vec::new(),
            });
            continue;
        }
        let (Source::Repository, Some(component), Some(version), Some(spec), Some(identity)) = (
            entry.source,
            &entry.component,
            &entry.version,
            &entry.repository,
            &entry.resource,
        ) else {
            return Err(Error::LocalBuildChanged {
                path,
                expected: entry.sha256.clone(),
                found: current.map_or_else(|| "missing".to_owned(), |s| format!("sha256:{s}")),
            });
        };
        let repo = repository_for(manager, spec).await?;
        let descriptor = read_descriptor(
            repo.as_ref(),
            spec,
            component,
            version,
            &options.repository_credentials,
        )
        .await?;
        let resource = find_by_identity(&descriptor, identity)?;
        let wanted = Wanted {
            component,
            version,
            resource,
            sha256: Some(&entry.sha256),
            size: Some(entry.size),
        };
        let staged = download(manager, repo.as_ref(), spec, &wanted, options).await?;
        let (capabilities, warnings) = probe(
            &staged,
            &entry.file,
            "a downloaded ocmPlugin resource",
            options,
        )
        .await?;
        let report = commit(staged, entry.clone(), true, options, capabilities, warnings).await?;
        outcomes.push(LockedOutcome {
            file: entry.file.clone(),
            change: report.change,
            warnings: report.warnings,
        });
    }
    Ok(outcomes)
}

/// The resource whose identity is exactly `identity`.
fn find_by_identity<'d>(descriptor: &'d Descriptor, identity: &Identity) -> Result<&'d Resource> {
    descriptor
        .component
        .resources
        .iter()
        .flatten()
        .find(|r| &r.identity() == identity)
        .ok_or_else(|| Error::NoMatchingResource {
            component: descriptor.component.name.clone(),
            version: descriptor.component.version.clone(),
            wanted: serde_json::to_string(identity).unwrap_or_default(),
            available: descriptor
                .component
                .resources
                .iter()
                .flatten()
                .map(|r| serde_json::to_string(&r.identity()).unwrap_or_default())
                .collect(),
        })
}

/// What [`uninstall`] removed.
#[derive(Debug, Clone, Serialize)]
pub struct UninstallReport {
    /// The file, if it was there.
    pub removed_file: Option<PathBuf>,
    /// Whether the lock file had an entry.
    pub removed_entry: bool,
}

/// Removes a plugin file and its lock file entry, under the directory's lock.
pub fn uninstall(target: &Path, name: &str, wait: Duration) -> Result<UninstallReport> {
    check_file_name(name).map_err(Error::Invalid)?;
    let _lock = DirLock::acquire(target, wait)?;
    let mut lock = LockFile::read(target)?;
    let removed_entry = lock.as_mut().is_some_and(|l| l.remove(name));
    let path = target.join(name);
    let exists = path.symlink_metadata().is_ok();
    if !exists && !removed_entry {
        return Err(Error::NotInstalled {
            name: name.to_owned(),
            dir: target.to_owned(),
        });
    }
    let prepared = match (&lock, removed_entry) {
        (Some(lock), true) => Some(lock.prepare(target)?),
        _ => None,
    };
    if exists {
        std::fs::remove_file(&path).map_err(|e| Error::io("removing", &path, e))?;
    }
    if let Some(prepared) = prepared {
        prepared.commit()?;
    }
    sync_dir(target)?;
    Ok(UninstallReport {
        removed_file: exists.then_some(path),
        removed_entry,
    })
}

/// Adds a local build to the lock file (`source: local`). A file outside `options.target` is
/// copied in (probed, atomically, under its file name; a different file there is replaced only
/// with `force`); a file inside it is recorded as it is, after a probe.
pub async fn trust(path: &Path, options: &InstallOptions) -> Result<InstallReport> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| Error::Invalid(format!("{} has no file name", path.display())))?
        .to_owned();
    check_file_name(&name).map_err(Error::Invalid)?;
    let source = std::fs::canonicalize(path).map_err(|e| Error::io("reading", path, e))?;
    std::fs::create_dir_all(&options.target)
        .map_err(|e| Error::io("creating", &options.target, e))?;
    let target = std::fs::canonicalize(&options.target)
        .map_err(|e| Error::io("reading", &options.target, e))?;
    let (file, temp) = temp_in(&target)?;
    drop(file);
    let copied = {
        let (from, to) = (source.clone(), temp.to_path_buf());
        tokio::task::spawn_blocking(move || -> std::io::Result<(String, u64)> {
            std::fs::copy(&from, &to)?;
            std::fs::File::open(&to)?.sync_all()?;
            hash_file(&to)
        })
        .await
        .map_err(|e| Error::io("copying", &source, std::io::Error::other(e)))?
        .map_err(|e| Error::io("copying", &source, e))?
    };
    std::fs::set_permissions(&temp, std::fs::Permissions::from_mode(0o700))
        .map_err(|e| Error::io("restricting", temp.to_path_buf(), e))?;
    let staged = Staged {
        temp,
        sha256: copied.0,
        size: copied.1,
    };
    let (capabilities, warnings) = probe(&staged, &name, "a local build", options).await?;
    let entry = LockEntry {
        file: name,
        source: Source::Local,
        component: None,
        version: None,
        repository: None,
        resource: None,
        sha256: staged.sha256.clone(),
        size: staged.size,
        signature: None,
    };
    // Inside the target it is the file itself (or a link to it): the same bytes, nothing to
    // replace.
    let inside = std::path::absolute(path)
        .ok()
        .and_then(|p| p.parent().and_then(|d| std::fs::canonicalize(d).ok()))
        .is_some_and(|d| d == target);
    let force = options.force || inside;
    let options = InstallOptions {
        target,
        ..options.clone()
    };
    commit(staged, entry, force, &options, capabilities, warnings).await
}
