//! The streaming work: compressing or decompressing one file into a new blob file
//! ([`BlobFile`]).

use std::{
    fmt::Display,
    fs::{self, File},
    io::{self, BufReader, Read, Seek, SeekFrom, Write},
    path::Path,
};

use flate2::{Compression, read::MultiGzDecoder, write::GzEncoder};
use ocm_plugin_sdk::{
    blob::BlobFile,
    contracts::{Error, Result},
    types::Location,
};

use crate::spec::Mode;

/// Size of the copy buffer (and of the decoder's read buffer).
pub(crate) const BUFFER_SIZE: usize = 64 * 1024;

/// The two bytes every gzip member starts with (RFC 1952).
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Compresses (at `level`) or decompresses `input` into a new file in [`std::env::temp_dir`]
/// and returns its `localFile` location with `media_type`. `input` is only read. On failure no
/// output file is left. Blocking: runs on the blocking pool.
///
/// Decompression handles concatenated gzip members, as `gzip -d` does. Input that does not
/// start like gzip data fails with `InvalidArgument` `input is not gzip data`; gzip data that is
/// truncated or corrupt fails with `InvalidArgument` too.
pub(crate) fn transform(
    input: &Path,
    mode: Mode,
    level: u32,
    media_type: Option<&str>,
) -> Result<Location> {
    transform_into(input, mode, level, media_type, &std::env::temp_dir())
}

/// [`transform`] with the output in `temp_dir`.
pub(crate) fn transform_into(
    input: &Path,
    mode: Mode,
    level: u32,
    media_type: Option<&str>,
    temp_dir: &Path,
) -> Result<Location> {
    let meta = fs::metadata(input).map_err(|e| io_error("reading", input, e))?;
    if !meta.is_file() {
        return Err(Error::InvalidArgument(format!(
            "the input {} is not a regular file",
            input.display()
        )));
    }
    let mut file = File::open(input).map_err(|e| io_error("opening", input, e))?;

    // Removed on drop unless finished, so an error leaves nothing behind.
    let mut out = BlobFile::create_in(temp_dir)?;
    let out_path = out.path().to_path_buf();
    let write_error = |e: io::Error| io_error("writing", &out_path, e);

    match mode {
        Mode::Compress => {
            let mut encoder = GzEncoder::new(&mut out, Compression::new(level));
            copy(&mut file, &mut encoder).map_err(|e| match e {
                CopyError::Read(e) => io_error("reading", input, e),
                CopyError::Write(e) => write_error(e),
            })?;
            encoder.finish().map_err(write_error)?;
        }
        Mode::Decompress => {
            if !starts_with_gzip_magic(&mut file).map_err(|e| io_error("reading", input, e))? {
                return Err(Error::InvalidArgument("input is not gzip data".to_owned()));
            }
            file.seek(SeekFrom::Start(0))
                .map_err(|e| io_error("reading", input, e))?;
            let mut decoder = MultiGzDecoder::new(BufReader::with_capacity(BUFFER_SIZE, file));
            copy(&mut decoder, &mut out).map_err(|e| match e {
                CopyError::Read(e) if is_decode_error(&e) => {
                    Error::InvalidArgument(format!("input is corrupt gzip data: {e}"))
                }
                CopyError::Read(e) => io_error("reading", input, e),
                CopyError::Write(e) => write_error(e),
            })?;
        }
    }

    out.finish(media_type)
}

/// Whether the file's first two bytes are the gzip magic. Shorter files are not gzip data.
fn starts_with_gzip_magic(file: &mut File) -> io::Result<bool> {
    let mut head = [0u8; 2];
    let mut filled = 0;
    while filled < head.len() {
        let Some(rest) = head.get_mut(filled..) else {
            break;
        };
        match file.read(rest) {
            Ok(0) => return Ok(false),
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(head == GZIP_MAGIC)
}

/// The error kinds flate2's decoders report for malformed or truncated data.
fn is_decode_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::InvalidData | io::ErrorKind::InvalidInput | io::ErrorKind::UnexpectedEof
    )
}

/// Which side of a copy failed.
enum CopyError {
    Read(io::Error),
    Write(io::Error),
}

/// Copies everything from `src` to `dst` through a [`BUFFER_SIZE`] buffer. `dst` is not
/// flushed.
fn copy(src: &mut impl Read, dst: &mut impl Write) -> Result<(), CopyError> {
    let mut buf = vec![0u8; BUFFER_SIZE];
    loop {
        let n = match src.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(CopyError::Read(e)),
        };
        dst.write_all(buf.get(..n).unwrap_or_default())
            .map_err(CopyError::Write)?;
    }
    // No flush: on an encoder it would add a sync-flush block; `finish` ends the stream, and a
    // `File` has nothing to flush.
    Ok(())
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
