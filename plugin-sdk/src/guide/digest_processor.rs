//! Digest processors: fill in the digest of a resource whose access is of the registered
//! type. The SDK side is [`crate::digest_processor`]; the example plugin is
//! `examples/sha256-digester`.
//!
//! # What the manager sends
//!
//! The spec is the resource's access, e.g. `{"type":"Inline/v1","data":"hello"}`, in
//! `resource.access`. Its `type` picks the implementation.
//!
//! | route | trait method | request | answer |
//! |---|---|---|---|
//! | `POST /resource/digest/process` | `process_resource_digest` | `{"resource": <descriptor resource>}` | `{"resource": …}` |
//! | `POST /identity` | `identity` | `{"type": <access>}` | `{"identity": {…}}` |
//!
//! The resource is a descriptor resource (name, version, type, relation, access, maybe a
//! digest already). Credentials for the access arrive in `Authorization`; without the header
//! the method gets empty [`Credentials`](crate::types::Credentials).
//!
//! The v0.0.1 Go manager does not validate the access against the schema before
//! `/resource/digest/process`; the SDK does, so the method still only sees valid specs. It
//! does validate it before `/identity`. Go-SDK digest processors cannot decode an `/identity`
//! body that holds an access, so some callers send `{"type":null}`; the SDK answers that with
//! a 400, as there is no spec to hand over.
//!
//! # What to answer
//!
//! The request's resource with `digest` filled in: `hashAlgorithm` (e.g. `SHA-256`),
//! `normalisationAlgorithm` (`genericBlobDigest/v1` for the bytes of a blob) and the hex
//! `value`. [`Digest::generic_blob_sha256`](crate::types::Digest::generic_blob_sha256) builds
//! the usual one. Keep the access as it came. A Go manager crashes on a `null` resource, and
//! the SDK checks (in debug builds and under `TestClient`) that the access is typed and the digest has all three
//! fields (see the [guide](crate::guide#rules-the-sdk-checks-on-answers)).
//!
//! Hashing a large blob is blocking work: run it through
//! [`spawn_blocking`](crate::spawn_blocking).
//!
//! # Errors
//!
//! * `Error::NotFound`: what the access points to does not exist.
//! * `Error::Unauthorized`: the credentials were refused where the access points.
//! * `Error::InvalidArgument`: the resource carries a digest that does not match, or an
//!   algorithm the processor does not offer.
//! * `Error::internal_with`: reading failed otherwise.
//!
//! # Example
//!
//! A digest processor for the access type `Inline/v1`, whose content is in the access itself,
//! and a test. It uses the `sha2` and `hex` crates. The plugin's `main` is
//! `fn main() -> std::process::ExitCode { plugin().run() }`.
//!
//! ```
//! use ocm_plugin_sdk::contracts::Result;
//! use ocm_plugin_sdk::digest_processor::{self as digests, *};
//! use ocm_plugin_sdk::types::Digest;
//! use ocm_plugin_sdk::{Plugin, TypedSpec, async_trait, schemars};
//! use sha2::Digest as _;
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
//! struct Sha256;
//!
//! #[async_trait]
//! impl DigestProcessor for Sha256 {
//!     type Spec = InlineAccess;
//!
//!     async fn process_resource_digest(
//!         &self,
//!         access: InlineAccess,
//!         request: ProcessResourceDigestRequest,
//!         _credentials: &Credentials,
//!     ) -> Result<ProcessResourceDigestResponse> {
//!         let hex = hex::encode(sha2::Sha256::digest(access.data.as_bytes()));
//!         let mut resource = request.resource;
//!         resource.digest = Some(Digest::generic_blob_sha256(hex));
//!         Ok(ProcessResourceDigestResponse { resource })
//!     }
//! }
//!
//! fn plugin() -> Plugin {
//!     Plugin::new("inline-digests").register(digests::typed(|_| Ok(Sha256)))
//! }
//!
//! // The test: the client implements the untyped contract, as the manager calls it.
//! use ocm_plugin_sdk::contracts::digest_processor::v1::DigestProcessor as _;
//! use ocm_plugin_sdk::testing::{TestClient, block_on};
//! use ocm_plugin_sdk::types::{Raw, Resource};
//!
//! let client = TestClient::new(plugin(), Vec::new())?.traits();
//! let resource = Resource {
//!     name: "notes".into(),
//!     version: "1.0.0".into(),
//!     resource_type: "plainText".into(),
//!     relation: "local".into(),
//!     access: Some(Raw::from_json(r#"{"type":"Inline/v1","data":"hello"}"#)?),
//!     ..Default::default()
//! };
//! let request = ProcessResourceDigestRequest { resource };
//! let answer = block_on(client.process_resource_digest(request, &Credentials::new()))??;
//! let digest = answer.resource.digest.ok_or("no digest")?;
//! assert_eq!(digest.normalisation_algorithm, "genericBlobDigest/v1");
//! assert_eq!(digest.value, "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! To implement the contract's own trait
//! (`ocm_plugin_sdk::contracts::digest_processor::v1::DigestProcessor`) with a hand-written
//! schema, register it with
//! [`digest_processor::untyped(typ, schema, factory)`](crate::digest_processor::untyped);
//! `examples/sha256-digester` does that.
