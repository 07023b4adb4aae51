//! References as OCM writes them, `<repository>//<component>[:<version>]`, turned into the
//! repository specs of the component version repository plugins.
//!
//! | repository part | spec |
//! |---|---|
//! | `http://127.0.0.1:5000`, `https://ghcr.io/acme`, `oci://…`, `ghcr.io/acme`, `localhost:5000`, `oci::<any of these>` | `{"type":"OCIRepository/v1","baseUrl":<scheme and host>,"subPath":<path after the host>}` |
//! | `/abs/path`, `./rel`, `../rel`, `~/dir`, `dir::<path>` | `{"type":"DirectoryRepository/v1","path":<absolute path>}` |
//!
//! A host is told apart from a relative directory by its first segment: it contains a `.` or a
//! `:`, or is `localhost`. The repository ends at the first `//` after the scheme, so a
//! directory path must not contain `//` itself.

use std::{
    fmt,
    path::{Path, PathBuf},
    str::FromStr,
};

use ocm_plugin_manager::types::Raw;
use serde_json::{Value, json};

use crate::{Error, Result};

/// The repository spec type of OCI registries (the `oci-repository` plugin).
pub const OCI_REPOSITORY_TYPE: &str = "OCIRepository/v1";
/// The repository spec type of directories (the `directory-repository` plugin).
pub const DIRECTORY_REPOSITORY_TYPE: &str = "DirectoryRepository/v1";

/// What the reference syntax expects, quoted in every parse error.
const EXPECTED: &str = "expected <repository>//<component>[:<version>], where <repository> is an \
OCI registry (http://host:port[/path], https://host[/path], host.domain[/path], oci::…) or a \
directory (/abs/path, ./rel/path, dir::path)";

/// The repository part of a reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Repository {
    /// An OCI registry.
    Oci {
        /// Scheme (if given) and `host[:port]`.
        base_url: String,
        /// The path after the host, without leading or trailing `/`.
        sub_path: Option<String>,
    },
    /// A directory.
    Directory {
        /// Absolute.
        path: PathBuf,
    },
}

impl Repository {
    /// Parses a repository (the part of a reference before `//`).
    pub fn parse(text: &str) -> Result<Self> {
        let bad = |problem: String| Error::Reference {
            reference: text.to_owned(),
            problem,
        };
        if let Some(rest) = text.strip_prefix("dir::") {
            return directory(rest).map_err(bad);
        }
        if let Some(rest) = text.strip_prefix("oci::") {
            return oci(rest).map_err(bad);
        }
        if ["http://", "https://", "oci://"]
            .iter()
            .any(|s| text.starts_with(s))
        {
            return oci(text).map_err(bad);
        }
        if text.starts_with('/')
            || text.starts_with("./")
            || text.starts_with("../")
            || text.starts_with("~/")
            || text == "."
            || text == ".."
        {
            return directory(text).map_err(bad);
        }
        let first = text.split('/').next().unwrap_or_default();
        if !first.is_empty() && (first.contains('.') || first.contains(':') || first == "localhost")
        {
            return oci(text).map_err(bad);
        }
        Err(bad(format!(
            "{text:?} is neither an OCI registry nor a directory; {EXPECTED}"
        )))
    }

    /// The repository spec for the component version repository plugins.
    ///
    /// ```
    /// use ocm_plugin_distribution::reference::Repository;
    /// let spec = Repository::parse("http://127.0.0.1:5000/acme")?.spec()?;
    /// assert_eq!(spec.to_json(), r#"{"baseUrl":"http://127.0.0.1:5000","subPath":"acme","type":"OCIRepository/v1"}"#);
    /// # Ok::<(), ocm_plugin_distribution::Error>(())
    /// ```
    pub fn spec(&self) -> Result<Raw> {
        let value = match self {
            Self::Oci { base_url, sub_path } => {
                let mut v = json!({"type": OCI_REPOSITORY_TYPE, "baseUrl": base_url});
                if let Some(sub) = sub_path {
                    v["subPath"] = Value::String(sub.clone());
                }
                v
            }
            Self::Directory { path } => {
                json!({"type": DIRECTORY_REPOSITORY_TYPE, "path": path.to_string_lossy()})
            }
        };
        Raw::new(value).map_err(|e| Error::Invalid(format!("building a repository spec: {e}")))
    }
}

fn directory(text: &str) -> std::result::Result<Repository, String> {
    if text.is_empty() {
        return Err(format!("the directory is empty; {EXPECTED}"));
    }
    let expanded = match text.strip_prefix("~/") {
        Some(rest) => match std::env::var_os("HOME") {
            Some(home) => Path::new(&home).join(rest),
            None => return Err("~ cannot be expanded: HOME is not set".to_owned()),
        },
        None => PathBuf::from(text),
    };
    let path = std::path::absolute(&expanded)
        .map_err(|e| format!("cannot make {text:?} absolute: {e}"))?;
    Ok(Repository::Directory {
        path: normalise(&path),
    })
}

/// Drops `.` components and resolves `..` lexically (the directory may not exist yet).
fn normalise(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

fn oci(text: &str) -> std::result::Result<Repository, String> {
    let (scheme, rest) = match text.split_once("://") {
        Some((scheme, rest)) => (Some(scheme), rest),
        None => (None, text),
    };
    if let Some(scheme) = scheme
        && !["http", "https", "oci"].contains(&scheme)
    {
        return Err(format!(
            "unknown scheme {scheme:?} (http, https or oci); {EXPECTED}"
        ));
    }
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let host_ok = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-.:[]_".contains(&b));
    if !host_ok {
        return Err(format!(
            "{host:?} is not a registry host[:port]; {EXPECTED}"
        ));
    }
    let sub_path = path.trim_matches('/');
    if sub_path.contains(char::is_whitespace) {
        return Err(format!(
            "the registry path {sub_path:?} contains white space"
        ));
    }
    Ok(Repository::Oci {
        base_url: match scheme {
            Some(s) => format!("{s}://{host}"),
            None => host.to_owned(),
        },
        sub_path: (!sub_path.is_empty()).then(|| sub_path.to_owned()),
    })
}

/// A component (and maybe a version) in a repository.
#[derive(Debug, Clone, PartialEq)]
pub struct Reference {
    /// The repository spec; its `type` selects the component version repository plugin.
    pub repository: Raw,
    /// The component name, e.g. `acme.org/plugins/hello`.
    pub component: String,
    /// The version; `None`: the highest semantic version in the repository.
    pub version: Option<String>,
}

impl Reference {
    /// Parses `<repository>//<component>[:<version>]`.
    ///
    /// ```
    /// use ocm_plugin_distribution::Reference;
    /// let r: Reference = "http://127.0.0.1:5000//acme.org/plugins/hello:1.0.0".parse()?;
    /// assert_eq!(r.repository.get("baseUrl").and_then(|v| v.as_str()), Some("http://127.0.0.1:5000"));
    /// assert_eq!((r.component.as_str(), r.version.as_deref()), ("acme.org/plugins/hello", Some("1.0.0")));
    /// let r: Reference = "/srv/ocm//acme.org/plugins/hello".parse()?;
    /// assert_eq!(r.repository.get("path").and_then(|v| v.as_str()), Some("/srv/ocm"));
    /// assert_eq!(r.version, None);
    /// # Ok::<(), ocm_plugin_distribution::Error>(())
    /// ```
    pub fn parse(text: &str) -> Result<Self> {
        let bad = |problem: String| Error::Reference {
            reference: text.to_owned(),
            problem,
        };
        let (repository, component) = split(text).ok_or_else(|| bad(EXPECTED.to_owned()))?;
        let repository = Repository::parse(repository).map_err(|e| match e {
            Error::Reference { problem, .. } => bad(problem),
            other => other,
        })?;
        let (component, version) = match component.rsplit_once(':') {
            Some((c, v)) => (c, Some(v)),
            None => (component, None),
        };
        check_component(component).map_err(&bad)?;
        if let Some(v) = version {
            check_version(v).map_err(&bad)?;
        }
        Ok(Self {
            repository: repository.spec()?,
            component: component.to_owned(),
            version: version.map(str::to_owned),
        })
    }

    /// The reference with `repository` given as a spec (JSON), a repository, or a whole
    /// reference, and the component and version given apart (they win over the reference's).
    pub fn from_parts(
        repository: &str,
        component: Option<&str>,
        version: Option<&str>,
    ) -> Result<Self> {
        let mut reference = if repository.trim_start().starts_with('{') {
            let spec = Raw::from_json(repository).map_err(|e| Error::Reference {
                reference: repository.to_owned(),
                problem: format!("not a repository spec (a JSON object with a type): {e}"),
            })?;
            Self {
                repository: spec,
                component: String::new(),
                version: None,
            }
        } else if split(repository).is_some() {
            Self::parse(repository)?
        } else {
            Self {
                repository: Repository::parse(repository)?.spec()?,
                component: String::new(),
                version: None,
            }
        };
        if let Some(c) = component {
            check_component(c).map_err(Error::Invalid)?;
            c.clone_into(&mut reference.component);
        }
        if let Some(v) = version {
            check_version(v).map_err(Error::Invalid)?;
            reference.version = Some(v.to_owned());
        }
        if reference.component.is_empty() {
            return Err(Error::Invalid(format!(
                "no component: give --component or a reference <repository>//<component> \
                 (repository {repository:?})"
            )));
        }
        Ok(reference)
    }
}

impl FromStr for Reference {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Self::parse(s)
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}//{}",
            describe_repository(&self.repository),
            self.component
        )?;
        if let Some(v) = &self.version {
            write!(f, ":{v}")?;
        }
        Ok(())
    }
}

/// A repository spec as a user would write it, for messages.
pub fn describe_repository(spec: &Raw) -> String {
    let field = |k: &str| spec.get(k).and_then(Value::as_str);
    match (
        spec.type_().map(ToString::to_string).as_deref(),
        field("baseUrl"),
        field("path"),
    ) {
        (Some(DIRECTORY_REPOSITORY_TYPE), _, Some(path)) => path.to_owned(),
        (Some(OCI_REPOSITORY_TYPE), Some(base), _) => match field("subPath") {
            Some(sub) => format!("{base}/{sub}"),
            None => base.to_owned(),
        },
        _ => spec.to_json(),
    }
}

/// Splits at the `//` that ends the repository (the first after a scheme's `://`).
fn split(text: &str) -> Option<(&str, &str)> {
    let body = ["dir::", "oci::"]
        .iter()
        .find_map(|p| text.strip_prefix(p).map(|_| p.len()))
        .unwrap_or(0);
    let after_scheme = text[body..]
        .find("://")
        .filter(|i| !text[body..body + i].contains('/'))
        .map_or(body, |i| body + i + 3);
    // A leading `//` would leave the repository empty: look from the next byte.
    let start = after_scheme + usize::from(text[after_scheme..].starts_with('/'));
    let at = text[start..].find("//")? + start;
    let (repository, component) = (&text[..at], &text[at + 2..]);
    (!repository.is_empty() && !component.is_empty()).then_some((repository, component))
}

/// OCM's component names: a DNS domain, then a path (`acme.org/plugins/hello`).
pub fn check_component(name: &str) -> std::result::Result<(), String> {
    let ok_chars = name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-._/".contains(&b));
    let (domain, path) = name.split_once('/').unwrap_or((name, ""));
    if ok_chars
        && domain.contains('.')
        && !path.is_empty()
        && path.split('/').all(|s| !s.is_empty())
    {
        Ok(())
    } else {
        Err(format!(
            "{name:?} is not an OCM component name (expected a lower-case DNS domain and a path, \
             e.g. acme.org/plugins/hello)"
        ))
    }
}

/// A version: not empty, no white space, no `/`.
pub fn check_version(version: &str) -> std::result::Result<(), String> {
    if version.is_empty() || version.contains(|c: char| c.is_whitespace() || c == '/' || c == ':') {
        Err(format!(
            "{version:?} is not a version (expected e.g. 1.0.0)"
        ))
    } else {
        Ok(())
    }
}

/// The file name OCM's Go CLI installs a plugin under: the last element of the component name.
pub fn plugin_file_name(component: &str) -> &str {
    component.rsplit('/').next().unwrap_or(component)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(text: &str) -> String {
        Reference::parse(text).unwrap().repository.to_json()
    }

    #[test]
    fn oci_references() {
        let r = Reference::parse("http://127.0.0.1:5000//acme.org/plugins/hello:1.0.0").unwrap();
        assert_eq!(
            r.repository.to_json(),
            r#"{"baseUrl":"http://127.0.0.1:5000","type":"OCIRepository/v1"}"#
        );
        assert_eq!(r.component, "acme.org/plugins/hello");
        assert_eq!(r.version.as_deref(), Some("1.0.0"));
        assert_eq!(
            spec("ghcr.io/acme//acme.org/plugins/hello"),
            r#"{"baseUrl":"ghcr.io","subPath":"acme","type":"OCIRepository/v1"}"#
        );
        assert_eq!(
            spec("oci::localhost:5000/a/b/c//acme.org/x:2.0.0"),
            r#"{"baseUrl":"localhost:5000","subPath":"a/b/c","type":"OCIRepository/v1"}"#
        );
        assert_eq!(
            spec("oci::https://ghcr.io//acme.org/x"),
            r#"{"baseUrl":"https://ghcr.io","type":"OCIRepository/v1"}"#
        );
        assert_eq!(
            Reference::parse("ghcr.io//acme.org/x").unwrap().to_string(),
            "ghcr.io//acme.org/x"
        );
    }

    #[test]
    fn directory_references() {
        assert_eq!(
            spec("/srv/ocm//acme.org/plugins/hello:1.0.0"),
            r#"{"path":"/srv/ocm","type":"DirectoryRepository/v1"}"#
        );
        let cwd = std::env::current_dir().unwrap();
        let r = Reference::parse("./repo//acme.org/x").unwrap();
        assert_eq!(r.repository.get("path").unwrap(), &json!(cwd.join("repo")));
        let r = Reference::parse("dir::repo/sub//acme.org/x").unwrap();
        assert_eq!(
            r.repository.get("path").unwrap(),
            &json!(cwd.join("repo/sub"))
        );
        let r = Reference::parse("../x//acme.org/x").unwrap();
        assert_eq!(
            r.repository.get("path").unwrap(),
            &json!(cwd.parent().unwrap().join("x"))
        );
    }

    #[test]
    fn bad_references_say_what_was_expected() {
        for (text, needle) in [
            (
                "acme.org/plugins/hello:1.0.0",
                "expected <repository>//<component>",
            ),
            (
                "repo//acme.org/x",
                "neither an OCI registry nor a directory",
            ),
            ("ftp://host//acme.org/x", "unknown scheme \"ftp\""),
            ("/srv//hello", "not an OCM component name"),
            ("/srv//Acme.org/x", "not an OCM component name"),
            ("/srv//acme.org/x:", "is not a version"),
            ("/srv//", "expected <repository>//<component>"),
            ("http://ex ample.org//acme.org/x", "not a registry host"),
        ] {
            let e = Reference::parse(text).unwrap_err().to_string();
            assert!(e.contains(needle), "{text}: {e}");
            assert!(e.contains(&format!("{text:?}")), "{text}: {e}");
        }
    }

    #[test]
    fn parts() {
        let r = Reference::from_parts(
            r#"{"type":"DirectoryRepository/v1","path":"/x"}"#,
            Some("acme.org/a"),
            Some("1.0.0"),
        )
        .unwrap();
        assert_eq!(r.component, "acme.org/a");
        let r = Reference::from_parts("http://h:1", Some("acme.org/a"), None).unwrap();
        assert_eq!(r.repository.get("baseUrl").unwrap(), "http://h:1");
        let r = Reference::from_parts("http://h:1//acme.org/a:1.0.0", None, Some("2.0.0")).unwrap();
        assert_eq!(r.version.as_deref(), Some("2.0.0"));
        let e = Reference::from_parts("http://h:1", None, None).unwrap_err();
        assert!(e.to_string().contains("no component"), "{e}");
        assert_eq!(plugin_file_name("acme.org/plugins/hello"), "hello");
    }
}
