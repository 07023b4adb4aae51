//! The end-to-end scenario: discovery, lazy start, every repository operation on real files,
//! restart after a crash, and a clean shutdown.

use std::{
    path::{Path, PathBuf},
    time::Instant,
};

use anyhow::{Context, Result, bail, ensure};
use ocm_plugin_contracts::component_version_repository::v1 as cvr;
use ocm_plugin_manager::{Endpoint, Outcome, PluginManager, RegistrationOptions};
use ocm_plugin_types::{Credentials, Descriptor, Location, Raw, Resource};
use sha2::{Digest as _, Sha256};

use crate::util::{hex, step};

const PLUGIN: &str = "directory-repository";
/// The file `cargo xtask e2e` puts among the plugins without the execute bit, on purpose.
const NOT_EXECUTABLE: &str = "notes";
pub(crate) async fn run(plugins: PathBuf, work: PathBuf) -> Result<()> {
    let mut n = 0;
    let store = work.join("store");
    std::fs::create_dir_all(&store)?;
    let creds = Credentials::new();

    step(
        &mut n,
        &format!("register plugins from {}", plugins.display()),
    );
    let manager = PluginManager::new()?;
    // Given a configuration, the manager rejects a plugin that declares configuration types and
    // matches none of them (spec §3.3): each plugin that declares one gets an entry of it.
    let configuration = [
        serde_json::json!({"type": "directory.config.ocm.software/v1", "root": store}),
        // Every field is optional: without a fallback registry, requests carry their spec.
        serde_json::json!({"type": "oci-repository.config.ocm.software/v1"}),
    ]
    .iter()
    .map(|entry| Raw::from_json(&entry.to_string()))
    .collect::<Result<Vec<_>, _>>()?;
    let options = RegistrationOptions {
        configuration: Some(configuration),
        ..RegistrationOptions::default()
    };
    let report = manager.register_plugins(&plugins, options).await?;
    for c in &report.candidates {
        println!("     {:<28} {}", c.id, c.outcome);
    }
    let rejected: Vec<&str> = report
        .rejected()
        .map(|c| c.id.as_str())
        .filter(|id| *id != NOT_EXECUTABLE)
        .collect();
    ensure!(rejected.is_empty(), "plugins rejected: {rejected:?}");
    println!("     ({NOT_EXECUTABLE} is rejected on purpose: it is not executable)");
    ensure!(
        report.registered().any(|c| c.id == PLUGIN),
        "{PLUGIN} was not registered"
    );
    let supervisor = manager.plugin(PLUGIN).context("plugin handle")?;
    ensure!(
        supervisor.pid().is_none(),
        "the plugin must not run before first use"
    );
    println!(
        "     registered, not started (spawned {} times)",
        supervisor.spawn_count()
    );

    let spec = Raw::from_json(
        &serde_json::json!({"type": "DirectoryRepository/v1", "path": store}).to_string(),
    )?;
    step(
        &mut n,
        "first use: get the repository for DirectoryRepository/v1 (starts the plugin)",
    );
    let t = Instant::now();
    let repo = manager.component_version_repositories().get(&spec).await?;
    let pid = supervisor.pid().context("plugin should be running")?;
    println!(
        "     started pid {pid} in {:.2} ms",
        t.elapsed().as_secs_f64() * 1e3
    );

    step(
        &mut n,
        "add component version acme.org/hello 1.0.0 and 1.1.0",
    );
    for version in ["1.0.0", "1.1.0"] {
        repo.add_component_version(
            cvr::AddComponentVersionRequest {
                repository: spec.clone(),
                descriptor: descriptor("acme.org/hello", version),
            },
            &creds,
        )
        .await?;
    }

    step(&mut n, "add a 1 MiB local resource from a real file");
    let blob_path = work.join("payload.bin");
    let payload = payload(1 << 20);
    std::fs::write(&blob_path, &payload)?;
    let expected = hex(&Sha256::digest(&payload));
    let stored = repo
        .add_local_resource(
            cvr::AddLocalResourceRequest {
                repository: spec.clone(),
                name: "acme.org/hello".into(),
                version: "1.0.0".into(),
                resource_location: Location::local_file(blob_path.to_string_lossy()),
                resource: Resource {
                    name: "payload".into(),
                    version: "1.0.0".into(),
                    resource_type: "blob".into(),
                    relation: "local".into(),
                    ..Resource::default()
                },
            },
            &creds,
        )
        .await?;
    let digest = stored
        .digest
        .as_ref()
        .context("the plugin should fill the digest")?;
    println!(
        "     stored with digest {}:{}",
        digest.hash_algorithm, digest.value
    );
    ensure!(
        digest.value == expected,
        "digest {} != sha256 of the file {expected}",
        digest.value
    );
    ensure!(
        blob_path.exists(),
        "the request file belongs to the caller and must be left alone"
    );

    step(&mut n, "list versions");
    let versions = repo
        .list_component_versions(
            cvr::ListComponentVersionsRequest {
                repository: None,
                name: "acme.org/hello".into(),
            },
            &creds,
        )
        .await?;
    println!("     {versions:?}");
    ensure!(
        versions == ["1.0.0", "1.1.0"],
        "unexpected versions {versions:?}"
    );

    step(&mut n, "get the descriptor back");
    let d = repo
        .get_component_version(
            cvr::GetComponentVersionRequest {
                repository: Some(spec.clone()),
                name: "acme.org/hello".into(),
                version: "1.0.0".into(),
            },
            &creds,
        )
        .await?;
    let resources = d.component.resources.unwrap_or_default();
    println!(
        "     {}:{} provider {} with {} resource(s)",
        d.component.name,
        d.component.version,
        d.component.provider,
        resources.len()
    );
    ensure!(
        resources.iter().any(|r| r.name == "payload"),
        "descriptor lacks the resource"
    );

    step(&mut n, "download the resource and compare the bytes");
    let got = repo
        .get_local_resource(
            cvr::GetLocalResourceRequest {
                repository: Some(spec.clone()),
                name: "acme.org/hello".into(),
                version: "1.0.0".into(),
                identity: Some(
                    [
                        ("name".to_owned(), "payload".to_owned()),
                        ("version".to_owned(), "1.0.0".to_owned()),
                    ]
                    .into(),
                ),
            },
            &creds,
        )
        .await?;
    let downloaded = PathBuf::from(&got.location.value);
    let bytes =
        std::fs::read(&downloaded).with_context(|| format!("reading {}", downloaded.display()))?;
    ensure!(bytes == payload, "downloaded bytes differ");
    println!(
        "     {} bytes identical (handed over as {})",
        bytes.len(),
        downloaded.display()
    );
    ensure!(
        downloaded.starts_with(manager.temp_dir()),
        "response files live in the manager's temp dir"
    );
    std::fs::remove_file(&downloaded)?; // we own handed-over files

    step(&mut n, "ask for the consumer identity");
    let id = repo
        .get_identity(cvr::GetIdentityRequest { typ: spec.clone() })
        .await?;
    println!("     {}", serde_json::to_string(&id.identity)?);
    ensure!(
        id.identity.get("type").map(String::as_str) == Some("DirectoryRepository"),
        "identity lacks its type"
    );

    step(&mut n, "check health");
    repo.check_health(
        cvr::CheckHealthRequest {
            repository: spec.clone(),
        },
        &creds,
    )
    .await?;
    println!("     healthy");

    step(
        &mut n,
        &format!("kill the plugin (pid {pid}) behind the manager's back"),
    );
    let socket = match supervisor.start().await? {
        Endpoint::Unix(p) => Some(p),
        Endpoint::Tcp(_) => None,
    };
    kill(pid)?;
    let versions = repo
        .list_component_versions(
            cvr::ListComponentVersionsRequest {
                repository: None,
                name: "acme.org/hello".into(),
            },
            &creds,
        )
        .await
        .context("the call after the crash should restart the plugin")?;
    let new_pid = supervisor.pid().context("plugin should be running again")?;
    ensure!(new_pid != pid, "expected a new process");
    ensure!(versions.len() == 2, "data must survive the restart");
    println!(
        "     next call restarted it as pid {new_pid} (spawned {} times) and still sees {} versions",
        supervisor.spawn_count(),
        versions.len()
    );
    ensure!(!process_exists(pid), "the killed process must be reaped");

    step(&mut n, "shut down and look for leftovers");
    let socket = match supervisor.start().await? {
        Endpoint::Unix(p) => Some(p),
        Endpoint::Tcp(_) => socket,
    };
    let temp = manager.temp_dir().to_owned();
    manager.shutdown().await?;
    ensure!(
        !process_exists(new_pid),
        "plugin process {new_pid} still exists after shutdown"
    );
    if let Some(s) = &socket {
        ensure!(!s.exists(), "socket {} left behind", s.display());
    }
    ensure!(!temp.exists(), "temp dir {} left behind", temp.display());
    let leftovers = stray_processes(&plugins)?;
    ensure!(leftovers.is_empty(), "plugin processes left: {leftovers:?}");
    println!("     no plugin process, no socket, no temp dir left");
    if !report
        .rejected()
        .all(|c| matches!(c.outcome, Outcome::Rejected(_)))
    {
        bail!("inconsistent report");
    }
    println!("e2e: all {n} steps passed");
    Ok(())
}

fn descriptor(name: &str, version: &str) -> Descriptor {
    let mut d = Descriptor::default();
    d.meta.schema_version = "v2".into();
    d.component.name = name.into();
    d.component.version = version.into();
    d.component.provider = "acme.org".into();
    d
}

/// Deterministic, incompressible-looking bytes (xorshift).
fn payload(len: usize) -> Vec<u8> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}
fn kill(pid: u32) -> Result<()> {
    let pid = i32::try_from(pid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
        .context("pid")?;
    rustix::process::kill_process(pid, rustix::process::Signal::KILL).context("SIGKILL")?;
    Ok(())
}

/// True while the process exists, zombies included (a zombie has `/proc/<pid>` too).
/// Shuts the manager down and checks that no plugin process (of those running, or any other
/// started from `plugins`) and no temp dir survived.
pub(crate) async fn shut_down_cleanly(
    manager: &ocm_plugin_manager::PluginManager,
    plugins: &Path,
) -> Result<()> {
    let pids: Vec<u32> = manager.plugins().iter().filter_map(|p| p.pid()).collect();
    println!("     {} plugin processes were running", pids.len());
    let temp = manager.temp_dir().to_owned();
    manager.shutdown().await?;
    ensure!(
        pids.iter().all(|p| !process_exists(*p)),
        "a plugin process survived shutdown"
    );
    ensure!(!temp.exists(), "temp dir {} left behind", temp.display());
    ensure!(
        stray_processes(plugins)?.is_empty(),
        "stray plugin processes"
    );
    Ok(())
}

pub(crate) fn process_exists(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

/// Live processes whose executable lies in the plugin directory.
pub(crate) fn stray_processes(plugins: &Path) -> Result<Vec<u32>> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc")? {
        let entry = entry?;
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        if std::fs::read_link(entry.path().join("exe")).is_ok_and(|exe| exe.starts_with(plugins)) {
            found.push(pid);
        }
    }
    Ok(found)
}
