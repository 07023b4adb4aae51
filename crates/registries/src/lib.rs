//! One registry per capability: it maps a type name such as `OCIRepository/v1` to whatever serves
//! it, an in-process implementation or an external plugin, and hands out `Arc<dyn Trait>` handles.
//!
//! In-process implementations win over external plugins for the same type. External plugins are
//! started lazily, on the first [`get`](component_version_repository::Registry::get) for one of
//! their types, and the spec is validated against the JSON schema the plugin declared for that
//! exact type (not "the first schema", as in Go). The handle returned for an external plugin is a
//! remote client that implements the same contract trait, so callers cannot tell the difference.
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
//! impl Repository for ReadOnly {
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

pub mod component_version_repository;
mod error;
mod external;
mod remote_error;
mod type_map;

pub use error::{Error, Result};
pub use external::ExternalPlugin;
