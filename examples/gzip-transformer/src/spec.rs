//! [`GzipSpec`]: the `GzipTransformer/v1` transformer spec, decoded and checked.

use ocm_plugin_contracts::{Error, Result};
use ocm_plugin_types::Raw;
use serde::Deserialize;

use crate::{DEFAULT_LEVEL, TRANSFORMER_TYPE, TRANSFORMER_TYPE_NAME};

/// What the transformer does with a blob.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// gzip-compress the blob (`"compress"`).
    Compress,
    /// Decompress a gzip blob (`"decompress"`).
    Decompress,
}

/// A checked `GzipTransformer/v1` spec.
///
/// ```json
/// {"type":"GzipTransformer/v1","mode":"compress","level":9}
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GzipSpec {
    /// Compress or decompress.
    pub mode: Mode,
    /// Compression level, 0 (store) to 9 (best); [`DEFAULT_LEVEL`](crate::DEFAULT_LEVEL)
    /// when the spec sets none. Decompression ignores it.
    pub level: u32,
}

/// The wire form. Unknown fields are rejected, as the declared schema does.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Wire {
    // Checked through `Raw::type_`; listed so that it is not an unknown field.
    #[serde(rename = "type", default)]
    _typ: Option<serde_json::Value>,
    mode: Mode,
    #[serde(default)]
    level: Option<u32>,
}

impl GzipSpec {
    /// Decodes and checks a spec.
    ///
    /// The `type`, if present, must be `GzipTransformer/v1` or `GzipTransformer`. `mode` is
    /// required (`compress` or `decompress`); `level`, if present, must be an integer from 0
    /// to 9. Unknown fields are rejected. Every failure is [`Error::InvalidArgument`].
    pub fn from_raw(spec: &Raw) -> Result<Self> {
        check_type(spec)?;
        let wire: Wire = spec
            .decode()
            .map_err(|e| Error::InvalidArgument(format!("invalid {TRANSFORMER_TYPE} spec: {e}")))?;
        let level = match wire.level {
            None => DEFAULT_LEVEL,
            Some(level @ 0..=9) => level,
            Some(level) => {
                return Err(Error::InvalidArgument(format!(
                    "invalid {TRANSFORMER_TYPE} spec: level {level} is out of range 0..=9"
                )));
            }
        };
        Ok(Self {
            mode: wire.mode,
            level,
        })
    }
}

/// Fails with [`Error::InvalidArgument`] unless the spec's `type` is absent,
/// `GzipTransformer/v1` or `GzipTransformer`.
pub(crate) fn check_type(spec: &Raw) -> Result<()> {
    match spec.type_() {
        Some(t)
            if t.name() != TRANSFORMER_TYPE_NAME || !matches!(t.version(), None | Some("v1")) =>
        {
            Err(Error::InvalidArgument(format!(
                "unsupported transformer type {t}: this plugin serves {TRANSFORMER_TYPE}"
            )))
        }
        _ => Ok(()),
    }
}
