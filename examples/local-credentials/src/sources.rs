//! Where the credentials come from: the environment ([`FromEnvironment`]) and credentials
//! files ([`FromFile`]), each with its spec type.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
};

use ocm_plugin_sdk::{
    TypedSpec, async_trait,
    contracts::{Error, Result},
    credential_plugin::{
        ConsumerIdentityRequest, CredentialPlugin, Credentials, Identity, ResolveRequest,
    },
    schemars,
};
use serde::Deserialize;

use crate::{CREDENTIALS_TYPE, ENVIRONMENT_TYPE, FILE_TYPE};

/// The identity type names (the spec types without version).
const ENVIRONMENT: &str = "EnvironmentCredentials";
const FILE: &str = "CredentialsFile";

/// Credentials from the environment variables of the plugin whose names start with a prefix.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[schemars(
    crate = "ocm_plugin_sdk::schemars",
    title = "EnvironmentCredentials/v1"
)]
#[serde(deny_unknown_fields)]
pub struct EnvironmentSpec {
    /// The credential type, EnvironmentCredentials/v1.
    #[serde(rename = "type")]
    _type: String,
    /// Environment variables whose names start with this are the credentials.
    #[schemars(length(min = 1), regex(pattern = r"^[A-Za-z_][A-Za-z0-9_]*$"))]
    pub prefix: String,
}

impl TypedSpec for EnvironmentSpec {
    const TYPE: &'static str = ENVIRONMENT_TYPE;
}

/// Credentials from an entry of a JSON file that maps entry names to string properties.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[schemars(crate = "ocm_plugin_sdk::schemars", title = "CredentialsFile/v1")]
#[serde(deny_unknown_fields)]
pub struct FileSpec {
    /// The credential type, CredentialsFile/v1.
    #[serde(rename = "type")]
    _type: String,
    /// Absolute path (or ~/...) of a JSON file mapping entry names to string properties; mode 0600.
    #[schemars(length(min = 1))]
    pub path: String,
    /// The entry of the file.
    #[schemars(length(min = 1))]
    pub entry: String,
}

impl TypedSpec for FileSpec {
    const TYPE: &'static str = FILE_TYPE;
}

/// The [`EnvironmentSpec`] credential plugin. Stateless: every call reads the environment anew.
#[derive(Debug, Default, Clone, Copy)]
pub struct FromEnvironment;

/// The [`FileSpec`] credential plugin. Stateless: every call reads the file anew.
#[derive(Debug, Default, Clone, Copy)]
pub struct FromFile;

fn invalid(what: impl std::fmt::Display) -> Error {
    Error::InvalidArgument(what.to_string())
}

/// An identity attribute that must be present.
fn attribute<'a>(identity: &'a Identity, key: &str) -> Result<&'a str> {
    identity
        .get(key)
        .map(String::as_str)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| invalid(format!("the identity has no {key:?}")))
}

/// `ACCESS_TOKEN` → `accessToken`.
pub(crate) fn property_name(rest: &str) -> String {
    let mut out = String::new();
    for (i, word) in rest.split('_').filter(|w| !w.is_empty()).enumerate() {
        let lower = word.to_ascii_lowercase();
        if i == 0 {
            out.push_str(&lower);
        } else {
            let mut chars = lower.chars();
            if let Some(first) = chars.next() {
                out.push(first.to_ascii_uppercase());
                out.extend(chars);
            }
        }
    }
    out
}

/// The properties of the environment variables starting with `prefix`.
fn from_environment(prefix: &str) -> Result<BTreeMap<String, String>> {
    if prefix.is_empty() {
        return Err(invalid("an empty prefix would take the whole environment"));
    }
    let mut properties = BTreeMap::new();
    for (name, value) in std::env::vars_os() {
        let (Some(name), Some(value)) = (name.to_str(), value.to_str()) else {
            continue;
        };
        if let Some(rest) = name.strip_prefix(prefix) {
            let property = property_name(rest);
            if !property.is_empty() {
                properties.insert(property, value.to_owned());
            }
        }
    }
    if properties.is_empty() {
        return Err(Error::NotFound(format!(
            "no environment variable starts with {prefix:?}"
        )));
    }
    tracing::debug!(prefix, properties = ?properties.keys().collect::<Vec<_>>(), "credentials from the environment");
    Ok(properties)
}

/// `~/x` under `$HOME`; anything else must be absolute.
fn resolve_path(path: &str) -> Result<PathBuf> {
    if let Some(rest) = path.strip_prefix("~/") {
        let home =
            std::env::var_os("HOME").ok_or_else(|| invalid(format!("{path}: HOME is not set")))?;
        return Ok(Path::new(&home).join(rest));
    }
    let path = PathBuf::from(path);
    if path.is_absolute() {
        Ok(path)
    } else {
        Err(invalid(format!(
            "credentials file {} is not an absolute path",
            path.display()
        )))
    }
}

/// The properties of `entry` in the credentials file at `path`.
fn from_file(path: &Path, entry: &str) -> Result<BTreeMap<String, String>> {
    let shown = path.display();
    let file = std::fs::File::open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => {
            Error::NotFound(format!("credentials file {shown} does not exist"))
        }
        _ => Error::internal_with(format!("cannot open credentials file {shown}"), e),
    })?;
    let metadata = file
        .metadata()
        .map_err(|e| Error::internal_with(format!("cannot read credentials file {shown}"), e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = metadata.permissions().mode();
        if mode & 0o077 != 0 {
            return Err(Error::Unauthorized(format!(
                "credentials file {shown} is readable by others (mode {:o}); make it 0600",
                mode & 0o777
            )));
        }
    }
    if !metadata.is_file() {
        return Err(invalid(format!(
            "credentials file {shown} is not a regular file"
        )));
    }
    // A credentials file is small; anything larger is not one.
    const LIMIT: u64 = 1024 * 1024;
    if metadata.len() > LIMIT {
        return Err(invalid(format!(
            "credentials file {shown} is larger than {LIMIT} bytes"
        )));
    }
    let entries: BTreeMap<String, BTreeMap<String, String>> = serde_json::from_reader(file)
        .map_err(|e| {
            // The position only: serde's messages for wrong types quote no values of strings.
            invalid(format!(
                "credentials file {shown} is not a JSON object of entries with string properties (line {}, column {})",
                e.line(),
                e.column()
            ))
        })?;
    let properties = entries.get(entry).cloned().ok_or_else(|| {
        Error::NotFound(format!("credentials file {shown} has no entry {entry:?}"))
    })?;
    tracing::debug!(path = %shown, entry, properties = ?properties.keys().collect::<Vec<_>>(), "credentials from a file");
    Ok(properties)
}

#[async_trait]
impl CredentialPlugin for FromEnvironment {
    type Spec = EnvironmentSpec;

    /// `{"type":"EnvironmentCredentials","prefix":…}`.
    async fn consumer_identity(
        &self,
        spec: EnvironmentSpec,
        _request: ConsumerIdentityRequest,
    ) -> Result<Identity> {
        Ok(Identity::from([
            ("type".to_owned(), ENVIRONMENT.to_owned()),
            ("prefix".to_owned(), spec.prefix),
        ]))
    }

    async fn resolve(&self, request: ResolveRequest, _: &Credentials) -> Result<Credentials> {
        let properties = from_environment(attribute(&request.identity, "prefix")?)?;
        Ok(Credentials::typed(CREDENTIALS_TYPE, properties))
    }
}

#[async_trait]
impl CredentialPlugin for FromFile {
    type Spec = FileSpec;

    /// `{"type":"CredentialsFile","path":<absolute path>,"entry":…}`.
    async fn consumer_identity(
        &self,
        spec: FileSpec,
        _request: ConsumerIdentityRequest,
    ) -> Result<Identity> {
        let path = resolve_path(&spec.path)?;
        Ok(Identity::from([
            ("type".to_owned(), FILE.to_owned()),
            ("path".to_owned(), path.display().to_string()),
            ("entry".to_owned(), spec.entry),
        ]))
    }

    async fn resolve(&self, request: ResolveRequest, _: &Credentials) -> Result<Credentials> {
        let identity = &request.identity;
        let path = resolve_path(attribute(identity, "path")?)?;
        let entry = attribute(identity, "entry")?.to_owned();
        let properties = ocm_plugin_sdk::spawn_blocking(move || from_file(&path, &entry)).await?;
        Ok(Credentials::typed(CREDENTIALS_TYPE, properties))
    }
}
