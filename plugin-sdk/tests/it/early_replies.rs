//! Answers sent before the request body was read arrive intact (no connection reset), against
//! the real server of `examples/memory.rs` over TCP and a Unix socket.
//!
//! The example is built by `cargo test -p ocm-plugin-sdk` (examples are test targets); a run
//! limited to `--test it` does not build it, and these tests then fail saying so.

use std::{
    io::{BufRead as _, BufReader},
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::Duration,
};

use ocm_plugin_endpoints::component_version_repository as cvr;
use tokio::{
    io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _},
    net::{TcpStream, UnixStream},
};

/// Repetitions per test: the reset was a race, seen in 6 of 48 runs.
const ROUNDS: usize = 50;
/// A body well below the SDK's 16 MiB limit, large enough to overflow the socket buffers.
const BODY: usize = 3 * 1024 * 1024;
/// A body announced far above the limit: the plugin answers 413 without draining it.
const HUGE: usize = 64 * 1024 * 1024;
/// How much of a huge body the client sends before giving up.
const HUGE_SENT: usize = 8 * 1024 * 1024;
const CHUNK: usize = 64 * 1024;
/// The test's own deadline for one exchange.
const DEADLINE: Duration = Duration::from_secs(20);

/// The running example plugin; killed on drop.
struct Memory {
    child: Child,
    location: String,
}

impl Drop for Memory {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn example() -> PathBuf {
    // target/<profile>/deps/it-<hash> → target/<profile>/examples/memory
    let exe = std::env::current_exe().unwrap();
    let profile = exe.parent().and_then(|deps| deps.parent()).unwrap();
    let path = profile.join("examples").join("memory");
    assert!(
        path.is_file(),
        "{} is missing: run `cargo test -p ocm-plugin-sdk`, which builds the examples",
        path.display()
    );
    path
}

fn start(connection: &str) -> Memory {
    let config = format!(r#"{{"id":"early","type":"{connection}","idleTimeout":600000000000}}"#);
    let mut child = Command::new(example())
        .args(["--config", &config])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    Memory {
        child,
        location: line.trim().to_owned(),
    }
}

/// A stream to the plugin, whichever transport it listens on.
trait Stream: AsyncRead + AsyncWrite + Send + Unpin + 'static {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin + 'static> Stream for T {}

async fn connect(location: &str) -> Box<dyn Stream> {
    if let Some(path) = location.strip_prefix("http+unix://") {
        Box::new(UnixStream::connect(path).await.unwrap())
    } else {
        let addr = location.strip_prefix("http://").unwrap();
        Box::new(TcpStream::connect(addr).await.unwrap())
    }
}

/// A complete response: status code, headers (lowercased) and body.
#[derive(Debug)]
struct Answer {
    status: u16,
    head: String,
    body: String,
}

/// Reads one response with a `Content-Length` body; `Err` on a reset or an early end.
async fn read_answer(reader: &mut (impl AsyncRead + Unpin)) -> std::io::Result<Answer> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .map_or(0, |v| v.trim().parse().unwrap());
            if buf.len() >= end + 4 + length {
                let status = head[9..12].parse().unwrap();
                let body = String::from_utf8_lossy(&buf[end + 4..end + 4 + length]).into_owned();
                return Ok(Answer { status, head, body });
            }
        }
        let n = reader.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// Posts `announced` bytes to the upload route without `Authorization`, in chunks, without
/// reading anything first, like a client that sends its whole request before it reads: a
/// plugin that closed early makes these writes fail with a reset.
async fn post_whole_then_read(location: &str, announced: usize) -> Answer {
    let mut stream = connect(location).await;
    let exchange = async {
        stream.write_all(head(announced).as_bytes()).await?;
        let chunk = vec![b' '; CHUNK];
        let mut left = announced;
        while left > 0 {
            let n = left.min(CHUNK);
            stream.write_all(&chunk[..n]).await?;
            left -= n;
        }
        read_answer(&mut stream).await
    };
    tokio::time::timeout(DEADLINE, exchange)
        .await
        .expect("no answer before the deadline")
        .expect("the exchange failed (a reset?)")
}

/// Announces `announced` bytes but sends only `sent` of them, in chunks, while the answer is
/// read, like an uploading client that watches for an early answer.
async fn post_while_reading(location: &str, announced: usize, sent: usize) -> Answer {
    let stream = connect(location).await;
    let (mut reader, mut writer) = tokio::io::split(stream);
    writer.write_all(head(announced).as_bytes()).await.unwrap();
    let upload = tokio::spawn(async move {
        let chunk = vec![b' '; CHUNK];
        let mut left = sent;
        while left > 0 {
            let n = left.min(CHUNK);
            // The plugin stops reading once it answered; that is not this test's failure.
            if writer.write_all(&chunk[..n]).await.is_err() {
                return;
            }
            left -= n;
        }
        // Kept open until the answer was read: the plugin must not wait for our EOF.
        std::future::pending::<()>().await;
    });
    let answer = tokio::time::timeout(DEADLINE, read_answer(&mut reader))
        .await
        .expect("no answer before the deadline")
        .expect("the answer did not arrive intact");
    upload.abort();
    answer
}

fn head(announced: usize) -> String {
    format!(
        "POST {} HTTP/1.1\r\nHost: plugin\r\nContent-Type: application/json\r\n\
         Content-Length: {announced}\r\n\r\n",
        cvr::ADD_COMPONENT_VERSION.path
    )
}

async fn unauthorized_arrives_intact(connection: &str) {
    let plugin = start(connection);
    for round in 0..ROUNDS {
        let answer = post_whole_then_read(&plugin.location, BODY).await;
        assert_eq!(answer.status, 401, "round {round}: {answer:?}");
        assert!(
            answer
                .body
                .starts_with("incorrect authentication header format"),
            "round {round}: {answer:?}"
        );
        // Drained: the connection could have stayed open.
        assert!(
            !answer.head.contains("connection: close"),
            "round {round}: {answer:?}"
        );
    }
}

#[tokio::test]
async fn unauthorized_post_gets_its_401_over_tcp() {
    unauthorized_arrives_intact("tcp").await;
}

#[tokio::test]
async fn unauthorized_post_gets_its_401_over_unix() {
    unauthorized_arrives_intact("unix").await;
}

/// A body announced above the limit is answered with 413 and the connection closed; the client
/// still reads the whole answer before any reset (the server half closes and lingers).
#[tokio::test]
async fn oversized_post_gets_its_413_before_the_close() {
    for connection in ["tcp", "unix"] {
        let plugin = start(connection);
        for round in 0..ROUNDS / 2 {
            let answer = post_while_reading(&plugin.location, HUGE, HUGE_SENT).await;
            assert_eq!(answer.status, 413, "{connection} round {round}: {answer:?}");
            assert!(
                answer.body.starts_with("request body too large"),
                "{connection} round {round}: {answer:?}"
            );
            assert!(
                answer.head.contains("connection: close"),
                "{connection} round {round}: {answer:?}"
            );
        }
    }
}
