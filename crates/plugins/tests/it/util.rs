//! Helpers shared by the integration tests.

use std::convert::Infallible;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http::{HeaderMap, Request, Response};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use ocm_plugin_runtime::Endpoint;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, UnixListener};
use tokio::task::JoinHandle;

/// Writes an executable script without ever holding a writable descriptor to it in this
/// process: a descriptor inherited by a concurrently forked child would make exec fail with
/// ETXTBSY ("text file busy"), a classic flake of tests that run fresh scripts in parallel.
pub(crate) fn write_script(dir: &Path, name: &str, body: &str) -> PathBuf {
    let path = dir.join(name);
    let mut child = Command::new("/bin/sh")
        .args(["-c", r#"cat > "$1" && chmod 755 "$1""#, "sh"])
        .arg(&path)
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(body.as_bytes())
        .unwrap();
    assert!(child.wait().unwrap().success());
    path
}

/// Waits until `pid` has terminated, bounded by a deadline; `true` if it did. Event-driven: a
/// pidfd becomes readable when its process terminates (checking /proc right after a kill would
/// race: signal delivery is asynchronous). A zombie counts as terminated: a killed grandchild
/// is reparented to init, which may reap it late.
pub(crate) async fn wait_gone(pid: u32) -> bool {
    use rustix::event::{PollFd, PollFlags, Timespec, poll};
    use rustix::process::{Pid, PidfdFlags, pidfd_open};
    let Some(pid) = i32::try_from(pid).ok().and_then(Pid::from_raw) else {
        return true;
    };
    let Ok(fd) = pidfd_open(pid, PidfdFlags::empty()) else {
        return true; // No such process.
    };
    tokio::task::spawn_blocking(move || {
        let deadline = Timespec {
            tv_sec: 10,
            tv_nsec: 0,
        };
        let mut fds = [PollFd::new(&fd, PollFlags::IN)];
        poll(&mut fds, Some(&deadline)).is_ok_and(|ready| ready == 1)
    })
    .await
    .unwrap()
}

/// `true` when `pid` no longer exists at all, not even as a zombie: our own child was reaped.
pub(crate) fn reaped(pid: u32) -> bool {
    !Path::new(&format!("/proc/{pid}")).exists()
}

/// Reads a pid a script wrote to a file.
pub(crate) fn read_pid(path: &Path) -> u32 {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .trim()
        .parse()
        .unwrap()
}

/// One request as the test server saw it.
#[derive(Debug, Clone)]
pub(crate) struct Seen {
    pub(crate) method: String,
    pub(crate) uri: String,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Vec<u8>,
}

type Responder = Arc<dyn Fn(&Seen) -> (u16, Vec<u8>) + Send + Sync>;

/// A tiny HTTP/1.1 server that records every request and answers with `respond`.
pub(crate) struct TestServer {
    pub(crate) endpoint: Endpoint,
    seen: Arc<Mutex<Vec<Seen>>>,
    connections: Arc<AtomicUsize>,
    task: JoinHandle<()>,
    _dir: Option<tempfile::TempDir>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl TestServer {
    pub(crate) async fn unix(
        respond: impl Fn(&Seen) -> (u16, Vec<u8>) + Send + Sync + 'static,
    ) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plugin.sock");
        let listener = UnixListener::bind(&path).unwrap();
        let (seen, connections, respond) = Self::state(respond);
        let task = {
            let (seen, connections) = (seen.clone(), connections.clone());
            tokio::spawn(async move {
                while let Ok((stream, _)) = listener.accept().await {
                    connections.fetch_add(1, Ordering::SeqCst);
                    tokio::spawn(serve(stream, seen.clone(), respond.clone()));
                }
            })
        };
        Self {
            endpoint: Endpoint::Unix(path),
            seen,
            connections,
            task,
            _dir: Some(dir),
        }
    }

    pub(crate) async fn tcp(
        respond: impl Fn(&Seen) -> (u16, Vec<u8>) + Send + Sync + 'static,
    ) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (seen, connections, respond) = Self::state(respond);
        let task = {
            let (seen, connections) = (seen.clone(), connections.clone());
            tokio::spawn(async move {
                while let Ok((stream, _)) = listener.accept().await {
                    connections.fetch_add(1, Ordering::SeqCst);
                    tokio::spawn(serve(stream, seen.clone(), respond.clone()));
                }
            })
        };
        Self {
            endpoint: Endpoint::Tcp(addr.to_string()),
            seen,
            connections,
            task,
            _dir: None,
        }
    }

    fn state(
        respond: impl Fn(&Seen) -> (u16, Vec<u8>) + Send + Sync + 'static,
    ) -> (Arc<Mutex<Vec<Seen>>>, Arc<AtomicUsize>, Responder) {
        (Arc::default(), Arc::default(), Arc::new(respond))
    }

    pub(crate) fn requests(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    pub(crate) fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

async fn serve<S>(stream: S, seen: Arc<Mutex<Vec<Seen>>>, respond: Responder)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = service_fn(move |req: Request<Incoming>| {
        let seen = seen.clone();
        let respond = respond.clone();
        async move {
            let (parts, body) = req.into_parts();
            let body = body
                .collect()
                .await
                .map(|b| b.to_bytes().to_vec())
                .unwrap_or_default();
            let request = Seen {
                method: parts.method.to_string(),
                uri: parts.uri.to_string(),
                headers: parts.headers,
                body,
            };
            let (status, body) = respond(&request);
            seen.lock().unwrap().push(request);
            let response = Response::builder()
                .status(status)
                .body(Full::new(Bytes::from(body)))
                .unwrap();
            Ok::<_, Infallible>(response)
        }
    });
    let _ = hyper::server::conn::http1::Builder::new()
        .serve_connection(TokioIo::new(stream), service)
        .await;
}

/// Accepts one connection, reads one request (head and `Content-Length` body) byte for byte,
/// answers with `response` and returns the request bytes.
pub(crate) async fn raw_exchange<S>(mut stream: S, response: &[u8]) -> Vec<u8>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        let n = stream.read(&mut chunk).await.unwrap();
        assert!(
            n > 0,
            "connection closed mid-request: {:?}",
            String::from_utf8_lossy(&buf)
        );
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length: "))
        .map_or(0, |v| v.trim().parse().unwrap());
    while buf.len() < head_end + length {
        let n = stream.read(&mut chunk).await.unwrap();
        assert!(n > 0);
        buf.extend_from_slice(&chunk[..n]);
    }
    stream.write_all(response).await.unwrap();
    stream.flush().await.unwrap();
    buf
}

/// Everything `tracing` emits in this test process, formatted, and a signal on every write so
/// that a test can wait for an event instead of polling for it.
#[derive(Clone)]
pub(crate) struct LogCapture(Arc<Mutex<Vec<u8>>>, Arc<tokio::sync::watch::Sender<u64>>);

impl Default for LogCapture {
    fn default() -> Self {
        Self(Arc::default(), Arc::new(tokio::sync::watch::Sender::new(0)))
    }
}

impl Write for LogCapture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        self.1.send_modify(|n| *n += 1);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl LogCapture {
    /// The captured lines containing `needle`.
    pub(crate) fn lines_with(&self, needle: &str) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap())
            .lines()
            .filter(|l| l.contains(needle))
            .map(|l| format!("{l}\n"))
            .collect()
    }

    /// Waits, up to `deadline`, for a captured line that contains every one of `needles`, and
    /// returns it; `None` when the deadline passed. Woken by every write, never polling.
    pub(crate) async fn wait_for_line(
        &self,
        needles: &[&str],
        deadline: std::time::Duration,
    ) -> Option<String> {
        let mut written = self.1.subscribe();
        let find = || {
            String::from_utf8_lossy(&self.0.lock().unwrap())
                .lines()
                .find(|l| needles.iter().all(|n| l.contains(n)))
                .map(str::to_owned)
        };
        tokio::time::timeout(deadline, async {
            loop {
                written.borrow_and_update();
                if let Some(line) = find() {
                    return line;
                }
                if written.changed().await.is_err() {
                    std::future::pending::<()>().await;
                }
            }
        })
        .await
        .ok()
    }
}

/// Installs (once) a process-wide subscriber that captures this crate's events. Process-wide
/// because a thread-scoped subscriber can miss events while other test threads register the
/// same callsites (tracing caches callsite interest globally).
pub(crate) fn log_capture() -> LogCapture {
    static CAPTURE: std::sync::OnceLock<LogCapture> = std::sync::OnceLock::new();
    CAPTURE
        .get_or_init(|| {
            let capture = LogCapture::default();
            let writer = capture.clone();
            let subscriber = tracing_subscriber::fmt()
                .with_env_filter(tracing_subscriber::EnvFilter::new(
                    "ocm_plugin=debug,ocm_plugin_runtime=debug",
                ))
                .with_ansi(false)
                .without_time()
                .with_writer(move || writer.clone())
                .finish();
            tracing::subscriber::set_global_default(subscriber).unwrap();
            capture
        })
        .clone()
}
