//! An example OCM plugin: a **credential plugin** (`credentialPlugin`, the `bindings/go`
//! generation, spec §10.3) that resolves credentials kept on the machine the plugin runs on,
//! from environment variables or from a credentials file.
//!
//! All logic lives in this library; the `local-credentials` binary only calls [`main`].
//!
//! # Types
//!
//! **[`ENVIRONMENT_TYPE`]** (`EnvironmentCredentials/v1`): every environment variable of the
//! plugin whose name starts with `prefix` is one property; the rest of the name, lower camel
//! case, is the property's name (`ACME_REGISTRY_USERNAME` with prefix `ACME_REGISTRY_` is
//! `username`, `..._ACCESS_TOKEN` is `accessToken`).
//!
//! ```json
//! {"type":"EnvironmentCredentials/v1","prefix":"ACME_REGISTRY_"}
//! ```
//!
//! **[`FILE_TYPE`]** (`CredentialsFile/v1`): entry `entry` of a JSON file mapping entry names to
//! string properties, `{"registry":{"username":"u","password":"p"}}`. The path must be absolute
//! (or start with `~/`), and the file must not be readable by group or others (mode `0600`,
//! like an SSH key): a file anyone may read is refused instead of used.
//!
//! ```json
//! {"type":"CredentialsFile/v1","path":"/home/me/.ocm/credentials.json","entry":"registry"}
//! ```
//!
//! # Behaviour
//!
//! * **consumer identity**: `{"type":"EnvironmentCredentials","prefix":…}` or
//!   `{"type":"CredentialsFile","path":…,"entry":…}`: the spec without its version, which is how
//!   [`resolve`](ocm_plugin_contracts::credential_plugin::v1::CredentialPlugin::resolve) finds
//!   its way back here.
//! * **resolve** reads the environment or the file on every call (nothing is cached) and
//!   answers typed `Credentials/v1` with the properties found. Nothing found is `NotFound`; a
//!   malformed identity or file is `InvalidArgument`; an unsafe file is `Unauthorized`.
//!   Messages name the prefix, path and entry, never a value, and values are never logged.
//!   The credentials sent with `resolve` (for the store itself) are not needed and ignored.
//!
//! # Example
//!
//! ```
//! use ocm_example_local_credentials::LocalCredentials;
//! use ocm_plugin_contracts::credential_plugin::v1::{ConsumerIdentityRequest, CredentialPlugin, ResolveRequest};
//! use ocm_plugin_types::{Credentials, Raw};
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
//! let plugin = LocalCredentials::new();
//! # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
//! let identity = plugin.consumer_identity(ConsumerIdentityRequest { credential: spec }).await?;
//! let credentials = plugin.resolve(ResolveRequest { identity }, &Credentials::new()).await?;
//! assert_eq!(credentials.credential_type(), Some("Credentials/v1"));
//! assert_eq!(credentials["password"], "s3cret");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # })?;
//! # Ok(())
//! # }
//! ```

#![warn(missing_docs)]

mod sources;
#[cfg(test)]
mod tests;

use std::process::ExitCode;

use ocm_plugin_sdk::{Plugin, types::JsonSchema};
use ocm_plugin_types::Type;

pub use sources::LocalCredentials;

/// The name the plugin binary registers under.
pub const PLUGIN_NAME: &str = "local-credentials";
/// Credentials from environment variables.
pub const ENVIRONMENT_TYPE: &str = "EnvironmentCredentials/v1";
/// Credentials from an entry of a credentials file.
pub const FILE_TYPE: &str = "CredentialsFile/v1";
/// The type of the credentials this plugin answers with.
pub const CREDENTIALS_TYPE: &str = "Credentials/v1";

/// The plugin's `main`: declares both credential plugin types, then runs the plugin (prints
/// the capabilities, or serves per `--config`).
pub fn main() -> ExitCode {
    match plugin() {
        Ok(plugin) => plugin.run(),
        Err(e) => {
            eprintln!("{PLUGIN_NAME}: invalid built-in type: {e}");
            ExitCode::FAILURE
        }
    }
}

fn plugin() -> Result<Plugin, ocm_plugin_types::Error> {
    let environment: Type = ENVIRONMENT_TYPE.parse()?;
    let file: Type = FILE_TYPE.parse()?;
    Ok(Plugin::new(PLUGIN_NAME)
        .register(ocm_plugin_sdk::credential_plugin::untyped(
            environment,
            environment_schema(),
            |_| Ok(LocalCredentials::new()),
        ))
        .register(ocm_plugin_sdk::credential_plugin::untyped(
            file,
            file_schema(),
            |_| Ok(LocalCredentials::new()),
        )))
}

/// The JSON schema (draft 2020-12) of an [`ENVIRONMENT_TYPE`] spec.
pub fn environment_schema() -> JsonSchema {
    JsonSchema(
        br#"{"$schema":"https://json-schema.org/draft/2020-12/schema","title":"EnvironmentCredentials/v1","type":"object","properties":{"type":{"type":"string"},"prefix":{"type":"string","minLength":1,"pattern":"^[A-Za-z_][A-Za-z0-9_]*$","description":"Environment variables whose names start with this are the credentials."}},"required":["type","prefix"],"additionalProperties":false}"#
            .to_vec(),
    )
}

/// The JSON schema (draft 2020-12) of a [`FILE_TYPE`] spec.
pub fn file_schema() -> JsonSchema {
    JsonSchema(
        br#"{"$schema":"https://json-schema.org/draft/2020-12/schema","title":"CredentialsFile/v1","type":"object","properties":{"type":{"type":"string"},"path":{"type":"string","minLength":1,"description":"Absolute path (or ~/...) of a JSON file mapping entry names to string properties; mode 0600."},"entry":{"type":"string","minLength":1,"description":"The entry of the file."}},"required":["type","path","entry"],"additionalProperties":false}"#
            .to_vec(),
    )
}
