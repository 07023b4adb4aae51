//! Starting a served plugin: `<path> --config <json>` as a [`PluginProcess`] with a lifeline,
//! its stdout drained for the location line, then one `/healthz`.

use std::ffi::OsStr;
use std::sync::Arc;
use std::time::Duration;

use tokio::process::ChildStdout;
use tokio::sync::{oneshot, watch};
use tokio::time::Instant;

use super::SupervisorConfig;
use crate::logs::{LineReader, PLUGIN_LOG_TARGET};
use crate::process::{Exited, PluginProcess, SpawnOptions, Spawned, Stdin, some_value};
use crate::{CredentialsForm, Endpoint, Error, PluginClient, Result, parse_location_line};
use ocm_plugin_endpoints::{CREDENTIALS_ENV, LAUNCH_TOKEN_ENV};
use ocm_plugin_types::ConnectionType;

/// How long a failed health check waits for the process's exit to be reported, so that a
/// plugin that died right after its location line is reported by its exit status.
const EXIT_NOTICE: Duration = Duration::from_millis(500);

/// What the handshake is waiting on.
pub(super) struct Startup {
    /// The secret the plugin was launched with (TCP only).
    launch_token: Option<String>,
    /// First location line on stdout; dropped without a value at stdout EOF.
    location: oneshot::Receiver<Endpoint>,
    /// First location line on stderr (Go reads stderr after stdout closed, W8).
    stderr_location: Option<watch::Receiver<Option<Endpoint>>>,
}

/// Spawns `<path> --config <json>` with the lifeline as stdin, its secrets removed from the
/// inherited environment, and both output pipes drained from this moment on for the whole life
/// of the process.
pub(super) fn spawn(
    plugin_id: &Arc<str>,
    config: &SupervisorConfig,
) -> Result<(PluginProcess, Startup)> {
    let json = serde_json::to_string(&config.config).map_err(|e| Error::Spawn {
        plugin_id: plugin_id.to_string(),
        path: config.path.clone(),
        cause: Arc::new(std::io::Error::new(std::io::ErrorKind::InvalidInput, e)),
    })?;
    let options = SpawnOptions {
        stdin: Stdin::Lifeline,
        env: &config.env,
        // Secrets of the host's own environment are not the plugin's business (the lifeline
        // variable and the launch token are always set afresh).
        env_remove: &[CREDENTIALS_ENV, LAUNCH_TOKEN_ENV],
        // On TCP anyone on the machine can connect: an SDK plugin refuses requests without
        // this per-launch secret.
        launch_token: config.config.connection == ConnectionType::Tcp,
        stderr_location: true,
        executable: config.executable.as_ref(),
    };
    let args = [OsStr::new("--config"), OsStr::new(&json)];
    let Spawned {
        process,
        stdout,
        launch_token,
        stderr_location,
    } = PluginProcess::spawn(plugin_id, &config.path, args, options)?;
    let (loc_tx, location) = oneshot::channel();
    if let Some(stdout) = stdout {
        tokio::spawn(drain_stdout(Arc::clone(plugin_id), stdout, loc_tx));
    }
    Ok((
        process,
        Startup {
            launch_token,
            location,
            stderr_location,
        },
    ))
}

/// Waits for the location line and a `200` from `/healthz`, failing fast when the process
/// exits and at `start_timeout` (the process is then killed). Nothing here sleeps or polls:
/// every wait is on an event (a line, the exit, the answer) or on the deadline.
pub(super) async fn handshake(
    process: &PluginProcess,
    startup: Startup,
    start_timeout: Duration,
    credentials_form: CredentialsForm,
) -> Result<PluginClient> {
    let deadline = Instant::now() + start_timeout;
    let plugin_id = process.plugin_id();
    let Startup {
        launch_token,
        mut location,
        stderr_location,
    } = startup;
    let (mut stderr_location, mut stderr_open) = match stderr_location {
        Some(rx) => (rx, true),
        None => (watch::channel(None).1, false),
    };
    let mut exit = process.exit();
    let mut stdout_open = true;
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
            exited = some_value(&mut exit) => return Err(exited_error(process, exited).await),
            () = tokio::time::sleep_until(deadline) => {
                return Err(timeout_error(process, start_timeout, "no location line").await);
            }
        }
    };
    tracing::debug!(plugin_id = &**plugin_id, pid = process.pid(), %endpoint, "plugin printed its location");

    let client = PluginClient::with_launch_token(
        plugin_id,
        endpoint,
        credentials_form,
        launch_token.as_deref(),
    );
    tokio::select! {
        biased;
        r = client.health() => match r {
            Ok(()) => Ok(client),
            Err(e) => {
                // A plugin that died right after printing its location is best described by
                // its exit, which the reaper may report a moment after the refused connection:
                // wait for it briefly (an event with a deadline).
                if let Ok(Some(exited)) = tokio::time::timeout(EXIT_NOTICE, process.wait()).await {
                    return Err(exited_error(process, Some(exited)).await);
                }
                process.kill().await;
                Err(Error::Health {
                    plugin_id: plugin_id.to_string(),
                    message: e.to_string(),
                    stderr_tail: process.tail().await,
                })
            }
        },
        exited = some_value(&mut exit) => Err(exited_error(process, exited).await),
        () = tokio::time::sleep_until(deadline) => {
            Err(timeout_error(process, start_timeout, "no /healthz answer").await)
        }
    }
}

async fn exited_error(process: &PluginProcess, exited: Option<Exited>) -> Error {
    Error::ExitedBeforeReady {
        plugin_id: process.plugin_id().to_string(),
        status: exited.and_then(|e| e.0),
        stderr_tail: process.tail().await,
    }
}

async fn timeout_error(process: &PluginProcess, timeout: Duration, phase: &'static str) -> Error {
    process.kill().await;
    Error::StartTimeout {
        plugin_id: process.plugin_id().to_string(),
        timeout,
        phase,
        stderr_tail: process.tail().await,
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
