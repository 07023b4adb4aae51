//! `probe_capabilities` against shell scripts.

use std::time::{Duration, Instant};

use ocm_plugin_runtime::{Error, probe_capabilities, process_group_alive};
use ocm_plugin_types::CapabilityKind;

use crate::util::{read_pid, reaped, wait_gone, write_script};

const DOC: &str = r#"{"types":{"componentVersionRepository":[{"type":"DummyRepository/v1","jsonSchema":"e30="}]},"configTypes":["custom.config/v1"]}"#;
const TIMEOUT: Duration = Duration::from_secs(20);

#[tokio::test]
async fn good_capabilities() {
    let dir = tempfile::tempdir().unwrap();
    let script = format!(
        "#!/bin/sh\n[ \"$1\" = capabilities ] || exit 9\necho '{{\"level\":\"INFO\",\"msg\":\"capabilities sent\"}}' >&2\necho '{DOC}'\n"
    );
    let path = write_script(dir.path(), "good", &script);
    let caps = probe_capabilities("good", &path, TIMEOUT).await.unwrap();
    assert_eq!(caps.capabilities.len(), 1);
    assert_eq!(
        caps.capabilities[0].kind,
        CapabilityKind::ComponentVersionRepository
    );
    assert_eq!(
        caps.capabilities[0].types[0].typ.to_string(),
        "DummyRepository/v1"
    );
    assert_eq!(caps.config_types[0].to_string(), "custom.config/v1");
}

#[tokio::test]
async fn garbage_stdout() {
    let dir = tempfile::tempdir().unwrap();
    for (name, stdout) in [
        ("banner", format!("echo 'plugin v1.0'\necho '{DOC}'")),
        ("twice", format!("echo '{DOC}'\necho '{DOC}'")),
        ("hello", "echo hello".to_owned()),
        ("nothing", "true".to_owned()),
    ] {
        let path = write_script(dir.path(), name, &format!("#!/bin/sh\n{stdout}\n"));
        let e = probe_capabilities(name, &path, TIMEOUT).await.unwrap_err();
        assert!(matches!(e, Error::Capabilities { .. }), "{name}: {e:?}");
        let text = e.to_string();
        assert!(
            text.starts_with(&format!("plugin {name}: capabilities probe failed: ")),
            "{text}"
        );
        assert!(text.contains("exit status: 0"), "{text}");
    }
}

#[tokio::test]
async fn non_zero_exit() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_script(
        dir.path(),
        "failing",
        &format!(
            "#!/bin/sh\necho '{DOC}'\necho 'line one' >&2\necho 'oops: no config' >&2\nexit 2\n"
        ),
    );
    let e = probe_capabilities("failing", &path, TIMEOUT)
        .await
        .unwrap_err();
    let Error::Capabilities {
        status,
        stderr_tail,
        ..
    } = &e
    else {
        panic!("{e:?}")
    };
    assert_eq!(status.and_then(|s| s.code()), Some(2));
    assert_eq!(stderr_tail, "line one\noops: no config");
    let text = e.to_string();
    assert!(
        text.contains("exit status: 2") && text.contains("oops: no config"),
        "{text}"
    );
}

#[tokio::test]
async fn hang_is_killed_with_its_group() {
    let dir = tempfile::tempdir().unwrap();
    let pid_file = dir.path().join("pid");
    let child_file = dir.path().join("child");
    // A background child in the same group, and the plugin itself hanging.
    let path = write_script(
        dir.path(),
        "hang",
        &format!(
            "#!/bin/sh\nsleep 30 &\necho $! > '{}'\necho $$ > '{}'\necho 'about to hang' >&2\nexec sleep 30\n",
            child_file.display(),
            pid_file.display()
        ),
    );
    let started = Instant::now();
    let e = probe_capabilities("hang", &path, Duration::from_millis(300))
        .await
        .unwrap_err();
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_millis(300), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(10), "{elapsed:?}");
    let text = e.to_string();
    assert!(matches!(e, Error::Capabilities { .. }), "{e:?}");
    assert!(text.contains("timed out"), "{text}");
    assert!(text.contains("about to hang"), "{text}");
    let pid = read_pid(&pid_file);
    // The plugin was killed and reaped by us; its background child was killed with the group.
    assert!(reaped(pid), "plugin {pid} survived");
    assert!(wait_gone(read_pid(&child_file)).await, "its child survived");
}

#[tokio::test]
async fn missing_or_unexecutable_binary() {
    let dir = tempfile::tempdir().unwrap();
    let e = probe_capabilities("nope", &dir.path().join("nope"), TIMEOUT)
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Spawn { .. }), "{e:?}");
    std::fs::write(dir.path().join("data"), "not a program").unwrap();
    let e = probe_capabilities("data", &dir.path().join("data"), TIMEOUT)
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Spawn { .. }), "{e:?}");
    assert!(e.to_string().contains("failed to start plugin data"), "{e}");
}

/// Dropping a probe's future mid-run (a cancelled registration, an aborted task) leaves no
/// process behind: the group is killed at once and the reaper still reaps the plugin.
#[tokio::test]
async fn a_dropped_probe_leaves_no_process() {
    let logs = crate::util::log_capture();
    let dir = tempfile::tempdir().unwrap();
    let path = write_script(
        dir.path(),
        "dropped-probe",
        "#!/bin/sh\necho 'hanging' >&2\nexec sleep 30\n",
    );
    let probe = tokio::spawn(async move {
        probe_capabilities("dropped-probe", &path, Duration::from_secs(60)).await
    });
    let deadline = Duration::from_secs(10);
    let plugin = "plugin_id=\"dropped-probe\"";
    let spawned = logs
        .wait_for_line(&[plugin, "plugin process spawned"], deadline)
        .await
        .expect("the probe never spawned its process");
    let pid: u32 = spawned
        .split_whitespace()
        .find_map(|field| field.strip_prefix("pid="))
        .unwrap()
        .parse()
        .unwrap();
    assert!(process_group_alive(pid));

    // The probe hangs until its 60 s deadline; drop it instead.
    probe.abort();
    assert!(probe.await.unwrap_err().is_cancelled());
    let pid_field = format!("pid={pid} ");
    logs.wait_for_line(&[plugin, "plugin process exited", &pid_field], deadline)
        .await
        .expect("the dropped probe's process was not reaped");
    assert!(reaped(pid), "{pid} is still there");
    assert!(!process_group_alive(pid), "the group of {pid} survived");
}
