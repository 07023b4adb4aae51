//! The `capabilities` probe: a short run of the plugin binary on top of [`PluginProcess`].

use std::path::Path;
use std::process::ExitStatus;
use std::sync::Arc;
use std::time::Duration;

use ocm_plugin_endpoints::{CREDENTIALS_ENV, LAUNCH_TOKEN_ENV};
use ocm_plugin_types::PluginCapabilities;
use tokio::io::{AsyncRead, AsyncReadExt};

use crate::process::{PluginProcess, SpawnOptions, Spawned, Stdin};
use crate::{Error, Executable, Result};

/// Most stdout a `capabilities` answer may have; real documents are a few KiB.
const MAX_CAPABILITIES: u64 = 16 * 1024 * 1024;

/// Asks a plugin binary what it offers: runs `<path> capabilities` and parses its stdout.
///
/// The process gets no stdin and its own process group; stderr lines are forwarded to
/// `tracing` as plugin logs (Go copied them raw to its own stderr). The whole run is bounded by
/// `timeout` (Go has none, W15): when it passes, the group is killed and reaped. A non-zero
/// exit, the timeout, or stdout that is not exactly one capabilities document is
/// [`Error::Capabilities`] with the exit status and the last stderr lines.
pub async fn probe_capabilities(
    plugin_id: &str,
    path: &Path,
    timeout: Duration,
) -> Result<PluginCapabilities> {
    probe_capabilities_document(plugin_id, path, timeout)
        .await
        .map(|(capabilities, _)| capabilities)
}

/// [`probe_capabilities`], also returning the document the plugin printed, exactly as
/// printed (a capability cache keeps it and parses it again, in whatever format it was).
///
/// Cancel-safe: dropping the returned future kills the probe's process group, and the process
/// is still reaped (see `PluginProcess`).
pub async fn probe_capabilities_document(
    plugin_id: &str,
    path: &Path,
    timeout: Duration,
) -> Result<(PluginCapabilities, Vec<u8>)> {
    probe_executable(plugin_id, path, None, timeout).await
}

/// [`probe_capabilities_document`] of a binary held open: runs exactly the bytes of
/// `executable` (see [`Executable`]) when given, `path` otherwise; `path` names the plugin in
/// errors and is its `argv[0]`.
pub async fn probe_executable(
    plugin_id: &str,
    path: &Path,
    executable: Option<&Executable>,
    timeout: Duration,
) -> Result<(PluginCapabilities, Vec<u8>)> {
    let id: Arc<str> = Arc::from(plugin_id);
    let options = SpawnOptions {
        stdin: Stdin::Null,
        env: &[],
        env_remove: &[CREDENTIALS_ENV, LAUNCH_TOKEN_ENV],
        launch_token: false,
        stderr_location: false,
        executable,
    };
    let Spawned {
        process, stdout, ..
    } = PluginProcess::spawn(&id, path, ["capabilities"], options)?;
    tracing::debug!(
        plugin_id,
        pid = process.pid(),
        ?timeout,
        "running `capabilities`"
    );

    // The deadline covers reading stdout and the exit (reaped, its group killed and unlisted).
    let run = async {
        let out = read_capped(stdout).await;
        if out.is_err() {
            // It would block on a full pipe forever: stop it now rather than at the deadline.
            process.kill().await;
        }
        let exited = process.wait().await;
        (out, exited)
    };
    let outcome = tokio::time::timeout(timeout, run).await;

    let error = |reason: String, status: Option<ExitStatus>, tail: String| Error::Capabilities {
        plugin_id: plugin_id.to_owned(),
        reason,
        status,
        stderr_tail: tail,
    };
    let Ok((out, exited)) = outcome else {
        // The whole group dies (the plugin may have forked); the reaper unlists and reaps it.
        process.kill().await;
        return Err(error(
            format!("timed out after {timeout:?}; the process group was killed"),
            process.status(),
            process.tail().await,
        ));
    };
    let tail = process.tail().await;
    let status = exited.and_then(|e| e.0);

    // Unreadable or oversized output is the cause, even though we killed the process for it.
    let out = match out {
        Ok(out) => out,
        Err(reason) => return Err(error(reason, status, tail)),
    };
    let Some(status) = status else {
        return Err(Error::Io {
            plugin_id: plugin_id.to_owned(),
            context: "waiting for `capabilities`".to_owned(),
            cause: Arc::new(std::io::Error::other("the process could not be waited for")),
        });
    };
    if !status.success() {
        return Err(error("the process failed".to_owned(), Some(status), tail));
    }
    match PluginCapabilities::parse(&out) {
        Ok(capabilities) => Ok((capabilities, out)),
        Err(e) => {
            let shown: String = String::from_utf8_lossy(&out).chars().take(200).collect();
            Err(error(
                format!("{e}; stdout was {shown:?}"),
                Some(status),
                tail,
            ))
        }
    }
}

async fn read_capped<R: AsyncRead + Unpin>(stdout: Option<R>) -> Result<Vec<u8>, String> {
    let Some(stdout) = stdout else {
        return Ok(Vec::new());
    };
    let mut buf = Vec::new();
    stdout
        .take(MAX_CAPABILITIES + 1)
        .read_to_end(&mut buf)
        .await
        .map_err(|e| format!("reading stdout: {e}"))?;
    if buf.len() as u64 > MAX_CAPABILITIES {
        return Err(format!("stdout is larger than {MAX_CAPABILITIES} bytes"));
    }
    Ok(buf)
}
