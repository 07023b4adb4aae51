//! One spawned plugin process, however it is run (`capabilities` probe or served plugin).
//!
//! Everything that keeps a plugin process from outliving its purpose lives here, once: the
//! process group, the watchdog listing, the lifeline, the stderr drain, the reaper with its
//! kill-then-reap order, the kill on drop and the bounded waits for an exit. The probe and the
//! supervisor differ only in what they do with stdout.

use std::ffi::{OsStr, OsString};
use std::path::Path;
use std::process::{ExitStatus, Stdio};
use std::sync::Arc;
use std::time::Duration;

use tokio::process::{ChildStdout, Command};
use tokio::sync::watch;

use crate::host_tie::{Lifeline, launch_token, tie_to_host, wait_for_exit_unreaped};
use crate::logs::{StderrTail, drain_stderr};
use crate::process_group::{KILL, TERM, signal_group};
use crate::{Endpoint, Error, Executable, Result};
use ocm_plugin_endpoints::LAUNCH_TOKEN_ENV;

/// How long to wait for the exit after SIGKILL before giving up (a process stuck in
/// uninterruptible sleep). The reaper still reaps it whenever it exits.
pub(crate) const KILL_DEADLINE: Duration = Duration::from_secs(5);

/// After the process is gone, how long stderr may stay open (held by a stray descendant)
/// before an error is reported with what was read so far. A deadline, never slept.
pub(crate) const STDERR_EOF_GRACE: Duration = Duration::from_millis(500);

/// How a process ended: `None` if waiting for it failed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Exited(pub(crate) Option<ExitStatus>);

/// The reaper's report: `Some` once the process was reaped.
pub(crate) type ExitWatch = watch::Receiver<Option<Exited>>;

/// What the child's stdin is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stdin {
    /// The read end of a lifeline pipe: an SDK plugin shuts down when the host is gone
    /// (see [`crate::host_tie`]). For long-lived (served) plugins.
    Lifeline,
    /// Nothing: a short run such as `capabilities` needs no lifeline.
    Null,
}

/// How to spawn one plugin process beyond its path and arguments.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SpawnOptions<'a> {
    pub(crate) stdin: Stdin,
    /// Set in the child's environment (the rest is inherited).
    pub(crate) env: &'a [(OsString, OsString)],
    /// Removed from the inherited environment before `env` is applied: secrets of the host
    /// are not the plugin's business.
    pub(crate) env_remove: &'a [&'a str],
    /// Give the child a fresh per-launch secret in [`LAUNCH_TOKEN_ENV`] (TCP plugins refuse
    /// requests without it; it travels in the environment, never in argv).
    pub(crate) launch_token: bool,
    /// Watch stderr for a location line (the Go manager reads it there once stdout closed).
    pub(crate) stderr_location: bool,
    /// Run this open file (the bytes that were verified) instead of whatever `path` names
    /// now; `path` stays the process's `argv[0]`.
    pub(crate) executable: Option<&'a Executable>,
}

/// A freshly spawned process and what its caller consumes.
pub(crate) struct Spawned {
    pub(crate) process: PluginProcess,
    /// The child's stdout, for the caller to drain (it must, or a chatty child blocks).
    pub(crate) stdout: Option<ChildStdout>,
    /// The secret in [`LAUNCH_TOKEN_ENV`], when one was asked for.
    pub(crate) launch_token: Option<String>,
    /// The first location line on stderr, when [`SpawnOptions::stderr_location`] was set.
    pub(crate) stderr_location: Option<watch::Receiver<Option<Endpoint>>>,
}

/// A spawned plugin process, leader of its own process group and listed with the watchdog.
///
/// The child itself is owned by a reaper task, so an exit is seen at once and the process never
/// lingers as a zombie. The reaper is the only place that ends a process's life: once the leader
/// has exited (unreaped, so its pid and group id stay reserved) it kills what is left in the
/// group, unlists the group from the watchdog, and only then reaps. Dropping the handle kills the
/// group; the reaper still reaps.
pub(crate) struct PluginProcess {
    plugin_id: Arc<str>,
    pid: u32,
    exit: ExitWatch,
    tail: Arc<StderrTail>,
    stderr_done: watch::Receiver<bool>,
    /// Closed when this handle is dropped: an SDK plugin then shuts itself down.
    _lifeline: Option<Lifeline>,
}

impl Drop for PluginProcess {
    fn drop(&mut self) {
        // A process nobody tracks any more must not outlive its handle (a cancelled probe or
        // start, a forgotten plugin).
        if !self.exited() {
            let _ = signal_group(self.pid, KILL);
        }
    }
}

impl std::fmt::Debug for PluginProcess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PluginProcess")
            .field("plugin_id", &self.plugin_id)
            .field("pid", &self.pid)
            .field("exited", &self.exited())
            .finish_non_exhaustive()
    }
}

impl PluginProcess {
    /// Spawns `<path> <args>` in its own process group, lists the group with the watchdog and
    /// starts draining stderr (logs, tail) and reaping.
    pub(crate) fn spawn<I, S>(
        plugin_id: &Arc<str>,
        path: &Path,
        args: I,
        options: SpawnOptions<'_>,
    ) -> Result<Spawned>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let spawn_error = |cause: std::io::Error| Error::Spawn {
            plugin_id: plugin_id.to_string(),
            path: path.to_owned(),
            cause: Arc::new(cause),
        };
        let mut command = match options.executable {
            Some(executable) => {
                let mut command = Command::new(executable.program().map_err(spawn_error)?);
                command.arg0(path);
                command
            }
            None => Command::new(path),
        };
        command.args(args);
        for name in options.env_remove {
            command.env_remove(name);
        }
        command
            .envs(options.env.iter().map(|(k, v)| (k, v)))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .kill_on_drop(true);
        let lifeline = match options.stdin {
            Stdin::Lifeline => Some(tie_to_host(&mut command).map_err(spawn_error)?),
            Stdin::Null => {
                command.stdin(Stdio::null());
                None
            }
        };
        let launch_token = if options.launch_token {
            let token = launch_token().map_err(spawn_error)?;
            command.env(LAUNCH_TOKEN_ENV, &token);
            Some(token)
        } else {
            None
        };
        let mut child = command.spawn().map_err(spawn_error)?;
        drop(command);
        let Some(pid) = child.id() else {
            return Err(spawn_error(std::io::Error::other(
                "the process vanished right after spawn",
            )));
        };
        // Killed with its group if this host dies before it ends the process.
        crate::watchdog::watch(pid);
        tracing::debug!(plugin_id = &**plugin_id, pid, path = %path.display(), "plugin process spawned");

        let tail = Arc::new(StderrTail::default());
        let (done_tx, stderr_done) = watch::channel(false);
        let mut stderr_location = None;
        if let Some(stderr) = child.stderr.take() {
            let location_tx = options.stderr_location.then(|| {
                let (tx, rx) = watch::channel(None);
                stderr_location = Some(rx);
                tx
            });
            tokio::spawn(drain_stderr(
                Arc::clone(plugin_id),
                stderr,
                Arc::clone(&tail),
                location_tx,
                done_tx,
            ));
        }
        let stdout = child.stdout.take();

        let (exit_tx, exit) = watch::channel(None);
        let id = Arc::clone(plugin_id);
        tokio::spawn(async move {
            // Kill what the plugin left in its group while the leader is an unreaped zombie:
            // until it is reaped its pid, and so the group id, cannot be reused by an unrelated
            // process group.
            wait_for_exit_unreaped(pid).await;
            let _ = signal_group(pid, KILL);
            // Unlisted while the id is still reserved by the zombie.
            crate::watchdog::unwatch(pid);
            let status = child.wait().await.ok();
            match status {
                Some(status) => {
                    tracing::debug!(plugin_id = &*id, pid, %status, "plugin process exited")
                }
                None => tracing::warn!(
                    plugin_id = &*id,
                    pid,
                    "waiting for the plugin process failed"
                ),
            }
            exit_tx.send_replace(Some(Exited(status)));
        });

        Ok(Spawned {
            process: Self {
                plugin_id: Arc::clone(plugin_id),
                pid,
                exit,
                tail,
                stderr_done,
                _lifeline: lifeline,
            },
            stdout,
            launch_token,
            stderr_location,
        })
    }

    /// Display id of the plugin.
    pub(crate) fn plugin_id(&self) -> &Arc<str> {
        &self.plugin_id
    }

    /// The child's pid, also its process group id.
    pub(crate) fn pid(&self) -> u32 {
        self.pid
    }

    /// The reaper's report, for those who wait for the exit.
    pub(crate) fn exit(&self) -> ExitWatch {
        self.exit.clone()
    }

    /// `true` once the process was reaped.
    pub(crate) fn exited(&self) -> bool {
        self.exit.borrow().is_some()
    }

    /// The exit status, once reaped (`None` before, or if waiting for it failed).
    pub(crate) fn status(&self) -> Option<ExitStatus> {
        self.exit.borrow().and_then(|e| e.0)
    }

    /// Waits until the process was reaped (and so its group killed and unlisted). Unbounded:
    /// callers put their own deadline around it.
    pub(crate) async fn wait(&self) -> Option<Exited> {
        some_value(&mut self.exit()).await
    }

    /// The stderr tail, once stderr is closed (or a short deadline passed: a stray descendant
    /// may hold it open), so that the last words of a dying plugin are included.
    pub(crate) async fn tail(&self) -> String {
        let mut done = self.stderr_done.clone();
        let _ = tokio::time::timeout(STDERR_EOF_GRACE, done.wait_for(|d| *d)).await;
        self.tail.render()
    }

    /// SIGKILL to the group, then waits for the reaper, bounded by [`KILL_DEADLINE`]. `false`
    /// if the process was not reaped in time.
    pub(crate) async fn kill(&self) -> bool {
        let _ = signal_group(self.pid, KILL);
        tokio::time::timeout(KILL_DEADLINE, self.wait())
            .await
            .is_ok()
    }

    /// Graceful stop: SIGTERM to the group, up to `grace` for the exit, then SIGKILL; the
    /// reaper reaps in every case.
    pub(crate) async fn terminate(&self, grace: Duration) -> Result<()> {
        if self.exited() {
            return Ok(());
        }
        if let Err(cause) = signal_group(self.pid, TERM) {
            tracing::warn!(plugin_id = &*self.plugin_id, pid = self.pid, error = %cause, "SIGTERM failed; killing the plugin");
        } else if tokio::time::timeout(grace, self.wait()).await.is_ok() {
            return Ok(());
        } else {
            tracing::warn!(
                plugin_id = &*self.plugin_id,
                pid = self.pid,
                ?grace,
                "plugin did not stop in time; killing it"
            );
        }
        if self.kill().await {
            Ok(())
        } else {
            Err(Error::Io {
                plugin_id: self.plugin_id.to_string(),
                context: format!("process {} did not exit after SIGKILL", self.pid),
                cause: Arc::new(std::io::Error::from(std::io::ErrorKind::TimedOut)),
            })
        }
    }
}

/// Waits until a watch holds `Some` and returns a copy; `None` if the sender is gone without
/// ever setting it.
pub(crate) async fn some_value<T: Clone>(rx: &mut watch::Receiver<Option<T>>) -> Option<T> {
    match rx.wait_for(Option::is_some).await {
        Ok(v) => v.clone(),
        Err(_) => None,
    }
}
