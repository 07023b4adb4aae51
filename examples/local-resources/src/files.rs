//! Synchronous file operations. Callers run them on the blocking thread pool.

use std::{
    fs::{self, File},
    io::{self, Read, Write},
    path::Path,
};

use ocm_plugin_sdk::{
    blob::BlobFile,
    contracts::{Error, Result},
    types::Location,
};
use sha2::{Digest as _, Sha256};

/// Prefix of the temporary files next to a destination while it is written.
pub(crate) const PARTIAL_PREFIX: &str = ".tmp-ocm-local-resource-";

fn io_error(what: &str, path: &Path, e: io::Error) -> Error {
    Error::internal_with(format!("{what} {}", path.display()), e)
}

/// Opens a regular file for reading. A missing file becomes `missing(path)`; a directory or
/// another non-regular file is [`Error::InvalidArgument`].
pub(crate) fn open_regular(path: &Path, missing: impl FnOnce(&Path) -> Error) -> Result<File> {
    let file = File::open(path).map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => missing(path),
        _ => io_error("failed to open", path, e),
    })?;
    let metadata = file
        .metadata()
        .map_err(|e| io_error("failed to inspect", path, e))?;
    if !metadata.is_file() {
        return Err(Error::InvalidArgument(format!(
            "{} is not a regular file",
            path.display()
        )));
    }
    Ok(file)
}

/// Copies `src` to `dst`, returning the lower-case hex SHA-256 of the bytes.
fn copy_hashing(src: &mut impl Read, dst: &mut impl Write) -> io::Result<String> {
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
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
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// Copies an open file into a **new** blob file in `temp_dir` (file to file, so the kernel
/// copies) and returns its `localFile` location with `media_type`. The new file is the
/// caller's: nothing here deletes it once this returns; on error it is removed.
pub(crate) fn copy_to_new_blob(
    input: &mut File,
    source: &Path,
    temp_dir: &Path,
    media_type: Option<&str>,
) -> Result<Location> {
    let mut out = BlobFile::create_in(temp_dir)?;
    io::copy(input, out.as_file_mut()).map_err(|e| io_error("failed to copy", source, e))?;
    out.finish(media_type)
}

/// Writes the bytes of an open file to `dst` atomically and returns their hex SHA-256.
///
/// Missing parent directories are created. The bytes go into a temporary file in `dst`'s
/// directory, which is fsynced and renamed over `dst`, so readers see the old or the new
/// content, never a mix. An existing file at `dst` is replaced; an existing directory is
/// [`Error::InvalidArgument`].
pub(crate) fn write_atomically(input: &mut File, source: &Path, dst: &Path) -> Result<String> {
    if dst.is_dir() {
        return Err(Error::InvalidArgument(format!(
            "{} is a directory; the access path must name a file",
            dst.display()
        )));
    }
    let dir = dst.parent().ok_or_else(|| {
        Error::InvalidArgument(format!("{} has no parent directory", dst.display()))
    })?;
    fs::create_dir_all(dir).map_err(|e| io_error("failed to create directory", dir, e))?;
    let mut builder = tempfile::Builder::new();
    builder.prefix(PARTIAL_PREFIX);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        builder.permissions(fs::Permissions::from_mode(0o644));
    }
    // Dropping `tmp` on an error path removes it.
    let mut tmp = builder
        .tempfile_in(dir)
        .map_err(|e| io_error("failed to create a temporary file in", dir, e))?;
    let hex = copy_hashing(input, &mut tmp).map_err(|e| io_error("failed to copy", source, e))?;
    tmp.as_file()
        .sync_all()
        .map_err(|e| io_error("failed to sync a temporary file for", dst, e))?;
    tmp.persist(dst)
        .map_err(|e| io_error("failed to rename a temporary file to", dst, e.error))?;
    sync_dir(dir);
    Ok(hex)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_hashing_matches_sha256() {
        let mut out = Vec::new();
        let hex = copy_hashing(&mut &b"abc"[..], &mut out).unwrap();
        assert_eq!(out, b"abc");
        assert_eq!(
            hex,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn failed_writes_leave_no_partial_files() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("sub");
        fs::create_dir(&target).unwrap();
        let src = dir.path().join("src");
        fs::write(&src, b"x").unwrap();
        let mut input = File::open(&src).unwrap();
        let err = write_atomically(&mut input, &src, &target).unwrap_err();
        assert!(matches!(err, Error::InvalidArgument(_)), "{err}");
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
    }
}
