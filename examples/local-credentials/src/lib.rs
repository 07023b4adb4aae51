//! An example OCM plugin: a **credential plugin** (`credentialPlugin`, the `bindings/go`
//! generation, spec §10.3) that resolves credentials kept on the machine the plugin runs on,
//! from environment variables or from a credentials file.
//!
//! All logic lives in this library; the `local-credentials` binary only calls [`main`].
//!
//! # Types
//!
//! **[`ENVIRONMENT_TYPE`]** (`EnvironmentCredentials/v1`, [`EnvironmentSpec`]): every
//! environment variable of the plugin whose name starts with `prefix` is one property; the rest
//! of the name, lower camel case, is the property's name (`ACME_REGISTRY_USERNAME` with prefix
//! `ACME_REGISTRY_` is `username`, `..._ACCESS_TOKEN` is `accessToken`). The prefix must match
//! `^[A-Za-z_][A-Za-z0-9_]*$`.
//!
//! ```json
//! {"type":"EnvironmentCredentials/v1","prefix":"ACME_REGISTRY_"}
//! ```
//!
//! **[`FILE_TYPE`]** (`CredentialsFile/v1`, [`FileSpec`]): entry `entry` of a JSON file mapping
//! entry names to string properties, `{"registry":{"username":"u","password":"p"}}`. The path
//! must be absolute (or start with `~/`), and the file must not be readable by group or others
//! (mode `0600`, like an SSH key): a file anyone may read is refused instead of used.
//!
//! ```json
//! {"type":"CredentialsFile/v1","path":"/home/me/.ocm/credentials.json","entry":"registry"}
//! ```
//!
//! The JSON schemas (draft 2020-12) are derived from the spec types; they allow no other
//! properties and require non-empty strings. The SDK checks every spec against its schema
//! before the plugin sees it; the plugin then refuses a relative `path`.
//!
//! # Behaviour
//!
//! * **consumer identity**: `{"type":"EnvironmentCredentials","prefix":…}` or
//!   `{"type":"CredentialsFile","path":…,"entry":…}`: the spec without its version, which is how
//!   [`resolve`](ocm_plugin_sdk::credential_plugin::CredentialPlugin::resolve) finds
//!   its way back here.
//! * **resolve** reads the environment or the file (on the blocking pool) on every call
//!   (nothing is cached); the SDK picks the source by the identity's `type`. It
//!   answers typed `Credentials/v1` with the properties found. Nothing found is `NotFound`; a
//!   malformed identity or file is `InvalidArgument`; an unsafe file is `Unauthorized`.
//!   Messages name the prefix, path and entry, never a value, and values are never logged.
//!   The credentials sent with `resolve` (for the store itself) are not needed and ignored.
//!
//! # Using it from OCM's `ocm` command line
//!
//! OCM's 0.13 `ocm` refuses to start with this plugin in its plugin directory (it knows no
//! `credentialPlugin`); the head `ocm` registers it and passes it no configuration. A credential
//! plugin serves credentials written in `ocm`'s configuration (`.ocmconfig`,
//! `type: credentials.config.ocm.software`) as a consumer's `credentials` entry of its type:
//! `credentials: [{type: CredentialsFile/v1, path: /home/me/.ocm/credentials.json, entry: registry}]`
//! or `[{type: EnvironmentCredentials/v1, prefix: ACME_REGISTRY_}]`.
//!
//! # Example
//!
//! The plugin called in process as a manager calls it:
//!
//! ```
//! use ocm_plugin_sdk::contracts::credential_plugin::v1::{ConsumerIdentityRequest, CredentialPlugin, ResolveRequest};
//! use ocm_plugin_sdk::testing::{TestClient, block_on};
//! use ocm_plugin_sdk::types::{Credentials, Raw};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let dir = tempfile::tempdir()?;
//! let path = dir.path().join("credentials.json");
//! std::fs::write(&path, r#"{"registry":{"username":"u","password":"s3cret"}}"#)?;
//! # #[cfg(unix)] {
//! use std::os::unix::fs::PermissionsExt;
//! std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
//! # }
//! let spec = Raw::new(serde_json::json!({
//!     "type": "CredentialsFile/v1", "path": path, "entry": "registry",
//! }))?;
//! let plugin = TestClient::new(ocm_example_local_credentials::plugin(), Vec::new())?.traits();
//! let identity = block_on(plugin.consumer_identity(ConsumerIdentityRequest { credential: spec }))??;
//! let credentials = block_on(plugin.resolve(ResolveRequest { identity }, &Credentials::new()))??;
//! assert_eq!(credentials.credential_type(), Some("Credentials/v1"));
//! assert_eq!(credentials["password"], "s3cret");
//! # Ok(())
//! # }
//! ```

#![warn(missing_docs)]

mod sources;
#[cfg(test)]
mod tests;

use std::process::ExitCode;

use ocm_plugin_sdk::{Plugin, credential_plugin};

pub use sources::{EnvironmentSpec, FileSpec, FromEnvironment, FromFile};

/// The name the plugin binary registers under.
pub const PLUGIN_NAME: &str = "local-credentials";
/// Credentials from environment variables.
pub const ENVIRONMENT_TYPE: &str = "EnvironmentCredentials/v1";
/// Credentials from an entry of a credentials file.
pub const FILE_TYPE: &str = "CredentialsFile/v1";
/// The type of the credentials this plugin answers with.
pub const CREDENTIALS_TYPE: &str = "Credentials/v1";

/// The plugin's `main`: runs [`plugin`] (prints the capabilities, or serves per `--config`).
pub fn main() -> ExitCode {
    plugin().run()
}

/// The plugin: the credential plugins [`FromEnvironment`] for [`EnvironmentSpec`]
/// (`EnvironmentCredentials/v1`) and [`FromFile`] for [`FileSpec`] (`CredentialsFile/v1`),
/// whose JSON schemas are derived from the types.
pub fn plugin() -> Plugin {
    Plugin::new(PLUGIN_NAME)
        .register(credential_plugin::typed(|_| Ok(FromEnvironment)))
        .register(credential_plugin::typed(|_| Ok(FromFile)))
}
