//! Component version repositories: store and read component versions and their local blobs in
//! a repository described by a repository spec. The SDK side is
//! [`crate::component_version_repository`]; the example plugins are
//! `examples/directory-repository` (a directory tree) and `examples/oci-repository`, and
//! `plugin-sdk/examples/memory.rs` is the smallest one.
//!
//! # What the manager sends
//!
//! The spec is the repository spec, e.g. `{"type":"Shelf/v1","shelf":"team-a"}`, in the
//! request's `repository` field. Its `type` picks the implementation.
//!
//! | route | trait method | spec |
//! |---|---|---|
//! | `GET /component-version/download?name=&version=` | `get_component_version` | optional |
//! | `GET /component-versions?name=` | `list_component_versions` | optional |
//! | `GET /local-resource/download?name=&version=&identity=` | `get_local_resource` | optional |
//! | `GET /local-source/download?name=&version=&identity=` | `get_local_source` | optional |
//! | `POST /component-version/upload` | `add_component_version` | in the body |
//! | `POST /local-resource/upload` | `add_local_resource` | in the body |
//! | `POST /local-source/upload` | `add_local_source` | in the body |
//! | `POST /component-version/check-health` | `check_health` | in the body |
//! | `POST /identity` | `identity` | `{"type": <repository spec>}` |
//!
//! **Reads may carry no spec.** Go managers never send the repository spec on the four `GET`
//! routes; this project's manager sends it as the `repository` query parameter. So the typed
//! read methods take `Option<Self::Spec>`, and `None` is normal. The request still reaches
//! the right implementation when the plugin registered one type of this kind, but the
//! implementation must find out *which* repository to read some other way: from the plugin
//! configuration ([`Plugin::config_type`](crate::Plugin::config_type),
//! [`PluginContext::config_entry`](crate::PluginContext::config_entry)), or from an environment
//! variable of the plugin, since OCM's `ocm` command line passes no configuration. When
//! neither is there, answer `Error::InvalidArgument` and name both, so the user learns how to
//! configure it. The writes (`POST`) always carry the spec.
//!
//! The `identity` query parameter of the local blob reads names the resource or source within
//! the component version (its `name`, `version` and extra identity); it may be absent.
//!
//! Credentials arrive in the `Authorization` header, flat or typed depending on the manager;
//! the method gets them as [`Credentials`](crate::types::Credentials). On these routes a
//! missing header is a 401 before your code runs, as in every Go SDK; managers always send one
//! (`{}` when they have none).
//!
//! The Go SDK never served `check-health`; ours does, and the default answer is healthy.
//!
//! # What to answer
//!
//! * `get_component_version`: the stored [`Descriptor`](crate::types::Descriptor). Store it as
//!   you received it. Go decodes `component.provider` as a string; a descriptor whose provider
//!   became an object makes OCM's command line fail to read it.
//! * `list_component_versions`: the versions, in any order; an unknown component is an empty
//!   list or `NotFound`, as you prefer to tell the user.
//! * `add_local_resource` and `add_local_source`: the blob arrives as `resource_location`
//!   (`source_location`), a file the manager wrote for this call; copy or move it into the
//!   repository ([`crate::blob::open`] reads any location). Answer the resource (source) as it
//!   is now stored, typically with a `localBlob/v1` access whose `localReference` is the blob's
//!   `sha256:<hex>` digest.
//! * `get_local_resource` and `get_local_source`: the blob as a location, written with
//!   [`crate::blob`] (a file; Go managers do not read named pipes), and the resource (source).
//!
//! Unimplemented methods answer 501, so a read-only repository implements the reads only.
//!
//! # Errors
//!
//! * `Error::NotFound`: the component version, resource or source is not stored.
//! * `Error::InvalidArgument`: the request names no repository (no spec, no configuration), a
//!   name or version the repository cannot hold, a local blob read without enough identity to
//!   pick one resource.
//! * `Error::Unauthorized`: the repository refused the credentials.
//! * `Error::internal_with`: storage failed.
//!
//! # What OCM's `ocm` command line does
//!
//! OCM's `ocm` command line (head version, measured from outside) registers the plugin, but:
//!
//! * it accepts the plugin's repository type only through a resolver entry in its
//!   configuration, for a component referenced from a component in a CTF or OCI repository;
//!   never as `TYPE::location` on the command line;
//! * it passes no configuration to plugins and sends no spec on reads, so the repository must
//!   be found from the environment there (`examples/directory-repository` reads
//!   `OCM_DIRECTORY_REPOSITORY_ROOT`);
//! * `ocm transfer` cannot copy local blobs out of a repository provided by a plugin.
//!
//! # Example
//!
//! A repository `Shelf/v1` kept in memory. Writes name their shelf in the spec; reads without
//! a spec use the shelf of the plugin configuration entry `ShelfConfig/v1`. The plugin's `main`
//! is `fn main() -> ExitCode { plugin().map_or(ExitCode::FAILURE, Plugin::run) }`: the
//! configuration type is a constant, so `plugin()` fails only if it is mistyped.
//!
//! ```
//! use std::{collections::BTreeMap, sync::Mutex};
//!
//! use ocm_plugin_sdk::component_version_repository::{self as cvr, *};
//! use ocm_plugin_sdk::contracts::{Error, Result};
//! use ocm_plugin_sdk::{BoxError, Plugin, PluginContext, TypedSpec, async_trait, schemars};
//!
//! /// A repository kept in the plugin's memory, for as long as the plugin runs.
//! #[derive(serde::Deserialize, schemars::JsonSchema)]
//! #[schemars(crate = "ocm_plugin_sdk::schemars")]
//! #[serde(deny_unknown_fields)]
//! struct ShelfSpec {
//!     #[serde(rename = "type")]
//!     _type: String,
//!     /// The shelf that holds the component versions, e.g. `team-a`.
//!     shelf: String,
//! }
//!
//! impl TypedSpec for ShelfSpec {
//!     const TYPE: &'static str = "Shelf/v1";
//! }
//!
//! /// The plugin configuration entry: `{"type":"ShelfConfig/v1","shelf":"team-a"}`.
//! #[derive(serde::Deserialize)]
//! struct ShelfConfig {
//!     shelf: String,
//! }
//!
//! struct Shelves {
//!     /// For reads without a spec (every read from a Go manager).
//!     configured: Option<String>,
//!     /// (shelf, name, version) → descriptor.
//!     stored: Mutex<BTreeMap<(String, String, String), Descriptor>>,
//! }
//!
//! impl Shelves {
//!     fn new(ctx: &PluginContext) -> std::result::Result<Self, BoxError> {
//!         let config: Option<ShelfConfig> = ctx.config_entry(&CONFIG_TYPE.parse()?)?;
//!         Ok(Self { configured: config.map(|c| c.shelf), stored: Mutex::default() })
//!     }
//!
//!     fn shelf(&self, spec: Option<ShelfSpec>) -> Result<String> {
//!         spec.map(|s| s.shelf).or_else(|| self.configured.clone()).ok_or_else(|| {
//!             Error::InvalidArgument(
//!                 "no shelf: the request carries no Shelf/v1 spec and the plugin \
//!                  configuration has no ShelfConfig/v1 entry"
//!                     .into(),
//!             )
//!         })
//!     }
//! }
//!
//! #[async_trait]
//! impl ComponentVersionRepository for Shelves {
//!     type Spec = ShelfSpec;
//!
//!     async fn add_component_version(
//!         &self,
//!         spec: ShelfSpec,
//!         request: AddComponentVersionRequest,
//!         _credentials: &Credentials,
//!     ) -> Result<()> {
//!         let component = &request.descriptor.component;
//!         let key = (spec.shelf, component.name.clone(), component.version.clone());
//!         let mut stored = self.stored.lock().map_err(|_| Error::internal("poisoned"))?;
//!         stored.insert(key, request.descriptor);
//!         Ok(())
//!     }
//!
//!     async fn get_component_version(
//!         &self,
//!         spec: Option<ShelfSpec>,
//!         request: GetComponentVersionRequest,
//!         _credentials: &Credentials,
//!     ) -> Result<Descriptor> {
//!         let shelf = self.shelf(spec)?;
//!         let stored = self.stored.lock().map_err(|_| Error::internal("poisoned"))?;
//!         let key = (shelf, request.name, request.version);
//!         stored.get(&key).cloned().ok_or_else(|| {
//!             Error::NotFound(format!("{}:{} is not on shelf {}", key.1, key.2, key.0))
//!         })
//!     }
//! }
//!
//! const CONFIG_TYPE: &str = "ShelfConfig/v1";
//!
//! fn plugin() -> std::result::Result<Plugin, ocm_plugin_sdk::types::Error> {
//!     Ok(Plugin::new("shelves")
//!         .config_type(CONFIG_TYPE)
//!         .register(cvr::typed(Shelves::new)))
//! }
//!
//! // The test: the client implements the untyped contract, as the manager calls it.
//! use ocm_plugin_sdk::contracts::component_version_repository::v1::ComponentVersionRepository as _;
//! use ocm_plugin_sdk::testing::{TestClient, block_on};
//! use ocm_plugin_sdk::types::Raw;
//!
//! let config = Raw::from_json(r#"{"type":"ShelfConfig/v1","shelf":"team-a"}"#)?;
//! let repo = TestClient::new(plugin()?, vec![config])?.traits();
//! let none = Credentials::new();
//!
//! let mut descriptor = Descriptor::default();
//! descriptor.component.name = "acme.org/app".into();
//! descriptor.component.version = "1.0.0".into();
//! descriptor.component.provider = "acme.org".into();
//! let add = AddComponentVersionRequest {
//!     repository: Raw::from_json(r#"{"type":"Shelf/v1","shelf":"team-a"}"#)?,
//!     descriptor,
//! };
//! block_on(repo.add_component_version(add, &none))??;
//!
//! // A read as a Go manager sends it: no spec; the configured shelf answers.
//! let get = |version: &str| GetComponentVersionRequest {
//!     repository: None,
//!     name: "acme.org/app".into(),
//!     version: version.into(),
//! };
//! let stored = block_on(repo.get_component_version(get("1.0.0"), &none))??;
//! assert_eq!(stored.component.provider, "acme.org");
//! let missing = block_on(repo.get_component_version(get("2.0.0"), &none))?;
//! assert!(matches!(missing, Err(Error::NotFound(_))));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! To implement the contract's own trait
//! (`ocm_plugin_sdk::contracts::component_version_repository::v1::ComponentVersionRepository`)
//! with a hand-written schema, register it with
//! [`component_version_repository::untyped(typ, schema, factory)`](crate::component_version_repository::untyped);
//! `examples/directory-repository` does that.
