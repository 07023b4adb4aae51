//! A throwaway OCI registry for the e2e OCI scenario: Debian's `docker-registry` (CNCF
//! distribution) on `127.0.0.1:0`, with its storage in the scratch directory. std only.

use std::{
    collections::VecDeque,
    env, fs,
    io::{BufRead as _, BufReader, Read as _, Write as _},
    net::{SocketAddr, TcpStream},
    os::unix::fs::PermissionsExt as _,
    path::{Path, PathBuf},
    process::{Child, ChildStderr, Command, Stdio},
    sync::{Arc, Mutex, PoisonError, mpsc},
    thread,
    time::{Duration, Instant},
};

use anyhow::{Context, Result, bail, ensure};

/// The variable naming the binary; when set (non-empty) it is the only place looked at.
pub(crate) const BINARY_VAR: &str = "OCM_DOCKER_REGISTRY";
const BINARY_NAME: &str = "docker-registry";
pub(crate) const INSTALL: &str = "apt-get install -y --no-install-recommends docker-registry";
/// How long the registry may take to say where it listens.
const START_DEADLINE: Duration = Duration::from_secs(20);
/// Connect, read and write timeout of the `GET /v2/` check.
const IO_TIMEOUT: Duration = Duration::from_secs(5);
/// How many lines of the registry's stderr are kept for error messages.
const TAIL_LINES: usize = 40;

/// Where `docker-registry` is: `$OCM_DOCKER_REGISTRY` if set (an error if that is not an
/// executable file), else the first `docker-registry` on `PATH`, else `None`.
pub(crate) fn locate() -> Result<Option<PathBuf>> {
    if let Some(explicit) = env::var_os(BINARY_VAR).filter(|v| !v.is_empty()) {
        let binary = PathBuf::from(explicit);
        ensure!(
            is_executable(&binary),
            "{BINARY_VAR} is set to {}, which is not an executable file (unset it to look on PATH)",
            binary.display()
        );
        return Ok(Some(binary));
    }
    Ok(env::var_os("PATH").and_then(|path| {
        env::split_paths(&path)
            .filter(|dir| !dir.as_os_str().is_empty())
            .map(|dir| dir.join(BINARY_NAME))
            .find(|candidate| is_executable(candidate))
    }))
}

fn is_executable(path: &Path) -> bool {
    fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// A running registry; dropping it kills and reaps the process.
pub(crate) struct Registry {
    child: Child,
    port: u16,
    tail: Arc<Mutex<VecDeque<String>>>,
}

impl Registry {
    /// Writes a config under `dir` (storage in `dir/storage`), starts `binary serve` on
    /// `127.0.0.1:0`, waits at most [`START_DEADLINE`] for the `listening on` line, and checks
    /// that `GET /v2/` answers 200.
    pub(crate) fn start(binary: &Path, dir: &Path) -> Result<Self> {
        let storage = dir.join("storage");
        fs::create_dir_all(&storage).with_context(|| format!("creating {}", storage.display()))?;
        let config = dir.join("config.yml");
        fs::write(
            &config,
            format!(
                "version: 0.1\n\
                 log: {{level: info, formatter: text}}\n\
                 storage: {{filesystem: {{rootdirectory: {}}}}}\n\
                 http: {{addr: 127.0.0.1:0}}\n",
                yaml_quoted(&storage)?
            ),
        )
        .with_context(|| format!("writing {}", config.display()))?;

        let mut command = Command::new(binary);
        command
            .arg("serve")
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        // The registry lets REGISTRY_* variables override its configuration: none from the
        // caller's environment may move it off 127.0.0.1:0 or elsewhere.
        for (key, _) in env::vars_os() {
            if key.to_string_lossy().starts_with("REGISTRY_") {
                command.env_remove(key);
            }
        }
        let mut child = command
            .spawn()
            .with_context(|| format!("starting {} serve", binary.display()))?;
        let stderr = child.stderr.take();
        // From here on an early return drops `registry`, which kills the child.
        let mut registry = Self {
            child,
            port: 0,
            tail: Arc::default(),
        };
        let stderr = stderr.context("the registry's stderr was not piped")?;
        let (tx, rx) = mpsc::channel();
        let tail = Arc::clone(&registry.tail);
        thread::Builder::new()
            .name("docker-registry stderr".into())
            .spawn(move || drain(stderr, &tail, &tx))
            .context("starting the thread that reads the registry's stderr")?;

        registry.port = match rx.recv_timeout(START_DEADLINE) {
            Ok(port) => port,
            Err(mpsc::RecvTimeoutError::Timeout) => bail!(
                "{} did not say where it listens within {START_DEADLINE:?}{}",
                binary.display(),
                registry.log_tail()
            ),
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                let status = registry.child.try_wait().ok().flatten().map_or_else(
                    || "closed its stderr".to_owned(),
                    |s| format!("exited ({s})"),
                );
                bail!(
                    "{} {status} before it listened{}",
                    binary.display(),
                    registry.log_tail()
                )
            }
        };
        registry
            .check_api()
            .with_context(|| format!("GET {}/v2/{}", registry.base_url(), registry.log_tail()))?;
        Ok(registry)
    }

    /// `http://127.0.0.1:<port>`.
    pub(crate) fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The last lines the registry wrote to stderr, as a suffix for an error message.
    pub(crate) fn log_tail(&self) -> String {
        let tail = self.tail.lock().unwrap_or_else(PoisonError::into_inner);
        if tail.is_empty() {
            return "\n(the registry wrote nothing to stderr)".to_owned();
        }
        let lines: Vec<&str> = tail.iter().map(String::as_str).collect();
        format!(
            "\nthe registry's last {} stderr lines:\n{}",
            lines.len(),
            lines.join("\n")
        )
    }

    /// `GET /v2/` over a plain HTTP/1.1 connection must answer 200.
    fn check_api(&self) -> Result<()> {
        let addr = SocketAddr::from(([127, 0, 0, 1], self.port));
        let mut stream = TcpStream::connect_timeout(&addr, IO_TIMEOUT)?;
        stream.set_read_timeout(Some(IO_TIMEOUT))?;
        stream.set_write_timeout(Some(IO_TIMEOUT))?;
        write!(
            stream,
            "GET /v2/ HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nAccept: application/json\r\n\
             Connection: close\r\n\r\n",
            self.port
        )?;
        stream.flush()?;
        // The status line is all we need; read until it is complete (the server closes the
        // connection after the answer anyway, and every read has the timeout above).
        let deadline = Instant::now() + IO_TIMEOUT;
        let mut head = Vec::new();
        let mut buf = [0_u8; 1024];
        while !head.windows(2).any(|w| w == b"\r\n") {
            ensure!(
                Instant::now() < deadline,
                "no status line within {IO_TIMEOUT:?}"
            );
            let n = stream.read(&mut buf)?;
            ensure!(n > 0, "the connection closed before a status line");
            head.extend_from_slice(&buf[..n]);
        }
        let head = String::from_utf8_lossy(&head);
        let status = head.lines().next().unwrap_or_default();
        ensure!(
            status.split_whitespace().nth(1) == Some("200"),
            "expected 200, got {status:?}"
        );
        Ok(())
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        // SIGKILL, then reap: the process cannot outlive the scenario or stay a zombie.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads the registry's stderr line by line until it closes: sends the port of the first
/// `listening on 127.0.0.1:<port>` line, and keeps the last lines for error messages. It keeps
/// reading after the port is found, so the registry never blocks on a full pipe.
fn drain(stderr: ChildStderr, tail: &Mutex<VecDeque<String>>, found: &mpsc::Sender<u16>) {
    let mut reader = BufReader::new(stderr);
    let mut line = Vec::new();
    let mut sent = false;
    loop {
        line.clear();
        match reader.read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let text = String::from_utf8_lossy(&line).trim_end().to_owned();
        if !sent && let Some(port) = listening_port(&text) {
            // The receiver may have given up already; the line is kept either way.
            let _ = found.send(port);
            sent = true;
        }
        let mut tail = tail.lock().unwrap_or_else(PoisonError::into_inner);
        if tail.len() == TAIL_LINES {
            tail.pop_front();
        }
        tail.push_back(text);
    }
}

/// The port of a `... msg="listening on 127.0.0.1:38505" ...` line.
fn listening_port(line: &str) -> Option<u16> {
    let rest = line.split("listening on 127.0.0.1:").nth(1)?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok().filter(|port| *port != 0)
}

/// A path as a YAML double-quoted scalar.
fn yaml_quoted(path: &Path) -> Result<String> {
    let text = path
        .to_str()
        .with_context(|| format!("{} is not UTF-8", path.display()))?;
    let mut quoted = String::with_capacity(text.len() + 2);
    quoted.push('"');
    for c in text.chars() {
        match c {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            c if c.is_control() => quoted.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => quoted.push(c),
        }
    }
    quoted.push('"');
    Ok(quoted)
}

/// What `e2e` does when no registry binary is found: in CI (`CI` set and non-empty) an error
/// saying how to install it, otherwise `Ok` (the caller prints the skip line).
pub(crate) fn missing() -> Result<()> {
    if env::var_os("CI").is_some_and(|ci| !ci.is_empty()) {
        bail!(
            "the OCI registry scenario needs {BINARY_NAME}, which is not installed (neither \
             {BINARY_VAR} nor PATH names it); CI is set, so this is a failure: install it with \
             `{INSTALL}` or set {BINARY_VAR} to its path"
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_port_in_the_listening_line() {
        let line = r#"time="2024-01-01T00:00:00Z" level=info msg="listening on 127.0.0.1:38505" go.version=go1.20"#;
        assert_eq!(listening_port(line), Some(38505));
        assert_eq!(listening_port("level=info msg=\"starting\""), None);
        assert_eq!(listening_port("listening on 127.0.0.1:0"), None);
    }

    #[test]
    fn quotes_paths_for_yaml() -> Result<()> {
        assert_eq!(yaml_quoted(Path::new("/tmp/a b"))?, r#""/tmp/a b""#);
        assert_eq!(yaml_quoted(Path::new("/tmp/\"x\\"))?, r#""/tmp/\"x\\""#);
        Ok(())
    }
}
