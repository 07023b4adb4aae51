//! Where the credentials come from: the environment and credentials files.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
};

use ocm_plugin_contracts::{
    Error, Result, async_trait,
    credential_plugin::v1::{ConsumerIdentityRequest, CredentialPlugin, ResolveRequest},
};
use ocm_plugin_types::{Credentials, Identity, Raw};
use serde::Deserialize;

use crate::{CREDENTIALS_TYPE, ENVIRONMENT_TYPE, FILE_TYPE};

/// The identity type names (the spec types without version).
const ENVIRONMENT: &str = "EnvironmentCredentials";
const FILE: &str = "CredentialsFile";

/// The credential plugin. Stateless: every call reads its source anew.
#[derive(Debug, Default, Clone, Copy)]
pub struct LocalCredentials;

impl LocalCredentials {
    /// The plugin.
    pub fn new() -> Self {
        Self
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EnvironmentSpec {
    #[serde(rename = "type")]
    _typ: String,
    prefix: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSpec {
    #[serde(rename = "type")]
    _typ: String,
    path: String,
    entry: String,
}

fn invalid(what: impl std::fmt::Display) -> Error {
    Error::InvalidArgument(what.to_string())
}

fn decode<T: serde::de::DeserializeOwned>(spec: &Raw) -> Result<T> {
    spec.decode()
        .map_err(|e| invalid(format!("invalid {} spec: {e}", spec_type(spec))))
}

fn spec_type(spec: &Raw) -> String {
    spec.type_().map(ToString::to_string).unwrap_or_default()
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
impl CredentialPlugin for LocalCredentials {
    async fn consumer_identity(&self, request: ConsumerIdentityRequest) -> Result<Identity> {
        let spec = &request.credential;
        let typ = spec
            .type_()
            .ok_or_else(|| invalid("the credential spec has no type"))?;
        let mut identity = Identity::new();
        match typ.name() {
            ENVIRONMENT => {
                let s: EnvironmentSpec = decode(spec)?;
                identity.insert("type".into(), ENVIRONMENT.into());
                identity.insert("prefix".into(), s.prefix);
            }
            FILE => {
                let s: FileSpec = decode(spec)?;
                let path = resolve_path(&s.path)?;
                identity.insert("type".into(), FILE.into());
                identity.insert("path".into(), path.display().to_string());
                identity.insert("entry".into(), s.entry);
            }
            _ => {
                return Err(invalid(format!(
                    "this plugin serves {ENVIRONMENT_TYPE} and {FILE_TYPE}, not {typ}"
                )));
            }
        }
        Ok(identity)
    }

    async fn resolve(&self, request: ResolveRequest, _: &Credentials) -> Result<Credentials> {
        let identity = &request.identity;
        let properties = match attribute(identity, "type")? {
            ENVIRONMENT => from_environment(attribute(identity, "prefix")?)?,
            FILE => {
                let path = resolve_path(attribute(identity, "path")?)?;
                let entry = attribute(identity, "entry")?;
                // A short blocking read of at most 1 MiB.
                from_file(&path, entry)?
            }
            other => {
                return Err(invalid(format!(
                    "identity type {other:?} is not one of this plugin's ({ENVIRONMENT}, {FILE})"
                )));
            }
        };
        Ok(Credentials::typed(CREDENTIALS_TYPE, properties))
    }
}
