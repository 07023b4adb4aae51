//! An example OCM plugin: a **credential repository** (`credentialRepository`, spec §5.2) that
//! reads registry credentials from a Docker `config.json`, the file `docker login` writes.
//!
//! All logic lives in this library; the `docker-credentials` binary only calls [`main`].
//!
//! # Types and configuration
//!
//! The plugin declares the two entries a credential repository has (spec §2.3):
//!
//! * `[0]`, the consumer identity type [`CONSUMER_IDENTITY_TYPE`] (`OCIRegistry`): the
//!   identities this plugin resolves, `{"type":"OCIRegistry","hostname":"ghcr.io","port":"443"}`
//!   (`port` optional);
//! * `[1]`, the repository config type [`CONFIG_TYPE`] (`DockerConfig/v1`):
//!
//! ```json
//! {"type":"DockerConfig/v1","dockerConfigFile":"/home/me/.docker/config.json"}
//! ```
//!
//! `dockerConfigFile` is optional. Without it the plugin reads the file the Docker CLI uses,
//! `$DOCKER_CONFIG/config.json`, else `$HOME/.docker/config.json` ([`default_config_file`],
//! from the environment the plugin was started with). A leading `~/` expands to `$HOME`; any
//! other relative path is rejected. The config schema (draft 2020-12), derived from
//! [`DockerConfigSpec`], requires `type` and allows only a `dockerConfigFile` string besides
//! it; the SDK checks every config against it before the plugin sees it.
//!
//! # Behaviour
//!
//! * **resolve** reads the file on every call (nothing is cached) and looks the identity's
//!   `hostname` (and `port`) up ([`DockerConfigFile::credentials_for`]):
//!   * `auths` keys are normalised before matching: the scheme and any path are dropped
//!     (`https://index.docker.io/v1/` → `index.docker.io`), hosts compare case-insensitively,
//!     the Docker Hub aliases `docker.io`, `index.docker.io` and `registry-1.docker.io` are one
//!     registry, and a missing port means 443 on both sides ([`RegistryAddress`]);
//!   * an entry's base64 `auth` (`user:password`, split at the first `:`) gives `username` and
//!     `password`; without `auth`, the explicit `username` and `password` are used;
//!     `identitytoken` is returned as `identityToken`. Of several matching entries, the first
//!     in key order that holds credentials wins;
//!   * a `credHelpers` entry for the registry, or (when no `auths` entry has credentials) a
//!     `credsStore`, is refused with `InvalidArgument`: credential helpers are **not
//!     supported**, and the plugin never executes anything;
//!   * no match → `NotFound` naming the registry and the file; a missing file → `NotFound`;
//!     an unreadable file → internal error; invalid JSON or wrongly typed fields →
//!     `InvalidArgument`. Messages name the path and the `auths` key, never a secret, and
//!     passwords are never logged.
//! * **consumer identity for config** and **get identity** return
//!   `{"type":"DockerConfig","dockerConfigFile":<the resolved path>}`. Reading a local file
//!   needs no credentials; the identity only names the file.
//!
//! The credentials sent with `resolve` (those of the repository itself) are ignored.
//!
//! # Using it from OCM's `ocm` command line
//!
//! `ocm` registers the plugin from its plugin directory and passes it no configuration. A
//! credential repository is configured in `ocm`'s configuration (`.ocmconfig`, a
//! `credentials.config.ocm.software` entry) as a repository:
//! `repositories: [{repository: {type: DockerConfig/v1, dockerConfigFile: ~/.docker/config.json}}]`.
//! Note that `ocm` has a built-in credential repository of the same config type
//! (`DockerConfig/v1`) for `OCIRegistry` identities.
//!
//! # Example
//!
//! The plugin called in process as a manager calls it:
//!
//! ```
//! use ocm_example_docker_credentials::{CONSUMER_IDENTITY_TYPE, DockerCredentials, plugin};
//! use ocm_plugin_sdk::contracts::credential_repository::v1::{CredentialRepository, ResolveRequest};
//! use ocm_plugin_sdk::testing::{TestClient, block_on};
//! use ocm_plugin_sdk::types::{Credentials, Identity, Raw};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let dir = tempfile::tempdir()?;
//! let file = dir.path().join("config.json");
//! // "dXNlcjpzM2NyZXQ=" is base64 of "user:s3cret".
//! std::fs::write(&file, r#"{"auths":{"https://index.docker.io/v1/":{"auth":"dXNlcjpzM2NyZXQ="}}}"#)?;
//!
//! let plugin = plugin(CONSUMER_IDENTITY_TYPE.parse()?, DockerCredentials::new(None, None));
//! let repository = TestClient::new(plugin, Vec::new())?.traits();
//! let config = Raw::new(serde_json::json!({"type": "DockerConfig/v1", "dockerConfigFile": file}))?;
//! let identity = Identity::from([
//!     ("type".to_owned(), "OCIRegistry".to_owned()),
//!     ("hostname".to_owned(), "docker.io".to_owned()),
//! ]);
//!
//! let credentials = block_on(repository.resolve(ResolveRequest { config, identity }, &Credentials::new()))??;
//! assert_eq!(credentials["username"], "user");
//! assert_eq!(credentials["password"], "s3cret");
//! # Ok(())
//! # }
//! ```

pub mod docker_config;
mod repository;

#[cfg(test)]
mod plugin_tests;
#[cfg(test)]
mod tests;

use std::process::ExitCode;

use ocm_plugin_sdk::{Plugin, types::Type};

pub use docker_config::{DockerConfigFile, RegistryAddress};
pub use repository::{DockerConfigSpec, DockerCredentials, default_config_file};

/// Name under which the plugin registers.
pub const PLUGIN_NAME: &str = "docker-credentials";

/// The consumer identity type this plugin resolves credentials for (entry `[0]`).
pub const CONSUMER_IDENTITY_TYPE: &str = "OCIRegistry";

/// The repository config type this plugin serves (entry `[1]`).
pub const CONFIG_TYPE: &str = "DockerConfig/v1";

/// The config field naming the Docker config file.
pub const CONFIG_FILE_FIELD: &str = "dockerConfigFile";

/// The `type` of the identity returned for a config.
pub const IDENTITY_TYPE: &str = "DockerConfig";

/// The plugin's `main`: runs [`plugin`] with [`DockerCredentials::from_env`] (prints the
/// capabilities, or serves per `--config`).
pub fn main() -> ExitCode {
    match CONSUMER_IDENTITY_TYPE.parse() {
        Ok(identity_type) => plugin(identity_type, DockerCredentials::from_env()).run(),
        Err(e) => {
            eprintln!("{PLUGIN_NAME}: invalid built-in type: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The plugin: `repository` as the credential repository for [`DockerConfigSpec`]
/// (`DockerConfig/v1`), whose JSON schema is derived from the type, resolving identities of
/// `identity_type` ([`CONSUMER_IDENTITY_TYPE`]).
pub fn plugin(identity_type: Type, repository: DockerCredentials) -> Plugin {
    Plugin::new(PLUGIN_NAME).register(ocm_plugin_sdk::credential_repository::typed(
        identity_type,
        |_ctx| {
            match repository.default_file() {
                Some(file) => tracing::info!(
                    default_file = %file.display(),
                    "docker credentials ready"
                ),
                None => tracing::info!(
                    "docker credentials ready without a default file: configs must name \
                     dockerConfigFile"
                ),
            }
            Ok(repository)
        },
    ))
}
