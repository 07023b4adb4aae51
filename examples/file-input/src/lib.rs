//! An example OCM plugin: an **input method** (`inputRepository`, spec §5.3 and §10.1) of type
//! [`INPUT_TYPE`] (`file/v1`) that turns a local file into a local blob, optionally
//! gzip-compressed, and describes it as a resource or source.
//!
//! All logic lives in this library; the `file-input` binary only calls [`main`].
//!
//! # Input spec
//!
//! [`FileSpec`], whose JSON schema (draft 2020-12) is derived from the type:
//!
//! ```json
//! {"type":"file/v1","path":"/abs/file","mediaType":"text/plain","compress":true}
//! ```
//!
//! * `path` (required, not empty) is the file to read; it must be absolute.
//! * `mediaType` (optional) is the media type of the file's content, by default
//!   [`DEFAULT_MEDIA_TYPE`] (`application/octet-stream`), also when empty.
//! * `compress` (optional, default `false`) makes the blob the gzip-compressed file.
//!
//! No other properties are allowed. The SDK checks every spec against the schema before the
//! plugin sees it; the plugin then refuses a relative `path`. The spec comes from the
//! resource's `input`, or, from a v0.0.1 manager, from its `access`. The unversioned type
//! `file` is accepted too.
//!
//! # Behaviour
//!
//! * **process resource** reads the file and writes it (gzip-compressed when `compress` is set)
//!   to a **new** file in [`std::env::temp_dir`] (a manager sets `TMPDIR` to its own temporary
//!   directory), on the blocking pool. The input file is only read. The answer
//!   ([`resource_answer`](ocm_plugin_sdk::input::resource_answer)) is:
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
//! # Using it from OCM's `ocm` command line
//!
//! `ocm` registers the plugin from its plugin directory and passes it no configuration. An
//! input method is what `ocm add component-version` runs for a resource or source of the
//! component constructor file whose `input` has the method's type, here
//! `input: {type: file/v1, path: /abs/file, compress: true}`. But `ocm` has a built-in input
//! method of the same type (`file/v1`, also `file`), and its input registry looks built-in
//! types up first, without falling back to plugins (spec §6.2): such inputs are processed by
//! `ocm` itself. This plugin serves managers without a built-in `file/v1`, such as this
//! workspace's.
//!
//! # Example
//!
//! The plugin called in process as a manager calls it:
//!
//! ```
//! use ocm_plugin_sdk::contracts::input::v1::{ConstructorResource, InputMethod, ProcessResourceRequest};
//! use ocm_plugin_sdk::testing::{TestClient, block_on};
//! use ocm_plugin_sdk::types::{Credentials, Raw};
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
//! let input = TestClient::new(ocm_example_file_input::plugin(), Vec::new())?.traits();
//! let answer = block_on(input.process_resource(ProcessResourceRequest { resource }, &Credentials::new()))??;
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

mod input;
mod spec;

#[cfg(test)]
mod plugin_tests;
#[cfg(test)]
mod tests;

use std::process::ExitCode;

use ocm_plugin_sdk::Plugin;

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

/// The plugin's `main`: runs [`plugin`] (prints the capabilities, or serves per `--config`).
pub fn main() -> ExitCode {
    plugin().run()
}

/// The plugin: the input method [`FileInput`] for [`FileSpec`] (`file/v1`, alias `file`),
/// whose JSON schema is derived from the type.
pub fn plugin() -> Plugin {
    Plugin::new(PLUGIN_NAME).register(ocm_plugin_sdk::input::typed(|_ctx| {
        tracing::info!("file input ready");
        Ok(FileInput)
    }))
}
