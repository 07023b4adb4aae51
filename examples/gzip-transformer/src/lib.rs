//! An example OCM plugin: a **blob transformer** (`blobTransformer`, spec §5.6) of type
//! [`TRANSFORMER_TYPE`] (`GzipTransformer/v1`) that gzip-compresses or decompresses a blob,
//! streaming.
//!
//! All logic lives in this library; the `gzip-transformer` binary only calls [`main`].
//!
//! # Transformer spec
//!
//! ```json
//! {"type":"GzipTransformer/v1","mode":"compress","level":9}
//! ```
//!
//! * `mode` (required) is `compress` or `decompress`.
//! * `level` (optional) is the compression level, an integer from 0 (store) to 9 (best),
//!   by default [`DEFAULT_LEVEL`] (6). Decompression ignores it.
//!
//! The declared JSON schema ([`transformer_schema`], draft 2020-12) enforces the enum and the
//! range and allows no other properties; [`GzipSpec::from_raw`] checks the same again in the
//! plugin. The unversioned type `GzipTransformer` is accepted too.
//!
//! # Behaviour
//!
//! * **transform blob** reads the request's blob, which must be a `localFile` location with an
//!   absolute path (other location types fail with `InvalidArgument`, naming the type), and
//!   streams it through the gzip encoder or decoder (64 KiB buffers; never whole in memory)
//!   into a **new** file in [`std::env::temp_dir`] (a manager sets `TMPDIR` to its own
//!   temporary directory). The request's blob belongs to the caller: it is only read. The
//!   answer is the `localFile` location of the new file, which is handed over to the caller:
//!   * when compressing, with `mediaType` [`GZIP_MEDIA_TYPE`] (`application/gzip`); the gzip
//!     header carries no file name or time, so equal input gives equal output;
//!   * when decompressing, with the input's `mediaType` minus a `+gzip` suffix
//!     (`text/plain+gzip` gives `text/plain`), or no `mediaType` otherwise. Concatenated gzip
//!     members are decompressed one after the other, as `gzip -d` does. Input that does not
//!     start with the gzip magic bytes fails with `InvalidArgument` `input is not gzip data`;
//!     truncated or corrupt gzip data with `InvalidArgument` `input is corrupt gzip data: …`.
//! * **get identity** is `{"type":"GzipTransformer"}` for every spec of this type.
//!
//! A missing input file is `NotFound`; other I/O failures are internal errors naming the path.
//! On any failure no output file is left behind. Credentials are accepted and ignored.
//!
//! # Example
//!
//! ```
//! use std::io::Read as _;
//!
//! use ocm_example_gzip_transformer::GzipTransformer;
//! use ocm_plugin_contracts::blob_transformer::v1::{BlobTransformer, TransformBlobRequest};
//! use ocm_plugin_types::{Credentials, Location, Raw};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let dir = tempfile::tempdir()?;
//! let file = dir.path().join("hello.txt");
//! std::fs::write(&file, "hello, hello, hello")?;
//! let request = TransformBlobRequest {
//!     location: Location::local_file(file.to_str().ok_or("not UTF-8")?),
//!     specification: Raw::new(serde_json::json!({"type": "GzipTransformer/v1", "mode": "compress"}))?,
//! };
//!
//! let answer = tokio::runtime::Builder::new_current_thread()
//!     .build()?
//!     .block_on(GzipTransformer::new().transform_blob(request, &Credentials::new()))?;
//! assert_eq!(answer.location.media_type.as_deref(), Some("application/gzip"));
//!
//! // The output is a new file, handed over to us: read it, then delete it.
//! let compressed = std::fs::read(&answer.location.value)?;
//! std::fs::remove_file(&answer.location.value)?;
//! let mut text = String::new();
//! flate2::read::GzDecoder::new(compressed.as_slice()).read_to_string(&mut text)?;
//! assert_eq!(text, "hello, hello, hello");
//! # Ok(())
//! # }
//! ```

mod gzip;
mod spec;
mod transformer;

#[cfg(test)]
mod plugin_tests;
#[cfg(test)]
mod tests;

use std::process::ExitCode;

use ocm_plugin_sdk::Plugin;
use ocm_plugin_types::{JsonSchema, Type};

pub use spec::{GzipSpec, Mode};
pub use transformer::GzipTransformer;

/// Name under which the plugin registers.
pub const PLUGIN_NAME: &str = "gzip-transformer";

/// The transformer spec type this plugin serves.
pub const TRANSFORMER_TYPE: &str = "GzipTransformer/v1";

/// The name part of [`TRANSFORMER_TYPE`]; a spec typed `GzipTransformer` is accepted too.
pub const TRANSFORMER_TYPE_NAME: &str = "GzipTransformer";

/// The `type` of the consumer identity returned by `get_identity`.
pub const IDENTITY_TYPE: &str = "GzipTransformer";

/// The compression level used when the spec sets none (gzip's default).
pub const DEFAULT_LEVEL: u32 = 6;

/// The media type of a compressed output.
pub const GZIP_MEDIA_TYPE: &str = "application/gzip";

/// The media type suffix a decompressed output loses (`text/plain+gzip` → `text/plain`).
pub const GZIP_MEDIA_TYPE_SUFFIX: &str = "+gzip";

/// The plugin's `main`: declares the capability, then runs the plugin (prints the
/// capabilities, or serves per `--config`).
pub fn main() -> ExitCode {
    let transformer_type = match TRANSFORMER_TYPE.parse::<Type>() {
        Ok(t) => t,
        Err(e) => {
            eprintln!("{PLUGIN_NAME}: invalid built-in type: {e}");
            return ExitCode::FAILURE;
        }
    };
    plugin(transformer_type).run()
}

fn plugin(transformer_type: Type) -> Plugin {
    // The unversioned name is accepted too, over HTTP as in process.
    let alias = Type::new(transformer_type.name(), None).ok();
    Plugin::new(PLUGIN_NAME).register(
        ocm_plugin_sdk::blob_transformer::untyped(transformer_type, transformer_schema(), |_ctx| {
            tracing::info!("gzip transformer ready");
            Ok(GzipTransformer::new())
        })
        .aliases(alias),
    )
}

/// The JSON schema (draft 2020-12) of a [`TRANSFORMER_TYPE`] spec.
pub fn transformer_schema() -> JsonSchema {
    JsonSchema(TRANSFORMER_SCHEMA.as_bytes().to_vec())
}

const TRANSFORMER_SCHEMA: &str = r#"{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "title": "GzipTransformer/v1",
  "description": "gzip-compresses or decompresses a blob.",
  "type": "object",
  "properties": {
    "type": {
      "type": "string",
      "description": "The transformer type, GzipTransformer/v1."
    },
    "mode": {
      "enum": ["compress", "decompress"],
      "description": "Whether to compress or decompress the blob."
    },
    "level": {
      "type": "integer",
      "minimum": 0,
      "maximum": 9,
      "description": "Compression level from 0 (store) to 9 (best); 6 by default. Ignored when decompressing."
    }
  },
  "required": ["type", "mode"],
  "additionalProperties": false
}
"#;
