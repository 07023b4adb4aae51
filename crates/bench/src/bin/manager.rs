//! `ocm-bench-manager <plugin dir> <cache dir>`: a process that holds nothing but a plugin
//! manager with a directory registered, for the bench's "manager with 50 registered plugins"
//! row. In its own binary so that the resident pages are the manager's and its dependencies',
//! not the whole harness's (registry, distribution, test support).
//!
//! It registers the directory twice (the second time from the capability cache), prints
//! `ready`, and holds the manager until its stdin closes, while the bench reads this process's
//! memory from `/proc`.

use std::{io::Write as _, path::PathBuf, process::ExitCode};

use anyhow::{Context as _, Result, ensure};
use ocm_plugin_manager::{CapabilityCache, PluginManager, RegistrationOptions};

/// How many plugins the directory must register.
const PLUGINS: usize = 50;

fn main() -> ExitCode {
    let args: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let [dir, cache] = &args[..] else {
        eprintln!("usage: ocm-bench-manager <plugin dir> <cache dir>");
        return ExitCode::from(2);
    };
    // One current-thread runtime, as the bench and the SDK use.
    let result = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the runtime")
        .and_then(|runtime| runtime.block_on(hold(dir, cache)));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ocm-bench-manager: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn hold(dir: &std::path::Path, cache: &std::path::Path) -> Result<()> {
    let options = || RegistrationOptions {
        cache: CapabilityCache::At(cache.to_owned()),
        ..RegistrationOptions::default()
    };
    let warming = PluginManager::new()?;
    warming.register_plugins(dir, options()).await?;
    warming.shutdown().await?;
    let manager = PluginManager::new()?;
    let report = manager.register_plugins(dir, options()).await?;
    ensure!(
        report.registered().count() == PLUGINS,
        "expected {PLUGINS} registered plugins: {:?}",
        report
            .rejected()
            .map(|c| c.outcome.to_string())
            .collect::<Vec<_>>()
    );
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "ready")?;
    stdout.flush()?;
    drop(stdout);
    // Held until the bench, having read this process's memory, closes stdin.
    tokio::task::spawn_blocking(|| {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line)
    })
    .await??;
    manager.shutdown().await?;
    Ok(())
}
