//! The OCI scenarios: a large local resource added to and fetched from a real registry
//! (`docker-registry` on loopback) through `oci-repository`, timed against `cp` of the same file
//! and with the plugin's peak memory next to the same run with a 1 MiB blob.

use std::{
    path::Path,
    time::{Duration, Instant},
};

use anyhow::{Context as _, Result, ensure};
use ocm_plugin_manager::{
    PluginManager,
    contracts::component_version_repository::v1 as cvr,
    types::{Credentials, Descriptor, Location, Raw, Resource},
};
use ocm_plugin_test_support::registry::{HttpAuth, Registry, RegistryAuth};

use crate::{
    floors,
    report::{Results, Row, Unit},
    scenarios::{Setup, Sizes},
};

const PLUGIN: &str = "oci-repository";
const GROUP: &str = "OCI registry";
const COMPONENT: &str = "acme.org/oci-bench";

/// One add + component version + fetch: the two timings.
struct Round {
    added: Duration,
    fetched: Duration,
}

async fn round(
    repo: &dyn cvr::ComponentVersionRepository,
    manager: &PluginManager,
    spec: &Raw,
    version: &str,
    file: &Path,
    size: usize,
) -> Result<Round> {
    let creds = Credentials::new();
    let resource = Resource {
        name: "blob".into(),
        version: version.into(),
        resource_type: "blob".into(),
        relation: "local".into(),
        ..Resource::default()
    };
    floors::settle_disk();
    let t = Instant::now();
    let stored = repo
        .add_local_resource(
            cvr::AddLocalResourceRequest {
                repository: spec.clone(),
                name: COMPONENT.into(),
                version: version.into(),
                resource_location: Location::local_file(file.to_string_lossy()),
                resource,
            },
            &creds,
        )
        .await?;
    let added = t.elapsed();
    let mut descriptor = Descriptor::default();
    descriptor.meta.schema_version = "v2".into();
    descriptor.component.name = COMPONENT.into();
    descriptor.component.version = version.into();
    descriptor.component.provider = "acme.org".into();
    descriptor.component.resources = Some(vec![stored]);
    repo.add_component_version(
        cvr::AddComponentVersionRequest {
            repository: spec.clone(),
            descriptor,
        },
        &creds,
    )
    .await?;
    floors::settle_disk();
    let t = Instant::now();
    let got = repo
        .get_local_resource(
            cvr::GetLocalResourceRequest {
                repository: Some(spec.clone()),
                name: COMPONENT.into(),
                version: version.into(),
                identity: None,
            },
            &creds,
        )
        .await?;
    let fetched = t.elapsed();
    let blob = manager.blob(&got.location)?;
    let len = std::fs::metadata(&got.location.value)?.len();
    drop(blob);
    ensure!(len == size as u64, "fetched {len} bytes, expected {size}");
    Ok(Round { added, fetched })
}

/// The OCI rows. Without `docker-registry` (and outside CI) they are skipped with one line.
pub(crate) async fn oci(setup: &Setup, sizes: Sizes, results: &mut Results) -> Result<()> {
    let Some(registry) = Registry::start("bench: OCI registry scenarios", RegistryAuth::None)?
    else {
        return Ok(());
    };
    let manager = PluginManager::new()?;
    manager
        .register_plugins(&setup.plugins, Default::default())
        .await?;
    let spec =
        Raw::new(serde_json::json!({"type": "OCIRepository/v1", "baseUrl": registry.url()}))?;
    let repo = manager.component_version_repositories().get(&spec).await?;
    let pid = manager
        .plugin(PLUGIN)
        .and_then(|s| s.pid())
        .context("the OCI repository plugin is not running")?;

    let small = floors::blob_file(&setup.work.join("oci-small.bin"), 1 << 20)?;
    floors::reset_peak(pid)?;
    round(repo.as_ref(), &manager, &spec, "1.0.0", &small, 1 << 20).await?;
    let small_peak = floors::memory(pid)?.peak;

    let src = floors::blob_file(&setup.work.join("oci-large.bin"), sizes.blob)?;
    let scratch = setup.work.join("oci-large.cp");
    let cp = floors::cp(&src, &scratch, 3)?;
    floors::reset_peak(pid)?;
    let large = round(repo.as_ref(), &manager, &spec, "2.0.0", &src, sizes.blob).await?;
    let large_peak = floors::memory(pid)?.peak;
    let label = format!("{} MiB", sizes.blob >> 20);
    // The registry alone, over raw HTTP with the bytes already in memory: one monolithic PUT
    // (POST + PUT) and one GET of the same size. No client can be faster than these.
    let bytes = std::fs::read(&src)?;
    let floor_repo = "floor/raw-http";
    let t = Instant::now();
    let digest = registry.push_blob(floor_repo, &bytes, HttpAuth::Anonymous)?;
    let raw_put = t.elapsed();
    let t = Instant::now();
    let got = registry.get_blob(floor_repo, &digest, HttpAuth::Anonymous)?;
    let raw_get = t.elapsed();
    ensure!(
        got.len() == bytes.len(),
        "the raw GET returned {} bytes",
        got.len()
    );
    drop((bytes, got));
    for (name, took) in [
        (format!("registry alone: raw HTTP PUT, {label}"), raw_put),
        (format!("registry alone: raw HTTP GET, {label}"), raw_get),
    ] {
        results.push(
            Row::value(GROUP, name, Unit::Millis, took.as_secs_f64() * 1e3)
                .against("cp of the same file", cp.as_secs_f64() * 1e3),
        );
    }
    for (name, took) in [
        (format!("add-local-resource {label} (push)"), large.added),
        (format!("get-local-resource {label} (pull)"), large.fetched),
    ] {
        let ms = took.as_secs_f64() * 1e3;
        results.push(
            Row::value(GROUP, name, Unit::Millis, ms)
                .against("cp of the same file", cp.as_secs_f64() * 1e3)
                .budget("<= 3x cp", took <= cp * 3),
        );
    }
    results.push(
        Row::value(
            GROUP,
            format!("  plugin peak RSS, {label} add + fetch"),
            Unit::Megabytes,
            large_peak,
        )
        .against("the same with 1 MiB", small_peak)
        .budget("<= 1 MiB run + 32 MB", large_peak <= small_peak + 32.0),
    );
    let _ = std::fs::remove_file(&src);
    let _ = std::fs::remove_file(&small);
    let _ = std::fs::remove_file(&scratch);
    manager.shutdown().await?;
    drop(registry);
    Ok(())
}
