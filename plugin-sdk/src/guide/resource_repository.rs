//! Resource repositories: download and upload a resource's blob where its access points (an
//! OCI registry, a directory, a bucket). The SDK side is [`crate::resource_repository`]; the
//! example plugin is `examples/local-resources`.
//!
//! # What the manager sends
//!
//! The spec is the resource's access, e.g. `{"type":"Inline/v1","data":"hello"}`, in
//! `resource.access`. Its `type` picks the implementation.
//!
//! | route | trait method | request | answer |
//! |---|---|---|---|
//! | `POST /resource/get` | `get_global_resource` | `{"resource": <descriptor resource>}` | `{"location": …}` |
//! | `POST /resource/add` | `add_global_resource` | `{"resourceLocation": …, "resource": …}` | `{"resource": …}` |
//! | `POST /identity` | `identity` | `{"type": <access>}` | `{"identity": {…}}` |
//!
//! Managers validate the access against the schema before every call. Credentials are
//! optional on these routes: Go SDKs up to v0.0.15 ignored the header, and without one the
//! method gets empty [`Credentials`](crate::types::Credentials). Go managers call
//! `/resource/add` from v0.0.14 on (their upload); v0.0.1 managers only download. As with
//! digest processors, some callers send `/identity` with `{"type":null}`, which the SDK answers
//! with a 400.
//!
//! # What to answer
//!
//! * `get_global_resource`: the blob as a location. Write it with [`crate::blob`]
//!   ([`blob::from_bytes`](crate::blob::from_bytes), [`blob::from_reader`](crate::blob::from_reader),
//!   [`blob::BlobFile`](crate::blob::BlobFile)): a new file in the manager's temporary
//!   directory, which the manager deletes once it has read it. Go managers do not read named
//!   pipes, so [`blob::from_stream`](crate::blob::from_stream) is for this project's manager
//!   only.
//! * `add_global_resource`: store the blob at `resource_location` (open it with
//!   [`blob::open`](crate::blob::open)) where the access says, and answer the resource with the
//!   access that now finds it.
//!
//! The SDK checks (in debug builds and under `TestClient`) that a location is an absolute path of a known type (see the
//! [guide](crate::guide#rules-the-sdk-checks-on-answers)).
//!
//! # Errors
//!
//! * `Error::NotFound`: nothing is where the access points.
//! * `Error::Unauthorized`: the credentials are missing or were refused.
//! * `Error::InvalidArgument`: the access is valid by its schema but unusable.
//! * `Error::internal_with`: the transfer failed.
//!
//! # Example
//!
//! A resource repository for the access type `Inline/v1`, whose content is in the access
//! itself, and a test. The plugin's `main` is
//! `fn main() -> std::process::ExitCode { plugin().run() }`.
//!
//! ```
//! use ocm_plugin_sdk::contracts::Result;
//! use ocm_plugin_sdk::resource_repository::{self as resources, *};
//! use ocm_plugin_sdk::{Plugin, TypedSpec, async_trait, blob, schemars};
//!
//! /// A resource whose content is given inline, in its access.
//! #[derive(serde::Deserialize, schemars::JsonSchema)]
//! #[schemars(crate = "ocm_plugin_sdk::schemars")]
//! #[serde(deny_unknown_fields)]
//! struct InlineAccess {
//!     #[serde(rename = "type")]
//!     _type: String,
//!     /// The resource's content, as text.
//!     data: String,
//! }
//!
//! impl TypedSpec for InlineAccess {
//!     const TYPE: &'static str = "Inline/v1";
//! }
//!
//! struct Inline;
//!
//! #[async_trait]
//! impl ResourceRepository for Inline {
//!     type Spec = InlineAccess;
//!
//!     async fn get_global_resource(
//!         &self,
//!         access: InlineAccess,
//!         _request: GetGlobalResourceRequest,
//!         _credentials: &Credentials,
//!     ) -> Result<GetGlobalResourceResponse> {
//!         let location = blob::from_bytes(access.data, Some("text/plain")).await?;
//!         Ok(GetGlobalResourceResponse { location })
//!     }
//! }
//!
//! fn plugin() -> Plugin {
//!     Plugin::new("inline-resources").register(resources::typed(|_| Ok(Inline)))
//! }
//!
//! // The test: the client implements the untyped contract, as the manager calls it.
//! use ocm_plugin_sdk::contracts::resource_repository::v1::ResourceRepository as _;
//! use ocm_plugin_sdk::testing::{TestClient, block_on};
//! use ocm_plugin_sdk::types::{Raw, Resource};
//!
//! let client = TestClient::new(plugin(), Vec::new())?.traits();
//! let resource = Resource {
//!     name: "notes".into(),
//!     version: "1.0.0".into(),
//!     resource_type: "plainText".into(),
//!     relation: "external".into(),
//!     access: Some(Raw::from_json(r#"{"type":"Inline/v1","data":"hello"}"#)?),
//!     ..Default::default()
//! };
//! let request = GetGlobalResourceRequest { resource };
//! let answer = block_on(client.get_global_resource(request, &Credentials::new()))??;
//! assert_eq!(std::fs::read(&answer.location.value)?, b"hello");
//! std::fs::remove_file(&answer.location.value)?; // the manager would take it over
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! To implement the contract's own trait
//! (`ocm_plugin_sdk::contracts::resource_repository::v1::ResourceRepository`) with a
//! hand-written schema, register it with
//! [`resource_repository::untyped(typ, schema, factory)`](crate::resource_repository::untyped);
//! `examples/local-resources` does that.
