//! The scenarios of `cargo xtask bench`, against the example plugins.

use std::{
    path::{Path, PathBuf},
    sync::Arc,
    time::{Duration, Instant},
};

use anyhow::{Context as _, Result, ensure};
use ocm_plugin_manager::{
    CapabilityCache, Outcome, PluginManager, RegistrationOptions, RegistrationReport,
    contracts::{component_version_repository::v1 as cvr, identity::GetIdentityRequest},
    types::{Credentials, Descriptor, Location, LocationType, Raw, Resource},
};

use crate::{
    floors,
    report::{Results, Row, Samples, Unit},
};

/// How much a run does.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sizes {
    pub(crate) cold: usize,
    pub(crate) warm: usize,
    pub(crate) discovery_runs: usize,
    pub(crate) probe_cpu_runs: usize,
    pub(crate) blob: usize,
    pub(crate) burst_descriptor_resources: usize,
    /// Digests of the 500-resource descriptor (and as many serde_json round trips).
    pub(crate) digest_iterations: usize,
    /// Installs from the loopback registry (each into an empty plugin directory).
    pub(crate) installs: usize,
    /// Installed plugins in the trust scenario's plugin directory (at most the 9 examples).
    pub(crate) trusted_plugins: usize,
    /// Registrations of each kind in the trust scenario.
    pub(crate) trust_rounds: usize,
}

impl Sizes {
    pub(crate) fn full() -> Self {
        Self {
            cold: 100,
            warm: 2000,
            discovery_runs: 15,
            probe_cpu_runs: 100,
            blob: 256 << 20,
            burst_descriptor_resources: 8000,
            digest_iterations: 500,
            installs: 9,
            trusted_plugins: 9,
            trust_rounds: 15,
        }
    }

    pub(crate) fn quick() -> Self {
        Self {
            cold: 10,
            warm: 100,
            discovery_runs: 2,
            probe_cpu_runs: 10,
            blob: 8 << 20,
            burst_descriptor_resources: 200,
            digest_iterations: 10,
            installs: 2,
            trusted_plugins: 3,
            trust_rounds: 3,
        }
    }
}

/// Where things are.
pub(crate) struct Setup {
    /// This binary (the trivial binary of the spawn floor and the floor server).
    pub(crate) exe: PathBuf,
    /// The example plugins.
    pub(crate) plugins: PathBuf,
    /// Scratch space.
    pub(crate) work: PathBuf,
}

const REPOSITORY: &str = "directory-repository";
const RESOURCES: &str = "local-resources";

fn mb_per_s(bytes: usize, d: Duration) -> f64 {
    bytes as f64 / 1e6 / d.as_secs_f64().max(1e-9)
}

fn options(cache: CapabilityCache) -> RegistrationOptions {
    RegistrationOptions {
        cache,
        ..RegistrationOptions::default()
    }
}

/// A plugin directory of `n` links to the directory repository, each its own plugin (a link's
/// name is its id, and each link is probed on its own).
fn plugin_dir(setup: &Setup, n: usize) -> Result<PathBuf> {
    let dir = setup.work.join(format!("discovery-{n}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    for i in 0..n {
        std::os::unix::fs::symlink(setup.plugins.join(REPOSITORY), dir.join(format!("p{i:02}")))?;
    }
    Ok(dir)
}

/// `n` plugins that each serve a type of their own: scripts that answer `capabilities` with
/// the directory repository's document, its type renamed, and run the real plugin otherwise.
async fn distinct_plugins(setup: &Setup, n: usize) -> Result<PathBuf> {
    let real = setup.plugins.join(REPOSITORY);
    let out = tokio::process::Command::new(&real)
        .arg("capabilities")
        .output()
        .await?;
    ensure!(
        out.status.success(),
        "{} capabilities failed",
        real.display()
    );
    let document = String::from_utf8(out.stdout)?;
    let dir = setup.work.join(format!("distinct-{n}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("documents"))?;
    for i in 0..n {
        let doc = dir.join("documents").join(format!("p{i:02}.json"));
        std::fs::write(
            &doc,
            document.replace("DirectoryRepository", &format!("Bench{i}Repository")),
        )?;
        let script = format!(
            "#!/bin/sh\nif [ \"$1\" = capabilities ]; then exec cat '{}'; fi\nexec '{}' \"$@\"\n",
            doc.display(),
            real.display()
        );
        let path = dir.join(format!("p{i:02}"));
        std::fs::write(&path, script)?;
        std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o755))?;
    }
    Ok(dir)
}

fn cached_count(report: &RegistrationReport) -> usize {
    report
        .candidates
        .iter()
        .filter(|c| matches!(c.outcome, Outcome::Registered { cached: true, .. }))
        .count()
}

/// One registration of `dir`, timed (manager creation and shutdown excluded).
async fn register_once(
    dir: &Path,
    cache: CapabilityCache,
) -> Result<(Duration, RegistrationReport)> {
    let manager = PluginManager::new()?;
    let t = Instant::now();
    let report = manager.register_plugins(dir, options(cache)).await?;
    let elapsed = t.elapsed();
    manager.shutdown().await?;
    Ok((elapsed, report))
}

pub(crate) async fn discovery(setup: &Setup, sizes: Sizes, results: &mut Results) -> Result<()> {
    let cpu = floors::probe_cpu(&setup.plugins.join(REPOSITORY), sizes.probe_cpu_runs)?;
    let cores = results.cores.max(1);
    results.push(Row::value(
        "discovery",
        "CPU time of one `capabilities` probe",
        Unit::Millis,
        Unit::Millis.of(cpu),
    ));
    for n in [1usize, 10, 50] {
        let dir = plugin_dir(setup, n)?;
        // Cold: an empty cache every time, so every plugin is probed (and the cache written).
        let mut cold = Vec::new();
        for run in 0..sizes.discovery_runs {
            let cache = setup.work.join(format!("cache-cold-{n}-{run}"));
            let (t, report) = register_once(&dir, CapabilityCache::At(cache.clone())).await?;
            ensure!(
                report.registered().count() >= 1,
                "nothing registered from {}",
                dir.display()
            );
            ensure!(
                cached_count(&report) == 0,
                "a cold run found cached plugins"
            );
            cold.push(t);
            let _ = std::fs::remove_dir_all(cache);
        }
        // Warm: the cache is filled once, then every run registers from it. These plugins
        // serve a type each, so every one is registered and its outcome says whether its
        // capabilities came from the cache (duplicates of one type would be refused by the
        // registry, whichever way their capabilities came).
        let distinct = distinct_plugins(setup, n).await?;
        let cache = CapabilityCache::At(setup.work.join(format!("cache-warm-{n}")));
        register_once(&distinct, cache.clone()).await?;
        let mut warm = Vec::new();
        let mut spawned = 0;
        for _ in 0..sizes.discovery_runs.max(5) {
            let (t, report) = register_once(&distinct, cache.clone()).await?;
            ensure!(
                report.registered().count() == n,
                "expected {n} registered plugins from {}",
                distinct.display()
            );
            spawned += n - cached_count(&report);
            warm.push(t);
        }
        let cold = Samples::new(cold);
        let warm = Samples::new(warm);
        let floor = cpu * u32::try_from(n).unwrap_or(u32::MAX) / u32::try_from(cores).unwrap_or(1);
        let mut row = Row::timed(
            "discovery",
            format!("{n} changed plugins (cold cache)"),
            Unit::Millis,
            &cold,
        )
        .against(
            format!("{n} x probe CPU / {cores} cores"),
            Unit::Millis.of(floor),
        );
        if n == 50 {
            let met = cold.p50() <= floor.mul_f64(1.5);
            row = row.budget("<= 1.5x floor", met);
        }
        results.push(row);
        let mut row = Row::timed(
            "discovery",
            format!("{n} unchanged plugins (warm cache)"),
            Unit::Millis,
            &warm,
        );
        if n == 50 {
            row = row.budget(
                "<= 5 ms, 0 spawns",
                warm.p50() <= Duration::from_millis(5) && spawned == 0,
            );
        }
        results.push(row);
        results.push(Row::value(
            "discovery",
            format!("  spawns in the warm runs ({n} plugins)"),
            Unit::Spawns,
            spawned as f64,
        ));
    }
    Ok(())
}

/// A descriptor with `resources` resources.
fn descriptor(name: &str, resources: usize) -> Descriptor {
    let mut d = Descriptor::default();
    d.meta.schema_version = "v2".into();
    d.component.name = name.into();
    d.component.version = "1.0.0".into();
    d.component.provider = "acme.org".into();
    let list = (0..resources)
        .map(|i| Resource {
            name: format!("resource-{i}"),
            version: "1.0.0".into(),
            resource_type: "blob".into(),
            relation: "external".into(),
            access: Raw::new(serde_json::json!({
                "type": "ociArtifact/v1",
                "imageReference": format!("ghcr.io/acme/image-{i}:1.0.0"),
            }))
            .ok(),
            ..Resource::default()
        })
        .collect::<Vec<_>>();
    if !list.is_empty() {
        d.component.resources = Some(list);
    }
    d
}

/// What the blob and memory scenarios share: the plugins are registered and running.
#[derive(Clone, Copy)]
struct Run<'a> {
    setup: &'a Setup,
    sizes: Sizes,
    manager: &'a PluginManager,
    repo: &'a Arc<dyn cvr::ComponentVersionRepository>,
    spec: &'a Raw,
}

/// Cold start, warm calls, manager overhead, concurrency, large blobs and memory, against the
/// directory repository and the local resources plugin.
pub(crate) async fn calls(
    setup: &Setup,
    sizes: Sizes,
    spawn_floor: &Samples,
    raw: &Samples,
    results: &mut Results,
) -> Result<()> {
    let store = setup.work.join("store");
    std::fs::create_dir_all(&store)?;
    let manager = PluginManager::new()?;
    manager
        .register_plugins(&setup.plugins, options(CapabilityCache::Disabled))
        .await?;
    let spec = Raw::new(serde_json::json!({"type": "DirectoryRepository/v1", "path": store}))?;
    let creds = Credentials::new();
    let repo = manager.component_version_repositories().get(&spec).await?;
    for (name, n) in [("acme.org/small", 0), ("acme.org/large", 500)] {
        repo.add_component_version(
            cvr::AddComponentVersionRequest {
                repository: spec.clone(),
                descriptor: descriptor(name, n),
            },
            &creds,
        )
        .await?;
    }
    let get = |name: &str| cvr::GetComponentVersionRequest {
        repository: Some(spec.clone()),
        name: name.into(),
        version: "1.0.0".into(),
    };
    let supervisor = manager
        .plugin(REPOSITORY)
        .context("no directory-repository")?;

    // Cold start: stop the plugin, then time from the call that starts it to its answer.
    let mut cold = Vec::new();
    for _ in 0..sizes.cold {
        supervisor.stop().await?;
        let t = Instant::now();
        repo.get_component_version(get("acme.org/small"), &creds)
            .await?;
        cold.push(t.elapsed());
    }
    let cold = Samples::new(cold);
    let floor = Unit::Millis.of(spawn_floor.p50());
    let floor99 = Unit::Millis.of(spawn_floor.p99());
    results.push(
        Row::timed(
            "cold start",
            "get-component-version: spawn -> answer",
            Unit::Millis,
            &cold,
        )
        .against("spawn + read a line (p50)", floor)
        .budget(
            "p50 <= 2x floor",
            cold.p50() <= spawn_floor.p50().mul_f64(2.0),
        ),
    );
    results.push(
        Row::value(
            "cold start",
            "  p99 of the same",
            Unit::Millis,
            Unit::Millis.of(cold.p99()),
        )
        .against("spawn + read a line (p99)", floor99)
        .budget(
            "p99 <= 3x floor p99",
            cold.p99() <= spawn_floor.p99().mul_f64(3.0),
        ),
    );

    // The same start without the call: spawn to the location line and a /healthz answer.
    let mut started = Vec::new();
    for _ in 0..sizes.cold {
        supervisor.stop().await?;
        let t = Instant::now();
        supervisor.start().await?;
        started.push(t.elapsed());
    }
    let started = Samples::new(started);
    results.push(
        Row::timed(
            "cold start",
            "  of which spawn -> healthy (location, /healthz)",
            Unit::Millis,
            &started,
        )
        .against("spawn + read a line (p50)", floor),
    );

    // Warm calls. The small call is get-identity of the local resources plugin (no file
    // system work in the plugin), next to /healthz over the same pooled connection.
    let access = Raw::new(serde_json::json!({"type": "localFile/v1", "path": "/etc/hostname"}))?;
    let resources = manager.resource_repositories().get(&access).await?;
    let resources_plugin = manager.plugin(RESOURCES).context("no local-resources")?;
    let client = resources_plugin.supervisor().client().await?;
    let identity = || GetIdentityRequest {
        typ: access.clone(),
    };
    for _ in 0..sizes.warm / 10 {
        client.health().await?;
        resources.get_identity(identity()).await?;
    }
    let (mut health, mut small, mut list, mut large) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for i in 0..sizes.warm {
        let t = Instant::now();
        client.health().await?;
        health.push(t.elapsed());
        let t = Instant::now();
        resources.get_identity(identity()).await?;
        small.push(t.elapsed());
        if i % 4 == 0 {
            let t = Instant::now();
            repo.list_component_versions(
                cvr::ListComponentVersionsRequest {
                    repository: Some(spec.clone()),
                    name: "acme.org/small".into(),
                },
                &creds,
            )
            .await?;
            list.push(t.elapsed());
            let t = Instant::now();
            let d = repo
                .get_component_version(get("acme.org/large"), &creds)
                .await?;
            large.push(t.elapsed());
            ensure!(d.component.resources.as_ref().map(Vec::len) == Some(500));
        }
    }
    let (health, small, list, large) = (
        Samples::new(health),
        Samples::new(small),
        Samples::new(list),
        Samples::new(large),
    );
    let health_us = Unit::Micros.of(health.p50());
    results.push(
        Row::timed(
            "warm calls",
            "GET /healthz through the manager's client",
            Unit::Micros,
            &health,
        )
        .against("raw hyper round trip", Unit::Micros.of(raw.p50())),
    );
    results.push(
        Row::timed(
            "warm calls",
            "small call (resource get-identity)",
            Unit::Micros,
            &small,
        )
        .against("/healthz, same connection", health_us)
        .budget(
            "p50 <= 1.5x /healthz",
            small.p50().as_secs_f64() <= health.p50().as_secs_f64() * 1.5,
        ),
    );
    let overhead = small.p50().saturating_sub(health.p50());
    results.push(
        Row::value(
            "warm calls",
            "  manager overhead (small - /healthz)",
            Unit::Micros,
            Unit::Micros.of(overhead),
        )
        .budget("<= 20 us", overhead <= Duration::from_micros(20)),
    );
    results.push(
        Row::timed(
            "warm calls",
            "list-component-versions (directory)",
            Unit::Micros,
            &list,
        )
        .against("/healthz, same connection", health_us),
    );
    results.push(
        Row::timed(
            "warm calls",
            "get-component-version, 500 resources",
            Unit::Micros,
            &large,
        )
        .against("/healthz, same connection", health_us),
    );

    // Concurrency: 16 callers at once.
    let per_caller = (sizes.warm / 16).max(5);
    let rate = |elapsed: Duration| (16 * per_caller) as f64 / elapsed.as_secs_f64().max(1e-9);
    let t = Instant::now();
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move {
                for _ in 0..per_caller {
                    client.health().await?;
                }
                Ok::<_, ocm_plugin_manager::runtime::Error>(())
            })
        })
        .collect();
    for task in tasks {
        task.await??;
    }
    let health_rate = rate(t.elapsed());
    let resources = Arc::new(resources);
    let t = Instant::now();
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let (resources, access) = (Arc::clone(&resources), access.clone());
            tokio::spawn(async move {
                for _ in 0..per_caller {
                    resources
                        .get_identity(GetIdentityRequest {
                            typ: access.clone(),
                        })
                        .await?;
                }
                Ok::<_, ocm_plugin_manager::contracts::Error>(())
            })
        })
        .collect();
    for task in tasks {
        task.await??;
    }
    let call_rate = rate(t.elapsed());
    results.push(
        Row::value(
            "concurrency",
            "16 callers: small calls per second",
            Unit::CallsPerSecond,
            call_rate,
        )
        .against("16 callers of /healthz", health_rate),
    );

    let run = Run {
        setup,
        sizes,
        manager: &manager,
        repo: &repo,
        spec: &spec,
    };
    blobs(&run, results).await?;
    memory(&run, results).await?;
    manager.shutdown().await?;
    Ok(())
}

async fn blobs(run: &Run<'_>, results: &mut Results) -> Result<()> {
    let Run {
        setup,
        sizes,
        manager,
        repo,
        spec,
    } = *run;
    let creds = Credentials::new();
    let src = floors::blob_file(&setup.work.join("blob.bin"), sizes.blob)?;
    let cp = floors::cp(&src, &setup.work.join("blob.cp"), 3)?;
    let cp_rate = mb_per_s(sizes.blob, cp);
    let hash = floors::sha256(&src)?;
    results.push(
        Row::value(
            "large blobs",
            format!(
                "SHA-256 of the {} MiB file (in this process)",
                sizes.blob >> 20
            ),
            Unit::MegabytesPerSecond,
            mb_per_s(sizes.blob, hash),
        )
        .against("cp of the same file", cp_rate),
    );
    let size_label = format!("{} MiB", sizes.blob >> 20);
    let pid = manager
        .plugin(REPOSITORY)
        .and_then(|s| s.pid())
        .context("the directory repository is not running")?;
    let idle = floors::memory(pid)?.rss;
    floors::reset_peak(pid)?;

    let add = |name: &str, location: Location| cvr::AddLocalResourceRequest {
        repository: spec.clone(),
        name: "acme.org/blobs".into(),
        version: "1.0.0".into(),
        resource_location: location,
        resource: Resource {
            name: name.into(),
            version: "1.0.0".into(),
            resource_type: "blob".into(),
            relation: "local".into(),
            ..Resource::default()
        },
    };
    // Each operation is judged against a `cp` of the same file run just before it, on a disk
    // with nothing left to write back: page cache and memory pressure change over the run.
    let scratch = setup.work.join("blob.cp");
    let cp_before_add = floors::cp(&src, &scratch, 3)?;
    let durable = floors::cp_durable(&src, &scratch, 3)?;
    floors::settle_disk();
    let t = Instant::now();
    repo.add_local_resource(
        add("file", Location::local_file(src.to_string_lossy())),
        &creds,
    )
    .await?;
    let added = t.elapsed();

    let stored = stored_blob(&setup.work.join("store"))?;
    let cp_before_get = floors::cp(&stored, &scratch, 3)?;
    floors::settle_disk();
    let t = Instant::now();
    let fetched = repo
        .get_local_resource(
            cvr::GetLocalResourceRequest {
                repository: Some(spec.clone()),
                name: "acme.org/blobs".into(),
                version: "1.0.0".into(),
                identity: Some(
                    [
                        ("name".to_owned(), "file".to_owned()),
                        ("version".to_owned(), "1.0.0".to_owned()),
                    ]
                    .into(),
                ),
            },
            &creds,
        )
        .await?;
    let fetch_time = t.elapsed();
    let blob = manager.blob(&fetched.location)?;
    ensure!(
        std::fs::metadata(&fetched.location.value)?.len() == sizes.blob as u64,
        "the fetched blob has the wrong size"
    );
    drop(blob);

    // Through a FIFO: this process writes the file into a named pipe the plugin reads.
    let fifo = manager.temp_dir().join("bench.fifo");
    rustix::fs::mkfifoat(
        rustix::fs::CWD,
        &fifo,
        rustix::fs::Mode::from_raw_mode(0o600),
    )?;
    let writer = std::thread::spawn({
        let (fifo, src) = (fifo.clone(), src.clone());
        move || -> std::io::Result<u64> {
            let mut input = std::fs::File::open(src)?;
            let mut output = std::fs::OpenOptions::new().write(true).open(fifo)?;
            std::io::copy(&mut input, &mut output)
        }
    });
    let cp_before_fifo = floors::cp(&src, &scratch, 3)?;
    floors::settle_disk();
    let t = Instant::now();
    let location = Location {
        location_type: LocationType::UnixNamedPipe,
        ..Location::local_file(fifo.to_string_lossy())
    };
    repo.add_local_resource(add("fifo", location), &creds)
        .await?;
    let piped = t.elapsed();
    let copied = writer
        .join()
        .map_err(|_| anyhow::anyhow!("the FIFO writer panicked"))??;
    ensure!(
        copied == sizes.blob as u64,
        "the FIFO writer copied {copied} bytes"
    );
    let _ = std::fs::remove_file(&fifo);
    let peak = floors::memory(pid)?.peak;
    results.push(
        Row::value(
            "large blobs",
            format!("cp + fsync of the copy, {size_label}"),
            Unit::MegabytesPerSecond,
            mb_per_s(sizes.blob, durable),
        )
        .against(
            "cp of the same file, just before",
            mb_per_s(sizes.blob, cp_before_add),
        ),
    );

    for (name, took, cp) in [
        (
            format!("add-local-resource {size_label} (file)"),
            added,
            cp_before_add,
        ),
        (
            format!("get-local-resource {size_label}"),
            fetch_time,
            cp_before_get,
        ),
        (
            format!("add-local-resource {size_label} (FIFO)"),
            piped,
            cp_before_fifo,
        ),
    ] {
        let rate = mb_per_s(sizes.blob, took);
        let cp_rate = mb_per_s(sizes.blob, cp);
        results.push(
            Row::value("large blobs", name, Unit::MegabytesPerSecond, rate)
                .against("cp of the same file, just before", cp_rate)
                .budget(">= 0.7x cp", rate >= 0.7 * cp_rate),
        );
    }
    results.push(
        Row::value(
            "large blobs",
            "  plugin peak RSS during the blobs",
            Unit::Megabytes,
            peak,
        )
        .against("its RSS before", idle)
        .budget("flat: <= before + 16 MB", peak <= idle + 16.0),
    );
    let _ = std::fs::remove_file(&src);
    Ok(())
}

/// The one stored blob under `store` (the largest `.blob` file).
fn stored_blob(store: &Path) -> Result<PathBuf> {
    let mut best: Option<(u64, PathBuf)> = None;
    let mut dirs = vec![store.to_owned()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let path = entry?.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "blob") {
                let len = std::fs::metadata(&path)?.len();
                if best.as_ref().is_none_or(|(l, _)| len > *l) {
                    best = Some((len, path));
                }
            }
        }
    }
    best.map(|(_, p)| p).context("no stored blob found")
}

async fn memory(run: &Run<'_>, results: &mut Results) -> Result<()> {
    let Run {
        setup,
        sizes,
        manager,
        repo,
        spec,
    } = *run;
    // An idle SDK plugin: freshly started, one call answered.
    let supervisor = manager.plugin(RESOURCES).context("no local-resources")?;
    supervisor.stop().await?;
    supervisor.supervisor().client().await?.health().await?;
    let pid = supervisor.pid().context("local-resources is not running")?;
    let idle = floors::memory(pid)?;
    results.push(
        Row::value(
            "memory",
            "idle SDK plugin RSS (local-resources)",
            Unit::Megabytes,
            idle.rss,
        )
        .budget("<= 6 MB", idle.rss <= 6.0),
    );
    results.push(Row::value(
        "memory",
        "  of which anonymous (heap, stacks)",
        Unit::Megabytes,
        idle.anon,
    ));
    results.push(Row::value(
        "memory",
        "  of which file-backed (binary, libraries)",
        Unit::Megabytes,
        idle.file,
    ));

    // A burst of large uploads: ten descriptors at once, then the level after it.
    let supervisor = manager
        .plugin(REPOSITORY)
        .context("no directory-repository")?;
    supervisor.stop().await?;
    supervisor.supervisor().client().await?.health().await?;
    let pid = supervisor
        .pid()
        .context("directory-repository is not running")?;
    let before = floors::memory(pid)?.rss;
    floors::reset_peak(pid)?;
    let creds = Credentials::new();
    let burst: Vec<_> = (0..10)
        .map(|i| {
            let (repo, spec, creds) = (Arc::clone(repo), spec.clone(), creds.clone());
            let d = descriptor(
                &format!("acme.org/burst-{i}"),
                sizes.burst_descriptor_resources,
            );
            tokio::spawn(async move {
                repo.add_component_version(
                    cvr::AddComponentVersionRequest {
                        repository: spec,
                        descriptor: d,
                    },
                    &creds,
                )
                .await
            })
        })
        .collect();
    for task in burst {
        task.await??;
    }
    // Every request is answered: what the plugin still holds now, it keeps.
    let after = floors::memory(pid)?;
    let (after, peak) = (after.rss, after.peak);
    let size = serde_json::to_vec(&descriptor("x", sizes.burst_descriptor_resources))?.len();
    results.push(
        Row::value(
            "memory",
            format!("plugin after 10 x {:.2} MB uploads", size as f64 / 1e6),
            Unit::Megabytes,
            after,
        )
        .against("its RSS before the burst", before),
    );
    results.push(
        Row::value("memory", "  peak during the burst", Unit::Megabytes, peak)
            .against("its RSS before the burst", before),
    );

    // The manager with 50 registered plugins, in a process that holds only a manager (warm
    // cache): `ocm-bench-manager`, built beside this binary.
    let dir = distinct_plugins(setup, 50).await?;
    let cache = setup.work.join("cache-memory");
    let exe = setup.exe.with_file_name("ocm-bench-manager");
    let mut child = std::process::Command::new(&exe)
        .arg(&dir)
        .arg(&cache)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .with_context(|| format!("starting {}", exe.display()))?;
    let mut ready = String::new();
    if let Some(stdout) = child.stdout.take() {
        // Ends with the line, or at EOF when the child fails (its stderr says why).
        std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut ready)?;
    }
    if ready.trim() != "ready" {
        let out = child.wait_with_output()?;
        anyhow::bail!(
            "ocm-bench-manager: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let measured = floors::memory(child.id());
    drop(child.stdin.take());
    let out = child.wait_with_output()?;
    ensure!(
        out.status.success(),
        "ocm-bench-manager: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let floors::Memory {
        rss, anon, file, ..
    } = measured?;
    results.push(
        Row::value(
            "memory",
            "manager-only process, 50 plugins (RSS)",
            Unit::Megabytes,
            rss,
        )
        .budget("<= 10 MB", rss <= 10.0),
    );
    results.push(Row::value(
        "memory",
        "  of which anonymous (heap, stacks)",
        Unit::Megabytes,
        anon,
    ));
    results.push(Row::value(
        "memory",
        "  of which file-backed (binary, libraries)",
        Unit::Megabytes,
        file,
    ));
    Ok(())
}
