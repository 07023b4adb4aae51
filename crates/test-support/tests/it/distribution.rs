//! Shipping plugins as component versions through `ocm-plugin`: publish to a directory
//! repository and to a real OCI registry, install verified into an empty plugin directory,
//! the lock file, plugin registries, and every bad input refused with nothing left behind.

use std::{
    os::unix::fs::PermissionsExt as _,
    path::{Path, PathBuf},
};

use assert_cmd::{Command, assert::Assert};
use ocm_plugin_test_support::{PluginDir, registry::RegistryAuth};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use crate::{
    cli, directory_repository, file_input, oci_repository, oci_repository::start_registry,
    rsa_signing_handler, sha256_digester,
};

const KEYS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../examples/rsa-signing-handler/testdata"
);
const HELLO: &str = "acme.org/plugins/file-input";
const DIGESTER: &str = "acme.org/plugins/sha256-digester";

fn host() -> String {
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    };
    format!("linux/{arch}")
}

/// The other platform the tests publish for.
fn other() -> &'static str {
    if host() == "linux/arm64" {
        "linux/amd64"
    } else {
        "linux/arm64"
    }
}

fn sha256(path: &Path) -> String {
    hex::encode(Sha256::digest(std::fs::read(path).unwrap()))
}

fn stderr(a: &Assert) -> String {
    String::from_utf8_lossy(&a.get_output().stderr).into_owned()
}

fn stdout_json(a: &Assert) -> Value {
    serde_json::from_slice(&a.get_output().stdout).unwrap()
}

/// The plugin directory the commands use (repository plugins and the signing handler), a
/// store and a work directory.
struct Env {
    with: PluginDir,
    work: tempfile::TempDir,
    /// A second build "for another platform": file-input with bytes appended (still runs).
    other_binary: PathBuf,
}

impl Env {
    fn new() -> Self {
        let with = PluginDir::new().unwrap();
        with.add("directory-repository", &directory_repository())
            .unwrap();
        with.add("oci-repository", &oci_repository()).unwrap();
        with.add("rsa-signing-handler", &rsa_signing_handler())
            .unwrap();
        let work = tempfile::tempdir().unwrap();
        let other_binary = work.path().join("other/file-input");
        std::fs::create_dir_all(other_binary.parent().unwrap()).unwrap();
        let mut bytes = std::fs::read(file_input()).unwrap();
        bytes.extend_from_slice(b"another platform");
        std::fs::write(&other_binary, bytes).unwrap();
        std::fs::set_permissions(&other_binary, std::fs::Permissions::from_mode(0o755)).unwrap();
        Self {
            with,
            work,
            other_binary,
        }
    }

    fn repo(&self) -> PathBuf {
        self.work.path().join("repo")
    }

    fn target(&self, name: &str) -> PathBuf {
        self.work.path().join(name)
    }

    fn cmd(&self, verb: &str) -> Command {
        let mut c = Command::new(cli());
        c.arg(verb)
            .env_remove("OCM_PLUGIN_CREDENTIALS")
            .env(
                "OCM_PLUGIN_REGISTRIES",
                self.work.path().join("registries.json"),
            )
            .env("NO_COLOR", "1");
        c
    }

    /// `publish` of `binaries` (PATH[=os/arch]) as `component:version` into `repository`.
    fn publish(
        &self,
        repository: &str,
        component: &str,
        version: &str,
        binaries: &[String],
    ) -> Command {
        let mut c = self.cmd("publish");
        c.arg(self.with.path())
            .args([
                "--repository",
                repository,
                "--component",
                component,
                "--version",
                version,
            ])
            .args(binaries)
            .arg("--no-cache");
        c
    }

    /// file-input for the host and the other platform, as `HELLO:version`, into the directory
    /// repository.
    fn publish_hello(&self, version: &str) -> Assert {
        self.publish(
            &self.repo().to_string_lossy(),
            HELLO,
            version,
            &self.hello_binaries(),
        )
        .args([
            "--name",
            "file-input",
            "--description",
            "files become blobs",
        ])
        .assert()
        .success()
    }

    fn hello_binaries(&self) -> Vec<String> {
        vec![
            file_input().to_string_lossy().into_owned(),
            format!("{}={}", self.other_binary.display(), other()),
        ]
    }

    fn install(&self, target: &Path) -> Command {
        let mut c = self.cmd("install");
        c.arg("--with")
            .arg(self.with.path())
            .arg("--plugin-dir")
            .arg(target)
            .arg("--no-cache");
        c
    }

    fn reference(&self, component: &str, version: Option<&str>) -> String {
        let mut r = format!("{}//{component}", self.repo().display());
        if let Some(v) = version {
            r.push(':');
            r.push_str(v);
        }
        r
    }
}

fn lock_file(target: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(target.join("ocm-plugins.lock")).unwrap()).unwrap()
}

/// The names in a directory, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect(),
        Err(_) => Vec::new(),
    };
    names.sort();
    names
}

#[test]
fn publish_to_a_directory_and_install_into_an_empty_plugin_directory() {
    let env = Env::new();
    let published = env.publish_hello("1.0.0");
    let out = String::from_utf8_lossy(&published.get_output().stdout).into_owned();
    assert!(out.contains("inputRepository: file/v1"), "{out}");
    assert!(stderr(&published).contains("published without a capabilities check"));
    env.publish(
        &env.repo().to_string_lossy(),
        DIGESTER,
        "0.1.0",
        &[sha256_digester().to_string_lossy().into_owned()],
    )
    .args(["--name", "sha256-digester"])
    .assert()
    .success();

    // The layout OCM's `ocm download plugin` reads.
    let descriptor: Value = stdout_json(
        &env.cmd("call")
            .arg(env.with.path())
            .args([
                "component-version-repository",
                "get-component-version",
                "--json",
                "--no-cache",
            ])
            .args([
                "--spec",
                &json!({"type": "DirectoryRepository/v1", "path": env.repo()}).to_string(),
            ])
            .args(["--name", HELLO, "--version", "1.0.0"])
            .assert()
            .success(),
    );
    let resources = descriptor["component"]["resources"].as_array().unwrap();
    assert_eq!(resources.len(), 3);
    let (os, arch) = host()
        .split_once('/')
        .map(|(a, b)| (a.to_owned(), b.to_owned()))
        .unwrap();
    let host_resource = &resources[0];
    assert_eq!(host_resource["type"], "ocmPlugin");
    assert_eq!(host_resource["name"], "file-input");
    assert_eq!(host_resource["version"], "1.0.0");
    assert_eq!(host_resource["relation"], "local");
    assert_eq!(
        host_resource["extraIdentity"],
        json!({"os": os, "architecture": arch})
    );
    assert_eq!(
        host_resource["digest"],
        json!({"hashAlgorithm": "SHA-256", "normalisationAlgorithm": "genericBlobDigest/v1", "value": sha256(&file_input())})
    );
    assert_eq!(host_resource["access"]["type"], "localBlob/v1");
    assert_eq!(
        host_resource["access"]["mediaType"],
        "application/octet-stream"
    );
    assert_eq!(
        host_resource["access"]["localReference"],
        format!("sha256:{}", sha256(&file_input()))
    );
    assert_eq!(resources[2]["type"], "plugin-metadata");

    let target = env.target("plugins");
    let installed = env
        .install(&target)
        .arg(env.reference(HELLO, Some("1.0.0")))
        .arg("--json")
        .assert()
        .success();
    assert_eq!(stdout_json(&installed)["change"], "installed");
    env.install(&target)
        .arg(env.reference(DIGESTER, Some("0.1.0")))
        .assert()
        .success();
    assert_eq!(
        names(&target),
        ["file-input", "ocm-plugins.lock", "sha256-digester"]
    );
    let mode = std::fs::metadata(target.join("file-input"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o755);
    assert_eq!(sha256(&target.join("file-input")), sha256(&file_input()));

    let lock = lock_file(&target);
    assert_eq!(lock["schemaVersion"], 1);
    let entry = &lock["plugins"][0];
    assert_eq!(entry["file"], "file-input");
    assert_eq!(entry["source"], "repository");
    assert_eq!(entry["component"], HELLO);
    assert_eq!(entry["version"], "1.0.0");
    assert_eq!(
        entry["repository"],
        json!({"type": "DirectoryRepository/v1", "path": env.repo()})
    );
    assert_eq!(
        entry["resource"],
        json!({"name": "file-input", "version": "1.0.0", "os": os, "architecture": arch})
    );
    assert_eq!(entry["sha256"], sha256(&file_input()));
    assert_eq!(
        entry["size"],
        std::fs::metadata(file_input()).unwrap().len()
    );
    assert_eq!(entry["signature"], Value::Null);
    assert_eq!(lock["plugins"][1]["file"], "sha256-digester");

    // The same again: nothing to do. The other platform's build, by --platform.
    let again = env
        .install(&target)
        .arg(env.reference(HELLO, Some("1.0.0")))
        .arg("--json")
        .assert()
        .success();
    assert_eq!(stdout_json(&again)["change"], "unchanged");
    let arm = env.target("other-platform");
    env.install(&arm)
        .arg(env.reference(HELLO, Some("1.0.0")))
        .args(["--platform", other()])
        .assert()
        .success();
    assert_eq!(sha256(&arm.join("file-input")), sha256(&env.other_binary));

    // A different file of the same name is replaced only with --force.
    std::fs::write(target.join("file-input"), "#!/bin/sh\n").unwrap();
    let refused = env
        .install(&target)
        .arg(env.reference(HELLO, Some("1.0.0")))
        .assert()
        .code(1);
    assert!(
        stderr(&refused).contains("use --force to replace it"),
        "{}",
        stderr(&refused)
    );
    env.install(&target)
        .arg(env.reference(HELLO, Some("1.0.0")))
        .arg("--force")
        .assert()
        .success();
    assert_eq!(sha256(&target.join("file-input")), sha256(&file_input()));

    // Uninstall removes the file and the entry.
    env.cmd("uninstall")
        .arg("sha256-digester")
        .arg("--plugin-dir")
        .arg(&target)
        .assert()
        .success();
    assert_eq!(names(&target), ["file-input", "ocm-plugins.lock"]);
    assert_eq!(lock_file(&target)["plugins"].as_array().unwrap().len(), 1);
    let gone = env
        .cmd("uninstall")
        .arg("sha256-digester")
        .arg("--plugin-dir")
        .arg(&target)
        .assert()
        .code(1);
    assert!(
        stderr(&gone).contains("is not installed in"),
        "{}",
        stderr(&gone)
    );
}

#[test]
fn without_a_version_the_highest_semver_is_installed() {
    let env = Env::new();
    for v in ["1.2.0", "1.10.0", "1.9.3", "2.0.0-rc.1"] {
        env.publish_hello(v);
    }
    let target = env.target("plugins");
    env.install(&target)
        .arg(env.reference(HELLO, None))
        .assert()
        .success();
    assert_eq!(lock_file(&target)["plugins"][0]["version"], "1.10.0");

    // Explicit --repository/--component, no version: the same choice.
    let other = env.target("explicit");
    env.install(&other)
        .args([
            "--repository",
            &env.repo().to_string_lossy(),
            "--component",
            HELLO,
        ])
        .assert()
        .success();
    assert_eq!(lock_file(&other)["plugins"][0]["version"], "1.10.0");

    let none = env
        .install(&env.target("none"))
        .arg(env.reference("acme.org/plugins/nothing", None))
        .assert()
        .code(1);
    assert!(
        stderr(&none).contains("no version to choose: the repository has none"),
        "{}",
        stderr(&none)
    );
}

#[test]
fn bad_input_is_refused_and_nothing_is_left_behind() {
    let env = Env::new();
    env.publish_hello("1.0.0");
    let target = env.target("plugins");

    // Unknown reference syntax.
    let bad = env
        .install(&target)
        .arg("somewhere//acme.org/plugins/file-input")
        .assert()
        .code(1);
    assert!(
        stderr(&bad).contains("neither an OCI registry nor a directory"),
        "{}",
        stderr(&bad)
    );
    let bad = env
        .install(&target)
        .arg("acme.org/plugins/file-input:1.0.0")
        .assert()
        .code(1);
    assert!(
        stderr(&bad).contains("expected <repository>//<component>[:<version>]"),
        "{}",
        stderr(&bad)
    );
    let bad = env
        .cmd("registry")
        .args(["add", "x", "acme.org/plugins/x"])
        .assert()
        .code(1);
    assert!(
        stderr(&bad).contains("expected <repository>//<component>[:<version>]"),
        "{}",
        stderr(&bad)
    );

    // No resource for this platform: the ones there are are listed.
    let none = env
        .install(&target)
        .arg(env.reference(HELLO, Some("1.0.0")))
        .args(["--platform", "darwin/arm64"])
        .assert()
        .code(1);
    let e = stderr(&none);
    assert!(
        e.contains("has no ocmPlugin resource for darwin/arm64"),
        "{e}"
    );
    assert!(
        e.contains(&format!("file-input {}", host()))
            && e.contains(&format!("file-input {}", other())),
        "{e}"
    );
    assert!(names(&target).is_empty(), "{:?}", names(&target));

    // A non-plugin binary: refused by publish; and by install when it was published for
    // another platform (unprobed).
    let not_plugin = env.work.path().join("true/file-input");
    std::fs::create_dir_all(not_plugin.parent().unwrap()).unwrap();
    std::fs::copy("/bin/true", &not_plugin).unwrap();
    let refused = env
        .publish(
            &env.repo().to_string_lossy(),
            HELLO,
            "3.0.0",
            &[not_plugin.to_string_lossy().into_owned()],
        )
        .assert()
        .code(1);
    assert!(
        stderr(&refused).contains("is not an OCM plugin (a binary to publish)"),
        "{}",
        stderr(&refused)
    );
    env.publish(
        &env.repo().to_string_lossy(),
        HELLO,
        "3.0.0",
        &[
            file_input().to_string_lossy().into_owned(),
            format!("{}={}", not_plugin.display(), other()),
        ],
    )
    .args(["--name", "file-input"])
    .assert()
    .success();
    let refused = env
        .install(&target)
        .arg(env.reference(HELLO, Some("3.0.0")))
        .args(["--platform", other()])
        .assert()
        .code(1);
    assert!(
        stderr(&refused).contains("is not an OCM plugin (a downloaded ocmPlugin resource)"),
        "{}",
        stderr(&refused)
    );
    assert!(names(&target).is_empty(), "{:?}", names(&target));

    // The stored bytes changed in the repository: a digest mismatch, nothing installed.
    let version_dir = env
        .repo()
        .join("components/acme.org%2Fplugins%2Ffile-input/1.0.0/resources");
    let blob = std::fs::read_dir(&version_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "blob") && sha256(p) == sha256(&file_input()))
        .expect("the host binary's blob");
    let mut bytes = std::fs::read(&blob).unwrap();
    bytes[1000] ^= 0xff;
    std::fs::write(&blob, bytes).unwrap();
    let mismatch = env
        .install(&target)
        .arg(env.reference(HELLO, Some("1.0.0")))
        .assert()
        .code(1);
    let e = stderr(&mismatch);
    assert!(
        e.contains("digest mismatch") && e.contains(&sha256(&file_input())),
        "{e}"
    );
    assert!(e.contains("nothing was installed"), "{e}");
    assert!(names(&target).is_empty(), "{:?}", names(&target));

    // A corrupt lock file is an error and stays as it was.
    let corrupt = env.target("corrupt");
    std::fs::create_dir_all(&corrupt).unwrap();
    std::fs::write(corrupt.join("ocm-plugins.lock"), "{\"schemaVersion\":1,").unwrap();
    for args in [vec![env.reference(HELLO, Some("3.0.0"))], vec![]] {
        let e = env.install(&corrupt).args(args).assert().code(1);
        assert!(
            stderr(&e).contains("ocm-plugins.lock is corrupt"),
            "{}",
            stderr(&e)
        );
    }
    assert_eq!(
        std::fs::read(corrupt.join("ocm-plugins.lock")).unwrap(),
        b"{\"schemaVersion\":1,"
    );
    assert_eq!(names(&corrupt), ["ocm-plugins.lock"]);
}

#[test]
fn two_installs_at_once_are_serialised_and_both_recorded() {
    let env = Env::new();
    env.publish_hello("1.0.0");
    env.publish(
        &env.repo().to_string_lossy(),
        DIGESTER,
        "1.0.0",
        &[sha256_digester().to_string_lossy().into_owned()],
    )
    .args(["--name", "sha256-digester"])
    .assert()
    .success();
    let target = env.target("plugins");
    let spawn = |component: &str| {
        let mut c = std::process::Command::new(cli());
        c.arg("install")
            .arg(env.reference(component, Some("1.0.0")))
            .arg("--with")
            .arg(env.with.path())
            .arg("--plugin-dir")
            .arg(&target)
            .arg("--no-cache")
            .env_remove("OCM_PLUGIN_CREDENTIALS")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped());
        c.spawn().unwrap()
    };
    let (a, b) = (spawn(HELLO), spawn(DIGESTER));
    for child in [a, b] {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let lock = lock_file(&target);
    let files: Vec<&str> = lock["plugins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["file"].as_str().unwrap())
        .collect();
    assert_eq!(files, ["file-input", "sha256-digester"]);
    assert_eq!(
        names(&target),
        ["file-input", "ocm-plugins.lock", "sha256-digester"]
    );
}

#[test]
fn install_from_the_lock_file_restores_a_modified_binary() {
    let env = Env::new();
    env.publish_hello("1.0.0");
    let target = env.target("plugins");
    env.install(&target)
        .arg(env.reference(HELLO, Some("1.0.0")))
        .assert()
        .success();
    let before = std::fs::read(target.join("ocm-plugins.lock")).unwrap();

    std::fs::write(target.join("file-input"), "#!/bin/sh\necho changed\n").unwrap();
    let out = env.install(&target).arg("--json").assert().success();
    assert_eq!(stdout_json(&out)["plugins"][0]["change"], "replaced");
    assert_eq!(sha256(&target.join("file-input")), sha256(&file_input()));
    std::fs::remove_file(target.join("file-input")).unwrap();
    env.install(&target).assert().success();
    assert_eq!(sha256(&target.join("file-input")), sha256(&file_input()));
    assert_eq!(
        std::fs::read(target.join("ocm-plugins.lock")).unwrap(),
        before
    );

    // A local build cannot be fetched again: trusted, then changed, it is an error.
    let local = env.work.path().join("build/sha256-digester");
    std::fs::create_dir_all(local.parent().unwrap()).unwrap();
    std::fs::copy(sha256_digester(), &local).unwrap();
    env.cmd("trust")
        .arg(&local)
        .arg("--plugin-dir")
        .arg(&target)
        .assert()
        .success();
    let entry = lock_file(&target)["plugins"][1].clone();
    assert_eq!(entry["source"], "local");
    assert_eq!(entry["component"], Value::Null);
    assert_eq!(entry["sha256"], sha256(&sha256_digester()));
    std::fs::write(target.join("sha256-digester"), "#!/bin/sh\n").unwrap();
    let e = env.install(&target).assert().code(1);
    assert!(
        stderr(&e).contains("is a local build recorded with sha256:"),
        "{}",
        stderr(&e)
    );
}

#[test]
fn signed_plugins_install_only_with_a_valid_signature() {
    let env = Env::new();
    let credentials = env.work.path().join("private.json");
    std::fs::write(
        &credentials,
        json!({"privateKeyPEMFile": format!("{KEYS}/signer-a.pem")}).to_string(),
    )
    .unwrap();
    env.publish(
        &env.repo().to_string_lossy(),
        HELLO,
        "1.0.0",
        &env.hello_binaries(),
    )
    .args(["--name", "file-input", "--sign", "--signature", "release"])
    .arg("--credentials-file")
    .arg(&credentials)
    .assert()
    .success();
    env.publish_hello("2.0.0"); // unsigned

    let target = env.target("plugins");
    env.install(&target)
        .arg(env.reference(HELLO, Some("1.0.0")))
        .arg("--verify-with")
        .arg(format!("{KEYS}/signer-a.pub.pem"))
        .args(["--signature", "release"])
        .assert()
        .success();
    let signature = &lock_file(&target)["plugins"][0]["signature"];
    assert_eq!(signature["name"], "release");
    let fingerprint = signature["keyFingerprint"].as_str().unwrap();
    assert!(
        fingerprint.starts_with("sha256:") && fingerprint.len() == 71,
        "{fingerprint}"
    );

    let other = env.target("unverified");
    let unsigned = env
        .install(&other)
        .arg(env.reference(HELLO, Some("2.0.0")))
        .arg("--verify-with")
        .arg(format!("{KEYS}/signer-a.pub.pem"))
        .assert()
        .code(4);
    assert!(
        stderr(&unsigned).contains("has no signatures"),
        "{}",
        stderr(&unsigned)
    );
    let wrong = env
        .install(&other)
        .arg(env.reference(HELLO, Some("1.0.0")))
        .arg("--verify-with")
        .arg(format!("{KEYS}/signer-b.pub.pem"))
        .args(["--signature", "release"])
        .assert()
        .code(4);
    assert!(stderr(&wrong).contains("is invalid"), "{}", stderr(&wrong));
    assert!(names(&other).is_empty(), "{:?}", names(&other));
}

#[test]
fn plugins_are_found_and_installed_through_a_registry() {
    let env = Env::new();
    let registry = env.reference("acme.org/plugin-registry", None);
    env.publish(
        &env.repo().to_string_lossy(),
        HELLO,
        "1.0.0",
        &env.hello_binaries(),
    )
    .args([
        "--name",
        "file-input",
        "--description",
        "files become blobs",
    ])
    .args(["--registry", &registry])
    .assert()
    .success();
    let second = env
        .publish(
            &env.repo().to_string_lossy(),
            DIGESTER,
            "0.3.0",
            &[sha256_digester().to_string_lossy().into_owned()],
        )
        .args([
            "--name",
            "sha256-digester",
            "--description",
            "streaming SHA-256",
        ])
        .args(["--registry", &registry, "--json"])
        .assert()
        .success();
    assert_eq!(stdout_json(&second)["registry"]["version"], "1.0.1");

    env.cmd("registry")
        .args(["add", "acme", &registry])
        .assert()
        .success();
    let listed = env.cmd("registry").arg("list").assert().success();
    assert!(
        String::from_utf8_lossy(&listed.get_output().stdout).contains(&format!("acme\t{registry}"))
    );

    let all = stdout_json(
        &env.cmd("search")
            .arg("--with")
            .arg(env.with.path())
            .args(["--no-cache", "--json"])
            .assert()
            .success(),
    );
    let all = all.as_array().unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[0]["name"], "file-input");
    assert_eq!(all[0]["description"], "files become blobs");
    assert_eq!(all[0]["capabilities"], json!(["inputRepository: file/v1"]));
    assert_eq!(all[0]["registry"], "acme");
    let found = stdout_json(
        &env.cmd("search")
            .arg("sha-256")
            .arg("--with")
            .arg(env.with.path())
            .args(["--no-cache", "--json"])
            .assert()
            .success(),
    );
    assert_eq!(found.as_array().unwrap().len(), 1);
    assert_eq!(found[0]["component"], DIGESTER);
    assert_eq!(found[0]["version"], "0.3.0");

    let target = env.target("plugins");
    env.install(&target)
        .arg("sha256-digester")
        .assert()
        .success();
    assert_eq!(lock_file(&target)["plugins"][0]["component"], DIGESTER);
    let missing = env.install(&target).arg("nothing@1.0.0").assert().code(1);
    assert!(
        stderr(&missing).contains("no plugin named \"nothing\" in the registries acme"),
        "{}",
        stderr(&missing)
    );

    env.cmd("registry")
        .args(["remove", "acme"])
        .assert()
        .success();
    let none = env
        .cmd("registry")
        .args(["remove", "acme"])
        .assert()
        .code(1);
    assert!(
        stderr(&none).contains("no registry named \"acme\""),
        "{}",
        stderr(&none)
    );
}

#[test]
fn a_credential_plugin_is_installed_with_a_warning_for_ocm_0_13() {
    let env = Env::new();
    let script = env.work.path().join("build/creds");
    std::fs::create_dir_all(script.parent().unwrap()).unwrap();
    std::fs::write(
        &script,
        "#!/bin/sh\necho '{\"capabilities\":[{\"type\":\"credentialPlugin\",\"supportedCredentialPluginTypes\":[{\"type\":\"Fake/v1\"}]}]}'\n",
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let target = env.target("plugins");
    let trusted = env
        .cmd("trust")
        .arg(&script)
        .arg("--plugin-dir")
        .arg(&target)
        .assert()
        .success();
    let out = String::from_utf8_lossy(&trusted.get_output().stdout).into_owned();
    for needle in [
        "credentialPlugin",
        "OCM CLI 0.13",
        "v0.0.17",
        "unsupported type: credentialPlugin",
        "separate --plugin-dir",
    ] {
        assert!(out.contains(needle), "{needle}: {out}");
        assert!(
            stderr(&trusted).contains(needle),
            "{needle}: {}",
            stderr(&trusted)
        );
    }
    assert_eq!(lock_file(&target)["plugins"][0]["file"], "creds");
}

#[test]
fn publish_to_and_install_from_an_oci_registry() {
    let Some(registry) = start_registry(RegistryAuth::None) else {
        return;
    };
    let env = Env::new();
    let repository = format!("{}/plugins", registry.url());
    env.publish(&repository, HELLO, "1.0.0", &env.hello_binaries())
        .args(["--name", "file-input"])
        .assert()
        .success();
    env.publish(&repository, HELLO, "1.1.0", &env.hello_binaries())
        .args(["--name", "file-input"])
        .assert()
        .success();
    let target = env.target("plugins");
    env.install(&target)
        .arg(format!("{repository}//{HELLO}"))
        .assert()
        .success();
    let lock = lock_file(&target);
    assert_eq!(lock["plugins"][0]["version"], "1.1.0");
    assert_eq!(
        lock["plugins"][0]["repository"],
        json!({"type": "OCIRepository/v1", "baseUrl": registry.url(), "subPath": "plugins"})
    );
    assert_eq!(sha256(&target.join("file-input")), sha256(&file_input()));
    let arm = env.target("other-platform");
    env.install(&arm)
        .arg(format!("oci::{repository}//{HELLO}:1.0.0"))
        .args(["--platform", other()])
        .assert()
        .success();
    assert_eq!(sha256(&arm.join("file-input")), sha256(&env.other_binary));
}

/// A full disk (here: a file size limit, as `ENOSPC` would stop the write) or an install killed
/// mid-download leaves nothing installed: no plugin, no lock file entry. What a killed install
/// leaves behind (its staged file, a temporary lock file) is removed by the next install, and a
/// staging file of an install still running is left alone.
#[test]
fn a_full_disk_or_a_killed_download_installs_nothing() {
    let env = Env::new();
    env.publish_hello("1.0.0").success();
    let limited = |target: &Path, ignore_xfsz: bool| {
        let mut c = std::process::Command::new("env");
        if ignore_xfsz {
            c.arg("--ignore-signal=XFSZ");
        }
        c.args(["prlimit", "--fsize=1048576"])
            .arg(cli())
            .arg("install")
            .arg(env.reference(HELLO, Some("1.0.0")))
            .arg("--with")
            .arg(env.with.path())
            .arg("--plugin-dir")
            .arg(target)
            .arg("--no-cache")
            .env_remove("OCM_PLUGIN_CREDENTIALS")
            .env("NO_COLOR", "1");
        c.output().unwrap()
    };
    let usable = std::process::Command::new("env")
        .args(["--ignore-signal=XFSZ", "prlimit", "--fsize=1048576", "true"])
        .status()
        .is_ok_and(|s| s.success());
    if !usable {
        eprintln!("SKIPPED: needs `env --ignore-signal` (coreutils 8.31+) and `prlimit`");
        return;
    }

    // Writes fail (EFBIG): a clear error, and nothing in the plugin directory.
    let full = env.target("full");
    std::fs::create_dir_all(&full).unwrap();
    let out = limited(&full, true);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("File too large"), "{stderr}");
    assert!(names(&full).is_empty(), "{:?}", names(&full));

    // Killed by the limit's signal mid-write: nothing installed, whatever is left over.
    let killed = env.target("killed");
    std::fs::create_dir_all(&killed).unwrap();
    let out = limited(&killed, false);
    assert!(!out.status.success(), "{out:?}");
    let left = names(&killed);
    assert!(
        left.iter().all(|n| n.starts_with(".ocm-plugin-install-")),
        "only staging files may remain: {left:?}"
    );

    // The next install removes the leftovers of dead installs, and only those.
    std::fs::write(killed.join(".ocm-plugin-install-999999999-dead"), "partial").unwrap();
    std::fs::write(killed.join(".ocm-plugins.lock-dead"), "{").unwrap();
    let live = format!(".ocm-plugin-install-{}-live", std::process::id());
    std::fs::write(killed.join(&live), "still downloading").unwrap();
    env.install(&killed)
        .arg(env.reference(HELLO, Some("1.0.0")))
        .assert()
        .success();
    assert_eq!(
        names(&killed),
        [live.as_str(), "file-input", "ocm-plugins.lock"],
        "leftovers of dead installs are gone, the live one stays"
    );
}

/// A plugin directory whose policy requires signatures refuses an install that does not verify
/// one with the keys it names, before anything is downloaded.
#[test]
fn a_directory_policy_requires_a_verified_signature() {
    let env = Env::new();
    let credentials = env.work.path().join("private.json");
    std::fs::write(
        &credentials,
        json!({"privateKeyPEMFile": format!("{KEYS}/signer-a.pem")}).to_string(),
    )
    .unwrap();
    env.publish(
        &env.repo().to_string_lossy(),
        HELLO,
        "1.0.0",
        &env.hello_binaries(),
    )
    .args(["--name", "file-input", "--sign"])
    .arg("--credentials-file")
    .arg(&credentials)
    .assert()
    .success();

    let target = env.target("strict");
    let set = env
        .cmd("policy")
        .arg("--plugin-dir")
        .arg(&target)
        .arg("--require-signature")
        .arg(format!("{KEYS}/signer-a.pub.pem"))
        .arg("--json")
        .assert()
        .success();
    let fingerprints = &stdout_json(&set)["policy"]["requireSignature"]["keyFingerprints"];
    assert_eq!(
        fingerprints.as_array().map(Vec::len),
        Some(1),
        "{fingerprints}"
    );

    let unverified = env
        .install(&target)
        .arg(env.reference(HELLO, Some("1.0.0")))
        .assert()
        .code(1);
    assert!(
        stderr(&unverified).contains("requires a verified signature")
            && stderr(&unverified).contains("no key was given"),
        "{}",
        stderr(&unverified)
    );
    let other_key = env
        .install(&target)
        .arg(env.reference(HELLO, Some("1.0.0")))
        .arg("--verify-with")
        .arg(format!("{KEYS}/signer-b.pub.pem"))
        .assert()
        .code(1);
    assert!(
        stderr(&other_key).contains("is not one of them"),
        "{}",
        stderr(&other_key)
    );
    assert_eq!(names(&target), ["ocm-plugins.lock"]);

    env.install(&target)
        .arg(env.reference(HELLO, Some("1.0.0")))
        .arg("--verify-with")
        .arg(format!("{KEYS}/signer-a.pub.pem"))
        .assert()
        .success();
    assert_eq!(names(&target), ["file-input", "ocm-plugins.lock"]);
    // The policy is kept with the entries, and can be cleared.
    assert!(lock_file(&target)["policy"]["requireSignature"].is_object());
    env.cmd("policy")
        .arg("--plugin-dir")
        .arg(&target)
        .arg("--clear")
        .assert()
        .success();
    assert!(lock_file(&target).get("policy").is_none());
}

/// `publish --platform` gives the platform of the binaries named without `=os/arch`.
#[test]
fn publish_takes_the_platform_of_unmarked_binaries_from_the_option() {
    let env = Env::new();
    env.publish(
        &env.repo().to_string_lossy(),
        HELLO,
        "1.0.0",
        &[
            format!("{}={}", file_input().display(), host()),
            env.other_binary.to_string_lossy().into_owned(),
        ],
    )
    .args(["--name", "file-input", "--platform", other()])
    .assert()
    .success();
    let target = env.target("other");
    env.install(&target)
        .arg(env.reference(HELLO, Some("1.0.0")))
        .args(["--platform", other()])
        .assert()
        .success();
    assert_eq!(
        lock_file(&target)["plugins"][0]["sha256"],
        sha256(&env.other_binary)
    );
}
