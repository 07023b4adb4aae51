//! Credential plugins (the single `bindings/go` module of OCM, not in the versioned plugin
//! modules): name the consumer identity of a credential spec, then resolve that identity's
//! credentials. The SDK side is [`crate::credential_plugin`]; the example plugin is
//! `examples/local-credentials`.
//!
//! # What the manager sends
//!
//! The spec is a credential spec, e.g. `{"type":"Token/v1","service":"ci"}`, an entry of the
//! user's credential configuration, in the request's `credential` field.
//!
//! | route | trait method | request | answer |
//! |---|---|---|---|
//! | `POST /consumer-identity` | `consumer_identity` | `{"credential": <spec>}` | the bare identity |
//! | `POST /resolve` | `resolve` | `{"identity": {…}}` | the credentials, typed |
//!
//! `/consumer-identity` is dispatched by the spec's `type`, like every other route. `/resolve`
//! carries no spec, only the identity that `consumer_identity` answered; the identity's `type`
//! picks the implementation: the registered type it names in full, by an alias, or by its name
//! alone (`Token` for `Token/v1`), or else the plugin's only credential plugin. So answer an
//! identity whose `type` is the spec type's name, and put in it everything `resolve` needs: it
//! gets nothing else. That is why the typed `resolve` takes no spec.
//!
//! `/consumer-identity` carries no credentials; `/resolve` may carry some in `Authorization`.
//!
//! The routes are the credential repository's, with other bodies. A plugin registering both
//! kinds fails to start with [`Error::ConflictingCapabilities`](crate::Error::ConflictingCapabilities).
//! The released `ocm` 0.13.0 does not know this kind, and every one of its commands fails while
//! such a plugin is in its plugin directory; the head version registers it.
//!
//! # What to answer
//!
//! * `consumer_identity`: the identity, with `type` and the attributes `resolve` needs.
//! * `resolve`: the credentials, typed: [`Credentials::typed`](crate::types::Credentials::typed)
//!   (`{"type":"Credentials/v1","properties":{…}}` for user name and password).
//!
//! # Errors
//!
//! * `Error::InvalidArgument`: the identity lacks an attribute `resolve` needs.
//! * `Error::NotFound`: nothing is stored for the identity.
//! * `Error::Unauthorized`: the store refused access.
//! * `Error::internal_with`: reading the store failed.
//!
//! # Example
//!
//! A credential plugin `Token/v1` that hands out tokens from a table, and a test of both
//! steps. The plugin's `main` is `fn main() -> std::process::ExitCode { plugin().run() }`.
//!
//! ```
//! use std::collections::BTreeMap;
//!
//! use ocm_plugin_sdk::contracts::{Error, Result};
//! use ocm_plugin_sdk::credential_plugin::{self as credentials, *};
//! use ocm_plugin_sdk::{Plugin, TypedSpec, async_trait, schemars};
//!
//! /// A token the plugin keeps for a service.
//! #[derive(serde::Deserialize, schemars::JsonSchema)]
//! #[schemars(crate = "ocm_plugin_sdk::schemars")]
//! #[serde(deny_unknown_fields)]
//! struct TokenSpec {
//!     #[serde(rename = "type")]
//!     _type: String,
//!     /// The service the token is for, e.g. `ci`.
//!     service: String,
//! }
//!
//! impl TypedSpec for TokenSpec {
//!     const TYPE: &'static str = "Token/v1";
//! }
//!
//! /// Service → token.
//! struct Tokens(BTreeMap<String, String>);
//!
//! #[async_trait]
//! impl CredentialPlugin for Tokens {
//!     type Spec = TokenSpec;
//!
//!     async fn consumer_identity(&self, spec: TokenSpec, _: ConsumerIdentityRequest) -> Result<Identity> {
//!         Ok(Identity::from([
//!             ("type".to_owned(), "Token".to_owned()),
//!             ("service".to_owned(), spec.service),
//!         ]))
//!     }
//!
//!     async fn resolve(&self, request: ResolveRequest, _: &Credentials) -> Result<Credentials> {
//!         let service = request.identity.get("service").ok_or_else(|| {
//!             Error::InvalidArgument("the identity has no `service`".into())
//!         })?;
//!         let token = self.0.get(service).ok_or_else(|| Error::NotFound(format!("no token for {service}")))?;
//!         Ok(Credentials::typed("Credentials/v1", [("token", token.as_str())]))
//!     }
//! }
//!
//! fn plugin() -> Plugin {
//!     Plugin::new("tokens").register(credentials::typed(|_| {
//!         Ok(Tokens(BTreeMap::from([("ci".to_owned(), "t0k3n".to_owned())])))
//!     }))
//! }
//!
//! // The test: the client implements the untyped contract, as the manager calls it.
//! use ocm_plugin_sdk::contracts::credential_plugin::v1::CredentialPlugin as _;
//! use ocm_plugin_sdk::testing::{TestClient, block_on};
//! use ocm_plugin_sdk::types::Raw;
//!
//! let client = TestClient::new(plugin(), Vec::new())?.traits();
//! let credential = Raw::from_json(r#"{"type":"Token/v1","service":"ci"}"#)?;
//! let identity = block_on(client.consumer_identity(ConsumerIdentityRequest { credential }))??;
//! let resolved = block_on(client.resolve(ResolveRequest { identity }, &Credentials::new()))??;
//! assert_eq!(resolved.credential_type(), Some("Credentials/v1"));
//! assert_eq!(resolved["token"], "t0k3n");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! To implement the contract's own trait
//! (`ocm_plugin_sdk::contracts::credential_plugin::v1::CredentialPlugin`) with a hand-written
//! schema, register it with
//! [`credential_plugin::untyped(typ, schema, factory)`](crate::credential_plugin::untyped);
//! `examples/local-credentials` does that.
