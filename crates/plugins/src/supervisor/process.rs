//! One spawned plugin process: its pipes, its reaper, and the start handshake.

use std::process::{ExitStatus, Stdio};
use std::sync::Arc;
use std::time::Duration;

use tokio::process::{ChildStdout, Command};
use tokio::sync::{oneshot, watch};
use tokio::time::Instant;

use super::SupervisorConfig;
use crate::capabilities::STDERR_EOF_GRACE;
use crate::host_tie::{Lifeline, launch_token, tie_to_host, wait_for_exit_unreaped};
use crate::logs::{LineReader, PLUGIN_LOG_TARGET, StderrTail, drain_stderr};
use crate::process_group::{KILL, TERM, signal_group};
use crate::{CredentialsForm, Endpoint, Error, PluginClient, Result, parse_location_line};
use ocm_plugin_endpoints::{CREDENTIALS_ENV, LAUNCH_TOKEN_ENV};
use ocm_plugin_types::ConnectionType;

/// How long to wait for the exit after SIGKILL before reporting an error (a process stuck in
/// uninterruptible sleep). The reaper task still reaps it whenever it exits.
const KILL_DEADLINE: Duration = Duration::from_secs(5);

/// How long a failed health check waits for the process's exit to be reported, so that a
/// plugin that died right after its location line is reported by its exit status.
const EXIT_NOTICE: Duration = Duration::from_millis(500);

/// How a process ended: `None` if waiting for it failed.
#[derive(Debug, Clone, Copy)]
pub(super) struct Exited(pub(super) Option<ExitStatus>);

/// A spawned plugin process. The child itself is owned by a reaper task that waits for it, so
/// an exit is seen at once and the process never lingers as a zombie.
pub(super) struct Process {
    plugin_id: Arc<str>,
    pub(super) pid: u32,
    /// `Some` once the reaper has reaped the child.
    pub(super) exit: watch::Receiver<Option<Exited>>,
    tail: Arc<StderrTail>,
    stderr_done: watch::Receiver<bool>,
    /// Closed when this handle is dropped: an SDK plugin then shuts itself down.
    _lifeline: Lifeline,
}

impl Drop for Process {
    fn drop(&mut self) {
        // A process we no longer track must not outlive its handle.
        if !self.exited() {
            let _ = signal_group(self.pid, KILL);
        }
    }
}

/// What the handshake is waiting on.
pub(super) struct Startup {
    /// The secret the plugin was launched with (TCP only).
    launch_token: Option<String>,
    /// First location line on stdout; dropped without a value at stdout EOF.
    location: oneshot::Receiver<Endpoint>,
    /// First location line on stderr (Go reads stderr after stdout closed, W8).
    stderr_location: watch::Receiver<Option<Endpoint>>,
}

impl Process {
    /// Spawns `<path> --config <json>` in its own process group, with the lifeline as stdin
    /// and both output pipes drained from this moment on for the whole life of the process.
    pub(super) fn spawn(
        plugin_id: &Arc<str>,
        config: &SupervisorConfig,
    ) -> Result<(Self, Startup)> {
        let spawn_error = |cause| Error::Spawn {
            plugin_id: plugin_id.to_string(),
            path: config.path.clone(),
            cause,
        };
        let json = serde_json::to_string(&config.config)
            .map_err(|e| spawn_error(std::io::Error::new(std::io::ErrorKind::InvalidInput, e)))?;
        let mut command = Command::new(&config.path);
        command
            .arg("--config")
            .arg(json)
            // Secrets of the host's own environment are not the plugin's business (the
            // lifeline variable is always set afresh by `tie_to_host`).
            .env_remove(CREDENTIALS_ENV)
            .env_remove(LAUNCH_TOKEN_ENV)
            .envs(config.env.iter().map(|(k, v)| (k, v)))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .kill_on_drop(true);
        let lifeline = tie_to_host(&mut command).map_err(spawn_error)?;
        // On TCP anyone on the machine can connect: an SDK plugin refuses requests without
        // this per-launch secret, which travels in the environment, never in argv.
        let launch_token = match config.config.connection {
            ConnectionType::Tcp => {
                let token = launch_token().map_err(spawn_error)?;
                command.env(LAUNCH_TOKEN_ENV, &token);
                Some(token)
            }
            ConnectionType::Unix => None,
        };
        let mut child = command.spawn().map_err(spawn_error)?;
        drop(command);
        let pid = child.id().ok_or_else(|| {
            spawn_error(std::io::Error::other(
                "the process vanished right after spawn",
            ))
        })?;
        // Killed with its group if this host dies before it stops the plugin.
        crate::watchdog::watch(pid);
        tracing::debug!(
            plugin_id = &**plugin_id,
            pid,
            "plugin process spawned; waiting for its location"
        );

        let tail = Arc::new(StderrTail::default());
        let (stderr_loc_tx, stderr_location) = watch::channel(None);
        let (done_tx, stderr_done) = watch::channel(false);
        if let Some(stderr) = child.stderr.take() {
            tokio::spawn(drain_stderr(
                Arc::clone(plugin_id),
                stderr,
                Arc::clone(&tail),
                Some(stderr_loc_tx),
                done_tx,
            ));
        }
        let (loc_tx, location) = oneshot::channel();
        if let Some(stdout) = child.stdout.take() {
            tokio::spawn(drain_stdout(Arc::clone(plugin_id), stdout, loc_tx));
        }

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

        let process = Self {
            plugin_id: Arc::clone(plugin_id),
            pid,
            exit,
            tail,
            stderr_done,
            _lifeline: lifeline,
        };
        Ok((
            process,
            Startup {
                launch_token,
                location,
                stderr_location,
            },
        ))
    }

    pub(super) fn exited(&self) -> bool {
        self.exit.borrow().is_some()
    }

    /// Waits for the location line and a `200` from `/healthz`, failing fast when the process
    /// exits and at `start_timeout`. Nothing here sleeps or polls: every wait is on an event
    /// (a line, the exit, the answer) or on the deadline.
    pub(super) async fn handshake(
        &self,
        startup: Startup,
        start_timeout: Duration,
        credentials_form: CredentialsForm,
    ) -> Result<PluginClient> {
        let deadline = Instant::now() + start_timeout;
        let Startup {
            launch_token,
            mut location,
            mut stderr_location,
        } = startup;
        let mut exit = self.exit.clone();
        let mut stdout_open = true;
        let mut stderr_open = true;
        let endpoint = loop {
            tokio::select! {
                biased;
                r = &mut location, if stdout_open => match r {
                    Ok(ep) => break ep,
                    Err(_) => stdout_open = false,
                },
                ep = some_value(&mut stderr_location), if !stdout_open && stderr_open => match ep {
                    Some(ep) => break ep,
                    None => stderr_open = false,
                },
                exited = some_value(&mut exit) => return Err(self.exited_error(exited).await),
                () = tokio::time::sleep_until(deadline) => {
                    return Err(self.timeout_error(start_timeout, "no location line").await);
                }
            }
        };
        tracing::debug!(plugin_id = &*self.plugin_id, pid = self.pid, %endpoint, "plugin printed its location");

        let client = PluginClient::with_launch_token(
            &self.plugin_id,
            endpoint,
            credentials_form,
            launch_token.as_deref(),
        );
        tokio::select! {
            biased;
            r = client.health() => match r {
                Ok(()) => Ok(client),
                Err(e) => {
                    // A plugin that died right after printing its location is best described
                    // by its exit, which the reaper may report a moment after the refused
                    // connection: wait for it briefly (an event with a deadline).
                    let mut exit = self.exit.clone();
                    if let Ok(Some(exited)) =
                        tokio::time::timeout(EXIT_NOTICE, some_value(&mut exit)).await
                    {
                        return Err(self.exited_error(Some(exited)).await);
                    }
                    self.kill().await;
                    Err(Error::Health {
                        plugin_id: self.plugin_id.to_string(),
                        message: e.to_string(),
                        stderr_tail: self.tail().await,
                    })
                }
            },
            exited = some_value(&mut exit) => Err(self.exited_error(exited).await),
            () = tokio::time::sleep_until(deadline) => {
                Err(self.timeout_error(start_timeout, "no /healthz answer").await)
            }
        }
    }

    async fn exited_error(&self, exited: Option<Exited>) -> Error {
        Error::ExitedBeforeReady {
            plugin_id: self.plugin_id.to_string(),
            status: exited.and_then(|e| e.0),
            stderr_tail: self.tail().await,
        }
    }

    async fn timeout_error(&self, timeout: Duration, phase: &'static str) -> Error {
        self.kill().await;
        Error::StartTimeout {
            plugin_id: self.plugin_id.to_string(),
            timeout,
            phase,
            stderr_tail: self.tail().await,
        }
    }

    /// The stderr tail, once stderr is closed (or a short deadline passed: a stray descendant
    /// may hold it open), so that the last words of a dying plugin are included.
    async fn tail(&self) -> String {
        let mut done = self.stderr_done.clone();
        let _ = tokio::time::timeout(STDERR_EOF_GRACE, done.wait_for(|d| *d)).await;
        self.tail.render()
    }

    /// SIGKILL to the group and wait for the reaper, bounded.
    pub(super) async fn kill(&self) {
        let _ = signal_group(self.pid, KILL);
        let mut exit = self.exit.clone();
        let _ = tokio::time::timeout(KILL_DEADLINE, some_value(&mut exit)).await;
    }

    /// Graceful stop: SIGTERM to the group, up to `grace` for the exit, then SIGKILL; the
    /// reaper reaps in every case.
    pub(super) async fn terminate(&self, grace: Duration) -> Result<()> {
        if self.exited() {
            return Ok(());
        }
        let mut exit = self.exit.clone();
        if let Err(cause) = signal_group(self.pid, TERM) {
            tracing::warn!(plugin_id = &*self.plugin_id, pid = self.pid, error = %cause, "SIGTERM failed; killing the plugin");
        } else if tokio::time::timeout(grace, some_value(&mut exit))
            .await
            .is_ok()
        {
            return Ok(());
        } else {
            tracing::warn!(
                plugin_id = &*self.plugin_id,
                pid = self.pid,
                ?grace,
                "plugin did not stop in time; killing it"
            );
        }
        let _ = signal_group(self.pid, KILL);
        match tokio::time::timeout(KILL_DEADLINE, some_value(&mut exit)).await {
            Ok(_) => Ok(()),
            Err(_) => Err(Error::Io {
                plugin_id: self.plugin_id.to_string(),
                context: format!("process {} did not exit after SIGKILL", self.pid),
                cause: std::io::Error::from(std::io::ErrorKind::TimedOut),
            }),
        }
    }
}

/// Waits until a watch holds `Some` and returns a copy; `None` if the sender is gone without
/// ever setting it.
async fn some_value<T: Clone>(rx: &mut watch::Receiver<Option<T>>) -> Option<T> {
    match rx.wait_for(Option::is_some).await {
        Ok(v) => v.clone(),
        Err(_) => None,
    }
}

/// Drains stdout for the whole life of the process. The first line that is a location is
/// handed to the handshake; everything else is logged at debug and discarded (a Go manager
/// stops reading after the location and a chatty plugin then blocks, W8).
async fn drain_stdout(
    plugin_id: Arc<str>,
    stdout: ChildStdout,
    location: oneshot::Sender<Endpoint>,
) {
    let mut lines = LineReader::new(stdout);
    let mut location = Some(location);
    while let Some(line) = lines.next_line().await {
        let text = String::from_utf8_lossy(line);
        if location.is_some() {
            if let Some(ep) = parse_location_line(&text) {
                if let Some(tx) = location.take() {
                    let _ = tx.send(ep);
                }
                continue;
            }
            tracing::debug!(target: PLUGIN_LOG_TARGET, plugin_id = &*plugin_id, line = %text, "skipping stdout line that is not a location");
        } else {
            tracing::debug!(target: PLUGIN_LOG_TARGET, plugin_id = &*plugin_id, line = %text, "discarding plugin stdout");
        }
    }
}
