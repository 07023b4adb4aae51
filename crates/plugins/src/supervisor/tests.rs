use ocm_plugin_types::ConnectionType;

use super::*;

fn config() -> SupervisorConfig {
    SupervisorConfig::new(
        "p",
        "/nonexistent/p",
        PluginConfig {
            id: "p-1".into(),
            connection: ConnectionType::Unix,
            plugin_type: String::new(),
            idle_timeout: None,
            config_types: Vec::new(),
        },
    )
}

#[test]
fn defaults() {
    let c = config();
    assert_eq!(c.start_timeout, Duration::from_secs(30));
    assert_eq!(c.stop_grace, Duration::from_secs(5));
    assert!(c.env.is_empty());
    let s = Supervisor::new(c);
    assert_eq!(s.state(), State::Idle);
    assert_eq!(s.pid(), None);
    assert_eq!(s.spawn_count(), 0);
    assert_eq!(s.plugin_id(), "p");
    assert!(format!("{s:?}").contains("Idle"));
}

/// Registries hold supervisors in `Arc`s and call them from spawned tasks.
#[test]
fn futures_are_send() {
    fn send<T: Send>(_: T) {}
    fn sync<T: Send + Sync>() {}
    sync::<Supervisor>();
    sync::<PluginClient>();
    let s = Supervisor::new(config());
    let route = &ocm_plugin_endpoints::builtin::HEALTHZ;
    send(s.client());
    send(s.call(route, &[], None, None));
    send(s.call_json::<serde_json::Value>(route, &[], None, None));
    send(s.stop());
    send(s.shutdown());
}

#[tokio::test]
async fn missing_binary_is_a_spawn_error_and_retried() {
    let s = Supervisor::new(config());
    let e = s.client().await.unwrap_err();
    assert!(matches!(e, Error::Spawn { .. }), "{e}");
    assert!(e.to_string().contains("/nonexistent/p"), "{e}");
    assert_eq!(s.state(), State::Idle);
    assert_eq!(s.spawn_count(), 0);
    assert!(matches!(s.last_failure(), Some(Error::Spawn { .. })));
    // The next use tries again; at the limit the breaker opens.
    assert!(matches!(s.client().await.unwrap_err(), Error::Spawn { .. }));
    assert_eq!(s.state(), State::Idle);
    assert!(matches!(s.client().await.unwrap_err(), Error::Spawn { .. }));
    assert_eq!(s.state(), State::CoolingDown);
    let e = s.client().await.unwrap_err();
    assert!(matches!(e, Error::CoolingDown { failures: 3, .. }), "{e}");
    assert!(e.to_string().contains("/nonexistent/p"), "{e}");
}

/// Errors are `Clone` (shared by every caller of one failed start) and keep their text.
#[test]
fn errors_clone_with_their_text() {
    let e = Error::Spawn {
        plugin_id: "p".into(),
        path: "/x".into(),
        cause: Arc::new(std::io::Error::from(std::io::ErrorKind::NotFound)),
    };
    assert_eq!(e.clone().to_string(), e.to_string());
    assert_eq!(
        e.to_string(),
        "failed to start plugin p (/x): entity not found"
    );
}

#[tokio::test]
async fn shutdown_refuses_later_starts() {
    let s = Supervisor::new(config());
    s.stop().await.unwrap();
    assert_eq!(s.state(), State::Idle);
    s.shutdown().await.unwrap();
    assert_eq!(s.state(), State::Stopped);
    let e = s.client().await.unwrap_err();
    assert!(matches!(e, Error::Stopped { .. }), "{e}");
    assert!(e.to_string().contains("shut down"), "{e}");
}
