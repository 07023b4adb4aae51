//! The `ocm-plugin` command line, as a script would use it.

use assert_cmd::Command;
use ocm_plugin_test_support::PluginDir;

use crate::{cli, directory_repository, test_plugin};

#[test]
fn list_shows_every_candidate_and_why() {
    let dir = PluginDir::new().unwrap();
    dir.add("directory-repository", &directory_repository())
        .unwrap();
    dir.add("capabilities-fail", &test_plugin()).unwrap();
    dir.write("notes.txt", "x", 0o644).unwrap();
    let out = Command::new(cli())
        .arg("list")
        .arg(dir.path())
        .arg("--json")
        .assert()
        .success();
    let items: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let by_id = |id: &str| {
        items
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["id"] == id)
            .unwrap()
            .clone()
    };
    let repo = by_id("directory-repository");
    assert_eq!(repo["status"], "registered");
    assert_eq!(
        repo["capabilities"][0]["capability"],
        "componentVersionRepository"
    );
    assert_eq!(
        repo["capabilities"][0]["types"][0],
        "DirectoryRepository/v1"
    );
    assert_eq!(repo["configTypes"][0], "directory.config.ocm.software/v1");
    assert_eq!(by_id("capabilities-fail")["status"], "rejected");
    assert_eq!(by_id("notes.txt")["status"], "skipped");

    let text = Command::new(cli())
        .arg("list")
        .arg(dir.path())
        .assert()
        .success();
    let text = String::from_utf8_lossy(&text.get_output().stdout).into_owned();
    assert!(
        text.contains("registered: componentVersionRepository [DirectoryRepository/v1]"),
        "{text}"
    );
}

#[test]
fn call_runs_repository_operations() {
    let dir = PluginDir::new().unwrap();
    dir.add("directory-repository", &directory_repository())
        .unwrap();
    let store = tempfile::tempdir().unwrap();
    let spec = format!(
        r#"{{"type":"DirectoryRepository/v1","path":"{}"}}"#,
        store.path().display()
    );
    let call = |op: &str, extra: &[&str]| {
        let mut c = Command::new(cli());
        c.arg("call")
            .arg(dir.path())
            .args([
                "component-version-repository",
                op,
                "--spec",
                &spec,
                "--json",
            ])
            .args(extra);
        c
    };
    call(
        "add-component-version",
        &[
            "--descriptor",
            r#"{"component":{"name":"acme.org/c","version":"2.0.0","provider":"acme"}}"#,
        ],
    )
    .assert()
    .success();
    let blob = store.path().join("blob.txt");
    std::fs::write(&blob, "hello blob").unwrap();
    let added = call(
        "add-local-resource",
        &[
            "--name",
            "acme.org/c",
            "--version",
            "2.0.0",
            "--resource",
            r#"{"name":"r","version":"1","type":"plain","relation":"local"}"#,
            "--resource-file",
            blob.to_str().unwrap(),
        ],
    )
    .assert()
    .success();
    let added: serde_json::Value = serde_json::from_slice(&added.get_output().stdout).unwrap();
    assert_eq!(added["digest"]["hashAlgorithm"], "SHA-256");

    let listed = call("list-component-versions", &["--name", "acme.org/c"])
        .assert()
        .success();
    assert_eq!(
        String::from_utf8_lossy(&listed.get_output().stdout).trim(),
        r#"["2.0.0"]"#
    );

    let out = store.path().join("out.txt");
    call(
        "get-local-resource",
        &[
            "--name",
            "acme.org/c",
            "--version",
            "2.0.0",
            "--identity",
            r#"{"name":"r","version":"1"}"#,
            "--output",
            out.to_str().unwrap(),
        ],
    )
    .assert()
    .success();
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "hello blob");

    let got = call(
        "get-component-version",
        &["--name", "acme.org/c", "--version", "2.0.0"],
    )
    .assert()
    .success();
    let got: serde_json::Value = serde_json::from_slice(&got.get_output().stdout).unwrap();
    assert_eq!(got["component"]["resources"][0]["name"], "r");

    let id = call("get-identity", &[]).assert().success();
    let id: serde_json::Value = serde_json::from_slice(&id.get_output().stdout).unwrap();
    assert_eq!(id["identity"]["type"], "DirectoryRepository");

    let bad = call("frobnicate", &[]).assert().failure();
    assert!(
        String::from_utf8_lossy(&bad.get_output().stderr)
            .contains("unknown operation \"frobnicate\"")
    );
    let missing = call(
        "get-component-version",
        &["--name", "acme.org/c", "--version", "9"],
    )
    .assert()
    .failure();
    assert!(String::from_utf8_lossy(&missing.get_output().stderr).contains("not found"));
}

#[test]
fn call_reaches_every_capability() {
    let dir = PluginDir::new().unwrap();
    dir.add("multi-cli", &test_plugin()).unwrap();
    let work = tempfile::tempdir().unwrap();
    let input = work.path().join("in.bin");
    std::fs::write(&input, b"abcdef").unwrap();
    let input = input.to_str().unwrap();
    let out = work.path().join("out.bin");
    let out = out.to_str().unwrap();
    let call = |capability: &str, op: &str, args: &[&str]| {
        let assert = Command::new(cli())
            .arg("call")
            .arg(dir.path())
            .args([capability, op, "--json"])
            .args(args)
            .assert()
            .success();
        serde_json::from_slice::<serde_json::Value>(&assert.get_output().stdout).unwrap()
    };

    call(
        "blob-transformer",
        "transform-blob",
        &[
            "--spec",
            r#"{"type":"TestTransformer/v1"}"#,
            "--resource-file",
            input,
            "--output",
            out,
        ],
    );
    assert_eq!(std::fs::read(out).unwrap(), b"fedcba");

    let resolved = call(
        "credential-repository",
        "resolve",
        &[
            "--spec",
            r#"{"type":"TestCredentials/v1"}"#,
            "--identity",
            r#"{"type":"TestIdentity","hostname":"h.example"}"#,
        ],
    );
    assert_eq!(resolved["password"], "pw-for-h.example");

    let access = format!(
        r#"{{"name":"r","version":"1","type":"blob","relation":"local","access":{{"type":"TestAccess/v1","path":"{input}"}}}}"#
    );
    let digested = call(
        "digest-processor",
        "process-resource-digest",
        &["--resource", &access],
    );
    assert_eq!(digested["resource"]["digest"]["hashAlgorithm"], "SHA-256");

    std::fs::remove_file(out).unwrap();
    call(
        "resource-repository",
        "get-global-resource",
        &["--resource", &access, "--output", out],
    );
    assert_eq!(std::fs::read(out).unwrap(), b"abcdef");

    std::fs::remove_file(out).unwrap();
    let constructor = format!(
        r#"{{"name":"r","version":"1","type":"blob","input":{{"type":"TestInput/v1","path":"{input}"}}}}"#
    );
    let processed = call(
        "input",
        "process-resource",
        &["--resource", &constructor, "--output", out],
    );
    assert_eq!(processed["resource"]["name"], "r");
    assert_eq!(std::fs::read(out).unwrap(), b"abcdef");

    let id = call(
        "blob-transformer",
        "get-identity",
        &["--spec", r#"{"type":"TestTransformer/v1"}"#],
    );
    assert_eq!(id["identity"]["type"], "TestTransformer");
}
