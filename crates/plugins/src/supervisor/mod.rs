//! The process supervisor: one per plugin binary, starting it lazily, restarting it when it
//! died, and stopping it cleanly.

mod process;

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitStatus;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::Bytes;
use http::Method;
use ocm_plugin_endpoints::Route;
use ocm_plugin_types::{Credentials, PluginConfig};
use serde::de::DeserializeOwned;
use tokio::sync::watch;

use self::process::{Exited, Process};
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
        }
    }
}

/// A process that lived shorter than this and exited on its own counts as a crash for the
/// circuit breaker; one that lived longer (an idle exit, a rare crash) resets it.
const STABLE_UPTIME: Duration = Duration::from_secs(10);

/// After a broken connection during a read, how long to wait for the process's exit to be
/// reported before sending the read again. A deadline on an event, only on that error path.
/// How long an abandoned start waits for its killed process to be reaped (SIGKILL: at once,
/// unless the kernel is slow to tear it down).
const ABANDON_REAP: Duration = Duration::from_secs(2);

const EXIT_SETTLE: Duration = Duration::from_millis(100);

/// Lifecycle of a supervised plugin.
///
/// ```text
/// Registered --first use--> Starting --location + /healthz 200--> Ready
/// Starting --exit / timeout / bad health--> Failed         (next use retries)
/// Ready --process exit / unreachable--> Exited             (next use restarts)
/// Ready --stop() / shutdown()--> Stopping --> Stopped      (next use restarts, unless shut down)
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Never started.
    Registered,
    /// A start is in progress.
    Starting,
    /// Running and answering.
    Ready,
    /// The process ended on its own (idle timeout, crash) or became unreachable.
    Exited,
    /// The last start failed.
    Failed,
    /// Being stopped.
    Stopping,
    /// Stopped by [`Supervisor::stop`] or [`Supervisor::shutdown`].
    Stopped,
}

/// Supervises one plugin binary; shared (`Arc`) by every registry that names the plugin, so a
/// multi-capability plugin runs as one process (the Go manager started it once per registry and
/// failed, W5).
///
/// The process is started on first use and restarted on the next use after it exited. Starts
/// are single-flight: they happen under one async lock (nushell's `PersistentPlugin::get`), so
/// any number of concurrent first callers cause exactly one spawn, while callers of a running
/// plugin take a short synchronous fast path.
pub struct Supervisor {
    config: SupervisorConfig,
    plugin_id: Arc<str>,
    /// Start, stop and restart happen under this lock.
    inner: tokio::sync::Mutex<Inner>,
    /// What `state()`, `pid()` and the fast path read without waiting for a start in progress.
    /// Only ever held briefly, never across an await.
    view: Mutex<View>,
    spawn_count: AtomicU64,
    /// `Inner::finished`, readable before waiting for the lock.
    finished_starts: AtomicU64,
    /// Failed starts and early crashes in a row; reset by a successful call or a stable run.
    /// Changed under the view lock; an atomic so that a successful call, which finds it zero
    /// nearly always, takes no lock.
    failures: AtomicU32,
    /// Every state change, for those who wait for one (`watch_state`).
    states: watch::Sender<State>,
    /// Set by `close`: a start in progress gives up at once.
    closing: watch::Sender<bool>,
}

#[derive(Default)]
struct Inner {
    running: Option<Running>,
    /// Number of start attempts so far; identifies the running process.
    generation: u64,
    /// Number of finished start attempts (mirrored in `Supervisor::finished_starts`).
    finished: u64,
    /// Error of the last attempt, if it failed: handed to every caller that waited for it.
    last_failure: Option<Error>,
}

/// A process that completed its handshake.
struct Running {
    /// When the handshake completed.
    since: std::time::Instant,
    process: Process,
    client: PluginClient,
    generation: u64,
}

struct View {
    state: State,
    shut_down: bool,
    pid: Option<u32>,
    /// Exit watch of the current process, if any.
    exit: Option<watch::Receiver<Option<Exited>>>,
    /// Client and generation of the ready process.
    ready: Option<(PluginClient, u64)>,
    /// While set and in the future, starts are refused.
    cooling_until: Option<std::time::Instant>,
    /// The last of those failures, rendered.
    last_failure: String,
}

impl View {
    fn exited(&self) -> bool {
        self.exit.as_ref().is_some_and(|e| e.borrow().is_some())
    }
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
        Arc::new(Self {
            plugin_id: Arc::from(config.plugin_id.as_str()),
            config,
            inner: tokio::sync::Mutex::new(Inner::default()),
            view: Mutex::new(View {
                state: State::Registered,
                shut_down: false,
                pid: None,
                exit: None,
                cooling_until: None,
                last_failure: String::new(),
                ready: None,
            }),
            spawn_count: AtomicU64::new(0),
            finished_starts: AtomicU64::new(0),
            failures: AtomicU32::new(0),
            states: watch::channel(State::Registered).0,
            closing: watch::channel(false).0,
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
    /// [`State::Exited`] at once, before anyone calls it again.
    pub fn state(&self) -> State {
        let view = self.view();
        match view.state {
            State::Ready if view.exited() => State::Exited,
            s => s,
        }
    }

    /// Pid of the running child (also its process group id), if there is one.
    pub fn pid(&self) -> Option<u32> {
        let view = self.view();
        view.pid.filter(|_| !view.exited())
    }

    /// How many processes were ever spawned for this plugin.
    pub fn spawn_count(&self) -> u64 {
        self.spawn_count.load(Ordering::Relaxed)
    }

    /// Waits until the current process exits and returns its exit status, so a host can react
    /// to crashes and idle exits without polling. Returns at once with `None` when no process
    /// is running (or when waiting for it failed).
    pub async fn wait_exit(&self) -> Option<ExitStatus> {
        let mut exit = self.view().exit.clone()?;
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
        let mut inner = self.inner.lock().await;
        self.stop_locked(&mut inner).await
    }

    /// Refuses every later start with [`Error::Stopped`], and makes a start in progress give
    /// up (its process is killed), at once and without waiting. [`shutdown`] does this first.
    ///
    /// [`shutdown`]: Self::shutdown
    pub fn close(&self) {
        self.view().shut_down = true;
        self.closing.send_replace(true);
    }

    /// Every change of [`state`](Self::state) from now on: wait for one instead of asking
    /// again. A process that exits on its own shows in `state()` at once, and here when its
    /// supervisor next acts on it.
    pub fn watch_state(&self) -> watch::Receiver<State> {
        self.states.subscribe()
    }

    /// [`stop`](Self::stop), and refuse every later start with [`Error::Stopped`]; a start in
    /// progress is abandoned rather than waited for.
    pub async fn shutdown(&self) -> Result<()> {
        self.close();
        let mut inner = self.inner.lock().await;
        let result = self.stop_locked(&mut inner).await;
        self.set_state(State::Stopped);
        result
    }

    /// Sets and publishes the state.
    fn set_state(&self, state: State) {
        let mut view = self.view();
        view.state = state;
        self.states.send_replace(state);
    }

    fn view(&self) -> MutexGuard<'_, View> {
        // The view holds plain data; a panic while holding it cannot leave it inconsistent.
        self.view
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn stopped(&self) -> Error {
        Error::Stopped {
            plugin_id: self.plugin_id.to_string(),
        }
    }

    /// Client and generation of a ready process, starting one if needed.
    async fn live(&self) -> Result<(PluginClient, u64)> {
        {
            let view = self.view();
            if view.shut_down {
                return Err(self.stopped());
            }
            if view.state == State::Ready
                && !view.exited()
                && let Some(ready) = &view.ready
            {
                return Ok(ready.clone());
            }
        }
        // A start that finishes while we wait for the lock is ours too.
        let finished_before = self.finished_starts.load(Ordering::Acquire);
        let mut inner = self.inner.lock().await;
        if self.view().shut_down {
            return Err(self.stopped());
        }
        if inner.finished != finished_before
            && let Some(failure) = &inner.last_failure
        {
            // Single flight for failures too: everyone who waited on a failed start gets its
            // error; whoever comes later tries again.
            return Err(failure.duplicate());
        }
        if let Some(running) = &inner.running {
            if !running.process.exited() {
                return Ok((running.client.clone(), running.generation));
            }
            let status = running.process.exit.borrow().and_then(|e| e.0);
            tracing::info!(
                plugin_id = &*self.plugin_id,
                pid = running.process.pid,
                status = status.map(|s| s.to_string()),
                "plugin exited; restarting it"
            );
            if running.since.elapsed() < STABLE_UPTIME {
                let why = match status {
                    Some(status) => format!("exited {status} shortly after starting"),
                    None => "exited shortly after starting".to_owned(),
                };
                self.note_failure(why);
            } else {
                self.note_success();
            }
            inner.running = None;
        }
        if let Some(refusal) = self.cooling_down() {
            return Err(refusal);
        }
        self.start_locked(&mut inner).await
    }

    async fn start_locked(&self, inner: &mut Inner) -> Result<(PluginClient, u64)> {
        inner.generation += 1;
        let generation = inner.generation;
        inner.last_failure = None;
        // If the caller gives up mid-start (its future is dropped), the half-started process is
        // killed by `Process`'s drop and the state must not stay `Starting`.
        let mut guard = CancelledStart(Some(self));
        let result = self.attempt_start(inner, generation).await;
        guard.0 = None;
        inner.finished += 1;
        self.finished_starts
            .store(inner.finished, Ordering::Release);
        result
    }

    async fn attempt_start(
        &self,
        inner: &mut Inner,
        generation: u64,
    ) -> Result<(PluginClient, u64)> {
        {
            let mut view = self.view();
            view.state = State::Starting;
            view.ready = None;
            view.pid = None;
            view.exit = None;
        }
        let started = std::time::Instant::now();
        let (process, startup) = match Process::spawn(&self.plugin_id, &self.config) {
            Ok(spawned) => spawned,
            Err(e) => {
                self.set_state(State::Failed);
                self.note_failure(e.to_string());
                inner.last_failure = Some(e.duplicate());
                return Err(e);
            }
        };
        self.spawn_count.fetch_add(1, Ordering::Relaxed);
        {
            let mut view = self.view();
            view.pid = Some(process.pid);
            view.exit = Some(process.exit.clone());
            // Published once the pid is known.
            self.states.send_replace(view.state);
        }
        let mut closing = self.closing.subscribe();
        let handshake = process.handshake(
            startup,
            self.config.start_timeout,
            self.config.credentials_form,
        );
        let outcome = tokio::select! {
            outcome = handshake => outcome,
            _ = closing.wait_for(|closing| *closing) => Err(self.stopped()),
        };
        match outcome {
            Ok(client) => {
                tracing::info!(
                    plugin_id = &*self.plugin_id,
                    pid = process.pid,
                    endpoint = %client.endpoint(),
                    elapsed = ?started.elapsed(),
                    "plugin started"
                );
                {
                    let mut view = self.view();
                    view.state = State::Ready;
                    view.ready = Some((client.clone(), generation));
                    self.states.send_replace(view.state);
                }
                inner.running = Some(Running {
                    since: std::time::Instant::now(),
                    process,
                    client: client.clone(),
                    generation,
                });
                Ok((client, generation))
            }
            Err(e) => {
                let abandoned = matches!(e, Error::Stopped { .. });
                if abandoned {
                    tracing::info!(
                        plugin_id = &*self.plugin_id,
                        pid = process.pid,
                        "start abandoned: the supervisor was closed"
                    );
                } else {
                    tracing::warn!(plugin_id = &*self.plugin_id, error = %e, "plugin failed to start");
                }
                let mut exit = process.exit.clone();
                drop(process);
                if abandoned {
                    // Killed on drop; reaped before the lock is released, so that the shutdown
                    // waiting for it leaves no process behind.
                    let _ =
                        tokio::time::timeout(ABANDON_REAP, exit.wait_for(Option::is_some)).await;
                }
                {
                    let mut view = self.view();
                    view.state = State::Failed;
                    view.pid = None;
                    self.states.send_replace(view.state);
                }
                if !abandoned {
                    self.note_failure(e.to_string());
                }
                inner.last_failure = Some(e.duplicate());
                Err(e)
            }
        }
    }

    async fn stop_locked(&self, inner: &mut Inner) -> Result<()> {
        let Some(running) = inner.running.take() else {
            return Ok(());
        };
        {
            let mut view = self.view();
            view.state = State::Stopping;
            view.ready = None;
            self.states.send_replace(view.state);
        }
        let result = running.process.terminate(self.config.stop_grace).await;
        drop(running);
        let mut view = self.view();
        view.state = State::Stopped;
        view.pid = None;
        view.exit = None;
        self.states.send_replace(view.state);
        result
    }

    /// Forgets the process of `generation` after a connection failure: it is stopped (it may
    /// still be alive but not listening) and the next use starts a new one. A newer process,
    /// started meanwhile by another caller, is left alone.
    async fn discard(&self, generation: u64) {
        let mut inner = self.inner.lock().await;
        let Some(running) = inner.running.take_if(|r| r.generation == generation) else {
            return;
        };
        {
            let mut view = self.view();
            view.state = State::Exited;
            view.ready = None;
            self.states.send_replace(view.state);
        }
        if let Err(e) = running.process.terminate(self.config.stop_grace).await {
            tracing::warn!(plugin_id = &*self.plugin_id, error = %e, "stopping an unreachable plugin failed");
        }
        drop(running);
        let mut view = self.view();
        view.pid = None;
        view.exit = None;
    }

    /// Exit watch of the ready process of `generation`, if it is still the current one.
    fn exit_watch(&self, generation: u64) -> Option<watch::Receiver<Option<Exited>>> {
        let view = self.view();
        match &view.ready {
            Some((_, g)) if *g == generation => view.exit.clone(),
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
                    self.note_success();
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

impl Supervisor {
    /// Counts a failed start or early crash; opens the breaker at the limit, for a cool-down
    /// that doubles with every further failure.
    fn note_failure(&self, why: String) {
        let mut view = self.view();
        let failures = self.failures.load(Ordering::Acquire).saturating_add(1);
        self.failures.store(failures, Ordering::Release);
        let limit = self.config.restart_limit.max(1);
        if failures >= limit {
            let doublings = (failures - limit).min(16);
            let cooldown = self
                .config
                .restart_cooldown
                .saturating_mul(1 << doublings)
                .min(SupervisorConfig::MAX_COOLDOWN);
            view.cooling_until = Some(std::time::Instant::now() + cooldown);
            tracing::warn!(
                plugin_id = &*self.plugin_id,
                failures,
                ?cooldown,
                last = %why,
                "plugin keeps failing; refusing to start it during a cool-down"
            );
        }
        view.last_failure = why;
    }

    /// A successful call (or a stable run) closes the breaker.
    fn note_success(&self) {
        if self.failures.load(Ordering::Acquire) != 0 {
            let mut view = self.view();
            self.failures.store(0, Ordering::Release);
            view.cooling_until = None;
        }
    }

    /// The refusal while the breaker is open.
    fn cooling_down(&self) -> Option<Error> {
        let view = self.view();
        let until = view.cooling_until?;
        let retry_in = until.checked_duration_since(std::time::Instant::now())?;
        Some(Error::CoolingDown {
            plugin_id: self.plugin_id.to_string(),
            failures: self.failures.load(Ordering::Acquire),
            retry_in,
            last: view.last_failure.clone(),
        })
    }
}

/// Marks the state `Failed` when dropped while still armed.
struct CancelledStart<'a>(Option<&'a Supervisor>);

impl Drop for CancelledStart<'_> {
    fn drop(&mut self) {
        if let Some(sup) = self.0 {
            let mut view = sup.view();
            view.state = State::Failed;
            view.pid = None;
            view.ready = None;
            sup.states.send_replace(view.state);
        }
    }
}

#[cfg(test)]
mod tests;
