//! Supervisor start failures, with `/bin/sh` scripts as plugins.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ocm_plugin_runtime::{Error, State, Supervisor, SupervisorConfig, process_group_alive};
use ocm_plugin_types::{ConnectionType, PluginConfig};

use crate::util::{read_pid, reaped, write_script};

fn plugin_config(id: &str) -> PluginConfig {
    PluginConfig {
        id: id.to_owned(),
        connection: ConnectionType::Unix,
        plugin_type: String::new(),
        idle_timeout: Some(Duration::from_secs(60)),
        config_types: Vec::new(),
    }
}

fn supervisor(path: &Path, start_timeout: Duration) -> Arc<Supervisor> {
    let name = path.file_name().unwrap().to_str().unwrap();
    let mut config = SupervisorConfig::new(name, path, plugin_config(&format!("{name}-1")));
    config.start_timeout = start_timeout;
    Supervisor::new(config)
}

#[tokio::test]
async fn exits_immediately() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_script(dir.path(), "crasher", "#!/bin/sh\necho boom >&2\nexit 3\n");
    let sup = supervisor(&path, Duration::from_secs(30));
    let started = Instant::now();
    let e = sup.client().await.unwrap_err();
    // Fails fast: long before the 30 s start timeout.
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    let Error::ExitedBeforeReady {
        plugin_id,
        status,
        stderr_tail,
    } = &e
    else {
        panic!("{e:?}")
    };
    assert_eq!(plugin_id, "crasher");
    assert_eq!(status.and_then(|s| s.code()), Some(3));
    assert_eq!(stderr_tail, "boom");
    let text = e.to_string();
    assert!(
        text.contains("exit status: 3") && text.contains("boom"),
        "{text}"
    );
    assert_eq!(sup.state(), State::Idle);
    assert_eq!(sup.pid(), None);
    assert_eq!(sup.spawn_count(), 1);

    // The next use retries.
    assert!(matches!(
        sup.client().await,
        Err(Error::ExitedBeforeReady { .. })
    ));
    assert_eq!(sup.spawn_count(), 2);
}

#[tokio::test]
async fn receives_config_and_env() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("args");
    let path = write_script(
        dir.path(),
        "recorder",
        &format!(
            "#!/bin/sh\nprintf '%s\\n' \"$#\" \"$1\" \"$2\" \"$MY_VAR\" > '{}'\nexit 1\n",
            out.display()
        ),
    );
    let mut config = SupervisorConfig::new("recorder", &path, plugin_config("recorder-42"));
    config.env.push(("MY_VAR".into(), "my value".into()));
    let sup = Supervisor::new(config);
    assert!(matches!(
        sup.client().await,
        Err(Error::ExitedBeforeReady { .. })
    ));
    let args = std::fs::read_to_string(out).unwrap();
    assert_eq!(
        args,
        "2\n--config\n{\"id\":\"recorder-42\",\"type\":\"unix\",\"pluginType\":\"\",\"idleTimeout\":60000000000}\nmy value\n"
    );
}

#[tokio::test]
async fn never_prints_a_location() {
    let dir = tempfile::tempdir().unwrap();
    let pid_file = dir.path().join("pid");
    let path = write_script(
        dir.path(),
        "silent",
        &format!(
            "#!/bin/sh\necho $$ > '{}'\necho 'starting up' \necho '{{\"level\":\"INFO\",\"msg\":\"waiting forever\"}}' >&2\nexec sleep 30\n",
            pid_file.display()
        ),
    );
    let sup = supervisor(&path, Duration::from_millis(300));
    let started = Instant::now();
    let e = sup.client().await.unwrap_err();
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_millis(300), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(10), "{elapsed:?}");
    assert!(matches!(e, Error::StartTimeout { .. }), "{e:?}");
    let text = e.to_string();
    assert!(
        text.contains("timed out waiting for server to start"),
        "{text}"
    );
    assert!(text.contains("waiting forever"), "{text}");
    let pid = read_pid(&pid_file);
    assert!(reaped(pid), "{pid} survived the start timeout");
    assert!(!process_group_alive(pid), "the group of {pid} survived");
    assert_eq!(sup.state(), State::Idle);
}

#[tokio::test]
async fn garbage_then_exit_fails_fast() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_script(
        dir.path(),
        "garbage",
        "#!/bin/sh\necho hello\necho 'listening somewhere'\necho 'http//nope'\necho 'log line' >&2\nexit 0\n",
    );
    let sup = supervisor(&path, Duration::from_secs(30));
    let started = Instant::now();
    let e = sup.client().await.unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    let Error::ExitedBeforeReady {
        status,
        stderr_tail,
        ..
    } = &e
    else {
        panic!("{e:?}")
    };
    assert_eq!(status.and_then(|s| s.code()), Some(0));
    assert_eq!(stderr_tail, "log line");
}

#[tokio::test]
async fn location_but_nobody_listens() {
    let dir = tempfile::tempdir().unwrap();
    let pid_file = dir.path().join("pid");
    let socket = dir.path().join("nobody.sock");
    let path = write_script(
        dir.path(),
        "liar",
        &format!(
            "#!/bin/sh\necho $$ > '{}'\necho 'http+unix://{}'\nexec sleep 30\n",
            pid_file.display(),
            socket.display()
        ),
    );
    let sup = supervisor(&path, Duration::from_secs(30));
    let e = sup.client().await.unwrap_err();
    assert!(matches!(e, Error::Health { .. }), "{e:?}");
    let text = e.to_string();
    assert!(
        text.contains("health check failed") && text.contains("nobody.sock"),
        "{text}"
    );
    assert!(reaped(read_pid(&pid_file)));
    assert_eq!(sup.state(), State::Idle);
}

#[tokio::test]
async fn location_then_exit_reports_the_exit() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_script(
        dir.path(),
        "quitter",
        "#!/bin/sh\necho 'http+unix:///nonexistent/x.sock'\necho 'bye' >&2\nexit 4\n",
    );
    let sup = supervisor(&path, Duration::from_secs(30));
    let e = sup.client().await.unwrap_err();
    // Either the exit was seen first or the health check failed first; both name the problem.
    match &e {
        Error::ExitedBeforeReady { status, .. } => {
            assert_eq!(status.and_then(|s| s.code()), Some(4))
        }
        Error::Health { .. } => {}
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn concurrent_failing_starts_are_serialised() {
    let dir = tempfile::tempdir().unwrap();
    // Every run says something of its own (its pid), so errors of two runs would differ.
    let path = write_script(
        dir.path(),
        "crasher",
        "#!/bin/sh\necho \"run $$\" >&2\nexit 3\n",
    );
    let sup = supervisor(&path, Duration::from_secs(30));
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..4 {
        let sup = sup.clone();
        set.spawn(async move { sup.client().await });
    }
    let mut texts = Vec::new();
    while let Some(r) = set.join_next().await {
        let e = r.unwrap().unwrap_err();
        assert!(matches!(e, Error::ExitedBeforeReady { .. }), "{e:?}");
        texts.push(e.to_string());
    }
    // Callers that waited on the failing start got its error instead of starting again.
    assert_eq!(sup.spawn_count(), 1);
    assert!(texts[0].contains("run "), "{}", texts[0]);
    assert!(texts.iter().all(|t| *t == texts[0]), "{texts:#?}");
    assert_eq!(
        sup.last_failure().map(|e| e.to_string()).as_ref(),
        Some(&texts[0])
    );
    // A later call retries.
    assert!(sup.client().await.is_err());
    assert_eq!(sup.spawn_count(), 2);
}

/// Failed starts are published as `Starting` then `Idle`, and `CoolingDown` once they reach the
/// restart limit; the last failure stays readable.
#[tokio::test]
async fn failed_starts_are_published_up_to_the_cool_down() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_script(dir.path(), "crasher", "#!/bin/sh\necho boom >&2\nexit 3\n");
    let mut config = SupervisorConfig::new("crasher", &path, plugin_config("crasher-1"));
    config.restart_limit = 2;
    config.restart_cooldown = Duration::from_secs(60);
    let sup = Supervisor::new(config);
    let mut states = sup.watch_state();
    let deadline = Duration::from_secs(20);
    for after in [State::Idle, State::CoolingDown] {
        let start = tokio::spawn({
            let sup = sup.clone();
            async move { sup.client().await.map(drop) }
        });
        tokio::time::timeout(deadline, states.wait_for(|s| *s == State::Starting))
            .await
            .unwrap()
            .unwrap();
        tokio::time::timeout(deadline, states.wait_for(|s| *s == after))
            .await
            .unwrap()
            .unwrap();
        let e = start.await.unwrap().unwrap_err();
        assert!(matches!(e, Error::ExitedBeforeReady { .. }), "{e:?}");
    }
    assert_eq!(sup.state(), State::CoolingDown);
    let Some(Error::ExitedBeforeReady {
        status,
        stderr_tail,
        ..
    }) = sup.last_failure()
    else {
        panic!("{:?}", sup.last_failure())
    };
    assert_eq!(status.and_then(|s| s.code()), Some(3));
    assert_eq!(stderr_tail, "boom");
    let e = sup.client().await.unwrap_err();
    assert!(matches!(e, Error::CoolingDown { failures: 2, .. }), "{e:?}");
    assert_eq!(sup.spawn_count(), 2);
    sup.shutdown().await.unwrap();
    assert_eq!(*states.borrow(), State::Stopped);
}
