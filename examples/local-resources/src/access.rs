//! The `localFile/v1` access: where a resource's bytes live on the local file system.

use std::path::PathBuf;

use ocm_plugin_contracts::{Error, Result};
use ocm_plugin_types::{Identity, Raw};
use serde_json::Value;

use crate::{ACCESS_TYPE, ACCESS_TYPE_NAME, IDENTITY_TYPE};

/// A decoded `localFile/v1` access:
/// `{"type":"localFile/v1","path":"/abs/file","mediaType":"text/plain"}` (`mediaType` optional).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalFileAccess {
    /// Absolute path of the file.
    pub path: PathBuf,
    /// Media type of the content, if the access names one.
    pub media_type: Option<String>,
}

impl LocalFileAccess {
    /// Decodes an access.
    ///
    /// Fails with [`Error::InvalidArgument`] when the type is not `localFile` (`/v1` or
    /// unversioned; a missing type is accepted), when `path` is missing, empty, not a string or
    /// relative, or when `mediaType` is not a string.
    ///
    /// ```
    /// use ocm_example_local_resources::LocalFileAccess;
    /// use ocm_plugin_types::Raw;
    ///
    /// let raw = Raw::from_json(r#"{"type":"localFile/v1","path":"/data/a.txt","mediaType":"text/plain"}"#)?;
    /// let access = LocalFileAccess::from_raw(&raw)?;
    /// assert_eq!(access.path, std::path::Path::new("/data/a.txt"));
    /// assert_eq!(access.media_type.as_deref(), Some("text/plain"));
    ///
    /// let other = Raw::from_json(r#"{"type":"ociArtifact/v1","imageReference":"ghcr.io/x:1"}"#)?;
    /// assert!(LocalFileAccess::from_raw(&other).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_raw(access: &Raw) -> Result<Self> {
        if let Some(t) = access.type_() {
            let version_ok = matches!(t.version(), None | Some("v1"));
            if t.name() != ACCESS_TYPE_NAME || !version_ok {
                return Err(Error::InvalidArgument(format!(
                    "unsupported access type {t}: this plugin serves {ACCESS_TYPE}"
                )));
            }
        }
        let path = match access.get("path") {
            Some(Value::String(s)) if !s.is_empty() => PathBuf::from(s),
            None | Some(Value::Null) | Some(Value::String(_)) => {
                return Err(Error::InvalidArgument(format!(
                    "the {ACCESS_TYPE} access has no path"
                )));
            }
            Some(_) => {
                return Err(Error::InvalidArgument(format!(
                    "the path of the {ACCESS_TYPE} access must be a string"
                )));
            }
        };
        if !path.is_absolute() {
            return Err(Error::InvalidArgument(format!(
                "the path {} of the {ACCESS_TYPE} access is relative; an absolute path is required",
                path.display()
            )));
        }
        let media_type = match access.get("mediaType") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s.is_empty() => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => {
                return Err(Error::InvalidArgument(format!(
                    "the mediaType of the {ACCESS_TYPE} access must be a string"
                )));
            }
        };
        Ok(Self { path, media_type })
    }

    /// Decodes the access of a resource; a resource without access is
    /// [`Error::InvalidArgument`].
    pub fn of_resource(access: Option<&Raw>, resource_name: &str) -> Result<Self> {
        let access = access.ok_or_else(|| {
            Error::InvalidArgument(format!(
                "resource {resource_name:?} has no access; a {ACCESS_TYPE} access is required"
            ))
        })?;
        Self::from_raw(access)
    }

    /// The consumer identity: `{"type":"localFile","path":<path>}`.
    pub fn identity(&self) -> Result<Identity> {
        let path = self.path.to_str().ok_or_else(|| {
            Error::InvalidArgument(format!("the path {} is not UTF-8", self.path.display()))
        })?;
        Ok(Identity::from([
            ("type".to_owned(), IDENTITY_TYPE.to_owned()),
            ("path".to_owned(), path.to_owned()),
        ]))
    }
}
