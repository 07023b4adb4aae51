//! Streaming SHA-256 of a file.

use std::{
    fmt::Write as _,
    fs::{self, File},
    io::{self, Read},
    path::Path,
};

use ocm_plugin_sdk::contracts::{Error, Result};
use sha2::{Digest as _, Sha256};

/// Size of the read buffer: the file is hashed in chunks of this size, never read whole.
pub(crate) const BUFFER_SIZE: usize = 64 * 1024;

/// The lower-case hex SHA-256 of the file at `path`, read in [`BUFFER_SIZE`] chunks.
///
/// A missing file is [`Error::NotFound`], a path that is not a regular file
/// [`Error::InvalidArgument`], other I/O failures internal errors naming the path.
pub(crate) fn sha256_file(path: &Path) -> Result<String> {
    let meta = fs::metadata(path).map_err(|e| io_error("reading", path, e))?;
    if !meta.is_file() {
        return Err(Error::InvalidArgument(format!(
            "the access path {} is not a regular file",
            path.display()
        )));
    }
    let mut file = File::open(path).map_err(|e| io_error("opening", path, e))?;
    sha256_reader(&mut file).map_err(|e| io_error("reading", path, e))
}

/// The lower-case hex SHA-256 of everything `reader` yields.
pub(crate) fn sha256_reader(reader: &mut impl Read) -> io::Result<String> {
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; BUFFER_SIZE];
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        hasher.update(buf.get(..n).unwrap_or_default());
    }
    Ok(hex(&hasher.finalize()))
}

/// Lower-case hex.
fn hex(bytes: &[u8]) -> String {
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
fn io_error(action: &str, path: &Path, e: io::Error) -> Error {
    if e.kind() == io::ErrorKind::NotFound {
        Error::NotFound(format!("{action} {}: {e}", path.display()))
    } else {
        Error::internal_with(format!("{action} {}", path.display()), e)
    }
}
