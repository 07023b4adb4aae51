//! A burst of large uploads leaves a plugin's memory bounded while it runs and near its idle
//! level afterwards. The body budget of the SDK lets two bodies at the size limit be in memory
//! at once; the others wait.
//! Named `lifecycle_` so nextest can serialise it with the other process-heavy tests.

use futures_util::future::join_all;
use ocm_plugin_contracts::component_version_repository::v1 as cvr;
use ocm_plugin_manager::PluginManager;
use ocm_plugin_test_support::PluginDir;
use ocm_plugin_types::{Credentials, Descriptor, Label};

use crate::{options, test_plugin, test_spec};

/// Resident and peak resident memory of a process, in KiB, from /proc.
pub(crate) fn rss_kib(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap()
    };
    (field("VmRSS:"), field("VmHWM:"))
}

const UPLOADS: usize = 10;
/// Close to the 16 MiB body limit once JSON-encoded.
const LABEL_BYTES: usize = 15 * 1024 * 1024;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lifecycle_memory_after_a_burst_of_large_uploads_is_bounded() {
    let dir = PluginDir::new().unwrap();
    dir.add("forgetful", &test_plugin()).unwrap();
    let manager = PluginManager::new().unwrap();
    manager
        .register_plugins(dir.path(), options())
        .await
        .unwrap();
    let sup = manager.plugin("forgetful").unwrap();
    let repo = manager
        .component_version_repositories()
        .get(&test_spec())
        .await
        .unwrap();
    // Start it and take the idle level.
    repo.list_component_versions(
        cvr::ListComponentVersionsRequest {
            repository: None,
            name: "acme.org/none".into(),
        },
        &Credentials::new(),
    )
    .await
    .unwrap();
    let pid = sup.pid().unwrap();
    let (idle, _) = rss_kib(pid);

    let uploads = (0..UPLOADS).map(|i| {
        let mut d = Descriptor::default();
        d.component.name = format!("acme.org/big{i}");
        d.component.version = "1.0.0".into();
        d.component.provider = "acme".into();
        d.component.labels = Some(vec![Label {
            name: "payload".into(),
            value: "x".repeat(LABEL_BYTES).into(),
            ..Label::default()
        }]);
        let repo = repo.clone();
        async move {
            repo.add_component_version(
                cvr::AddComponentVersionRequest {
                    repository: test_spec(),
                    descriptor: d,
                },
                &Credentials::new(),
            )
            .await
        }
    });
    for result in join_all(uploads).await {
        result.unwrap();
    }
    let (settled, peak) = rss_kib(pid);
    println!(
        "memory: idle {} MiB, peak {} MiB, after the burst {} MiB ({UPLOADS} uploads of {} MiB)",
        idle / 1024,
        peak / 1024,
        settled / 1024,
        LABEL_BYTES / (1024 * 1024)
    );
    // This plugin keeps nothing. Without the budget all ten bodies (150 MiB) and their
    // decoded copies were in memory at once; with it, two bodies and their copies.
    let all_bodies = (UPLOADS * LABEL_BYTES / 1024) as u64;
    assert!(
        peak < idle + all_bodies,
        "peak {peak} KiB (idle {idle} KiB): more than every body at once"
    );
    // Near idle afterwards: the SDK hands the freed heap back before the last answer.
    assert!(
        settled < idle + 16 * 1024,
        "settled {settled} KiB (idle {idle} KiB)"
    );
    manager.shutdown().await.unwrap();
}
