//! Replaying recordings of the real Go plugin system (`shared/spec/golden/`) against our
//! manager.
//!
//! A [`transcript`] is parsed into (request, response) [`Message`] pairs; a
//! [`RecordingServer`] answers each path with the recorded Go plugin response and logs what it
//! received; a [`script_plugin`] is a shell script that the manager discovers, starts and
//! follows to that server, so the whole host stack talks to it exactly as to a plugin.

use std::{
    collections::HashMap,
    io,
    os::unix::fs::PermissionsExt,
    path::{Path, PathBuf},
    sync::{Arc, Mutex},
};

use tokio::{
    io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader},
    net::{UnixListener, UnixStream},
};

/// A file of `shared/spec/golden/` (the `shared/` folder beside the workspace), e.g.
/// `go-v0.0.1/transcript-manager-wire.txt`.
pub fn golden_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/spec/golden")
        .join(name)
}

/// One HTTP message of a transcript, or one request a [`RecordingServer`] received.
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
}

/// A parsed `transcript-manager-wire*.txt`.
#[derive(Debug, Clone, Default)]
pub struct Transcript {
    /// The `--config` argument the Go manager started the plugin with.
    pub config: Option<String>,
    /// (request, response) pairs in order, `/healthz` left out.
    pub pairs: Vec<(Message, Message)>,
}

fn invalid(what: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.into())
}

/// Parses a transcript file (CRLF HTTP messages between `-----` marker lines).
pub fn transcript(name: &str) -> io::Result<Transcript> {
    let text = std::fs::read_to_string(golden_path(name))?;
    let config = text
        .lines()
        .find_map(|l| l.strip_prefix("===== manager started plugin with: --config "))
        .map(str::to_owned);
    let mut blocks: Vec<(bool, String)> = Vec::new();
    let mut current: Option<(bool, String)> = None;
    for line in text.split_inclusive('\n') {
        if line.starts_with("----- ") || line.starts_with("===== ") || line.starts_with("##### ") {
            blocks.extend(current.take());
            if line.contains("manager -> plugin") {
                current = Some((true, String::new()));
            } else if line.contains("plugin -> manager") {
                current = Some((false, String::new()));
            }
        } else if let Some((_, raw)) = current.as_mut() {
            raw.push_str(line);
        }
    }
    blocks.extend(current);
    let mut pairs = Vec::new();
    let mut it = blocks.into_iter();
    while let Some((is_request, request)) = it.next() {
        let Some((false, response)) = it.next().filter(|_| is_request) else {
            return Err(invalid(format!("{name}: unpaired message")));
        };
        let pair = (parse_message(&request)?, parse_message(&response)?);
        if pair.0.path() != "/healthz" {
            pairs.push(pair);
        }
    }
    Ok(Transcript { config, pairs })
}

fn parse_message(raw: &str) -> io::Result<Message> {
    let (head, rest) = raw.split_once("\r\n\r\n").unwrap_or((raw, ""));
    let mut lines = head.lines();
    let first = lines.next().ok_or_else(|| invalid("empty message"))?;
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
    let message = Message {
        start,
        headers,
        body: Vec::new(),
    };
    let len: usize = match message.header("Content-Length") {
        Some(v) => v.parse().map_err(|_| invalid("bad Content-Length"))?,
        None => 0,
    };
    let body = rest
        .as_bytes()
        .get(..len)
        .ok_or_else(|| invalid("body shorter than Content-Length"))?;
    Ok(Message {
        body: body.to_vec(),
        ..message
    })
}

/// A keep-alive HTTP/1.1 server on a Unix socket: `/healthz` answers 200, every other path the
/// recorded response for that path (404 if none), and every non-health request is logged.
#[derive(Debug, Clone)]
pub struct RecordingServer {
    log: Arc<Mutex<Vec<Message>>>,
}

impl RecordingServer {
    /// Binds `socket` and serves on the current tokio runtime until the runtime ends.
    pub fn start(socket: &Path, pairs: &[(Message, Message)]) -> io::Result<Self> {
        let listener = UnixListener::bind(socket)?;
        let answers: Arc<HashMap<String, Message>> = Arc::new(
            pairs
                .iter()
                .map(|(req, resp)| (req.path().to_owned(), resp.clone()))
                .collect(),
        );
        let server = Self {
            log: Arc::default(),
        };
        let log = Arc::clone(&server.log);
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(connection(stream, Arc::clone(&answers), Arc::clone(&log)));
            }
        });
        Ok(server)
    }

    /// The requests received so far, in order.
    pub fn requests(&self) -> Vec<Message> {
        self.log.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

async fn connection(
    stream: UnixStream,
    answers: Arc<HashMap<String, Message>>,
    log: Arc<Mutex<Vec<Message>>>,
) {
    let mut stream = BufReader::new(stream);
    while let Ok(Some(request)) = read_request(&mut stream).await {
        let (status, body) = if request.path() == "/healthz" {
            ("200".to_owned(), Vec::new())
        } else {
            let answer = answers.get(request.path()).cloned().unwrap_or(Message {
                start: "404".into(),
                ..Message::default()
            });
            log.lock().unwrap_or_else(|e| e.into_inner()).push(request);
            (answer.start, answer.body)
        };
        let head = format!(
            "HTTP/1.1 {status} X\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        let out = stream.get_mut();
        if out.write_all(head.as_bytes()).await.is_err() || out.write_all(&body).await.is_err() {
            return;
        }
    }
}

/// The next request on a connection, `None` at its end.
async fn read_request(stream: &mut BufReader<UnixStream>) -> io::Result<Option<Message>> {
    let mut first = String::new();
    if stream.read_line(&mut first).await? == 0 {
        return Ok(None);
    }
    let parts: Vec<&str> = first.trim_end().split(' ').collect();
    let [method, target, ..] = parts.as_slice() else {
        return Err(invalid(format!("bad request line {first:?}")));
    };
    let mut request = Message {
        start: format!("{method} {target}"),
        ..Message::default()
    };
    loop {
        let mut line = String::new();
        stream.read_line(&mut line).await?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(": ") {
            request.headers.push((k.to_owned(), v.to_owned()));
        }
    }
    let len: usize = match request.header("content-length") {
        Some(v) => v.parse().map_err(|_| invalid("bad Content-Length"))?,
        None => 0,
    };
    request.body = vec![0; len];
    stream.read_exact(&mut request.body).await?;
    Ok(Some(request))
}

/// Writes `<dir>/plugins/<id>`, a script plugin: `capabilities` prints `capabilities`; a start
/// writes its `--config` argument to `<dir>/<id>.config`, prints the location of `socket` and
/// waits to be stopped. Returns the plugin directory.
pub fn script_plugin(
    dir: &Path,
    id: &str,
    capabilities: &str,
    socket: &Path,
) -> io::Result<PathBuf> {
    let plugins = dir.join("plugins");
    std::fs::create_dir_all(&plugins)?;
    let caps_file = dir.join(format!("{id}.capabilities.json"));
    std::fs::write(&caps_file, capabilities)?;
    let script = plugins.join(id);
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nif [ \"$1\" = capabilities ]; then exec cat '{}'; fi\nprintf '%s' \"$2\" > '{}'\necho 'http+unix://{}'\nexec tail -f /dev/null\n",
            caps_file.display(),
            script_config_path(dir, id).display(),
            socket.display()
        ),
    )?;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755))?;
    Ok(plugins)
}

/// Where a [`script_plugin`] records the `--config` argument it was started with.
pub fn script_config_path(dir: &Path, id: &str) -> PathBuf {
    dir.join(format!("{id}.config"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_go_manager_transcript() {
        let t = transcript("go-v0.0.1/transcript-manager-wire.txt").unwrap();
        assert!(
            t.config
                .unwrap()
                .starts_with(r#"{"id":"testplugin-component-version""#)
        );
        assert_eq!(t.pairs.len(), 5);
        let (req, resp) = &t.pairs[1];
        assert_eq!(req.start, "GET /component-versions?name=test-component");
        assert_eq!(req.path(), "/component-versions");
        assert_eq!(
            req.header("authorization"),
            Some(r#"{"password":"p","username":"u"}"#)
        );
        assert_eq!(
            (resp.start.as_str(), resp.body.as_slice()),
            ("200", &b"[\"v0.0.1\",\"v0.0.2\"]\n"[..])
        );
    }
}
