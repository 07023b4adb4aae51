//! The process supervisor: one per plugin binary, starting it lazily, restarting it when it
//! died, and stopping it cleanly.
//!
//! Its whole state is one [`Status`] in one watch channel, changed only by the transitions in
//! the `impl Supervisor` block marked "Transitions": a reader (`state`, `pid`, the fast path of
//! a call) borrows it without waiting for a start in progress, and a waiter subscribes to it.

mod handshake;

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitStatus;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::Method;
use ocm_plugin_endpoints::Route;
use ocm_plugin_types::{Credentials, PluginConfig};
use serde::de::DeserializeOwned;
use tokio::sync::watch;

use crate::process::{ExitWatch, PluginProcess};
use crate::{CredentialsForm, Error, PluginClient, Result};

/// How to run one plugin binary.
#[derive(Debug, Clone)]
pub struct SupervisorConfig {
    /// Display id (the file name), used in logs and errors.
    pub plugin_id: String,
    /// The binary.
    pub path: PathBuf,
    /// Passed as `--config <json>`. Its `id` should already be unique per instance (W16): a Go
    /// plugin derives its socket path from it.
    pub config: PluginConfig,
    /// Extra environment variables for the plugin (the rest is inherited).
    pub env: Vec<(OsString, OsString)>,
    /// Longest time from spawn to a `200` from `/healthz`.
    pub start_timeout: Duration,
    /// How long a plugin may take to exit after SIGTERM before it is killed.
    pub stop_grace: Duration,
    /// How credentials travel to this plugin: flat for plugins of the v0.0.1 capabilities
    /// format, typed (with a flat retry) for the v0.0.11+ format.
    pub credentials_form: CredentialsForm,
    /// Longest time one call may wait for its answer ([`Error::CallTimeout`]). Every call has
    /// one: a plugin that hangs must not hang its caller.
    pub call_timeout: Duration,
    /// After this many failed starts or early crashes in a row, the plugin is refused for a
    /// cool-down instead of being spawned again ([`Error::CoolingDown`]).
    pub restart_limit: u32,
    /// The verified binary to run instead of `path` (see [`Executable`](crate::Executable)):
    /// every start runs these bytes, or fails if the file was rewritten in place.
    pub executable: Option<crate::Executable>,
    /// The first cool-down; it doubles with every further failure, up to
    /// [`MAX_COOLDOWN`](Self::MAX_COOLDOWN).
    pub restart_cooldown: Duration,
}

impl SupervisorConfig {
    /// Start deadline of the Go manager.
    pub const DEFAULT_START_TIMEOUT: Duration = Duration::from_secs(30);
    /// Graceful-stop deadline (the Go SDK's own shutdown timeout).
    pub const DEFAULT_STOP_GRACE: Duration = Duration::from_secs(5);

    /// Default call deadline: longer than our SDK's own 10-minute request limit, so that its
    /// answer (a 503) arrives first, and generous for large blobs.
    pub const DEFAULT_CALL_TIMEOUT: Duration = Duration::from_secs(15 * 60);
    /// Failures in a row before the cool-down.
    pub const DEFAULT_RESTART_LIMIT: u32 = 3;
    /// First cool-down.
    pub const DEFAULT_RESTART_COOLDOWN: Duration = Duration::from_secs(1);
    /// Longest cool-down.
    pub const MAX_COOLDOWN: Duration = Duration::from_secs(60);

    /// A configuration with no extra environment and the default timeouts.
    pub fn new(
        plugin_id: impl Into<String>,
        path: impl Into<PathBuf>,
        config: PluginConfig,
    ) -> Self {
        Self {
            plugin_id: plugin_id.into(),
            path: path.into(),
            config,
            env: Vec::new(),
            start_timeout: Self::DEFAULT_START_TIMEOUT,
            stop_grace: Self::DEFAULT_STOP_GRACE,
            credentials_form: CredentialsForm::Flat,
            call_timeout: Self::DEFAULT_CALL_TIMEOUT,
            restart_limit: Self::DEFAULT_RESTART_LIMIT,
            restart_cooldown: Self::DEFAULT_RESTART_COOLDOWN,
            executable: None,
        }
    }
}

/// A process that lived shorter than this and exited on its own counts as a crash for the
/// circuit breaker; one that lived longer (an idle exit, a rare crash) resets it.
const STABLE_UPTIME: Duration = Duration::from_secs(10);

/// How long an abandoned start waits for its killed process to be reaped (SIGKILL: at once,
/// unless the kernel is slow to tear it down).
const ABANDON_REAP: Duration = Duration::from_secs(2);

/// After a broken connection during a read, how long to wait for the process's exit to be
/// reported before sending the read again. A deadline on an event, only on that error path.
const EXIT_SETTLE: Duration = Duration::from_millis(100);

/// Lifecycle of a supervised plugin, as [`Supervisor::state`] and
/// [`Supervisor::watch_state`] report it.
///
/// ```text
///            first use / use after an exit or stop
///   Idle ─────────────────────────────────────────▶ Starting ──location + /healthz 200──▶ Ready
///    ▲ ▲                                             │   │                                 │ │
///    │ └──── start failed, under the restart limit ◀─┘   │ start failed at the limit       │ │
///    │       (or the caller gave up)                     ▼                                 │ │
///    │                                              CoolingDown ──retry_in passed──▶ Idle  │ │
///    │                                                   ▲                                 │ │
///    │                                                   └── exited early, at the limit ◀──┘ │
///    ├──── exited (idle timeout, crash) ◀────────────────────────────────────────────────────┤
///    │                                                                                       │
///    └──── Stopping ◀── stop(), or unreachable and replaced ─────────────────────────────────┘
///
///   close() / shutdown(): Idle, CoolingDown ──▶ Stopped (for good); a Starting start is
///   abandoned and a Ready process stopped (shutdown) on their way there.
/// ```
///
/// A `Ready` process whose exit was observed reads `Idle` at once, before anyone calls it again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// No process: never started, exited, stopped by [`Supervisor::stop`], or its last start
    /// failed (see [`Supervisor::last_failure`]) and it is not cooling down. The next use
    /// starts it.
    Idle,
    /// A process was spawned and its handshake is in progress.
    Starting,
    /// Running and answering.
    Ready,
    /// Too many failed starts or early exits in a row: starts are refused
    /// ([`Error::CoolingDown`]) until the cool-down passes.
    CoolingDown,
    /// A graceful stop is in progress.
    Stopping,
    /// Closed for good by [`Supervisor::close`] or [`Supervisor::shutdown`].
    Stopped,
}

/// Everything a supervisor knows, in one value of one watch channel.
struct Status {
    phase: Phase,
    /// Start attempts that have ended (succeeded, failed or were given up); the attempt in
    /// progress, if any, is number `attempts + 1`, and an attempt's number is the generation
    /// of its process. It changes only when an attempt ends, so a caller that saw it before
    /// waiting for the start lock can tell whether a start ended meanwhile.
    attempts: u64,
    /// Failed starts and early exits in a row; reset by a successful call or a stable run.
    failures: u32,
    /// The last of those failures.
    last_failure: Option<Failure>,
    /// Set by `close`: no start from now on, and a start in progress gives up.
    closed: bool,
}

/// Where the supervised process is in its life.
enum Phase {
    Idle,
    Starting {
        attempt: u64,
        pid: u32,
        exit: ExitWatch,
    },
    Ready(Box<Running>),
    CoolingDown {
        until: Instant,
    },
    Stopping {
        pid: u32,
        exit: ExitWatch,
    },
    Stopped,
}

/// A process that completed its handshake.
struct Running {
    process: PluginProcess,
    client: PluginClient,
    generation: u64,
    /// When the handshake completed.
    since: Instant,
}

/// A failed start or an early exit.
struct Failure {
    /// The attempt (generation) that failed.
    attempt: u64,
    /// `true` for a failed start, `false` for an early exit of a ready process: only a failed
    /// start is handed to the callers that waited for it.
    at_start: bool,
    error: Error,
}

impl Status {
    fn state(&self) -> State {
        match &self.phase {
            Phase::Idle => State::Idle,
            Phase::Starting { .. } => State::Starting,
            Phase::Ready(running) if running.process.exited() => {
                if self.closed {
                    State::Stopped
                } else {
                    State::Idle
                }
            }
            Phase::Ready(_) => State::Ready,
            Phase::CoolingDown { .. } => State::CoolingDown,
            Phase::Stopping { .. } => State::Stopping,
            Phase::Stopped => State::Stopped,
        }
    }

    /// Client and generation of a ready process that has not exited.
    fn ready(&self) -> Option<(PluginClient, u64)> {
        match &self.phase {
            Phase::Ready(running) if !running.process.exited() => {
                Some((running.client.clone(), running.generation))
            }
            _ => None,
        }
    }
}

/// Supervises one plugin binary; shared (`Arc`) by every registry that names the plugin, so a
/// multi-capability plugin runs as one process (the Go manager started it once per registry and
/// failed, W5).
///
/// The process is started on first use and restarted on the next use after it exited. Starts
/// are single-flight: they happen under one async lock (nushell's `PersistentPlugin::get`), so
/// any number of concurrent first callers cause exactly one spawn, and all of them get that
/// start's client or error; callers of a running plugin only borrow the status.
pub struct Supervisor {
    config: SupervisorConfig,
    plugin_id: Arc<str>,
    /// Handed to the tasks that watch a ready process's exit and a cool-down's end.
    me: Weak<Self>,
    /// Starts, stops and restarts happen under this lock, one at a time.
    start_lock: tokio::sync::Mutex<()>,
    /// The state, changed only through [`Supervisor::transition`].
    status: watch::Sender<Status>,
    /// `status` as a [`State`], published by [`Supervisor::transition`] on every change.
    states: watch::Sender<State>,
    /// A metric: how many processes were ever spawned.
    spawn_count: AtomicU64,
}

impl std::fmt::Debug for Supervisor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Supervisor")
            .field("plugin_id", &self.plugin_id)
            .field("path", &self.config.path)
            .field("state", &self.state())
            .field("pid", &self.pid())
            .finish_non_exhaustive()
    }
}

impl Supervisor {
    /// A supervisor for one binary. Nothing is spawned until the first [`client`](Self::client).
    pub fn new(config: SupervisorConfig) -> Arc<Self> {
        Arc::new_cyclic(|me| Self {
            plugin_id: Arc::from(config.plugin_id.as_str()),
            config,
            me: me.clone(),
            start_lock: tokio::sync::Mutex::new(()),
            status: watch::Sender::new(Status {
                phase: Phase::Idle,
                attempts: 0,
                failures: 0,
                last_failure: None,
                closed: false,
            }),
            states: watch::Sender::new(State::Idle),
            spawn_count: AtomicU64::new(0),
        })
    }

    /// The display id (file name) of the plugin.
    pub fn plugin_id(&self) -> &str {
        &self.plugin_id
    }

    /// How the plugin is run.
    pub fn config(&self) -> &SupervisorConfig {
        &self.config
    }

    /// The current lifecycle state. A ready process whose exit was just observed reads as
    /// [`State::Idle`] at once, before anyone calls it again.
    pub fn state(&self) -> State {
        self.status.borrow().state()
    }

    /// Every change of [`state`](Self::state) from now on: wait for one instead of asking
    /// again. Every transition is published, including a ready process's exit, which is noticed
    /// by a task waiting for it (a moment after `state()` already shows it).
    pub fn watch_state(&self) -> watch::Receiver<State> {
        self.states.subscribe()
    }

    /// The last failed start or early exit (a ready process that exited within seconds), until
    /// a call succeeds or a process runs stably; `None` if there was none since.
    pub fn last_failure(&self) -> Option<Error> {
        self.status
            .borrow()
            .last_failure
            .as_ref()
            .map(|f| f.error.clone())
    }

    /// Pid of the running child (also its process group id), if there is one.
    pub fn pid(&self) -> Option<u32> {
        let status = self.status.borrow();
        let (pid, exit) = match &status.phase {
            Phase::Starting { pid, exit, .. } | Phase::Stopping { pid, exit } => (*pid, exit),
            Phase::Ready(running) => (running.process.pid(), &running.process.exit()),
            _ => return None,
        };
        exit.borrow().is_none().then_some(pid)
    }

    /// How many processes were ever spawned for this plugin.
    pub fn spawn_count(&self) -> u64 {
        self.spawn_count.load(Ordering::Relaxed)
    }

    /// Waits until the current process exits and returns its exit status, so a host can react
    /// to crashes and idle exits without polling. Returns at once with `None` when no process
    /// is running (or when waiting for it failed).
    pub async fn wait_exit(&self) -> Option<ExitStatus> {
        let mut exit = match &self.status.borrow().phase {
            Phase::Starting { exit, .. } | Phase::Stopping { exit, .. } => exit.clone(),
            Phase::Ready(running) => running.process.exit(),
            _ => return None,
        };
        let exited = exit.wait_for(Option::is_some).await.ok().and_then(|e| *e);
        exited.and_then(|e| e.0)
    }

    /// A client to a ready process: starts the plugin on first use and restarts it if it exited.
    /// Concurrent callers share one start. After [`shutdown`](Self::shutdown) this is
    /// [`Error::Stopped`].
    pub async fn client(&self) -> Result<PluginClient> {
        self.live().await.map(|(client, _)| client)
    }

    /// [`client`](Self::client) + [`PluginClient::call_json`], retried once on a fresh process
    /// when an attempt could not connect ([`Error::is_connect`]: the request was never sent,
    /// so the retry is safe whatever the operation; the old process is stopped first). A `GET`
    /// or `HEAD` whose connection broke mid-request ([`Error::Transport`]) is also sent once
    /// more, since reads are safe to repeat; this covers a kept-alive connection to a process
    /// that died a moment ago. Other failures are returned as they are.
    pub async fn call_json<T: DeserializeOwned>(
        &self,
        route: &Route,
        query: &[(&str, &str)],
        credentials: Option<&Credentials>,
        body: Option<Vec<u8>>,
    ) -> Result<T> {
        let (bytes, client) = self
            .call_with_retry(route, query, credentials, body)
            .await?;
        client.decode(route, &bytes)
    }

    /// [`client`](Self::client) + [`PluginClient::call`], with the same retries as
    /// [`call_json`](Self::call_json).
    pub async fn call(
        &self,
        route: &Route,
        query: &[(&str, &str)],
        credentials: Option<&Credentials>,
        body: Option<Vec<u8>>,
    ) -> Result<Bytes> {
        self.call_with_retry(route, query, credentials, body)
            .await
            .map(|(bytes, _)| bytes)
    }

    /// Stops the current process, if any: SIGTERM to its group, up to `stop_grace` for it to
    /// exit, then SIGKILL to the group; it is always reaped. A later use starts it again.
    pub async fn stop(&self) -> Result<()> {
        let _start = self.start_lock.lock().await;
        self.stop_locked(None).await
    }

    /// Refuses every later start with [`Error::Stopped`], and makes a start in progress give
    /// up (its process is killed), at once and without waiting. [`shutdown`] does this first.
    ///
    /// [`shutdown`]: Self::shutdown
    pub fn close(&self) {
        self.transition(|status| status.closed = true);
    }

    /// [`stop`](Self::stop), and refuse every later start with [`Error::Stopped`]; a start in
    /// progress is abandoned rather than waited for.
    pub async fn shutdown(&self) -> Result<()> {
        self.close();
        let _start = self.start_lock.lock().await;
        self.stop_locked(None).await
    }

    fn stopped_error(&self) -> Error {
        Error::Stopped {
            plugin_id: self.plugin_id.to_string(),
        }
    }

    /// Client and generation of a ready process, starting one if needed.
    async fn live(&self) -> Result<(PluginClient, u64)> {
        let attempts_before = {
            let status = self.status.borrow();
            if status.closed {
                return Err(self.stopped_error());
            }
            if let Some(ready) = status.ready() {
                return Ok(ready);
            }
            status.attempts
        };
        let _start = self.start_lock.lock().await;
        // The exit task may not have run yet.
        self.exit_noticed();
        {
            let status = self.status.borrow();
            if status.closed {
                return Err(self.stopped_error());
            }
            if let Some(ready) = status.ready() {
                return Ok(ready);
            }
            // Single flight for failures too: everyone who waited on a failed start gets its
            // error; whoever comes later tries again.
            if status.attempts != attempts_before
                && let Some(failure) = &status.last_failure
                && failure.at_start
                && failure.attempt == status.attempts
            {
                return Err(failure.error.clone());
            }
        }
        self.start_locked().await
    }

    /// One start attempt; the start lock is held.
    async fn start_locked(&self) -> Result<(PluginClient, u64)> {
        let attempt = self.begin_start()?;
        let started = Instant::now();
        let (process, startup) = match handshake::spawn(&self.plugin_id, &self.config) {
            Ok(spawned) => spawned,
            Err(e) => {
                self.start_failed(attempt, &e);
                return Err(e);
            }
        };
        self.spawn_count.fetch_add(1, Ordering::Relaxed);
        tracing::debug!(
            plugin_id = &*self.plugin_id,
            pid = process.pid(),
            attempt,
            "plugin process spawned; waiting for its location"
        );
        self.spawned(attempt, &process);
        // If the caller gives up mid-start (its future is dropped), the half-started process is
        // killed by its drop and the state must not stay `Starting`.
        let cancelled = OnDrop::new(|| self.start_cancelled(attempt));
        let mut closing = self.status.subscribe();
        let handshake = handshake::handshake(
            &process,
            startup,
            self.config.start_timeout,
            self.config.credentials_form,
        );
        let outcome = tokio::select! {
            outcome = handshake => outcome,
            _ = closing.wait_for(|status| status.closed) => Err(self.stopped_error()),
        };
        match outcome {
            Ok(client) => {
                tracing::info!(
                    plugin_id = &*self.plugin_id,
                    pid = process.pid(),
                    endpoint = %client.endpoint(),
                    elapsed = ?started.elapsed(),
                    "plugin started"
                );
                cancelled.disarm();
                self.became_ready(attempt, process, client.clone());
                Ok((client, attempt))
            }
            Err(e) => {
                if matches!(e, Error::Stopped { .. }) {
                    tracing::info!(
                        plugin_id = &*self.plugin_id,
                        pid = process.pid(),
                        "start abandoned: the supervisor was closed"
                    );
                    // Killed and reaped before the lock is released, so that the shutdown
                    // waiting for it leaves no process behind.
                    let _ = tokio::time::timeout(ABANDON_REAP, process.kill()).await;
                } else {
                    tracing::warn!(plugin_id = &*self.plugin_id, error = %e, "plugin failed to start");
                }
                drop(process);
                cancelled.disarm();
                self.start_failed(attempt, &e);
                Err(e)
            }
        }
    }

    /// Stops the ready process (of `generation`, if given); the start lock is held.
    async fn stop_locked(&self, generation: Option<u64>) -> Result<()> {
        let Some(running) = self.begin_stop(generation) else {
            return Ok(());
        };
        // A stop whose caller gives up still ends: the process is killed by its drop.
        let finished = OnDrop::new(|| self.stop_finished());
        let result = running.process.terminate(self.config.stop_grace).await;
        drop(running);
        drop(finished);
        result
    }

    /// Forgets the process of `generation` after a connection failure: it is stopped (it may
    /// still be alive but not listening) and the next use starts a new one. A newer process,
    /// started meanwhile by another caller, is left alone.
    async fn discard(&self, generation: u64) {
        let _start = self.start_lock.lock().await;
        if let Err(e) = self.stop_locked(Some(generation)).await {
            tracing::warn!(plugin_id = &*self.plugin_id, error = %e, "stopping an unreachable plugin failed");
        }
    }

    /// Exit watch of the ready process of `generation`, if it is still the current one.
    fn exit_watch(&self, generation: u64) -> Option<ExitWatch> {
        match &self.status.borrow().phase {
            Phase::Ready(running) if running.generation == generation => {
                Some(running.process.exit())
            }
            _ => None,
        }
    }

    async fn call_with_retry(
        &self,
        route: &Route,
        query: &[(&str, &str)],
        credentials: Option<&Credentials>,
        body: Option<Vec<u8>>,
    ) -> Result<(Bytes, PluginClient)> {
        let body = body.map(Bytes::from);
        // A read whose connection broke may be sent again: a kept-alive connection to a
        // process that died a moment ago fails this way before the exit is noticed.
        let mut may_resend = route.method == Method::GET || route.method == Method::HEAD;
        let mut may_restart = true;
        loop {
            let (client, generation) = self.live().await?;
            let call = client.call_bytes(route, query, credentials, body.clone());
            let e = match tokio::time::timeout(self.config.call_timeout, call).await {
                Ok(Ok(bytes)) => {
                    self.call_succeeded();
                    return Ok((bytes, client));
                }
                Ok(Err(e)) => e,
                Err(_) => {
                    tracing::warn!(
                        plugin_id = &*self.plugin_id,
                        operation = route.operation,
                        timeout = ?self.config.call_timeout,
                        "call timed out"
                    );
                    return Err(Error::CallTimeout {
                        plugin_id: self.plugin_id.to_string(),
                        operation: route.operation.to_owned(),
                        timeout: self.config.call_timeout,
                    });
                }
            };
            if e.is_connect() && may_restart {
                may_restart = false;
                tracing::info!(
                    plugin_id = &*self.plugin_id,
                    operation = route.operation,
                    error = %e,
                    "plugin unreachable; restarting it and retrying once"
                );
                self.discard(generation).await;
            } else if matches!(e, Error::Transport { .. }) && may_resend {
                may_resend = false;
                tracing::debug!(
                    plugin_id = &*self.plugin_id,
                    operation = route.operation,
                    error = %e,
                    "connection to the plugin broke during a read; sending it again"
                );
                // If the process is dying, let the reaper report it so that the resend goes
                // to a new process rather than into the dying one's listen backlog.
                if let Some(mut exit) = self.exit_watch(generation) {
                    let _ = tokio::time::timeout(EXIT_SETTLE, exit.wait_for(Option::is_some)).await;
                }
            } else {
                return Err(e);
            }
        }
    }
}

/// Transitions: every change of the status happens here, through [`Supervisor::transition`].
impl Supervisor {
    /// Applies `change` to the status and publishes the result: closed supervisors without a
    /// process are `Stopped`, the [`State`] is sent when it changed, and a cool-down that begins
    /// gets a timer that ends it.
    fn transition<R>(&self, change: impl FnOnce(&mut Status) -> R) -> R {
        let mut out = None;
        let mut cooling_until = None;
        self.status.send_modify(|status| {
            let before = match status.phase {
                Phase::CoolingDown { until } => Some(until),
                _ => None,
            };
            out = Some(change(status));
            if status.closed && matches!(status.phase, Phase::Idle | Phase::CoolingDown { .. }) {
                status.phase = Phase::Stopped;
            }
            if let Phase::CoolingDown { until } = status.phase
                && before != Some(until)
            {
                cooling_until = Some(until);
            }
            let state = status.state();
            self.states.send_if_modified(|published| {
                let changed = *published != state;
                *published = state;
                changed
            });
        });
        if let Some(until) = cooling_until
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            let me = self.me.clone();
            runtime.spawn(async move {
                tokio::time::sleep_until(until.into()).await;
                if let Some(sup) = me.upgrade() {
                    sup.cool_down_ended(until);
                }
            });
        }
        // `send_modify` runs the closure exactly once.
        out.unwrap_or_else(|| unreachable!("the status closure did not run"))
    }

    /// A new attempt begins (start lock held): refused when closed or cooling down.
    fn begin_start(&self) -> Result<u64> {
        let now = Instant::now();
        self.transition(|status| {
            if status.closed {
                return Err(self.stopped_error());
            }
            if let Phase::CoolingDown { until } = status.phase
                && let Some(retry_in) = until.checked_duration_since(now)
            {
                return Err(Error::CoolingDown {
                    plugin_id: self.plugin_id.to_string(),
                    failures: status.failures,
                    retry_in,
                    last: status
                        .last_failure
                        .as_ref()
                        .map(|f| f.error.to_string())
                        .unwrap_or_default(),
                });
            }
            Ok(status.attempts + 1)
        })
    }

    /// The attempt's process exists: `Starting`, with its pid.
    fn spawned(&self, attempt: u64, process: &PluginProcess) {
        self.transition(|status| {
            status.phase = Phase::Starting {
                attempt,
                pid: process.pid(),
                exit: process.exit(),
            };
        });
    }

    /// The handshake succeeded: `Ready`, and a task turns the process's exit into a transition
    /// the moment the reaper reports it.
    fn became_ready(&self, attempt: u64, process: PluginProcess, client: PluginClient) {
        let mut exit = process.exit();
        self.transition(|status| {
            status.attempts = attempt;
            status.phase = Phase::Ready(Box::new(Running {
                process,
                client,
                generation: attempt,
                since: Instant::now(),
            }));
        });
        let me = self.me.clone();
        tokio::spawn(async move {
            let _ = exit.wait_for(Option::is_some).await;
            if let Some(sup) = me.upgrade() {
                sup.exit_noticed();
            }
        });
    }

    /// The attempt failed: `Idle`, or `CoolingDown` at the restart limit. An abandoned start
    /// (the supervisor was closed) is not counted as a failure.
    fn start_failed(&self, attempt: u64, error: &Error) {
        self.transition(|status| {
            status.attempts = attempt;
            status.phase = Phase::Idle;
            if !matches!(error, Error::Stopped { .. }) {
                self.count_failure(
                    status,
                    Failure {
                        attempt,
                        at_start: true,
                        error: error.clone(),
                    },
                );
            }
        });
    }

    /// The caller of a start gave up (its future was dropped): back to `Idle`, uncounted.
    fn start_cancelled(&self, attempt: u64) {
        self.transition(|status| {
            status.attempts = attempt;
            if matches!(status.phase, Phase::Starting { attempt: a, .. } if a == attempt) {
                status.phase = Phase::Idle;
            }
        });
    }

    /// The ready process exited on its own: `Idle`, counting an early exit as a failure and a
    /// stable run as a success. Nothing happens unless the current process has exited.
    fn exit_noticed(&self) {
        let gone = self.transition(|status| {
            let running = match std::mem::replace(&mut status.phase, Phase::Idle) {
                Phase::Ready(running) if running.process.exited() => running,
                other => {
                    status.phase = other;
                    return None;
                }
            };
            let exit = running.process.status();
            tracing::info!(
                plugin_id = &*self.plugin_id,
                pid = running.process.pid(),
                status = exit.map(|s| s.to_string()),
                "plugin exited; the next use starts it again"
            );
            if running.since.elapsed() < STABLE_UPTIME {
                let error = Error::ExitedEarly {
                    plugin_id: self.plugin_id.to_string(),
                    status: exit,
                };
                let attempt = running.generation;
                self.count_failure(
                    status,
                    Failure {
                        attempt,
                        at_start: false,
                        error,
                    },
                );
            } else {
                status.failures = 0;
                status.last_failure = None;
            }
            Some(running)
        });
        // Dropped outside the status lock.
        drop(gone);
    }

    /// A stop begins: the ready process (of `generation`, if given) is handed to the caller
    /// and the state is `Stopping` until [`stop_finished`](Self::stop_finished).
    fn begin_stop(&self, generation: Option<u64>) -> Option<Box<Running>> {
        self.transition(|status| {
            let running = match std::mem::replace(&mut status.phase, Phase::Idle) {
                Phase::Ready(running) if generation.is_none_or(|g| g == running.generation) => {
                    running
                }
                other => {
                    status.phase = other;
                    return None;
                }
            };
            status.phase = Phase::Stopping {
                pid: running.process.pid(),
                exit: running.process.exit(),
            };
            Some(running)
        })
    }

    /// The stop ended: `Idle` (`Stopped` when closed).
    fn stop_finished(&self) {
        self.transition(|status| {
            if matches!(status.phase, Phase::Stopping { .. }) {
                status.phase = Phase::Idle;
            }
        });
    }

    /// A call succeeded: the failure count is reset. Takes no lock (beyond a borrow) when there
    /// is nothing to reset, which is nearly always.
    fn call_succeeded(&self) {
        let nothing_to_reset = {
            let status = self.status.borrow();
            status.failures == 0 && status.last_failure.is_none()
        };
        if nothing_to_reset {
            return;
        }
        self.transition(|status| {
            status.failures = 0;
            status.last_failure = None;
        });
    }

    /// The cool-down that was to end at `until` ended: `Idle`.
    fn cool_down_ended(&self, until: Instant) {
        self.transition(|status| {
            if matches!(status.phase, Phase::CoolingDown { until: u } if u == until) {
                status.phase = Phase::Idle;
            }
        });
    }

    /// Counts a failure in `status`, whose phase is `Idle`: at the limit the phase becomes
    /// `CoolingDown`, for a cool-down that doubles with every further failure.
    fn count_failure(&self, status: &mut Status, failure: Failure) {
        let failures = status.failures.saturating_add(1);
        status.failures = failures;
        let limit = self.config.restart_limit.max(1);
        if failures >= limit {
            let doublings = (failures - limit).min(16);
            let cooldown = self
                .config
                .restart_cooldown
                .saturating_mul(1 << doublings)
                .min(SupervisorConfig::MAX_COOLDOWN);
            status.phase = Phase::CoolingDown {
                until: Instant::now() + cooldown,
            };
            tracing::warn!(
                plugin_id = &*self.plugin_id,
                failures,
                ?cooldown,
                last = %failure.error,
                "plugin keeps failing; refusing to start it during a cool-down"
            );
        }
        status.last_failure = Some(failure);
    }
}

/// Runs a transition when dropped while still armed: a start or stop whose caller gave up
/// (its future was dropped) must not leave its phase behind.
struct OnDrop<F: FnOnce()>(Option<F>);

impl<F: FnOnce()> OnDrop<F> {
    fn new(f: F) -> Self {
        Self(Some(f))
    }

    fn disarm(mut self) {
        self.0 = None;
    }
}

impl<F: FnOnce()> Drop for OnDrop<F> {
    fn drop(&mut self) {
        if let Some(f) = self.0.take() {
            f();
        }
    }
}

#[cfg(test)]
mod tests;
