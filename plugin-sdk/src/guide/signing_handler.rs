//! Signing handlers (Go plugin module v0.0.7 and later): sign the digest of a component
//! version and verify signatures, as a signing config says. The SDK side is
//! [`crate::signing_handler`]; the example plugin is `examples/rsa-signing-handler`.
//!
//! # What the manager sends
//!
//! The spec is the signing config, e.g. `{"type":"KeyedSHA256/v1alpha1"}`, in the request's
//! `config` field. Its `type` picks the implementation. Managers validate `config` against the
//! schema on every call.
//!
//! | route | trait method | request | answer |
//! |---|---|---|---|
//! | `POST /sign/identity` | `signing_identity` | `{"digest": …, "config": <spec>, "name": "<signature name>"}` | `{"identity": {…}}` |
//! | `POST /verify/identity` | `verifying_identity` | `{"signature": …, "config": <spec>}` | `{"identity": {…}}` |
//! | `POST /sign` | `sign` | `{"digest": …, "config": <spec>}` | `{"signature": {"algorithm", "value", "mediaType", "issuer"?}}` |
//! | `POST /verify` | `verify` | `{"signature": {"name", "digest", "signature"}, "config": <spec>}` | `{}` |
//!
//! The manager first asks for the consumer identity of the key (`/sign/identity`,
//! `/verify/identity`), resolves credentials for it (a private key to sign, a public key or
//! certificate to verify), and sends them in `Authorization` with `/sign` and `/verify`. Every
//! manager generation sends the header there, `{}` when it found none, and the method then gets
//! empty [`Credentials`](crate::types::Credentials). The identity routes carry none.
//!
//! # What to answer
//!
//! * `signing_identity` and `verifying_identity`: the identity the key is stored under, e.g.
//!   `{"type":"KeyedSHA256","algorithm":"keyed-sha256","signature":"<name>"}`. The default is
//!   501, and then the manager has no credentials to send.
//! * `sign`: the signature over `request.digest.value`: its `algorithm`, the encoded `value`,
//!   the `media_type` that says how `value` is encoded, and an `issuer` when the key has one.
//! * `verify`: `Ok(VerifyResponse {})` only when the signature verifies.
//!
//! # Errors
//!
//! * `Error::InvalidArgument`: the signature does not verify, or is malformed (wrong media
//!   type, not hex). Say which.
//! * `Error::Unauthorized`: the key is missing from the credentials, or unusable.
//! * `Error::internal_with`: the crypto library failed.
//!
//! # Example
//!
//! A signing handler `KeyedSHA256/v1alpha1` whose "signature" is the SHA-256 of a secret
//! followed by the digest. That is no secure signature scheme; it keeps the example short. It
//! uses the `sha2` and `hex` crates. The plugin's `main` is
//! `fn main() -> std::process::ExitCode { plugin().run() }`.
//!
//! ```
//! use ocm_plugin_sdk::contracts::{Error, Result};
//! use ocm_plugin_sdk::signing_handler::{self as signers, *};
//! use ocm_plugin_sdk::types::SignatureInfo;
//! use ocm_plugin_sdk::{Plugin, TypedSpec, async_trait, schemars};
//! use sha2::Digest as _;
//!
//! const MEDIA_TYPE: &str = "application/vnd.example.keyed-sha256";
//!
//! /// Signs with the SHA-256 of a secret and the digest (an example, not secure).
//! #[derive(serde::Deserialize, schemars::JsonSchema)]
//! #[schemars(crate = "ocm_plugin_sdk::schemars")]
//! #[serde(deny_unknown_fields)]
//! struct KeyedConfig {
//!     #[serde(rename = "type")]
//!     _type: String,
//! }
//!
//! impl TypedSpec for KeyedConfig {
//!     const TYPE: &'static str = "KeyedSHA256/v1alpha1";
//! }
//!
//! struct Keyed;
//!
//! fn keyed(credentials: &Credentials, digest: &str) -> Result<String> {
//!     let secret = credentials
//!         .get("secret")
//!         .ok_or_else(|| Error::Unauthorized("the credentials have no `secret`".into()))?;
//!     Ok(hex::encode(sha2::Sha256::digest(format!("{secret}{digest}"))))
//! }
//!
//! #[async_trait]
//! impl SigningHandler for Keyed {
//!     type Spec = KeyedConfig;
//!
//!     async fn sign(&self, _: KeyedConfig, request: SignRequest, credentials: &Credentials) -> Result<SignResponse> {
//!         let value = keyed(credentials, &request.digest.value)?;
//!         let signature = SignatureInfo {
//!             algorithm: "keyed-sha256".into(),
//!             value,
//!             media_type: MEDIA_TYPE.into(),
//!             ..Default::default()
//!         };
//!         Ok(SignResponse { signature })
//!     }
//!
//!     async fn verify(&self, _: KeyedConfig, request: VerifyRequest, credentials: &Credentials) -> Result<VerifyResponse> {
//!         let signature = &request.signature;
//!         if signature.signature.media_type != MEDIA_TYPE {
//!             return Err(Error::InvalidArgument(format!(
//!                 "signature {} has media type {:?}, not {MEDIA_TYPE}",
//!                 signature.name, signature.signature.media_type
//!             )));
//!         }
//!         if keyed(credentials, &signature.digest.value)? != signature.signature.value {
//!             return Err(Error::InvalidArgument(format!("signature {} does not verify", signature.name)));
//!         }
//!         Ok(VerifyResponse {})
//!     }
//! }
//!
//! fn plugin() -> Plugin {
//!     Plugin::new("keyed").register(signers::typed(|_| Ok(Keyed)))
//! }
//!
//! // The test: the client implements the untyped contract, as the manager calls it.
//! use ocm_plugin_sdk::contracts::signing_handler::v1::SigningHandler as _;
//! use ocm_plugin_sdk::testing::{TestClient, block_on};
//! use ocm_plugin_sdk::types::{Digest, Raw, Signature};
//!
//! let client = TestClient::new(plugin(), Vec::new())?.traits();
//! let config = Raw::from_json(r#"{"type":"KeyedSHA256/v1alpha1"}"#)?;
//! let key = Credentials::typed("KeyedSecret/v1", [("secret", "s3cret")]);
//! let digest = Digest {
//!     hash_algorithm: "SHA-256".into(),
//!     normalisation_algorithm: "jsonNormalisation/v4alpha1".into(),
//!     value: "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824".into(),
//!     ..Default::default()
//! };
//! let sign = SignRequest { digest: digest.clone(), config: config.clone() };
//! let signed = block_on(client.sign(sign, &key))??.signature;
//!
//! let verify = |signature: SignatureInfo| VerifyRequest {
//!     signature: Signature { name: "acme".into(), digest: digest.clone(), signature, ..Default::default() },
//!     config: config.clone(),
//! };
//! block_on(client.verify(verify(signed.clone()), &key))??;
//! let wrong = Credentials::typed("KeyedSecret/v1", [("secret", "guess")]);
//! let refused = block_on(client.verify(verify(signed), &wrong))?;
//! assert!(matches!(refused, Err(Error::InvalidArgument(m)) if m.contains("does not verify")));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! To implement the contract's own trait
//! (`ocm_plugin_sdk::contracts::signing_handler::v1::SigningHandler`) with a hand-written
//! schema, register it with
//! [`signing_handler::untyped(typ, schema, factory)`](crate::signing_handler::untyped);
//! `examples/rsa-signing-handler` does that.
