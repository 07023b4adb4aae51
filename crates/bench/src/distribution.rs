//! The distribution and trust scenarios (issue 19, "Budgets"):
//!
//! * installing a plugin published to the loopback registry (`docker-registry`), against the
//!   registry GET of its blob + SHA-256 of the file + one `capabilities` probe;
//! * registering a plugin directory with trust on and a warm capability cache: the bytes the
//!   process read (`rchar` of `/proc/self/io`), against the size of the binaries, and the time
//!   against the same registration with trust off;
//! * after one binary changed: what trust adds to the registration, against SHA-256 of the file.
//!
//! The install row needs `docker-registry` and is skipped with one line without it (an error
//! in CI); the trust rows need nothing but the example plugins.

use std::{
    os::unix::fs::MetadataExt as _,
    path::{Path, PathBuf},
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use anyhow::{Context as _, Result, bail, ensure};
use ocm_plugin_distribution::{
    Change, InstallOptions, Reference,
    publish::{Binary, PublishRequest},
};
use ocm_plugin_manager::{
    CapabilityCache, Outcome, PluginManager, RegistrationOptions, RegistrationReport, Trust,
    TrustState, types::Credentials,
};
use ocm_plugin_test_support::registry::{Registry, RegistryAuth};

use crate::{
    floors, oci,
    report::{Results, Row, Samples, Unit},
    scenarios::{Setup, Sizes},
};

const GROUP: &str = "distribution";
const TRUST_GROUP: &str = "run-time trust";
/// The plugin published and installed.
const PLUGIN: &str = "file-input";
const COMPONENT: &str = "acme.org/plugins/file-input";
const VERSION: &str = "1.0.0";
/// Deadline of every `capabilities` probe here (publish, install, the floor).
const PROBE_TIMEOUT: Duration = Duration::from_secs(30);
/// The example plugins, in the order the trust rows take them (each serves its own types, so
/// all of them register side by side).
pub(crate) const EXAMPLES: [&str; 9] = [
    "file-input",
    "sha256-digester",
    "gzip-transformer",
    "directory-repository",
    "local-resources",
    "oci-repository",
    "rsa-signing-handler",
    "docker-credentials",
    "local-credentials",
];
/// The budget of the warm registration's reads: the lock file and the cache file, no binary.
const READ_BUDGET: u64 = 1 << 20;

fn ms(d: Duration) -> f64 {
    Unit::Millis.of(d)
}

fn mb(bytes: u64) -> f64 {
    bytes as f64 / 1e6
}

pub(crate) async fn distribution(setup: &Setup, sizes: Sizes, results: &mut Results) -> Result<()> {
    install(setup, sizes, results).await?;
    trust(setup, sizes, results).await
}

/// Row 1: `install` of a published plugin from the loopback registry, into a fresh plugin
/// directory each time, against the three things it cannot avoid, measured in the same rounds:
/// the raw HTTP GET of the blob, SHA-256 of the file and one `capabilities` probe.
async fn install(setup: &Setup, sizes: Sizes, results: &mut Results) -> Result<()> {
    let Some(registry) = Registry::start("bench: plugin install scenario", RegistryAuth::None)?
    else {
        return Ok(());
    };
    let manager = PluginManager::new()?;
    manager
        .register_plugins(
            &setup.plugins,
            RegistrationOptions {
                cache: CapabilityCache::Disabled,
                ..RegistrationOptions::default()
            },
        )
        .await?;
    let result = install_rounds(setup, sizes, &manager, &registry, results).await;
    manager.shutdown().await?;
    drop(registry);
    result
}

async fn install_rounds(
    setup: &Setup,
    sizes: Sizes,
    manager: &PluginManager,
    registry: &Registry,
    results: &mut Results,
) -> Result<()> {
    let binary = setup.plugins.join(PLUGIN);
    let reference: Reference = format!("{}//{COMPONENT}:{VERSION}", registry.url()).parse()?;
    let published = ocm_plugin_distribution::publish(
        manager,
        &PublishRequest {
            repository: reference.repository.clone(),
            component: COMPONENT.into(),
            version: VERSION.into(),
            provider: None,
            name: None,
            description: "the bench's install scenario".into(),
            binaries: vec![Binary::parse(&binary.to_string_lossy())],
            credentials: Credentials::new(),
            probe_timeout: PROBE_TIMEOUT,
            sign: None,
        },
    )
    .await?;
    let [published] = &published.binaries[..] else {
        bail!("publish stored {} binaries", published.binaries.len());
    };
    let size = published.size;
    // The oci-repository plugin keeps a component's blobs in `component-descriptors/<name>`.
    let repository = format!("component-descriptors/{COMPONENT}");
    let digest = format!("sha256:{}", published.sha256);

    let (mut installs, mut gets, mut hashes, mut probes, mut floor) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    // One round more than measured: the first warms the plugin's connection and the page cache.
    for round in 0..=sizes.installs {
        let target = setup.work.join(format!("install-{round}"));
        let _ = std::fs::remove_dir_all(&target);
        floors::settle_disk();
        let t = Instant::now();
        let report =
            ocm_plugin_distribution::install(manager, &reference, &InstallOptions::new(&target))
                .await?;
        let took = t.elapsed();
        ensure!(
            report.change == Change::Installed && report.entry.size == size,
            "install into an empty directory reported {:?} of {} bytes",
            report.change,
            report.entry.size
        );

        let t = Instant::now();
        let got = oci::raw::get(&registry.host_port(), &repository, &digest)?;
        let get = t.elapsed();
        ensure!(got == size, "the raw GET returned {got} of {size} bytes");
        let hash = floors::sha256(&report.path)?;
        let t = Instant::now();
        ocm_plugin_manager::probe_plugin(PLUGIN, &report.path, PROBE_TIMEOUT).await?;
        let probe = t.elapsed();
        let _ = std::fs::remove_dir_all(&target);
        if round > 0 {
            installs.push(took);
            gets.push(get);
            hashes.push(hash);
            probes.push(probe);
            floor.push(get + hash + probe);
        }
    }
    // Not part of the floor (the budget leaves it out), but what landing the file
    // durably costs at least: the install writes and fsyncs it.
    let durable = floors::cp_durable(&binary, &setup.work.join("install.cp"), 3)?;
    let label = format!("{:.1} MB", mb(size));
    let (installs, floor) = (Samples::new(installs), Samples::new(floor));
    for (name, samples) in [
        (format!("registry GET of the blob, {label}"), gets),
        ("SHA-256 of the file, in this process".to_owned(), hashes),
        (format!("one `capabilities` probe ({PLUGIN})"), probes),
    ] {
        results.push(Row::timed(
            GROUP,
            name,
            Unit::Millis,
            &Samples::new(samples),
        ));
    }
    results.push(Row::value(
        GROUP,
        "cp + fsync of the file (not in the floor)",
        Unit::Millis,
        ms(durable),
    ));
    results.push(
        Row::timed(
            GROUP,
            format!("install {PLUGIN} from the registry, {label}"),
            Unit::Millis,
            &installs,
        )
        .against("GET + SHA-256 + probe (p50)", ms(floor.p50()))
        .budget("<= 1.5x floor", installs.p50() <= floor.p50().mul_f64(1.5)),
    );
    Ok(())
}

/// `rchar` of `/proc/self/io`: every byte this process has read through `read(2)` and its kin
/// (files, pipes, sockets; pages mapped by an exec are not counted, and nothing here execs).
fn bytes_read() -> Result<u64> {
    let io = std::fs::read_to_string("/proc/self/io").context("reading /proc/self/io")?;
    io.lines()
        .find_map(|l| l.strip_prefix("rchar:"))
        .context("no rchar in /proc/self/io")?
        .trim()
        .parse()
        .context("parsing rchar")
}

/// Waits until none of `paths` changed recently enough for the capability cache to key it by
/// its content (it hashes such a binary on every use until it is old enough: see
/// `ocm_plugin_manager`'s cache docs, 100 ms on file systems with fine timestamps, 2 s on those
/// with whole seconds), so that what is measured is the steady state, not that window.
async fn past_racy_window(paths: &[PathBuf]) -> Result<()> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let mut wait = Duration::ZERO;
    for path in paths {
        let meta = std::fs::metadata(path)?;
        let coarse = meta.mtime_nsec() == 0 && meta.ctime_nsec() == 0;
        let window = if coarse {
            Duration::from_millis(2100)
        } else {
            Duration::from_millis(150)
        };
        let changed = |s: i64, n: i64| {
            Duration::new(u64::try_from(s).unwrap_or(0), u32::try_from(n).unwrap_or(0))
        };
        let latest =
            changed(meta.mtime(), meta.mtime_nsec()).max(changed(meta.ctime(), meta.ctime_nsec()));
        // A time in the future (clock skew) waits the window from now.
        let age = now.saturating_sub(latest.min(now));
        wait = wait.max(window.saturating_sub(age));
    }
    tokio::time::sleep(wait).await;
    Ok(())
}

/// One registration of `dir` under `trust` with the capability cache in `cache`: the time of
/// `register_plugins` (manager creation and shutdown excluded), the bytes this process read from
/// just before it until the manager is shut down (cache writes included), and the report.
async fn register(
    dir: &Path,
    cache: &Path,
    trust: Trust,
) -> Result<(Duration, u64, RegistrationReport)> {
    let manager = PluginManager::new()?;
    let options = RegistrationOptions {
        cache: CapabilityCache::At(cache.to_owned()),
        trust,
        ..RegistrationOptions::default()
    };
    let before = bytes_read()?;
    let t = Instant::now();
    let report = manager.register_plugins(dir, options).await;
    let took = t.elapsed();
    manager.shutdown().await?;
    let read = bytes_read()?.saturating_sub(before);
    Ok((took, read, report?))
}

/// Registered plugins, how many came from the cache, and how many the lock file verified.
fn tally(report: &RegistrationReport) -> (usize, usize, usize) {
    let mut counts = (0, 0, 0);
    for c in &report.candidates {
        if let Outcome::Registered { cached, trust, .. } = &c.outcome {
            counts.0 += 1;
            counts.1 += usize::from(*cached);
            counts.2 += usize::from(matches!(trust, TrustState::Verified { .. }));
        }
    }
    counts
}

/// Rows 2 and 3: a plugin directory of installed plugins (`ocm-plugin trust`: copied in and
/// recorded in the lock file), registered with trust on from a warm capability cache; then one
/// binary changed.
async fn trust(setup: &Setup, sizes: Sizes, results: &mut Results) -> Result<()> {
    let n = sizes.trusted_plugins.clamp(1, EXAMPLES.len());
    let dir = setup.work.join(format!("trusted-{n}"));
    let cache = setup.work.join(format!("trusted-{n}-cache"));
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&cache);
    let mut installed = Vec::new();
    for name in &EXAMPLES[..n] {
        let report =
            ocm_plugin_distribution::trust(&setup.plugins.join(name), &InstallOptions::new(&dir))
                .await?;
        installed.push((report.path, report.entry.size));
    }
    let total: u64 = installed.iter().map(|(_, size)| size).sum();
    let paths: Vec<PathBuf> = installed.iter().map(|(p, _)| p.clone()).collect();
    past_racy_window(&paths).await?;
    // Warm the cache: the first registration probes and hashes every binary; the second must
    // take everything from the cache.
    register(&dir, &cache, Trust::LockFileIfPresent).await?;
    let (_, _, report) = register(&dir, &cache, Trust::LockFileIfPresent).await?;
    ensure!(
        tally(&report) == (n, n, n),
        "the warm registration with trust on registered, took from the cache and verified {:?} \
         of {n}: {:?}",
        tally(&report),
        report
            .rejected()
            .map(|c| c.outcome.to_string())
            .collect::<Vec<_>>()
    );

    // Row 2: warm registrations, trust on and off interleaved.
    let (mut on, mut off, mut reads) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..sizes.trust_rounds {
        let (took, read, report) = register(&dir, &cache, Trust::LockFileIfPresent).await?;
        ensure!(
            tally(&report) == (n, n, n),
            "a warm registration with trust on: {:?}",
            tally(&report)
        );
        on.push(took);
        reads.push(read);
        let (took, _, report) = register(&dir, &cache, Trust::Off).await?;
        ensure!(
            tally(&report) == (n, n, 0),
            "a warm registration with trust off: {:?}",
            tally(&report)
        );
        off.push(took);
    }
    let most = reads.iter().copied().max().unwrap_or(0);
    let (on, off) = (Samples::new(on), Samples::new(off));
    results.push(
        Row::value(
            TRUST_GROUP,
            format!("{n} plugins, trust on, warm cache: bytes read"),
            Unit::Bytes,
            most as f64,
        )
        .against(
            format!("the {n} binaries ({:.0} MB)", mb(total)),
            total as f64,
        )
        .budget("< 1 MiB (no binary read)", most < READ_BUDGET),
    );
    results.push(
        Row::timed(
            TRUST_GROUP,
            "  registration, trust on, warm cache",
            Unit::Millis,
            &on,
        )
        .against("the same with trust off (p50)", ms(off.p50())),
    );

    // Row 3: one binary changed (its times moved: a new identity, the same bytes). Any change
    // costs a probe, trust or not; what trust adds is the hash. Each round registers after a
    // change with trust off and, after another change, with trust on (in alternating order),
    // and takes the difference; the row is the median difference against the median SHA-256
    // of the same file in this process, both with the file in the page cache.
    let (path, size) = installed
        .iter()
        .max_by_key(|(_, size)| *size)
        .cloned()
        .context("no installed plugin")?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let (mut extra, mut hashes, mut changed_on) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..sizes.trust_rounds {
        let mut times = [Duration::ZERO; 2];
        let order = if round % 2 == 0 { [0, 1] } else { [1, 0] };
        for i in order {
            touch(&path)?;
            past_racy_window(std::slice::from_ref(&path)).await?;
            let trust = if i == 1 {
                Trust::LockFileIfPresent
            } else {
                Trust::Off
            };
            let (took, _, report) = register(&dir, &cache, trust).await?;
            let verified = if i == 1 { n } else { 0 };
            ensure!(
                tally(&report) == (n, n - 1, verified),
                "a registration after {name} changed (trust {}): {:?}",
                if i == 1 { "on" } else { "off" },
                tally(&report)
            );
            times[i] = took;
        }
        hashes.push(floors::sha256(&path)?);
        // Signed: a negative difference is noise and must pull the median down as such.
        extra.push(ms(times[1]) - ms(times[0]));
        changed_on.push(times[1]);
    }
    let (hash, changed_on) = (Samples::new(hashes), Samples::new(changed_on));
    extra.sort_by(f64::total_cmp);
    let extra = extra.get(extra.len() / 2).copied().unwrap_or(0.0);
    let label = format!("{name} ({:.1} MB)", mb(size));
    results.push(Row::timed(
        TRUST_GROUP,
        format!("SHA-256 of {label}, in process"),
        Unit::Millis,
        &hash,
    ));
    results.push(
        Row::timed(
            TRUST_GROUP,
            "  registration after it changed, trust on",
            Unit::Millis,
            &changed_on,
        )
        .against("warm registration, trust on (p50)", ms(on.p50())),
    );
    results.push(
        Row::value(
            TRUST_GROUP,
            format!(
                "  hashing: on - off after a change, median/{}",
                sizes.trust_rounds
            ),
            Unit::Millis,
            extra,
        )
        .against("SHA-256 of the file (p50)", ms(hash.p50()))
        .budget("<= 1.2x SHA-256", extra <= ms(hash.p50()) * 1.2),
    );
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&cache);
    Ok(())
}

/// Moves a file's modification time to now (and so its change time): the capability cache
/// sees a new file, the bytes stay the same.
fn touch(path: &Path) -> Result<()> {
    std::fs::File::options()
        .write(true)
        .open(path)
        .and_then(|f| f.set_modified(SystemTime::now()))
        .with_context(|| format!("touching {}", path.display()))
}
