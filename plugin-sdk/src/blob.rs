//! Reading blobs that arrive as locations: a `unixNamedPipe` is a FIFO whose writer may not
//! have opened it yet, and a plain `open` for reading would wait for that writer forever.

use std::{fs::File, io, path::Path, time::Duration};

/// How long a plugin should let a named pipe wait for its writer before failing the request.
pub const NAMED_PIPE_WRITER_WAIT: Duration = Duration::from_secs(60);

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
