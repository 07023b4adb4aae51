//! [`LocalFileAccess`]: the `localFile/v1` access.

use std::path::Path;

use ocm_plugin_sdk::{
    TypedSpec,
    contracts::{Error, Result},
    schemars,
};
use serde::Deserialize;

use crate::{ACCESS_TYPE, ACCESS_TYPE_NAME};

/// Content in a local file.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[schemars(crate = "ocm_plugin_sdk::schemars", title = "localFile/v1")]
#[serde(deny_unknown_fields)]
pub struct LocalFileAccess {
    /// The access type, localFile/v1.
    #[serde(rename = "type")]
    _type: String,
    /// Absolute path of the file.
    #[schemars(length(min = 1))]
    pub path: String,
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
                "the access path {:?} is relative; an absolute path is required",
                self.path
            )))
        }
    }
}
