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
//! The JSON schema (draft 2020-12) is derived from [`GzipSpec`]: it enforces the enum and the
//! range and allows no other properties, and the SDK checks every spec against it before the
//! plugin sees it. The unversioned type `GzipTransformer` is accepted too.
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
//! * **get identity** is `{"type":"GzipTransformer"}` for every (valid) spec of this type.
//!
//! A missing input file is `NotFound`; other I/O failures are internal errors naming the path.
//! On any failure no output file is left behind. Credentials are accepted and ignored.
//!
//! # Using it from OCM's `ocm` command line
//!
//! `ocm` registers the plugin from its plugin directory and passes it no configuration, but
//! has no way to call it: its one command that transforms blobs,
//! `ocm download resource --transformer <name>`, takes the name from a table built into `ocm`,
//! not from plugins. This workspace's manager calls it for a spec such as
//! `{"type":"GzipTransformer/v1","mode":"compress"}`.
//!
//! # Example
//!
//! The plugin called in process as a manager calls it:
//!
//! ```
//! use std::io::Read as _;
//!
//! use ocm_plugin_sdk::contracts::blob_transformer::v1::{BlobTransformer, TransformBlobRequest};
//! use ocm_plugin_sdk::testing::{TestClient, block_on};
//! use ocm_plugin_sdk::types::{Credentials, Location, Raw};
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
//! let transformer = TestClient::new(ocm_example_gzip_transformer::plugin(), Vec::new())?.traits();
//! let answer = block_on(transformer.transform_blob(request, &Credentials::new()))??;
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

/// The plugin's `main`: runs [`plugin`] (prints the capabilities, or serves per `--config`).
pub fn main() -> ExitCode {
    plugin().run()
}

/// The plugin: the blob transformer [`GzipTransformer`] for [`GzipSpec`]
/// (`GzipTransformer/v1`, alias `GzipTransformer`), whose JSON schema is derived from the type.
pub fn plugin() -> Plugin {
    Plugin::new(PLUGIN_NAME).register(ocm_plugin_sdk::blob_transformer::typed(|_ctx| {
        tracing::info!("gzip transformer ready");
        Ok(GzipTransformer)
    }))
}
