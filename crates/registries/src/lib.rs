//! One registry per capability: it maps a type name such as `OCIRepository/v1` to whatever serves
//! it, an in-process implementation or an external plugin, and hands out `Arc<dyn Trait>` handles.
//!
//! In-process implementations win over external plugins for the same type. External plugins are
//! started lazily, on the first [`get`](component_version_repository::Registry::get) for one of
//! their types, and the spec is validated against the JSON schema the plugin declared for that
//! exact type (not "the first schema", as in Go). The handle returned for an external plugin is a
//! remote client that implements the same contract trait, so callers cannot tell the difference.
//!
//! | module | capability key | keyed by | trait |
//! |---|---|---|---|
//! | [`component_version_repository`] | `componentVersionRepository` | repository spec type | `ComponentVersionRepository` |
//! | [`credential_repository`] | `credentialRepository` | repository config type, and consumer identity type | `CredentialRepository` |
//! | [`input`] | `inputRepository` | input type (`resource.input`, or `access` from v0.0.1) | `InputMethod` |
//! | [`digest_processor`] | `digestProcessorRepository` | access type | `DigestProcessor` |
//! | [`resource_repository`] | `resourceRepository` | access type | `ResourceRepository` |
//! | [`blob_transformer`] | `blobTransformer` | transformer spec type | `BlobTransformer` |
//! | [`component_lister`] | `componentLister` | repository spec type | `ComponentLister` |
//! | [`signing_handler`] | `signingHandler` | signing config type | `SigningHandler` |
//! | [`credential_plugin`] | `credentialPlugin` | credential spec type | `CredentialPlugin` |
//!
//! Remote clients never panic on malformed answers: a `null` or missing resource, source or
//! location, an empty `200` body or a body of the wrong shape is an error (W17).
//!
//! # Blobs and who deletes them
//!
//! Blob bytes travel as files named by a [`Location`](ocm_plugin_types::Location). [`Blob`]
//! reads one (a regular file, or a FIFO streamed without a temporary copy), and
//! [`RequestFile`] is a file the host puts into a request. The ownership rule (the Go
//! implementation had none, W12):
//!
//! * a **response** location is handed over to the host: a [`Blob`] whose path lies inside the
//!   manager's temp dir (`owned_within`) deletes it when dropped; anything outside is never
//!   deleted;
//! * a **request** location stays the requester's: a [`RequestFile`] created for a request is
//!   deleted when dropped, after the call; a caller's own file is passed by path and kept;
//! * the manager removes its temp dir, with anything left in it, at shutdown.
//!
//! # Example
//!
//! ```
//! use std::sync::Arc;
//! use ocm_plugin_contracts::{async_trait, component_version_repository::v1::*};
//! use ocm_plugin_registries::component_version_repository::Registry;
//! use ocm_plugin_types::{Credentials, Raw};
//!
//! struct ReadOnly;
//! #[async_trait]
//! impl ComponentVersionRepository for ReadOnly {
//!     async fn list_component_versions(&self, _: ListComponentVersionsRequest, _: &Credentials)
//!         -> ocm_plugin_contracts::Result<Vec<String>> {
//!         Ok(vec!["1.0.0".into()])
//!     }
//! }
//!
//! # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
//! let registry = Registry::new();
//! registry.register_internal("ReadOnly/v1".parse()?, Arc::new(ReadOnly))?;
//! let spec = Raw::from_json(r#"{"type":"ReadOnly/v1"}"#)?;
//! let repo = registry.get(&spec).await?;
//! let versions = repo
//!     .list_component_versions(ListComponentVersionsRequest { repository: None, name: "x".into() }, &Credentials::new())
//!     .await?;
//! assert_eq!(versions, ["1.0.0"]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # })?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod blob;
pub mod blob_transformer;
pub mod component_lister;
pub mod component_version_repository;
pub mod credential_plugin;
pub mod credential_repository;
pub mod digest_processor;
mod error;
mod external;
pub mod input;
mod pending;
pub mod registry;
mod remote;
mod remote_error;
pub mod resource_repository;
pub mod signing_handler;
#[cfg(test)]
mod test_util;
mod type_map;

pub use blob::{Blob, BlobReader, RequestFile};
pub use error::{Error, Result};
pub use external::ExternalPlugin;
pub use pending::{Pending, PendingGuard};
pub use registry::{Capability, Registry};
pub use remote::Remote;
