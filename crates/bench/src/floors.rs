//! The floors every figure is judged against, measured in the same run: a raw hyper round trip
//! over a Unix socket between two processes, spawning a trivial binary and reading one line,
//! `cp` of the same file, the CPU time of one `capabilities` run, and serde_json parsing and
//! serialising the same descriptor.

use std::{
    io::{BufRead as _, BufReader},
    path::{Path, PathBuf},
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use anyhow::{Context as _, Result, bail};
use bytes::Bytes;
use http_body_util::{BodyExt as _, Empty, Full};
use hyper_util::rt::TokioIo;

use crate::report::Samples;

/// The line the helper modes print when they are ready.
const READY: &str = "ready";

/// `ocm-bench line`: print one line and exit (the spawn floor's trivial binary).
pub(crate) fn line_mode() {
    println!("{READY}");
}

/// `ocm-bench floor-server <socket>`: a bare hyper HTTP/1 server on a Unix socket answering
/// every request with `200 {}`, on a current-thread runtime like our SDK's.
pub(crate) fn floor_server(socket: &Path) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let listener = tokio::net::UnixListener::bind(socket)
            .with_context(|| format!("binding {}", socket.display()))?;
        println!("{READY}");
        loop {
            let (stream, _) = listener.accept().await?;
            tokio::spawn(async move {
                let service = hyper::service::service_fn(|_req| async {
                    Ok::<_, std::convert::Infallible>(hyper::Response::new(Full::new(
                        Bytes::from_static(b"{}"),
                    )))
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    })
}

/// Spawns `exe args…` and waits for its first stdout line.
fn spawn_and_read_line(exe: &Path, args: &[&str]) -> Result<std::process::Child> {
    let mut child = Command::new(exe)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("spawning {}", exe.display()))?;
    let mut line = String::new();
    BufReader::new(child.stdout.take().context("no stdout")?).read_line(&mut line)?;
    if line.trim() != READY && !line.trim_start().starts_with('{') {
        bail!("{} printed {line:?}", exe.display());
    }
    Ok(child)
}

/// Spawn a trivial binary (this one, `line` mode) and read its one line, `n` times.
pub(crate) fn spawn(exe: &Path, n: usize) -> Result<Samples> {
    let mut samples = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        let mut child = spawn_and_read_line(exe, &["line"])?;
        samples.push(t.elapsed());
        child.wait()?;
    }
    Ok(Samples::new(samples))
}

/// A raw hyper round trip (`GET /`, `200 {}`) over one kept-alive Unix socket connection to
/// another process, `n` times after a warm-up.
pub(crate) async fn raw_round_trip(exe: &Path, dir: &Path, n: usize) -> Result<Samples> {
    let socket = dir.join("floor.sock");
    let _ = std::fs::remove_file(&socket);
    let mut server = spawn_and_read_line(exe, &["floor-server", &socket.to_string_lossy()])?;
    let result = async {
        let stream = tokio::net::UnixStream::connect(&socket).await?;
        let (mut sender, connection) =
            hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(connection);
        let mut samples = Vec::with_capacity(n);
        for i in 0..n + n / 10 {
            let request = hyper::Request::get("/")
                .header(http::header::HOST, "localhost")
                .body(Empty::<Bytes>::new())?;
            let t = Instant::now();
            let response = sender.send_request(request).await?;
            let _body = response.into_body().collect().await?;
            if i >= n / 10 {
                samples.push(t.elapsed());
            }
        }
        Ok::<_, anyhow::Error>(Samples::new(samples))
    }
    .await;
    let _ = server.kill();
    let _ = server.wait();
    let _ = std::fs::remove_file(&socket);
    result
}

/// `cp src <dst>`: the median of `runs` copies, each on a synced disk, with the destination
/// removed after each.
pub(crate) fn cp(src: &Path, dst: &Path, runs: usize) -> Result<Duration> {
    copies(src, dst, runs, false)
}

/// [`cp`] plus an fsync of the copy (a store must make what it keeps durable).
pub(crate) fn cp_durable(src: &Path, dst: &Path, runs: usize) -> Result<Duration> {
    copies(src, dst, runs, true)
}

fn copies(src: &Path, dst: &Path, runs: usize, durable: bool) -> Result<Duration> {
    let mut samples = Vec::new();
    for _ in 0..runs.max(1) {
        let _ = std::fs::remove_file(dst);
        settle_disk();
        let t = Instant::now();
        let status = Command::new("cp").arg(src).arg(dst).status()?;
        if !status.success() {
            bail!("cp {} {}: {status}", src.display(), dst.display());
        }
        if durable {
            std::fs::File::open(dst)?.sync_all()?;
        }
        samples.push(t.elapsed());
    }
    let _ = std::fs::remove_file(dst);
    Ok(Samples::new(samples).p50())
}

/// Children's CPU time so far (user + system, of waited-for children), from `/proc/self/stat`.
fn children_cpu() -> Result<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat")?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or_default();
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // cutime and cstime are fields 16 and 17 of the line, 14 and 15 after the name.
    let ticks = |i: usize| -> Result<u64> {
        fields
            .get(i)
            .context("short /proc/self/stat")?
            .parse::<u64>()
            .context("parsing /proc/self/stat")
    };
    // USER_HZ is 100 on every Linux this runs on.
    Ok(Duration::from_millis((ticks(13)? + ticks(14)?) * 10))
}

/// The CPU time of one `<plugin> capabilities` run: `n` runs one after another, children's CPU
/// time before and after (clock-tick resolution, so `n` should make the total well over 100 ms).
pub(crate) fn probe_cpu(plugin: &Path, n: usize) -> Result<Duration> {
    let before = children_cpu()?;
    for _ in 0..n {
        let status = Command::new(plugin)
            .arg("capabilities")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()?;
        if !status.success() {
            bail!("{} capabilities: {status}", plugin.display());
        }
    }
    let spent = children_cpu()?.saturating_sub(before);
    Ok(spent / u32::try_from(n.max(1)).unwrap_or(u32::MAX))
}

/// A process's memory, in MB, from `/proc/<pid>/status`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Memory {
    /// Resident.
    pub(crate) rss: f64,
    /// Peak resident (since start or [`reset_peak`]).
    pub(crate) peak: f64,
    /// Resident anonymous memory (heap, stacks): what the process itself allocated.
    pub(crate) anon: f64,
    /// Resident file-backed pages (the binary and libraries, shared with other processes that
    /// map them, and dropped by the kernel whenever it needs the memory).
    pub(crate) file: f64,
}

/// Flushes dirty pages to disk, so that a copy measured next does not pay for writing back
/// what earlier copies left.
pub(crate) fn settle_disk() {
    rustix::fs::sync();
}

/// A process's memory, from `/proc/<pid>/status`.
pub(crate) fn memory(pid: u32) -> Result<Memory> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .with_context(|| format!("reading the status of process {pid}"))?;
    let field = |name: &str| -> Result<f64> {
        let line = status
            .lines()
            .find(|l| l.starts_with(name))
            .with_context(|| format!("no {name} for process {pid}"))?;
        let kb: f64 = line
            .split_whitespace()
            .nth(1)
            .context("no value")?
            .parse()?;
        Ok(kb / 1024.0)
    };
    Ok(Memory {
        rss: field("VmRSS:")?,
        peak: field("VmHWM:")?,
        anon: field("RssAnon:")?,
        file: field("RssFile:")?,
    })
}

/// Resets a process's peak resident memory to its current level (writing `5` to
/// `/proc/<pid>/clear_refs`), so that a later peak belongs to what ran in between.
pub(crate) fn reset_peak(pid: u32) -> Result<()> {
    std::fs::write(format!("/proc/{pid}/clear_refs"), "5")
        .with_context(|| format!("resetting the peak memory of process {pid}"))
}

/// SHA-256 of a file, read in 1 MiB pieces: what any store that names blobs by digest must
/// at least spend on a blob.
pub(crate) fn sha256(path: &Path) -> Result<Duration> {
    use sha2::Digest as _;
    use std::io::Read as _;
    let t = Instant::now();
    let mut file = std::fs::File::open(path)?;
    let mut hasher = sha2::Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    let _digest = hasher.finalize();
    Ok(t.elapsed())
}

/// A file of `size` bytes that does not compress or dedupe to nothing.
pub(crate) fn blob_file(path: &Path, size: usize) -> Result<PathBuf> {
    use std::io::Write as _;
    let mut file = std::io::BufWriter::new(std::fs::File::create(path)?);
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut block = vec![0u8; 1 << 20];
    let mut written = 0;
    while written < size {
        for chunk in block.chunks_mut(8) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let bytes = state.to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
        let n = (size - written).min(block.len());
        file.write_all(&block[..n])?;
        written += n;
    }
    file.flush()?;
    Ok(path.to_owned())
}

/// One serde_json round trip of a JSON document: parse it into a `serde_json::Value` and
/// serialise that again. What any code that reads and writes the document must at least spend.
pub(crate) fn json_round_trip(bytes: &[u8]) -> Result<Duration> {
    let t = Instant::now();
    let value = serde_json::from_slice::<serde_json::Value>(std::hint::black_box(bytes))?;
    let out = serde_json::to_vec(&value)?;
    let elapsed = t.elapsed();
    std::hint::black_box(out);
    Ok(elapsed)
}
