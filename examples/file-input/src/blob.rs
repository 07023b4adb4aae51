//! Producing the blob: copying (or gzip-compressing) the input file into a new blob file
//! ([`BlobFile`]) while hashing what is written.

use std::{
    fmt::{Display, Write as _},
    fs::{self, File},
    io::{self, Read, Write},
    path::Path,
};

use flate2::{Compression, write::GzEncoder};
use ocm_plugin_contracts::{Error, Result};
use ocm_plugin_sdk::blob::BlobFile;
use ocm_plugin_types::Location;
use sha2::{Digest as _, Sha256};

use crate::spec::FileSpec;

/// Size of the copy buffer.
const BUFFER_SIZE: usize = 64 * 1024;

/// A blob written to a new temporary file, now owned by whoever receives its location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Blob {
    /// The `localFile` location of the new file, with the blob's media type.
    pub(crate) location: Location,
    /// Lower-case hex SHA-256 of the file's bytes.
    pub(crate) sha256: String,
}

/// Reads `spec.path` and writes it, gzip-compressed if `spec.compress`, to a new file in
/// [`std::env::temp_dir`]. The input file is only read. On failure no output file is left.
/// Blocking: runs on the blocking pool.
pub(crate) fn produce(spec: &FileSpec) -> Result<Blob> {
    produce_in(spec, &std::env::temp_dir())
}

/// [`produce`] with the output in `temp_dir`.
pub(crate) fn produce_in(spec: &FileSpec, temp_dir: &Path) -> Result<Blob> {
    let source = &spec.path;
    let meta = fs::metadata(source).map_err(|e| io_error("reading input file", source, e))?;
    if !meta.is_file() {
        return Err(Error::InvalidArgument(format!(
            "the input path {} is not a regular file",
            source.display()
        )));
    }
    let mut input = File::open(source).map_err(|e| io_error("opening input file", source, e))?;

    // Removed on drop unless finished, so an error leaves nothing behind.
    let mut out = BlobFile::create_in(temp_dir)?;
    let out_path = out.path().to_owned();
    let copied = if spec.compress {
        let mut encoder = GzEncoder::new(HashingWriter::new(&mut out), Compression::default());
        copy(&mut input, &mut encoder)
            .and_then(|()| encoder.finish())
            .map(HashingWriter::finish_hex)
    } else {
        let mut writer = HashingWriter::new(&mut out);
        copy(&mut input, &mut writer).map(|()| writer.finish_hex())
    };
    let sha256 = copied.map_err(|e| {
        Error::internal_with(
            format!("copying {} to {}", source.display(), out_path.display()),
            e,
        )
    })?;
    let location = out.finish(Some(&spec.blob_media_type()))?;
    Ok(Blob { location, sha256 })
}

/// Copies everything from `src` to `dst` through a [`BUFFER_SIZE`] buffer. `dst` is not
/// flushed.
fn copy(src: &mut impl Read, dst: &mut impl Write) -> io::Result<()> {
    let mut buf = vec![0u8; BUFFER_SIZE];
    loop {
        let n = match src.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        dst.write_all(buf.get(..n).unwrap_or_default())?;
    }
    // No flush: on an encoder it would add a sync-flush block; `finish` ends the stream, and a
    // `File` has nothing to flush.
    Ok(())
}

/// A writer that hashes every byte it passes on.
struct HashingWriter<W> {
    inner: W,
    hasher: Sha256,
}

impl<W: Write> HashingWriter<W> {
    fn new(inner: W) -> Self {
        Self {
            inner,
            hasher: Sha256::new(),
        }
    }

    fn finish_hex(self) -> String {
        hex(&self.hasher.finalize())
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(buf.get(..n).unwrap_or_default());
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Lower-case hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            // Writing to a String cannot fail.
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// Maps an I/O error: `NotFound` stays a not-found, everything else is internal. The path is
/// always in the message.
fn io_error(action: impl Display, path: &Path, e: io::Error) -> Error {
    if e.kind() == io::ErrorKind::NotFound {
        Error::NotFound(format!("{action} {}: {e}", path.display()))
    } else {
        Error::internal_with(format!("{action} {}", path.display()), e)
    }
}
