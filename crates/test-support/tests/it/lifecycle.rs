//! Lazy start, single-flight, restart, failure paths and clean shutdown, with real processes.
//! Names start with `lifecycle_` or `process_` so nextest can serialise them.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use futures_util::future::join_all;
use ocm_plugin_contracts::{Error as ContractError, component_version_repository::v1 as cvr};
use ocm_plugin_manager::{Endpoint, PluginManager, RegistrationOptions, State};
use ocm_plugin_test_support::{PluginDir, process_exists};
use ocm_plugin_types::{Credentials, Descriptor};

use crate::{options, test_plugin, test_spec, wait_exit};

async fn manager_with(names: &[&str], opts: RegistrationOptions) -> (PluginDir, PluginManager) {
    let dir = PluginDir::new().unwrap();
    for n in names {
        dir.add(n, &test_plugin()).unwrap();
    }
    let manager = PluginManager::new().unwrap();
    manager.register_plugins(dir.path(), opts).await.unwrap();
    (dir, manager)
}

fn list_request() -> cvr::ListComponentVersionsRequest {
    cvr::ListComponentVersionsRequest {
        repository: None,
        name: "acme.org/x".into(),
    }
}

fn descriptor(version: &str) -> Descriptor {
    let mut d = Descriptor::default();
    d.component.name = "acme.org/x".into();
    d.component.version = version.into();
    d.component.provider = "acme".into();
    d
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lifecycle_fifty_concurrent_first_calls_spawn_once() {
    let (_dir, manager) = manager_with(&["single-flight"], options()).await;
    let sup = manager.plugin("single-flight").unwrap();
    assert_eq!(
        sup.spawn_count(),
        0,
        "registration must not start the plugin"
    );
    let manager = Arc::new(manager);
    let calls = (0..50).map(|_| {
        let manager = Arc::clone(&manager);
        tokio::spawn(async move {
            let repo = manager
                .component_version_repositories()
                .get(&test_spec())
                .await?;
            repo.list_component_versions(list_request(), &Credentials::new())
                .await
                .map_err(Into::into)
        })
    });
    let results: Vec<Result<Vec<String>, Box<dyn std::error::Error + Send + Sync>>> =
        join_all(calls)
            .await
            .into_iter()
            .map(|r| r.unwrap())
            .collect();
    for r in &results {
        assert!(r.is_ok(), "{r:?}");
    }
    assert_eq!(
        sup.spawn_count(),
        1,
        "exactly one spawn for 50 concurrent first calls"
    );
    manager.shutdown().await.unwrap();
}

#[tokio::test]
async fn lifecycle_restart_after_the_plugin_is_killed() {
    let (_dir, manager) = manager_with(&["restartable"], options()).await;
    let sup = manager.plugin("restartable").unwrap();
    let repo = manager
        .component_version_repositories()
        .get(&test_spec())
        .await
        .unwrap();
    repo.add_component_version(
        cvr::AddComponentVersionRequest {
            repository: test_spec(),
            descriptor: descriptor("1.0.0"),
        },
        &Credentials::new(),
    )
    .await
    .unwrap();
    let pid = sup.pid().unwrap();
    rustix::process::kill_process(
        rustix::process::Pid::from_raw(pid as i32).unwrap(),
        rustix::process::Signal::KILL,
    )
    .unwrap();
    // The very next call restarts it (the in-memory store starts empty again).
    let versions = repo
        .list_component_versions(list_request(), &Credentials::new())
        .await
        .unwrap();
    assert!(versions.is_empty());
    let new_pid = sup.pid().unwrap();
    assert_ne!(pid, new_pid);
    assert_eq!(sup.spawn_count(), 2);
    assert!(
        !process_exists(pid),
        "the killed plugin must be reaped before the restart, not left a zombie"
    );
    manager.shutdown().await.unwrap();
}

#[tokio::test]
async fn lifecycle_shutdown_leaves_no_process_zombie_socket_or_temp_dir() {
    let (_dir, manager) = manager_with(&["clean"], options()).await;
    let sup = manager.plugin("clean").unwrap();
    let repo = manager
        .component_version_repositories()
        .get(&test_spec())
        .await
        .unwrap();
    repo.list_component_versions(list_request(), &Credentials::new())
        .await
        .unwrap();
    let pid = sup.pid().unwrap();
    let Endpoint::Unix(socket) = sup.start().await.unwrap() else {
        panic!("expected a unix socket")
    };
    assert!(socket.exists());
    let temp = manager.temp_dir().to_owned();
    assert!(
        socket.starts_with(&temp),
        "plugin sockets live in the manager's temp dir"
    );

    manager.shutdown().await.unwrap();
    assert!(
        !process_exists(pid),
        "no process and no zombie after shutdown"
    );
    assert!(!socket.exists(), "socket removed");
    assert!(!temp.exists(), "temp dir removed");
    // The handle now refuses to restart the plugin.
    let err = repo
        .list_component_versions(list_request(), &Credentials::new())
        .await
        .unwrap_err();
    assert!(
        err.to_string().to_lowercase().contains("shut") || err.to_string().contains("stopped"),
        "{err}"
    );
    assert_eq!(sup.spawn_count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lifecycle_two_managers_share_a_directory_without_colliding() {
    let dir = PluginDir::new().unwrap();
    dir.add("shared", &test_plugin()).unwrap();
    let (a, b) = (PluginManager::new().unwrap(), PluginManager::new().unwrap());
    let (ra, rb) = tokio::join!(
        a.register_plugins(dir.path(), options()),
        b.register_plugins(dir.path(), options())
    );
    ra.unwrap();
    rb.unwrap();
    let spec = test_spec();
    let (repo_a, repo_b) = tokio::join!(
        a.component_version_repositories().get(&spec),
        b.component_version_repositories().get(&spec)
    );
    let (repo_a, repo_b) = (repo_a.unwrap(), repo_b.unwrap());
    repo_a
        .add_component_version(
            cvr::AddComponentVersionRequest {
                repository: test_spec(),
                descriptor: descriptor("1.0.0"),
            },
            &Credentials::new(),
        )
        .await
        .unwrap();
    // Separate processes: b does not see a's in-memory data.
    assert!(
        repo_b
            .list_component_versions(list_request(), &Credentials::new())
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        repo_a
            .list_component_versions(list_request(), &Credentials::new())
            .await
            .unwrap(),
        ["1.0.0"]
    );
    let (pa, pb) = (
        a.plugin("shared").unwrap().pid().unwrap(),
        b.plugin("shared").unwrap().pid().unwrap(),
    );
    assert_ne!(pa, pb);
    let (sa, sb) = tokio::join!(a.shutdown(), b.shutdown());
    sa.unwrap();
    sb.unwrap();
    assert!(!process_exists(pa) && !process_exists(pb));
}

#[tokio::test]
async fn process_crash_on_start_fails_fast_with_status_and_stderr() {
    let (_dir, manager) = manager_with(&["crash-on-start"], options()).await;
    let started = Instant::now();
    let err = manager
        .component_version_repositories()
        .get(&test_spec())
        .await
        .err()
        .unwrap()
        .to_string();
    // The start deadline is 10 s; an early exit must be noticed at once.
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert!(err.contains("crash-on-start"), "names the plugin: {err}");
    assert!(err.contains('7'), "carries the exit status: {err}");
    assert!(err.contains("boom"), "carries the stderr tail: {err}");
    manager.shutdown().await.unwrap();
}

#[tokio::test]
async fn process_crash_loop_is_refused_fast_during_a_growing_cool_down() {
    let cooldown = Duration::from_millis(400);
    let opts = RegistrationOptions {
        restart_limit: 2,
        restart_cooldown: cooldown,
        ..options()
    };
    let (_dir, manager) = manager_with(&["crash-on-start"], opts).await;
    let sup = manager.plugin("crash-on-start").unwrap();
    let repos = manager.component_version_repositories();
    for _ in 0..2 {
        assert!(repos.get(&test_spec()).await.is_err());
    }
    assert_eq!(sup.spawn_count(), 2);
    let opened = Instant::now();

    // Refused at once, without a spawn, naming the plugin, the count and the last cause.
    let err = repos.get(&test_spec()).await.err().unwrap().to_string();
    assert!(
        opened.elapsed() < Duration::from_millis(200),
        "{:?}",
        opened.elapsed()
    );
    assert_eq!(sup.spawn_count(), 2, "spawned during the cool-down");
    assert!(err.contains("crash-on-start"), "{err}");
    assert!(err.contains("2 failures in a row"), "{err}");
    assert!(
        err.contains("boom"),
        "the last failure's stderr tail: {err}"
    );

    // When the cool-down ends, one attempt is made; it fails, and the next cool-down doubles.
    tokio::time::sleep_until((opened + cooldown).into()).await;
    let err = repos.get(&test_spec()).await.err().unwrap().to_string();
    assert_eq!(sup.spawn_count(), 3, "{err}");
    assert!(err.contains("exited"), "the attempt's own error: {err}");
    let err = repos.get(&test_spec()).await.err().unwrap().to_string();
    assert_eq!(sup.spawn_count(), 3);
    assert!(err.contains("3 failures in a row"), "{err}");
    assert!(err.contains("another 1s"), "doubled cool-down: {err}");
    manager.shutdown().await.unwrap();
}

#[tokio::test]
async fn process_hanging_call_ends_at_the_call_deadline_and_others_are_unaffected() {
    let timeout = Duration::from_millis(500);
    let opts = RegistrationOptions {
        call_timeout: timeout,
        ..options()
    };
    let dir = PluginDir::new().unwrap();
    dir.add("hang-on-get", &test_plugin()).unwrap();
    let manager = PluginManager::new().unwrap();
    manager.register_plugins(dir.path(), opts).await.unwrap();
    let repo = manager
        .component_version_repositories()
        .get(&test_spec())
        .await
        .unwrap();
    let started = Instant::now();
    let get = cvr::GetComponentVersionRequest {
        repository: None,
        name: "acme.org/x".into(),
        version: "1.0.0".into(),
    };
    let err = repo
        .get_component_version(get, &Credentials::default())
        .await
        .err()
        .unwrap();
    // A timeout, told apart without downcasting; the rich error stays the source.
    assert_eq!(err.kind(), ocm_plugin_contracts::ErrorKind::Timeout);
    assert!(std::error::Error::source(&err).is_some());
    let err = err.to_string();
    let took = started.elapsed();
    assert!(took >= timeout && took < timeout * 4, "{took:?}");
    assert!(err.contains("hang-on-get"), "names the plugin: {err}");
    assert!(
        err.contains("get-component-version"),
        "names the operation: {err}"
    );
    assert!(err.contains("no answer within 0.5s"), "{err}");
    // The plugin itself still answers other calls.
    repo.list_component_versions(list_request(), &Credentials::default())
        .await
        .unwrap();
    manager.shutdown().await.unwrap();
}

#[tokio::test]
async fn process_without_location_line_times_out_and_is_killed() {
    let opts = RegistrationOptions {
        start_timeout: Duration::from_millis(500),
        ..options()
    };
    let (_dir, manager) = manager_with(&["no-location"], opts).await;
    let sup = manager.plugin("no-location").unwrap();
    let started = Instant::now();
    let err = manager
        .component_version_repositories()
        .get(&test_spec())
        .await
        .err()
        .unwrap()
        .to_string();
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert!(err.contains("no-location"), "{err}");
    assert_eq!(sup.spawn_count(), 1);
    assert!(sup.pid().is_none(), "the hung process must be gone");
    manager.shutdown().await.unwrap();
}

#[tokio::test]
async fn process_flooding_stdout_and_stderr_does_not_block() {
    let (_dir, manager) = manager_with(&["flood"], options()).await;
    let call = async {
        let repo = manager
            .component_version_repositories()
            .get(&test_spec())
            .await
            .unwrap();
        for _ in 0..3 {
            repo.list_component_versions(list_request(), &Credentials::new())
                .await
                .unwrap();
        }
    };
    tokio::time::timeout(Duration::from_secs(20), call)
        .await
        .expect("a flooding plugin blocked");
    manager.shutdown().await.unwrap();
}

#[tokio::test]
async fn process_panicking_handler_answers_500_and_keeps_serving() {
    let (_dir, manager) = manager_with(&["panic-on-get"], options()).await;
    let repo = manager
        .component_version_repositories()
        .get(&test_spec())
        .await
        .unwrap();
    let err = repo
        .get_component_version(
            cvr::GetComponentVersionRequest {
                repository: None,
                name: "a".into(),
                version: "1".into(),
            },
            &Credentials::new(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, ContractError::Remote { .. }), "{err:?}");
    assert_eq!(err.kind(), ocm_plugin_contracts::ErrorKind::Internal);
    let text = err.to_string();
    assert!(
        text.contains("500") && text.contains("panic recovered"),
        "{text}"
    );
    repo.list_component_versions(list_request(), &Credentials::new())
        .await
        .unwrap();
    assert_eq!(manager.plugin("panic-on-get").unwrap().spawn_count(), 1);
    manager.shutdown().await.unwrap();
}

#[tokio::test]
async fn plugin_errors_keep_their_kind_across_the_wire() {
    let (_dir, manager) = manager_with(&["kinds"], options()).await;
    let repo = manager
        .component_version_repositories()
        .get(&test_spec())
        .await
        .unwrap();
    let missing = repo
        .get_component_version(
            cvr::GetComponentVersionRequest {
                repository: None,
                name: "a".into(),
                version: "1".into(),
            },
            &Credentials::new(),
        )
        .await
        .unwrap_err();
    assert!(matches!(missing, ContractError::NotFound(_)), "{missing:?}");
    let forbidden: Credentials = [("username".to_owned(), "forbidden".to_owned())].into();
    let denied = repo
        .list_component_versions(list_request(), &forbidden)
        .await
        .unwrap_err();
    assert!(
        matches!(denied, ContractError::Unauthorized(_)),
        "{denied:?}"
    );
    assert!(
        denied.to_string().contains("user forbidden may not list"),
        "{denied}"
    );
    let id = repo
        .get_identity(cvr::GetIdentityRequest { typ: test_spec() })
        .await
        .unwrap();
    assert_eq!(id.identity["baseUrl"], "https://example.org");
    manager.shutdown().await.unwrap();
}

#[tokio::test]
async fn lifecycle_idle_plugin_stops_itself_and_restarts_on_next_use() {
    let opts = RegistrationOptions {
        idle_timeout: Some(Duration::from_millis(300)),
        ..options()
    };
    let (_dir, manager) = manager_with(&["idler"], opts).await;
    let sup = manager.plugin("idler").unwrap();
    let repo = manager
        .component_version_repositories()
        .get(&test_spec())
        .await
        .unwrap();
    repo.list_component_versions(list_request(), &Credentials::new())
        .await
        .unwrap();
    let pid = sup.pid().unwrap();
    wait_exit(&sup, Duration::from_secs(10)).await;
    assert!(!process_exists(pid), "reaped after its idle exit");
    repo.list_component_versions(list_request(), &Credentials::new())
        .await
        .unwrap();
    assert_eq!(sup.spawn_count(), 2);
    assert_ne!(sup.pid().unwrap(), pid);
    manager.shutdown().await.unwrap();
}

/// Shutdown is a barrier: raced against a registration (cached plugins registered at once, a
/// slow probe in the background) and against calls, it returns only when nothing of the manager
/// runs any more, and after it every call fails as shut down, no plugin is started, no
/// supervisor is left that could start one, and the temporary directory is gone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lifecycle_shutdown_is_a_barrier_against_registration_and_calls() {
    let dir = PluginDir::new().unwrap();
    dir.add("serving", &test_plugin()).unwrap();
    dir.add("slow-capabilities-hang", &test_plugin()).unwrap();
    let cache = tempfile::tempdir().unwrap();
    for round in 0..200 {
        // Even rounds probe every plugin; odd ones find the serving plugin in the cache.
        let cache_dir = cache.path().join(format!("{}", round / 2));
        let opts = || RegistrationOptions {
            cache: ocm_plugin_manager::CapabilityCache::At(cache_dir.clone()),
            capabilities_timeout: Duration::from_secs(20),
            ..options()
        };
        let manager = PluginManager::new().unwrap();
        let temp = manager.temp_dir().to_owned();
        let (begun, registration_begun) = tokio::sync::watch::channel(false);
        let mut shutdown_after = registration_begun.clone();
        let registering = {
            let (manager, path, opts) = (manager.clone(), dir.path().to_owned(), opts());
            tokio::spawn(async move {
                let registration = manager.start_registration(path, opts).await;
                begun.send_replace(true);
                registration
            })
        };
        // The call starts once the registration has (so it waits for the plugin and starts it).
        let calling = {
            let manager = manager.clone();
            let mut registration_begun = registration_begun;
            tokio::spawn(async move {
                let _ = registration_begun.wait_for(|begun| *begun).await;
                let repo = manager
                    .component_version_repositories()
                    .get(&test_spec())
                    .await
                    .map_err(|e| e.to_string())?;
                repo.list_component_versions(list_request(), &Credentials::new())
                    .await
                    .map_err(|e| e.to_string())
            })
        };
        // Shut down once the registration has begun: at a different point of the call's
        // plugin start in each round, or after the call in every fifth.
        let _ = shutdown_after.wait_for(|begun| *begun).await;
        let calling = if round % 5 == 0 {
            let done = calling.await.unwrap();
            tokio::spawn(async move { done })
        } else {
            calling
        };
        for _ in 0..round % 23 {
            tokio::task::yield_now().await;
        }
        let started = Instant::now();
        if let Err(e) = manager.shutdown().await {
            let left: Vec<_> = walk(&temp);
            panic!("round {round}: shutdown failed: {e}; left: {left:?}");
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "round {round}: shutdown waited {:?} (for the hanging probe?)",
            started.elapsed()
        );
        assert!(!temp.exists(), "round {round}: temp dir left behind");
        // Whatever the registration and the call did, nothing runs now and nothing can start.
        let registration = registering.await.unwrap();
        if let Ok(registration) = registration {
            let _ = registration.finish().await;
        }
        let _ = calling.await.unwrap();
        for sup in manager.plugins() {
            assert_eq!(sup.pid(), None, "round {round}: {} still runs", sup.id());
        }
        let after = manager
            .component_version_repositories()
            .get(&test_spec())
            .await;
        if let Ok(repo) = after {
            let err = repo
                .list_component_versions(list_request(), &Credentials::new())
                .await
                .unwrap_err();
            assert!(
                err.to_string().contains("shut down"),
                "round {round}: {err}"
            );
        }
        assert!(matches!(
            manager.start_registration(dir.path(), opts()).await,
            Err(ocm_plugin_manager::Error::ShutDown)
        ));
    }
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        }
        out.push(path);
    }
    out
}

/// `shutdown` abandons a start in progress instead of waiting for its deadline: the half-started
/// process is killed, the caller gets a shut-down error, and shutdown returns at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lifecycle_shutdown_abandons_a_start_in_progress() {
    let opts = RegistrationOptions {
        start_timeout: Duration::from_secs(60),
        ..options()
    };
    let (_dir, manager) = manager_with(&["slow-no-location"], opts).await;
    let sup = manager.plugin("slow-no-location").unwrap();
    let mut states = sup.watch_state();
    let calling = {
        let manager = manager.clone();
        tokio::spawn(async move {
            let repo = manager
                .component_version_repositories()
                .get(&test_spec())
                .await
                .map_err(|e| (e.kind(), e.to_string()))?;
            repo.list_component_versions(list_request(), &Credentials::new())
                .await
                .map_err(|e| (e.kind(), e.to_string()))
        })
    };
    // The process is spawned and waits for a location line it never prints.
    tokio::time::timeout(
        Duration::from_secs(10),
        states.wait_for(|s| *s == State::Starting),
    )
    .await
    .expect("the start never began")
    .unwrap();
    let pid = sup.pid().expect("a starting plugin has a pid");

    let started = Instant::now();
    manager.shutdown().await.unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "shutdown waited {:?} for the start",
        started.elapsed()
    );
    let (kind, err) = calling.await.unwrap().unwrap_err();
    assert!(err.contains("shut down"), "{err}");
    assert_eq!(kind, ocm_plugin_contracts::ErrorKind::Unavailable, "{err}");
    assert!(
        !process_exists(pid),
        "the half-started plugin was killed and reaped"
    );
    assert_eq!(sup.state(), State::Stopped);
}
