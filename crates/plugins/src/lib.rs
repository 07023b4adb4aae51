//! Everything about one external OCM plugin process.
//!
//! A plugin is a separate binary that speaks JSON over HTTP/1.1 on a Unix socket (or TCP on
//! loopback) and is wire-compatible with the Go implementation (see
//! `shared/spec/ocm-plugin-protocol.md`). This crate provides the pieces a manager needs for
//! one such binary:
//!
//! * [`probe_capabilities`]: run `<plugin> capabilities` with a deadline and parse the answer;
//! * [`Supervisor`]: start the plugin on first use (`--config <json>`, location line, one
//!   `/healthz`), drain its stdout and stderr for its whole life, forward its stderr logs to
//!   `tracing`, notice its exit at once, restart it on the next use, and stop it cleanly
//!   (SIGTERM to its process group, deadline, SIGKILL, reap);
//! * [`PluginClient`]: a pooled HTTP client that sends requests exactly as the Go manager does
//!   (headers, `Authorization` JSON, Go query encoding) and maps answers to [`Error`]s;
//! * [`SchemaValidator`]: a plugin's JSON schema compiled once;
//! * [`parse_location_line`] and [`forward_log_line`], the small parsers behind them.
//!
//! Routes come from `ocm_plugin_endpoints`; this crate never spells a protocol path.
//!
//! # Example
//!
//! ```no_run
//! use std::time::Duration;
//! use ocm_plugin_endpoints::component_version_repository as cvr;
//! use ocm_plugin_runtime::{Supervisor, SupervisorConfig, probe_capabilities};
//! use ocm_plugin_types::{ConnectionType, Credentials, PluginConfig};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let path = std::path::Path::new("/plugins/my-plugin");
//! let caps = probe_capabilities("my-plugin", path, Duration::from_secs(10)).await?;
//! println!("{} capabilities", caps.capabilities.len());
//!
//! let config = PluginConfig {
//!     id: format!("my-plugin-{}", std::process::id()),
//!     connection: ConnectionType::Unix,
//!     plugin_type: "componentVersionRepository".into(),
//!     idle_timeout: Some(Duration::from_secs(3600)),
//!     config_types: Vec::new(),
//! };
//! let plugin = Supervisor::new(SupervisorConfig::new("my-plugin", path, config));
//! let credentials = Credentials::from([("username", "u")]);
//! // Starts the plugin (once, however many callers), then calls it.
//! let versions: Option<Vec<String>> = plugin
//!     .call_json(&cvr::LIST_COMPONENT_VERSIONS, &[("name", "acme.org/app")], Some(&credentials), None)
//!     .await?;
//! println!("{versions:?}");
//! plugin.shutdown().await?;
//! # Ok(())
//! # }
//! ```

mod capabilities;
mod client;
mod error;
mod executable;
mod host_tie;
mod location;
mod logs;
mod process;
mod process_group;
mod supervisor;
mod watchdog;

pub use capabilities::{probe_capabilities, probe_capabilities_document, probe_executable};
pub use client::{CredentialsForm, PluginClient};
pub use error::{Error, Result};
pub use executable::Executable;
pub use host_tie::NO_PIDFD_ENV;
pub use location::{Endpoint, parse_location_line};
pub use logs::{PLUGIN_LOG_TARGET, forward_log_line, map_level};
pub use ocm_plugin_endpoints::{
    CREDENTIALS_ENV, Problem as SchemaProblem, SchemaError, SchemaValidator,
};
pub use process_group::group_alive as process_group_alive;
pub use supervisor::{State, Supervisor, SupervisorConfig};
