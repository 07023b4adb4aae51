//! [`DockerCredentials`]: the `DockerConfig/v1` [`CredentialRepository`], and its config
//! [`DockerConfigSpec`].

use std::{
    ffi::OsString,
    path::{Path, PathBuf},
};

use ocm_plugin_sdk::{
    TypedSpec, async_trait,
    contracts::{Error, Result},
    credential_repository::{
        ConsumerIdentityForConfigRequest, CredentialRepository, Credentials, Identity,
        ResolveRequest,
    },
    schemars,
};
use serde::Deserialize;

use crate::{
    CONFIG_FILE_FIELD, CONFIG_TYPE, CONSUMER_IDENTITY_TYPE, IDENTITY_TYPE,
    docker_config::{DockerConfigFile, RegistryAddress},
};

/// A credential repository backed by a Docker config.json file.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[schemars(crate = "ocm_plugin_sdk::schemars", title = "DockerConfig/v1")]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DockerConfigSpec {
    /// The config type, DockerConfig/v1.
    #[serde(rename = "type")]
    _type: String,
    /// Path of the Docker config.json; absolute or starting with ~/. Defaults to
    /// $DOCKER_CONFIG/config.json, else $HOME/.docker/config.json.
    // A string in the schema, as before: `null` is no file only to serde.
    #[serde(default)]
    #[schemars(with = "String")]
    pub docker_config_file: Option<String>,
}

impl TypedSpec for DockerConfigSpec {
    const TYPE: &'static str = CONFIG_TYPE;
}

/// A credential repository backed by a Docker `config.json`.
///
/// Which file a request reads: the `dockerConfigFile` of the request's config, or, when the
/// config names none, the default file given at construction (see [`Self::from_env`]).
/// Nothing is cached: every `resolve` reads the file again, so `docker login` takes effect
/// at once.
#[derive(Debug, Clone, Default)]
pub struct DockerCredentials {
    default_file: Option<PathBuf>,
    home: Option<PathBuf>,
}

impl DockerCredentials {
    /// A repository whose default file is `default_file`, and which expands a leading `~/` in
    /// `dockerConfigFile` against `home`.
    pub fn new(default_file: Option<PathBuf>, home: Option<PathBuf>) -> Self {
        Self { default_file, home }
    }

    /// A repository configured from the process environment: the default file is
    /// [`default_config_file`] of `DOCKER_CONFIG` and `HOME`, and `~/` expands to `HOME`.
    pub fn from_env() -> Self {
        let home = non_empty(std::env::var_os("HOME"));
        Self::new(
            default_config_file(std::env::var_os("DOCKER_CONFIG"), home.clone()),
            home.map(PathBuf::from),
        )
    }

    /// The default file, used when a config names none.
    pub fn default_file(&self) -> Option<&Path> {
        self.default_file.as_deref()
    }

    /// The file a repository config addresses: its `dockerConfigFile` (`~/` expanded), or the
    /// default file when it names none (absent or empty).
    ///
    /// Fails with [`Error::InvalidArgument`] when the file is relative, or when the config names
    /// none and there is no default file.
    pub fn config_file(&self, config: &DockerConfigSpec) -> Result<PathBuf> {
        let configured = config
            .docker_config_file
            .as_deref()
            .filter(|f| !f.is_empty());
        let path = match configured {
            Some(text) => self.expand_home(text)?,
            None => self.default_file.clone().ok_or_else(|| {
                Error::InvalidArgument(format!(
                    "no docker config file: the {CONFIG_TYPE} config sets no {CONFIG_FILE_FIELD}, \
                     and neither DOCKER_CONFIG nor HOME was set when the plugin started"
                ))
            })?,
        };
        if !path.is_absolute() {
            return Err(Error::InvalidArgument(format!(
                "docker config file {} is relative; an absolute path is required",
                path.display()
            )));
        }
        Ok(path)
    }

    /// `~/rest` → `<home>/rest`; anything else unchanged.
    fn expand_home(&self, text: &str) -> Result<PathBuf> {
        let Some(rest) = text.strip_prefix("~/") else {
            return Ok(PathBuf::from(text));
        };
        match &self.home {
            Some(home) => Ok(home.join(rest)),
            None => Err(Error::InvalidArgument(format!(
                "{CONFIG_FILE_FIELD} {text} starts with ~/, but HOME was not set when the plugin \
                 started"
            ))),
        }
    }

    /// The identity of a config: `{"type":"DockerConfig","dockerConfigFile":<resolved path>}`.
    fn identity_of(&self, config: &DockerConfigSpec) -> Result<Identity> {
        let path = self.config_file(config)?;
        let path = path.to_str().ok_or_else(|| {
            Error::InvalidArgument(format!(
                "docker config file {} is not valid UTF-8",
                path.display()
            ))
        })?;
        Ok(Identity::from([
            ("type".to_owned(), IDENTITY_TYPE.to_owned()),
            (CONFIG_FILE_FIELD.to_owned(), path.to_owned()),
        ]))
    }
}

/// The default Docker config file: `$DOCKER_CONFIG/config.json` when `docker_config` is set and
/// not empty, else `$HOME/.docker/config.json` when `home` is, else `None`. This is where the
/// Docker CLI looks.
///
/// ```
/// use std::path::PathBuf;
/// use ocm_example_docker_credentials::default_config_file;
///
/// assert_eq!(
///     default_config_file(None, Some("/home/me".into())),
///     Some(PathBuf::from("/home/me/.docker/config.json"))
/// );
/// assert_eq!(
///     default_config_file(Some("/etc/docker".into()), Some("/home/me".into())),
///     Some(PathBuf::from("/etc/docker/config.json"))
/// );
/// ```
pub fn default_config_file(
    docker_config: Option<OsString>,
    home: Option<OsString>,
) -> Option<PathBuf> {
    if let Some(dir) = non_empty(docker_config) {
        return Some(PathBuf::from(dir).join("config.json"));
    }
    non_empty(home).map(|home| PathBuf::from(home).join(".docker").join("config.json"))
}

fn non_empty(value: Option<OsString>) -> Option<OsString> {
    value.filter(|v| !v.is_empty())
}

/// The registry address an identity names: `hostname` (required; a scheme, path or `:port` in
/// it is tolerated) and `port` (optional; must agree with a port in `hostname`).
pub(crate) fn identity_address(identity: &Identity) -> Result<RegistryAddress> {
    if let Some(t) = identity.get("type").filter(|t| !t.is_empty()) {
        let (name, version) = t
            .split_once('/')
            .map_or((t.as_str(), None), |(n, v)| (n, Some(v)));
        if name != CONSUMER_IDENTITY_TYPE || !matches!(version, None | Some("v1")) {
            return Err(Error::InvalidArgument(format!(
                "unsupported consumer identity type {t}: this plugin resolves \
                 {CONSUMER_IDENTITY_TYPE} identities"
            )));
        }
    }
    let hostname = identity
        .get("hostname")
        .map(|h| h.trim())
        .filter(|h| !h.is_empty())
        .ok_or_else(|| {
            Error::InvalidArgument(format!(
                "the {CONSUMER_IDENTITY_TYPE} identity has no hostname"
            ))
        })?;
    let mut address = RegistryAddress::parse(hostname).ok_or_else(|| {
        Error::InvalidArgument(format!(
            "the identity's hostname {hostname:?} is not a registry host"
        ))
    })?;
    if let Some(port) = identity
        .get("port")
        .map(|p| p.trim())
        .filter(|p| !p.is_empty())
    {
        let port: u16 = port.parse().ok().filter(|p| *p != 0).ok_or_else(|| {
            Error::InvalidArgument(format!("the identity's port {port:?} is not a port number"))
        })?;
        if address.port.is_some_and(|p| p != port) {
            return Err(Error::InvalidArgument(format!(
                "the identity's hostname {hostname:?} and port {port} disagree"
            )));
        }
        address.port = Some(port);
    }
    Ok(address)
}

#[async_trait]
impl CredentialRepository for DockerCredentials {
    type Spec = DockerConfigSpec;

    /// `{"type":"DockerConfig","dockerConfigFile":<resolved path>}`: reading a local file
    /// needs no credentials, so this only identifies the file.
    async fn consumer_identity_for_config(
        &self,
        config: DockerConfigSpec,
        _request: ConsumerIdentityForConfigRequest,
    ) -> Result<Identity> {
        self.identity_of(&config)
    }

    /// Reads the config file (on the blocking pool) and returns the credentials of the
    /// registry the identity names (see [`DockerConfigFile::credentials_for`]). The
    /// `credentials` argument is ignored.
    async fn resolve(
        &self,
        config: DockerConfigSpec,
        request: ResolveRequest,
        _credentials: &Credentials,
    ) -> Result<Credentials> {
        let file = self.config_file(&config)?;
        let address = identity_address(&request.identity)?;
        let parsed = ocm_plugin_sdk::spawn_blocking(move || DockerConfigFile::read(&file)).await?;
        parsed.credentials_for(&address)
    }

    /// The same identity as [`consumer_identity_for_config`](Self::consumer_identity_for_config).
    async fn identity(&self, config: DockerConfigSpec) -> Result<Identity> {
        self.identity_of(&config)
    }
}
