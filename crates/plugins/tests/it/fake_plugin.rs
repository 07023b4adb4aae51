//! The success, restart and stop paths of the supervisor, against a real HTTP plugin: this test
//! binary itself, re-executed through a small wrapper script and running [`entry`] as the
//! plugin.
//!
//! The fake plugin reads `--config` (passed on by the wrapper in `OCM_FAKE_CONFIG`), listens on
//! `OCM_FAKE_SOCKET` (unix) or an ephemeral loopback port (tcp, announced Go-SDK style as a
//! bare `0.0.0.0:<port>`), prints its location, logs slog JSON to stderr and answers every
//! path but `/healthz` with a JSON echo of the request and its pid. `OCM_FAKE_MODE` changes
//! its behaviour: `flood` writes 1 MiB to stdout and stderr in every handler (a manager that
//! stops draining the pipes would hang, W8); `stderr-location` prints the location on stderr
//! (its stdout is closed by the wrapper); `unlisten` stops listening after answering
//! `/component-version/upload`, while the process stays alive.

use std::convert::Infallible;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use ocm_plugin_endpoints::component_version_repository as cvr;
use ocm_plugin_runtime::{
    Endpoint, Error, State, Supervisor, SupervisorConfig, process_group_alive,
};
use ocm_plugin_types::{ConnectionType, Credentials, PluginConfig};
use serde::Deserialize;
use tokio::io::{AsyncRead, AsyncWrite};

use crate::util::{reaped, write_script};

const CONFIG_ENV: &str = "OCM_FAKE_CONFIG";
const MODE_ENV: &str = "OCM_FAKE_MODE";
const SOCKET_ENV: &str = "OCM_FAKE_SOCKET";
/// A deadline for whole scenarios, so a regression fails instead of hanging.
const SCENARIO: Duration = Duration::from_secs(60);

/// `unlisten` mode: stop accepting connections (and remove the socket) but stay alive.
static UNLISTEN: tokio::sync::Notify = tokio::sync::Notify::const_new();

/// The fake plugin's main. A no-op in a normal test run.
#[test]
fn entry() {
    let Ok(config) = std::env::var(CONFIG_ENV) else {
        return;
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(serve(&config));
}

async fn serve(config: &str) {
    let config: PluginConfig = serde_json::from_str(config).unwrap();
    let mode: Arc<str> = std::env::var(MODE_ENV).unwrap_or_default().into();
    eprintln!(
        r#"{{"time":"t","level":"INFO","msg":"fake plugin starting","id":"{}"}}"#,
        config.id
    );
    let announce = |location: String| {
        if &*mode == "stderr-location" {
            eprintln!("{location}");
        } else {
            let mut out = std::io::stdout().lock();
            writeln!(out, "{location}").unwrap();
            out.flush().unwrap();
        }
    };
    match config.connection {
        ConnectionType::Unix => {
            let path = PathBuf::from(std::env::var(SOCKET_ENV).unwrap());
            let _ = std::fs::remove_file(&path);
            let listener = tokio::net::UnixListener::bind(&path).unwrap();
            announce(format!("http+unix://{}", path.display()));
            loop {
                tokio::select! {
                    accepted = listener.accept() => {
                        let (stream, _) = accepted.unwrap();
                        tokio::spawn(serve_connection(stream, mode.clone()));
                    }
                    () = UNLISTEN.notified() => break,
                }
            }
            // Alive, but no longer reachable.
            drop(listener);
            let _ = std::fs::remove_file(&path);
            std::future::pending::<()>().await;
        }
        ConnectionType::Tcp => {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let port = listener.local_addr().unwrap().port();
            // What the Go SDK prints (W2): no scheme, all-interfaces host.
            announce(format!("0.0.0.0:{port}"));
            loop {
                let (stream, _) = listener.accept().await.unwrap();
                tokio::spawn(serve_connection(stream, mode.clone()));
            }
        }
    }
}

async fn serve_connection<S: AsyncRead + AsyncWrite + Unpin + Send + 'static>(
    stream: S,
    mode: Arc<str>,
) {
    let service = service_fn(move |req: Request<Incoming>| {
        let mode = mode.clone();
        async move { Ok::<_, Infallible>(handle(req, &mode).await) }
    });
    let _ = hyper::server::conn::http1::Builder::new()
        .serve_connection(TokioIo::new(stream), service)
        .await;
}

async fn handle(req: Request<Incoming>, mode: &str) -> Response<Full<Bytes>> {
    let (parts, body) = req.into_parts();
    let path = parts.uri.path().to_owned();
    if path == "/healthz" {
        return Response::new(Full::new(Bytes::new()));
    }
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    if mode == "flood" {
        let chunk = vec![b'x'; 1024];
        let mut out = std::io::stdout().lock();
        let mut err = std::io::stderr().lock();
        for _ in 0..1024 {
            out.write_all(&chunk).unwrap();
            out.write_all(b"\n").unwrap();
            err.write_all(&chunk).unwrap();
            err.write_all(b"\n").unwrap();
        }
        out.flush().unwrap();
    }
    eprintln!(r#"{{"level":"DEBUG","msg":"handled","path":"{path}"}}"#);
    let unlisten = mode == "unlisten" && path == cvr::ADD_COMPONENT_VERSION.path;
    if unlisten {
        // Unreachable before the answer leaves: connecting to a removed path fails at once.
        let _ = std::fs::remove_file(std::env::var(SOCKET_ENV).unwrap());
        UNLISTEN.notify_one();
    }
    let echo = serde_json::json!({
        "pid": std::process::id(),
        "path": path,
        "query": parts.uri.query(),
        "authorization": parts.headers.get("authorization").map(|v| v.to_str().unwrap_or_default()),
        "body": String::from_utf8_lossy(&body),
    });
    let mut response = Response::new(Full::new(Bytes::from(format!("{echo}\n"))));
    if unlisten {
        response.headers_mut().insert(
            http::header::CONNECTION,
            http::HeaderValue::from_static("close"),
        );
    }
    response
}

/// What the fake plugin answers.
#[derive(Debug, Deserialize)]
struct Echo {
    pid: u32,
    path: String,
    query: Option<String>,
    authorization: Option<String>,
    body: String,
}

struct Fixture {
    dir: tempfile::TempDir,
    sup: Arc<Supervisor>,
}

impl Fixture {
    fn new(mode: &str, connection: ConnectionType) -> Self {
        Self::build("fake-plugin", mode, connection, "", Duration::from_secs(5))
    }

    fn build(
        name: &str,
        mode: &str,
        connection: ConnectionType,
        prelude: &str,
        stop_grace: Duration,
    ) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let exe = std::env::current_exe().unwrap();
        let redirect = if mode == "stderr-location" {
            ">/dev/null"
        } else {
            ""
        };
        let script = format!(
            "#!/bin/sh\n[ \"$1\" = --config ] || exit 2\n{prelude}\n{CONFIG_ENV}=\"$2\" exec '{}' --exact fake_plugin::entry --nocapture --test-threads=1 -q {redirect}\n",
            exe.display()
        );
        let path = write_script(dir.path(), "fake-plugin", &script);
        let config = PluginConfig {
            id: format!("{name}-{}", std::process::id()),
            connection,
            plugin_type: String::new(),
            idle_timeout: None,
            config_types: Vec::new(),
        };
        let mut sc = SupervisorConfig::new(name, path, config);
        sc.env.push((MODE_ENV.into(), mode.into()));
        sc.env
            .push((SOCKET_ENV.into(), dir.path().join("p.sock").into()));
        sc.stop_grace = stop_grace;
        Self {
            sup: Supervisor::new(sc),
            dir,
        }
    }

    fn socket(&self) -> PathBuf {
        self.dir.path().join("p.sock")
    }

    async fn echo(&self) -> Echo {
        self.sup
            .call_json(&cvr::LIST_COMPONENT_VERSIONS, &[("name", "n")], None, None)
            .await
            .unwrap()
    }
}

fn kill(pid: u32) {
    let pid = rustix::process::Pid::from_raw(i32::try_from(pid).unwrap()).unwrap();
    rustix::process::kill_process(pid, rustix::process::Signal::KILL).unwrap();
}

async fn within<T>(f: impl Future<Output = T>) -> T {
    tokio::time::timeout(SCENARIO, f)
        .await
        .expect("scenario deadline")
}

#[tokio::test]
async fn process_starts_once_for_concurrent_callers_and_serves() {
    within(async {
        let fx = Fixture::new("", ConnectionType::Unix);
        assert_eq!(fx.sup.state(), State::Idle);
        let mut set = tokio::task::JoinSet::new();
        for _ in 0..8 {
            let sup = fx.sup.clone();
            set.spawn(async move { sup.client().await.unwrap() });
        }
        let mut clients = Vec::new();
        while let Some(c) = set.join_next().await {
            clients.push(c.unwrap());
        }
        assert_eq!(fx.sup.spawn_count(), 1);
        assert!(clients.iter().all(|c| c.same_as(&clients[0])));
        assert_eq!(clients[0].endpoint(), &Endpoint::Unix(fx.socket()));
        assert_eq!(fx.sup.state(), State::Ready);
        let pid = fx.sup.pid().unwrap();

        let creds = Credentials::from([("username".to_owned(), "u".to_owned())]);
        let echo: Echo = fx
            .sup
            .call_json(
                &cvr::GET_COMPONENT_VERSION,
                &[("version", "1.0.0"), ("name", "a b")],
                Some(&creds),
                None,
            )
            .await
            .unwrap();
        assert_eq!(echo.pid, pid);
        assert_eq!(echo.path, "/component-version/download");
        assert_eq!(echo.query.as_deref(), Some("name=a+b&version=1.0.0"));
        assert_eq!(echo.authorization.as_deref(), Some(r#"{"username":"u"}"#));
        let echo: Echo = fx
            .sup
            .call_json(
                &cvr::GET_IDENTITY,
                &[],
                None,
                Some(b"{\"type\":null}".to_vec()),
            )
            .await
            .unwrap();
        assert_eq!(echo.authorization, None);
        assert_eq!(echo.body, "{\"type\":null}");
        let raw = fx
            .sup
            .call(&cvr::GET_IDENTITY, &[], None, None)
            .await
            .unwrap();
        assert!(raw.ends_with(b"}\n"));
        assert_eq!(fx.sup.spawn_count(), 1);

        fx.sup.shutdown().await.unwrap();
        assert_eq!(fx.sup.state(), State::Stopped);
        assert!(reaped(pid));
        assert!(!process_group_alive(pid));
        assert!(matches!(fx.sup.client().await, Err(Error::Stopped { .. })));
        assert!(matches!(
            fx.sup.call(&cvr::GET_IDENTITY, &[], None, None).await,
            Err(Error::Stopped { .. })
        ));
    })
    .await;
}

#[tokio::test]
async fn exit_is_noticed_at_once_and_the_next_use_restarts() {
    within(async {
        let fx = Fixture::new("", ConnectionType::Unix);
        let first = fx.echo().await.pid;
        assert_eq!(fx.sup.pid(), Some(first));
        kill(first);
        let status = fx.sup.wait_exit().await.unwrap();
        assert_eq!(
            std::os::unix::process::ExitStatusExt::signal(&status),
            Some(9)
        );
        assert_eq!(fx.sup.state(), State::Idle);
        assert_eq!(fx.sup.pid(), None);
        assert!(reaped(first), "the dead plugin was not reaped");

        let second = fx.echo().await.pid;
        assert_ne!(first, second);
        assert_eq!(fx.sup.spawn_count(), 2);
        assert_eq!(fx.sup.state(), State::Ready);
        fx.sup.shutdown().await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn a_connection_failure_restarts_and_retries_once() {
    within(async {
        let fx = Fixture::new("", ConnectionType::Unix);
        fx.sup.client().await.unwrap();
        let first = fx.sup.pid().unwrap();
        // Kill it and call at once, racing the reaper: the kept-alive connection breaks, or
        // connecting fails, or the exit is noticed first. In every case the call must succeed
        // on a new process.
        kill(first);
        let echo = fx.echo().await;
        assert_ne!(echo.pid, first);
        assert_eq!(fx.sup.spawn_count(), 2);
        assert!(reaped(first));
        fx.sup.shutdown().await.unwrap();
    })
    .await;
}

/// A plugin that is alive but unreachable (its listener is gone): any call, not only a read,
/// gets a connect error, which stops the old process, starts a new one and sends the request
/// once more.
#[tokio::test]
async fn an_unreachable_live_plugin_is_replaced() {
    within(async {
        let fx = Fixture::new("unlisten", ConnectionType::Unix);
        let first: Echo = fx
            .sup
            .call_json(&cvr::ADD_COMPONENT_VERSION, &[], None, Some(b"{}".to_vec()))
            .await
            .unwrap();
        assert_eq!(fx.sup.state(), State::Ready);
        // The socket is gone and the connection was closed; the process still runs.
        let echo: Echo = fx
            .sup
            .call_json(&cvr::GET_IDENTITY, &[], None, Some(b"{}".to_vec()))
            .await
            .unwrap();
        assert_ne!(echo.pid, first.pid);
        assert_eq!(echo.path, "/identity");
        assert_eq!(fx.sup.spawn_count(), 2);
        assert!(reaped(first.pid), "the unreachable plugin was not stopped");
        fx.sup.shutdown().await.unwrap();
    })
    .await;
}

/// After an exit was noticed, the next call of any kind starts a new process.
#[tokio::test]
async fn a_noticed_exit_restarts_for_any_call() {
    within(async {
        let fx = Fixture::new("", ConnectionType::Unix);
        fx.sup.client().await.unwrap();
        let first = fx.sup.pid().unwrap();
        kill(first);
        fx.sup.wait_exit().await;
        let echo: Echo = fx
            .sup
            .call_json(&cvr::GET_IDENTITY, &[], None, Some(b"{}".to_vec()))
            .await
            .unwrap();
        assert_ne!(echo.pid, first);
        assert_eq!(fx.sup.spawn_count(), 2);
        fx.sup.shutdown().await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn stop_is_graceful_and_the_next_use_starts_again() {
    within(async {
        let fx = Fixture::new("", ConnectionType::Unix);
        let first = fx.echo().await.pid;
        let started = Instant::now();
        fx.sup.stop().await.unwrap();
        // SIGTERM ends the fake plugin at once; no need to wait for the grace period.
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(fx.sup.state(), State::Idle);
        assert_eq!(fx.sup.pid(), None);
        assert!(reaped(first));
        fx.sup.stop().await.unwrap();

        let second = fx.echo().await.pid;
        assert_ne!(first, second);
        assert_eq!(fx.sup.state(), State::Ready);
        fx.sup.shutdown().await.unwrap();
        assert!(reaped(second));
    })
    .await;
}

#[tokio::test]
async fn stop_escalates_to_sigkill() {
    within(async {
        // SIGTERM is ignored (an ignored disposition survives exec).
        let fx = Fixture::build(
            "fake-plugin",
            "",
            ConnectionType::Unix,
            "trap '' TERM",
            Duration::from_millis(300),
        );
        let pid = fx.echo().await.pid;
        let started = Instant::now();
        fx.sup.stop().await.unwrap();
        assert!(
            started.elapsed() >= Duration::from_millis(300),
            "{:?}",
            started.elapsed()
        );
        assert!(reaped(pid));
        assert!(!process_group_alive(pid));
        assert_eq!(fx.sup.state(), State::Idle);
    })
    .await;
}

#[tokio::test]
async fn pipes_are_drained_for_the_whole_life() {
    within(async {
        let fx = Fixture::new("flood", ConnectionType::Unix);
        for _ in 0..3 {
            fx.echo().await;
        }
        assert_eq!(fx.sup.spawn_count(), 1);
        fx.sup.shutdown().await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn location_on_stderr_after_stdout_closed() {
    within(async {
        let fx = Fixture::new("stderr-location", ConnectionType::Unix);
        let client = fx.sup.client().await.unwrap();
        assert_eq!(client.endpoint(), &Endpoint::Unix(fx.socket()));
        fx.echo().await;
        fx.sup.shutdown().await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn tcp_with_a_go_style_bare_address() {
    within(async {
        let fx = Fixture::new("", ConnectionType::Tcp);
        let client = fx.sup.client().await.unwrap();
        let Endpoint::Tcp(addr) = client.endpoint() else {
            panic!("{:?}", client.endpoint())
        };
        assert!(addr.starts_with("127.0.0.1:"), "{addr}");
        assert_eq!(fx.echo().await.path, "/component-versions");
        fx.sup.shutdown().await.unwrap();
    })
    .await;
}

/// The plugin's stderr logs arrive as `tracing` events with the plugin id.
#[tokio::test]
async fn stderr_logs_are_forwarded() {
    let logs = crate::util::log_capture();
    within(async {
        let fx = Fixture::build(
            "fake-plugin-logs",
            "",
            ConnectionType::Unix,
            "",
            Duration::from_secs(5),
        );
        fx.echo().await;
        fx.sup.shutdown().await.unwrap();
    })
    .await;
    let text = logs.lines_with("plugin_id=\"fake-plugin-logs\"");
    let line = text
        .lines()
        .find(|l| l.contains("fake plugin starting"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        line.contains(" INFO ocm_plugin::plugin: fake plugin starting"),
        "{line}"
    );
    assert!(line.contains("fields=\"id=fake-plugin-logs-"), "{line}");
    assert!(
        text.lines()
            .any(|l| l.contains("DEBUG ocm_plugin::plugin: handled")),
        "{text}"
    );
}

/// Waits, with a deadline, until `states` shows `want`.
async fn reaches(states: &mut tokio::sync::watch::Receiver<State>, want: State) {
    let reached = tokio::time::timeout(Duration::from_secs(20), states.wait_for(|s| *s == want))
        .await
        .map(|r| r.map(drop));
    assert!(
        matches!(reached, Ok(Ok(()))),
        "never reached {want:?}; at {:?}",
        *states.borrow()
    );
}

/// Every phase of a start and a stop is published on `watch_state`, in order, and the
/// process's own exit is published too.
#[tokio::test]
async fn start_and_stop_are_published_in_order() {
    within(async {
        // SIGTERM is ignored, so that `Stopping` lasts the grace period.
        let fx = Fixture::build(
            "fake-plugin-states",
            "",
            ConnectionType::Unix,
            "trap '' TERM",
            Duration::from_millis(300),
        );
        let mut states = fx.sup.watch_state();
        assert_eq!(*states.borrow_and_update(), State::Idle);

        let starting = tokio::spawn({
            let sup = fx.sup.clone();
            async move { sup.client().await.map(drop) }
        });
        reaches(&mut states, State::Starting).await;
        assert!(fx.sup.pid().is_some(), "a starting plugin has a pid");
        reaches(&mut states, State::Ready).await;
        starting.await.unwrap().unwrap();
        let pid = fx.sup.pid().unwrap();

        let stopping = tokio::spawn({
            let sup = fx.sup.clone();
            async move { sup.stop().await }
        });
        reaches(&mut states, State::Stopping).await;
        reaches(&mut states, State::Idle).await;
        stopping.await.unwrap().unwrap();
        assert!(reaped(pid));
        assert_eq!(fx.sup.last_failure().map(|e| e.to_string()), None);

        // A process that exits on its own is published as `Idle` by the supervisor itself,
        // without anyone calling it.
        fx.sup.client().await.unwrap();
        assert_eq!(*states.borrow_and_update(), State::Ready);
        let pid = fx.sup.pid().unwrap();
        kill(pid);
        reaches(&mut states, State::Idle).await;
        // Exited within seconds of its start: an early exit, counted as a failure.
        assert!(
            matches!(fx.sup.last_failure(), Some(Error::ExitedEarly { .. })),
            "{:?}",
            fx.sup.last_failure()
        );
        fx.echo().await;
        assert_eq!(
            fx.sup.last_failure().map(|e| e.to_string()),
            None,
            "a success resets it"
        );

        fx.sup.shutdown().await.unwrap();
        reaches(&mut states, State::Stopped).await;
    })
    .await;
}

/// A caller that gives up during a start (its future is dropped) leaves neither a `Starting`
/// state nor a process behind.
#[tokio::test]
async fn a_dropped_start_leaves_idle_and_no_process() {
    within(async {
        // Never prints a location.
        let fx = Fixture::build(
            "fake-plugin-dropped",
            "",
            ConnectionType::Unix,
            "exec sleep 30",
            Duration::from_secs(5),
        );
        let mut states = fx.sup.watch_state();
        let start = tokio::spawn({
            let sup = fx.sup.clone();
            async move { sup.client().await.map(drop) }
        });
        reaches(&mut states, State::Starting).await;
        let pid = fx.sup.pid().unwrap();
        let mut exit = {
            let sup = fx.sup.clone();
            tokio::spawn(async move { sup.wait_exit().await })
        };
        start.abort();
        assert!(start.await.unwrap_err().is_cancelled());
        assert_eq!(fx.sup.state(), State::Idle);
        // Killed by the drop, and reaped.
        let status = tokio::time::timeout(Duration::from_secs(10), &mut exit)
            .await
            .expect("the abandoned process was not reaped")
            .unwrap()
            .unwrap();
        assert_eq!(
            std::os::unix::process::ExitStatusExt::signal(&status),
            Some(9)
        );
        assert!(!process_group_alive(pid));
        assert!(
            fx.sup.last_failure().is_none(),
            "giving up is not a failure"
        );
    })
    .await;
}
