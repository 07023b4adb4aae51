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
//! when the [`Blob`] is dropped; otherwise it is only read. Files the host puts into requests
//! ([`PluginManager::request_file`]) are deleted after use.
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
//!
//! # What the API holds
//!
//! A host needs the manager, its registries and their handles, the contract traits and wire
//! types ([`contracts`], [`types`]), blobs, errors, and a [`PluginHandle`] per plugin. The
//! process supervisor, the pending-registration gate and raw calls that skip validation are
//! not part of it; the `internals` feature exposes them (as `PluginHandle::supervisor` and the
//! `runtime` and `registries_internals` modules) for benchmarks and protocol tests.

mod cache;
mod config;
mod discovery;
mod error;
mod handle;
mod host_dir;
mod manager;
mod permissions;
mod report;
pub mod signing;
mod trust;

pub use cache::CapabilityCache;
pub use config::{RegistrationOptions, flatten_generic_config};
pub use error::{Error, Result};
pub use handle::PluginHandle;
pub use manager::{PluginManager, Registration};
pub use report::{Candidate, Exposure, Outcome, RegistrationReport, Rejection, Skip, TrustState};
pub use trust::Trust;

pub use ocm_plugin_contracts as contracts;
pub use ocm_plugin_types as types;

/// What a registry look-up or a blob operation can fail with; [`RegistryError::kind`] classifies it.
pub use ocm_plugin_registries::Error as RegistryError;
/// Blobs that travel between the host and plugins as files; see the module docs of the crate
/// for who deletes them.
pub use ocm_plugin_registries::{Blob, BlobReader, RequestFile};
/// Where the `ocm-plugin` CLI reads credentials from; the manager never passes it on to a plugin.
pub use ocm_plugin_runtime::CREDENTIALS_ENV;
/// What starting, calling or stopping a plugin process can fail with.
pub use ocm_plugin_runtime::Error as ProcessError;
/// A plugin's lifecycle state and where it listens.
pub use ocm_plugin_runtime::{Endpoint, State};
/// Why a plugin's JSON schema does not compile, or a spec does not match it.
pub use ocm_plugin_runtime::{SchemaError, SchemaProblem};

/// Runs `<path> capabilities` as registration does (own process group, listed with the
/// watchdog, stderr forwarded to `tracing`, killed at `timeout`) and returns the parsed document
/// with its bytes exactly as printed: to inspect a plugin binary before it is installed or
/// published, without registering it.
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let (capabilities, _printed) = ocm_plugin_manager::probe_plugin(
///     "hello",
///     std::path::Path::new("target/release/hello"),
///     std::time::Duration::from_secs(10),
/// )
/// .await?;
/// println!("{} capabilities", capabilities.capabilities.len());
/// # Ok(()) }
/// ```
pub async fn probe_plugin(
    plugin_id: &str,
    path: &std::path::Path,
    timeout: std::time::Duration,
) -> std::result::Result<(types::PluginCapabilities, Vec<u8>), ProcessError> {
    ocm_plugin_runtime::probe_capabilities_document(plugin_id, path, timeout).await
}

/// A plugin that declares `credentialPlugin` breaks the released OCM CLI 0.13 that shares its
/// plugin directory: registration and `ocm-plugin install` warn with this text.
pub const CREDENTIAL_PLUGIN_WARNING: &str = "declares the credentialPlugin capability: the released \
OCM CLI 0.13 (Go plugin manager v0.0.17) fails every command, `ocm version` included, with \
`unsupported type: credentialPlugin` while such a plugin is in its plugin directory; keep it out \
of OCM 0.13's plugin directory (install it into a separate --plugin-dir) or use OCM's newer CLI \
(the bindings/go generation), which knows the kind";

/// The registry of each capability kind, as returned by the manager's accessors, with what its
/// `list` answers.
pub mod registry {
    pub use ocm_plugin_registries::blob_transformer::Registry as BlobTransformers;
    pub use ocm_plugin_registries::component_lister::Registry as ComponentListers;
    pub use ocm_plugin_registries::component_version_repository::Provider;
    pub use ocm_plugin_registries::component_version_repository::Registry as ComponentVersionRepositories;
    pub use ocm_plugin_registries::credential_plugin::Registry as CredentialPlugins;
    pub use ocm_plugin_registries::credential_repository::Registry as CredentialRepositories;
    pub use ocm_plugin_registries::digest_processor::Registry as DigestProcessors;
    pub use ocm_plugin_registries::input::Registry as InputMethods;
    pub use ocm_plugin_registries::resource_repository::Registry as ResourceRepositories;
    pub use ocm_plugin_registries::signing_handler::Registry as SigningHandlers;
}

/// The registries crate whole (external plugin registration, the pending gate).
#[cfg(feature = "internals")]
pub use ocm_plugin_registries as registries_internals;
/// The process layer (supervisor, raw client, probe), for benchmarks and protocol tests.
#[cfg(feature = "internals")]
pub use ocm_plugin_runtime as runtime;
