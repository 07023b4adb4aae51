//! Shipping OCM plugins as component versions: publish plugin binaries, install them verified,
//! keep a lock file of what a plugin directory holds, and find plugins in plugin registries.
//!
//! The layout is OCM's, so OCM's Go CLI (`ocm download plugin <repo>//<component>:<version>`)
//! installs what [`publish()`] writes, and [`install()`] installs what OCM's Go tooling wrote:
//!
//! * one resource per binary, type `ocmPlugin`, name = the plugin's name, version = the
//!   component version, `extraIdentity` `{"os","architecture"}` with Go's names ([`Platform`]),
//!   a local blob with a SHA-256 `genericBlobDigest/v1` digest;
//! * a `plugin-metadata` resource ([`publish::PluginMetadata`]: description and capabilities
//!   document), so that [`registry::search`] reads no binary.
//!
//! [`install()`] chooses the resource as OCM does ([`select::select_plugin_resource`]), verifies
//! the signature when asked, checks size and SHA-256 before anything lands, probes
//! `capabilities` from a private temporary file, and renames it into place under OCM's file
//! name (the last element of the component name), recording it in the directory's
//! [lock file](lockfile). Every repository and signing operation goes through the plugins a
//! [`PluginManager`](ocm_plugin_manager::PluginManager) has registered: any component version
//! repository plugin (an OCI registry, a directory) and any signing handler.
//!
//! # Example
//!
//! ```no_run
//! use ocm_plugin_distribution::{InstallOptions, Reference, install};
//! use ocm_plugin_manager::{PluginManager, RegistrationOptions};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let manager = PluginManager::new()?;
//! // The plugins that reach the repository (oci-repository) and verify (rsa-signing-handler).
//! manager.register_plugins("/usr/lib/ocm/plugins", RegistrationOptions::default()).await?;
//! let reference: Reference = "http://127.0.0.1:5000//acme.org/plugins/hello".parse()?;
//! let report = install(&manager, &reference, &InstallOptions::new("/home/me/.config/ocm/plugins")).await?;
//! println!("{} {:?} sha256:{}", report.path.display(), report.change, report.entry.sha256);
//! for warning in &report.warnings {
//!     eprintln!("warning: {warning}");
//! }
//! manager.shutdown().await?;
//! # Ok(()) }
//! ```

mod error;
pub mod install;
pub use ocm_plugin_lockfile as lockfile;
mod platform;
pub mod publish;
pub mod reference;
pub mod registry;
pub mod select;

pub use error::{Error, Result};
pub use install::{
    Change, InstallOptions, InstallReport, VerifyWith, install, install_locked, require_signature,
    trust, uninstall,
};
pub use lockfile::{LockEntry, LockFile};
pub use platform::{Platform, go_arch, go_os};
pub use publish::{PublishReport, PublishRequest, publish};
pub use reference::Reference;

/// OCM's default plugin directory, `$HOME/.config/ocm/plugins`, where OCM's Go CLI looks.
pub fn default_plugin_dir() -> Option<std::path::PathBuf> {
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(|h| std::path::Path::new(&h).join(".config/ocm/plugins"))
}
