//! The capability cache and background registration, end to end: spawns are counted by a
//! wrapper script that logs each run before it hands over to the real plugin.

use std::{
    fs,
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

use ocm_plugin_contracts::component_version_repository::v1 as cvr;
use ocm_plugin_manager::{
    CapabilityCache, Outcome, PluginManager, RegistrationOptions, RegistrationReport,
};
use ocm_plugin_registries::component_version_repository::Provider;
use ocm_plugin_test_support::PluginDir;
use ocm_plugin_types::{Credentials, Raw};

use crate::{cli, options, test_plugin};

/// A plugin `name` in `dir` that appends its first argument to `log` on every run, then runs
/// the test plugin (which behaves by its file name) through a link of the same name beside
/// `log`, outside the plugin directory.
fn counted(dir: &PluginDir, name: &str, log: &Path) -> PathBuf {
    let real = log.with_file_name(format!("impl-{name}")).join(name);
    fs::create_dir_all(real.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(test_plugin(), &real).unwrap();
    let script = format!(
        "#!/bin/sh\necho \"$1\" >> '{}'\nexec '{}' \"$@\"\n",
        log.display(),
        real.display()
    );
    dir.write(name, &script, 0o755).unwrap()
}

/// How many `capabilities` runs `log` holds.
fn probes(log: &Path) -> usize {
    fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter(|l| *l == "capabilities")
        .count()
}

fn cached_in(cache: &Path) -> RegistrationOptions {
    RegistrationOptions {
        cache: CapabilityCache::At(cache.to_owned()),
        ..options()
    }
}

fn cached_ids(report: &RegistrationReport) -> Vec<String> {
    let mut ids: Vec<String> = report
        .candidates
        .iter()
        .filter(|c| matches!(c.outcome, Outcome::Registered { cached: true, .. }))
        .map(|c| c.id.clone())
        .collect();
    ids.sort();
    ids
}

/// Looks `spec` up (starting its plugin) and lists the versions of a component through it.
async fn list_through(manager: &PluginManager, spec: &Raw) -> Vec<String> {
    let repo = manager
        .component_version_repositories()
        .get(spec)
        .await
        .unwrap();
    repo.list_component_versions(
        cvr::ListComponentVersionsRequest {
            repository: Some(spec.clone()),
            name: "acme.org/x".into(),
        },
        &Credentials::new(),
    )
    .await
    .unwrap()
}

fn registered(report: &RegistrationReport) -> usize {
    report.registered().count()
}

#[tokio::test]
async fn a_warm_cache_spawns_nothing_and_a_changed_binary_is_probed_again() {
    let work = tempfile::tempdir().unwrap();
    let log = work.path().join("runs");
    let cache = work.path().join("cache");
    // Twenty plugins. Each serves `TestRepository/v1`, so each gets a directory of its own
    // (in one directory all but the first would be duplicates).
    let names: Vec<String> = (0..20).map(|i| format!("plugin{i:02}")).collect();
    let mut dirs = Vec::new();
    for name in &names {
        let d = PluginDir::new().unwrap();
        counted(&d, name, &log);
        dirs.push(d);
    }

    // Cold: every plugin probed once.
    for d in &dirs {
        let manager = PluginManager::new().unwrap();
        let report = manager
            .register_plugins(d.path(), cached_in(&cache))
            .await
            .unwrap();
        assert_eq!(registered(&report), 1);
        assert!(cached_ids(&report).is_empty());
        manager.shutdown().await.unwrap();
    }
    assert_eq!(probes(&log), 20);

    // Warm: nothing probed, everything registered from the cache, and usable.
    for d in &dirs {
        let manager = PluginManager::new().unwrap();
        let report = manager
            .register_plugins(d.path(), cached_in(&cache))
            .await
            .unwrap();
        assert_eq!(registered(&report), 1);
        assert_eq!(cached_ids(&report).len(), 1);
        manager.shutdown().await.unwrap();
    }
    assert_eq!(probes(&log), 20, "a warm cache spawned plugins");

    // A used cached plugin works (its schema compiles on first use).
    let manager = PluginManager::new().unwrap();
    manager
        .register_plugins(dirs[0].path(), cached_in(&cache))
        .await
        .unwrap();
    let spec = Raw::from_json(r#"{"type":"TestRepository/v1"}"#).unwrap();
    list_through(&manager, &spec).await;
    manager.shutdown().await.unwrap();

    // Change one binary (a comment, same behaviour): that one is probed again, once.
    let changed = dirs[3].path().join(&names[3]);
    let mut script = fs::read_to_string(&changed).unwrap();
    script.push_str("# changed\n");
    fs::write(&changed, script).unwrap();
    for _ in 0..2 {
        let manager = PluginManager::new().unwrap();
        manager
            .register_plugins(dirs[3].path(), cached_in(&cache))
            .await
            .unwrap();
        manager.shutdown().await.unwrap();
    }
    assert_eq!(probes(&log), 21);

    // Disabled: always probed.
    let manager = PluginManager::new().unwrap();
    let report = manager
        .register_plugins(
            dirs[0].path(),
            RegistrationOptions {
                cache: CapabilityCache::Disabled,
                ..options()
            },
        )
        .await
        .unwrap();
    assert!(cached_ids(&report).is_empty());
    manager.shutdown().await.unwrap();
    assert_eq!(probes(&log), 22);
}

#[tokio::test]
async fn a_corrupt_cache_is_empty_and_is_repaired() {
    let dir = PluginDir::new().unwrap();
    let work = tempfile::tempdir().unwrap();
    let log = work.path().join("runs");
    let cache = work.path().join("cache");
    counted(&dir, "plugin", &log);
    fs::create_dir_all(&cache).unwrap();
    fs::write(cache.join("capabilities-v1.json"), b"\x00{\"version\":").unwrap();

    for expect_cached in [false, true] {
        let manager = PluginManager::new().unwrap();
        let report = manager
            .register_plugins(dir.path(), cached_in(&cache))
            .await
            .unwrap();
        assert_eq!(registered(&report), 1);
        assert_eq!(!cached_ids(&report).is_empty(), expect_cached);
        manager.shutdown().await.unwrap();
    }
    assert_eq!(probes(&log), 1);
}

#[tokio::test]
async fn hosts_registering_at_once_share_one_cache() {
    let work = tempfile::tempdir().unwrap();
    let log = work.path().join("runs");
    let cache = work.path().join("cache");
    let dirs: Vec<PluginDir> = (0..8)
        .map(|i| {
            let d = PluginDir::new().unwrap();
            counted(&d, &format!("plugin{i}"), &log);
            d
        })
        .collect();
    let register = |d: &PluginDir| {
        let (path, options) = (d.path().to_owned(), cached_in(&cache));
        async move {
            let manager = PluginManager::new().unwrap();
            let report = manager.register_plugins(path, options).await.unwrap();
            manager.shutdown().await.unwrap();
            report
        }
    };
    let reports = futures_util::future::join_all(dirs.iter().map(register)).await;
    assert!(reports.iter().all(|r| registered(r) == 1));
    assert_eq!(probes(&log), 8);
    // Every host's entry survived the others' writes.
    let reports = futures_util::future::join_all(dirs.iter().map(register)).await;
    assert!(reports.iter().all(|r| cached_ids(r).len() == 1));
    assert_eq!(probes(&log), 8);
}

#[tokio::test]
async fn a_call_to_a_cached_plugin_never_waits_for_another_probe() {
    let dir = PluginDir::new().unwrap();
    let work = tempfile::tempdir().unwrap();
    let cache = work.path().join("cache");
    dir.add("good", &test_plugin()).unwrap();
    let manager = PluginManager::new().unwrap();
    manager
        .register_plugins(dir.path(), cached_in(&cache))
        .await
        .unwrap();
    manager.shutdown().await.unwrap();

    // A plugin whose `capabilities` hangs joins the directory.
    dir.add("capabilities-hang", &test_plugin()).unwrap();
    let manager = PluginManager::new().unwrap();
    let started = Instant::now();
    let registration = manager
        .start_registration(
            dir.path(),
            RegistrationOptions {
                capabilities_timeout: Duration::from_secs(30),
                ..cached_in(&cache)
            },
        )
        .await
        .unwrap();
    let spec = Raw::from_json(r#"{"type":"TestRepository/v1"}"#).unwrap();
    list_through(&manager, &spec).await;
    let elapsed = started.elapsed();
    assert!(
        !registration.is_finished(),
        "the hanging probe is still running"
    );
    assert!(elapsed < Duration::from_secs(10), "{elapsed:?}");

    // A type nobody declares waits for the probes, and no longer than their deadline: the
    // shutdown below ends the registration, and the look-up with it.
    let lookup = tokio::spawn({
        let manager = manager.clone();
        async move {
            let spec = Raw::from_json(r#"{"type":"Nobody/v1"}"#).unwrap();
            manager
                .component_version_repositories()
                .get(&spec)
                .await
                .err()
                .map(|e| e.to_string())
        }
    });
    let started = Instant::now();
    manager.shutdown().await.unwrap();
    assert!(matches!(
        registration.finish().await,
        Err(ocm_plugin_manager::Error::ShutDown)
    ));
    let err = lookup.await.unwrap().unwrap_or_default();
    assert!(err.contains("Nobody/v1"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[tokio::test]
async fn a_look_up_waits_for_the_probe_that_brings_its_type() {
    let dir = PluginDir::new().unwrap();
    let work = tempfile::tempdir().unwrap();
    dir.add("good", &test_plugin()).unwrap();
    let manager = PluginManager::new().unwrap();
    let _registration = manager
        .start_registration(
            dir.path(),
            RegistrationOptions {
                cache: CapabilityCache::At(work.path().join("cache")),
                ..options()
            },
        )
        .await
        .unwrap();
    // Nothing is cached, so the plugin is still being probed; the look-up waits for it.
    let spec = Raw::from_json(r#"{"type":"TestRepository/v1"}"#).unwrap();
    let repo = manager.component_version_repositories().get(&spec).await;
    assert!(repo.is_ok(), "{:?}", repo.err());
    manager.shutdown().await.unwrap();
}

#[test]
fn the_cli_says_which_entries_came_from_the_cache() {
    let dir = PluginDir::new().unwrap();
    let work = tempfile::tempdir().unwrap();
    let log = work.path().join("runs");
    counted(&dir, "plugin", &log);
    let list = |extra: &[&str]| {
        let out = assert_cmd::Command::new(cli())
            .arg("list")
            .arg(dir.path())
            .arg("--json")
            .args(extra)
            .env("OCM_PLUGIN_CACHE_DIR", work.path().join("cache"))
            .output()
            .unwrap();
        let items: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        items[0]["cached"].clone()
    };
    assert_eq!(list(&[]), false);
    assert_eq!(list(&[]), true);
    assert_eq!(list(&["--no-cache"]), false);
    assert_eq!(probes(&log), 2);
}

#[tokio::test]
async fn a_plugin_probed_fine_is_cached_even_if_the_host_stops_during_a_slow_probe() {
    let dir = PluginDir::new().unwrap();
    let work = tempfile::tempdir().unwrap();
    let log = work.path().join("runs");
    let cache = work.path().join("cache");
    // Discovered first, so it registers as soon as its probe is done.
    counted(&dir, "a-good", &log);
    dir.add("capabilities-hang", &test_plugin()).unwrap();

    let manager = PluginManager::new().unwrap();
    let started = Instant::now();
    let registration = manager
        .start_registration(
            dir.path(),
            RegistrationOptions {
                capabilities_timeout: Duration::from_secs(30),
                ..cached_in(&cache)
            },
        )
        .await
        .unwrap();
    // Returns once `a-good` is registered; the other probe still hangs.
    let spec = Raw::from_json(r#"{"type":"TestRepository/v1"}"#).unwrap();
    manager
        .component_version_repositories()
        .get(&spec)
        .await
        .unwrap();
    assert!(!registration.is_finished());
    // The host stops long before the hanging probe's deadline.
    manager.shutdown().await.unwrap();
    assert!(started.elapsed() < Duration::from_secs(20));
    assert_eq!(probes(&log), 1);

    // The next host finds `a-good` in the cache.
    let manager = PluginManager::new().unwrap();
    let report = manager
        .register_plugins(
            dir.path(),
            RegistrationOptions {
                capabilities_timeout: Duration::from_millis(500),
                ..cached_in(&cache)
            },
        )
        .await
        .unwrap();
    assert_eq!(cached_ids(&report), ["a-good"]);
    assert_eq!(probes(&log), 1);
    manager.shutdown().await.unwrap();
}

/// A plugin `name` whose `capabilities` answers only once the test writes a line into the
/// returned FIFO; otherwise it is `binary`.
fn gated(dir: &PluginDir, work: &Path, name: &str, binary: &Path) -> PathBuf {
    let real = work.join(format!("impl-{name}")).join(name);
    fs::create_dir_all(real.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(binary, &real).unwrap();
    let fifo = work.join(format!("{name}.gate"));
    rustix::fs::mkfifoat(
        rustix::fs::CWD,
        &fifo,
        rustix::fs::Mode::from_raw_mode(0o600),
    )
    .unwrap();
    let script = format!(
        "#!/bin/sh\nif [ \"$1\" = capabilities ]; then read gate < '{}'; fi\nexec '{}' \"$@\"\n",
        fifo.display(),
        real.display()
    );
    dir.write(name, &script, 0o755).unwrap();
    fifo
}

/// Lets a gated plugin's `capabilities` answer (bounded: the probe opens the FIFO at once).
async fn open_gate(fifo: PathBuf) {
    tokio::time::timeout(
        Duration::from_secs(10),
        tokio::task::spawn_blocking(move || fs::write(fifo, "go\n")),
    )
    .await
    .expect("the gated probe reads its gate")
    .unwrap()
    .unwrap();
}

fn uncached() -> RegistrationOptions {
    RegistrationOptions {
        cache: CapabilityCache::Disabled,
        capabilities_timeout: Duration::from_secs(30),
        ..options()
    }
}

#[tokio::test]
async fn a_plugin_probed_ahead_of_an_earlier_one_serves_at_once() {
    let dir = PluginDir::new().unwrap();
    let work = tempfile::tempdir().unwrap();
    // Discovered first, answers only when told to.
    let gate = gated(&dir, work.path(), "a-slow", &test_plugin());
    dir.add("b-directory", &crate::directory_repository())
        .unwrap();
    let store = work.path().join("store");

    let manager = PluginManager::new().unwrap();
    let registration = manager
        .start_registration(dir.path(), uncached())
        .await
        .unwrap();
    let spec =
        Raw::new(serde_json::json!({"type": "DirectoryRepository/v1", "path": store})).unwrap();
    assert!(list_through(&manager, &spec).await.is_empty());
    assert!(
        !registration.is_finished(),
        "the earlier probe is still gated"
    );
    let provided = manager.plugin("b-directory").unwrap();
    assert_eq!(provided.spawn_count(), 1);

    open_gate(gate).await;
    let report = registration.finish().await.unwrap();
    assert_eq!(registered(&report), 2, "{report:?}");
    // Registered in its turn with the supervisor it was started with: no second process.
    let confirmed = manager.plugin("b-directory").unwrap();
    assert_eq!(provided, confirmed, "one plugin, one supervisor");
    list_through(&manager, &spec).await;
    assert_eq!(confirmed.spawn_count(), 1);
    manager.shutdown().await.unwrap();
}

#[tokio::test]
async fn two_plugins_of_one_type_resolve_in_discovery_order_whatever_the_timing() {
    let dir = PluginDir::new().unwrap();
    let work = tempfile::tempdir().unwrap();
    let gate = gated(&dir, work.path(), "a-first", &test_plugin());
    dir.add("b-second", &test_plugin()).unwrap();

    let manager = PluginManager::new().unwrap();
    let registration = manager
        .start_registration(dir.path(), uncached())
        .await
        .unwrap();
    // Meanwhile the type is served by the only plugin probed so far.
    let spec = Raw::from_json(r#"{"type":"TestRepository/v1"}"#).unwrap();
    manager
        .component_version_repositories()
        .get(&spec)
        .await
        .unwrap();
    let second = manager.plugin("b-second").unwrap();
    assert!(second.pid().is_some(), "started to serve the look-up");

    open_gate(gate).await;
    let report = registration.finish().await.unwrap();
    let outcome = |id: &str| {
        report
            .candidates
            .iter()
            .find(|c| c.id == id)
            .map(|c| c.outcome.to_string())
            .unwrap()
    };
    assert!(
        outcome("a-first").starts_with("registered"),
        "{}",
        outcome("a-first")
    );
    assert!(
        outcome("b-second").contains("already registered with ID: a-first"),
        "{}",
        outcome("b-second")
    );
    // The type is the first plugin's now, and the second one stops.
    let listed = manager.component_version_repositories().list();
    assert!(
        listed
            .iter()
            .any(|(t, p)| t.to_string() == "TestRepository/v1"
                && *p == Provider::External("a-first".into())),
        "{listed:?}"
    );
    assert!(manager.plugin("b-second").is_none());
    assert!(
        tokio::time::timeout(Duration::from_secs(10), second.wait_exit())
            .await
            .is_ok(),
        "the rejected plugin's process stops"
    );
    manager.shutdown().await.unwrap();
}
