//! Host-side blobs: the bytes behind a [`Location`].
//!
//! Plugins never put blob bytes into HTTP bodies; they exchange [`Location`]s (spec §5.0). A
//! [`Blob`] is the host's handle on one: a regular file (`localFile`) or a FIFO
//! (`unixNamedPipe`). Both are read lazily and streamed; a FIFO is read straight from the pipe
//! (opened non-blocking through tokio's pipe receiver) and never copied to a temporary file.
//! `remoteURL` and unknown kinds are refused with `unsupported location type: <type>`.
//!
//! # Ownership
//!
//! The Go implementation has no ownership rule, so temporary files leak on both sides (W12).
//! Here the rule is:
//!
//! * **Response locations are handed over to the receiver.** A blob made with
//!   [`Blob::from_location`] whose path lies inside `owned_within` (the manager's private temp
//!   dir, which every plugin it starts gets as `TMPDIR`) belongs to the host: the file or FIFO
//!   is **deleted when the [`Blob`] is dropped**. A path outside that directory (or any path
//!   when `owned_within` is `None`) is never deleted: it belongs to whoever created it. Paths
//!   with `.` or `..` components, and relative paths, are never considered owned.
//! * **Request locations stay with the requester.** A [`RequestFile`] is what the host puts
//!   into a request (`resourceLocation`, a blob transformer's input): it is valid for as long
//!   as the value lives and is deleted on drop if it was created for the request. A plugin must
//!   read it before it answers and must not delete it.
//! * Whatever is left over in the manager's temp dir is removed at shutdown.
//!
//! # Example
//!
//! ```
//! use ocm_plugin_registries::Blob;
//! use ocm_plugin_types::Location;
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build()?.block_on(async {
//! let dir = tempfile::tempdir()?;
//! let path = dir.path().join("answer");
//! std::fs::write(&path, "42")?;
//! let location = Location::local_file(path.to_string_lossy());
//!
//! // Handed over by a plugin that wrote into our temp dir: ours, deleted on drop.
//! let mut blob = Blob::from_location(&location, Some(dir.path()))?;
//! assert_eq!(blob.read_to_vec().await?, b"42");
//! drop(blob);
//! assert!(!path.exists());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # })?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::{
    io,
    os::unix::fs::FileTypeExt,
    path::{Component, Path, PathBuf},
    pin::Pin,
    task::{Context, Poll},
};

use ocm_plugin_types::{Location, LocationType};
use tokio::{
    io::{AsyncRead, AsyncReadExt, AsyncWriteExt, ReadBuf},
    net::unix::pipe,
};

use crate::{Error, Result};

/// The bytes behind a [`Location`]: a regular file or a FIFO, read lazily. See the
/// [module documentation](self) for who deletes what.
#[derive(Debug)]
pub struct Blob {
    path: PathBuf,
    kind: Kind,
    media_type: Option<String>,
    owned: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    File,
    /// A FIFO can be read once.
    Pipe {
        consumed: bool,
    },
}

impl Blob {
    /// The blob a `localFile` or `unixNamedPipe` location names. The path must exist (else the
    /// error contains `path does not exist`); nothing is opened yet. The kind of reader follows
    /// the file itself: a FIFO is streamed from the pipe, anything else read as a file.
    ///
    /// If the path lies inside `owned_within`, the blob owns it and deletes it on drop.
    pub fn from_location(location: &Location, owned_within: Option<&Path>) -> Result<Self> {
        match &location.location_type {
            LocationType::LocalFile | LocationType::UnixNamedPipe => {}
            other => return Err(Error::UnsupportedLocationType(other.to_string())),
        }
        let path = PathBuf::from(&location.value);
        let kind = inspect(&path)?;
        let owned = owned_within.is_some_and(|dir| is_inside(&path, dir));
        Ok(Self {
            path,
            kind,
            media_type: location.media_type.clone(),
            owned,
        })
    }

    /// A blob for a file or FIFO the caller keeps: never deleted.
    pub fn from_path(path: impl Into<PathBuf>) -> Result<Self> {
        let path = path.into();
        let kind = inspect(&path)?;
        Ok(Self {
            path,
            kind,
            media_type: None,
            owned: false,
        })
    }

    /// Where the bytes are.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The media type the location declared (v0.0.4+), if any.
    pub fn media_type(&self) -> Option<&str> {
        self.media_type.as_deref()
    }

    /// `true` if the blob deletes its file when dropped.
    pub fn is_owned(&self) -> bool {
        self.owned
    }

    /// `true` for a FIFO, which can be read only once.
    pub fn is_pipe(&self) -> bool {
        matches!(self.kind, Kind::Pipe { .. })
    }

    /// A streaming reader. A file can be read any number of times; a FIFO once (a second call
    /// is an error). Reading a FIFO waits for its writer and ends when the writer closes it.
    pub async fn reader(&mut self) -> Result<BlobReader> {
        match self.kind {
            Kind::File => {
                let file = tokio::fs::File::open(&self.path)
                    .await
                    .map_err(|source| self.io("opening", source))?;
                Ok(BlobReader(Reader::File(file)))
            }
            Kind::Pipe { consumed: true } => Err(self.io(
                "opening",
                io::Error::other("the named pipe has already been read"),
            )),
            Kind::Pipe { consumed: false } => {
                // Non-blocking open: it succeeds without a writer, and the receiver waits for
                // one (Linux reports no hang-up on a FIFO until its first writer has come).
                let receiver = pipe::OpenOptions::new()
                    .open_receiver(&self.path)
                    .map_err(|source| self.io("opening the named pipe", source))?;
                self.kind = Kind::Pipe { consumed: true };
                Ok(BlobReader(Reader::Pipe(receiver)))
            }
        }
    }

    /// All the bytes, in memory. For large blobs prefer [`reader`](Self::reader) or
    /// [`copy_to`](Self::copy_to).
    pub async fn read_to_vec(&mut self) -> Result<Vec<u8>> {
        let mut reader = self.reader().await?;
        let mut bytes = Vec::new();
        reader
            .read_to_end(&mut bytes)
            .await
            .map_err(|source| self.io("reading", source))?;
        Ok(bytes)
    }

    /// Writes the bytes to `dest` (created or truncated) and returns how many there were. A
    /// FIFO is streamed into `dest`; nothing else is written.
    pub async fn copy_to(&mut self, dest: impl AsRef<Path>) -> Result<u64> {
        let dest = dest.as_ref();
        let to_dest = |source| Error::BlobIo {
            path: dest.to_owned(),
            context: "writing",
            source,
        };
        if self.kind == Kind::File {
            // Bytes only: a new `dest` gets default permissions, not those of the source (a
            // plugin's temp file is 0600). std's File-to-File copy uses copy_file_range.
            let (src, dst) = (self.path.clone(), dest.to_owned());
            let copied = tokio::task::spawn_blocking(move || {
                let mut from = std::fs::File::open(&src).map_err(|e| (true, e))?;
                let mut to = std::fs::File::create(&dst).map_err(|e| (false, e))?;
                std::io::copy(&mut from, &mut to).map_err(|e| (false, e))
            })
            .await
            .map_err(|e| to_dest(io::Error::other(e)))?;
            return copied.map_err(|(reading, source)| {
                if reading {
                    self.io("opening", source)
                } else {
                    to_dest(source)
                }
            });
        }
        let mut reader = self.reader().await?;
        let mut out = tokio::fs::File::create(dest).await.map_err(to_dest)?;
        let n = tokio::io::copy(&mut reader, &mut out)
            .await
            .map_err(to_dest)?;
        out.flush().await.map_err(to_dest)?;
        Ok(n)
    }

    /// The blob as a request file for a plugin. A regular file is passed by its own path (no
    /// copy; the returned value keeps the blob, so an owned file lives until the request file
    /// is dropped). A FIFO is streamed into a new file `blob*` in `dir`, deleted on drop, since
    /// a plugin may need to read its input more than once.
    pub async fn into_request_file(mut self, dir: &Path) -> Result<RequestFile> {
        if self.kind == Kind::File {
            let location = local_file_location(&self.path)?;
            return Ok(RequestFile {
                location,
                _blob: Some(self),
                _temp: None,
            });
        }
        let mut reader = self.reader().await?;
        RequestFile::from_reader(dir, &mut reader).await
    }

    fn io(&self, context: &'static str, source: io::Error) -> Error {
        Error::BlobIo {
            path: self.path.clone(),
            context,
            source,
        }
    }
}

impl Drop for Blob {
    fn drop(&mut self) {
        if self.owned
            && let Err(e) = std::fs::remove_file(&self.path)
            && e.kind() != io::ErrorKind::NotFound
        {
            tracing::warn!(path = %self.path.display(), "cannot delete blob: {e}");
        }
    }
}

/// The kind of reader a path needs; fails if it does not exist.
fn inspect(path: &Path) -> Result<Kind> {
    let metadata = std::fs::metadata(path).map_err(|source| {
        if source.kind() == io::ErrorKind::NotFound {
            Error::PathDoesNotExist(path.to_owned())
        } else {
            Error::BlobIo {
                path: path.to_owned(),
                context: "inspecting",
                source,
            }
        }
    })?;
    let file_type = metadata.file_type();
    if file_type.is_fifo() {
        Ok(Kind::Pipe { consumed: false })
    } else if file_type.is_dir() {
        Err(Error::BlobIo {
            path: path.to_owned(),
            context: "inspecting",
            source: io::Error::new(io::ErrorKind::InvalidInput, "a directory is not a blob"),
        })
    } else {
        Ok(Kind::File)
    }
}

/// `path` is strictly below `dir`, absolute, and free of `.`/`..` (which could climb out).
fn is_inside(path: &Path, dir: &Path) -> bool {
    path.is_absolute()
        && path != dir
        && path.starts_with(dir)
        && path
            .components()
            .all(|c| matches!(c, Component::RootDir | Component::Normal(_)))
}

fn local_file_location(path: &Path) -> Result<Location> {
    let value = path.to_str().ok_or_else(|| Error::BlobIo {
        path: path.to_owned(),
        context: "naming",
        source: io::Error::new(io::ErrorKind::InvalidData, "the path is not valid UTF-8"),
    })?;
    Ok(Location::local_file(value))
}

/// A streaming reader of a [`Blob`].
#[derive(Debug)]
pub struct BlobReader(Reader);

#[derive(Debug)]
enum Reader {
    File(tokio::fs::File),
    Pipe(pipe::Receiver),
}

impl AsyncRead for BlobReader {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match &mut self.get_mut().0 {
            Reader::File(f) => Pin::new(f).poll_read(cx, buf),
            Reader::Pipe(p) => Pin::new(p).poll_read(cx, buf),
        }
    }
}

/// A `localFile` the host puts into a request. Valid while the value lives; a file created for
/// the request is deleted on drop, a caller's file never is. See the
/// [module documentation](self).
#[derive(Debug)]
pub struct RequestFile {
    location: Location,
    /// An existing file: kept (and, if owned, deleted) by its blob.
    _blob: Option<Blob>,
    /// A file written for the request, deleted on drop.
    _temp: Option<tempfile::TempPath>,
}

impl RequestFile {
    /// Writes `bytes` into a new file `blob*` in `dir`.
    pub async fn from_bytes(dir: &Path, bytes: &[u8]) -> Result<Self> {
        Self::from_reader(dir, &mut &bytes[..]).await
    }

    /// Streams `reader` into a new file `blob*` in `dir`.
    pub async fn from_reader(
        dir: &Path,
        reader: &mut (impl AsyncRead + Unpin + ?Sized),
    ) -> Result<Self> {
        let in_dir = |context, source| Error::BlobIo {
            path: dir.to_owned(),
            context,
            source,
        };
        let (file, temp) = tempfile::Builder::new()
            .prefix("blob")
            .tempfile_in(dir)
            .map_err(|e| in_dir("creating a request file in", e))?
            .into_parts();
        let location = local_file_location(&temp)?;
        let write_err = |source| Error::BlobIo {
            path: temp.to_path_buf(),
            context: "writing",
            source,
        };
        let mut file = tokio::fs::File::from_std(file);
        tokio::io::copy(reader, &mut file)
            .await
            .map_err(write_err)?;
        file.flush().await.map_err(write_err)?;
        Ok(Self {
            location,
            _blob: None,
            _temp: Some(temp),
        })
    }

    /// The `localFile` location to send.
    pub fn location(&self) -> &Location {
        &self.location
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        Path::new(&self.location.value)
    }
}

#[cfg(test)]
mod tests;
