//! An example OCM plugin: a **resource repository** (`resourceRepository`, spec §5.5) for the
//! access type `localFile/v1`, backed by the local file system.
//!
//! All logic lives in this library; the `local-resources` binary only calls [`main`].
//!
//! # Access type
//!
//! The plugin serves resources whose access is of type [`ACCESS_TYPE`] (`localFile/v1`):
//!
//! ```json
//! {"type":"localFile/v1","path":"/abs/file","mediaType":"text/plain"}
//! ```
//!
//! Its JSON schema (draft 2020-12) is derived from [`LocalFileAccess`]: it requires `type` and
//! a non-empty `path` (strings), allows an optional `mediaType` string and nothing else. The
//! SDK checks every access against it before the plugin sees it; the plugin then refuses a
//! relative `path`. An access typed `localFile` (unversioned) is accepted too. The plugin takes
//! no configuration.
//!
//! # Behaviour
//!
//! File system work runs on the blocking pool.
//!
//! * **get global resource** copies the file at `path` into a **new** file in the temp
//!   directory ([`std::env::temp_dir`]; the plugin manager points `TMPDIR` at its own directory
//!   and removes it at shutdown) and answers with that `localFile` location, whose `mediaType`
//!   is the access's if it names one. The caller owns the new file; the file at `path` is never
//!   handed out. A missing file is `NotFound`; a directory is `InvalidArgument`.
//! * **add global resource** reads the request's `resourceLocation` (only `localFile`
//!   locations; others are `InvalidArgument`), which stays the caller's and is never changed
//!   or deleted, and writes its bytes to the access's `path`: into a temporary file in the same
//!   directory, fsynced, then renamed over `path`; missing parent directories are created. **An
//!   existing file at `path` is overwritten**, whatever it holds. The answer is the resource
//!   with its access unchanged and `digest` set to
//!   `{"hashAlgorithm":"SHA-256","normalisationAlgorithm":"genericBlobDigest/v1","value":<hex>}`
//!   of the bytes written (a different declared digest is replaced, with a warning).
//! * **get identity** returns `{"type":"localFile","path":<path>}`.
//!
//! A resource without an access, an access of another type, or a relative path is
//! `InvalidArgument`. Credentials are accepted and ignored: the local file system needs none.
//! Other I/O failures are internal errors whose message names the path.
//!
//! The plugin reads and writes any file the process may access: there is no root directory
//! that confines `path`. Run it only for trusted descriptors. A declared digest is not
//! verified when a resource is read.
//!
//! # Using it from OCM's `ocm` command line
//!
//! `ocm` registers the plugin from its plugin directory and passes it no configuration.
//! `ocm download resource` reads a resource whose `access` has type `localFile/v1` through
//! this plugin (**get global resource**); a component constructor file gives a resource such
//! an access with `access: {type: localFile/v1, path: /abs/file}`.
//!
//! # Example
//!
//! The plugin called in process as a manager calls it:
//!
//! ```
//! use ocm_example_local_resources::{LocalResources, plugin};
//! use ocm_plugin_sdk::contracts::resource_repository::v1::{
//!     AddGlobalResourceRequest, GetGlobalResourceRequest, ResourceRepository,
//! };
//! use ocm_plugin_sdk::testing::{TestClient, block_on};
//! use ocm_plugin_sdk::types::{Credentials, Location, Raw, Resource};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let dir = tempfile::tempdir()?;
//! let upload = dir.path().join("upload.txt");
//! std::fs::write(&upload, "hello")?;
//! let target = dir.path().join("store/hello.txt");
//! let resource = Resource {
//!     name: "greeting".into(),
//!     access: Some(Raw::new(serde_json::json!({"type": "localFile/v1", "path": target}))?),
//!     ..Resource::default()
//! };
//!
//! let repository = TestClient::new(plugin(LocalResources::with_temp_dir(dir.path())), Vec::new())?.traits();
//! let creds = Credentials::new();
//! let location = Location::local_file(upload.to_str().ok_or("not UTF-8")?);
//! let request = AddGlobalResourceRequest { resource_location: location, resource };
//! let added = block_on(repository.add_global_resource(request, &creds))??.resource;
//! assert_eq!(
//!     added.digest.as_ref().map(|d| d.value.as_str()),
//!     Some("2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824")
//! );
//!
//! let request = GetGlobalResourceRequest { resource: added };
//! let got = block_on(repository.get_global_resource(request, &creds))??;
//! assert_eq!(std::fs::read_to_string(&got.location.value)?, "hello");
//! std::fs::remove_file(&got.location.value)?; // the caller owns the copy
//! assert_eq!(std::fs::read_to_string(&target)?, "hello");
//! # Ok(())
//! # }
//! ```

mod access;
mod files;
mod repository;

#[cfg(test)]
mod plugin_tests;
#[cfg(test)]
mod tests;

use std::process::ExitCode;

use ocm_plugin_sdk::Plugin;

pub use access::LocalFileAccess;
pub use repository::{HASH_ALGORITHM, LocalResources, NORMALISATION_ALGORITHM};

/// Name under which the plugin registers.
pub const PLUGIN_NAME: &str = "local-resources";

/// The access type this plugin serves.
pub const ACCESS_TYPE: &str = "localFile/v1";

/// The name part of [`ACCESS_TYPE`]; an access typed `localFile` is accepted too.
pub const ACCESS_TYPE_NAME: &str = "localFile";

/// The `type` of the consumer identity returned by `get_identity`.
pub const IDENTITY_TYPE: &str = "localFile";

/// The plugin's `main`: runs [`plugin`] (prints the capabilities, or serves per `--config`).
pub fn main() -> ExitCode {
    plugin(LocalResources::new()).run()
}

/// The plugin: `repository` as the resource repository for accesses of type [`LocalFileAccess`]
/// (`localFile/v1`, alias `localFile`), whose JSON schema is derived from the type.
pub fn plugin(repository: LocalResources) -> Plugin {
    Plugin::new(PLUGIN_NAME).register(ocm_plugin_sdk::resource_repository::typed(|_ctx| {
        tracing::info!(
            temp_dir = %repository.temp_dir().display(),
            "local resources ready"
        );
        Ok(repository)
    }))
}
