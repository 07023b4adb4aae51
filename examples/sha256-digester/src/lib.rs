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
//! The JSON schema (draft 2020-12) is derived from [`LocalFileAccess`]: it requires `type` and
//! `path` (both strings, `path` not empty) and allows no other properties. The SDK checks every
//! access against it before the plugin sees it; the plugin then refuses a relative `path`. The
//! unversioned type `localFile` is accepted too.
//!
//! # Behaviour
//!
//! * **process resource digest** reads the file in 64 KiB chunks (never whole into memory), on
//!   the blocking pool, and returns the resource unchanged except for its digest:
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
//! # Using it from OCM's `ocm` command line
//!
//! `ocm` registers the plugin from its plugin directory and passes it no configuration.
//! `ocm add component-version` asks the digest processor of a resource's access type for the
//! digest of each resource of the component constructor file that is given by `access` (not
//! `input`), unless `--skip-reference-digest-processing` is set: a resource with
//! `access: {type: localFile/v1, path: /abs/file}` gets its digest from this plugin.
//!
//! # Example
//!
//! The plugin called in process as a manager calls it:
//!
//! ```
//! use ocm_plugin_sdk::contracts::digest_processor::v1::{DigestProcessor, ProcessResourceDigestRequest};
//! use ocm_plugin_sdk::testing::{TestClient, block_on};
//! use ocm_plugin_sdk::types::{Credentials, Raw, Resource};
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
//! let digester = TestClient::new(ocm_example_sha256_digester::plugin(), Vec::new())?.traits();
//! let request = ProcessResourceDigestRequest { resource };
//! let answer = block_on(digester.process_resource_digest(request, &Credentials::new()))??;
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

/// The plugin's `main`: runs [`plugin`] (prints the capabilities, or serves per `--config`).
pub fn main() -> ExitCode {
    plugin().run()
}

/// The plugin: the digest processor [`Sha256Digester`] for accesses of type [`LocalFileAccess`]
/// (`localFile/v1`, alias `localFile`), whose JSON schema is derived from the type.
pub fn plugin() -> Plugin {
    Plugin::new(PLUGIN_NAME).register(ocm_plugin_sdk::digest_processor::typed(|_ctx| {
        tracing::info!("sha256 digester ready");
        Ok(Sha256Digester)
    }))
}
