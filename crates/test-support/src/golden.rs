//! Replaying recordings of the real Go plugin system (the golden corpus, located and parsed by
//! [`ocm_plugin_golden`]) against our manager.
//!
//! A [`Transcript`] holds (request, response) [`Message`] pairs; a
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

pub use ocm_plugin_golden::{Corpus, Message, Transcript, corpus};

fn invalid(what: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.into())
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
