//! Soak: start, call, stop cycles leave open descriptors, child processes and socket files
//! flat. CI runs a short variant; `cargo xtask soak` sets `OCM_SOAK_CYCLES=1000`.
//! Named `lifecycle_` so nextest can serialise it.

use std::path::Path;

use ocm_plugin_contracts::component_version_repository::v1 as cvr;
use ocm_plugin_manager::PluginManager;
use ocm_plugin_test_support::{PluginDir, child_count};
use ocm_plugin_types::Credentials;

use crate::{options, test_plugin, test_spec};

/// Cycles of the CI variant: enough to show a per-cycle leak, short enough for CI.
const CI_CYCLES: usize = 60;

#[derive(Debug, PartialEq, Eq, Clone, Copy)]
struct Counts {
    descriptors: usize,
    children: usize,
    socket_files: usize,
}

fn count_entries(dir: &Path) -> usize {
    std::fs::read_dir(dir).map_or(0, |d| d.count())
}

/// Socket files anywhere under `dir`.
fn socket_files(dir: &Path) -> usize {
    use std::os::unix::fs::FileTypeExt as _;
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.file_type() {
            Ok(t) if t.is_socket() => 1,
            Ok(t) if t.is_dir() => socket_files(&e.path()),
            _ => 0,
        })
        .sum()
}

fn counts(manager: &PluginManager) -> Counts {
    Counts {
        descriptors: count_entries(Path::new("/proc/self/fd")),
        children: child_count(std::process::id()),
        socket_files: socket_files(manager.temp_dir()),
    }
}

/// Process-wide counts need a process of their own: the test harness runs other tests in
/// threads of this one. The test re-runs itself alone in a child process, which does the work.
#[test]
fn lifecycle_soak_start_call_stop_cycles_leak_nothing() {
    if std::env::var_os(INNER).is_some() {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(soak());
        return;
    }
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "soak::lifecycle_soak_start_call_stop_cycles_leak_nothing",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(INNER, "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    print!("{stdout}");
    eprint!("{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "the soak failed: {}", out.status);
    assert!(
        stdout.contains("start/call/stop cycles in"),
        "the soak did not run: {stdout}"
    );
}

/// Descriptors that may still be closing right after the last stop (its stdout and stderr
/// readers and its pidfd).
const SLACK: usize = 3;

/// Set in the child process that runs the soak.
const INNER: &str = "OCM_SOAK_INNER";

async fn soak() {
    let cycles = std::env::var("OCM_SOAK_CYCLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(CI_CYCLES);
    let dir = PluginDir::new().unwrap();
    dir.add("soak", &test_plugin()).unwrap();
    let manager = PluginManager::new().unwrap();
    manager
        .register_plugins(dir.path(), options())
        .await
        .unwrap();
    let sup = manager.plugin("soak").unwrap();
    let repo = manager
        .component_version_repositories()
        .get(&test_spec())
        .await
        .unwrap();
    let request = || cvr::ListComponentVersionsRequest {
        repository: None,
        name: "acme.org/x".into(),
    };

    // One warm-up cycle, so lazily created runtime resources (reactor, pools) are counted.
    repo.list_component_versions(request(), &Credentials::default())
        .await
        .unwrap();
    sup.stop().await.unwrap();
    let before = counts(&manager);
    let started = std::time::Instant::now();
    for cycle in 0..cycles {
        repo.list_component_versions(request(), &Credentials::default())
            .await
            .unwrap_or_else(|e| panic!("cycle {cycle}: {e}"));
        sup.stop().await.unwrap();
        if cycle % 100 == 99 {
            println!("soak: {} cycles, {:?}", cycle + 1, counts(&manager));
        }
    }
    let after = counts(&manager);
    println!(
        "soak: {cycles} start/call/stop cycles in {:?}; before {before:?}, after {after:?}",
        started.elapsed()
    );
    assert_eq!(sup.spawn_count(), cycles as u64 + 1);
    // Flat: a leak grows with the cycles (at least one per cycle). The last process's pipe
    // readers may still be closing when `stop` returns, hence a small constant slack.
    assert!(
        after.descriptors <= before.descriptors + SLACK,
        "descriptors grew over {cycles} cycles: {before:?} -> {after:?}"
    );
    assert_eq!(after.children, before.children, "children left behind");
    assert_eq!(
        after.socket_files, before.socket_files,
        "socket files left behind"
    );
    manager.shutdown().await.unwrap();
}
