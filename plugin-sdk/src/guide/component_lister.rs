//! Component listers (Go plugin module v0.0.8 and later): list the component names in a
//! repository, a page at a time. The SDK side is [`crate::component_lister`]; the example
//! plugin is `examples/directory-repository`, which registers a lister next to its component
//! version repository for the same repository type.
//!
//! # What the manager sends
//!
//! The spec is the repository spec, e.g. `{"type":"Catalog/v1"}`, in the request's
//! `repository` field. Its `type` picks the implementation. Unlike the component version
//! repository's reads, the lister's request always carries the spec.
//!
//! | route | trait method | request | answer |
//! |---|---|---|---|
//! | `POST /components/list` | `list_components` | `{"repository": <spec>, "last": "<name>"}` | `{"list": [...], "header": {"last": "<name>"}}` |
//! | `POST /identity` | `identity` | `{"type": <spec>}` | `{"identity": {…}}` |
//!
//! `last` is empty for the first page and the last name of the previous page after that.
//! Credentials arrive in `Authorization`. A missing header means none: Go SDKs accept that
//! from v0.0.17 on, and this project's manager may omit it when it has none. The method then
//! gets empty [`Credentials`](crate::types::Credentials). Managers before v0.0.8 do not know
//! the kind and never call it.
//!
//! # What to answer
//!
//! One page of names, sorted, starting after `last`, in `list`. Set `header` to
//! `Some(ListComponentsHeader { last })` with the page's last name when more pages follow, and
//! leave it `None` on the final page: the manager asks for the next page while there is a
//! header. The page size is yours to choose.
//!
//! # Errors
//!
//! * `Error::InvalidArgument`: `last` names no component of the repository, or the spec is
//!   valid by its schema but names no usable repository.
//! * `Error::NotFound`: the repository does not exist.
//! * `Error::Unauthorized`: the repository refused the credentials.
//! * `Error::internal_with`: listing failed otherwise.
//!
//! # Example
//!
//! A lister `Catalog/v1` over a fixed list of names, two to a page, and a test that reads
//! every page. The plugin's `main` is `fn main() -> std::process::ExitCode { plugin().run() }`.
//!
//! ```
//! use ocm_plugin_sdk::component_lister::{self as listers, *};
//! use ocm_plugin_sdk::contracts::Result;
//! use ocm_plugin_sdk::{Plugin, TypedSpec, async_trait, schemars};
//!
//! /// The plugin's built-in catalogue of components.
//! #[derive(serde::Deserialize, schemars::JsonSchema)]
//! #[schemars(crate = "ocm_plugin_sdk::schemars")]
//! #[serde(deny_unknown_fields)]
//! struct CatalogSpec {
//!     #[serde(rename = "type")]
//!     _type: String,
//! }
//!
//! impl TypedSpec for CatalogSpec {
//!     const TYPE: &'static str = "Catalog/v1";
//! }
//!
//! /// Sorted component names.
//! struct Catalog(Vec<String>);
//!
//! #[async_trait]
//! impl ComponentLister for Catalog {
//!     type Spec = CatalogSpec;
//!
//!     async fn list_components(
//!         &self,
//!         _spec: CatalogSpec,
//!         request: ListComponentsRequest,
//!         _credentials: &Credentials,
//!     ) -> Result<ListComponentsResponse> {
//!         const PAGE: usize = 2;
//!         let rest: Vec<String> = self.0.iter().filter(|n| **n > request.last).cloned().collect();
//!         let list: Vec<String> = rest.iter().take(PAGE).cloned().collect();
//!         let header = match list.last() {
//!             Some(last) if rest.len() > PAGE => Some(ListComponentsHeader { last: last.clone() }),
//!             _ => None,
//!         };
//!         Ok(ListComponentsResponse { list, header })
//!     }
//! }
//!
//! fn plugin() -> Plugin {
//!     let names = ["acme.org/api", "acme.org/app", "acme.org/db"];
//!     Plugin::new("catalog")
//!         .register(listers::typed(move |_| Ok(Catalog(names.map(String::from).to_vec()))))
//! }
//!
//! // The test: the client implements the untyped contract, as the manager calls it.
//! use ocm_plugin_sdk::contracts::component_lister::v1::ComponentLister as _;
//! use ocm_plugin_sdk::testing::{TestClient, block_on};
//! use ocm_plugin_sdk::types::Raw;
//!
//! let client = TestClient::new(plugin(), Vec::new())?.traits();
//! let (mut names, mut last) = (Vec::new(), String::new());
//! loop {
//!     let request = ListComponentsRequest {
//!         repository: Raw::from_json(r#"{"type":"Catalog/v1"}"#)?,
//!         last: last.clone(),
//!     };
//!     let page = block_on(client.list_components(request, &Credentials::new()))??;
//!     names.extend(page.list);
//!     match page.header {
//!         Some(header) => last = header.last,
//!         None => break,
//!     }
//! }
//! assert_eq!(names, ["acme.org/api", "acme.org/app", "acme.org/db"]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! To implement the contract's own trait
//! (`ocm_plugin_sdk::contracts::component_lister::v1::ComponentLister`) with a hand-written
//! schema, register it with
//! [`component_lister::untyped(typ, schema, factory)`](crate::component_lister::untyped);
//! `examples/directory-repository` does that.
