use std::path::Path;
use std::process::{ExitStatus, Stdio};
use std::sync::Arc;
use std::time::Duration;

use ocm_plugin_types::PluginCapabilities;
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::process::Command;
use tokio::sync::watch;

use crate::host_tie::wait_for_exit_unreaped;
use crate::logs::{StderrTail, drain_stderr};
use crate::process_group::{KILL, signal_group};
use crate::{Error, Result};

/// Most stdout a `capabilities` answer may have; real documents are a few KiB.
const MAX_CAPABILITIES: u64 = 16 * 1024 * 1024;
/// After the process is gone, how long stderr may stay open (held by a stray descendant)
/// before the error is reported with what was read so far. A deadline, never slept.
pub(crate) const STDERR_EOF_GRACE: Duration = Duration::from_millis(500);

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
pub async fn probe_capabilities_document(
    plugin_id: &str,
    path: &Path,
    timeout: Duration,
) -> Result<(PluginCapabilities, Vec<u8>)> {
    let mut child = Command::new(path)
        .arg("capabilities")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true)
        .spawn()
        .map_err(|cause| Error::Spawn {
            plugin_id: plugin_id.to_owned(),
            path: path.to_owned(),
            cause,
        })?;
    let pid = child.id();
    // Listed with the watchdog like a served plugin, so a probe dies with its host too.
    let mut listed = Listed::new(pid);
    tracing::debug!(plugin_id, pid, ?timeout, "running `capabilities`");
    let tail = Arc::new(StderrTail::default());
    let (done_tx, mut stderr_done) = watch::channel(false);
    if let Some(stderr) = child.stderr.take() {
        tokio::spawn(drain_stderr(
            Arc::from(plugin_id),
            stderr,
            Arc::clone(&tail),
            None,
            done_tx,
        ));
    }
    let stdout = child.stdout.take();

    let run = async {
        let out = read_capped(stdout).await;
        if out.is_err() {
            // It would block on a full pipe forever: stop it now rather than at the deadline.
            if let Some(pid) = pid {
                let _ = signal_group(pid, KILL);
            }
        }
        // The group is killed (whatever the probe left running) and unlisted while the leader
        // is an unreaped zombie that keeps the group id reserved; then it is reaped.
        if let Some(pid) = pid {
            wait_for_exit_unreaped(pid).await;
        }
        listed.release();
        let status = child.wait().await;
        (out, status)
    };
    let outcome = tokio::time::timeout(timeout, run).await;

    let error =
        |reason: String, status: Option<ExitStatus>, tail: &StderrTail| Error::Capabilities {
            plugin_id: plugin_id.to_owned(),
            reason,
            status,
            stderr_tail: tail.render(),
        };
    let (out, status) = match outcome {
        Ok(done) => done,
        Err(_elapsed) => {
            // Kill the whole group (the plugin may have forked) and unlist it, then reap.
            listed.release();
            let _ = child.start_kill();
            let status = child.wait().await.ok();
            let _ = tokio::time::timeout(STDERR_EOF_GRACE, stderr_done.wait_for(|d| *d)).await;
            return Err(error(
                format!("timed out after {timeout:?}; the process group was killed"),
                status,
                &tail,
            ));
        }
    };
    let _ = tokio::time::timeout(STDERR_EOF_GRACE, stderr_done.wait_for(|d| *d)).await;

    // Unreadable or oversized output is the cause, even though we killed the process for it.
    let out = match out {
        Ok(out) => out,
        Err(reason) => return Err(error(reason, status.ok(), &tail)),
    };
    let status = status.map_err(|cause| Error::Io {
        plugin_id: plugin_id.to_owned(),
        context: "waiting for `capabilities`".to_owned(),
        cause,
    })?;
    if !status.success() {
        return Err(error("the process failed".to_owned(), Some(status), &tail));
    }
    match PluginCapabilities::parse(&out) {
        Ok(capabilities) => Ok((capabilities, out)),
        Err(e) => {
            let shown: String = String::from_utf8_lossy(&out).chars().take(200).collect();
            Err(error(
                format!("{e}; stdout was {shown:?}"),
                Some(status),
                &tail,
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

/// A probe's process group while it is listed with the watchdog. Released (group killed and
/// unlisted) before the leader is reaped, or on drop when the probe is abandoned (its task
/// aborted, the host shutting down): a listed group must never outlive its reserved id.
struct Listed(Option<u32>);

impl Listed {
    fn new(pid: Option<u32>) -> Self {
        if let Some(pid) = pid {
            crate::watchdog::watch(pid);
        }
        Self(pid)
    }

    fn release(&mut self) {
        if let Some(pid) = self.0.take() {
            let _ = signal_group(pid, KILL);
            crate::watchdog::unwatch(pid);
        }
    }
}

impl Drop for Listed {
    fn drop(&mut self) {
        self.release();
    }
}
