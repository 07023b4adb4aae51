//! Reading a Docker `config.json` and finding the credentials of one registry in it.
//!
//! Only the parts that hold credentials are read: `auths`, `credHelpers` and `credsStore`;
//! every other key is ignored. Error messages name the file and the `auths` key involved, never
//! a credential value.

use std::{
    fmt,
    path::{Path, PathBuf},
};

use base64::{Engine as _, engine::general_purpose::STANDARD_PAD_INDIFFERENT};
use ocm_plugin_sdk::{
    contracts::{Error, Result},
    types::Credentials,
};
use serde_json::{Map, Value};

/// The name every Docker Hub alias normalises to.
pub const DOCKER_HUB: &str = "docker.io";

/// Host names that all mean Docker Hub.
pub const DOCKER_HUB_ALIASES: [&str; 3] = ["docker.io", "index.docker.io", "registry-1.docker.io"];

/// The port assumed when an address names none (HTTPS).
pub const DEFAULT_PORT: u16 = 443;

/// A registry address, normalised for matching: lower-case host, Docker Hub aliases folded
/// into [`DOCKER_HUB`], scheme and path dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryAddress {
    /// The host name (an IPv6 address keeps its brackets).
    pub host: String,
    /// The port, when the address names one.
    pub port: Option<u16>,
}

impl RegistryAddress {
    /// Parses an `auths` key or a host name: `ghcr.io`, `https://index.docker.io/v1/`,
    /// `localhost:5000`, `http://host/path`, `[::1]:5000`.
    ///
    /// Anything up to `://` is dropped, and so is everything from the first `/` after it.
    /// Returns `None` for an empty host or a port that is not a number in `1..=65535`.
    ///
    /// ```
    /// use ocm_example_docker_credentials::docker_config::RegistryAddress;
    ///
    /// let hub = RegistryAddress::parse("https://index.docker.io/v1/").ok_or("no address")?;
    /// assert_eq!((hub.host.as_str(), hub.port), ("docker.io", None));
    /// let local = RegistryAddress::parse("http://LocalHost:5000/x").ok_or("no address")?;
    /// assert_eq!((local.host.as_str(), local.port), ("localhost", Some(5000)));
    /// assert!(RegistryAddress::parse("host:port").is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        let without_scheme = text.split_once("://").map_or(text, |(_, rest)| rest);
        let authority = without_scheme
            .split_once('/')
            .map_or(without_scheme, |(authority, _)| authority);
        let (host, port) = split_host_port(authority)?;
        if host.is_empty() {
            return None;
        }
        let host = host.to_ascii_lowercase();
        let host = if DOCKER_HUB_ALIASES.contains(&host.as_str()) {
            DOCKER_HUB.to_owned()
        } else {
            host
        };
        Some(Self { host, port })
    }

    /// Whether two addresses name the same registry: equal hosts and equal ports, where a
    /// missing port counts as [`DEFAULT_PORT`].
    pub fn matches(&self, other: &Self) -> bool {
        self.host == other.host
            && self.port.unwrap_or(DEFAULT_PORT) == other.port.unwrap_or(DEFAULT_PORT)
    }
}

impl fmt::Display for RegistryAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.port {
            Some(port) => write!(f, "{}:{port}", self.host),
            None => f.write_str(&self.host),
        }
    }
}

/// Splits `host[:port]` (`[v6]:port` for IPv6). `None` when the port is not a valid number.
fn split_host_port(authority: &str) -> Option<(&str, Option<u16>)> {
    if authority.starts_with('[') {
        let end = authority.find(']')?;
        let (host, rest) = authority.split_at(end + 1);
        return match rest.strip_prefix(':') {
            Some(port) => Some((host, Some(parse_port(port)?))),
            None if rest.is_empty() => Some((host, None)),
            None => None,
        };
    }
    match authority.rsplit_once(':') {
        Some((host, port)) => Some((host, Some(parse_port(port)?))),
        None => Some((authority, None)),
    }
}

fn parse_port(text: &str) -> Option<u16> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok().filter(|p| *p != 0)
}

/// One usable `auths` entry. `Debug` shows the key and which fields are set, never the values.
#[derive(Clone)]
struct AuthEntry {
    key: String,
    address: RegistryAddress,
    credentials: Credentials,
}

impl fmt::Debug for AuthEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthEntry")
            .field("key", &self.key)
            .field("address", &self.address)
            .field("fields", &self.credentials.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// The credential-related content of a Docker `config.json`.
///
/// `Debug` never shows credential values.
#[derive(Debug, Clone)]
pub struct DockerConfigFile {
    path: PathBuf,
    /// Entries in key order; those without a parseable address are dropped.
    auths: Vec<AuthEntry>,
    creds_store: Option<String>,
    /// `(key, address, helper)`.
    cred_helpers: Vec<(String, RegistryAddress, String)>,
}

impl DockerConfigFile {
    /// Reads and parses `path`.
    ///
    /// A missing file is [`Error::NotFound`]; any other read failure is an internal error; a
    /// file that is not a valid Docker config is [`Error::InvalidArgument`]. Every message names
    /// the path.
    pub fn read(path: &Path) -> Result<Self> {
        let bytes = std::fs::read(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => Error::NotFound(format!(
                "docker config file {} does not exist",
                path.display()
            )),
            _ => Error::internal_with(
                format!("failed to read docker config file {}", path.display()),
                e,
            ),
        })?;
        Self::parse(&bytes, path)
    }

    /// Parses the bytes of a config file; `path` is used in messages and as [`Self::path`].
    ///
    /// Fails with [`Error::InvalidArgument`] when the bytes are not a JSON object, when
    /// `auths`, `credHelpers` or one of their entries has the wrong JSON type, or when an
    /// entry's `auth` is not base64 of `user:password`. Values never appear in the messages.
    pub fn parse(bytes: &[u8], path: &Path) -> Result<Self> {
        let invalid = |what: String| {
            Error::InvalidArgument(format!(
                "docker config file {} is invalid: {what}",
                path.display()
            ))
        };
        // serde_json's syntax errors give a position, never the content.
        let value: Value =
            serde_json::from_slice(bytes).map_err(|e| invalid(format!("not valid JSON ({e})")))?;
        let Value::Object(root) = value else {
            return Err(invalid("the top level is not a JSON object".into()));
        };

        let mut auths = Vec::new();
        for (key, entry) in object_field(&root, "auths", &invalid)? {
            let Value::Object(entry) = entry else {
                return Err(invalid(format!("auths entry {key:?} is not an object")));
            };
            let credentials = entry_credentials(key, entry, &invalid)?;
            match RegistryAddress::parse(key) {
                Some(address) => auths.push(AuthEntry {
                    key: key.clone(),
                    address,
                    credentials,
                }),
                None => tracing::debug!(
                    file = %path.display(),
                    key = %key,
                    "ignoring an auths entry whose key is not a registry address"
                ),
            }
        }
        auths.sort_by(|a, b| a.key.cmp(&b.key));

        let mut cred_helpers = Vec::new();
        for (key, helper) in object_field(&root, "credHelpers", &invalid)? {
            let Value::String(helper) = helper else {
                return Err(invalid(format!(
                    "credHelpers entry {key:?} is not a string"
                )));
            };
            if let Some(address) = RegistryAddress::parse(key) {
                cred_helpers.push((key.clone(), address, helper.clone()));
            }
        }
        cred_helpers.sort_by(|a, b| a.0.cmp(&b.0));

        let creds_store = match root.get("credsStore") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s.is_empty() => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => return Err(invalid("credsStore is not a string".into())),
        };

        Ok(Self {
            path: path.to_path_buf(),
            auths,
            creds_store,
            cred_helpers,
        })
    }

    /// The file this was read from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The credentials for `address`.
    ///
    /// In this order:
    ///
    /// 1. a `credHelpers` entry for the registry → [`Error::InvalidArgument`]: credential
    ///    helpers are not supported (nothing is ever executed);
    /// 2. the first `auths` entry, in key order, that [matches](RegistryAddress::matches) and
    ///    holds credentials → `username` and `password` (from `auth`, which wins, or from the
    ///    explicit fields) and `identityToken` (from `identitytoken`), each when present;
    /// 3. a global `credsStore` → [`Error::InvalidArgument`], as 1.;
    /// 4. otherwise [`Error::NotFound`] naming the registry and the file.
    pub fn credentials_for(&self, address: &RegistryAddress) -> Result<Credentials> {
        if let Some((key, _, helper)) = self
            .cred_helpers
            .iter()
            .find(|(_, a, _)| a.matches(address))
        {
            return Err(Error::InvalidArgument(format!(
                "credentials for {address} are managed by the credential helper \
                 docker-credential-{helper} (credHelpers entry {key:?} in {}); credential helpers \
                 are not supported by this plugin, which never executes programs",
                self.path.display()
            )));
        }
        let matching: Vec<&AuthEntry> = self
            .auths
            .iter()
            .filter(|e| e.address.matches(address))
            .collect();
        if let Some(entry) = matching.iter().find(|e| !e.credentials.is_empty()) {
            tracing::debug!(
                registry = %address,
                file = %self.path.display(),
                key = %entry.key,
                fields = ?entry.credentials.keys().collect::<Vec<_>>(),
                "found registry credentials"
            );
            return Ok(entry.credentials.clone());
        }
        if let Some(store) = &self.creds_store {
            return Err(Error::InvalidArgument(format!(
                "credentials for {address} are kept in the credential store \
                 docker-credential-{store} (credsStore in {}); credential helpers are not \
                 supported by this plugin, which never executes programs",
                self.path.display()
            )));
        }
        Err(Error::NotFound(if matching.is_empty() {
            format!(
                "no credentials for registry {address} in docker config file {}",
                self.path.display()
            )
        } else {
            format!(
                "the entries for registry {address} in docker config file {} hold no credentials",
                self.path.display()
            )
        }))
    }
}

/// A top-level field that must be an object when present; absent and `null` are empty.
fn object_field<'a>(
    root: &'a Map<String, Value>,
    name: &str,
    invalid: &impl Fn(String) -> Error,
) -> Result<Vec<(&'a String, &'a Value)>> {
    match root.get(name) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Object(map)) => Ok(map.iter().collect()),
        Some(_) => Err(invalid(format!("{name} is not an object"))),
    }
}

/// The credentials of one `auths` entry (possibly none).
fn entry_credentials(
    key: &str,
    entry: &Map<String, Value>,
    invalid: &impl Fn(String) -> Error,
) -> Result<Credentials> {
    let field = |name: &str| -> Result<Option<&str>> {
        match entry.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.is_empty() => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.as_str())),
            Some(_) => Err(invalid(format!(
                "field {name:?} of auths entry {key:?} is not a string"
            ))),
        }
    };
    let mut credentials = Credentials::new();
    if let Some(auth) = field("auth")? {
        let (username, password) = decode_auth(auth).ok_or_else(|| {
            invalid(format!(
                "field \"auth\" of auths entry {key:?} is not base64 of \"user:password\""
            ))
        })?;
        credentials.insert("username".into(), username);
        credentials.insert("password".into(), password);
    } else {
        if let Some(username) = field("username")? {
            credentials.insert("username".into(), username.to_owned());
        }
        if let Some(password) = field("password")? {
            credentials.insert("password".into(), password.to_owned());
        }
    }
    if let Some(token) = field("identitytoken")? {
        credentials.insert("identityToken".into(), token.to_owned());
    }
    Ok(credentials)
}

/// Decodes an `auth` value: base64 (padding optional) of UTF-8 `user:password`, split at the
/// first `:`.
fn decode_auth(auth: &str) -> Option<(String, String)> {
    let bytes = STANDARD_PAD_INDIFFERENT.decode(auth.trim()).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (user, password) = text.split_once(':')?;
    Some((user.to_owned(), password.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(text: &str) -> RegistryAddress {
        RegistryAddress::parse(text).unwrap()
    }

    #[test]
    fn parses_keys() {
        for (key, host, port) in [
            ("ghcr.io", "ghcr.io", None),
            ("GHCR.io", "ghcr.io", None),
            ("https://index.docker.io/v1/", DOCKER_HUB, None),
            ("registry-1.docker.io", DOCKER_HUB, None),
            ("docker.io", DOCKER_HUB, None),
            ("localhost:5000", "localhost", Some(5000)),
            ("http://host", "host", None),
            ("http://host:8080/v2/", "host", Some(8080)),
            ("[::1]:5000", "[::1]", Some(5000)),
            ("[::1]", "[::1]", None),
            (" ghcr.io ", "ghcr.io", None),
        ] {
            assert_eq!(
                addr(key),
                RegistryAddress {
                    host: host.into(),
                    port
                },
                "{key}"
            );
        }
        for bad in [
            "",
            "https://",
            ":5000",
            "host:",
            "host:x",
            "host:70000",
            "host:0",
            "[::1",
        ] {
            assert!(RegistryAddress::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn missing_port_means_443() {
        assert!(addr("ghcr.io").matches(&addr("ghcr.io:443")));
        assert!(addr("ghcr.io:443").matches(&addr("https://ghcr.io")));
        assert!(!addr("ghcr.io").matches(&addr("ghcr.io:5000")));
        assert!(!addr("ghcr.io").matches(&addr("quay.io")));
        assert_eq!(addr("localhost:5000").to_string(), "localhost:5000");
    }

    #[test]
    fn decodes_auth() {
        let encoded = STANDARD_PAD_INDIFFERENT.encode("user:pa:ss");
        assert_eq!(decode_auth(&encoded), Some(("user".into(), "pa:ss".into())));
        // Padding is optional.
        assert_eq!(decode_auth("dTpw"), Some(("u".into(), "p".into())));
        assert_eq!(decode_auth("dTpwcQ"), Some(("u".into(), "pq".into())));
        assert_eq!(decode_auth("not base64!"), None);
        assert_eq!(
            decode_auth(&STANDARD_PAD_INDIFFERENT.encode("nocolon")),
            None
        );
    }

    #[test]
    fn debug_hides_values() {
        let auth = STANDARD_PAD_INDIFFERENT.encode("user:s3cret");
        let json =
            format!(r#"{{"auths":{{"ghcr.io":{{"auth":"{auth}","identitytoken":"t0ken"}}}}}}"#);
        let file = DockerConfigFile::parse(json.as_bytes(), Path::new("/c.json")).unwrap();
        let debug = format!("{file:?}");
        assert!(debug.contains("ghcr.io"), "{debug}");
        assert!(
            !debug.contains("s3cret") && !debug.contains("t0ken"),
            "{debug}"
        );
    }
}
