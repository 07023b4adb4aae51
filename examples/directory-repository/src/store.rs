//! Synchronous file system operations on one repository root. Callers run them on the blocking
//! thread pool.

use std::{
    fmt::Display,
    fs::{self, File},
    io::{self, Read, Write},
    path::{Path, PathBuf},
};

use ocm_plugin_contracts::{Error, Result};
use ocm_plugin_sdk::blob::BlobFile;
use ocm_plugin_types::{
    Component, Descriptor, Digest, Identity, Location, LocationType, Raw, Resource, Source,
};
use serde::{Serialize, de::DeserializeOwned};
use sha2::{Digest as _, Sha256};

use crate::{layout, version};

/// Media type of a stored blob when the request did not name one.
pub(crate) const DEFAULT_MEDIA_TYPE: &str = "application/octet-stream";

/// A resource or a source: what the local blob operations store.
pub(crate) trait Artifact: Serialize + DeserializeOwned + Send + 'static {
    /// `resource` or `source`, for messages.
    const KIND: &'static str;
    /// The directory of a version that holds this kind.
    const DIR: &'static str;

    fn identity(&self) -> Identity;
    fn name(&self) -> &str;
    /// Points the artifact at its stored blob (and fills in what the blob determines).
    fn set_blob(&mut self, hex: &str, media_type: &str) -> Result<()>;
    /// The list in a descriptor that holds this kind.
    fn list_in(component: &mut Component) -> &mut Option<Vec<Self>>;
}

fn local_blob_access(hex: &str, media_type: &str) -> Result<Raw> {
    Raw::new(serde_json::json!({
        "type": "localBlob/v1",
        "localReference": format!("sha256:{hex}"),
        "mediaType": media_type,
    }))
    .map_err(|e| Error::internal_with("building the localBlob access", e))
}

impl Artifact for Resource {
    const KIND: &'static str = "resource";
    const DIR: &'static str = layout::RESOURCES_DIR;

    fn identity(&self) -> Identity {
        Self::identity(self)
    }

    fn name(&self) -> &str {
        &self.name
    }

    fn set_blob(&mut self, hex: &str, media_type: &str) -> Result<()> {
        match &self.digest {
            None => {
                self.digest = Some(Digest::generic_blob_sha256(hex));
            }
            Some(d)
                if d.hash_algorithm == "SHA-256"
                    && d.normalisation_algorithm == "genericBlobDigest/v1"
                    && !d.value.eq_ignore_ascii_case(hex) =>
            {
                tracing::warn!(
                    resource = %self.name,
                    declared = %d.value,
                    actual = %hex,
                    "the declared resource digest does not match the blob; keeping the declared one"
                );
            }
            Some(_) => {}
        }
        self.access = Some(local_blob_access(hex, media_type)?);
        Ok(())
    }

    fn list_in(component: &mut Component) -> &mut Option<Vec<Self>> {
        &mut component.resources
    }
}

impl Artifact for Source {
    const KIND: &'static str = "source";
    const DIR: &'static str = layout::SOURCES_DIR;

    fn identity(&self) -> Identity {
        Self::identity(self)
    }

    fn name(&self) -> &str {
        &self.name
    }

    fn set_blob(&mut self, hex: &str, media_type: &str) -> Result<()> {
        self.access = Some(local_blob_access(hex, media_type)?);
        Ok(())
    }

    fn list_in(component: &mut Component) -> &mut Option<Vec<Self>> {
        &mut component.sources
    }
}

/// Maps an I/O error: `NotFound` stays a not-found, everything else is internal. The path is
/// always in the message.
pub(crate) fn io_error(action: impl Display, path: &Path, e: io::Error) -> Error {
    if e.kind() == io::ErrorKind::NotFound {
        Error::NotFound(format!("{action} {}: {e}", path.display()))
    } else {
        Error::internal_with(format!("{action} {}", path.display()), e)
    }
}

fn check_name(name: &str, version: &str) -> Result<()> {
    if name.is_empty() {
        return Err(Error::InvalidArgument(
            "the component name must not be empty".into(),
        ));
    }
    if version.is_empty() {
        return Err(Error::InvalidArgument(format!(
            "the version of component {name} must not be empty"
        )));
    }
    Ok(())
}

/// A held lock on a version directory; released on drop.
#[derive(Debug)]
struct VersionLock {
    _file: Option<File>,
}

/// Takes the exclusive write lock of a version directory, creating the lock file.
fn lock_exclusive(vdir: &Path) -> Result<VersionLock> {
    let path = vdir.join(layout::LOCK_FILE);
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| io_error("opening lock file", &path, e))?;
    file.lock().map_err(|e| io_error("locking", &path, e))?;
    Ok(VersionLock { _file: Some(file) })
}

/// Takes the shared read lock of a version directory, if it has a lock file (readers never
/// create files).
fn lock_shared(vdir: &Path) -> Result<VersionLock> {
    let path = vdir.join(layout::LOCK_FILE);
    match File::open(&path) {
        Ok(file) => {
            file.lock_shared()
                .map_err(|e| io_error("locking", &path, e))?;
            Ok(VersionLock { _file: Some(file) })
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(VersionLock { _file: None }),
        Err(e) => Err(io_error("opening lock file", &path, e)),
    }
}

fn create_dir_all(dir: &Path) -> Result<()> {
    fs::create_dir_all(dir).map_err(|e| io_error("creating directory", dir, e))
}

/// Permission bits of a file the store writes (Unix only; elsewhere the platform default
/// applies and this is ignored).
///
/// A stored file must never be more accessible than what it was made from: a blob copied from a
/// `0640` file must not become world-readable in the repository, and rewriting a descriptor an
/// operator narrowed to `0600` must not widen it again. The mode is given to the temporary file
/// when it is created, so the content is never visible with wider bits, even before the rename;
/// the process umask may narrow it further.
///
/// Bytes from a named pipe have no source mode to go by (the pipe's bits say who may write
/// into it, not how secret the bytes are), so their blob is owner-only ([`Self::STREAM`]): the
/// narrowest choice is the safe one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(not(unix), allow(dead_code))]
struct FileMode(u32);

impl FileMode {
    /// The repository's default for new files, and the most it ever grants: readable by all,
    /// writable by the owner only. No file the store writes is executable, group- or
    /// world-writable, whatever it was copied from.
    const DEFAULT: Self = Self(0o644);

    /// For bytes without a source file (a named pipe): owner-only.
    const STREAM: Self = Self(0o600);

    /// At most the bits of the file the content is copied from (and at most [`Self::DEFAULT`]).
    fn of_source(meta: &fs::Metadata) -> Self {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            Self(meta.permissions().mode() & Self::DEFAULT.0)
        }
        #[cfg(not(unix))]
        {
            let _ = meta;
            Self::DEFAULT
        }
    }

    /// For replacing `path`: at most its current bits, or [`Self::DEFAULT`] when it does not
    /// exist yet (or cannot be inspected; the rename will report a real problem).
    fn replacing(path: &Path) -> Self {
        fs::metadata(path)
            .map(|meta| Self::of_source(&meta))
            .unwrap_or(Self::DEFAULT)
    }
}

/// A temporary file next to its destination, created with `mode`; it disappears on drop unless
/// persisted.
fn temp_file_in(dir: &Path, mode: FileMode) -> Result<tempfile::NamedTempFile> {
    let mut builder = tempfile::Builder::new();
    builder.prefix(".tmp-");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        builder.permissions(fs::Permissions::from_mode(mode.0));
    }
    #[cfg(not(unix))]
    let _ = mode;
    builder
        .tempfile_in(dir)
        .map_err(|e| io_error("creating a temporary file in", dir, e))
}

/// Flushes a directory entry change to disk. Best effort: not every file system supports it.
fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Err(e) = File::open(dir).and_then(|d| d.sync_all()) {
        tracing::debug!(dir = %dir.display(), error = %e, "could not sync directory");
    }
    #[cfg(not(unix))]
    let _ = dir;
}

/// Syncs a finished temporary file and renames it onto `path`.
fn persist(tmp: tempfile::NamedTempFile, path: &Path) -> Result<()> {
    tmp.as_file()
        .sync_all()
        .map_err(|e| io_error("syncing a temporary file for", path, e))?;
    tmp.persist(path)
        .map_err(|e| io_error("renaming a temporary file to", path, e.error))?;
    if let Some(dir) = path.parent() {
        sync_dir(dir);
    }
    Ok(())
}

/// Writes a file atomically: a temporary file in the same directory, fsync, rename.
fn write_atomic(path: &Path, bytes: &[u8], mode: FileMode) -> Result<()> {
    let dir = path
        .parent()
        .ok_or_else(|| Error::internal(format!("{} has no parent directory", path.display())))?;
    let mut tmp = temp_file_in(dir, mode)?;
    tmp.write_all(bytes)
        .map_err(|e| io_error("writing a temporary file for", path, e))?;
    persist(tmp, path)
}

fn write_json(path: &Path, value: &impl Serialize, mode: FileMode) -> Result<()> {
    let mut bytes = serde_json::to_vec_pretty(value)
        .map_err(|e| Error::internal_with(format!("encoding {}", path.display()), e))?;
    bytes.push(b'\n');
    write_atomic(path, &bytes, mode)
}

fn read_json<T: DeserializeOwned>(path: &Path) -> io::Result<Result<T>> {
    let bytes = fs::read(path)?;
    Ok(serde_json::from_slice(&bytes)
        .map_err(|e| Error::internal_with(format!("decoding {}", path.display()), e)))
}

/// Copies `src` into `dst`, returning the lower-case hex SHA-256 of the bytes.
pub(crate) fn copy_hashing(src: &mut impl Read, dst: &mut impl Write) -> io::Result<String> {
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; COPY_BUFFER];
    loop {
        let n = match src.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        let chunk = buf.get(..n).unwrap_or_default();
        hasher.update(chunk);
        dst.write_all(chunk)?;
    }
    dst.flush()?;
    Ok(layout::hex(&hasher.finalize()))
}

/// Bytes read and hashed at a time: large enough that system calls and hashing calls are a
/// small share of copying a big blob.
const COPY_BUFFER: usize = 1024 * 1024;

/// Bytes the kernel copies between two progress reports to the hashing thread.
const KERNEL_CHUNK: usize = 8 * 1024 * 1024;

/// Bytes copied between two write-backs of the stored file during a copy.
const SYNC_EVERY: u64 = 64 * 1024 * 1024;

/// How the kernel moves bytes into the stored file without them passing through this process.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Kernel {
    /// File to file (`copy_file_range`: an in-kernel copy, or a reflink where the file system
    /// shares extents).
    CopyFileRange,
    /// Pipe to file (`splice`).
    Splice,
}

/// Copies `src` into `dst` in the kernel while a second thread reads back and hashes what has
/// arrived in `dst`: the digest is of exactly the stored bytes (`dst` is private), the copy
/// costs no user-space copy, and on two cores copying and hashing overlap, so a large blob
/// takes about as long as hashing it. `Ok(None)`: the kernel cannot copy between these two
/// before anything was copied (the caller copies through user space instead).
pub(crate) fn copy_in_kernel_hashing(
    src: &File,
    dst: &File,
    how: Kernel,
) -> io::Result<Option<String>> {
    use std::os::unix::fs::FileExt as _;
    use std::sync::mpsc;

    std::thread::scope(|scope| {
        let (progress, arrived) = mpsc::channel::<u64>();
        let hasher = scope.spawn(move || -> io::Result<String> {
            let mut hasher = Sha256::new();
            let mut buf = vec![0u8; COPY_BUFFER];
            let mut hashed = 0u64;
            for end in arrived {
                while hashed < end {
                    let want = usize::try_from(end - hashed)
                        .unwrap_or(usize::MAX)
                        .min(buf.len());
                    let chunk = buf.get_mut(..want).unwrap_or_default();
                    let n = dst.read_at(chunk, hashed)?;
                    if n == 0 {
                        return Err(io::Error::new(
                            io::ErrorKind::UnexpectedEof,
                            "the stored copy is shorter than what was copied",
                        ));
                    }
                    hasher.update(chunk.get(..n).unwrap_or_default());
                    hashed += n as u64;
                }
            }
            Ok(layout::hex(&hasher.finalize()))
        });

        let mut copied = 0u64;
        let mut synced = 0u64;
        let copy_result = loop {
            let step = match how {
                Kernel::CopyFileRange => {
                    rustix::fs::copy_file_range(src, None, dst, None, KERNEL_CHUNK)
                }
                Kernel::Splice => rustix::pipe::splice(
                    src,
                    None,
                    dst,
                    None,
                    KERNEL_CHUNK,
                    rustix::pipe::SpliceFlags::MOVE,
                ),
            };
            match step {
                Ok(0) => break Ok(true),
                Ok(n) => {
                    copied += n as u64;
                    if progress.send(copied).is_err() {
                        // The hasher stopped on an error, which it returns below.
                        break Ok(true);
                    }
                    // Write back while the hasher catches up, so the final fsync before the
                    // rename has little left to do.
                    if copied - synced >= SYNC_EVERY {
                        if let Err(e) = dst.sync_data() {
                            break Err(e);
                        }
                        synced = copied;
                    }
                }
                Err(rustix::io::Errno::INTR) => {}
                Err(
                    rustix::io::Errno::XDEV
                    | rustix::io::Errno::NOSYS
                    | rustix::io::Errno::INVAL
                    | rustix::io::Errno::OPNOTSUPP,
                ) if copied == 0 => break Ok(false),
                Err(e) => break Err(io::Error::from(e)),
            }
        };
        drop(progress);
        let hashed = hasher
            .join()
            .map_err(|_| io::Error::other("the hashing thread panicked"))?;
        match copy_result {
            Ok(true) => hashed.map(Some),
            Ok(false) => Ok(None),
            Err(e) => Err(e),
        }
    })
}

fn is_fifo(meta: &fs::Metadata) -> bool {
    use std::os::unix::fs::FileTypeExt as _;
    meta.file_type().is_fifo()
}

/// One repository root.
#[derive(Debug, Clone)]
pub(crate) struct Store {
    root: PathBuf,
}

impl Store {
    pub(crate) fn new(root: PathBuf) -> Self {
        Self { root }
    }

    fn not_found(&self, name: &str, version: &str) -> Error {
        Error::NotFound(format!(
            "component version {name}:{version} not found in {}",
            self.root.display()
        ))
    }

    pub(crate) fn get_descriptor(&self, name: &str, version: &str) -> Result<Descriptor> {
        check_name(name, version)?;
        let path = layout::version_dir(&self.root, name, version).join(layout::DESCRIPTOR_FILE);
        match read_json(&path) {
            Ok(d) => d,
            Err(e) if e.kind() == io::ErrorKind::NotFound => Err(self.not_found(name, version)),
            Err(e) => Err(io_error("reading", &path, e)),
        }
    }

    pub(crate) fn put_descriptor(&self, descriptor: &Descriptor) -> Result<()> {
        let (name, version) = (&descriptor.component.name, &descriptor.component.version);
        check_name(name, version)?;
        let vdir = layout::version_dir(&self.root, name, version);
        create_dir_all(&vdir)?;
        let _lock = lock_exclusive(&vdir)?;
        let path = vdir.join(layout::DESCRIPTOR_FILE);
        let existed = path.is_file();
        // A replaced descriptor keeps (at most) its current bits; a new one gets the default.
        write_json(&path, descriptor, FileMode::replacing(&path))?;
        tracing::info!(
            component = %name,
            version = %version,
            path = %path.display(),
            replaced = existed,
            "stored component version"
        );
        Ok(())
    }

    pub(crate) fn list_versions(&self, name: &str) -> Result<Vec<String>> {
        if name.is_empty() {
            return Err(Error::InvalidArgument(
                "the component name must not be empty".into(),
            ));
        }
        let dir = layout::component_dir(&self.root, name);
        let entries = match fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io_error("listing", &dir, e)),
        };
        let mut versions = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| io_error("listing", &dir, e))?;
            let file_name = entry.file_name();
            let Some(segment) = file_name.to_str() else {
                continue;
            };
            if segment.starts_with('.') {
                continue;
            }
            let Some(version) = layout::unescape_segment(segment) else {
                tracing::debug!(entry = %entry.path().display(), "skipping a foreign directory entry");
                continue;
            };
            // A version directory without a descriptor only holds blobs added ahead of it.
            if entry.path().join(layout::DESCRIPTOR_FILE).is_file() {
                versions.push(version);
            }
        }
        versions.sort_by(|a, b| version::compare(a, b));
        Ok(versions)
    }

    /// The names of the components that have at least one stored version, sorted.
    pub(crate) fn list_components(&self) -> Result<Vec<String>> {
        let dir = self.root.join(layout::COMPONENTS_DIR);
        let entries = match fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io_error("listing", &dir, e)),
        };
        let mut names = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| io_error("listing", &dir, e))?;
            let file_name = entry.file_name();
            let Some(name) = file_name
                .to_str()
                .filter(|s| !s.starts_with('.'))
                .and_then(layout::unescape_segment)
            else {
                continue;
            };
            if !self.list_versions(&name)?.is_empty() {
                names.push(name);
            }
        }
        names.sort();
        Ok(names)
    }

    /// Stores a local blob and its artifact, and updates the descriptor if it exists.
    pub(crate) fn add_local<A: Artifact>(
        &self,
        name: &str,
        version: &str,
        location: &Location,
        mut artifact: A,
    ) -> Result<A> {
        check_name(name, version)?;
        if artifact.name().is_empty() {
            return Err(Error::InvalidArgument(format!(
                "the {} name must not be empty",
                A::KIND
            )));
        }
        let is_pipe = match &location.location_type {
            LocationType::LocalFile => false,
            LocationType::UnixNamedPipe => true,
            other => {
                return Err(Error::InvalidArgument(format!(
                    "unsupported location type {other} for the {} blob: only localFile and unixNamedPipe are supported",
                    A::KIND
                )));
            }
        };
        let src = Path::new(&location.value);
        if !src.is_absolute() {
            return Err(Error::InvalidArgument(format!(
                "the {} blob location {:?} is not an absolute path",
                A::KIND,
                location.value
            )));
        }
        let meta = fs::metadata(src).map_err(|e| io_error("reading blob", src, e))?;
        let (expected, matches) = if is_pipe {
            ("named pipe", is_fifo(&meta))
        } else {
            ("regular file", meta.is_file())
        };
        if !matches {
            return Err(Error::InvalidArgument(format!(
                "the {} blob location {} is not a {expected}",
                A::KIND,
                src.display()
            )));
        }

        let vdir = layout::version_dir(&self.root, name, version);
        let kind_dir = vdir.join(A::DIR);
        create_dir_all(&kind_dir)?;

        // Copy outside the lock: the temporary file is private until it is renamed. The mode
        // comes from the opened file, so it belongs to the bytes we actually copy.
        let mut input = if is_pipe {
            ocm_plugin_sdk::blob::open_named_pipe(src, ocm_plugin_sdk::blob::NAMED_PIPE_WRITER_WAIT)
        } else {
            File::open(src)
        }
        .map_err(|e| io_error("opening blob", src, e))?;
        let mode = if is_pipe {
            FileMode::STREAM
        } else {
            input
                .metadata()
                .map(|meta| FileMode::of_source(&meta))
                .map_err(|e| io_error("reading blob", src, e))?
        };
        let mut tmp = temp_file_in(&kind_dir, mode)?;
        let from = if is_pipe {
            Kernel::Splice
        } else {
            Kernel::CopyFileRange
        };
        let hex = match copy_in_kernel_hashing(&input, tmp.as_file(), from) {
            Ok(Some(hex)) => Ok(hex),
            // The kernel cannot copy between these two (another file system type, an old
            // kernel): the same bytes through this process.
            Ok(None) => copy_hashing(&mut input, &mut tmp),
            Err(e) => Err(e),
        }
        .map_err(|e| io_error("copying blob from", src, e))?;

        let media_type = location.media_type.as_deref().unwrap_or(DEFAULT_MEDIA_TYPE);
        artifact.set_blob(&hex, media_type)?;
        let identity = artifact.identity();
        let stem = layout::identity_digest(&identity);

        let _lock = lock_exclusive(&vdir)?;
        // Blob first, then its metadata: a reader that finds the JSON finds the blob.
        persist(
            tmp,
            &kind_dir.join(format!("{stem}.{}", layout::BLOB_EXTENSION)),
        )?;
        // The metadata names the blob's digest, so it is no more readable than the blob.
        write_json(
            &kind_dir.join(format!("{stem}.{}", layout::METADATA_EXTENSION)),
            &artifact,
            mode,
        )?;

        let descriptor_path = vdir.join(layout::DESCRIPTOR_FILE);
        let in_descriptor = match read_json::<Descriptor>(&descriptor_path) {
            Ok(descriptor) => {
                let mut descriptor = descriptor?;
                let value = serde_json::to_value(&artifact)
                    .and_then(serde_json::from_value::<A>)
                    .map_err(|e| Error::internal_with(format!("copying the {}", A::KIND), e))?;
                let list = A::list_in(&mut descriptor.component).get_or_insert_with(Vec::new);
                match list.iter_mut().find(|a| a.identity() == identity) {
                    Some(slot) => *slot = value,
                    None => list.push(value),
                }
                write_json(
                    &descriptor_path,
                    &descriptor,
                    FileMode::replacing(&descriptor_path),
                )?;
                true
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => false,
            Err(e) => return Err(io_error("reading", &descriptor_path, e)),
        };
        tracing::info!(
            component = %name,
            version = %version,
            kind = A::KIND,
            artifact = %artifact.name(),
            digest = %format!("sha256:{hex}"),
            descriptor_updated = in_descriptor,
            "stored local blob"
        );
        Ok(artifact)
    }

    /// Finds a stored artifact and copies its blob to a new file in the temp directory, which
    /// the caller owns.
    pub(crate) fn get_local<A: Artifact>(
        &self,
        name: &str,
        version: &str,
        identity: Option<&Identity>,
    ) -> Result<(Location, A)> {
        check_name(name, version)?;
        let vdir = layout::version_dir(&self.root, name, version);
        if !vdir.is_dir() {
            return Err(self.not_found(name, version));
        }
        let _lock = lock_shared(&vdir)?;
        let kind_dir = vdir.join(A::DIR);
        let identity = identity.filter(|id| !id.is_empty());

        let (stem, artifact) = match identity {
            Some(identity) => {
                let stem = layout::identity_digest(identity);
                let path = kind_dir.join(format!("{stem}.{}", layout::METADATA_EXTENSION));
                let artifact: A = match read_json(&path) {
                    Ok(a) => a?,
                    Err(e) if e.kind() == io::ErrorKind::NotFound => {
                        return Err(self.artifact_not_found::<A>(name, version, Some(identity)));
                    }
                    Err(e) => return Err(io_error("reading", &path, e)),
                };
                if artifact.identity() != *identity {
                    return Err(self.artifact_not_found::<A>(name, version, Some(identity)));
                }
                (stem, artifact)
            }
            None => {
                let stems = self.stems(&kind_dir)?;
                let [stem] = stems.as_slice() else {
                    if stems.is_empty() {
                        return Err(self.artifact_not_found::<A>(name, version, None));
                    }
                    return Err(Error::InvalidArgument(format!(
                        "component version {name}:{version} has {} {}s; an identity is required to pick one",
                        stems.len(),
                        A::KIND
                    )));
                };
                let path = kind_dir.join(format!("{stem}.{}", layout::METADATA_EXTENSION));
                let artifact: A = read_json(&path).map_err(|e| io_error("reading", &path, e))??;
                (stem.clone(), artifact)
            }
        };

        let blob = kind_dir.join(format!("{stem}.{}", layout::BLOB_EXTENSION));
        let mut input = File::open(&blob).map_err(|e| io_error("opening blob", &blob, e))?;
        // Removed on drop unless finished, so an error leaves nothing behind.
        let mut out = BlobFile::create()?;
        // A copy between two files: the kernel copies file to file (`copy_file_range`) without
        // the bytes passing through this process.
        io::copy(&mut input, out.as_file_mut()).map_err(|e| io_error("copying blob", &blob, e))?;
        Ok((out.finish(None)?, artifact))
    }

    /// The identity digests of the stored artifacts in a kind directory.
    fn stems(&self, kind_dir: &Path) -> Result<Vec<String>> {
        let entries = match fs::read_dir(kind_dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io_error("listing", kind_dir, e)),
        };
        let mut stems = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| io_error("listing", kind_dir, e))?;
            let file_name = entry.file_name();
            let Some(file_name) = file_name.to_str() else {
                continue;
            };
            if file_name.starts_with('.') {
                continue;
            }
            if let Some(stem) = file_name
                .strip_suffix(layout::METADATA_EXTENSION)
                .and_then(|s| s.strip_suffix('.'))
            {
                stems.push(stem.to_owned());
            }
        }
        stems.sort();
        Ok(stems)
    }

    fn artifact_not_found<A: Artifact>(
        &self,
        name: &str,
        version: &str,
        identity: Option<&Identity>,
    ) -> Error {
        match identity {
            Some(identity) => Error::NotFound(format!(
                "{} with identity {} not found in component version {name}:{version} in {}",
                A::KIND,
                serde_json::to_string(identity).unwrap_or_default(),
                self.root.display()
            )),
            None => Error::NotFound(format!(
                "component version {name}:{version} in {} has no {}s",
                self.root.display(),
                A::KIND
            )),
        }
    }

    /// The root exists, is a directory, and a file can be created in it.
    pub(crate) fn check_health(&self) -> Result<()> {
        let meta =
            fs::metadata(&self.root).map_err(|e| io_error("repository root", &self.root, e))?;
        if !meta.is_dir() {
            return Err(Error::InvalidArgument(format!(
                "repository root {} is not a directory",
                self.root.display()
            )));
        }
        let probe = temp_file_in(&self.root, FileMode::DEFAULT).map_err(|e| {
            Error::internal_with(
                format!("repository root {} is not writable", self.root.display()),
                e,
            )
        })?;
        probe
            .close()
            .map_err(|e| io_error("removing the write probe in", &self.root, e))
    }
}
