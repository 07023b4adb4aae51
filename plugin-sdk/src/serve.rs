//! Serving: runtime, listener, location line, signals, idle watcher and graceful shutdown.

use std::{future::IntoFuture as _, io::Write as _, pin::pin, time::Duration};

use axum::{
    Router,
    serve::{Listener, ListenerExt as _},
};
use ocm_plugin_types::PluginConfig;
use tokio::{
    signal::unix::{SignalKind, signal},
    task::JoinHandle,
};

use crate::{
    App, Error, Plugin, Result, idle,
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

async fn serve(plugin: Plugin, config: PluginConfig) -> Result<()> {
    let name = plugin.name.clone();
    let id = config.id.clone();
    let connection = config.connection;
    let App {
        router,
        shutdown,
        idle,
    } = plugin.build(config)?;
    let signals = watch_signals(shutdown.clone())?;
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
            let result = serve_on(listener, router, &shutdown, &id).await;
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
            serve_on(listener, router, &shutdown, &id).await
        }
    };
    idle_watcher.abort();
    signals.abort();
    tracing::info!(id = %id, "plugin stopped");
    result
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

/// Serves until shutdown is triggered, then stops accepting and lets in-flight requests finish
/// for at most [`DRAIN_TIMEOUT`].
pub(crate) async fn serve_on<L>(
    listener: L,
    router: Router,
    shutdown: &Shutdown,
    id: &str,
) -> Result<()>
where
    L: Listener,
    L::Addr: std::fmt::Debug,
{
    let server = axum::serve(listener, router)
        .with_graceful_shutdown(shutdown.cancelled_owned())
        .into_future();
    let mut server = pin!(server);
    tokio::select! {
        // Shutdown first: the server may finish in the same poll, and the reason must be logged.
        biased;
        () = shutdown.cancelled() => {}
        result = &mut server => return result.map_err(Error::io("serving failed")),
    }
    let reason = shutdown
        .reason()
        .map_or_else(|| "unknown".to_owned(), |r| r.to_string());
    tracing::info!(id = %id, reason = %reason, "gracefully shutting down plugin");
    match tokio::time::timeout(DRAIN_TIMEOUT, server).await {
        Ok(result) => result.map_err(Error::io("serving failed")),
        Err(_) => {
            tracing::warn!(
                timeout_secs = DRAIN_TIMEOUT.as_secs(),
                "requests still in flight after the drain timeout; dropping them"
            );
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use std::{path::Path, sync::Arc};

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
        sync::Notify,
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
        let plugin = Plugin::new("t").component_version_repository(
            "T/v1".parse().unwrap(),
            JsonSchema::permissive(),
            move |_| Ok(Gated { entered, gate }),
        );
        let config = PluginConfig {
            id: "t".into(),
            connection: ConnectionType::Unix,
            plugin_type: String::new(),
            idle_timeout: None,
            config_types: Vec::new(),
        };
        let App {
            router, shutdown, ..
        } = plugin.build(config).unwrap();
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
            async move { serve_on(listener, router, &shutdown, "t").await }
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
}
