//! Blobs in and out of a plugin: OCM hands blobs over by [`Location`], never in HTTP bodies.
//!
//! **Handing a blob back** (an input method's, a transformer's or a download's result): the
//! manager gives every plugin a private temporary directory as `TMPDIR` and deletes a returned
//! file that lies inside it once it has read it. So a blob the plugin hands back is a new,
//! uniquely named `0600` file in [`std::env::temp_dir`], complete and closed before its location
//! leaves the plugin:
//!
//! * [`from_bytes`] for bytes in memory, [`from_reader`] for a [`std::io::Read`] (both do the
//!   file work on the blocking pool, see [`spawn_blocking`](crate::spawn_blocking));
//! * [`BlobFile`] for code that writes incrementally (an encoder, a hash-while-writing copy):
//!   create it, [`Write`] to it, [`BlobFile::finish`] it; dropped unfinished, it is removed;
//! * [`from_stream`] for an async stream: a named pipe (`unixNamedPipe`) whose location returns
//!   at once while a task copies the stream into it. **OCM's Go managers do not read
//!   `unixNamedPipe` locations** (they answer `unsupported location type: unixNamedPipe`), so a
//!   plugin that must work under them uses the file helpers.
//!
//! **Reading a blob that arrives** as a location: [`open`] (`localFile` or `unixNamedPipe`), or
//! [`open_named_pipe`] for a FIFO path.
//!
//! On any error the helpers leave nothing behind, and their errors name the path.

use std::{
    fs::File,
    io::{self, Read, Write},
    path::{Path, PathBuf},
    time::Duration,
};

use ocm_plugin_contracts::{Error, Result};
use ocm_plugin_types::{Location, LocationType};

#[cfg(test)]
mod tests;

/// How long a plugin should let a named pipe wait for its writer before failing the request.
pub const NAMED_PIPE_WRITER_WAIT: Duration = Duration::from_secs(60);

/// How long a named pipe made by [`from_stream`] waits for a reader to open it. A manager opens
/// a returned pipe as soon as it reads the answer; one that has not opened it by then never
/// will (it failed, or it was a Go manager), and the pipe is removed so that it does not hold a
/// thread and a directory entry forever.
pub const NAMED_PIPE_READER_WAIT: Duration = Duration::from_secs(60);

/// The name prefix of the files and pipes made here, so that they can be told apart in `TMPDIR`.
const NAME_PREFIX: &str = "ocm-blob-";

/// Size of the copy buffer of [`from_reader`].
const BUFFER_SIZE: usize = 64 * 1024;

/// The pipe buffer asked for on a named pipe opened here (the default limit for users): fewer
/// hand-overs between writer and reader for a large blob.
const PIPE_BUFFER: usize = 1024 * 1024;

/// Opens a named pipe for reading without waiting for a writer forever: opened non-blocking,
/// then polled until data or a writer's close arrives, at most `wait`, then made blocking for
/// the copy. A writer that never comes is an [`io::ErrorKind::TimedOut`] error.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use std::{io::{Read as _, Write as _}, time::Duration};
///
/// let dir = tempfile::tempdir()?;
/// let fifo = dir.path().join("blob.pipe");
/// let made = std::process::Command::new("mkfifo").arg(&fifo).status()?;
/// if !made.success() {
///     return Ok(()); // no mkfifo here; nothing to show
/// }
/// let writer = std::thread::spawn({
///     let fifo = fifo.clone();
///     move || -> std::io::Result<()> { std::fs::File::create(fifo)?.write_all(b"streamed") }
/// });
/// let mut pipe = ocm_plugin_sdk::blob::open_named_pipe(&fifo, Duration::from_secs(10))?;
/// let mut bytes = Vec::new();
/// pipe.read_to_end(&mut bytes)?;
/// assert_eq!(bytes, b"streamed");
/// writer.join().map_err(|_| "the writer panicked")??;
/// # Ok(())
/// # }
/// ```
pub fn open_named_pipe(path: &Path, wait: Duration) -> io::Result<File> {
    use rustix::event::{PollFd, PollFlags, Timespec, poll};
    use rustix::fs::{OFlags, fcntl_setfl};
    use std::os::unix::fs::OpenOptionsExt as _;

    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(OFlags::NONBLOCK.bits() as i32)
        .open(path)?;
    let deadline = std::time::Instant::now() + wait;
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        if left.is_zero() {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("no writer opened the named pipe within {wait:?}"),
            ));
        }
        let timeout = Timespec {
            tv_sec: left.as_secs().try_into().unwrap_or(i64::MAX),
            tv_nsec: left.subsec_nanos().into(),
        };
        // With no writer yet, a FIFO's reader polls as neither readable nor hung up.
        let mut fds = [PollFd::new(&file, PollFlags::IN)];
        match poll(&mut fds, Some(&timeout)) {
            Ok(0) => continue,
            Ok(_) => break,
            Err(rustix::io::Errno::INTR) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    fcntl_setfl(&file, OFlags::empty())?;
    // Where the system refuses a larger buffer, the default works too.
    let _ = rustix::pipe::fcntl_setpipe_size(&file, PIPE_BUFFER);
    Ok(file)
}

/// A blob being written incrementally: a new, uniquely named `0600` file that becomes a
/// `localFile` location only when [`finish`](Self::finish)ed.
///
/// Why: a blob handed back must be complete before the manager reads it, and a failed request
/// must not leave half a file in the manager's directory. A `BlobFile` dropped without `finish`
/// (an error, a `?`, a panic) removes its file. Writing is blocking file I/O: do it inside
/// [`spawn_blocking`](crate::spawn_blocking).
///
/// ```
/// # async fn demo() -> ocm_plugin_sdk::contracts::Result<()> {
/// use std::io::Write as _;
/// use ocm_plugin_sdk::blob::BlobFile;
///
/// let location = ocm_plugin_sdk::spawn_blocking(|| {
///     let mut blob = BlobFile::create()?;
///     blob.write_all(b"part one, ")?;
///     blob.write_all(b"part two")?;
///     blob.finish(Some("text/plain"))
/// })
/// .await?;
/// assert_eq!(std::fs::read(&location.value)?, b"part one, part two");
/// # std::fs::remove_file(&location.value)?;
/// # Ok(()) }
/// # tokio::runtime::Builder::new_current_thread().build().map_err(|e| e.to_string())?
/// #     .block_on(demo()).map_err(|e| e.to_string())?;
/// # Ok::<(), String>(())
/// ```
#[derive(Debug)]
pub struct BlobFile {
    file: tempfile::NamedTempFile,
}

impl BlobFile {
    /// A new blob file in [`std::env::temp_dir`] (the manager's directory for this plugin: it
    /// sets `TMPDIR`, read at every call).
    pub fn create() -> Result<Self> {
        Self::create_in(&std::env::temp_dir())
    }

    /// A new blob file in `dir`, for tests and for plugins that keep their blobs elsewhere. A
    /// manager deletes a returned file only inside its own directory, see [`create`](Self::create).
    pub fn create_in(dir: &Path) -> Result<Self> {
        use std::os::unix::fs::PermissionsExt as _;

        let file = tempfile::Builder::new()
            .prefix(NAME_PREFIX)
            .permissions(std::fs::Permissions::from_mode(0o600))
            .tempfile_in(dir)
            .map_err(|e| {
                Error::internal_with(format!("creating a blob file in {}", dir.display()), e)
            })?;
        Ok(Self { file })
    }

    /// Where the bytes go; the path of the location [`finish`](Self::finish) returns.
    pub fn path(&self) -> &Path {
        self.file.path()
    }

    /// The open file, for copies that should stay in the kernel: [`std::io::copy`] from a
    /// [`File`] to a `File` uses `copy_file_range`/`sendfile`, so the bytes never pass through
    /// the plugin, which it cannot do through the [`Write`] of `BlobFile`.
    pub fn as_file_mut(&mut self) -> &mut File {
        self.file.as_file_mut()
    }

    /// Flushes and closes the file and hands it over as a `localFile` location with an
    /// absolute path and `media_type`. From now on the file belongs to whoever receives the
    /// location. On error the file is removed.
    pub fn finish(self, media_type: Option<&str>) -> Result<Location> {
        let Self { mut file } = self;
        file.flush()
            .map_err(|e| Error::internal_with(format!("writing {}", file.path().display()), e))?;
        // Closes the file; the path is still removed on drop until kept.
        let path = file.into_temp_path();
        let value = location_value(&path)?;
        path.keep()
            .map_err(|e| Error::internal_with(format!("keeping the blob file {value}"), e.error))?;
        Ok(Location {
            media_type: media_type.map(str::to_owned),
            ..Location::local_file(value)
        })
    }
}

impl Write for BlobFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file.write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.file.write_all(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

/// Hands `bytes` back as a blob: a new `0600` file in [`std::env::temp_dir`], written and
/// closed on the blocking pool, as a `localFile` location with `media_type`.
///
/// Why: the manager reads blobs from files in the directory it gave the plugin and deletes
/// them once read; this builds the file and the location, and leaves nothing on error.
///
/// ```
/// # async fn demo() -> ocm_plugin_sdk::contracts::Result<()> {
/// let location = ocm_plugin_sdk::blob::from_bytes(b"hello".to_vec(), Some("text/plain")).await?;
/// assert_eq!(location.media_type.as_deref(), Some("text/plain"));
/// assert_eq!(std::fs::read(&location.value)?, b"hello");
/// # std::fs::remove_file(&location.value)?;
/// # Ok(()) }
/// # tokio::runtime::Builder::new_current_thread().build().map_err(|e| e.to_string())?
/// #     .block_on(demo()).map_err(|e| e.to_string())?;
/// # Ok::<(), String>(())
/// ```
pub async fn from_bytes(
    bytes: impl AsRef<[u8]> + Send + 'static,
    media_type: Option<&str>,
) -> Result<Location> {
    from_bytes_in(std::env::temp_dir(), bytes, media_type).await
}

/// [`from_bytes`] in `dir`.
pub(crate) async fn from_bytes_in(
    dir: PathBuf,
    bytes: impl AsRef<[u8]> + Send + 'static,
    media_type: Option<&str>,
) -> Result<Location> {
    let media_type = media_type.map(str::to_owned);
    crate::spawn_blocking(move || {
        let mut blob = BlobFile::create_in(&dir)?;
        blob.write_all(bytes.as_ref())
            .map_err(|e| Error::internal_with(format!("writing {}", blob.path().display()), e))?;
        blob.finish(media_type.as_deref())
    })
    .await
}

/// A failed read of a blob's source: [`io::ErrorKind::InvalidData`] (what decoders such as a
/// gzip reader give for corrupt input) is the caller's input, `InvalidArgument` (400); any
/// other error is the plugin's, internal (500).
pub(crate) fn read_error(e: io::Error, path: &Path) -> Error {
    if e.kind() == io::ErrorKind::InvalidData {
        Error::InvalidArgument(format!("the blob's data is invalid: {e}"))
    } else {
        Error::internal_with(format!("reading the blob for {}", path.display()), e)
    }
}

/// Hands everything `reader` yields back as a blob: copied, on the blocking pool, into a new
/// `0600` file in [`std::env::temp_dir`], returned as a `localFile` location with
/// `media_type`. A read error fails the call and removes the file; an
/// [`io::ErrorKind::InvalidData`] error (a decoder's corrupt input) is `InvalidArgument`.
///
/// Why: a blob produced by a blocking source (a file, a decoder, a child's output) must not
/// block the plugin's one runtime thread, and must be complete before it is handed over.
///
/// ```
/// # async fn demo() -> ocm_plugin_sdk::contracts::Result<()> {
/// let source = std::io::Cursor::new(b"from a reader".to_vec());
/// let location = ocm_plugin_sdk::blob::from_reader(source, None).await?;
/// assert_eq!(std::fs::read(&location.value)?, b"from a reader");
/// # std::fs::remove_file(&location.value)?;
/// # Ok(()) }
/// # tokio::runtime::Builder::new_current_thread().build().map_err(|e| e.to_string())?
/// #     .block_on(demo()).map_err(|e| e.to_string())?;
/// # Ok::<(), String>(())
/// ```
pub async fn from_reader(
    reader: impl Read + Send + 'static,
    media_type: Option<&str>,
) -> Result<Location> {
    from_reader_in(std::env::temp_dir(), reader, media_type).await
}

/// [`from_reader`] in `dir`.
pub(crate) async fn from_reader_in(
    dir: PathBuf,
    mut reader: impl Read + Send + 'static,
    media_type: Option<&str>,
) -> Result<Location> {
    let media_type = media_type.map(str::to_owned);
    crate::spawn_blocking(move || {
        let mut blob = BlobFile::create_in(&dir)?;
        copy_into(&mut reader, &mut blob, |_| {})?;
        blob.finish(media_type.as_deref())
    })
    .await
}

/// Copies everything `reader` yields into `blob`, showing each chunk to `inspect` on the way
/// (a hasher, for [`LocalBlob`](crate::input::LocalBlob)). Blocking: call it on the blocking
/// pool. A read error is [`read_error`]'s; on any error the caller drops `blob`, which removes
/// the file.
pub(crate) fn copy_into(
    reader: &mut dyn Read,
    blob: &mut BlobFile,
    mut inspect: impl FnMut(&[u8]),
) -> Result<()> {
    let mut buf = vec![0u8; BUFFER_SIZE];
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(read_error(e, blob.path())),
        };
        let chunk = buf.get(..n).unwrap_or_default();
        inspect(chunk);
        blob.write_all(chunk)
            .map_err(|e| Error::internal_with(format!("writing {}", blob.path().display()), e))?;
    }
}

/// Hands an async stream back as a blob without storing it: a new `0600` named pipe in
/// [`std::env::temp_dir`], returned at once as a `unixNamedPipe` location with `media_type`,
/// while a task copies the stream into the pipe once a reader opens it.
///
/// Why: a large blob that is produced as it is read (a download, a transformation) need not
/// fit on disk. The costs:
///
/// * **OCM's Go managers do not read `unixNamedPipe` locations** (they answer `unsupported
///   location type: unixNamedPipe`); a plugin that must work under them uses [`from_reader`],
///   [`from_bytes`] or [`BlobFile`].
/// * A pipe cannot report an error to its reader: if the stream fails midway, the reader sees
///   a shorter blob (the error is logged). Declare a digest where the protocol allows, so that
///   the reader can tell.
/// * The pipe waits for its reader at most [`NAMED_PIPE_READER_WAIT`], then it is removed.
///   Once a reader has opened it, its name is removed too (the reader keeps its handle).
///
/// Must be called inside a tokio runtime with I/O and time enabled (a plugin's runtime is).
///
/// ```
/// # async fn demo() -> ocm_plugin_sdk::contracts::Result<()> {
/// use std::{io::Read as _, time::Duration};
/// use ocm_plugin_sdk::blob;
///
/// let stream = std::io::Cursor::new(b"streamed".to_vec()); // any tokio AsyncRead
/// let location = blob::from_stream(stream, Some("text/plain")).await?;
/// // What the manager does with the location (here on the blocking pool):
/// let bytes = ocm_plugin_sdk::spawn_blocking(move || {
///     let mut bytes = Vec::new();
///     blob::open(&location, Duration::from_secs(10))?.read_to_end(&mut bytes)?;
///     Ok(bytes)
/// })
/// .await?;
/// assert_eq!(bytes, b"streamed");
/// # Ok(()) }
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?
/// #     .block_on(demo()).map_err(|e| e.to_string())?;
/// # Ok::<(), String>(())
/// ```
pub async fn from_stream<S>(stream: S, media_type: Option<&str>) -> Result<Location>
where
    S: tokio::io::AsyncRead + Send + Unpin + 'static,
{
    let (location, _feeding) = from_stream_in(
        std::env::temp_dir(),
        stream,
        media_type,
        NAMED_PIPE_READER_WAIT,
    )
    .await?;
    Ok(location)
}

/// How long a writer blocked in `open` may take to return once the pipe's read end was opened
/// to wake it; the kernel wakes it at once, so this only bounds a broken system.
const WAKE_WAIT: Duration = Duration::from_secs(5);

/// [`from_stream`] in `dir`, with the reader wait as a parameter; also returns the task that
/// feeds the pipe (it ends when the stream is delivered or the pipe is given up).
pub(crate) async fn from_stream_in<S>(
    dir: PathBuf,
    stream: S,
    media_type: Option<&str>,
    reader_wait: Duration,
) -> Result<(Location, tokio::task::JoinHandle<()>)>
where
    S: tokio::io::AsyncRead + Send + Unpin + 'static,
{
    let (fifo, value) = crate::spawn_blocking(move || make_fifo(&dir)).await?;
    let location = Location {
        location_type: LocationType::UnixNamedPipe,
        value,
        media_type: media_type.map(str::to_owned),
    };
    let feeding = tokio::spawn(feed(fifo, stream, reader_wait));
    Ok((location, feeding))
}

/// A named pipe that nobody has opened for reading yet. Dropped (the deadline passed, the task
/// was cancelled, the runtime stops), it wakes a writer blocked in `open` and removes the name.
struct PendingFifo {
    path: Option<tempfile::TempPath>,
}

impl PendingFifo {
    fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// A reader opened the pipe: its name is no longer needed.
    fn opened(&mut self) {
        drop(self.path.take());
    }

    /// Nobody came: wakes the writer and removes the name.
    fn abandon(&mut self) {
        use rustix::fs::OFlags;
        use std::os::unix::fs::OpenOptionsExt as _;

        let Some(path) = self.path.take() else {
            return;
        };
        // A writer blocked in `open` returns once the read end has been opened, even if it is
        // closed again at once (Linux waits for the readers' counter to change, not for a
        // reader to stay). Its first write then fails, as no reader is left.
        if let Err(e) = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(OFlags::NONBLOCK.bits() as i32)
            .open(&path)
        {
            tracing::debug!(path = %path.display(), "cannot wake the named pipe's writer: {e}");
        }
        drop(path);
    }
}

impl Drop for PendingFifo {
    fn drop(&mut self) {
        self.abandon();
    }
}

/// Makes a uniquely named `0600` FIFO in `dir`; returns it with its location value.
fn make_fifo(dir: &Path) -> Result<(PendingFifo, String)> {
    let made = tempfile::Builder::new()
        .prefix(NAME_PREFIX)
        .suffix(".pipe")
        .make_in(dir, |path| {
            rustix::fs::mkfifoat(
                rustix::fs::CWD,
                path,
                rustix::fs::Mode::from_raw_mode(0o600),
            )
            .map_err(io::Error::from)
        })
        .map_err(|e| {
            Error::internal_with(format!("creating a named pipe in {}", dir.display()), e)
        })?;
    let fifo = PendingFifo {
        path: Some(made.into_temp_path()),
    };
    let value = match fifo.path() {
        Some(path) => location_value(path)?,
        None => return Err(Error::internal("the new named pipe has no path")),
    };
    Ok((fifo, value))
}

/// Copies `stream` into the pipe once a reader opens it, or gives the pipe up after
/// `reader_wait`.
///
/// The writer's end is opened with a blocking `open` on the blocking pool: it returns exactly
/// when a reader arrives, with no polling. A non-blocking open (tokio's
/// `pipe::OpenOptions::open_sender`) fails while there is no reader and would have to be
/// retried, and opening read-write to avoid that would make the writer its own reader, so
/// nothing would tell when the real one comes. The deadline is enforced from here: when it
/// passes, [`PendingFifo::abandon`] opens the read end for a moment, which releases the blocked
/// `open`, and removes the name.
async fn feed<S>(mut fifo: PendingFifo, mut stream: S, reader_wait: Duration)
where
    S: tokio::io::AsyncRead + Send + Unpin + 'static,
{
    let Some(path) = fifo.path().map(Path::to_path_buf) else {
        return;
    };
    let mut opener = {
        let path = path.clone();
        tokio::task::spawn_blocking(move || std::fs::OpenOptions::new().write(true).open(path))
    };
    let opened = match tokio::time::timeout(reader_wait, &mut opener).await {
        Ok(opened) => {
            fifo.opened();
            opened
        }
        Err(_) => {
            tracing::warn!(
                path = %path.display(),
                "no reader opened the named pipe blob within {reader_wait:?}; removing it"
            );
            fifo.abandon();
            match tokio::time::timeout(WAKE_WAIT, opener).await {
                Ok(opened) => opened,
                Err(_) => {
                    tracing::warn!(path = %path.display(), "the named pipe's writer did not wake");
                    return;
                }
            }
        }
    };
    let file = match opened {
        Ok(Ok(file)) => file,
        Ok(Err(e)) => {
            tracing::warn!(path = %path.display(), "cannot open the named pipe blob: {e}");
            return;
        }
        Err(e) => {
            tracing::warn!(path = %path.display(), "opening the named pipe blob failed: {e}");
            return;
        }
    };
    // A reader that raced the deadline still gets the whole stream; with none, the first
    // write fails.
    let mut sender = match tokio::net::unix::pipe::Sender::from_file(file) {
        Ok(sender) => sender,
        Err(e) => {
            tracing::warn!(path = %path.display(), "cannot write the named pipe blob: {e}");
            return;
        }
    };
    match tokio::io::copy(&mut stream, &mut sender).await {
        Ok(bytes) => tracing::debug!(path = %path.display(), bytes, "named pipe blob delivered"),
        Err(e) => tracing::warn!(
            path = %path.display(),
            "streaming into the named pipe blob failed; its reader sees a shorter blob: {e}"
        ),
    }
}

/// Opens the blob an incoming location names, for reading: a `localFile` (an absolute path to
/// a regular file) or a `unixNamedPipe` (a FIFO, whose writer is waited for at most `wait`;
/// see [`open_named_pipe`] and [`NAMED_PIPE_WRITER_WAIT`]).
///
/// Why: every capability that receives a blob must refuse the same things the same way. Other
/// location types (`remoteURL`, unknown ones), relative paths and a `localFile` that is not a
/// regular file are `InvalidArgument`; a missing file is `NotFound`; every error names the path.
///
/// This blocks (it opens files and may wait for a pipe's writer): call it inside
/// [`spawn_blocking`](crate::spawn_blocking), and read the file there too.
///
/// ```
/// # async fn demo() -> ocm_plugin_sdk::contracts::Result<()> {
/// use std::{io::Read as _, time::Duration};
/// use ocm_plugin_sdk::{blob, types::Location};
///
/// let location = blob::from_bytes(b"incoming".to_vec(), None).await?;
/// let bytes = ocm_plugin_sdk::spawn_blocking(move || {
///     let mut bytes = Vec::new();
///     blob::open(&location, blob::NAMED_PIPE_WRITER_WAIT)?.read_to_end(&mut bytes)?;
///     # std::fs::remove_file(&location.value)?;
///     Ok(bytes)
/// })
/// .await?;
/// assert_eq!(bytes, b"incoming");
///
/// let relative = Location::local_file("blob.bin");
/// assert!(blob::open(&relative, Duration::from_secs(1)).is_err());
/// # Ok(()) }
/// # tokio::runtime::Builder::new_current_thread().build().map_err(|e| e.to_string())?
/// #     .block_on(demo()).map_err(|e| e.to_string())?;
/// # Ok::<(), String>(())
/// ```
pub fn open(location: &Location, wait: Duration) -> Result<File> {
    let pipe = match &location.location_type {
        LocationType::LocalFile => false,
        LocationType::UnixNamedPipe => true,
        other => {
            return Err(Error::InvalidArgument(format!(
                "unsupported location type {other}: a blob is read from a {} or {} location",
                LocationType::LocalFile,
                LocationType::UnixNamedPipe
            )));
        }
    };
    let path = Path::new(&location.value);
    if !path.is_absolute() {
        return Err(Error::InvalidArgument(format!(
            "the {} location {:?} is relative; an absolute path is required",
            location.location_type, location.value
        )));
    }
    if pipe {
        return open_named_pipe(path, wait).map_err(|e| open_error(path, e));
    }
    open_regular_file(path)
}

/// Opens a regular file without ever waiting: opened non-blocking (a FIFO behind a `localFile`
/// location would otherwise wait for a writer forever), checked, then made blocking.
fn open_regular_file(path: &Path) -> Result<File> {
    use rustix::fs::{OFlags, fcntl_setfl};
    use std::os::unix::fs::OpenOptionsExt as _;

    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(OFlags::NONBLOCK.bits() as i32)
        .open(path)
        .map_err(|e| open_error(path, e))?;
    let meta = file.metadata().map_err(|e| open_error(path, e))?;
    if !meta.is_file() {
        return Err(Error::InvalidArgument(format!(
            "the {} location {} is not a regular file",
            LocationType::LocalFile,
            path.display()
        )));
    }
    fcntl_setfl(&file, OFlags::empty()).map_err(|e| open_error(path, e.into()))?;
    Ok(file)
}

/// An error opening `path`: `NotFound` stays a not-found, a pipe's absent writer is a timeout
/// the request's sender caused (`InvalidArgument`), anything else is internal.
fn open_error(path: &Path, e: io::Error) -> Error {
    match e.kind() {
        io::ErrorKind::NotFound => {
            Error::NotFound(format!("the blob {} does not exist: {e}", path.display()))
        }
        io::ErrorKind::TimedOut => {
            Error::InvalidArgument(format!("the blob {}: {e}", path.display()))
        }
        _ => Error::internal_with(format!("opening the blob {}", path.display()), e),
    }
}

/// The value of a location for `path`: absolute, and UTF-8 (locations are JSON strings).
fn location_value(path: &Path) -> Result<String> {
    let absolute = std::path::absolute(path)
        .map_err(|e| Error::internal_with(format!("resolving {}", path.display()), e))?;
    absolute.into_os_string().into_string().map_err(|p| {
        Error::internal(format!(
            "the blob path {} is not UTF-8, so it cannot be a location",
            Path::new(&p).display()
        ))
    })
}
