//! Serving: runtime, listener, location line, signals, idle watcher and graceful shutdown.

use std::{
    convert::Infallible,
    future::{Future, poll_fn},
    io::Write as _,
    pin::{Pin, pin},
    time::Duration,
};

use axum::{
    Router,
    serve::{Listener, ListenerExt as _},
};
use hyper::{body::Incoming, server::conn::http1, service::service_fn};
use hyper_util::rt::{TokioIo, TokioTimer};
use ocm_plugin_types::PluginConfig;
use tokio::{
    io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _},
    signal::unix::{SignalKind, signal},
    task::JoinHandle,
};
use tokio_util::task::TaskTracker;
use tower::ServiceExt as _;

use crate::{
    App, Error, Plugin, Result, idle, launch,
    listener::{self, Bound},
    shutdown::{Reason, Shutdown},
};

/// How long in-flight requests may take to finish once shutdown starts.
pub(crate) const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

/// Serves until shutdown on a current-thread runtime.
pub(crate) fn run_blocking(plugin: Plugin, config: PluginConfig) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(Error::io("failed to start the async runtime"))?;
    runtime.block_on(serve(plugin, config))
}

pub(crate) async fn serve(plugin: Plugin, config: PluginConfig) -> Result<()> {
    let name = plugin.name.clone();
    let id = config.id.clone();
    let connection = config.connection;
    let App {
        router,
        shutdown,
        idle,
        schemas,
    } = plugin
        .build(config, cfg!(debug_assertions))?
        .finish()
        .await?;
    let broken = precompile(schemas, shutdown.clone());
    let signals = watch_signals(shutdown.clone())?;
    let lifeline = launch::watch_lifeline(shutdown.clone());
    let bound = Bound::bind(connection, &id).await?;
    let location = bound.location();
    print_location(&location)?;
    tracing::info!(plugin = %name, id = %id, location = %location, "starting up plugin");

    let idle_watcher = tokio::spawn(idle::watch_idle(idle.subscribe(), shutdown.clone()));
    let result = match bound {
        Bound::Unix {
            listener,
            socket,
            dir,
        } => {
            let result = serve_on(listener, router, &shutdown, &id, HEADER_READ_TIMEOUT).await;
            if let Err(e) = listener::remove_socket(&socket, dir) {
                tracing::warn!(socket = %socket.display(), error = %e, "failed to remove the socket");
            }
            result
        }
        Bound::Tcp { listener, .. } => {
            let listener = listener.tap_io(|stream| {
                if let Err(e) = stream.set_nodelay(true) {
                    tracing::debug!(error = %e, "failed to set TCP_NODELAY");
                }
            });
            serve_on(listener, router, &shutdown, &id, HEADER_READ_TIMEOUT).await
        }
    };
    idle_watcher.abort();
    signals.abort();
    if let Some(lifeline) = lifeline {
        lifeline.abort();
    }
    tracing::info!(id = %id, "plugin stopped");
    // A schema that does not compile is the plugin's failure, not a clean stop.
    if let Ok(Some(error)) = broken.try_recv() {
        return Err(error);
    }
    result
}

/// Compiles the declared schemas on a blocking-pool thread while the plugin binds and prints
/// its location (on a 2-core machine, in parallel), so the first request rarely waits for
/// them: tens of microseconds for a derived schema, about 2 ms for one outside the light
/// engine's subset. The thread stays in the pool for the first request's blocking work. A schema that
/// does not compile stops the plugin with an error naming its type, as it would have at start;
/// the receiver holds that error.
fn precompile(
    schemas: Vec<crate::DeclaredSchema>,
    shutdown: Shutdown,
) -> std::sync::mpsc::Receiver<Option<Error>> {
    let (report, broken) = std::sync::mpsc::channel();
    tokio::task::spawn_blocking(move || {
        for declared in schemas {
            if let Err(error) = declared.precompile() {
                tracing::error!(error = %error, "stopping");
                let _ = report.send(Some(error));
                shutdown.trigger(Reason::InvalidSchema);
                return;
            }
        }
        let _ = report.send(None);
    });
    broken
}

/// Writes the location line the manager waits for, and flushes it.
fn print_location(location: &str) -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{location}")
        .and_then(|()| stdout.flush())
        .map_err(Error::io("failed to write the location line to stdout"))
}

/// SIGINT and SIGTERM trigger shutdown.
fn watch_signals(shutdown: Shutdown) -> Result<JoinHandle<()>> {
    let install = Error::io("failed to install signal handlers");
    let mut interrupt = signal(SignalKind::interrupt()).map_err(install)?;
    let mut terminate = signal(SignalKind::terminate()).map_err(install)?;
    Ok(tokio::spawn(async move {
        let name = tokio::select! {
            _ = interrupt.recv() => "SIGINT",
            _ = terminate.recv() => "SIGTERM",
            () = shutdown.cancelled() => return,
        };
        shutdown.trigger(Reason::Signal(name));
    }))
}

/// How long a client may take to send a request's headers. hyper starts the same clock while a
/// keep-alive connection waits for its next request, so it is also the idle time after which the
/// plugin closes such a connection. Without it, a connection that never finishes its headers
/// would hold a task and a socket until the plugin stops.
pub(crate) const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a closed connection keeps reading (and discarding) what the client still sends.
/// Closing a socket with unread bytes makes the kernel answer with a reset, and a reset makes
/// the client's kernel drop the response it has not read yet: a client still uploading when the
/// plugin answered early (413, 401) would see "connection reset" instead of the answer. Half
/// closing first and lingering lets the answer arrive; well-behaved clients close within
/// milliseconds of reading it.
pub(crate) const LINGER_TIMEOUT: Duration = Duration::from_secs(2);

/// Most bytes a lingering close discards before it gives up and closes anyway.
pub(crate) const LINGER_LIMIT: usize = 4 * 1024 * 1024;

/// Serves until shutdown is triggered, then stops accepting and lets in-flight requests finish
/// for at most [`DRAIN_TIMEOUT`].
///
/// Connections are served with hyper directly rather than `axum::serve`, which can neither time
/// out header reads ([`HEADER_READ_TIMEOUT`]) nor hand the socket back for a lingering close.
pub(crate) async fn serve_on<L>(
    mut listener: L,
    router: Router,
    shutdown: &Shutdown,
    id: &str,
    header_read_timeout: Duration,
) -> Result<()>
where
    L: Listener,
    L::Addr: std::fmt::Debug,
{
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(header_read_timeout);
    let connections = TaskTracker::new();
    loop {
        tokio::select! {
            // Shutdown first: a pending connection must not be accepted once it was triggered.
            biased;
            () = shutdown.cancelled() => break,
            (io, remote) = listener.accept() => {
                tracing::trace!(remote = ?remote, "connection accepted");
                connections.spawn(connection(io, router.clone(), http.clone(), shutdown.clone()));
            }
        }
    }
    // Stop accepting: new connections are refused from here on.
    drop(listener);
    connections.close();
    let reason = shutdown
        .reason()
        .map_or_else(|| "unknown".to_owned(), |r| r.to_string());
    tracing::info!(id = %id, reason = %reason, "gracefully shutting down plugin");
    if tokio::time::timeout(DRAIN_TIMEOUT, connections.wait())
        .await
        .is_err()
    {
        tracing::warn!(
            timeout_secs = DRAIN_TIMEOUT.as_secs(),
            "requests still in flight after the drain timeout; dropping them"
        );
    }
    Ok(())
}

/// Serves one connection until it ends: on shutdown it finishes the request in flight and
/// closes (idle connections close at once), then lingers (see [`LINGER_TIMEOUT`]).
async fn connection<I>(io: I, router: Router, http: http1::Builder, shutdown: Shutdown)
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = service_fn(move |request: hyper::Request<Incoming>| {
        let router = router.clone();
        // Boxed so the connection is `Unpin`, which taking the socket back requires.
        let answer: BoxedAnswer = Box::pin(router.oneshot(request));
        answer
    });
    let mut conn = http.serve_connection(TokioIo::new(io), service);
    let mut stopping = pin!(shutdown.cancelled_owned());
    let mut graceful = false;
    let ended = poll_fn(|cx| {
        if !graceful && stopping.as_mut().poll(cx).is_ready() {
            graceful = true;
            Pin::new(&mut conn).graceful_shutdown();
        }
        conn.poll_without_shutdown(cx)
    })
    .await;
    if let Err(e) = ended {
        // Header timeouts, malformed requests, clients gone: the client's problem, not ours.
        tracing::debug!(error = %e, "connection ended with an error");
    }
    let io = conn.into_parts().io.into_inner();
    linger(io, &shutdown).await;
}

/// What the service of a connection answers: the router's response, never an error.
type BoxedAnswer =
    Pin<Box<dyn Future<Output = std::result::Result<axum::response::Response, Infallible>> + Send>>;

/// Half closes `io` and discards what the client still sends, for at most [`LINGER_TIMEOUT`] and
/// [`LINGER_LIMIT`] bytes, so the kernel closes with a FIN rather than a reset and the client
/// gets to read the response. Skipped once shutdown started: the drain deadline comes first.
async fn linger<I>(mut io: I, shutdown: &Shutdown)
where
    I: AsyncRead + AsyncWrite + Unpin,
{
    if shutdown.reason().is_some() {
        return;
    }
    if io.shutdown().await.is_err() {
        return;
    }
    let discard = async {
        let mut buf = vec![0u8; 16 * 1024];
        let mut discarded = 0usize;
        while discarded < LINGER_LIMIT {
            match io.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => discarded += n,
            }
        }
    };
    tokio::select! {
        () = shutdown.cancelled() => {}
        _ = tokio::time::timeout(LINGER_TIMEOUT, discard) => {}
    }
}

#[cfg(test)]
mod tests {
    use std::{
        path::Path,
        sync::{
            Arc,
            atomic::{AtomicUsize, Ordering},
        },
    };

    use ocm_plugin_contracts::{
        async_trait,
        component_version_repository::v1::{
            ComponentVersionRepository, ListComponentVersionsRequest,
        },
    };
    use ocm_plugin_endpoints::{builtin, component_version_repository as cvr};
    use ocm_plugin_types::{ConnectionType, Credentials, JsonSchema};
    use tokio::{
        io::{AsyncReadExt as _, AsyncWriteExt as _},
        net::UnixStream,
        sync::{Notify, Semaphore, watch},
    };

    use super::*;

    /// Lists versions only once `gate` is notified; notifies `entered` when a request arrives.
    struct Gated {
        entered: Arc<Notify>,
        gate: Arc<Notify>,
    }

    #[async_trait]
    impl ComponentVersionRepository for Gated {
        async fn list_component_versions(
            &self,
            _: ListComponentVersionsRequest,
            _: &Credentials,
        ) -> ocm_plugin_contracts::Result<Vec<String>> {
            self.entered.notify_one();
            self.gate.notified().await;
            Ok(vec!["1.0.0".into()])
        }
    }

    struct Server {
        socket: std::path::PathBuf,
        dir: tempfile::TempDir,
        shutdown: Shutdown,
        task: JoinHandle<Result<()>>,
        _base: tempfile::TempDir,
    }

    fn start(entered: Arc<Notify>, gate: Arc<Notify>) -> Server {
        let plugin = Plugin::new("t").register(crate::component_version_repository::untyped(
            "T/v1",
            JsonSchema::permissive(),
            move |_| Ok(Gated { entered, gate }),
        ));
        start_plugin(plugin, HEADER_READ_TIMEOUT)
    }

    fn start_plugin(plugin: Plugin, header_read_timeout: Duration) -> Server {
        let config = PluginConfig {
            id: "t".into(),
            connection: ConnectionType::Unix,
            plugin_type: String::new(),
            idle_timeout: None,
            config_types: Vec::new(),
        };
        let App {
            router, shutdown, ..
        } = plugin.build(config, true).unwrap().finish_ready().unwrap();
        let base = tempfile::tempdir().unwrap();
        let Bound::Unix {
            listener,
            socket,
            dir,
        } = listener::bind_unix(base.path(), "t").unwrap()
        else {
            panic!("not unix");
        };
        let task = tokio::spawn({
            let shutdown = shutdown.clone();
            async move { serve_on(listener, router, &shutdown, "t", header_read_timeout).await }
        });
        Server {
            socket,
            dir,
            shutdown,
            task,
            _base: base,
        }
    }

    /// Sends one raw HTTP/1.1 request and reads until the server closes the connection.
    async fn exchange(socket: &Path, request: &str) -> String {
        let mut stream = UnixStream::connect(socket).await.unwrap();
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut out = String::new();
        stream.read_to_string(&mut out).await.unwrap();
        out
    }

    fn get(path: &str, close: bool) -> String {
        let connection = if close { "Connection: close\r\n" } else { "" };
        format!("GET {path} HTTP/1.1\r\nHost: unix\r\nAuthorization: {{}}\r\n{connection}\r\n")
    }

    #[tokio::test]
    async fn shutdown_endpoint_answers_then_stops() {
        let s = start(Arc::new(Notify::new()), Arc::new(Notify::new()));
        let health = exchange(&s.socket, &get(builtin::HEALTHZ.path, true)).await;
        assert!(health.starts_with("HTTP/1.1 200 OK\r\n"), "{health}");

        // An idle keep-alive connection must not hold up shutdown.
        let mut idle_conn = UnixStream::connect(&s.socket).await.unwrap();
        idle_conn
            .write_all(get(builtin::HEALTHZ.path, false).as_bytes())
            .await
            .unwrap();
        let mut first = [0u8; 15];
        idle_conn.read_exact(&mut first).await.unwrap();
        assert_eq!(&first, b"HTTP/1.1 200 OK");

        // Without `Connection: close`: the answer arrives, then the server closes the connection.
        let answer = exchange(&s.socket, &get(builtin::SHUTDOWN.path, false)).await;
        assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
        assert!(
            answer
                .to_ascii_lowercase()
                .contains("content-length: 0\r\n"),
            "{answer}"
        );
        tokio::time::timeout(DRAIN_TIMEOUT, s.task)
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        assert_eq!(s.shutdown.reason(), Some(Reason::Endpoint));

        let dir_path = s.dir.path().to_owned();
        listener::remove_socket(&s.socket, s.dir).unwrap();
        assert!(!dir_path.exists());
    }

    #[tokio::test]
    async fn shutdown_drains_in_flight_requests() {
        let (entered, gate) = (Arc::new(Notify::new()), Arc::new(Notify::new()));
        let s = start(Arc::clone(&entered), Arc::clone(&gate));
        let uri = cvr::LIST_COMPONENT_VERSIONS.uri(&[("name", "c")]);
        let in_flight = tokio::spawn({
            let socket = s.socket.clone();
            async move { exchange(&socket, &get(&uri, true)).await }
        });
        entered.notified().await;
        s.shutdown.trigger(Reason::Signal("SIGTERM"));
        for _ in 0..50 {
            tokio::task::yield_now().await;
        }
        assert!(
            !s.task.is_finished(),
            "stopped before the in-flight request finished"
        );
        gate.notify_one();
        let answer = in_flight.await.unwrap();
        assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
        assert!(answer.ends_with("[\"1.0.0\"]\n"), "{answer}");
        s.task.await.unwrap().unwrap();
        // New connections are refused after shutdown.
        assert!(UnixStream::connect(&s.socket).await.is_err());
    }

    #[tokio::test(start_paused = true)]
    async fn drain_gives_up_after_the_deadline() {
        let (entered, gate) = (Arc::new(Notify::new()), Arc::new(Notify::new()));
        let s = start(Arc::clone(&entered), Arc::clone(&gate));
        let uri = cvr::LIST_COMPONENT_VERSIONS.uri(&[("name", "c")]);
        let _never = tokio::spawn({
            let socket = s.socket.clone();
            async move { exchange(&socket, &get(&uri, true)).await }
        });
        entered.notified().await;
        let started = tokio::time::Instant::now();
        s.shutdown.trigger(Reason::Idle);
        s.task.await.unwrap().unwrap();
        assert!(started.elapsed() >= DRAIN_TIMEOUT);
    }

    /// Counts the listings running at once; each waits for a permit of `gate`.
    struct Counting {
        running: watch::Sender<usize>,
        peak: Arc<AtomicUsize>,
        gate: Arc<Semaphore>,
    }

    #[async_trait]
    impl ComponentVersionRepository for Counting {
        async fn list_component_versions(
            &self,
            _: ListComponentVersionsRequest,
            _: &Credentials,
        ) -> ocm_plugin_contracts::Result<Vec<String>> {
            let mut now = 0;
            self.running.send_modify(|n| {
                *n += 1;
                now = *n;
            });
            self.peak.fetch_max(now, Ordering::SeqCst);
            let _permit = self.gate.acquire().await;
            self.running.send_modify(|n| *n -= 1);
            Ok(Vec::new())
        }
    }

    #[tokio::test]
    async fn concurrent_requests_are_limited() {
        use crate::middleware::MAX_CONCURRENT_REQUESTS as LIMIT;
        let extra = 6;
        let (running, mut watch_running) = watch::channel(0);
        let peak = Arc::new(AtomicUsize::new(0));
        let gate = Arc::new(Semaphore::new(0));
        let counting = Counting {
            running,
            peak: Arc::clone(&peak),
            gate: Arc::clone(&gate),
        };
        let plugin = Plugin::new("t").register(crate::component_version_repository::untyped(
            "T/v1",
            JsonSchema::permissive(),
            move |_| Ok(counting),
        ));
        let s = start_plugin(plugin, HEADER_READ_TIMEOUT);
        let uri = cvr::LIST_COMPONENT_VERSIONS.uri(&[("name", "c")]);
        let requests: Vec<_> = (0..LIMIT + extra)
            .map(|_| {
                let (socket, request) = (s.socket.clone(), get(&uri, true));
                tokio::spawn(async move { exchange(&socket, &request).await })
            })
            .collect();
        tokio::time::timeout(
            Duration::from_secs(10),
            watch_running.wait_for(|n| *n == LIMIT),
        )
        .await
        .unwrap()
        .unwrap();
        // Health checks skip the queue while every slot is taken.
        let health = tokio::time::timeout(
            Duration::from_secs(10),
            exchange(&s.socket, &get(builtin::HEALTHZ.path, true)),
        )
        .await
        .unwrap();
        assert!(health.starts_with("HTTP/1.1 200 OK\r\n"), "{health}");
        assert_eq!(*watch_running.borrow(), LIMIT);
        gate.add_permits(LIMIT + extra);
        for request in requests {
            let answer = tokio::time::timeout(Duration::from_secs(10), request)
                .await
                .unwrap()
                .unwrap();
            assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
        }
        assert_eq!(peak.load(Ordering::SeqCst), LIMIT);
        s.shutdown.trigger(Reason::Idle);
        s.task.await.unwrap().unwrap();
    }

    #[tokio::test]
    async fn stalled_headers_are_timed_out() {
        let timeout = Duration::from_millis(300);
        let s = start_plugin(Plugin::new("t"), timeout);
        let started = tokio::time::Instant::now();
        let mut stalled = UnixStream::connect(&s.socket).await.unwrap();
        stalled
            .write_all(b"GET /healthz HTTP/1.1\r\nHo")
            .await
            .unwrap();
        let mut rest = Vec::new();
        // Closed by the server (EOF or a reset), well before the test's own deadline.
        let _ = tokio::time::timeout(Duration::from_secs(10), stalled.read_to_end(&mut rest))
            .await
            .expect("the server kept a connection with stalled headers open");
        assert!(
            started.elapsed() >= timeout,
            "closed after {:?}",
            started.elapsed()
        );
        // Complete requests are still served.
        let health = exchange(&s.socket, &get(builtin::HEALTHZ.path, true)).await;
        assert!(health.starts_with("HTTP/1.1 200 OK\r\n"), "{health}");
        s.shutdown.trigger(Reason::Idle);
        s.task.await.unwrap().unwrap();
    }

    /// A schema that does not compile stops a serving plugin with the error naming its type
    /// (it is compiled off the start path, but not ignored).
    #[tokio::test]
    async fn a_broken_schema_stops_the_serving_plugin_with_its_error() {
        let plugin = Plugin::new("t").register(crate::component_version_repository::untyped(
            "Broken/v1",
            JsonSchema(br#"{"type": 7}"#.to_vec()),
            |_| {
                Ok(Gated {
                    entered: Arc::default(),
                    gate: Arc::default(),
                })
            },
        ));
        let config: PluginConfig = serde_json::from_str(r#"{"id":"t","type":"unix"}"#).unwrap();
        let App {
            router,
            shutdown,
            schemas,
            ..
        } = plugin.build(config, true).unwrap().finish_ready().unwrap();
        let base = tempfile::tempdir().unwrap();
        let Bound::Unix { listener, .. } = listener::bind_unix(base.path(), "t").unwrap() else {
            panic!("not unix");
        };
        let broken = precompile(schemas, shutdown.clone());
        // Serving ends on its own: the failed compile triggers the shutdown.
        let served = tokio::time::timeout(
            Duration::from_secs(10),
            serve_on(listener, router, &shutdown, "t", HEADER_READ_TIMEOUT),
        )
        .await
        .expect("the plugin stopped by itself");
        assert!(served.is_ok());
        assert!(matches!(shutdown.reason(), Some(Reason::InvalidSchema)));
        let err = broken
            .recv()
            .unwrap()
            .expect("the compile error")
            .to_string();
        assert!(err.contains("Broken/v1"), "{err}");
    }
}
