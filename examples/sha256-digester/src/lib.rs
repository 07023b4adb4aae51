//! An example OCM plugin: a **digest processor** (`digestProcessorRepository`, spec §5.4) for
//! resources whose access is of type [`ACCESS_TYPE`] (`localFile/v1`). It computes the SHA-256
//! of the file the access names and fills in the resource's digest.
//!
//! All logic lives in this library; the `sha256-digester` binary only calls [`main`].
//!
//! # Access
//!
//! ```json
//! {"type":"localFile/v1","path":"/abs/file"}
//! ```
//!
//! The declared JSON schema ([`access_schema`], draft 2020-12) requires `type` and `path` (both
//! strings) and allows no other properties; [`LocalFileAccess::from_raw`] checks the same again
//! in the plugin, and also that `path` is absolute. The unversioned type `localFile` is accepted
//! too.
//!
//! # Behaviour
//!
//! * **process resource digest** reads the file in 64 KiB chunks (never whole into memory),
//!   and returns the resource unchanged except for its digest:
//!   `{"hashAlgorithm":"SHA-256","normalisationAlgorithm":"genericBlobDigest/v1","value":<hex>}`.
//!   The file belongs to the caller: it is only read, never changed or deleted.
//!   * A declared digest is checked, not overwritten: a `SHA-256` digest with another value
//!     fails with `InvalidArgument` `digest mismatch: declared X, computed Y`, and a digest of
//!     another hash algorithm, which this processor cannot check, fails with `InvalidArgument`
//!     too. A matching declared digest is answered in the canonical form above.
//!   * A resource without an access, or whose access has another type, a relative path or
//!     unknown fields, fails with `InvalidArgument` (naming the type); a missing file with
//!     `NotFound`; a path that is not a regular file with `InvalidArgument`.
//! * **get identity** is `{"type":"localFile","path":<the access's path>}`. (Go-SDK digest
//!   plugins cannot serve this endpoint at all, spec §5.4; a Rust manager can call it.)
//!
//! Credentials are accepted and ignored.
//!
//! # Example
//!
//! ```
//! use ocm_example_sha256_digester::Sha256Digester;
//! use ocm_plugin_contracts::digest_processor::v1::{DigestProcessor, ProcessResourceDigestRequest};
//! use ocm_plugin_types::{Credentials, Raw, Resource};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let dir = tempfile::tempdir()?;
//! let file = dir.path().join("hello.txt");
//! std::fs::write(&file, "hello")?;
//! let resource = Resource {
//!     name: "greeting".into(),
//!     version: "1.0.0".into(),
//!     resource_type: "plainText".into(),
//!     relation: "local".into(),
//!     access: Some(Raw::new(serde_json::json!({"type": "localFile/v1", "path": file}))?),
//!     ..Resource::default()
//! };
//!
//! let answer = tokio::runtime::Builder::new_current_thread().build()?.block_on(
//!     Sha256Digester::new()
//!         .process_resource_digest(ProcessResourceDigestRequest { resource }, &Credentials::new()),
//! )?;
//! let digest = answer.resource.digest.ok_or("no digest")?;
//! assert_eq!(digest.hash_algorithm, "SHA-256");
//! assert_eq!(digest.normalisation_algorithm, "genericBlobDigest/v1");
//! assert_eq!(digest.value, "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
//! # Ok(())
//! # }
//! ```

mod access;
mod digester;
mod hash;

#[cfg(test)]
mod plugin_tests;
#[cfg(test)]
mod tests;

use std::process::ExitCode;

use ocm_plugin_sdk::Plugin;
use ocm_plugin_types::{JsonSchema, Type};

pub use access::LocalFileAccess;
pub use digester::Sha256Digester;

/// Name under which the plugin registers.
pub const PLUGIN_NAME: &str = "sha256-digester";

/// The access type this plugin digests.
pub const ACCESS_TYPE: &str = "localFile/v1";

/// The name part of [`ACCESS_TYPE`]; an access typed `localFile` is accepted too.
pub const ACCESS_TYPE_NAME: &str = "localFile";

/// The `type` of the consumer identity returned by `get_identity`.
pub const IDENTITY_TYPE: &str = "localFile";

/// The digest's hash algorithm.
pub const HASH_ALGORITHM: &str = "SHA-256";

/// The digest's normalisation algorithm.
pub const NORMALISATION_ALGORITHM: &str = "genericBlobDigest/v1";

/// The plugin's `main`: declares the capability, then runs the plugin (prints the
/// capabilities, or serves per `--config`).
pub fn main() -> ExitCode {
    let access_type = match ACCESS_TYPE.parse::<Type>() {
        Ok(t) => t,
        Err(e) => {
            eprintln!("{PLUGIN_NAME}: invalid built-in type: {e}");
            return ExitCode::FAILURE;
        }
    };
    plugin(access_type).run()
}

fn plugin(access_type: Type) -> Plugin {
    // The unversioned name is accepted too, over HTTP as in process.
    let alias = Type::new(access_type.name(), None).ok();
    Plugin::new(PLUGIN_NAME).register(
        ocm_plugin_sdk::digest_processor::untyped(access_type, access_schema(), |_ctx| {
            tracing::info!("sha256 digester ready");
            Ok(Sha256Digester::new())
        })
        .aliases(alias),
    )
}

/// The JSON schema (draft 2020-12) of an [`ACCESS_TYPE`] access.
pub fn access_schema() -> JsonSchema {
    JsonSchema(ACCESS_SCHEMA.as_bytes().to_vec())
}

const ACCESS_SCHEMA: &str = r#"{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "title": "localFile/v1",
  "description": "Content in a local file.",
  "type": "object",
  "properties": {
    "type": {
      "type": "string",
      "description": "The access type, localFile/v1."
    },
    "path": {
      "type": "string",
      "minLength": 1,
      "description": "Absolute path of the file."
    }
  },
  "required": ["type", "path"],
  "additionalProperties": false
}
"#;
