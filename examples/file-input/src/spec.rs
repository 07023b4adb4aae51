//! [`FileSpec`]: the `file/v1` input spec, decoded and checked.

use std::path::PathBuf;

use ocm_plugin_contracts::{Error, Result};
use ocm_plugin_types::Raw;
use serde::Deserialize;

use crate::{DEFAULT_MEDIA_TYPE, GZIP_MEDIA_TYPE_SUFFIX, INPUT_TYPE, INPUT_TYPE_NAME};

/// A checked `file/v1` input spec.
///
/// ```json
/// {"type":"file/v1","path":"/abs/file","mediaType":"text/plain","compress":true}
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileSpec {
    /// The file to read; always absolute.
    pub path: PathBuf,
    /// The media type of the file's content (`mediaType`, default
    /// [`DEFAULT_MEDIA_TYPE`](crate::DEFAULT_MEDIA_TYPE)).
    pub media_type: String,
    /// Whether the blob is the gzip-compressed file (`compress`, default `false`).
    pub compress: bool,
}

/// The wire form. Unknown fields are rejected, as the declared schema does.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Wire {
    // Checked through `Raw::type_`; listed so that it is not an unknown field.
    #[serde(rename = "type", default)]
    _typ: Option<serde_json::Value>,
    path: String,
    #[serde(rename = "mediaType", default)]
    media_type: Option<String>,
    #[serde(default)]
    compress: Option<bool>,
}

impl FileSpec {
    /// Decodes and checks a spec.
    ///
    /// The `type`, if present, must be `file/v1` or `file`. `path` is required and must be
    /// absolute; an absent, `null` or empty `mediaType` means [`DEFAULT_MEDIA_TYPE`]. Unknown
    /// fields and wrongly typed values are rejected. Every failure is
    /// [`Error::InvalidArgument`].
    pub fn from_raw(spec: &Raw) -> Result<Self> {
        if let Some(t) = spec.type_() {
            let version_ok = matches!(t.version(), None | Some("v1"));
            if t.name() != INPUT_TYPE_NAME || !version_ok {
                return Err(Error::InvalidArgument(format!(
                    "unsupported input type {t}: this plugin serves {INPUT_TYPE}"
                )));
            }
        }
        let wire: Wire = spec
            .decode()
            .map_err(|e| Error::InvalidArgument(format!("invalid {INPUT_TYPE} input spec: {e}")))?;
        let path = PathBuf::from(wire.path);
        if !path.is_absolute() {
            return Err(Error::InvalidArgument(format!(
                "the input path {:?} is relative; an absolute path is required",
                path.display().to_string()
            )));
        }
        let media_type = wire
            .media_type
            .filter(|m| !m.is_empty())
            .unwrap_or_else(|| DEFAULT_MEDIA_TYPE.to_owned());
        Ok(Self {
            path,
            media_type,
            compress: wire.compress.unwrap_or(false),
        })
    }

    /// The media type of the produced blob: [`media_type`](Self::media_type), with
    /// [`GZIP_MEDIA_TYPE_SUFFIX`](crate::GZIP_MEDIA_TYPE_SUFFIX) appended when compressed.
    pub fn blob_media_type(&self) -> String {
        if self.compress {
            format!("{}{GZIP_MEDIA_TYPE_SUFFIX}", self.media_type)
        } else {
            self.media_type.clone()
        }
    }
}
