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
    // A rejected plugin makes the status 3, with the whole listing printed.
    let out = Command::new(cli())
        .arg("list")
        .arg(dir.path())
        .arg("--json")
        .assert()
        .code(3);
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
        .code(3);
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
    assert_eq!(processed["blob"]["output"], out);
    // Without --output the blob (a file in the manager's temp dir) is read and removed: the
    // answer says so instead of naming a path that no longer exists.
    let discarded = call("input", "process-resource", &["--resource", &constructor]);
    assert_eq!(discarded["blob"]["size"], 6);
    assert_eq!(discarded["blob"]["discarded"], true);
    assert!(discarded["blob"].get("location").is_none(), "{discarded}");
    assert!(discarded.get("location").is_none(), "{discarded}");

    let id = call(
        "blob-transformer",
        "get-identity",
        &["--spec", r#"{"type":"TestTransformer/v1"}"#],
    );
    assert_eq!(id["identity"]["type"], "TestTransformer");
}

/// Text by default, JSON with `--json`; an empty list is no line on stdout; errors name their
/// real cause once, with no unrelated rejected plugin; no colour codes when stderr is not a
/// terminal; exit status 1 for a failed operation, 2 for bad arguments.
#[test]
fn output_and_errors_fit_scripts() {
    let dir = PluginDir::new().unwrap();
    dir.add("directory-repository", &directory_repository())
        .unwrap();
    dir.add("capabilities-fail", &test_plugin()).unwrap();
    let store = tempfile::tempdir().unwrap();
    let spec = format!(
        r#"{{"type":"DirectoryRepository/v1","path":"{}"}}"#,
        store.path().display()
    );
    let call = |op: &str, spec: &str, extra: &[&str]| {
        let mut c = Command::new(cli());
        c.arg("call")
            .arg(dir.path())
            .args(["component-version-repository", op, "--spec", spec])
            .args(extra)
            .env_remove("NO_COLOR");
        c
    };
    let stored = call(
        "add-component-version",
        &spec,
        &[
            "--descriptor",
            r#"{"component":{"name":"acme.org/t","version":"1.0.0","provider":"acme"}}"#,
        ],
    )
    .assert()
    .success();
    assert_eq!(
        String::from_utf8_lossy(&stored.get_output().stdout),
        "stored: acme.org/t:1.0.0\n"
    );
    let empty = call(
        "list-component-versions",
        &spec,
        &["--name", "acme.org/none"],
    )
    .assert()
    .success();
    assert_eq!(empty.get_output().stdout, b"");
    assert!(String::from_utf8_lossy(&empty.get_output().stderr).contains("(none)"));

    // A type nobody serves: the registry says which types are served; the unrelated rejected
    // plugin is not mentioned; the cause is printed once; logs (-v) carry no colour codes.
    let unknown = call(
        "list-component-versions",
        r#"{"type":"Nope/v1"}"#,
        &["--name", "x", "-v"],
    )
    .assert()
    .code(1);
    let stderr = String::from_utf8_lossy(&unknown.get_output().stderr).into_owned();
    assert!(
        stderr.contains(
            "error: component-version-repository (componentVersionRepository): no implementation registered for type Nope/v1; registered: DirectoryRepository/v1"
        ),
        "{stderr}"
    );
    // The verbose log mentions the rejected plugin; the error does not.
    let error: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(error.len(), 1, "{stderr}");
    assert!(!error[0].contains("no plugin serves this spec"), "{stderr}");
    assert!(!error[0].contains("capabilities-fail"), "{stderr}");
    assert_eq!(
        stderr.matches("no implementation registered").count(),
        1,
        "{stderr}"
    );
    assert!(
        !stderr.contains('\u{1b}'),
        "colour codes in redirected stderr: {stderr:?}"
    );

    // A spec that fails the plugin's schema: that is the error, not "no plugin".
    let invalid = call(
        "list-component-versions",
        r#"{"type":"DirectoryRepository/v1"}"#,
        &["--name", "x"],
    )
    .assert()
    .code(1);
    let stderr = String::from_utf8_lossy(&invalid.get_output().stderr).into_owned();
    assert!(
        stderr.contains("\"path\" is a required property"),
        "{stderr}"
    );
    assert!(!stderr.contains("no plugin serves"), "{stderr}");

    // Bad arguments: clap's usage error, status 2.
    Command::new(cli()).args(["call"]).assert().code(2);
}

/// `call --help` lists every operation of every capability and the exit statuses; completions
/// come from clap.
#[test]
fn help_lists_every_operation_and_completions_are_generated() {
    let help = Command::new(cli())
        .args(["call", "--help"])
        .assert()
        .success();
    let help = String::from_utf8_lossy(&help.get_output().stdout).into_owned();
    for line in [
        "component-version-repository",
        "get-component-version, list-component-versions, add-component-version",
        "signing-handler                sign, verify, get-signing-identity, get-verifying-identity",
        "credential-plugin              consumer-identity, resolve",
        "Exit status: 0 success; 1",
        "3 `list` only: some plugins were rejected",
        "--credentials-file <PATH>",
        "OCM_PLUGIN_CREDENTIALS",
        "process list (ps)",
    ] {
        assert!(help.contains(line), "{line:?} in {help}");
    }
    for shell in ["bash", "zsh", "fish"] {
        let script = Command::new(cli())
            .args(["completions", shell])
            .assert()
            .success();
        let script = String::from_utf8_lossy(&script.get_output().stdout).into_owned();
        assert!(
            script.contains("ocm-plugin") && script.contains("list"),
            "{shell}: {script}"
        );
    }
}

/// Without rejected plugins `list` exits 0.
#[test]
fn list_without_rejections_succeeds() {
    let dir = PluginDir::new().unwrap();
    dir.add("plain", &test_plugin()).unwrap();
    Command::new(cli())
        .arg("list")
        .arg(dir.path())
        .assert()
        .success();
}

/// `list-component-versions` of the test plugin, with no credentials in the environment; the
/// plugin answers `["credentials:<form>"]` when credentials with an `echo` key arrived.
fn call_with_credentials(dir: &std::path::Path) -> Command {
    let mut c = Command::new(cli());
    c.arg("call")
        .arg(dir)
        .args([
            "component-version-repository",
            "list-component-versions",
            "--spec",
            r#"{"type":"TestRepository/v1"}"#,
            "--name",
            "c",
            "--json",
        ])
        .env_remove("OCM_PLUGIN_CREDENTIALS");
    c
}

const ECHO: &str = r#"{"echo":"please"}"#;

#[test]
fn credentials_reach_the_plugin_from_a_file_stdin_or_the_environment() {
    let dir = PluginDir::new().unwrap();
    dir.add("plain", &test_plugin()).unwrap();
    let work = tempfile::tempdir().unwrap();
    let file = work.path().join("credentials.json");
    std::fs::write(&file, ECHO).unwrap();
    let echoed = |assert: assert_cmd::assert::Assert| {
        // The manager sends them typed or flat, as the plugin's generation wants.
        let stdout = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();
        assert!(stdout.starts_with(r#"["credentials:"#), "{stdout}");
    };

    echoed(
        call_with_credentials(dir.path())
            .arg("--credentials-file")
            .arg(&file)
            .assert()
            .success(),
    );
    echoed(
        call_with_credentials(dir.path())
            .args(["--credentials-file", "-"])
            .write_stdin(ECHO)
            .assert()
            .success(),
    );
    echoed(
        call_with_credentials(dir.path())
            .env("OCM_PLUGIN_CREDENTIALS", ECHO)
            .assert()
            .success(),
    );
    // The inline flag still works, for compatibility.
    echoed(
        call_with_credentials(dir.path())
            .args(["--credentials", ECHO])
            .assert()
            .success(),
    );
    // Without any, the plugin sees none.
    let none = call_with_credentials(dir.path()).assert().success();
    assert_eq!(
        String::from_utf8_lossy(&none.get_output().stdout).trim(),
        "[]"
    );

    // Only one source: two are a usage error (status 2).
    call_with_credentials(dir.path())
        .args(["--credentials", ECHO, "--credentials-file"])
        .arg(&file)
        .assert()
        .code(2);
    call_with_credentials(dir.path())
        .arg("--credentials-file")
        .arg(&file)
        .env("OCM_PLUGIN_CREDENTIALS", ECHO)
        .assert()
        .code(2);
}

/// Neither a failing call nor unparseable credentials print a credential or config value,
/// with every log on.
#[test]
fn secrets_never_reach_the_output() {
    const SECRET: &str = "s3cr3t-MARKER-7f1c2a";
    const CONFIG_SECRET: &str = "cfg-MARKER-93be41";
    let dir = PluginDir::new().unwrap();
    dir.add("plain", &test_plugin()).unwrap();
    let work = tempfile::tempdir().unwrap();
    let config = work.path().join("config.json");
    std::fs::write(
        &config,
        format!(
            r#"{{"type":"generic.config.ocm.software/v1","configurations":[{{"type":"TestRepositoryConfig/v1","token":"{CONFIG_SECRET}"}}]}}"#
        ),
    )
    .unwrap();
    let clean = |assert: &assert_cmd::assert::Assert| {
        let out = assert.get_output();
        let (stdout, stderr) = (
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
        );
        for marker in [SECRET, CONFIG_SECRET] {
            assert!(
                !stdout.contains(marker) && !stderr.contains(marker),
                "{marker} leaked:\n{stdout}\n{stderr}"
            );
        }
        stderr.into_owned()
    };
    let verbose = |c: &mut Command| {
        c.args(["-vv", "--config"])
            .arg(&config)
            .env("OCM_PLUGIN_LOG", "trace")
            .env("RUST_LOG", "trace");
    };

    // The plugin refuses user `forbidden`: a failed call, credentials from every source.
    let refused = format!(r#"{{"username":"forbidden","password":"{SECRET}"}}"#);
    let file = work.path().join("credentials.json");
    std::fs::write(&file, &refused).unwrap();
    let mut by_file = call_with_credentials(dir.path());
    by_file.arg("--credentials-file").arg(&file);
    let mut by_env = call_with_credentials(dir.path());
    by_env.env("OCM_PLUGIN_CREDENTIALS", &refused);
    let mut by_flag = call_with_credentials(dir.path());
    by_flag.args(["--credentials", &refused]);
    for mut c in [by_file, by_env, by_flag] {
        verbose(&mut c);
        let stderr = clean(&c.assert().code(1));
        assert!(stderr.contains("user forbidden may not list"), "{stderr}");
    }

    // Credentials that do not parse: serde would quote the offending value.
    for bad in [
        format!(r#""{SECRET}""#),
        format!(r#"{{"password":"{SECRET}""#),
        format!(r#"{{"password":"{SECRET}"}}}}"#),
        format!(r#"[1,"{SECRET}"]"#),
    ] {
        std::fs::write(&file, &bad).unwrap();
        let mut c = call_with_credentials(dir.path());
        c.arg("--credentials-file").arg(&file);
        verbose(&mut c);
        let stderr = clean(&c.assert().code(1));
        assert!(stderr.contains("--credentials-file: "), "{stderr}");
        let mut c = call_with_credentials(dir.path());
        c.env("OCM_PLUGIN_CREDENTIALS", &bad);
        verbose(&mut c);
        let stderr = clean(&c.assert().code(1));
        assert!(stderr.contains("OCM_PLUGIN_CREDENTIALS: "), "{stderr}");
    }
}

/// A plugin's own file skips the rest of the directory, so a plugin whose `capabilities` hangs
/// cannot delay it; the directory form is bounded by --probe-timeout. --tcp works end to end
/// (our SDK's launch token included).
#[test]
fn calls_are_not_held_up_by_other_plugins_and_tcp_works() {
    let dir = PluginDir::new().unwrap();
    let repo = dir
        .add("directory-repository", &directory_repository())
        .unwrap();
    dir.add("capabilities-hang", &crate::test_plugin()).unwrap();
    let store = tempfile::tempdir().unwrap();
    let spec = format!(
        r#"{{"type":"DirectoryRepository/v1","path":"{}"}}"#,
        store.path().display()
    );
    let list = |target: &std::path::Path, extra: &[&str]| {
        let started = std::time::Instant::now();
        let out = Command::new(cli())
            .arg("call")
            .arg(target)
            .args([
                "component-version-repository",
                "list-component-versions",
                "--spec",
                &spec,
                "--name",
                "acme.org/none",
                "--json",
            ])
            .args(extra)
            .output()
            .unwrap();
        (out, started.elapsed())
    };
    let (out, took) = list(&repo, &[]);
    assert!(out.status.success(), "{out:?}");
    assert!(took < std::time::Duration::from_secs(5), "{took:?}");
    let (out, took) = list(dir.path(), &["--probe-timeout", "0.5"]);
    assert!(out.status.success(), "{out:?}");
    assert!(took < std::time::Duration::from_secs(5), "{took:?}");
    let (out, _) = list(&repo, &["--tcp"]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "[]");
}

/// SIGINT or SIGTERM in any phase of a command (a probe that hangs, a start that never
/// completes, a call that never answers) ends it within a second, leaving no plugin process
/// and no temporary file, even when the signal was ignored by whoever started it.
#[test]
fn a_signal_ends_the_command_in_every_phase() {
    use std::process::Stdio;
    use std::time::{Duration, Instant};

    // (plugin file name, the log line that says the phase was reached)
    let phases = [
        ("repo-capabilities-hang", "running `capabilities`"),
        (
            "repo-no-location",
            "plugin process spawned; waiting for its location",
        ),
        ("repo-hang-on-get", "plugin started"),
    ];
    for (plugin, marker) in phases {
        for (signal, status) in [
            (rustix::process::Signal::INT, 130),
            (rustix::process::Signal::TERM, 143),
        ] {
            let dir = PluginDir::new().unwrap();
            dir.add(plugin, &test_plugin()).unwrap();
            let tmp = tempfile::tempdir().unwrap();
            // Started with SIGINT ignored, as a background job of a script is (where `env`
            // can do that).
            let mut command = if crate::host_death::default_signals_available() {
                let mut env = std::process::Command::new("env");
                env.arg("--ignore-signal=INT").arg(cli());
                env
            } else {
                std::process::Command::new(cli())
            };
            let mut child = command
                .arg("call")
                .arg(dir.path())
                .args(["component-version-repository", "get-component-version"])
                .args([
                    "--spec",
                    r#"{"type":"TestRepository/v1","baseUrl":"https://example.org"}"#,
                ])
                .args(["--name", "c", "--version", "1", "--no-cache"])
                .args([
                    "--probe-timeout",
                    "60",
                    "--start-timeout",
                    "60",
                    "--call-timeout",
                    "60",
                ])
                .env("OCM_PLUGIN_LOG", "debug")
                .env("TMPDIR", tmp.path())
                .env_remove("OCM_PLUGIN_CREDENTIALS")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            let mut log = Log::of(&mut child);
            let pid = log.pid_at(marker);
            let plugin_exit = crate::host_death::pidfd(pid);

            let sent = Instant::now();
            let cli_pid = rustix::process::Pid::from_raw(child.id() as i32).unwrap();
            rustix::process::kill_process(cli_pid, signal).unwrap();
            let (done_tx, done_rx) = std::sync::mpsc::channel();
            std::thread::spawn(move || {
                let _ = done_tx.send(child.wait());
            });
            let exit = done_rx
                .recv_timeout(Duration::from_secs(5))
                .unwrap_or_else(|_| panic!("{plugin}: still running 5 s after {signal:?}"))
                .unwrap();
            let took = sent.elapsed();
            assert!(
                took < Duration::from_secs(1),
                "{plugin} {signal:?}: took {took:?}"
            );
            assert_eq!(exit.code(), Some(status), "{plugin} {signal:?}");

            // The plugin was killed before the command ended (its exit may take the kernel a
            // moment), and every temporary file is gone.
            assert!(
                crate::host_death::exited_by(&plugin_exit, Instant::now() + Duration::from_secs(2)),
                "{plugin} {signal:?}: plugin {pid} still runs\n{}",
                log.all()
            );
            let left: Vec<_> = std::fs::read_dir(tmp.path())
                .unwrap()
                .map(|e| e.unwrap().path())
                .collect();
            assert!(left.is_empty(), "{plugin} {signal:?}: left behind {left:?}");
        }
    }
}

/// A probe that hangs dies with its host, however the host dies: by every signal of the
/// host-death test, SIGKILL (which no handler sees) included. Probes are listed with the host's
/// watchdog like served plugins, and the CLI's own SIGINT/SIGTERM handling kills them as well.
#[test]
fn a_hanging_probe_dies_with_its_host_by_any_signal() {
    use crate::host_death::{
        HOST_DEATH_SIGNALS, default_signals_available, exited_by, ignored_here, pidfd,
    };
    use std::process::Stdio;
    use std::time::{Duration, Instant};

    let dir = PluginDir::new().unwrap();
    dir.add("repo-capabilities-hang", &test_plugin()).unwrap();
    for signal in HOST_DEATH_SIGNALS {
        if ignored_here(signal) && !default_signals_available() {
            eprintln!(
                "SKIPPED {signal:?}: ignored by the test's parent and `env --default-signal` is unavailable"
            );
            continue;
        }
        // Every signal at its default in the host, whatever the test's parent ignores.
        let mut command = if default_signals_available() {
            let mut c = std::process::Command::new("env");
            c.arg("--default-signal").arg(cli());
            c
        } else {
            std::process::Command::new(cli())
        };
        let mut child = command
            .arg("list")
            .arg(dir.path())
            .args(["--no-cache", "--probe-timeout", "600"])
            .env("OCM_PLUGIN_LOG", "debug")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let pid = Log::of(&mut child).pid_at("running `capabilities`");
        let probe = pidfd(pid);
        let host = rustix::process::Pid::from_raw(i32::try_from(child.id()).unwrap()).unwrap();
        rustix::process::kill_process(host, signal).unwrap();
        let status = child.wait().unwrap();
        assert!(!status.success(), "{signal:?}: the host did not die");
        assert!(
            exited_by(&probe, Instant::now() + Duration::from_secs(5)),
            "{signal:?}: the probe {pid} outlived its host"
        );
    }
}

/// A command's stderr, read line by line on a thread so that a wait for a line has a deadline.
struct Log {
    lines: std::sync::mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Log {
    fn of(child: &mut std::process::Child) -> Self {
        use std::io::{BufRead as _, BufReader};
        let stderr = child.stderr.take().expect("stderr is piped");
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Self {
            lines,
            seen: Vec::new(),
        }
    }

    /// Waits (30 s at most) for a line containing `marker` and answers the `pid=` it names.
    fn pid_at(&mut self, marker: &str) -> u32 {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            let Ok(line) = self.lines.recv_timeout(left) else {
                panic!("never logged {marker:?}:\n{}", self.seen.join("\n"));
            };
            let pid = line
                .contains(marker)
                .then(|| line.split("pid=").nth(1))
                .flatten()
                .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
                .and_then(|n| n.parse().ok());
            self.seen.push(line);
            if let Some(pid) = pid {
                return pid;
            }
        }
    }

    /// Everything logged so far.
    fn all(&mut self) -> String {
        self.seen.extend(self.lines.try_iter());
        self.seen.join("\n")
    }
}
