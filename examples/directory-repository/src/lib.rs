//! An example OCM plugin: a **component version repository** (`componentVersionRepository`,
//! spec §5.1) that keeps component versions, their local resources and their local sources in a
//! directory on disk.
//!
//! All logic lives in this library; the `directory-repository` binary only calls [`main`].
//!
//! # Repository spec and configuration
//!
//! The repository spec type is [`REPOSITORY_TYPE`] (`DirectoryRepository/v1`):
//!
//! ```json
//! {"type":"DirectoryRepository/v1","path":"/abs/dir"}
//! ```
//!
//! Its JSON schema, derived from [`DirectorySpec`], requires `type` and `path` (both strings)
//! and allows no other properties. The plugin also declares the configuration type [`CONFIG_TYPE`]
//! (`directory.config.ocm.software/v1`), whose optional `root` is the fallback directory
//! ([`DirectoryConfig`]):
//!
//! ```json
//! {"type":"directory.config.ocm.software/v1","root":"/abs/dir","pageSize":100}
//! ```
//!
//! Which directory a request uses: the `path` of the request's repository spec when the request
//! carries one (POST requests always do; a Go manager sends none on GET requests), otherwise the
//! configured `root`. With neither, or with a relative path, the request fails with
//! [`Error::InvalidArgument`](ocm_plugin_contracts::Error::InvalidArgument).
//!
//! Credentials are accepted and ignored: a local directory needs none. The consumer identity
//! ([`identity`](ocm_plugin_sdk::component_version_repository::ComponentVersionRepository::identity))
//! is `{"type":"DirectoryRepository","path":<the directory>}`.
//!
//! The plugin is also a **component lister** (`componentLister`) for the same spec type: it
//! lists the names of the components that have a stored version, sorted, a page at a time
//! (`pageSize` of the configuration, default [`DEFAULT_PAGE_SIZE`]): a page holds the names
//! after `last`, and `header.last` is set only while more follow.
//!
//! # Using it from OCM's `ocm` command line
//!
//! The head `ocm` CLI registers this plugin, as it does all nine example plugins in its plugin
//! directory. It passes plugins no configuration and sends no spec on reads, so from `ocm` this
//! plugin works only through [`ROOT_ENV`] (`OCM_DIRECTORY_REPOSITORY_ROOT`, which `ocm` passes
//! through in its environment): reads use that directory, whatever `path` a spec names. `ocm`
//! never takes `DirectoryRepository/v1::<path>` on its command line; it reaches the repository
//! only through a `resolvers.config.ocm.software/v1alpha1` entry in its config that maps
//! component names to a `DirectoryRepository/v1` spec, for components referenced from a root in
//! a CTF or OCI repository (`get cv … --recursive`, `transfer cv … --recursive`). What works
//! there: reading those components' descriptors and versions. `ocm transfer` cannot copy their
//! local blobs (local resources and sources) out of this repository.
//!
//! # Layout
//!
//! This layout is stable; other tools may read it.
//!
//! ```text
//! <root>/components/<escaped component name>/<escaped version>/
//!     descriptor.json               the component descriptor (v2 JSON)
//!     resources/<id>.blob           a local resource's bytes
//!     resources/<id>.json           the resource as stored (with its localBlob access)
//!     sources/<id>.blob             a local source's bytes
//!     sources/<id>.json             the source as stored
//!     .lock                         lock file, held while the version is written
//! ```
//!
//! * `<escaped …>` is [`layout::escape_segment`]: every byte outside `[A-Za-z0-9._-]` and a
//!   leading `.` become `%XX` (upper-case hex). `acme.org/app` is stored as `acme.org%2Fapp`,
//!   `..` as `%2E.`; a name can never escape the root, and the mapping is reversible.
//! * `<id>` is [`layout::identity_digest`]: the lower-case hex SHA-256 of the compact JSON of
//!   the identity (`name`, `version` if not empty, and the `extraIdentity` attributes, keys
//!   sorted), e.g. `sha256('{"name":"app","version":"1.0.0"}')`.
//! * Entries whose names start with `.` belong to the store (the lock file and temporary files
//!   named `.tmp-*`); an escaped name never starts with `.`.
//!
//! # Behaviour
//!
//! * **add component version** stores `descriptor.json`. An existing descriptor of the same
//!   component version is **overwritten**, without merging. Directories, the root included, are
//!   created as needed.
//! * **get component version** reads the descriptor, or fails with
//!   `NotFound("component version <name>:<version> not found in <root>")`.
//! * **list component versions** lists the versions that have a descriptor. Versions that parse
//!   as semantic versions (an optional leading `v` allowed) come first, by semver precedence;
//!   the rest follow lexically. An unknown component gives an empty list.
//! * **add local resource / source** copies the request's blob into the store, hashing it on
//!   the way: a `localFile`, or a `unixNamedPipe` streamed as its writer writes (a pipe without
//!   a writer for 60 s fails the request; other location types are rejected), and sets the access to
//!   `{"type":"localBlob/v1","localReference":"sha256:<hex>","mediaType":<the location's media type, or application/octet-stream>}`,
//!   and, for a resource without a digest, sets
//!   `{"hashAlgorithm":"SHA-256","normalisationAlgorithm":"genericBlobDigest/v1","value":<hex>}`.
//!   If the descriptor of the version exists, the resource (source) is added to it or replaces
//!   the one with the same identity. The stored resource (source) is returned.
//! * **get local resource / source** finds the entry by identity (it must equal the stored
//!   identity exactly; with no identity, the only entry is used) and copies its blob to a **new**
//!   file in the system temp directory. The caller owns that file and deletes it; the stored blob
//!   is never handed out.
//! * **check health** succeeds when the root exists and is a writable directory.
//!
//! * **Permissions** (Unix): no stored file is more accessible than what it came from. A blob,
//!   and the metadata file next to it, get the permission bits of the caller's file, capped at
//!   `0644` (never executable, never group- or world-writable): a `0640` or `0600` input stays
//!   `0640` or `0600` in the repository; a blob read from a named pipe is `0600`. A descriptor that is replaced or updated keeps (at most)
//!   the bits it had; a new one gets `0644`. The bits are set when the temporary file is created,
//!   so the content is never exposed more widely, even before the rename; the umask may narrow
//!   them further.
//!
//! Every file is written atomically: into a temporary file in the same directory, fsynced, then
//! renamed over the target. Writers of one version serialise on its `.lock` file (an exclusive
//! [`File::lock`](std::fs::File::lock)); readers of local blobs take it shared. Concurrent
//! writers therefore never leave a torn file, also across processes.
//!
//! # Example
//!
//! ```
//! use ocm_example_directory_repository::{DirectoryRepository, DirectorySpec};
//! use ocm_plugin_sdk::SpecExt as _;
//! use ocm_plugin_sdk::component_version_repository::{
//!     AddComponentVersionRequest, GetComponentVersionRequest, ComponentVersionRepository,
//! };
//! use ocm_plugin_types::{Credentials, Descriptor, Raw};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let dir = tempfile::tempdir()?;
//! // The configured root is used by requests that carry no spec.
//! let repo = DirectoryRepository::new(Some(dir.path().to_path_buf()))?;
//! let spec = Raw::new(serde_json::json!({"type": "DirectoryRepository/v1", "path": dir.path()}))?;
//! // The plugin receives the spec decoded (the SDK checked it against the derived schema).
//! let decoded: DirectorySpec = spec.decode_spec()?;
//!
//! let mut descriptor = Descriptor::default();
//! descriptor.component.name = "acme.org/app".into();
//! descriptor.component.version = "1.0.0".into();
//! descriptor.component.provider = "acme.org".into();
//!
//! tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
//!     let creds = Credentials::new();
//!     let add = AddComponentVersionRequest { repository: spec, descriptor };
//!     repo.add_component_version(decoded, add, &creds).await?;
//!     let got = repo
//!         .get_component_version(
//!             None,
//!             GetComponentVersionRequest {
//!                 repository: None,
//!                 name: "acme.org/app".into(),
//!                 version: "1.0.0".into(),
//!             },
//!             &creds,
//!         )
//!         .await?;
//!     assert_eq!(got.component.provider, "acme.org");
//!     Ok::<_, Box<dyn std::error::Error>>(())
//! })?;
//! assert!(dir.path().join("components/acme.org%2Fapp/1.0.0/descriptor.json").is_file());
//! # Ok(())
//! # }
//! ```

pub mod layout;
mod repository;
mod store;
mod version;

#[cfg(test)]
mod plugin_tests;
#[cfg(test)]
mod tests;

use std::{path::PathBuf, process::ExitCode};

use ocm_plugin_sdk::{
    BoxError, Plugin, PluginContext, TypedSpec, component_lister, component_version_repository,
    schemars::JsonSchema,
};
use ocm_plugin_types::Type;
use serde::{Deserialize, Serialize};

pub use repository::DirectoryRepository;

/// Name under which the plugin registers.
pub const PLUGIN_NAME: &str = "directory-repository";

/// The repository spec type this plugin serves.
pub const REPOSITORY_TYPE: &str = "DirectoryRepository/v1";

/// The name part of [`REPOSITORY_TYPE`]; a spec typed `DirectoryRepository` is accepted too.
pub const REPOSITORY_TYPE_NAME: &str = "DirectoryRepository";

/// The `type` of the consumer identity returned by `identity`.
pub const IDENTITY_TYPE: &str = "DirectoryRepository";

/// The configuration type this plugin declares.
pub const CONFIG_TYPE: &str = "directory.config.ocm.software/v1";

/// A component version repository stored in a local directory.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[schemars(crate = "ocm_plugin_sdk::schemars", title = "DirectoryRepository/v1")]
#[serde(deny_unknown_fields)]
pub struct DirectorySpec {
    /// The repository type, `DirectoryRepository/v1`.
    #[serde(rename = "type")]
    pub typ: String,
    /// Absolute path of the repository directory.
    pub path: PathBuf,
}

impl TypedSpec for DirectorySpec {
    const TYPE: &'static str = REPOSITORY_TYPE;
}

/// The configuration entry of type [`CONFIG_TYPE`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectoryConfig {
    /// Directory used by requests that carry no repository spec. Must be absolute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root: Option<PathBuf>,
    /// Component names per page of the component lister (default [`DEFAULT_PAGE_SIZE`]).
    #[serde(rename = "pageSize", default, skip_serializing_if = "Option::is_none")]
    pub page_size: Option<usize>,
}

/// Component names per page of the component lister when the configuration sets none.
pub const DEFAULT_PAGE_SIZE: usize = 100;

/// The plugin's `main`: declares the capabilities and the config type, then runs the plugin
/// (prints the capabilities, or serves per `--config`).
pub fn main() -> ExitCode {
    match CONFIG_TYPE.parse() {
        Ok(config_type) => plugin(config_type).run(),
        Err(e) => {
            eprintln!("{PLUGIN_NAME}: invalid built-in type: {e}");
            ExitCode::FAILURE
        }
    }
}

fn plugin(config_type: Type) -> Plugin {
    let (entry_type, lister_entry_type) = (config_type.clone(), config_type.clone());
    Plugin::new(PLUGIN_NAME)
        .config_type(config_type)
        .register(component_version_repository::typed(move |ctx| {
            factory(ctx, &entry_type)
        }))
        .register(component_lister::typed(move |ctx| {
            factory(ctx, &lister_entry_type)
        }))
}

/// Environment variable naming the fallback root when the configuration sets none. Go hosts
/// never send the spec on reads and the Go CLI never passes plugin configuration, but every
/// manager passes its environment through, so this is how such a host points the plugin at a
/// directory.
pub const ROOT_ENV: &str = "OCM_DIRECTORY_REPOSITORY_ROOT";

fn factory(ctx: &PluginContext, config_type: &Type) -> Result<DirectoryRepository, BoxError> {
    let config = ctx
        .config_entry::<DirectoryConfig>(config_type)?
        .unwrap_or_default();
    let root = config.root.or_else(|| {
        std::env::var_os(ROOT_ENV)
            .filter(|v| !v.is_empty())
            .map(Into::into)
    });
    let mut repository = DirectoryRepository::new(root)?;
    if let Some(size) = config.page_size {
        repository = repository.with_page_size(size)?;
    }
    match repository.config_root() {
        Some(root) => tracing::info!(root = %root.display(), "directory repository ready"),
        None => tracing::info!(
            "directory repository ready without a configured root: requests must carry a spec path"
        ),
    }
    Ok(repository)
}
