//! Credential repositories: resolve credentials for consumer identities from a store that a
//! config describes (a vault, a Docker config file). The SDK side is
//! [`crate::credential_repository`]; the example plugin is `examples/docker-credentials`.
//!
//! # What the manager sends
//!
//! The spec is the repository config, e.g. `{"type":"Table/v1","hostname":"registry.acme.org"}`,
//! in the request's `config` field. Its `type` picks the implementation.
//!
//! | route | trait method | request | answer |
//! |---|---|---|---|
//! | `POST /consumer-identity` | `consumer_identity_for_config` | `{"config": <spec>}` | the bare identity of the store itself |
//! | `POST /resolve` | `resolve` | `{"config": <spec>, "identity": {…}}` | the bare credentials of `identity` |
//! | `POST /identity` | `identity` | `{"type": <spec>}` | `{"identity": {…}}` (this project's manager only) |
//!
//! `/consumer-identity` carries no credentials. `/resolve` carries, in `Authorization`, the
//! credentials the manager resolved for the store itself (the identity
//! `consumer_identity_for_config` named), or none.
//!
//! A plugin serves at most one credential repository. Its registration names two types: the
//! consumer identity type it resolves credentials for (the first argument of
//! [`credential_repository::typed`](crate::credential_repository::typed)) and the config type
//! ([`TypedSpec::TYPE`](crate::TypedSpec::TYPE)). The capabilities document lists them as
//! entries `[0]` and `[1]`, both with the config's schema, because Go managers validate the
//! config against the schema of entry `[0]`. Managers of v0.0.17 and later also read
//! [`Plugin::custom_credential_type`](crate::Plugin::custom_credential_type).
//!
//! OCM's Go managers have no working path to a credential repository plugin: the v0.0.1
//! manager cannot look one up by its spec, and later ones key it by a consumer identity type
//! the Go SDK never fills in (protocol spec, sections 5.2 and 10.2). This project's manager
//! calls it.
//!
//! # What to answer
//!
//! * `consumer_identity_for_config`: the identity whose credentials unlock the store, e.g.
//!   `{"type":"HashiCorpVault","hostname":"vault.acme.org"}`; 501 (the default) when the store
//!   needs none.
//! * `resolve`: the credentials for `identity`.
//!   [`Credentials::from`](crate::types::Credentials) a map gives the flat form
//!   `{"username":…}`, which managers up to v0.0.15 read;
//!   [`Credentials::typed`](crate::types::Credentials::typed) gives the typed form
//!   `{"type":"Credentials/v1","properties":{…}}` of v0.0.16 and later. This project's manager
//!   reads both.
//!
//! # Errors
//!
//! * `Error::NotFound`: the store has no credentials for the identity. The manager then tries
//!   its other sources.
//! * `Error::InvalidArgument`: the identity lacks an attribute the store needs to look it up.
//! * `Error::Unauthorized`: the store refused the credentials it was opened with.
//! * `Error::internal_with`: the store could not be read.
//!
//! # Example
//!
//! A credential repository `Table/v1` that holds one table in memory, and a test. The
//! plugin's `main` is `fn main() -> ExitCode { plugin().map_or(ExitCode::FAILURE, Plugin::run) }`.
//!
//! ```
//! use std::collections::BTreeMap;
//!
//! use ocm_plugin_sdk::contracts::{Error, Result};
//! use ocm_plugin_sdk::credential_repository::{self as repository, *};
//! use ocm_plugin_sdk::{Plugin, TypedSpec, async_trait, schemars};
//!
//! /// Credentials for OCI registries, kept by the plugin.
//! #[derive(serde::Deserialize, schemars::JsonSchema)]
//! #[schemars(crate = "ocm_plugin_sdk::schemars")]
//! #[serde(deny_unknown_fields)]
//! struct TableSpec {
//!     #[serde(rename = "type")]
//!     _type: String,
//! }
//!
//! impl TypedSpec for TableSpec {
//!     const TYPE: &'static str = "Table/v1";
//! }
//!
//! /// Registry host name → credentials.
//! struct Table(BTreeMap<String, Credentials>);
//!
//! #[async_trait]
//! impl CredentialRepository for Table {
//!     type Spec = TableSpec;
//!
//!     async fn resolve(
//!         &self,
//!         _spec: TableSpec,
//!         request: ResolveRequest,
//!         _credentials: &Credentials,
//!     ) -> Result<Credentials> {
//!         let host = request.identity.get("hostname").ok_or_else(|| {
//!             Error::InvalidArgument("the identity has no `hostname`".into())
//!         })?;
//!         self.0.get(host).cloned().ok_or_else(|| Error::NotFound(format!("no credentials for {host}")))
//!     }
//! }
//!
//! fn plugin() -> std::result::Result<Plugin, ocm_plugin_sdk::types::Error> {
//!     Ok(Plugin::new("table").register(repository::typed("OCIRegistry", |_| {
//!         let acme = Credentials::typed("Credentials/v1", [("username", "ci"), ("password", "s3cret")]);
//!         Ok(Table(BTreeMap::from([("registry.acme.org".to_owned(), acme)])))
//!     })))
//! }
//!
//! // The test: the client implements the untyped contract, as the manager calls it.
//! use ocm_plugin_sdk::contracts::credential_repository::v1::CredentialRepository as _;
//! use ocm_plugin_sdk::testing::{TestClient, block_on};
//! use ocm_plugin_sdk::types::Raw;
//!
//! let client = TestClient::new(plugin()?, Vec::new())?.traits();
//! let resolve = |host: &str| -> std::result::Result<_, Box<dyn std::error::Error>> {
//!     Ok(ResolveRequest {
//!         config: Raw::from_json(r#"{"type":"Table/v1"}"#)?,
//!         identity: Identity::from([
//!             ("type".to_owned(), "OCIRegistry".to_owned()),
//!             ("hostname".to_owned(), host.to_owned()),
//!         ]),
//!     })
//! };
//! let found = block_on(client.resolve(resolve("registry.acme.org")?, &Credentials::new()))??;
//! assert_eq!(found["username"], "ci");
//! let unknown = block_on(client.resolve(resolve("elsewhere.org")?, &Credentials::new()))?;
//! assert!(matches!(unknown, Err(Error::NotFound(_))));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! To implement the contract's own trait
//! (`ocm_plugin_sdk::contracts::credential_repository::v1::CredentialRepository`) with a
//! hand-written schema, register it with
//! [`credential_repository::untyped(consumer_identity_type, typ, schema, factory)`](crate::credential_repository::untyped);
//! `examples/docker-credentials` does that.
