//! The golden conformance corpus: bytes recorded from the real OCM Go plugin system
//! (`capabilities` documents, `--config` lines, and every HTTP request and response between the
//! Go manager and Go plugins), found through one locator and parsed into messages.
//!
//! The corpus is **not** part of this repository. It lives in the project's `shared/` folder,
//! which sits beside the workspace checkout (`../shared/spec/golden`), or wherever
//! [`DIR_VAR`] (`OCM_GOLDEN_DIR`) points. Tests that replay it are the conformance suite:
//!
//! * every such test lives in a module whose path contains `golden`, so the suite alone runs
//!   with `cargo test --workspace --tests -- golden` ([`Corpus::locate`] enforces the naming);
//! * when the corpus is absent, each test prints one line naming what it did not check and
//!   returns; it never passes silently;
//! * with [`REQUIRE_VAR`] (`OCM_REQUIRE_GOLDEN=1`) set, an absent corpus fails the test. CI sets
//!   it, so CI can never go green without replaying the corpus.
//!
//! Facts about the Go wire format that the ordinary suite must keep checking (document shapes,
//! header values, status texts) are written into the tests' own fixtures from the spec; this
//! crate is only for the byte-for-byte replay.
//!
//! ```no_run
//! // In a test of a `golden` module: `None` (after one visible line on stderr) when the corpus
//! // is absent and not required.
//! let Some(corpus) = ocm_plugin_golden::corpus!("the Go manager's requests") else {
//!     return Ok(());
//! };
//! let t = corpus.transcript("go-v0.0.1/transcript-manager-wire.txt")?;
//! assert!(!t.calls().is_empty());
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! The transcript format, parsed from text:
//!
//! ```
//! let t = ocm_plugin_golden::parse_transcript(
//!     "example",
//!     "===== manager started plugin with: --config {\"id\":\"p\"}\n\
//!      ----- conn#1 manager -> plugin (+0.1s) -----\n\
//!      GET /healthz HTTP/1.1\r\nHost: unix\r\n\r\n\n\
//!      ----- conn#1 plugin -> manager (+0.1s) -----\n\
//!      HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n\n",
//! )?;
//! assert_eq!(t.config.as_deref(), Some("{\"id\":\"p\"}"));
//! assert_eq!(t.exchanges[0].0.start, "GET /healthz");
//! assert_eq!(t.exchanges[0].1.start, "200");
//! # Ok::<(), std::io::Error>(())
//! ```

use std::{
    io::{self, Write as _},
    path::{Path, PathBuf},
};

/// Environment variable naming the corpus folder (the one holding `go-v0.0.1/`,
/// `go-v0.0.17/`, `go-head/`). Default: `shared/spec/golden` beside the workspace.
pub const DIR_VAR: &str = "OCM_GOLDEN_DIR";

/// Environment variable that makes an absent corpus a test failure (any value but empty or `0`).
pub const REQUIRE_VAR: &str = "OCM_REQUIRE_GOLDEN";

/// The corpus folder as configured: [`DIR_VAR`], else `../shared/spec/golden` beside the
/// workspace root.
pub fn configured_dir() -> PathBuf {
    match std::env::var_os(DIR_VAR) {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => {
            // crates/golden -> the workspace -> beside it, written without `..` for messages.
            let mut dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
            for _ in 0..3 {
                dir.pop();
            }
            dir.join("shared/spec/golden")
        }
    }
}

/// Whether [`REQUIRE_VAR`] is set.
pub fn required() -> bool {
    std::env::var_os(REQUIRE_VAR).is_some_and(|v| !v.is_empty() && v != "0")
}

/// [`Corpus::locate`] for the calling module: `let Some(g) = corpus!("what it checks") else {
/// return };`.
#[macro_export]
macro_rules! corpus {
    ($what:expr) => {
        $crate::Corpus::locate(module_path!(), $what)
    };
}

/// A located corpus.
#[derive(Debug, Clone)]
pub struct Corpus {
    root: PathBuf,
}

impl Corpus {
    /// The corpus for the test in `module` (pass `module_path!()`), checking `what`.
    ///
    /// Returns `None` after printing one line to stderr (uncaptured, so it shows in the test
    /// run's output) when the corpus is absent; panics with the reason when it is absent and
    /// [`REQUIRE_VAR`] is set.
    ///
    /// # Panics
    ///
    /// Also when `module`, without its crate name, does not contain `golden`: the conformance
    /// run selects its tests by that word, so a corpus reader named otherwise would never be
    /// required in CI.
    pub fn locate(module: &str, what: &str) -> Option<Self> {
        let in_test_name = module.split_once("::").map_or("", |(_, rest)| rest);
        assert!(
            in_test_name.contains("golden"),
            "{module} reads the golden corpus, but its path has no `golden` module: move it into \
             one, or the conformance run (`cargo test -- golden`) will never require it"
        );
        let root = configured_dir();
        if let Some(corpus) = Self::at(&root) {
            return Some(corpus);
        }
        let why = format!(
            "golden corpus not found at {} (set {DIR_VAR} to the folder holding go-v0.0.1/)",
            root.display()
        );
        if required() {
            panic!("{REQUIRE_VAR} is set but {why}; not checked: {module}: {what}");
        }
        // Straight to the stderr stream, past libtest's output capture, so the line shows.
        let _ = writeln!(io::stderr(), "SKIPPED {module}: {what}: {why}");
        None
    }

    /// The corpus at `root`, if that folder exists and is not empty.
    pub fn at(root: &Path) -> Option<Self> {
        let mut entries = std::fs::read_dir(root).ok()?;
        entries.next()?.ok()?;
        Some(Self {
            root: root.to_path_buf(),
        })
    }

    /// The path of a corpus file, e.g. `go-v0.0.1/transcript-manager-wire.txt`.
    pub fn path(&self, name: &str) -> PathBuf {
        self.root.join(name)
    }

    /// A corpus file's bytes; the error names the file.
    pub fn read(&self, name: &str) -> io::Result<Vec<u8>> {
        let path = self.path(name);
        std::fs::read(&path)
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))
    }

    /// A corpus file as text; the error names the file.
    pub fn read_string(&self, name: &str) -> io::Result<String> {
        String::from_utf8(self.read(name)?).map_err(|e| invalid(format!("{name}: {e}")))
    }

    /// The file names of one corpus folder (e.g. `go-v0.0.17`), sorted.
    pub fn files(&self, folder: &str) -> io::Result<Vec<String>> {
        let mut names = Vec::new();
        for entry in std::fs::read_dir(self.path(folder))? {
            names.push(entry?.file_name().to_string_lossy().into_owned());
        }
        names.sort();
        Ok(names)
    }

    /// A parsed `transcript-manager-wire*.txt`.
    pub fn transcript(&self, name: &str) -> io::Result<Transcript> {
        parse_transcript(name, &self.read_string(name)?)
    }
}

/// One HTTP message of a transcript.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Message {
    /// `POST /resolve` (method and request target) for a request, `200` for a response.
    pub start: String,
    /// Headers in order.
    pub headers: Vec<(String, String)>,
    /// The body, exactly `Content-Length` bytes.
    pub body: Vec<u8>,
}

impl Message {
    /// A header value, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The method of a request.
    pub fn method(&self) -> &str {
        self.start.split(' ').next().unwrap_or_default()
    }

    /// The request target (path and query) of a request.
    pub fn target(&self) -> &str {
        self.start.split(' ').nth(1).unwrap_or_default()
    }

    /// The path of a request, without the query.
    pub fn path(&self) -> &str {
        self.target().split('?').next().unwrap_or_default()
    }

    /// The query of a request, if any.
    pub fn query(&self) -> &str {
        self.target().split_once('?').map_or("", |(_, q)| q)
    }

    /// The body as text (lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// A parsed transcript.
#[derive(Debug, Clone, Default)]
pub struct Transcript {
    /// The `--config` argument the Go manager started the plugin with.
    pub config: Option<String>,
    /// Every (request, response) pair in order, `/healthz` included.
    pub exchanges: Vec<(Message, Message)>,
}

impl Transcript {
    /// The pairs without the `/healthz` probes.
    pub fn calls(&self) -> Vec<(Message, Message)> {
        self.exchanges
            .iter()
            .filter(|(req, _)| req.path() != "/healthz")
            .cloned()
            .collect()
    }
}

fn invalid(what: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.into())
}

/// Parses the transcript format: `=====`/`#####` note lines, and `----- conn#N <direction> (+t, N
/// bytes) -----` headers each followed by exactly the N bytes read in that direction, then a
/// newline of the recorder's. A message may span several chunks: each direction's chunks are
/// joined and split into messages by `Content-Length`.
pub fn parse_transcript(name: &str, text: &str) -> io::Result<Transcript> {
    let config = text
        .lines()
        .find_map(|l| l.strip_prefix("===== manager started plugin with: --config "))
        .map(str::to_owned);
    let mut requests = String::new();
    let mut responses = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("----- conn#") {
        rest = &rest[at..];
        let (header, after) = rest.split_once('\n').unwrap_or((rest, ""));
        let to = if header.contains("manager -> plugin") {
            &mut requests
        } else if header.contains("plugin -> manager") {
            &mut responses
        } else {
            rest = after;
            continue;
        };
        let count = header
            .rsplit_once(", ")
            .and_then(|(_, tail)| tail.split(' ').next())
            .and_then(|n| n.parse::<usize>().ok());
        let chunk = match count {
            Some(n) => after.get(..n).ok_or_else(|| {
                invalid(format!("{name}: chunk shorter than {n} bytes: {header}"))
            })?,
            // No count: up to the next header, less the recorder's newline.
            None => {
                let end = after.find("\n----- ").map_or(after.len(), |e| e + 1);
                after[..end].strip_suffix('\n').unwrap_or(&after[..end])
            }
        };
        to.push_str(chunk);
        rest = &after[chunk.len()..];
    }
    let requests = split_messages(name, &requests)?;
    let responses = split_messages(name, &responses)?;
    if requests.len() != responses.len() {
        return Err(invalid(format!(
            "{name}: {} requests but {} responses",
            requests.len(),
            responses.len()
        )));
    }
    Ok(Transcript {
        config,
        exchanges: requests.into_iter().zip(responses).collect(),
    })
}

/// Splits one direction's joined bytes into messages.
fn split_messages(name: &str, mut rest: &str) -> io::Result<Vec<Message>> {
    let mut out = Vec::new();
    while !rest.is_empty() {
        let (message, tail) = parse_message(rest).map_err(|e| invalid(format!("{name}: {e}")))?;
        out.push(message);
        rest = tail;
    }
    Ok(out)
}

/// The message at the start of `raw`, and what follows it.
fn parse_message(raw: &str) -> io::Result<(Message, &str)> {
    let (head, rest) = raw
        .split_once("\r\n\r\n")
        .ok_or_else(|| invalid("a message head without CRLF CRLF"))?;
    let mut lines = head.split("\r\n");
    let first = lines.next().unwrap_or_default();
    let parts: Vec<&str> = first.split(' ').collect();
    let start = match parts.as_slice() {
        [version, status, ..] if version.starts_with("HTTP/") => (*status).to_owned(),
        [method, target, ..] => format!("{method} {target}"),
        _ => return Err(invalid(format!("bad start line {first:?}"))),
    };
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(": "))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    let mut message = Message {
        start,
        headers,
        body: Vec::new(),
    };
    let len: usize = match message.header("Content-Length") {
        Some(v) => v
            .parse()
            .map_err(|_| invalid(format!("bad Content-Length {v:?}")))?,
        None => 0,
    };
    let body = rest
        .get(..len)
        .ok_or_else(|| invalid("body shorter than Content-Length"))?;
    message.body = body.as_bytes().to_vec();
    Ok((message, &rest[len..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The recorder's format, written here from the corpus README: a request split over two
    /// chunks (byte counts in the chunk headers), a response with a body, notes around them.
    fn recording() -> String {
        let chunks = [
            (
                "manager -> plugin",
                "POST /resolve HTTP/1.1\r\nHost: unix\r\nAuthorization: {\"a\":\"b\"}\r\n",
            ),
            ("manager -> plugin", "Content-Length: 5\r\n\r\n{\"x\":"),
            (
                "plugin -> manager",
                "HTTP/1.1 401 Unauthorized\r\nContent-Length: 6\r\n\r\nno!\r\n\n",
            ),
        ];
        let mut text = String::from(
            "##### host: h -creds {}\n===== manager started plugin with: --config {\"id\":\"t\"}\n\n",
        );
        for (direction, bytes) in chunks {
            text += &format!(
                "----- conn#1 {direction} (+0.01s, {} bytes) -----\n{bytes}\n",
                bytes.len()
            );
        }
        text + "===== wrapper got signal 2\n----- conn#1 closed -----\n##### host exit code: 0\n"
    }

    #[test]
    fn parses_the_recorder_format() {
        let t = parse_transcript("x", &recording()).unwrap();
        assert_eq!(t.config.as_deref(), Some(r#"{"id":"t"}"#));
        assert_eq!(t.exchanges.len(), 1);
        let (req, resp) = &t.exchanges[0];
        assert_eq!(req.start, "POST /resolve");
        assert_eq!(req.method(), "POST");
        assert_eq!(req.header("authorization"), Some(r#"{"a":"b"}"#));
        assert_eq!(req.body, br#"{"x":"#);
        assert_eq!(resp.start, "401");
        assert_eq!(resp.body, b"no!\r\n\n");
        assert_eq!(t.calls().len(), 1);
    }

    #[test]
    fn unpaired_and_short_messages_are_errors() {
        let one_sided = "----- conn#1 manager -> plugin -----\nGET / HTTP/1.1\r\n\r\n";
        assert!(parse_transcript("x", one_sided).is_err());
        let short =
            "----- conn#1 plugin -> manager -----\nHTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nab";
        assert!(parse_transcript("x", short).is_err());
    }

    #[test]
    fn an_empty_or_missing_folder_is_no_corpus() {
        let dir = std::env::temp_dir().join(format!("ocm-golden-empty-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        assert!(Corpus::at(&dir).is_none());
        assert!(Corpus::at(&dir.join("missing")).is_none());
        std::fs::write(dir.join("f"), "x").unwrap();
        assert_eq!(Corpus::at(&dir).unwrap().read_string("f").unwrap(), "x");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    #[should_panic(expected = "has no `golden` module")]
    fn a_corpus_reader_outside_a_golden_module_is_refused() {
        let _ = Corpus::locate("it::wire", "anything");
    }
}
