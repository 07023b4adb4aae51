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
//! Its JSON schema ([`access_schema`], draft 2020-12) requires `type` and `path` (strings),
//! allows an optional `mediaType` string and nothing else. `path` must be absolute. An access
//! typed `localFile` (unversioned) is accepted too. The plugin takes no configuration.
//!
//! # Behaviour
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
//! # Example
//!
//! ```
//! use ocm_example_local_resources::LocalResources;
//! use ocm_plugin_contracts::resource_repository::v1::{
//!     AddGlobalResourceRequest, GetGlobalResourceRequest, ResourceRepository,
//! };
//! use ocm_plugin_types::{Credentials, Location, Raw, Resource};
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
//! let repository = LocalResources::with_temp_dir(dir.path());
//! let creds = Credentials::new();
//! tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
//!     let location = Location::local_file(upload.to_str().ok_or("not UTF-8")?);
//!     let added = repository
//!         .add_global_resource(AddGlobalResourceRequest { resource_location: location, resource }, &creds)
//!         .await?
//!         .resource;
//!     assert_eq!(
//!         added.digest.as_ref().map(|d| d.value.as_str()),
//!         Some("2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824")
//!     );
//!
//!     let got = repository
//!         .get_global_resource(GetGlobalResourceRequest { resource: added }, &creds)
//!         .await?;
//!     assert_eq!(std::fs::read_to_string(&got.location.value)?, "hello");
//!     std::fs::remove_file(&got.location.value)?; // the caller owns the copy
//!     Ok::<_, Box<dyn std::error::Error>>(())
//! })?;
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
use ocm_plugin_types::{JsonSchema, Type};

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
        ocm_plugin_sdk::resource_repository::untyped(access_type, access_schema(), |_ctx| {
            let repository = LocalResources::new();
            tracing::info!(
                temp_dir = %repository.temp_dir().display(),
                "local resources ready"
            );
            Ok(repository)
        })
        .aliases(alias),
    )
}

/// The JSON schema (draft 2020-12) of a [`ACCESS_TYPE`] access.
pub fn access_schema() -> JsonSchema {
    JsonSchema(ACCESS_SCHEMA.as_bytes().to_vec())
}

const ACCESS_SCHEMA: &str = r#"{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "title": "localFile/v1",
  "description": "A resource stored as a file on the local file system.",
  "type": "object",
  "properties": {
    "type": {
      "type": "string",
      "description": "The access type, localFile/v1."
    },
    "path": {
      "type": "string",
      "description": "Absolute path of the file."
    },
    "mediaType": {
      "type": "string",
      "description": "Media type of the content (optional)."
    }
  },
  "required": ["type", "path"],
  "additionalProperties": false
}
"#;
