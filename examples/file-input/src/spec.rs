//! [`FileSpec`]: the `file/v1` input spec.

use std::path::Path;

use ocm_plugin_sdk::{
    TypedSpec,
    contracts::{Error, Result},
    schemars,
};
use serde::Deserialize;

use crate::{DEFAULT_MEDIA_TYPE, GZIP_MEDIA_TYPE_SUFFIX, INPUT_TYPE, INPUT_TYPE_NAME};

/// A local file, turned into a local blob, optionally gzip-compressed.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[schemars(crate = "ocm_plugin_sdk::schemars", title = "file/v1")]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct FileSpec {
    /// The input type, file/v1.
    #[serde(rename = "type")]
    _type: String,
    /// Absolute path of the file to read.
    #[schemars(length(min = 1))]
    pub path: String,
    /// Media type of the file's content; application/octet-stream when absent or empty.
    #[serde(default = "default_media_type")]
    pub media_type: String,
    /// Whether the blob is the gzip-compressed file (its media type then ends in +gzip).
    #[serde(default)]
    pub compress: bool,
}

fn default_media_type() -> String {
    DEFAULT_MEDIA_TYPE.to_owned()
}

impl TypedSpec for FileSpec {
    const TYPE: &'static str = INPUT_TYPE;
    const ALIASES: &'static [&'static str] = &[INPUT_TYPE_NAME];
}

impl FileSpec {
    /// [`path`](Self::path), which must be absolute (`InvalidArgument` otherwise).
    pub fn absolute_path(&self) -> Result<&Path> {
        let path = Path::new(&self.path);
        if path.is_absolute() {
            Ok(path)
        } else {
            Err(Error::InvalidArgument(format!(
                "the input path {:?} is relative; an absolute path is required",
                self.path
            )))
        }
    }

    /// The media type of the produced blob: [`media_type`](Self::media_type) (or
    /// [`DEFAULT_MEDIA_TYPE`] when empty), with [`GZIP_MEDIA_TYPE_SUFFIX`] appended when
    /// compressed.
    pub fn blob_media_type(&self) -> String {
        let media_type = match self.media_type.as_str() {
            "" => DEFAULT_MEDIA_TYPE,
            given => given,
        };
        if self.compress {
            format!("{media_type}{GZIP_MEDIA_TYPE_SUFFIX}")
        } else {
            media_type.to_owned()
        }
    }
}
