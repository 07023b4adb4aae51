use std::path::PathBuf;
use std::process::ExitStatus;
use std::sync::Arc;
use std::time::Duration;

/// Result alias of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong with one external plugin process.
///
/// Every variant names the plugin and, where it applies, the operation, the exit status and the
/// last lines the plugin wrote to stderr. Messages are self-contained and follow the Go manager's
/// wording where tests and users grep for it (`plugin returned status code …`, `failed to send
/// request to plugin: …`, `failed to decode response from plugin: …`). The underlying error is
/// also kept as [`std::error::Error::source`], so a host can inspect it (an `io::Error`'s kind,
/// say); a chain printer should skip a cause whose text the message already holds, as the
/// `ocm-plugin` CLI does.
///
/// `Clone`, so that one failed start can be handed to every caller that waited for it and kept
/// as [`Supervisor::last_failure`](crate::Supervisor::last_failure): causes that are not
/// `Clone` themselves are shared in an [`Arc`].
#[non_exhaustive]
#[derive(Debug, Clone, thiserror::Error)]
pub enum Error {
    /// The plugin binary could not be executed (missing, not executable, bad format…).
    #[error("failed to start plugin {plugin_id} ({}): {cause}", path.display())]
    Spawn {
        /// Display id of the plugin.
        plugin_id: String,
        /// The binary.
        path: PathBuf,
        /// Why the process could not be created.
        #[source]
        cause: Arc<std::io::Error>,
    },

    /// `<plugin> capabilities` failed: bad exit, timeout, or stdout that is not exactly one
    /// capabilities JSON document.
    #[error("plugin {plugin_id}: capabilities probe failed: {reason}{}{}", fmt_status(status.as_ref()), fmt_tail(stderr_tail))]
    Capabilities {
        /// Display id of the plugin.
        plugin_id: String,
        /// What went wrong.
        reason: String,
        /// Exit status, when the process exited by itself.
        status: Option<ExitStatus>,
        /// Last lines of stderr (newline separated, may be empty).
        stderr_tail: String,
    },

    /// The plugin exited before it printed a location line and answered `/healthz`.
    #[error("plugin {plugin_id} exited before it was ready ({}){}", fmt_exit(status.as_ref()), fmt_tail(stderr_tail))]
    ExitedBeforeReady {
        /// Display id of the plugin.
        plugin_id: String,
        /// Exit status (`None` if waiting for the process failed).
        status: Option<ExitStatus>,
        /// Last lines of stderr.
        stderr_tail: String,
    },

    /// A ready plugin exited on its own shortly after it started (it counts as a failed start
    /// for the restart cool-down). Reported by [`Supervisor::last_failure`] and in
    /// [`Error::CoolingDown`], never by a call.
    ///
    /// [`Supervisor::last_failure`]: crate::Supervisor::last_failure
    #[error("plugin {plugin_id} exited shortly after starting ({})", fmt_exit(status.as_ref()))]
    ExitedEarly {
        /// Display id of the plugin.
        plugin_id: String,
        /// Exit status (`None` if waiting for the process failed).
        status: Option<ExitStatus>,
    },

    /// The plugin neither became ready nor exited within the start timeout; it was killed.
    #[error(
        "plugin {plugin_id}: timed out waiting for server to start after {timeout:?} ({phase}){}",
        fmt_tail(stderr_tail)
    )]
    StartTimeout {
        /// Display id of the plugin.
        plugin_id: String,
        /// The deadline that passed.
        timeout: Duration,
        /// What was awaited: `no location line` or `no /healthz answer`.
        phase: &'static str,
        /// Last lines of stderr.
        stderr_tail: String,
    },

    /// The plugin printed its location but `/healthz` did not answer 200.
    #[error(
        "plugin {plugin_id}: health check failed: {message}{}",
        fmt_tail(stderr_tail)
    )]
    Health {
        /// Display id of the plugin.
        plugin_id: String,
        /// The failure of the health call.
        message: String,
        /// Last lines of stderr.
        stderr_tail: String,
    },

    /// The request never reached the plugin: dialling the socket or port failed. Safe to retry
    /// after a restart.
    #[error("plugin {plugin_id} {operation}: failed to send request to plugin: {message}")]
    Connect {
        /// Display id of the plugin.
        plugin_id: String,
        /// Operation of the route.
        operation: String,
        /// The connection error with its causes.
        message: String,
    },

    /// The request failed after a connection was made (reset, closed, malformed answer…). Not
    /// retried: the plugin may have acted on it.
    #[error("plugin {plugin_id} {operation}: failed to send request to plugin: {message}")]
    Transport {
        /// Display id of the plugin.
        plugin_id: String,
        /// Operation of the route.
        operation: String,
        /// The transport error with its causes.
        message: String,
    },

    /// The plugin answered with a status other than 200. `body` is its (text) error body.
    #[error("plugin {plugin_id} {operation}: {}", fmt_status_code(*status, body))]
    Status {
        /// Display id of the plugin.
        plugin_id: String,
        /// Operation of the route.
        operation: String,
        /// HTTP status code.
        status: u16,
        /// Response body, verbatim (lossy UTF-8).
        body: String,
    },

    /// A 200 body was not the expected JSON.
    #[error("plugin {plugin_id} {operation}: failed to decode response from plugin: {cause}")]
    Decode {
        /// Display id of the plugin.
        plugin_id: String,
        /// Operation of the route.
        operation: String,
        /// The JSON error.
        #[source]
        cause: Arc<serde_json::Error>,
    },

    /// A 200 answer had an empty body where a JSON result was expected.
    #[error(
        "plugin {plugin_id} {operation}: failed to decode response from plugin: EOF (empty response body)"
    )]
    EmptyBody {
        /// Display id of the plugin.
        plugin_id: String,
        /// Operation of the route.
        operation: String,
    },

    /// A spec did not satisfy the plugin's JSON schema; nothing was sent.
    #[error("validation of plugin {plugin_id:?} failed for {operation}: {message}")]
    Validation {
        /// Display id of the plugin.
        plugin_id: String,
        /// Operation of the route.
        operation: String,
        /// Every failing instance path with its error.
        message: String,
    },

    /// A schema declared by the plugin could not be compiled.
    #[error("plugin {plugin_id}: invalid JSON schema: {message}")]
    Schema {
        /// Display id of the plugin.
        plugin_id: String,
        /// Why the schema is unusable.
        message: String,
    },

    /// A call got no answer within the call deadline. The plugin keeps running; the request may
    /// or may not have taken effect.
    #[error("plugin {plugin_id}: {operation} got no answer within {}s", timeout.as_secs_f64())]
    CallTimeout {
        /// Display id of the plugin.
        plugin_id: String,
        /// The operation.
        operation: String,
        /// The deadline.
        timeout: Duration,
    },

    /// The plugin failed to start or crashed right after starting several times in a row; it
    /// is not spawned again until the cool-down ends (a circuit breaker, so that a broken plugin
    /// costs each caller nothing instead of a spawn loop).
    #[error(
        "plugin {plugin_id}: not restarted for another {}s after {failures} failures in a row; last: {last}",
        retry_in.as_secs_f64().ceil()
    )]
    CoolingDown {
        /// Display id of the plugin.
        plugin_id: String,
        /// Consecutive failed starts or early crashes.
        failures: u32,
        /// Time until the next start attempt is allowed.
        retry_in: Duration,
        /// The last failure, rendered.
        last: String,
    },

    /// The supervisor was shut down; the plugin is not started again.
    #[error("plugin {plugin_id}: the plugin manager was shut down")]
    Stopped {
        /// Display id of the plugin.
        plugin_id: String,
    },

    /// Some other I/O failure around the plugin process (signalling, reading its pipes).
    #[error("plugin {plugin_id}: {context}: {cause}")]
    Io {
        /// Display id of the plugin.
        plugin_id: String,
        /// What was being done.
        context: String,
        /// The I/O error.
        #[source]
        cause: Arc<std::io::Error>,
    },
}

impl Error {
    /// `true` when the request was never sent because no connection could be made: the plugin
    /// is gone or not listening, so restarting it and retrying once is safe.
    pub fn is_connect(&self) -> bool {
        matches!(self, Self::Connect { .. })
    }

    /// The HTTP status of a non-200 answer.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The display id of the plugin the error is about.
    pub fn plugin_id(&self) -> &str {
        match self {
            Self::Spawn { plugin_id, .. }
            | Self::Capabilities { plugin_id, .. }
            | Self::ExitedBeforeReady { plugin_id, .. }
            | Self::ExitedEarly { plugin_id, .. }
            | Self::StartTimeout { plugin_id, .. }
            | Self::Health { plugin_id, .. }
            | Self::Connect { plugin_id, .. }
            | Self::Transport { plugin_id, .. }
            | Self::Status { plugin_id, .. }
            | Self::Decode { plugin_id, .. }
            | Self::EmptyBody { plugin_id, .. }
            | Self::Validation { plugin_id, .. }
            | Self::Schema { plugin_id, .. }
            | Self::Stopped { plugin_id }
            | Self::CallTimeout { plugin_id, .. }
            | Self::CoolingDown { plugin_id, .. }
            | Self::Io { plugin_id, .. } => plugin_id,
        }
    }
}

fn fmt_status_code(status: u16, body: &str) -> String {
    if body.is_empty() {
        format!("plugin returned status code: {status} (no details were given)")
    } else {
        format!("plugin returned status code {status}: additional information: {body}")
    }
}

fn fmt_exit(status: Option<&ExitStatus>) -> String {
    status.map_or_else(|| "unknown exit status".to_owned(), ToString::to_string)
}

fn fmt_status(status: Option<&ExitStatus>) -> String {
    status.map(|s| format!(" ({s})")).unwrap_or_default()
}

fn fmt_tail(tail: &str) -> String {
    if tail.is_empty() {
        String::new()
    } else {
        format!("; stderr:\n{tail}")
    }
}

/// Renders an error and its causes as `a: b: c`, skipping causes whose text is already part of
/// the text before (hyper repeats inner messages in some wrappers).
pub(crate) fn render_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut out = err.to_string();
    let mut next = err.source();
    while let Some(e) = next {
        let s = e.to_string();
        if !out.contains(&s) {
            out.push_str(": ");
            out.push_str(&s);
        }
        next = e.source();
    }
    out
}
