//! The repository spec (`OCIRepository/v1` and its aliases), and the names OCM's Go code derives
//! from it: registry address, OCI repository per component, tag per version, consumer identity.

use ocm_plugin_contracts::{Error, Result};
use ocm_plugin_sdk::{TypedSpec, schemars::JsonSchema};
use ocm_plugin_types::Identity;
use serde::Deserialize;

use crate::{ACCEPTED_TYPES, IDENTITY_TYPE, REPOSITORY_TYPE};

/// Component versions in an OCI registry, stored as OCM's OCI storage backend stores them.
//
// `baseUrl` decodes when absent (as the empty string) so that a spec without one (the empty
// prototype Go managers send on `/identity`) reaches the fallback; the schema requires it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[schemars(
    crate = "ocm_plugin_sdk::schemars",
    title = "OCIRepository/v1",
    extend("required" = ["type", "baseUrl"])
)]
#[serde(deny_unknown_fields)]
pub struct OciRepositorySpec {
    /// The repository type: `OCIRepository/v1` or another name OCM accepts for it.
    #[serde(rename = "type")]
    pub typ: String,
    /// The registry: `host[:port][/path]`, optionally with `https://` or `oci://` (TLS) or
    /// `http://` (plain).
    #[serde(rename = "baseUrl", default)]
    #[schemars(length(min = 1), transform = without_default)]
    pub base_url: String,
    /// Repository prefix inside the registry.
    #[serde(rename = "subPath", default)]
    pub sub_path: String,
}

/// `baseUrl` has no default: it is required, the decoding default serves the prototype only.
fn without_default(schema: &mut ocm_plugin_sdk::schemars::Schema) {
    schema.remove("default");
}

impl TypedSpec for OciRepositorySpec {
    const TYPE: &'static str = REPOSITORY_TYPE;
    const ALIASES: &'static [&'static str] = {
        let [_, aliases @ ..] = &ACCEPTED_TYPES;
        aliases
    };
}

/// How the plugin talks to the registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// TLS (`https://`, `oci://`, or no scheme).
    Https,
    /// Plain HTTP (`http://`), for local registries.
    Http,
}

impl Scheme {
    /// `http` or `https`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Https => "https",
            Self::Http => "http",
        }
    }
}

/// A parsed repository spec: where the registry is and under which path component versions live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepositorySpec {
    /// Transport.
    pub scheme: Scheme,
    /// Host name or address, without port (IPv6 without brackets).
    pub host: String,
    /// Port, when the spec names one.
    pub port: Option<u16>,
    /// Repository prefix (no leading or trailing `/`); empty when none.
    pub sub_path: String,
}

impl RepositorySpec {
    /// Parses a decoded spec after checking its type.
    ///
    /// `baseUrl` is `host[:port][/path]`, optionally prefixed by `https://` or `oci://` (TLS) or
    /// `http://` (plain). A path in `baseUrl` becomes the sub path; with a `subPath` as well, the
    /// `subPath` is appended to it.
    pub fn from_spec(spec: &OciRepositorySpec) -> Result<Self> {
        check_type(spec)?;
        let base_url = spec.base_url.trim();
        if base_url.is_empty() {
            return Err(Error::InvalidArgument(
                "the repository spec has no `baseUrl` (e.g. \"ghcr.io\", \"https://registry.example.com:5000\", \
                 \"http://127.0.0.1:5000\")"
                    .into(),
            ));
        }
        Self::parse(base_url, &spec.sub_path)
    }

    /// Parses `baseUrl` and `subPath` (see [`from_spec`](Self::from_spec)).
    pub fn parse(base_url: &str, sub_path: &str) -> Result<Self> {
        let invalid =
            |why: &str| Error::InvalidArgument(format!("invalid baseUrl {base_url:?}: {why}"));
        let (scheme, rest) = if let Some(rest) = strip_prefix_ci(base_url, "http://") {
            (Scheme::Http, rest)
        } else if let Some(rest) = strip_prefix_ci(base_url, "https://") {
            (Scheme::Https, rest)
        } else if let Some(rest) = strip_prefix_ci(base_url, "oci://") {
            (Scheme::Https, rest)
        } else if base_url.contains("://") {
            return Err(invalid(
                "the scheme must be https://, oci:// (both TLS) or http:// (plain)",
            ));
        } else {
            (Scheme::Https, base_url)
        };
        if rest.contains(['?', '#', '@', ' ', '\\']) {
            return Err(invalid(
                "a registry address has no query, fragment, user information or spaces",
            ));
        }
        let (authority, url_path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, ""),
        };
        let (host, port) = split_host_port(authority).map_err(|why| invalid(&why))?;
        let mut path = url_path.trim_matches('/').to_owned();
        let sub = sub_path.trim_matches('/');
        if !sub.is_empty() {
            if !path.is_empty() {
                path.push('/');
            }
            path.push_str(sub);
        }
        if !path.is_empty() {
            check_repository_path(&path).map_err(|why| {
                Error::InvalidArgument(format!("invalid subPath {path:?}: {why}"))
            })?;
        }
        Ok(Self {
            scheme,
            host,
            port,
            sub_path: path,
        })
    }

    /// `host[:port]` as registries are addressed (IPv6 in brackets).
    pub fn registry(&self) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        match self.port {
            Some(port) => format!("{host}:{port}"),
            None => host,
        }
    }

    /// The OCI repository of a component: `[<subPath>/]component-descriptors/<name>`.
    pub fn repository_of(&self, component: &str) -> Result<String> {
        check_component_name(component)?;
        Ok(if self.sub_path.is_empty() {
            format!("component-descriptors/{component}")
        } else {
            format!("{}/component-descriptors/{component}", self.sub_path)
        })
    }

    /// The consumer identity under which credentials for this registry are found:
    /// `{"type":"OCIRegistry","hostname","port","scheme","path"}` (port and path only when set).
    pub fn identity(&self) -> Identity {
        let mut identity = Identity::new();
        identity.insert("type".into(), IDENTITY_TYPE.into());
        identity.insert("hostname".into(), self.host.clone());
        if let Some(port) = self.port {
            identity.insert("port".into(), port.to_string());
        }
        identity.insert("scheme".into(), self.scheme.as_str().into());
        if !self.sub_path.is_empty() {
            identity.insert("path".into(), self.sub_path.clone());
        }
        identity
    }
}

impl std::fmt::Display for RepositorySpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}://{}", self.scheme.as_str(), self.registry())?;
        if !self.sub_path.is_empty() {
            write!(f, "/{}", self.sub_path)?;
        }
        Ok(())
    }
}

/// A spec's declared type, when it has one (the empty prototype has none), must be one this
/// plugin serves.
pub(crate) fn check_type(spec: &OciRepositorySpec) -> Result<()> {
    if spec.typ.is_empty() || ACCEPTED_TYPES.contains(&spec.typ.as_str()) {
        Ok(())
    } else {
        Err(Error::InvalidArgument(format!(
            "unsupported repository type {:?}: this plugin serves {}",
            spec.typ,
            ACCEPTED_TYPES.join(", ")
        )))
    }
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

fn split_host_port(authority: &str) -> std::result::Result<(String, Option<u16>), String> {
    if authority.is_empty() {
        return Err("no host".into());
    }
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let end = rest
            .find(']')
            .ok_or_else(|| "an IPv6 address needs its closing `]`".to_owned())?;
        let host = &rest[..end];
        match &rest[end + 1..] {
            "" => (host, None),
            tail => match tail.strip_prefix(':') {
                Some(port) => (host, Some(port)),
                None => return Err(format!("unexpected {tail:?} after the IPv6 address")),
            },
        }
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    if host.is_empty() {
        return Err("no host".into());
    }
    let valid_host = host
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '_'));
    if !valid_host {
        return Err(format!("{host:?} is not a host name or address"));
    }
    let port = match port {
        None => None,
        Some(p) => Some(
            p.parse::<u16>()
                .ok()
                .filter(|p| *p != 0)
                .ok_or_else(|| format!("{p:?} is not a port (1-65535)"))?,
        ),
    };
    Ok((host.to_owned(), port))
}

/// A path component of an OCI repository name: `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*`.
fn check_path_component(c: &str) -> std::result::Result<(), String> {
    let bytes = c.as_bytes();
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    let ok = !bytes.is_empty()
        && alnum(bytes[0])
        && alnum(bytes[bytes.len() - 1])
        && bytes
            .iter()
            .all(|&b| alnum(b) || matches!(b, b'.' | b'_' | b'-'))
        && !c.contains("..")
        && !c.contains("___")
        && !c.contains("._")
        && !c.contains("_.")
        && !c.contains(".-")
        && !c.contains("-.")
        && !c.contains("_-")
        && !c.contains("-_");
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{c:?} is not a valid OCI repository path component (lower-case letters and digits, \
             separated by `.`, `_`, `__` or dashes)"
        ))
    }
}

fn check_repository_path(path: &str) -> std::result::Result<(), String> {
    path.split('/').try_for_each(check_path_component)
}

/// A component name usable in an OCI repository name.
pub fn check_component_name(name: &str) -> Result<()> {
    if name.is_empty() {
        return Err(Error::InvalidArgument("the component name is empty".into()));
    }
    check_repository_path(name)
        .map_err(|why| Error::InvalidArgument(format!("invalid component name {name:?}: {why}")))?;
    if name.len() > 200 {
        return Err(Error::InvalidArgument(format!(
            "invalid component name {name:?}: longer than 200 characters"
        )));
    }
    Ok(())
}

/// The tag of a component version: the version with its first `+` replaced by `.build-`
/// (OCI tags cannot hold `+`). Fails for versions that give no valid tag.
pub fn tag_of(version: &str) -> Result<String> {
    if version.is_empty() {
        return Err(Error::InvalidArgument(
            "the component version is empty".into(),
        ));
    }
    let tag = version.replacen('+', ".build-", 1);
    let bytes = tag.as_bytes();
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let ok = bytes.len() <= 128
        && word(bytes[0])
        && bytes.iter().all(|&b| word(b) || b == b'.' || b == b'-');
    if ok {
        Ok(tag)
    } else {
        Err(Error::InvalidArgument(format!(
            "invalid component version {version:?}: its OCI tag {tag:?} would not be valid \
             (letters, digits, `_`, `.` and `-`, at most 128, not starting with `.` or `-`; one `+` is allowed)"
        )))
    }
}

/// The version a tag stands for when a manifest carries no version annotation: the first
/// `.build-` back to `+`.
pub fn version_of_tag(tag: &str) -> String {
    tag.replacen(".build-", "+", 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ocm_plugin_types::Raw;

    fn parse(base: &str, sub: &str) -> RepositorySpec {
        match RepositorySpec::parse(base, sub) {
            Ok(s) => s,
            Err(e) => panic!("{base} {sub}: {e}"),
        }
    }

    #[test]
    fn base_url_forms() {
        let s = parse("ghcr.io", "");
        assert_eq!(
            (s.scheme, s.host.as_str(), s.port),
            (Scheme::Https, "ghcr.io", None)
        );
        let s = parse("https://registry.example.com:5000", "");
        assert_eq!((s.scheme, s.port), (Scheme::Https, Some(5000)));
        let s = parse("oci://registry.example.com", "");
        assert_eq!(s.scheme, Scheme::Https);
        let s = parse("http://127.0.0.1:5000", "");
        assert_eq!(
            (s.scheme, s.registry().as_str()),
            (Scheme::Http, "127.0.0.1:5000")
        );
        let s = parse("HTTP://localhost:5000/", "");
        assert_eq!((s.scheme, s.sub_path.as_str()), (Scheme::Http, ""));
        let s = parse("http://[::1]:5000", "");
        assert_eq!(
            (s.host.as_str(), s.registry().as_str()),
            ("::1", "[::1]:5000")
        );
    }

    #[test]
    fn path_in_base_url_becomes_sub_path() {
        assert_eq!(parse("ghcr.io/acme/ocm", "").sub_path, "acme/ocm");
        assert_eq!(parse("ghcr.io", "/acme/ocm/").sub_path, "acme/ocm");
        assert_eq!(parse("ghcr.io/acme", "ocm").sub_path, "acme/ocm");
        let s = parse("http://127.0.0.1:5000/sub", "");
        assert_eq!(
            s.repository_of("ocm.software/x").ok().as_deref(),
            Some("sub/component-descriptors/ocm.software/x")
        );
        assert_eq!(s.to_string(), "http://127.0.0.1:5000/sub");
    }

    #[test]
    fn bad_base_urls_name_the_value() {
        for (base, sub) in [
            ("ftp://x", ""),
            ("http://", ""),
            ("http://host:port", ""),
            ("http://host:70000", ""),
            ("https://user@host", ""),
            ("host?x=1", ""),
            ("host", "Upper/Case"),
            ("host", "a//b"),
            ("http://[::1", ""),
        ] {
            match RepositorySpec::parse(base, sub) {
                Err(Error::InvalidArgument(m)) => {
                    assert!(m.contains(base) || m.contains(sub.trim_matches('/')), "{m}")
                }
                other => panic!("{base} {sub}: {other:?}"),
            }
        }
    }

    #[test]
    fn spec_fields_are_checked() {
        use ocm_plugin_sdk::{SpecExt as _, TypedSpec as _};
        let (_, schema) = OciRepositorySpec::declaration().unwrap_or_else(|e| panic!("{e}"));
        let validator = ocm_plugin_sdk::endpoints::SchemaValidator::compile(&schema.0)
            .unwrap_or_else(|e| panic!("{e}"));
        let from_raw = |v: serde_json::Value| {
            let spec = Raw::new(v).ok().unwrap_or_else(|| panic!("raw"));
            RepositorySpec::from_spec(&spec.decode_spec::<OciRepositorySpec>()?)
        };
        for t in ACCEPTED_TYPES {
            let spec = serde_json::json!({"type": t, "baseUrl": "ghcr.io", "subPath": "a"});
            assert!(validator.validate(&spec).is_ok(), "{t}");
            assert!(from_raw(spec).is_ok(), "{t}");
        }
        // What the schema refuses, naming the field.
        for (bad, field) in [
            (serde_json::json!({"type": "OCIRepository/v1"}), "baseUrl"),
            (
                serde_json::json!({"type": "OCIRepository/v1", "baseUrl": ""}),
                "baseUrl",
            ),
            (serde_json::json!({"baseUrl": "x"}), "type"),
            (
                serde_json::json!({"type": "OCIRepository/v1", "baseUrl": 5}),
                "baseUrl",
            ),
            (
                serde_json::json!({"type": "OCIRepository/v1", "baseUrl": "x", "extra": 1}),
                "extra",
            ),
            (
                serde_json::json!({"type": "OCIRepository/v1", "baseUrl": "x", "subPath": ["a"]}),
                "subPath",
            ),
        ] {
            let message = match validator.validate(&bad) {
                Err(e) => e.to_string(),
                Ok(()) => panic!("{bad} passed the schema"),
            };
            assert!(message.contains(field), "{bad}: {message}");
        }
        for bad in [
            serde_json::json!({"type": "OCIRepository/v1"}),
            serde_json::json!({"type": "OCIRepository/v1", "baseUrl": 5}),
            serde_json::json!({"type": "OCIRepository/v1", "baseUrl": "x", "extra": 1}),
            serde_json::json!({"type": "Other/v1", "baseUrl": "x"}),
            serde_json::json!({"type": "OCIRepository/v1", "baseUrl": "x", "subPath": ["a"]}),
        ] {
            assert!(
                matches!(from_raw(bad.clone()), Err(Error::InvalidArgument(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn tags_and_names() {
        assert_eq!(
            tag_of("1.0.0+build.1").ok().as_deref(),
            Some("1.0.0.build-build.1")
        );
        assert!(
            tag_of("1.0.0+a+b").is_err(),
            "a second `+` stays and is not valid in a tag"
        );
        assert_eq!(tag_of("v1.2.3-rc.1").ok().as_deref(), Some("v1.2.3-rc.1"));
        assert_eq!(version_of_tag("1.0.0.build-build.1"), "1.0.0+build.1");
        assert!(tag_of("").is_err());
        assert!(tag_of("1.0/0").is_err());
        assert!(tag_of(".1").is_err());
        assert!(check_component_name("ocm.software/interop/golden").is_ok());
        for bad in [
            "",
            "Acme.org/x",
            "acme.org//x",
            "acme.org/x/",
            "acme..org/x",
            "/x",
        ] {
            assert!(check_component_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn identity_of_a_spec() {
        let id = parse("http://127.0.0.1:5000/sub", "").identity();
        assert_eq!(id.get("type").map(String::as_str), Some("OCIRegistry"));
        assert_eq!(id.get("hostname").map(String::as_str), Some("127.0.0.1"));
        assert_eq!(id.get("port").map(String::as_str), Some("5000"));
        assert_eq!(id.get("scheme").map(String::as_str), Some("http"));
        assert_eq!(id.get("path").map(String::as_str), Some("sub"));
        let id = parse("ghcr.io", "").identity();
        assert!(!id.contains_key("port") && !id.contains_key("path"));
    }
}
