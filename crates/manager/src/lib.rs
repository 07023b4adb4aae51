//! The OCM plugin manager, the entry point for host integrators.
//!
//! [`PluginManager::register_plugins`] walks a plugin directory, runs the `capabilities`
//! subcommand of every candidate that is not in the [`CapabilityCache`] (new or changed
//! binaries, in parallel with a bound), and registers what each declared in the
//! per-capability registries; [`PluginManager::start_registration`] does the same without
//! waiting for the probes, so a call to a cached plugin never waits for another plugin's probe.
//! Nothing is started yet: a plugin process is spawned on the first
//! request for one of its types, supervised (a crashed or idled-out plugin is restarted on the
//! next use) and stopped by [`PluginManager::shutdown`], which also removes every temporary file
//! the manager and its plugins created.
//!
//! One bad plugin never prevents the others from registering: each candidate's outcome is in
//! the returned [`RegistrationReport`].
//!
//! Each capability has its registry: [`component_version_repositories`],
//! [`credential_repositories`] (by repository config type and by consumer identity type),
//! [`input_methods`], [`digest_processors`], [`resource_repositories`] and [`blob_transformers`]. A
//! plugin that declares several capabilities runs as one supervised process shared by all of
//! them.
//!
//! Blobs travel as files. A location a plugin answers with is read through
//! [`PluginManager::blob`]: if it lies in the manager's temp dir it is handed over and deleted
//! when the [`Blob`](registries::Blob) is dropped; otherwise it is only read. Files the host
//! puts into requests ([`PluginManager::request_file`]) are deleted after use. See
//! [`registries::blob`] for the rule.
//!
//! [`component_version_repositories`]: PluginManager::component_version_repositories
//! [`credential_repositories`]: PluginManager::credential_repositories
//! [`input_methods`]: PluginManager::input_methods
//! [`digest_processors`]: PluginManager::digest_processors
//! [`resource_repositories`]: PluginManager::resource_repositories
//! [`blob_transformers`]: PluginManager::blob_transformers
//!
//! # Example
//!
//! ```no_run
//! use ocm_plugin_manager::{PluginManager, RegistrationOptions};
//! // One dependency: the contracts and wire types come re-exported.
//! use ocm_plugin_manager::contracts::component_version_repository::v1::GetComponentVersionRequest;
//! use ocm_plugin_manager::types::{Credentials, Raw};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let manager = PluginManager::new()?;
//! let report = manager.register_plugins("/usr/lib/ocm/plugins", RegistrationOptions::default()).await?;
//! for rejected in report.rejected() {
//!     eprintln!("{}: {}", rejected.path.display(), rejected.outcome);
//! }
//!
//! let spec = Raw::from_json(r#"{"type":"DirectoryRepository/v1","path":"/srv/ocm"}"#)?;
//! let repo = manager.component_version_repositories().get(&spec).await?; // starts the plugin
//! let descriptor = repo
//!     .get_component_version(
//!         GetComponentVersionRequest { repository: None, name: "acme.org/app".into(), version: "1.0.0".into() },
//!         &Credentials::new(),
//!     )
//!     .await?;
//! println!("{}", descriptor.component.provider);
//! manager.shutdown().await?;
//! # Ok(()) }
//! ```

mod cache;
mod config;
mod discovery;
mod error;
mod host_dir;
mod manager;
mod report;
pub mod signing;

pub use cache::CapabilityCache;
pub use config::{RegistrationOptions, flatten_generic_config};
pub use error::{Error, Result};
pub use manager::{PluginManager, Registration};
pub use report::{Candidate, Outcome, RegistrationReport};

pub use ocm_plugin_contracts as contracts;
pub use ocm_plugin_registries as registries;
pub use ocm_plugin_runtime as runtime;
pub use ocm_plugin_types as types;
