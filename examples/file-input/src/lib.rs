//! An example OCM plugin: an **input method** (`inputRepository`, spec §5.3 and §10.1) of type
//! [`INPUT_TYPE`] (`file/v1`) that turns a local file into a local blob, optionally
//! gzip-compressed, and describes it as a resource or source.
//!
//! All logic lives in this library; the `file-input` binary only calls [`main`].
//!
//! # Input spec
//!
//! ```json
//! {"type":"file/v1","path":"/abs/file","mediaType":"text/plain","compress":true}
//! ```
//!
//! * `path` (required) is the file to read; it must be absolute.
//! * `mediaType` (optional) is the media type of the file's content, by default
//!   [`DEFAULT_MEDIA_TYPE`] (`application/octet-stream`).
//! * `compress` (optional, default `false`) makes the blob the gzip-compressed file.
//!
//! The declared JSON schema ([`input_schema`], draft 2020-12) says the same and allows no other
//! properties; [`FileSpec::from_raw`] checks it again in the plugin. The spec comes from the
//! resource's `input`, or, from a v0.0.1 manager, from its `access`
//! ([`ConstructorResource::spec`](ocm_plugin_contracts::input::v1::ConstructorResource::spec)).
//!
//! # Behaviour
//!
//! * **process resource** reads the file and writes it (gzip-compressed when `compress` is set)
//!   to a **new** file in [`std::env::temp_dir`] (a manager sets `TMPDIR` to its own temporary
//!   directory). The input file is only read. The answer is:
//!   * the resource as it goes into the descriptor: `name`, `version`, `type`, `labels` and
//!     `extraIdentity` from the request, relation `local`, the access
//!     `{"type":"localBlob/v1","localReference":"sha256:<hex>","mediaType":<blob media type>}`
//!     and the digest
//!     `{"hashAlgorithm":"SHA-256","normalisationAlgorithm":"genericBlobDigest/v1","value":<hex>}`,
//!     where `<hex>` is the SHA-256 of the produced blob (so of the compressed bytes when
//!     compressed);
//!   * the `localFile` location of the new file, with `mediaType` set to the blob media type:
//!     `mediaType`, with [`GZIP_MEDIA_TYPE_SUFFIX`] (`+gzip`) appended when compressed. The
//!     caller owns that file and deletes it.
//! * **process source** does the same for a source (which has no digest).
//! * **get identity** is `{"type":"file","path":<the spec's path>}`.
//!
//! Compression uses gzip's default level and writes no file name or time into the header, so
//! the same file always gives the same blob and digest.
//!
//! Errors: a missing file is `NotFound`; a request without an input, a spec that breaks the
//! schema, a spec of another type, a relative path or a path that is not a regular file is
//! `InvalidArgument`; other I/O failures are internal errors naming the path. Credentials are
//! accepted and ignored.
//!
//! # Example
//!
//! ```
//! use ocm_example_file_input::FileInput;
//! use ocm_plugin_contracts::input::v1::{ConstructorResource, InputMethod, ProcessResourceRequest};
//! use ocm_plugin_types::{Credentials, Raw};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let dir = tempfile::tempdir()?;
//! let file = dir.path().join("hello.txt");
//! std::fs::write(&file, "hello")?;
//! let resource = ConstructorResource {
//!     name: "greeting".into(),
//!     version: "1.0.0".into(),
//!     resource_type: "plainText".into(),
//!     input: Some(Raw::new(serde_json::json!({
//!         "type": "file/v1", "path": file, "mediaType": "text/plain",
//!     }))?),
//!     ..ConstructorResource::default()
//! };
//!
//! let answer = tokio::runtime::Builder::new_current_thread()
//!     .build()?
//!     .block_on(FileInput::new().process_resource(ProcessResourceRequest { resource }, &Credentials::new()))?;
//!
//! // The blob is a new file, handed over to us: read it, then delete it.
//! assert_eq!(std::fs::read(&answer.location.value)?, b"hello");
//! std::fs::remove_file(&answer.location.value)?;
//! assert_eq!(answer.location.media_type.as_deref(), Some("text/plain"));
//!
//! let sha = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";
//! let access = answer.resource.access.as_ref().ok_or("no access")?;
//! assert_eq!(access.get("localReference"), Some(&format!("sha256:{sha}").into()));
//! assert_eq!(answer.resource.digest.ok_or("no digest")?.value, sha);
//! assert_eq!(answer.resource.relation, "local");
//! # Ok(())
//! # }
//! ```

mod blob;
mod input;
mod spec;

#[cfg(test)]
mod plugin_tests;
#[cfg(test)]
mod tests;

use std::process::ExitCode;

use ocm_plugin_sdk::Plugin;
use ocm_plugin_types::{JsonSchema, Type};

pub use input::FileInput;
pub use spec::FileSpec;

/// Name under which the plugin registers.
pub const PLUGIN_NAME: &str = "file-input";

/// The input type this plugin serves.
pub const INPUT_TYPE: &str = "file/v1";

/// The name part of [`INPUT_TYPE`]; a spec typed `file` is accepted too.
pub const INPUT_TYPE_NAME: &str = "file";

/// The `type` of the consumer identity returned by `get_identity`.
pub const IDENTITY_TYPE: &str = "file";

/// The media type of a file whose spec sets none.
pub const DEFAULT_MEDIA_TYPE: &str = "application/octet-stream";

/// Appended to the media type of a compressed blob (`text/plain` becomes `text/plain+gzip`).
pub const GZIP_MEDIA_TYPE_SUFFIX: &str = "+gzip";

/// The access type of the produced resources and sources.
pub const LOCAL_BLOB_ACCESS_TYPE: &str = "localBlob/v1";

/// The digest's hash algorithm.
pub const DIGEST_HASH_ALGORITHM: &str = "SHA-256";

/// The digest's normalisation algorithm.
pub const DIGEST_NORMALISATION_ALGORITHM: &str = "genericBlobDigest/v1";

/// The plugin's `main`: declares the capability, then runs the plugin (prints the
/// capabilities, or serves per `--config`).
pub fn main() -> ExitCode {
    let input_type = match INPUT_TYPE.parse::<Type>() {
        Ok(t) => t,
        Err(e) => {
            eprintln!("{PLUGIN_NAME}: invalid built-in type: {e}");
            return ExitCode::FAILURE;
        }
    };
    plugin(input_type).run()
}

fn plugin(input_type: Type) -> Plugin {
    // The unversioned name is accepted too, over HTTP as in process.
    let alias = Type::new(input_type.name(), None).ok();
    Plugin::new(PLUGIN_NAME).register(
        ocm_plugin_sdk::input::untyped(input_type, input_schema(), |_ctx| {
            tracing::info!("file input ready");
            Ok(FileInput::new())
        })
        .aliases(alias),
    )
}

/// The JSON schema (draft 2020-12) of an [`INPUT_TYPE`] spec.
pub fn input_schema() -> JsonSchema {
    JsonSchema(INPUT_SCHEMA.as_bytes().to_vec())
}

const INPUT_SCHEMA: &str = r#"{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "title": "file/v1",
  "description": "A local file, turned into a local blob, optionally gzip-compressed.",
  "type": "object",
  "properties": {
    "type": {
      "type": "string",
      "description": "The input type, file/v1."
    },
    "path": {
      "type": "string",
      "minLength": 1,
      "description": "Absolute path of the file to read."
    },
    "mediaType": {
      "type": "string",
      "description": "Media type of the file's content; application/octet-stream by default."
    },
    "compress": {
      "type": "boolean",
      "description": "Whether the blob is the gzip-compressed file (its media type gets +gzip)."
    }
  },
  "required": ["type", "path"],
  "additionalProperties": false
}
"#;
