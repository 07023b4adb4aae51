//! A real OCI registry for integration tests: Debian's `docker-registry` (CNCF distribution
//! 2.8.2) run as a child process on a loopback port, with no authentication, with htpasswd Basic
//! authentication, or with bearer tokens from an in-process [`TokenServer`].
//!
//! Why a real registry: an OCI client tested only against a fake learns the fake's reading of
//! the distribution spec. distribution is the reference implementation, and its `token`
//! authentication is the Docker token protocol most registries follow, so a client that works
//! here has met the real challenge headers, upload sessions and token checks.
//!
//! Every wait has a deadline and none is a fixed sleep: [`Registry::start`] learns the port from
//! the `listening on 127.0.0.1:PORT` line the registry logs right after binding its socket, then
//! sends one `GET /v2/`. The child's stderr is drained on a thread into a bounded tail that
//! every start error quotes; dropping a [`Registry`] kills and reaps the child.
//!
//! Without the binary a test is skipped with one `SKIPPED …` line, as the golden tests do,
//! except in CI (`CI` set), where the missing binary is an error that says how to install it.
//!
//! The credentials in `fixtures/registry/` (an htpasswd entry, an RSA key and its self-signed
//! certificate) are test-only and public; see the README there for how they were made.
//!
//! [`http`] is a deliberately small HTTP/1.1 client over `TcpStream`, so tests can check the
//! registry byte for byte without any OCI library in between.

use std::{
    collections::VecDeque,
    fmt,
    io::{self, BufRead as _, BufReader, Read, Write as _},
    net::{SocketAddr, TcpListener, TcpStream, ToSocketAddrs as _},
    path::{Path, PathBuf},
    process::{Child, ChildStderr, Command, Stdio},
    sync::{
        Arc, Mutex, MutexGuard, PoisonError,
        atomic::{AtomicBool, AtomicU64, Ordering},
        mpsc::{self, RecvTimeoutError},
    },
    thread::JoinHandle,
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use anyhow::{Context as _, Result, anyhow, bail, ensure};
use base64::{
    Engine as _,
    engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD},
};
use rsa::{Pkcs1v15Sign, PrivateKey, pkcs8::DecodePrivateKey as _};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

/// The user of the htpasswd fixture and of the token server (test-only).
pub const USERNAME: &str = "ocm-test";
/// The password of [`USERNAME`] (test-only).
pub const PASSWORD: &str = "ocm-test-password";
/// Environment variable naming the `docker-registry` binary; `PATH` is searched when unset.
pub const BINARY_VAR: &str = "OCM_DOCKER_REGISTRY";
/// The command that installs the registry on Debian and Ubuntu.
pub const INSTALL_COMMAND: &str = "apt-get install -y --no-install-recommends docker-registry";
/// How long [`Registry::start`] waits for the registry to listen and answer.
pub const START_DEADLINE: Duration = Duration::from_secs(20);
/// Connect, read and write timeout of [`http`].
pub const HTTP_TIMEOUT: Duration = Duration::from_secs(30);

/// The binary's name on `PATH`.
const BINARY_NAME: &str = "docker-registry";
/// The realm of the registry's Basic challenge.
const BASIC_REALM: &str = "ocm-test-registry";
/// `iss` of the tokens, and the `issuer` the registry expects.
const TOKEN_ISSUER: &str = "ocm-test-token-issuer";
/// `aud` of the tokens, and the `service` the registry names in its challenge.
const TOKEN_SERVICE: &str = "ocm-test-registry";
/// The one refresh token the token server accepts.
const REFRESH_TOKEN: &str = "ocm-test-refresh-token";
/// Lifetime of an access token, in seconds (`expires_in`).
const TOKEN_LIFETIME_SECS: u64 = 300;
/// How much of the registry's stderr is kept for error messages.
const TAIL_BYTES: usize = 64 * 1024;
/// Longer stderr lines are kept in pieces of this size.
const MAX_LINE: usize = 8 * 1024;
/// Largest response [`http`] accepts.
const MAX_RESPONSE: u64 = 1024 * 1024 * 1024;
/// Largest request head and body the token server accepts.
const MAX_REQUEST: usize = 1024 * 1024;
/// Read and write timeout of the token server's connections.
const TOKEN_IO_TIMEOUT: Duration = Duration::from_secs(10);
/// How long dropping a [`Registry`] waits for the stderr drain to see end-of-file.
const DRAIN_JOIN_DEADLINE: Duration = Duration::from_secs(5);

/// A file in `fixtures/registry/`.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/registry")
        .join(name)
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The OCI digest (`sha256:<hex>`) of `bytes`.
pub fn sha256_digest(bytes: &[u8]) -> String {
    let hash = Sha256::digest(bytes);
    let mut digest = String::with_capacity(7 + 64);
    digest.push_str("sha256:");
    for byte in hash {
        digest.push_str(&format!("{byte:02x}"));
    }
    digest
}

// ---------------------------------------------------------------------------------------------
// The registry process

/// How the registry authenticates its clients.
#[derive(Debug, Clone, Copy, Default)]
pub enum RegistryAuth<'a> {
    /// Anyone may pull and push.
    #[default]
    None,
    /// htpasswd Basic authentication with [`USERNAME`] and [`PASSWORD`].
    Basic,
    /// Bearer tokens from this token server (distribution's `token` authentication). The server
    /// must outlive the registry's use.
    Token(&'a TokenServer),
}

/// The kept end of a child's stderr.
#[derive(Debug, Default)]
struct Tail {
    lines: VecDeque<String>,
    bytes: usize,
}

impl Tail {
    fn push(&mut self, line: String) {
        self.bytes += line.len();
        self.lines.push_back(line);
        while self.bytes > TAIL_BYTES {
            let Some(old) = self.lines.pop_front() else {
                break;
            };
            self.bytes -= old.len();
        }
    }

    fn text(&self) -> String {
        self.lines
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// The port of distribution's "listening" log line; 2.8.2 logs, in text format,
/// `time="…" level=info msg="listening on 127.0.0.1:41011" go.version=… instance.id=… version=…`
/// (`, tls` follows the address with TLS), right after binding the socket.
fn listening_port(line: &str) -> Option<u16> {
    let rest = line.split_once("msg=\"listening on ")?.1;
    let addr = rest.split(['"', ',']).next()?;
    addr.parse::<SocketAddr>().ok().map(|addr| addr.port())
}

/// Copies the child's stderr into `tail` until end-of-file, and sends the port once it is
/// logged; the pipe never fills, so the child never blocks on it.
fn drain(stderr: ChildStderr, tail: &Mutex<Tail>, port: mpsc::Sender<u16>) {
    let mut reader = BufReader::new(stderr);
    let mut port = Some(port);
    let mut line = Vec::new();
    loop {
        line.clear();
        match (&mut reader)
            .take(MAX_LINE as u64)
            .read_until(b'\n', &mut line)
        {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        let text = String::from_utf8_lossy(&line).trim_end().to_owned();
        let found = port.as_ref().and_then(|_| listening_port(&text));
        lock(tail).push(text);
        if let Some(found) = found
            && let Some(sender) = port.take()
        {
            // The receiver is gone only when start already failed.
            let _ = sender.send(found);
        }
    }
}

/// A `docker-registry` child process serving on `127.0.0.1:<random port>`, with its
/// configuration and storage in a temporary directory. Dropping it kills and reaps the process
/// and deletes the directory.
#[derive(Debug)]
pub struct Registry {
    child: Child,
    port: u16,
    tls: bool,
    dir: tempfile::TempDir,
    tail: Arc<Mutex<Tail>>,
    drain: Option<(JoinHandle<()>, mpsc::Receiver<()>)>,
}

impl Registry {
    /// Starts a registry and waits (at most [`START_DEADLINE`]) until `GET /v2/` answers 200,
    /// or 401 with authentication.
    ///
    /// The binary is `$OCM_DOCKER_REGISTRY` if set, else `docker-registry` on `PATH`. Without
    /// it this prints one line `SKIPPED <test_name>: docker-registry is not installed (…)` to
    /// stderr and returns `Ok(None)`, or returns an error saying how to install it when `CI` is
    /// set. Every start failure carries the end of the registry's stderr.
    pub fn start(test_name: &str, auth: RegistryAuth<'_>) -> Result<Option<Self>> {
        Self::start_with(test_name, auth, false)
    }

    /// [`Registry::start`] without authentication, serving HTTPS only, with the fixture
    /// certificate `tls.crt` (for `127.0.0.1` and `localhost`) issued by the fixture CA
    /// `tls-ca.crt`: clients trust it through that CA (e.g. `SSL_CERT_FILE`).
    pub fn start_tls(test_name: &str) -> Result<Option<Self>> {
        Self::start_with(test_name, RegistryAuth::None, true)
    }

    fn start_with(test_name: &str, auth: RegistryAuth<'_>, tls: bool) -> Result<Option<Self>> {
        let found = locate_binary(
            std::env::var_os(BINARY_VAR),
            std::env::var_os("PATH"),
            &|path| is_executable(path),
        )?;
        let Some(binary) = found else {
            let why = format!("{BINARY_NAME} is not installed ({INSTALL_COMMAND})");
            if std::env::var_os("CI").is_some_and(|ci| !ci.is_empty()) {
                bail!(
                    "{test_name}: {why}; CI is set, so a missing registry is a failure: install \
                     it with `{INSTALL_COMMAND}` or set {BINARY_VAR} to the binary's path"
                );
            }
            // Straight to the stderr stream, past libtest's output capture, so the line shows.
            let _ = writeln!(io::stderr(), "SKIPPED {test_name}: {why}");
            return Ok(None);
        };
        Self::start_binary(&binary, auth, tls).map(Some)
    }

    /// [`Registry::start`] with a known binary.
    fn start_binary(binary: &Path, auth: RegistryAuth<'_>, tls: bool) -> Result<Self> {
        let dir = tempfile::Builder::new()
            .prefix("ocm-registry-")
            .tempdir()
            .context("creating the registry's temporary directory")?;
        let storage = dir.path().join("storage");
        std::fs::create_dir(&storage).with_context(|| format!("creating {}", storage.display()))?;
        let config = dir.path().join("config.yml");
        std::fs::write(&config, config_yaml(&storage, auth, tls)?)
            .with_context(|| format!("writing {}", config.display()))?;

        let mut command = Command::new(binary);
        // distribution lets REGISTRY_* variables override the configuration (an address, a
        // storage driver, auth): none from the caller's environment may change the test's.
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("REGISTRY_") {
                command.env_remove(key);
            }
        }
        let child = command
            .arg("serve")
            .arg(&config)
            .stdin(Stdio::null())
            // Only the access log goes to stdout, and the configuration turns it off.
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| format!("starting {} serve", binary.display()))?;
        // From here on, an early return drops `registry`, which kills the child.
        let mut registry = Self {
            child,
            port: 0,
            tls,
            dir,
            tail: Arc::default(),
            drain: None,
        };
        let stderr = registry
            .child
            .stderr
            .take()
            .context("the registry's stderr was not piped")?;
        let (port_tx, port_rx) = mpsc::channel();
        let (done_tx, done_rx) = mpsc::channel();
        let tail = Arc::clone(&registry.tail);
        let thread = std::thread::Builder::new()
            .name("registry-stderr".to_owned())
            .spawn(move || {
                drain(stderr, &tail, port_tx);
                let _ = done_tx.send(());
            })
            .context("spawning the stderr drain thread")?;
        registry.drain = Some((thread, done_rx));

        let deadline = Instant::now() + START_DEADLINE;
        registry.port = match port_rx.recv_timeout(START_DEADLINE) {
            Ok(port) => port,
            Err(RecvTimeoutError::Timeout) => {
                return Err(registry.failure(&format!(
                    "the registry logged no `listening on` line within {START_DEADLINE:?}"
                )));
            }
            Err(RecvTimeoutError::Disconnected) => {
                let status = match registry.child.try_wait() {
                    Ok(Some(status)) => status.to_string(),
                    Ok(None) => "closed its stderr".to_owned(),
                    Err(e) => format!("status unknown: {e}"),
                };
                return Err(
                    registry.failure(&format!("the registry stopped before listening ({status})"))
                );
            }
        };

        // The line is logged after the socket is bound, so the connection is queued even if
        // the server has not begun accepting: one request suffices.
        // Over TLS the plain-HTTP probe gets Go's 400 for "an HTTP request to an HTTPS
        // server", which shows the server is serving just as well.
        let expected = if tls {
            400
        } else if matches!(auth, RegistryAuth::None) {
            200
        } else {
            401
        };
        let remaining = deadline.saturating_duration_since(Instant::now());
        if remaining.is_zero() {
            return Err(registry.failure("start deadline passed before GET /v2/"));
        }
        let url = format!("http://{}/v2/", registry.host_port());
        match http_with_timeout("GET", &url, &[], &[], remaining) {
            Ok(response) if response.status == expected => Ok(registry),
            Ok(response) => Err(registry.failure(&format!(
                "GET {url} answered {}, expected {expected}: {}",
                response.status,
                response.text()
            ))),
            Err(e) => Err(registry.failure(&format!("GET {url} failed: {e:#}"))),
        }
    }

    /// An error with the end of the registry's stderr.
    fn failure(&self, message: &str) -> anyhow::Error {
        anyhow!(
            "{message}\n--- end of docker-registry's stderr ---\n{}",
            self.stderr_tail()
        )
    }

    /// The process id of the registry (gone once the registry is dropped).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `127.0.0.1:PORT`.
    pub fn host_port(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn url(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{}", self.host_port())
    }

    /// The root of the registry's filesystem storage.
    pub fn storage_dir(&self) -> PathBuf {
        self.dir.path().join("storage")
    }

    /// The last lines (up to 64 KiB) the registry wrote to stderr.
    pub fn stderr_tail(&self) -> String {
        lock(&self.tail).text()
    }

    /// Sends `method` to `path_and_query` (starting with `/`) on the registry with `auth`.
    /// Any status is returned.
    pub fn request(
        &self,
        method: &str,
        path_and_query: &str,
        headers: &[(&str, &str)],
        body: &[u8],
        auth: HttpAuth<'_>,
    ) -> Result<RawResponse> {
        let authorization = auth.header_value();
        let mut all: Vec<(&str, &str)> = headers.to_vec();
        if let Some(value) = &authorization {
            all.push(("Authorization", value));
        }
        http(
            method,
            &format!("{}{path_and_query}", self.url()),
            &all,
            body,
        )
    }

    /// The tags of `repository` (`GET /v2/<repository>/tags/list`, which must answer 200).
    pub fn get_tags(&self, repository: &str, auth: HttpAuth<'_>) -> Result<Vec<String>> {
        let path = format!("/v2/{repository}/tags/list");
        let response = self
            .request("GET", &path, &[], &[], auth)?
            .expect_status(&[200], &format!("GET {path}"))?;
        let json = response.json()?;
        let tags = match &json["tags"] {
            Value::Null => Vec::new(),
            Value::Array(tags) => tags
                .iter()
                .map(|tag| tag.as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>()
                .with_context(|| format!("GET {path}: a tag is not a string: {json}"))?,
            other => bail!("GET {path}: `tags` is not a list: {other}"),
        };
        Ok(tags)
    }

    /// The 200 answer to `GET /v2/<repository>/manifests/<reference>` with `Accept: accept`:
    /// the manifest is its body, its media type the `Content-Type` header and its digest the
    /// `Docker-Content-Digest` header.
    pub fn get_manifest(
        &self,
        repository: &str,
        reference: &str,
        accept: &str,
        auth: HttpAuth<'_>,
    ) -> Result<RawResponse> {
        let path = format!("/v2/{repository}/manifests/{reference}");
        self.request("GET", &path, &[("Accept", accept)], &[], auth)?
            .expect_status(&[200], &format!("GET {path}"))
    }

    /// The bytes of a blob (`GET /v2/<repository>/blobs/<digest>`, which must answer 200).
    pub fn get_blob(&self, repository: &str, digest: &str, auth: HttpAuth<'_>) -> Result<Vec<u8>> {
        let path = format!("/v2/{repository}/blobs/{digest}");
        Ok(self
            .request("GET", &path, &[], &[], auth)?
            .expect_status(&[200], &format!("GET {path}"))?
            .body)
    }

    /// Uploads a blob in one piece (`POST /v2/<repository>/blobs/uploads/`, then `PUT` to the
    /// returned location with `?digest=`) and returns its digest.
    pub fn push_blob(&self, repository: &str, bytes: &[u8], auth: HttpAuth<'_>) -> Result<String> {
        let digest = sha256_digest(bytes);
        let path = format!("/v2/{repository}/blobs/uploads/");
        let started = self
            .request("POST", &path, &[], &[], auth)?
            .expect_status(&[202], &format!("POST {path}"))?;
        let location = started
            .header("location")
            .with_context(|| format!("POST {path}: 202 without a Location header"))?;
        let location = if location.starts_with('/') {
            format!("{}{location}", self.url())
        } else {
            location.to_owned()
        };
        let separator = if location.contains('?') { '&' } else { '?' };
        let put = format!("{location}{separator}digest={}", digest.replace(':', "%3A"));
        let length = bytes.len().to_string();
        let mut headers = vec![
            ("Content-Type", "application/octet-stream"),
            ("Content-Length", length.as_str()),
        ];
        let authorization = auth.header_value();
        if let Some(value) = &authorization {
            headers.push(("Authorization", value));
        }
        let response =
            http("PUT", &put, &headers, bytes)?.expect_status(&[201], &format!("PUT {put}"))?;
        if let Some(stored) = response.header("docker-content-digest") {
            ensure!(
                stored == digest,
                "PUT {put}: the registry stored {stored}, not {digest}"
            );
        }
        Ok(digest)
    }

    /// Stores a manifest under `reference` (a tag or digest; `PUT
    /// /v2/<repository>/manifests/<reference>` with `Content-Type: media_type`, which must
    /// answer 201) and returns its digest.
    pub fn push_manifest(
        &self,
        repository: &str,
        reference: &str,
        media_type: &str,
        bytes: &[u8],
        auth: HttpAuth<'_>,
    ) -> Result<String> {
        let path = format!("/v2/{repository}/manifests/{reference}");
        let response = self
            .request("PUT", &path, &[("Content-Type", media_type)], bytes, auth)?
            .expect_status(&[201], &format!("PUT {path}"))?;
        let digest = sha256_digest(bytes);
        if let Some(stored) = response.header("docker-content-digest") {
            ensure!(
                stored == digest,
                "PUT {path}: the registry stored {stored}, not {digest}"
            );
        }
        Ok(digest)
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        // SIGKILL: nothing of the registry's state is worth a graceful stop. Fails only when
        // the child was already reaped.
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some((thread, done)) = self.drain.take() {
            // The drain ends at end-of-file, which the dead child gives at once; only a
            // grandchild holding the pipe could delay it, and then the thread is left behind.
            if done.recv_timeout(DRAIN_JOIN_DEADLINE).is_ok() {
                let _ = thread.join();
            }
        }
    }
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// The registry binary: `explicit` (the value of [`BINARY_VAR`]) if set and non-empty, which
/// must then be executable, else `docker-registry` in the first `PATH` directory holding an
/// executable one.
fn locate_binary(
    explicit: Option<std::ffi::OsString>,
    path: Option<std::ffi::OsString>,
    executable: &dyn Fn(&Path) -> bool,
) -> Result<Option<PathBuf>> {
    if let Some(explicit) = explicit.filter(|value| !value.is_empty()) {
        let binary = PathBuf::from(explicit);
        ensure!(
            executable(&binary),
            "{BINARY_VAR} is set to {}, which is not an executable file",
            binary.display()
        );
        return Ok(Some(binary));
    }
    Ok(path.and_then(|path| {
        std::env::split_paths(&path)
            .filter(|dir| !dir.as_os_str().is_empty())
            .map(|dir| dir.join(BINARY_NAME))
            .find(|candidate| executable(candidate))
    }))
}

/// A JSON string, which is also a valid YAML double-quoted scalar.
fn yaml_string(value: &str) -> Result<String> {
    serde_json::to_string(value).context("quoting a YAML string")
}

fn yaml_path(path: &Path) -> Result<String> {
    yaml_string(
        path.to_str()
            .with_context(|| format!("{} is not UTF-8", path.display()))?,
    )
}

/// The registry's configuration: loopback only, a random port, filesystem storage, info logs
/// in text format on stderr (the port is read from them), no access log.
fn config_yaml(storage: &Path, auth: RegistryAuth<'_>, tls: bool) -> Result<String> {
    let mut yaml = format!(
        "version: 0.1
log:
  level: info
  formatter: text
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: {root}
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: 127.0.0.1:0
  secret: ocm-test-http-secret
",
        root = yaml_path(storage)?
    );
    if tls {
        yaml.push_str(&format!(
            "  tls:\n    certificate: {}\n    key: {}\n",
            yaml_path(&fixture("tls.crt"))?,
            yaml_path(&fixture("tls.key"))?
        ));
    }
    match auth {
        RegistryAuth::None => {}
        RegistryAuth::Basic => {
            yaml.push_str(&format!(
                "auth:\n  htpasswd:\n    realm: {}\n    path: {}\n",
                yaml_string(BASIC_REALM)?,
                yaml_path(&fixture("htpasswd"))?
            ));
        }
        RegistryAuth::Token(server) => {
            yaml.push_str(&format!(
                "auth:\n  token:\n    realm: {}\n    service: {}\n    issuer: {}\n    \
                 rootcertbundle: {}\n",
                yaml_string(&server.realm())?,
                yaml_string(server.service())?,
                yaml_string(server.issuer())?,
                yaml_path(&fixture("token.crt"))?
            ));
        }
    }
    Ok(yaml)
}

// ---------------------------------------------------------------------------------------------
// The raw HTTP client

/// Credentials for a registry request.
#[derive(Debug, Clone, Copy, Default)]
pub enum HttpAuth<'a> {
    /// No `Authorization` header.
    #[default]
    Anonymous,
    /// `Authorization: Basic …`.
    Basic {
        /// The user name.
        username: &'a str,
        /// The password.
        password: &'a str,
    },
    /// `Authorization: Bearer <token>`.
    Bearer(&'a str),
}

impl HttpAuth<'static> {
    /// Basic authentication with the fixture user [`USERNAME`] and [`PASSWORD`].
    pub const FIXTURE: Self = Self::Basic {
        username: USERNAME,
        password: PASSWORD,
    };
}

impl HttpAuth<'_> {
    /// The `Authorization` header value, if any.
    pub fn header_value(&self) -> Option<String> {
        match self {
            Self::Anonymous => None,
            Self::Basic { username, password } => Some(format!(
                "Basic {}",
                STANDARD.encode(format!("{username}:{password}"))
            )),
            Self::Bearer(token) => Some(format!("Bearer {token}")),
        }
    }
}

/// An HTTP response as received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawResponse {
    /// The status code.
    pub status: u16,
    /// The header fields in order, names as sent.
    pub headers: Vec<(String, String)>,
    /// The body, de-chunked.
    pub body: Vec<u8>,
}

impl RawResponse {
    /// The first header field called `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// The body as text, invalid UTF-8 replaced.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body parsed as JSON.
    pub fn json(&self) -> Result<Value> {
        serde_json::from_slice(&self.body)
            .with_context(|| format!("the body is not JSON: {}", self.text()))
    }

    /// `self` if its status is one of `expected`, else an error naming `what`, the status and
    /// the body.
    pub fn expect_status(self, expected: &[u16], what: &str) -> Result<Self> {
        if expected.contains(&self.status) {
            return Ok(self);
        }
        let mut text = self.text();
        if text.len() > 2048 {
            let mut end = 2048;
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            text.truncate(end);
            text.push('…');
        }
        bail!(
            "{what}: status {}, expected {expected:?}: {text}",
            self.status
        )
    }
}

/// Sends one HTTP/1.1 request (`Connection: close`) to an `http://` URL and reads the whole
/// response: a `Content-Length` body, a chunked body or a body up to end-of-file. `Host` and
/// `Connection` are set here; `Content-Length` too unless `headers` has one. Every connect,
/// read and write has the timeout [`HTTP_TIMEOUT`].
pub fn http(method: &str, url: &str, headers: &[(&str, &str)], body: &[u8]) -> Result<RawResponse> {
    http_with_timeout(method, url, headers, body, HTTP_TIMEOUT)
}

/// `http://authority/target` split into the authority and the request target.
fn split_url(url: &str) -> Result<(&str, String)> {
    let rest = url
        .strip_prefix("http://")
        .with_context(|| format!("{url} is not an http:// URL"))?;
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, target) = rest.split_at(end);
    ensure!(!authority.is_empty(), "{url} has no host");
    let target = match target.chars().next() {
        None => "/".to_owned(),
        Some('?') => format!("/{target}"),
        Some(_) => target.to_owned(),
    };
    Ok((authority, target))
}

fn http_with_timeout(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    timeout: Duration,
) -> Result<RawResponse> {
    let (authority, target) = split_url(url)?;
    let addresses = authority
        .to_socket_addrs()
        .with_context(|| format!("resolving {authority}"))?;
    let mut last_error = None;
    let mut connected = None;
    for address in addresses {
        match TcpStream::connect_timeout(&address, timeout) {
            Ok(stream) => {
                connected = Some(stream);
                break;
            }
            Err(e) => last_error = Some(e),
        }
    }
    let mut stream = match (connected, last_error) {
        (Some(stream), _) => stream,
        (None, Some(e)) => return Err(e).with_context(|| format!("connecting to {authority}")),
        (None, None) => bail!("{authority} resolved to no address"),
    };
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;

    let mut head =
        format!("{method} {target} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n");
    let has_length = headers
        .iter()
        .any(|(name, _)| name.eq_ignore_ascii_case("content-length"));
    if !has_length && (!body.is_empty() || !matches!(method, "GET" | "HEAD" | "DELETE")) {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    for (name, value) in headers {
        ensure!(
            !name.contains(['\r', '\n', ':']) && !value.contains(['\r', '\n']),
            "header {name:?} would break the request"
        );
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let sent = stream
        .write_all(head.as_bytes())
        .and_then(|()| stream.write_all(body))
        .and_then(|()| stream.flush());

    // A server may answer and close without reading a body it refuses (the write then fails)
    // or reset the connection after a complete answer: a complete answer wins either way.
    let mut raw = Vec::new();
    let read = (&stream).take(MAX_RESPONSE + 1).read_to_end(&mut raw);
    let parsed = parse_response(&raw, method == "HEAD");
    if parsed.is_ok() {
        return parsed;
    }
    sent.with_context(|| format!("sending {method} {url}"))?;
    read.with_context(|| format!("reading the answer to {method} {url}"))?;
    ensure!(
        raw.len() as u64 <= MAX_RESPONSE,
        "the answer to {method} {url} exceeds {MAX_RESPONSE} bytes"
    );
    parsed.with_context(|| format!("the answer to {method} {url}"))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

/// Parses a complete response; an incomplete one is an error.
fn parse_response(raw: &[u8], head_only: bool) -> Result<RawResponse> {
    let end = find(raw, b"\r\n\r\n").context("no complete response head")?;
    let head = String::from_utf8_lossy(&raw[..end]);
    let rest = &raw[end + 4..];
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let mut parts = status_line.split(' ');
    let version = parts.next().unwrap_or_default();
    ensure!(
        version.starts_with("HTTP/1."),
        "not an HTTP/1 status line: {status_line:?}"
    );
    let status: u16 = parts
        .next()
        .and_then(|code| code.parse().ok())
        .with_context(|| format!("no status code in {status_line:?}"))?;
    let headers = lines
        .map(|line| {
            line.split_once(':')
                .map(|(name, value)| (name.trim().to_owned(), value.trim().to_owned()))
                .with_context(|| format!("malformed header line {line:?}"))
        })
        .collect::<Result<Vec<_>>>()?;
    let mut response = RawResponse {
        status,
        headers,
        body: Vec::new(),
    };
    if head_only || status / 100 == 1 || status == 204 || status == 304 {
        return Ok(response);
    }
    let chunked = response
        .header("transfer-encoding")
        .is_some_and(|value| value.to_ascii_lowercase().contains("chunked"));
    response.body = if chunked {
        dechunk(rest)?
    } else if let Some(length) = response.header("content-length") {
        let length: usize = length
            .parse()
            .with_context(|| format!("bad Content-Length {length:?}"))?;
        ensure!(
            rest.len() >= length,
            "the body ended after {} of {length} bytes",
            rest.len()
        );
        rest[..length].to_vec()
    } else {
        rest.to_vec()
    };
    Ok(response)
}

/// Decodes a complete chunked body (trailers are ignored).
fn dechunk(mut raw: &[u8]) -> Result<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let end = find(raw, b"\r\n").context("a chunk size line is incomplete")?;
        let line = std::str::from_utf8(&raw[..end]).context("a chunk size is not text")?;
        let size = line.split(';').next().unwrap_or_default().trim();
        let size =
            usize::from_str_radix(size, 16).with_context(|| format!("bad chunk size {size:?}"))?;
        raw = &raw[end + 2..];
        if size == 0 {
            return Ok(body);
        }
        ensure!(
            raw.len() >= size + 2,
            "a chunk of {size} bytes is incomplete"
        );
        body.extend_from_slice(&raw[..size]);
        ensure!(&raw[size..size + 2] == b"\r\n", "a chunk lacks its CRLF");
        raw = &raw[size + 2..];
    }
}

// ---------------------------------------------------------------------------------------------
// The token server

/// `application/x-www-form-urlencoded` encoding of `pairs`, sorted by name: the route table's
/// query codec (Go's `url.Values.Encode`), also fine for query strings.
pub fn form_urlencoded(pairs: &[(&str, &str)]) -> String {
    ocm_plugin_endpoints::encode_query(pairs.iter().copied())
}

fn parse_form(text: &str) -> Vec<(String, String)> {
    // A form that does not decode (not UTF-8) carries nothing the token server accepts.
    ocm_plugin_endpoints::decode_query(text).unwrap_or_default()
}

fn form_value<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    form.iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
}

/// One `access` entry of a token.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Access {
    kind: String,
    name: String,
    actions: Vec<String>,
}

impl Access {
    fn to_json(&self) -> Value {
        json!({"type": self.kind, "name": self.name, "actions": self.actions})
    }
}

/// The access `scope` values ask for: each is one or more space-separated
/// `type:name:action,action` (the name may itself contain colons); malformed ones are ignored.
fn parse_scopes<'a>(values: impl IntoIterator<Item = &'a str>) -> Vec<Access> {
    values
        .into_iter()
        .flat_map(str::split_whitespace)
        .filter_map(|scope| {
            let (kind, rest) = scope.split_once(':')?;
            let (name, actions) = rest.rsplit_once(':')?;
            Some(Access {
                kind: kind.to_owned(),
                name: name.to_owned(),
                actions: actions
                    .split(',')
                    .filter(|action| !action.is_empty())
                    .map(str::to_owned)
                    .collect(),
            })
        })
        .collect()
}

/// The PEM body of the first `CERTIFICATE` block, as standard base64 of the DER (an `x5c`
/// entry).
fn certificate_base64(pem: &str) -> Result<String> {
    let body: String = pem
        .lines()
        .skip_while(|line| line.trim() != "-----BEGIN CERTIFICATE-----")
        .skip(1)
        .take_while(|line| line.trim() != "-----END CERTIFICATE-----")
        .map(str::trim)
        .collect();
    let der = STANDARD
        .decode(&body)
        .context("the certificate PEM is not base64")?;
    ensure!(!der.is_empty(), "no CERTIFICATE block in the PEM");
    Ok(STANDARD.encode(der))
}

/// Signs tokens as the fixture issuer.
struct Issuer {
    key: PrivateKey,
    /// The encoded JOSE header: RS256 with the certificate in `x5c`.
    header: String,
    serial: AtomicU64,
}

impl Issuer {
    fn from_fixtures() -> Result<Self> {
        let key_path = fixture("token.key");
        let key_pem = std::fs::read_to_string(&key_path)
            .with_context(|| format!("reading {}", key_path.display()))?;
        let key = PrivateKey::from_pkcs8_pem(&key_pem)
            .map_err(|e| anyhow!("{} is not a PKCS#8 RSA key: {e}", key_path.display()))?;
        let cert_path = fixture("token.crt");
        let cert_pem = std::fs::read_to_string(&cert_path)
            .with_context(|| format!("reading {}", cert_path.display()))?;
        let x5c = certificate_base64(&cert_pem).with_context(|| cert_path.display().to_string())?;
        let header = json!({"typ": "JWT", "alg": "RS256", "x5c": [x5c]});
        Ok(Self {
            key,
            header: URL_SAFE_NO_PAD.encode(header.to_string()),
            serial: AtomicU64::new(0),
        })
    }

    /// A JWT for `subject` granting `access`, valid for [`TOKEN_LIFETIME_SECS`].
    fn token(&self, subject: &str, audience: &str, access: &[Access]) -> Result<String> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .context("the clock is before 1970")?
            .as_secs();
        let serial = self.serial.fetch_add(1, Ordering::Relaxed);
        let claims = json!({
            "iss": TOKEN_ISSUER,
            "sub": subject,
            "aud": audience,
            "exp": now + TOKEN_LIFETIME_SECS,
            "nbf": now,
            "iat": now,
            "jti": format!("ocm-test-{}-{now}-{serial}", std::process::id()),
            "access": access.iter().map(Access::to_json).collect::<Vec<_>>(),
        });
        let signing_input = format!(
            "{}.{}",
            self.header,
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let hash = Sha256::digest(signing_input.as_bytes());
        let signature = self
            .key
            .sign(Pkcs1v15Sign::new::<Sha256>(), &hash)
            .map_err(|e| anyhow!("signing a token: {e}"))?;
        Ok(format!(
            "{signing_input}.{}",
            URL_SAFE_NO_PAD.encode(signature)
        ))
    }
}

/// What the token server's thread shares with its handle.
struct Shared {
    issuer: Issuer,
    requests: AtomicU64,
}

/// An HTTP request as the token server reads it.
#[derive(Debug)]
struct Request {
    method: String,
    path: String,
    query: Vec<(String, String)>,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

/// An answer of the token server.
struct Reply {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: Value,
}

impl Reply {
    fn json(status: u16, body: Value) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body,
        }
    }

    /// A distribution-style error document.
    fn error(status: u16, code: &str, message: &str) -> Self {
        Self::json(
            status,
            json!({"errors": [{"code": code, "message": message}]}),
        )
    }

    /// An OAuth2 error document (RFC 6749 §5.2).
    fn oauth_error(status: u16, error: &str, description: &str) -> Self {
        Self::json(
            status,
            json!({"error": error, "error_description": description}),
        )
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        405 => "Method Not Allowed",
        413 => "Payload Too Large",
        501 => "Not Implemented",
        _ => "Internal Server Error",
    }
}

/// Reads one request (head, then a `Content-Length` body).
fn read_request(stream: &mut TcpStream) -> Result<Request, Reply> {
    let bad = |message: &str| Reply::error(400, "BAD_REQUEST", message);
    let mut raw = Vec::new();
    let mut buffer = [0_u8; 8192];
    let head_end = loop {
        if let Some(end) = find(&raw, b"\r\n\r\n") {
            break end;
        }
        if raw.len() > MAX_REQUEST {
            return Err(Reply::error(413, "TOO_LARGE", "request head too large"));
        }
        match stream.read(&mut buffer) {
            Ok(0) | Err(_) => return Err(bad("incomplete request head")),
            Ok(n) => raw.extend_from_slice(&buffer[..n]),
        }
    };
    let head = String::from_utf8_lossy(&raw[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or_default();
    let mut parts = request_line.split(' ');
    let (Some(method), Some(target), Some(version)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(bad("malformed request line"));
    };
    if !version.starts_with("HTTP/1.") {
        return Err(bad("not HTTP/1"));
    }
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_owned(), value.trim().to_owned()))
        .collect::<Vec<_>>();
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let mut request = Request {
        method: method.to_owned(),
        path: path.to_owned(),
        query: parse_form(query),
        headers,
        body: raw[head_end + 4..].to_vec(),
    };
    if request
        .header("transfer-encoding")
        .is_some_and(|value| !value.eq_ignore_ascii_case("identity"))
    {
        return Err(Reply::error(
            501,
            "UNSUPPORTED",
            "chunked requests are not supported; send Content-Length",
        ));
    }
    let length = match request.header("content-length") {
        None => 0,
        Some(value) => value
            .parse::<usize>()
            .map_err(|_| bad("bad Content-Length"))?,
    };
    if length > MAX_REQUEST {
        return Err(Reply::error(413, "TOO_LARGE", "request body too large"));
    }
    while request.body.len() < length {
        match stream.read(&mut buffer) {
            Ok(0) | Err(_) => return Err(bad("incomplete request body")),
            Ok(n) => request.body.extend_from_slice(&buffer[..n]),
        }
    }
    request.body.truncate(length);
    Ok(request)
}

fn write_reply(stream: &mut TcpStream, reply: &Reply) -> io::Result<()> {
    let body = reply.body.to_string();
    let mut head = format!(
        "HTTP/1.1 {} {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         Connection: close\r\n",
        reply.status,
        reason(reply.status),
        body.len()
    );
    for (name, value) in &reply.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    stream.write_all(body.as_bytes())?;
    stream.flush()
}

impl Shared {
    fn answer(&self, request: &Request) -> Reply {
        if request.path != "/token" {
            return Reply::error(404, "NOT_FOUND", "the token endpoint is /token");
        }
        let result = match request.method.as_str() {
            "GET" => self.get_token(request),
            "POST" => self.post_token(request),
            _ => return Reply::error(405, "UNSUPPORTED", "GET or POST /token"),
        };
        result.unwrap_or_else(|e| Reply::error(500, "INTERNAL", &format!("{e:#}")))
    }

    /// `GET /token?service=…&scope=…` with Basic credentials (the Docker token protocol).
    fn get_token(&self, request: &Request) -> Result<Reply> {
        if let Some(reply) = check_service(form_value(&request.query, "service")) {
            return Ok(reply);
        }
        if !basic_credentials_valid(request.header("authorization")) {
            let mut reply = Reply::error(
                401,
                "UNAUTHORIZED",
                "Basic credentials of the fixture user are required",
            );
            reply.headers.push((
                "WWW-Authenticate",
                "Basic realm=\"ocm-test-token\"".to_owned(),
            ));
            return Ok(reply);
        }
        let access = parse_scopes(
            request
                .query
                .iter()
                .filter(|(name, _)| name == "scope")
                .map(|(_, value)| value.as_str()),
        );
        let token = self.issuer.token(USERNAME, TOKEN_SERVICE, &access)?;
        Ok(Reply::json(
            200,
            json!({"token": token, "access_token": token, "expires_in": TOKEN_LIFETIME_SECS}),
        ))
    }

    /// `POST /token` with a form: the OAuth2 `refresh_token` and `password` grants.
    fn post_token(&self, request: &Request) -> Result<Reply> {
        let form = parse_form(&String::from_utf8_lossy(&request.body));
        if let Some(reply) = check_service(form_value(&form, "service")) {
            return Ok(reply);
        }
        let subject = match form_value(&form, "grant_type") {
            Some("refresh_token") => {
                if form_value(&form, "refresh_token") != Some(REFRESH_TOKEN) {
                    return Ok(Reply::oauth_error(
                        401,
                        "invalid_grant",
                        "unknown refresh token",
                    ));
                }
                USERNAME
            }
            Some("password") => {
                if form_value(&form, "username") != Some(USERNAME)
                    || form_value(&form, "password") != Some(PASSWORD)
                {
                    return Ok(Reply::oauth_error(
                        401,
                        "invalid_grant",
                        "wrong username or password",
                    ));
                }
                USERNAME
            }
            other => {
                return Ok(Reply::oauth_error(
                    400,
                    "unsupported_grant_type",
                    &format!("grant_type {other:?} is not supported"),
                ));
            }
        };
        let access = parse_scopes(
            form.iter()
                .filter(|(name, _)| name == "scope")
                .map(|(_, value)| value.as_str()),
        );
        let token = self.issuer.token(subject, TOKEN_SERVICE, &access)?;
        Ok(Reply::json(
            200,
            json!({
                "access_token": token,
                "refresh_token": REFRESH_TOKEN,
                "expires_in": TOKEN_LIFETIME_SECS,
            }),
        ))
    }
}

/// A 400 reply when a request names another service than ours.
fn check_service(service: Option<&str>) -> Option<Reply> {
    match service {
        Some(service) if service != TOKEN_SERVICE => Some(Reply::error(
            400,
            "INVALID_REQUEST",
            &format!("unknown service {service:?}, expected {TOKEN_SERVICE:?}"),
        )),
        _ => None,
    }
}

fn basic_credentials_valid(authorization: Option<&str>) -> bool {
    let Some((scheme, encoded)) = authorization.and_then(|value| value.trim().split_once(' '))
    else {
        return false;
    };
    if !scheme.eq_ignore_ascii_case("basic") {
        return false;
    }
    STANDARD
        .decode(encoded.trim())
        .ok()
        .and_then(|decoded| String::from_utf8(decoded).ok())
        .is_some_and(|pair| pair == format!("{USERNAME}:{PASSWORD}"))
}

fn serve(listener: &TcpListener, shared: &Shared, stop: &AtomicBool) {
    for connection in listener.incoming() {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        // One request per connection, answered in turn: token requests are few and small,
        // and the timeouts bound how long one client can hold the others up.
        let Ok(mut stream) = connection else {
            continue;
        };
        if stream.set_read_timeout(Some(TOKEN_IO_TIMEOUT)).is_err()
            || stream.set_write_timeout(Some(TOKEN_IO_TIMEOUT)).is_err()
        {
            continue;
        }
        let reply = match read_request(&mut stream) {
            Ok(request) => {
                shared.requests.fetch_add(1, Ordering::SeqCst);
                shared.answer(&request)
            }
            Err(reply) => reply,
        };
        let _ = write_reply(&mut stream, &reply);
    }
}

/// An in-process token endpoint for distribution's `token` authentication, on
/// `127.0.0.1:<random port>`. It serves `/token` until dropped:
///
/// * `GET /token?service=…&scope=repository:<name>:pull,push` with Basic credentials of the
///   fixture user: 200 `{"token", "access_token", "expires_in": 300}`; other credentials: 401.
/// * `POST /token` with a form, `grant_type=refresh_token` ([`TokenServer::refresh_token`]) or
///   `grant_type=password` (the fixture user): 200 `{"access_token", "refresh_token",
///   "expires_in": 300}`; an unknown refresh token or wrong password: 401.
///
/// Tokens are RS256 JWTs signed with the fixture key and carry its certificate in `x5c`; they
/// grant exactly the scopes asked for. A `service` other than [`TokenServer::service`] is a 400.
pub struct TokenServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl fmt::Debug for TokenServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenServer")
            .field("addr", &self.addr)
            .field("requests", &self.requests())
            .finish_non_exhaustive()
    }
}

impl TokenServer {
    /// Loads the fixture key and certificate, binds `127.0.0.1:0` and serves on a thread.
    pub fn start() -> Result<Self> {
        let shared = Arc::new(Shared {
            issuer: Issuer::from_fixtures()?,
            requests: AtomicU64::new(0),
        });
        let listener =
            TcpListener::bind("127.0.0.1:0").context("binding the token server's socket")?;
        let addr = listener.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let shared = Arc::clone(&shared);
            let stop = Arc::clone(&stop);
            std::thread::Builder::new()
                .name("token-server".to_owned())
                .spawn(move || serve(&listener, &shared, &stop))
                .context("spawning the token server thread")?
        };
        Ok(Self {
            addr,
            shared,
            stop,
            thread: Some(thread),
        })
    }

    /// The token endpoint, `http://127.0.0.1:PORT/token` (the registry's `auth.token.realm`).
    pub fn realm(&self) -> String {
        format!("http://{}/token", self.addr)
    }

    /// The service name the registry announces and tokens are issued for (`aud`).
    pub fn service(&self) -> &str {
        TOKEN_SERVICE
    }

    /// The issuer of the tokens (`iss`), which the registry checks.
    pub fn issuer(&self) -> &str {
        TOKEN_ISSUER
    }

    /// The one refresh token `POST /token` accepts.
    pub fn refresh_token(&self) -> &str {
        REFRESH_TOKEN
    }

    /// A token granting pull and push on `repository`, for use directly as a bearer token;
    /// it does not count as a request.
    pub fn mint(&self, repository: &str) -> Result<String> {
        let access = Access {
            kind: "repository".to_owned(),
            name: repository.to_owned(),
            actions: vec!["pull".to_owned(), "push".to_owned()],
        };
        self.shared.issuer.token(USERNAME, TOKEN_SERVICE, &[access])
    }

    /// How many requests the server has read and answered, whatever the outcome.
    pub fn requests(&self) -> u64 {
        self.shared.requests.load(Ordering::SeqCst)
    }
}

impl Drop for TokenServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the blocking accept; if even that fails, leave the thread rather than hang.
        let woke = TcpStream::connect_timeout(&self.addr, Duration::from_secs(5)).is_ok();
        if let Some(thread) = self.thread.take()
            && woke
        {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listening_line_of_distribution_2_8_2() {
        let line = r#"time="2026-11-30T11:29:09.952681211Z" level=info msg="listening on 127.0.0.1:46759" go.version=go1.19.8 instance.id=5b6831da-3bde-408d-8b61-f1e9d0f79c66 version=2.8.2+ds1"#;
        assert_eq!(listening_port(line), Some(46759));
        assert_eq!(
            listening_port(r#"level=info msg="listening on [::]:5000, tls""#),
            Some(5000)
        );
        assert_eq!(
            listening_port(r#"level=info msg="redis not configured""#),
            None
        );
    }

    #[test]
    fn parses_chunked_and_sized_responses() {
        let chunked =
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n1;x=y\r\n!\r\n0\r\n\r\n";
        let response = parse_response(chunked, false).unwrap();
        assert_eq!(response.status, 200);
        assert_eq!(response.body, b"hello!");
        assert!(parse_response(&chunked[..chunked.len() - 7], false).is_err());

        let sized = b"HTTP/1.1 404 Not Found\r\ncontent-length: 3\r\nX-A: b: c\r\n\r\nabcdef";
        let response = parse_response(sized, false).unwrap();
        assert_eq!(response.body, b"abc");
        assert_eq!(response.header("X-a"), Some("b: c"));
        assert!(parse_response(&sized[..sized.len() - 4], false).is_err());

        let head = b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n";
        assert!(parse_response(head, true).unwrap().body.is_empty());
        let to_eof = b"HTTP/1.0 200 OK\r\n\r\nall of it";
        assert_eq!(parse_response(to_eof, false).unwrap().body, b"all of it");
    }

    #[test]
    fn splits_urls() {
        assert_eq!(
            split_url("http://127.0.0.1:5000").unwrap(),
            ("127.0.0.1:5000", "/".to_owned())
        );
        assert_eq!(
            split_url("http://h:1?a=b").unwrap(),
            ("h:1", "/?a=b".to_owned())
        );
        assert_eq!(
            split_url("http://h/v2/x?y").unwrap(),
            ("h", "/v2/x?y".to_owned())
        );
        assert!(split_url("https://h/").is_err());
    }

    #[test]
    fn scopes_and_forms() {
        let access = parse_scopes([
            "repository:ocm/a:pull,push",
            "repository:localhost:5000/b:pull registry:catalog:*",
            "garbage",
        ]);
        let names: Vec<_> = access
            .iter()
            .map(|a| (a.kind.as_str(), a.name.as_str(), a.actions.join(",")))
            .collect();
        assert_eq!(
            names,
            [
                ("repository", "ocm/a", "pull,push".to_owned()),
                ("repository", "localhost:5000/b", "pull".to_owned()),
                ("registry", "catalog", "*".to_owned()),
            ]
        );
        let encoded = form_urlencoded(&[("scope", "repository:a/b:pull,push"), ("x", "a b&c")]);
        assert_eq!(encoded, "scope=repository%3Aa%2Fb%3Apull%2Cpush&x=a+b%26c");
        assert_eq!(
            parse_form(&encoded),
            [
                ("scope".to_owned(), "repository:a/b:pull,push".to_owned()),
                ("x".to_owned(), "a b&c".to_owned()),
            ]
        );
        assert_eq!(
            parse_form("a=%zz%41"),
            [("a".to_owned(), "%zzA".to_owned())]
        );
    }

    #[test]
    fn locates_the_binary() {
        let none = |_: &Path| false;
        let all = |_: &Path| true;
        assert_eq!(
            locate_binary(None, Some("/a:/b".into()), &none).unwrap(),
            None
        );
        assert_eq!(
            locate_binary(None, Some("/a:/b".into()), &|p: &Path| p.starts_with("/b")).unwrap(),
            Some(PathBuf::from("/b/docker-registry"))
        );
        assert_eq!(
            locate_binary(Some("/x/reg".into()), Some("/a".into()), &all).unwrap(),
            Some(PathBuf::from("/x/reg"))
        );
        // An explicit path that is not there is an error, not a skip.
        assert!(locate_binary(Some("/x/reg".into()), Some("/a".into()), &none).is_err());
        // An empty variable counts as unset.
        assert_eq!(locate_binary(Some("".into()), None, &all).unwrap(), None);
    }

    fn script(dir: &Path, body: &str) -> PathBuf {
        use std::os::unix::fs::PermissionsExt as _;
        let path = dir.join("fake-registry");
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path
    }

    #[test]
    fn a_registry_that_exits_reports_its_stderr() {
        let dir = tempfile::tempdir().unwrap();
        let fake = script(dir.path(), "echo 'configuration error: boom' >&2; exit 3");
        let error = Registry::start_binary(&fake, RegistryAuth::None, false)
            .unwrap_err()
            .to_string();
        assert!(error.contains("stopped before listening"), "{error}");
        assert!(error.contains("configuration error: boom"), "{error}");
    }

    #[test]
    fn a_registry_that_does_not_answer_is_killed_and_reported() {
        let dir = tempfile::tempdir().unwrap();
        // Claims a port nothing listens on, then blocks until killed.
        let fake = script(
            dir.path(),
            "echo 'level=info msg=\"listening on 127.0.0.1:1\"' >&2; exec tail -f /dev/null",
        );
        let error = Registry::start_binary(&fake, RegistryAuth::None, false)
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("GET http://127.0.0.1:1/v2/ failed"),
            "{error}"
        );
        assert!(error.contains("listening on 127.0.0.1:1"), "{error}");
    }
}
