//! One plugin directory holding plugins of every capabilities format: each is registered from
//! its own format, called with the credentials form it reads, and shown with its format by
//! `ocm-plugin list`.

use assert_cmd::Command;
use ocm_plugin_contracts::component_version_repository::v1 as cvr;
use ocm_plugin_manager::{Outcome, PluginManager};
use ocm_plugin_test_support::PluginDir;
use ocm_plugin_types::{CapabilitiesFormat, Credentials, Descriptor};

use crate::{cli, options, spec, test_plugin};

/// (file name, format, repository type) of the three plugins.
const PLUGINS: [(&str, CapabilitiesFormat, &str); 3] = [
    ("old-format-v1", CapabilitiesFormat::V1, "V1Repository/v1"),
    (
        "new-format-current",
        CapabilitiesFormat::Current,
        "CurrentRepository/v1",
    ),
    (
        "both-formats",
        CapabilitiesFormat::Dual,
        "TestRepository/v1",
    ),
];

fn mixed_dir() -> PluginDir {
    let dir = PluginDir::new().unwrap();
    for (name, _, _) in PLUGINS {
        dir.add(name, &test_plugin()).unwrap();
    }
    dir
}

fn descriptor(name: &str) -> Descriptor {
    serde_json::from_str(&format!(
        r#"{{"meta":{{"schemaVersion":"v2"}},"component":{{"name":"{name}","version":"1.0.0","provider":"acme"}}}}"#
    ))
    .unwrap()
}

#[tokio::test]
async fn one_directory_of_every_generation() {
    let dir = mixed_dir();
    let manager = PluginManager::new().unwrap();
    let report = manager
        .register_plugins(dir.path(), options())
        .await
        .unwrap();
    for (name, format, typ) in PLUGINS {
        let candidate = report.candidates.iter().find(|c| c.id == name).unwrap();
        let Outcome::Registered { capabilities, .. } = &candidate.outcome else {
            panic!("{name}: {}", candidate.outcome)
        };
        assert_eq!(capabilities.format, format, "{name}");

        let repo = manager
            .component_version_repositories()
            .get(&spec(&format!(r#"{{"type":"{typ}"}}"#)))
            .await
            .unwrap();
        let repository = spec(&format!(r#"{{"type":"{typ}"}}"#));
        repo.add_component_version(
            cvr::AddComponentVersionRequest {
                repository: repository.clone(),
                descriptor: descriptor(name),
            },
            &[("username", "u")].into(),
        )
        .await
        .unwrap();
        let list = |credentials: Credentials| {
            let repo = repo.clone();
            let repository = repository.clone();
            async move {
                repo.list_component_versions(
                    cvr::ListComponentVersionsRequest {
                        repository: Some(repository),
                        name: name.into(),
                    },
                    &credentials,
                )
                .await
                .unwrap()
            }
        };
        assert_eq!(list(Credentials::new()).await, ["1.0.0"], "{name}");
        // The plugin echoes the form the credentials arrived in: flat for the v0.0.1 format,
        // typed for the others.
        let echoed = list([("echo", "form")].into()).await;
        let want = if format == CapabilitiesFormat::V1 {
            "credentials:flat"
        } else {
            "credentials:Credentials/v1"
        };
        assert_eq!(echoed, [want], "{name}");
        // Typed credentials of another type reach a v0.0.1-format plugin as their properties.
        let rsa = Credentials::typed("RSACredentials/v1", [("echo", "form")]);
        let want = if format == CapabilitiesFormat::V1 {
            "credentials:flat"
        } else {
            "credentials:RSACredentials/v1"
        };
        assert_eq!(list(rsa).await, [want], "{name}");
    }
    // All three run, each in its own process.
    let pids: Vec<u32> = PLUGINS
        .iter()
        .map(|(name, _, _)| manager.plugin(name).unwrap().pid().unwrap())
        .collect();
    assert!(pids[0] != pids[1] && pids[1] != pids[2], "{pids:?}");

    // The alias the v0.0.11+ plugin declared finds it, and requests carrying the alias are
    // dispatched to its implementation.
    let by_alias = manager
        .component_version_repositories()
        .get(&spec(r#"{"type":"Current"}"#))
        .await
        .unwrap();
    let versions = by_alias
        .list_component_versions(
            cvr::ListComponentVersionsRequest {
                repository: Some(spec(r#"{"type":"Current"}"#)),
                name: "new-format-current".into(),
            },
            &Credentials::new(),
        )
        .await
        .unwrap();
    assert_eq!(versions, ["1.0.0"]);
    let listed: Vec<String> = manager
        .component_version_repositories()
        .list()
        .into_iter()
        .map(|(t, _)| t.to_string())
        .collect();
    assert!(listed.contains(&"Current".to_owned()), "{listed:?}");
    manager.shutdown().await.unwrap();
}

#[test]
fn list_shows_each_plugins_format() {
    let dir = mixed_dir();
    let cache = tempfile::tempdir().unwrap();
    let out = Command::new(cli())
        .arg("list")
        .arg(dir.path())
        .arg("--json")
        .arg("--cache-dir")
        .arg(cache.path())
        .assert()
        .success();
    let items: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    for (name, format, _) in PLUGINS {
        let item = items
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["id"] == name)
            .unwrap();
        assert_eq!(item["format"], format.to_string(), "{name}");
        assert_eq!(item["cached"], false, "{name}");
    }
    let current = items
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == "new-format-current")
        .unwrap();
    assert_eq!(current["capabilities"][0]["aliases"][0], "Current");

    // The second listing reads every document from the cache the first one wrote.
    let text = Command::new(cli())
        .arg("list")
        .arg(dir.path())
        .arg("--cache-dir")
        .arg(cache.path())
        .assert()
        .success();
    let text = String::from_utf8_lossy(&text.get_output().stdout).into_owned();
    for line in [
        "capabilities format: v0.0.1 (from the capability cache)\n",
        "capabilities format: v0.0.11+ (from the capability cache)\n",
        "capabilities format: dual (v0.0.1 + v0.0.11+) (from the capability cache)\n",
        "CurrentRepository/v1 (aliases Current)",
    ] {
        assert!(text.contains(line), "{line:?} in {text}");
    }
}
