use std::time::{Duration, Instant};

use ocm_plugin_manager::{Error, Outcome, PluginManager, RegistrationOptions};
use ocm_plugin_registries::component_version_repository::Provider;
use ocm_plugin_test_support::PluginDir;

use crate::{directory_repository, options, test_plugin};

fn outcome<'a>(report: &'a ocm_plugin_manager::RegistrationReport, id: &str) -> &'a Outcome {
    &report
        .candidates
        .iter()
        .find(|c| c.path.file_name().is_some_and(|n| n == id) || c.id == id)
        .unwrap_or_else(|| panic!("no candidate {id}"))
        .outcome
}

#[tokio::test]
async fn one_bad_plugin_never_blocks_the_others() {
    let dir = PluginDir::new().unwrap();
    let bin = test_plugin();
    dir.add("good", &bin).unwrap();
    dir.add("capabilities-fail", &bin).unwrap();
    dir.add("capabilities-garbage", &bin).unwrap();
    dir.add("capabilities-hang", &bin).unwrap();
    dir.add("capabilities-silent", &bin).unwrap();
    dir.add("capabilities-huge", &bin).unwrap();
    dir.add("tool.sh", &bin).unwrap();
    dir.write("notes", "not a plugin", 0o644).unwrap();
    dir.write("README.md", "docs", 0o644).unwrap();

    let manager = PluginManager::new().unwrap();
    let started = Instant::now();
    let report = manager
        .register_plugins(
            dir.path(),
            RegistrationOptions {
                capabilities_timeout: Duration::from_millis(1500),
                ..options()
            },
        )
        .await
        .unwrap();
    // The hanging plugin costs one timeout, not one per plugin: probes run concurrently.
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );

    assert!(matches!(
        outcome(&report, "good"),
        Outcome::Registered { .. }
    ));
    let text = |id| outcome(&report, id).to_string();
    assert!(
        text("capabilities-fail").contains("rejected"),
        "{}",
        text("capabilities-fail")
    );
    assert!(
        text("capabilities-fail").contains("capabilities refused on purpose"),
        "stderr tail: {}",
        text("capabilities-fail")
    );
    assert!(
        text("capabilities-garbage").starts_with("rejected"),
        "{}",
        text("capabilities-garbage")
    );
    assert!(
        text("capabilities-hang").starts_with("rejected"),
        "{}",
        text("capabilities-hang")
    );
    for (id, why) in [
        ("capabilities-silent", "rejected"),
        ("capabilities-huge", "larger than"),
    ] {
        assert!(text(id).starts_with("rejected"), "{}", text(id));
        assert!(text(id).contains(why), "{}", text(id));
    }
    assert_eq!(text("tool.sh"), "skipped: the name has an extension");
    assert_eq!(text("README.md"), "skipped: the name has an extension");
    assert_eq!(
        text("notes"),
        "rejected: not executable (no execute permission bit set)"
    );

    assert_eq!(
        manager.component_version_repositories().list(),
        [(
            "TestRepository/v1".parse().unwrap(),
            Provider::External("good".into())
        )]
    );
    // Nothing was started by registration, and the hanging probe was killed.
    assert_eq!(manager.plugin("good").unwrap().spawn_count(), 0);
    manager.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_second_plugin_for_the_same_type_is_rejected_with_the_go_message() {
    let dir = PluginDir::new().unwrap();
    dir.add("a-plugin", &test_plugin()).unwrap();
    dir.add("b-plugin", &test_plugin()).unwrap();
    dir.add("sub/a-plugin", &test_plugin()).unwrap();
    let manager = PluginManager::new().unwrap();
    let report = manager
        .register_plugins(dir.path(), options())
        .await
        .unwrap();
    let b = outcome(&report, "b-plugin").to_string();
    assert!(
        b.contains("failed to register plugin b-plugin: component-version-repository (componentVersionRepository): plugin for type TestRepository/v1 already registered with ID: a-plugin"),
        "{b}"
    );
    let dup = report
        .candidates
        .iter()
        .find(|c| c.path.ends_with("sub/a-plugin"))
        .unwrap();
    assert!(
        dup.outcome
            .to_string()
            .contains("duplicate plugin id \"a-plugin\""),
        "{}",
        dup.outcome
    );
    // A later registration of the same id into the same manager is refused too.
    let again = manager
        .register_plugins(dir.path().join("a-plugin"), options())
        .await
        .unwrap();
    assert!(
        again.candidates[0]
            .outcome
            .to_string()
            .contains("already registered in this manager")
    );
    manager.shutdown().await.unwrap();
}

#[tokio::test]
async fn missing_and_empty_directories_are_clear_errors() {
    let manager = PluginManager::new().unwrap();
    let dir = PluginDir::new().unwrap();
    let missing = manager
        .register_plugins(dir.path().join("nope"), options())
        .await;
    assert!(
        matches!(missing, Err(Error::DirectoryNotFound(_))),
        "{missing:?}"
    );
    let empty = manager.register_plugins(dir.path(), options()).await;
    assert!(matches!(empty, Err(Error::NoPluginsFound(_))), "{empty:?}");
    manager.shutdown().await.unwrap();
    let after = manager.register_plugins(dir.path(), options()).await;
    assert!(matches!(after, Err(Error::ShutDown)), "{after:?}");
}

#[tokio::test]
async fn configuration_is_filtered_by_declared_types() {
    let dir = PluginDir::new().unwrap();
    dir.add("dir-repo", &directory_repository()).unwrap();

    // Configuration given, but nothing of the declared type: rejected, with Go's message.
    let manager = PluginManager::new().unwrap();
    let report = manager
        .register_plugins(
            dir.path(),
            RegistrationOptions {
                configuration: Some(vec![]),
                ..options()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        outcome(&report, "dir-repo").to_string(),
        "rejected: no configuration found for plugin dir-repo; requested configuration types: [directory.config.ocm.software/v1]"
    );
    manager.shutdown().await.unwrap();

    // No configuration at all: registered, with a warning (Go says nothing).
    let manager = PluginManager::new().unwrap();
    let report = manager
        .register_plugins(dir.path(), options())
        .await
        .unwrap();
    let Outcome::Registered { warnings, .. } = outcome(&report, "dir-repo") else {
        panic!()
    };
    assert!(
        warnings.iter().any(|w| w.contains("no configuration")),
        "{warnings:?}"
    );
    manager.shutdown().await.unwrap();
}

/// A plugin another user could change is never run: a world-writable binary, and any plugin in
/// a world-writable plugin directory, are refused with the reason, and never probed.
#[tokio::test]
async fn plugins_other_users_can_change_are_refused() {
    use std::os::unix::fs::PermissionsExt as _;

    let dir = PluginDir::new().unwrap();
    let root = std::fs::canonicalize(dir.path()).unwrap();
    // A copy, so that its mode is its own (`add` links to the shared build output).
    let copy = |name: &str, mode: u32| {
        let path = root.join(name);
        std::fs::copy(test_plugin(), &path).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        path
    };
    copy("mine", 0o755);
    let open = copy("open", 0o777);
    let manager = PluginManager::new().unwrap();
    let report = manager.register_plugins(&root, options()).await.unwrap();
    assert!(matches!(
        outcome(&report, "mine"),
        Outcome::Registered { .. }
    ));
    assert!(
        matches!(
            outcome(&report, "open"),
            Outcome::Rejected(ocm_plugin_manager::Rejection::Exposed {
                path,
                exposure: ocm_plugin_manager::Exposure::WorldWritable { mode: 0o777 },
            }) if *path == open
        ),
        "{}",
        outcome(&report, "open")
    );
    assert!(manager.plugin("open").is_none());
    manager.shutdown().await.unwrap();

    // The whole directory writable by anyone (as a careless `chmod 777` leaves it).
    std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o777)).unwrap();
    let manager = PluginManager::new().unwrap();
    let report = manager.register_plugins(&root, options()).await.unwrap();
    std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o700)).unwrap();
    let text = outcome(&report, "mine").to_string();
    assert_eq!(
        text,
        format!(
            "rejected: {} is writable by anyone (mode 0777): another user could change what runs as this user (fix: chmod go-w, or chown to this user)",
            root.display()
        )
    );
    assert!(manager.plugins().is_empty());
    manager.shutdown().await.unwrap();
}
