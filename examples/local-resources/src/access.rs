//! The `localFile/v1` access: where a resource's bytes live on the local file system.

use std::path::Path;

use ocm_plugin_sdk::{
    TypedSpec,
    contracts::{Error, Result},
    schemars,
    types::Identity,
};
use serde::Deserialize;

use crate::{ACCESS_TYPE, ACCESS_TYPE_NAME, IDENTITY_TYPE};

/// A resource stored as a file on the local file system.
///
/// ```
/// use ocm_example_local_resources::LocalFileAccess;
///
/// let access: LocalFileAccess = serde_json::from_str(
///     r#"{"type":"localFile/v1","path":"/data/a.txt","mediaType":"text/plain"}"#,
/// )?;
/// assert_eq!(access.absolute_path()?, std::path::Path::new("/data/a.txt"));
/// assert_eq!(access.media_type(), Some("text/plain"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[schemars(crate = "ocm_plugin_sdk::schemars", title = "localFile/v1")]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LocalFileAccess {
    /// The access type, localFile/v1.
    #[serde(rename = "type")]
    _type: String,
    /// Absolute path of the file.
    #[schemars(length(min = 1))]
    pub path: String,
    /// Media type of the content (optional).
    // A string in the schema, as before: `null` is no media type only to serde.
    #[serde(default)]
    #[schemars(with = "String")]
    pub media_type: Option<String>,
}

impl TypedSpec for LocalFileAccess {
    const TYPE: &'static str = ACCESS_TYPE;
    const ALIASES: &'static [&'static str] = &[ACCESS_TYPE_NAME];
}

impl LocalFileAccess {
    /// [`path`](Self::path), which must be absolute (`InvalidArgument` otherwise).
    pub fn absolute_path(&self) -> Result<&Path> {
        let path = Path::new(&self.path);
        if path.is_absolute() {
            Ok(path)
        } else {
            Err(Error::InvalidArgument(format!(
                "the path {:?} of the {ACCESS_TYPE} access is relative; an absolute path is \
                 required",
                self.path
            )))
        }
    }

    /// The media type of the content, if the access names one (an empty one names none).
    pub fn media_type(&self) -> Option<&str> {
        self.media_type.as_deref().filter(|m| !m.is_empty())
    }

    /// The consumer identity: `{"type":"localFile","path":<path>}`.
    pub fn identity(&self) -> Result<Identity> {
        self.absolute_path()?;
        Ok(Identity::from([
            ("type".to_owned(), IDENTITY_TYPE.to_owned()),
            ("path".to_owned(), self.path.clone()),
        ]))
    }
}
