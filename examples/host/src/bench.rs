//! Cold-start and warm-call timings, each reported next to a floor measured in the same run, so
//! the ratios mean something on any machine.

use std::{
    io::{BufRead, BufReader},
    path::PathBuf,
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use anyhow::{Context, Result, ensure};
use ocm_plugin_contracts::component_version_repository::v1 as cvr;
use ocm_plugin_manager::{PluginManager, RegistrationOptions};
use ocm_plugin_types::{Credentials, Descriptor, Raw};

const PLUGIN: &str = "directory-repository";

struct Stats {
    p50: Duration,
    p99: Duration,
}

fn stats(mut samples: Vec<Duration>) -> Stats {
    samples.sort();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    Stats {
        p50: at(0.50),
        p99: at(0.99),
    }
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1e3)
}

fn us(d: Duration) -> String {
    format!("{:.1} us", d.as_secs_f64() * 1e6)
}

pub(crate) async fn run(plugins: PathBuf, work: PathBuf, iterations: usize) -> Result<()> {
    let iterations = iterations.max(10);
    let cold_runs = (iterations / 10).max(10);
    let store = work.join("bench-store");
    std::fs::create_dir_all(&store)?;
    let binary = plugins.join(PLUGIN);

    // Floor for a cold start: spawn the same binary and read one stdout line (`capabilities`).
    let mut floor = Vec::new();
    for _ in 0..cold_runs {
        let t = Instant::now();
        let mut child = Command::new(&binary)
            .arg("capabilities")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("spawning {}", binary.display()))?;
        let mut line = String::new();
        BufReader::new(child.stdout.take().context("stdout")?).read_line(&mut line)?;
        floor.push(t.elapsed());
        child.wait()?;
    }

    let manager = PluginManager::new()?;
    manager
        .register_plugins(&plugins, RegistrationOptions::default())
        .await?;
    let spec = Raw::from_json(
        &serde_json::json!({"type": "DirectoryRepository/v1", "path": store}).to_string(),
    )?;
    let creds = Credentials::new();
    let repo = manager.component_version_repositories().get(&spec).await?;
    let mut d = Descriptor::default();
    d.component.name = "acme.org/bench".into();
    d.component.version = "1.0.0".into();
    d.component.provider = "acme.org".into();
    repo.add_component_version(
        cvr::AddComponentVersionRequest {
            repository: spec.clone(),
            descriptor: d,
        },
        &creds,
    )
    .await?;
    let get = || cvr::GetComponentVersionRequest {
        repository: Some(spec.clone()),
        name: "acme.org/bench".into(),
        version: "1.0.0".into(),
    };
    let supervisor = manager.plugin(PLUGIN).context("plugin")?;

    // Cold: stop the plugin, then time spawn -> first successful call.
    let mut cold = Vec::new();
    for _ in 0..cold_runs {
        supervisor.stop().await?;
        let t = Instant::now();
        repo.get_component_version(get(), &creds).await?;
        cold.push(t.elapsed());
    }
    let spawns = supervisor.spawn_count();
    ensure!(
        spawns as usize >= cold_runs,
        "expected a spawn per cold run, saw {spawns}"
    );

    // Warm: floor is the bare health round trip over the same pooled connection.
    let client = supervisor.client().await?;
    let mut health = Vec::new();
    let mut warm = Vec::new();
    for _ in 0..iterations {
        let t = Instant::now();
        client.health().await?;
        health.push(t.elapsed());
        let t = Instant::now();
        repo.get_component_version(get(), &creds).await?;
        warm.push(t.elapsed());
    }
    manager.shutdown().await?;

    let (floor, cold, health, warm) = (stats(floor), stats(cold), stats(health), stats(warm));
    println!(
        "bench: {cold_runs} cold starts, {iterations} warm calls (plugin {PLUGIN}, unix socket)"
    );
    println!(
        "  cold start (spawn -> first get-component-version): p50 {}  p99 {}",
        ms(cold.p50),
        ms(cold.p99)
    );
    println!(
        "    floor (spawn + read one stdout line, same binary): p50 {}  p99 {}   ratio p50 {:.2}x",
        ms(floor.p50),
        ms(floor.p99),
        cold.p50.as_secs_f64() / floor.p50.as_secs_f64()
    );
    println!(
        "  warm get-component-version:                         p50 {}  p99 {}",
        us(warm.p50),
        us(warm.p99)
    );
    println!(
        "    floor (GET /healthz, same connection pool):        p50 {}  p99 {}   ratio p50 {:.2}x",
        us(health.p50),
        us(health.p99),
        warm.p50.as_secs_f64() / health.p50.as_secs_f64()
    );
    Ok(())
}
