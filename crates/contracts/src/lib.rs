//! Capability contracts: one async trait per capability and version, with its request and
//! response types.
//!
//! | module | capability key | trait |
//! |---|---|---|
//! | [`component_version_repository::v1`] | `componentVersionRepository` | `ComponentVersionRepository`: store and read component versions and their local blobs |
//! | [`credential_repository::v1`] | `credentialRepository` | `CredentialRepository`: resolve credentials for a consumer identity |
//! | [`input::v1`] | `inputRepository` | `InputMethod`: turn a constructor input into a blob |
//! | [`digest_processor::v1`] | `digestProcessorRepository` | `DigestProcessor`: compute a resource's digest |
//! | [`resource_repository::v1`] | `resourceRepository` | `ResourceRepository`: download and upload resources by access |
//! | [`blob_transformer::v1`] | `blobTransformer` | `BlobTransformer`: transform one blob into another |
//! | [`component_lister::v1`] | `componentLister` | `ComponentLister`: list the components of a repository, a page at a time |
//! | [`signing_handler::v1`] | `signingHandler` | `SigningHandler`: sign a digest and verify signatures |
//! | [`credential_plugin::v1`] | `credentialPlugin` | `CredentialPlugin`: consumer identity of a credential spec, and its credentials |
//!
//! Each trait has three implementations: the plugin author's type inside a plugin binary (served
//! by the SDK), the remote client in `ocm-plugin-registries` (which calls a plugin over HTTP), and
//! in-process implementations registered directly with a registry. A host holds an
//! `Arc<dyn ComponentVersionRepository>` and does not know which one it has.
//!
//! # Example: an in-process component version repository
//!
//! ```
//! use std::{collections::BTreeMap, sync::Mutex};
//! use ocm_plugin_contracts::{Error, Result, async_trait};
//! use ocm_plugin_contracts::component_version_repository::v1::*;
//! use ocm_plugin_types::{Credentials, Descriptor};
//!
//! #[derive(Default)]
//! struct Memory(Mutex<BTreeMap<(String, String), Descriptor>>);
//!
//! #[async_trait]
//! impl ComponentVersionRepository for Memory {
//!     async fn get_component_version(&self, req: GetComponentVersionRequest, _: &Credentials) -> Result<Descriptor> {
//!         let map = self.0.lock().map_err(|_| Error::internal("poisoned"))?;
//!         map.get(&(req.name.clone(), req.version.clone()))
//!             .cloned()
//!             .ok_or_else(|| Error::NotFound(format!("{}:{} not found", req.name, req.version)))
//!     }
//!     async fn add_component_version(&self, req: AddComponentVersionRequest, _: &Credentials) -> Result<()> {
//!         let c = &req.descriptor.component;
//!         let key = (c.name.clone(), c.version.clone());
//!         self.0.lock().map_err(|_| Error::internal("poisoned"))?.insert(key, req.descriptor);
//!         Ok(())
//!     }
//!     // Every other operation has a default that answers "not supported".
//! }
//!
//! # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
//! let repo = Memory::default();
//! let spec = ocm_plugin_types::Raw::from_json(r#"{"type":"Memory/v1"}"#)?;
//! let mut descriptor = Descriptor::default();
//! descriptor.component.name = "acme.org/app".into();
//! descriptor.component.version = "1.0.0".into();
//! repo.add_component_version(AddComponentVersionRequest { repository: spec, descriptor }, &Credentials::new()).await?;
//! let got = repo.get_component_version(
//!     GetComponentVersionRequest { repository: None, name: "acme.org/app".into(), version: "1.0.0".into() },
//!     &Credentials::new(),
//! ).await?;
//! assert_eq!(got.component.version, "1.0.0");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # })?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod blob_transformer;
pub mod component_lister;
pub mod component_version_repository;
pub mod credential_plugin;
pub mod credential_repository;
pub mod digest_processor;
mod error;
pub mod identity;
pub mod input;
pub mod resource_repository;
pub mod signing_handler;

pub use async_trait::async_trait;
pub use error::{BoxError, Error, ErrorKind, Result};
