//! Run-time trust: plugin binaries checked against the plugin directory's lock file, and the
//! verified bytes are what runs.

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};

use ocm_plugin_contracts::component_version_repository::v1 as cvr;
use ocm_plugin_manager::{
    CapabilityCache, Error, Outcome, PluginManager, RegistrationOptions, RegistrationReport,
    Rejection, Trust, TrustState,
};
use ocm_plugin_types::Credentials;
use sha2::{Digest as _, Sha256};

use crate::{options, test_plugin, test_spec};

fn sha256(path: &Path) -> String {
    hex::encode(Sha256::digest(std::fs::read(path).unwrap()))
}

/// A private plugin directory with copies (not links: the trust check is about these bytes).
fn plugin_dir(names: &[&str]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = std::fs::canonicalize(dir.path()).unwrap();
    for name in names {
        let path = root.join(name);
        std::fs::copy(test_plugin(), &path).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    (dir, root)
}

/// Writes `ocm-plugins.lock` listing `files` (as local builds) with their current digests.
fn lock(root: &Path, files: &[&str]) {
    let plugins: Vec<_> = files
        .iter()
        .map(|f| {
            let path = root.join(f);
            serde_json::json!({
                "file": f, "source": "local", "component": null, "version": null,
                "repository": null, "resource": null, "sha256": sha256(&path),
                "size": std::fs::metadata(&path).unwrap().len(), "signature": null
            })
        })
        .collect();
    let doc = serde_json::json!({"schemaVersion": 1, "plugins": plugins});
    std::fs::write(root.join("ocm-plugins.lock"), doc.to_string()).unwrap();
}

fn outcome<'a>(report: &'a RegistrationReport, id: &str) -> &'a Outcome {
    &report
        .candidates
        .iter()
        .find(|c| c.id == id)
        .unwrap_or_else(|| panic!("no candidate {id}"))
        .outcome
}

fn no_cache() -> RegistrationOptions {
    RegistrationOptions {
        cache: CapabilityCache::Disabled,
        ..options()
    }
}

#[tokio::test]
async fn listed_binaries_run_and_others_are_refused_with_the_reason() {
    let (_dir, root) = plugin_dir(&["good", "stranger"]);
    lock(&root, &["good"]);
    let lock_file = root.join("ocm-plugins.lock");

    let manager = PluginManager::new().unwrap();
    let report = manager.register_plugins(&root, no_cache()).await.unwrap();
    let good = sha256(&root.join("good"));
    assert!(
        matches!(
            outcome(&report, "good"),
            Outcome::Registered { trust: TrustState::Verified { sha256 }, .. } if *sha256 == good
        ),
        "{}",
        outcome(&report, "good")
    );
    assert!(
        matches!(
            outcome(&report, "stranger"),
            Outcome::Rejected(Rejection::Unlisted { path, lock_file: l }) if *path == root.join("stranger") && *l == lock_file
        ),
        "{}",
        outcome(&report, "stranger")
    );
    assert!(manager.plugin("stranger").is_none());
    manager.shutdown().await.unwrap();

    // The host may allow unlisted plugins: registered, with a warning and the state to show.
    // (Registered alone, since both copies declare the same type; a single plugin file is
    // checked against the lock file beside it.)
    let manager = PluginManager::new().unwrap();
    let report = manager
        .register_plugins(
            root.join("stranger"),
            RegistrationOptions {
                allow_unlisted: true,
                ..no_cache()
            },
        )
        .await
        .unwrap();
    let Outcome::Registered {
        trust, warnings, ..
    } = outcome(&report, "stranger")
    else {
        panic!("{}", outcome(&report, "stranger"));
    };
    assert_eq!(
        *trust,
        TrustState::Unlisted {
            lock_file: lock_file.clone()
        }
    );
    assert!(
        warnings.iter().any(|w| w.contains("not in the lock file")),
        "{warnings:?}"
    );
    manager.shutdown().await.unwrap();

    // Changed after it was installed: refused, naming both digests.
    let mut bytes = std::fs::read(root.join("good")).unwrap();
    bytes.extend_from_slice(b"tampered");
    std::fs::write(root.join("good"), &bytes).unwrap();
    let tampered = sha256(&root.join("good"));
    let manager = PluginManager::new().unwrap();
    let report = manager.register_plugins(&root, no_cache()).await.unwrap();
    let text = outcome(&report, "good").to_string();
    assert!(
        matches!(
            outcome(&report, "good"),
            Outcome::Rejected(Rejection::Modified { expected, actual, .. }) if *expected == good && *actual == tampered
        ),
        "{text}"
    );
    assert!(
        text.contains("modified since it was installed")
            && text.contains(&good)
            && text.contains(&tampered),
        "{text}"
    );
    manager.shutdown().await.unwrap();
}

/// A corrupt lock file is never "no lock file" (which would run anything): registration fails.
#[tokio::test]
async fn a_corrupt_lock_file_stops_registration() {
    let (_dir, root) = plugin_dir(&["good"]);
    std::fs::write(
        root.join("ocm-plugins.lock"),
        "{\"schemaVersion\":1,\"plugins\":[",
    )
    .unwrap();
    let manager = PluginManager::new().unwrap();
    let e = manager
        .register_plugins(&root, no_cache())
        .await
        .unwrap_err();
    assert!(matches!(e, Error::CorruptLockFile { .. }), "{e}");
    assert!(manager.plugins().is_empty());
    // A named lock file that is missing is an error too; checking can be switched off.
    let e = manager
        .register_plugins(
            &root,
            RegistrationOptions {
                trust: Trust::LockFile(root.join("missing.lock")),
                ..no_cache()
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(e, Error::LockFile { .. }), "{e}");
    let report = manager
        .register_plugins(
            &root,
            RegistrationOptions {
                trust: Trust::Off,
                ..no_cache()
            },
        )
        .await
        .unwrap();
    assert!(matches!(
        outcome(&report, "good"),
        Outcome::Registered {
            trust: TrustState::Unchecked,
            ..
        }
    ));
    manager.shutdown().await.unwrap();
}

/// What was verified is what runs: a binary swapped after the check (renamed over the path, as
/// an update or an attacker would) does not run; the verified bytes do.
#[tokio::test]
async fn a_binary_swapped_after_the_check_does_not_run() {
    let (_dir, root) = plugin_dir(&["good"]);
    lock(&root, &["good"]);
    let manager = PluginManager::new().unwrap();
    let report = manager.register_plugins(&root, no_cache()).await.unwrap();
    assert!(matches!(
        outcome(&report, "good"),
        Outcome::Registered { .. }
    ));
    // Swapped: a script that would fail every start.
    let impostor = root.join(".impostor");
    std::fs::write(&impostor, "#!/bin/sh\necho impostor >&2\nexit 3\n").unwrap();
    std::fs::set_permissions(&impostor, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::rename(&impostor, root.join("good")).unwrap();

    let repo = manager
        .component_version_repositories()
        .get(&test_spec())
        .await
        .expect("the verified bytes start");
    repo.list_component_versions(
        cvr::ListComponentVersionsRequest {
            repository: None,
            name: "acme.org/none".into(),
        },
        &Credentials::new(),
    )
    .await
    .unwrap();
    manager.shutdown().await.unwrap();
}

/// A binary is hashed once per change: with a warm capability cache a registration reads no
/// binary (the debug log says each time one is hashed).
#[test]
fn an_unchanged_binary_is_hashed_once() {
    let (_dir, root) = plugin_dir(&["good"]);
    lock(&root, &["good"]);
    let cache = tempfile::tempdir().unwrap();
    let hashed = || {
        let out = std::process::Command::new(crate::cli())
            .arg("list")
            .arg(&root)
            .arg("--cache-dir")
            .arg(cache.path())
            .env("OCM_PLUGIN_LOG", "debug")
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            stdout.contains("trust: verified against the lock file"),
            "{stdout}"
        );
        String::from_utf8_lossy(&out.stderr)
            .lines()
            .filter(|l| l.contains("hashing the binary"))
            .count()
    };
    assert_eq!(hashed(), 1, "the first registration hashes the binary once");
    // A binary changed a moment before (here: copied) is verified by its content on each look
    // until it is old enough to be trusted by its metadata (100 ms; see the capability cache).
    // Registrations go on until that happened, each hashing at most once, within a deadline.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let n = hashed();
        assert!(n <= 1, "hashed {n} times in one registration");
        if n == 0 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "still hashing the unchanged binary after 10 s"
        );
    }
    assert_eq!(hashed(), 0, "a warm cache reads no binary");
    assert_eq!(hashed(), 0);
}
