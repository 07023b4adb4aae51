//! [`LocalFileAccess`]: the `localFile/v1` access, decoded and checked.

use std::path::PathBuf;

use ocm_plugin_contracts::{Error, Result};
use ocm_plugin_types::Raw;
use serde::Deserialize;

use crate::{ACCESS_TYPE, ACCESS_TYPE_NAME};

/// A checked `localFile/v1` access.
///
/// ```json
/// {"type":"localFile/v1","path":"/abs/file"}
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalFileAccess {
    /// The file holding the resource's content; always absolute.
    pub path: PathBuf,
}

/// The wire form. Unknown fields are rejected, as the declared schema does.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Wire {
    // Checked through `Raw::type_`; listed so that it is not an unknown field.
    #[serde(rename = "type", default)]
    _typ: Option<serde_json::Value>,
    path: String,
}

impl LocalFileAccess {
    /// Decodes and checks an access.
    ///
    /// The `type` must be `localFile/v1` or `localFile`; `path` is required and must be
    /// absolute; unknown fields are rejected. Every failure is [`Error::InvalidArgument`].
    pub fn from_raw(access: &Raw) -> Result<Self> {
        match access.type_() {
            Some(t) if t.name() == ACCESS_TYPE_NAME && matches!(t.version(), None | Some("v1")) => {
            }
            Some(t) => {
                return Err(Error::InvalidArgument(format!(
                    "unsupported access type {t}: this digest processor serves {ACCESS_TYPE}"
                )));
            }
            None => {
                return Err(Error::InvalidArgument(format!(
                    "the access has no type: this digest processor serves {ACCESS_TYPE}"
                )));
            }
        }
        let wire: Wire = access
            .decode()
            .map_err(|e| Error::InvalidArgument(format!("invalid {ACCESS_TYPE} access: {e}")))?;
        let path = PathBuf::from(wire.path);
        if !path.is_absolute() {
            return Err(Error::InvalidArgument(format!(
                "the access path {:?} is relative; an absolute path is required",
                path.display().to_string()
            )));
        }
        Ok(Self { path })
    }
}
