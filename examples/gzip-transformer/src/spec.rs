//! [`GzipSpec`]: the `GzipTransformer/v1` transformer spec.

use ocm_plugin_sdk::{TypedSpec, schemars};
use serde::Deserialize;

use crate::{DEFAULT_LEVEL, TRANSFORMER_TYPE, TRANSFORMER_TYPE_NAME};

/// What the transformer does with a blob: compress or decompress.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[schemars(crate = "ocm_plugin_sdk::schemars", inline)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    // Plain comments: doc comments on the variants would turn the schema's `enum` into a
    // `oneOf`, whose refusals say less.
    // gzip-compress the blob.
    Compress,
    // Decompress a gzip blob.
    Decompress,
}

/// gzip-compresses or decompresses a blob.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[schemars(crate = "ocm_plugin_sdk::schemars", title = "GzipTransformer/v1")]
#[serde(deny_unknown_fields)]
pub struct GzipSpec {
    /// The transformer type, GzipTransformer/v1.
    #[serde(rename = "type")]
    _type: String,
    /// Whether to compress or decompress the blob.
    pub mode: Mode,
    /// Compression level from 0 (store) to 9 (best); 6 by default. Ignored when decompressing.
    #[serde(default = "default_level")]
    #[schemars(range(min = 0, max = 9))]
    pub level: u32,
}

fn default_level() -> u32 {
    DEFAULT_LEVEL
}

impl TypedSpec for GzipSpec {
    const TYPE: &'static str = TRANSFORMER_TYPE;
    const ALIASES: &'static [&'static str] = &[TRANSFORMER_TYPE_NAME];
}
