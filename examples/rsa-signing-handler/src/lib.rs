//! An example OCM signing handler (`signingHandler`): RSA signatures for the signing
//! configuration type [`CONFIG_TYPE`] (`RSASigningConfiguration/v1alpha1`), compatible with the
//! RSA handler built into OCM (Go package `bindings/go/rsa/signing`).
//!
//! All logic lives in this library: [`RsaSigningHandler`] implements the SDK's typed
//! [`SigningHandler`](ocm_plugin_sdk::signing_handler::SigningHandler) for the configuration
//! type [`RsaSigningConfig`], whose JSON schema the SDK derives; [`main`] serves it under
//! [`PLUGIN_NAME`].
//!
//! # Signing configuration
//!
//! ```json
//! {"type":"RSASigningConfiguration/v1alpha1","signatureAlgorithm":"RSASSA-PSS","signatureEncodingPolicy":"Plain"}
//! ```
//!
//! * `signatureAlgorithm`: [`ALGORITHM_RSASSA_PSS`] (`RSASSA-PSS`, the default) or
//!   [`ALGORITHM_RSASSA_PKCS1_V15`] (`RSASSA-PKCS1-V1_5`).
//! * `signatureEncodingPolicy`: `Plain` (the default) or `PEM`.
//!
//! The unversioned type `RSASigningConfiguration` is accepted too. `type` is required; unknown
//! fields and other values are refused by the declared schema (derived from
//! [`RsaSigningConfig`]) before the handler is called, and by its decoding, naming the field.
//!
//! # Signatures
//!
//! The digest's `value` is the hash itself (hex) and is signed as is, never hashed again; its
//! `hashAlgorithm` (`SHA-256`, `SHA-384` or `SHA-512`) selects the hash the schemes use:
//!
//! * **RSASSA-PSS**: MGF1 with the same hash and the longest salt the key allows (what Go's
//!   `rsa.SignPSS` does without options, OpenSSL's `rsa_pss_saltlen:max`). Verification detects
//!   the salt length, so signatures with other salt lengths verify too.
//! * **RSASSA-PKCS1-V1_5**: the DigestInfo of the hash, PKCS#1 v1.5 padded.
//!
//! Encodings:
//!
//! * `Plain`: the value is lowercase hex; the media type is [`MEDIA_TYPE_PLAIN_RSASSA_PSS`]
//!   (`application/vnd.ocm.signature.rsa.pss`) or [`MEDIA_TYPE_PLAIN_RSASSA_PKCS1_V15`]
//!   (`application/vnd.ocm.signature.rsa`).
//! * `PEM`: the media type is [`MEDIA_TYPE_PEM`] (`application/x-pem-file`); the value is a
//!   `SIGNATURE` PEM block with a `Signature Algorithm: <algorithm>` header, followed by the
//!   `CERTIFICATE` blocks found in the public key credentials, if any (OCM's layout).
//!
//! `issuer` is never set, as OCM's handler sets none.
//!
//! Verification reads how a signature was made from the signature itself (the configuration is
//! checked but not used): the media type picks the encoding, and `signature.algorithm`, the
//! plain media type and the PEM header must agree. A signature that does not verify is
//! `InvalidArgument` (`signature verification failed: …`): the request's signature is wrong
//! for its digest and key, while the credentials themselves are fine.
//!
//! # Certificate chains
//!
//! A PEM signature that embeds `CERTIFICATE` blocks is verified as OCM's handler verifies it:
//! the chain (leaf first) is validated against the trust anchors, the `CERTIFICATE` blocks of
//! the credentials' public key material (typically one self-signed CA certificate), and the
//! signature is then checked with the **leaf certificate's** public key. The validation checks
//! every certificate's validity period (now), issuer/subject chaining and the RSA signature
//! of each certificate by the next (or by an anchor), that the chain ends at an anchor (an
//! embedded copy of an anchor, or a certificate an anchor issued), `basicConstraints` CA:true,
//! `keyUsage` keyCertSign and `pathLenConstraint` on every issuer, and `keyUsage`
//! digitalSignature plus extended key usage `codeSigning` on the leaf. A refused chain is
//! `InvalidArgument` (`signature verification failed: certificate verification failed: …`,
//! naming the certificate and the reason: dates, both names, the missing usage, the untrusted
//! root). Missing anchors are a credentials problem, `Unauthorized`, worded as in OCM: no
//! public key material is `certificate signed by unknown authority`; a bare `PUBLIC KEY` where
//! a certificate is needed is `cannot load certificate chain from credentials: unexpected pem
//! block type for certificate: "PUBLIC KEY"`.
//!
//! PEM signatures without certificates, and plain signatures, are verified with the public
//! key from the credentials.
//!
//! **Differences from OCM:** the system's root certificates are never trusted (only the
//! anchors from the credentials); a PEM signature without certificates is verified with the
//! credentials' key instead of being refused; the anchor material may hold other blocks next
//! to its certificates; the leaf must carry the extended key usage `codeSigning` (Go also
//! accepts a leaf without any extended key usage extension) and, when it has a `keyUsage`
//! extension, digitalSignature (Go does not check it); certificates must be signed with
//! `sha256`/`sha384`/`sha512WithRSAEncryption` (no RSASSA-PSS or ECDSA certificate signatures).
//!
//! # Credentials
//!
//! Typed `RSACredentials/v1` ([`CREDENTIAL_TYPE`]) or direct credentials, with the properties
//!
//! * [`PRIVATE_KEY_PEM`] (`privateKeyPEM`) or [`PRIVATE_KEY_PEM_FILE`] (`privateKeyPEMFile`):
//!   an unencrypted RSA private key, PKCS#1 (`RSA PRIVATE KEY`) or PKCS#8 (`PRIVATE KEY`);
//!   needed to sign;
//! * [`PUBLIC_KEY_PEM`] (`publicKeyPEM`) or [`PUBLIC_KEY_PEM_FILE`] (`publicKeyPEMFile`): an RSA
//!   public key, SPKI (`PUBLIC KEY`) or PKCS#1 (`RSA PUBLIC KEY`), to verify with; when absent,
//!   verification uses the private key's public half. When signing with `PEM` encoding, its
//!   `CERTIFICATE` blocks are appended to the signature; when verifying a PEM signature that
//!   embeds certificates, its `CERTIFICATE` blocks are the trust anchors (see above).
//!
//! The inline property wins over the file property; the snake_case names of older OCM
//! configurations (`private_key_pem`, …) are accepted as fallbacks. Missing or malformed keys
//! are `Unauthorized`; messages name properties and paths, never key material.
//!
//! # Consumer identity
//!
//! Signing and verifying credentials are requested for
//! `{"type":"RSA/v1alpha1","algorithm":<algorithm>,"signature":<signature name>}`
//! ([`IDENTITY_TYPE`]), as OCM does.
//!
//! # Using it from OCM's `ocm` command line
//!
//! The head `ocm` CLI registers this plugin, with all nine example plugins of its plugin
//! directory, at the start of every command. `ocm` passes no configuration to plugins and no
//! spec on reads; neither matters here: the handler reads nothing from configuration, and its
//! keys arrive with each call's credentials. `ocm` has a built-in RSA handler for the same
//! signing type, and for OCI its built-in code was measured to win over a plugin declaring the
//! same type; which of the two signs for `ocm` was not measured. The signatures are
//! interchangeable either way (see the golden tests against OCM's Go handler).
//!
//! # Example
//!
//! ```
//! use ocm_example_rsa_signing_handler::{PRIVATE_KEY_PEM, RsaSigningConfig, RsaSigningHandler};
//! use ocm_plugin_sdk::SpecExt as _;
//! use ocm_plugin_sdk::signing_handler::{SignRequest, SigningHandler, VerifyRequest};
//! use ocm_plugin_types::{Credentials, Digest, Raw, Signature};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // A test key shipped with this crate; never use it for anything real.
//! let key_pem = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/signer-a.pem"))?;
//! let credentials = Credentials::typed("RSACredentials/v1", [(PRIVATE_KEY_PEM, key_pem)]);
//!
//! let config = Raw::new(serde_json::json!({
//!     "type": "RSASigningConfiguration/v1alpha1",
//!     "signatureAlgorithm": "RSASSA-PSS",
//! }))?;
//! // The plugin receives it decoded; the SDK checked it against the derived schema first.
//! let spec: RsaSigningConfig = config.decode_spec()?;
//! let digest = Digest {
//!     hash_algorithm: "SHA-256".into(),
//!     normalisation_algorithm: "jsonNormalisation/v4alpha1".into(),
//!     // SHA-256 of "hello world"
//!     value: "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9".into(),
//!     ..Digest::default()
//! };
//!
//! let handler = RsaSigningHandler::new();
//! let runtime = tokio::runtime::Builder::new_current_thread().build()?;
//! let signed = runtime.block_on(handler.sign(
//!     spec,
//!     SignRequest { digest: digest.clone(), config: config.clone() },
//!     &credentials,
//! ))?;
//! assert_eq!(signed.signature.algorithm, "RSASSA-PSS");
//! assert_eq!(signed.signature.media_type, "application/vnd.ocm.signature.rsa.pss");
//!
//! // Verifying needs the public key; here it is derived from the private key.
//! let signature =
//!     Signature { name: "acme".into(), digest, signature: signed.signature, ..Signature::default() };
//! let request = VerifyRequest { signature: signature.clone(), config: config.clone() };
//! runtime.block_on(handler.verify(spec, request, &credentials))?;
//!
//! // A signature over another digest does not verify.
//! let mut tampered = signature;
//! tampered.digest.value = "a".repeat(64);
//! let err = runtime
//!     .block_on(handler.verify(spec, VerifyRequest { signature: tampered, config }, &credentials))
//!     .unwrap_err();
//! assert!(err.to_string().contains("signature verification failed"));
//! # Ok(())
//! # }
//! ```

#![warn(missing_docs)]

mod chain;
mod config;
mod digest;
mod handler;
mod keys;
mod pem;

#[cfg(test)]
mod golden_tests;
#[cfg(test)]
mod plugin_tests;
#[cfg(test)]
mod tests;

pub use config::{RsaSigningConfig, SignatureAlgorithm, SignatureEncodingPolicy};
pub use handler::RsaSigningHandler;

/// The name a plugin binary serving this handler registers under.
pub const PLUGIN_NAME: &str = "rsa-signing-handler";

/// The plugin's `main`: declares the signing handler for [`CONFIG_TYPE`] (and its unversioned
/// name), then runs the plugin (prints the capabilities, or serves per `--config`).
pub fn main() -> std::process::ExitCode {
    plugin().run()
}

fn plugin() -> ocm_plugin_sdk::Plugin {
    ocm_plugin_sdk::Plugin::new(PLUGIN_NAME).register(ocm_plugin_sdk::signing_handler::typed(
        |_ctx| Ok(RsaSigningHandler::new()),
    ))
}

/// The signing configuration type this handler serves.
pub const CONFIG_TYPE: &str = "RSASigningConfiguration/v1alpha1";
/// The name part of [`CONFIG_TYPE`]; OCM also accepts it alone (unversioned).
pub const CONFIG_TYPE_NAME: &str = "RSASigningConfiguration";
/// The version part of [`CONFIG_TYPE`].
pub const CONFIG_TYPE_VERSION: &str = "v1alpha1";

/// `signature.algorithm` of RSASSA-PSS signatures (the default).
pub const ALGORITHM_RSASSA_PSS: &str = "RSASSA-PSS";
/// `signature.algorithm` of RSASSA-PKCS1-v1_5 signatures.
pub const ALGORITHM_RSASSA_PKCS1_V15: &str = "RSASSA-PKCS1-V1_5";

/// Media type of a hex-encoded RSASSA-PSS signature.
pub const MEDIA_TYPE_PLAIN_RSASSA_PSS: &str = "application/vnd.ocm.signature.rsa.pss";
/// Media type of a hex-encoded RSASSA-PKCS1-v1_5 signature.
pub const MEDIA_TYPE_PLAIN_RSASSA_PKCS1_V15: &str = "application/vnd.ocm.signature.rsa";
/// Media type of a PEM-encoded signature (either algorithm; the PEM header names it).
pub const MEDIA_TYPE_PEM: &str = "application/x-pem-file";
/// The PEM label of the signature block.
pub const PEM_SIGNATURE_LABEL: &str = "SIGNATURE";
/// The PEM header of the signature block that names the algorithm.
pub const PEM_ALGORITHM_HEADER: &str = "Signature Algorithm";

/// The typed credentials this handler reads (direct credentials work too).
pub const CREDENTIAL_TYPE: &str = "RSACredentials/v1";
/// The name part of [`CREDENTIAL_TYPE`].
pub const CREDENTIAL_TYPE_NAME: &str = "RSACredentials";
/// The version part of [`CREDENTIAL_TYPE`].
pub const CREDENTIAL_TYPE_VERSION: &str = "v1";
/// Credential property: inline PEM of the RSA private key (PKCS#1 or PKCS#8).
pub const PRIVATE_KEY_PEM: &str = "privateKeyPEM";
/// Credential property: path of a PEM file with the RSA private key.
pub const PRIVATE_KEY_PEM_FILE: &str = "privateKeyPEMFile";
/// Credential property: inline PEM of the RSA public key (SPKI or PKCS#1), of the
/// certificates to embed in PEM signatures, and of the trust anchors (CA certificates) that
/// the certificate chains of PEM signatures are validated against.
pub const PUBLIC_KEY_PEM: &str = "publicKeyPEM";
/// Credential property: path of a PEM file with the RSA public key (or, for verifying PEM
/// signatures with certificates, the trust anchor certificates).
pub const PUBLIC_KEY_PEM_FILE: &str = "publicKeyPEMFile";

/// The consumer identity type credentials are requested for.
pub const IDENTITY_TYPE: &str = "RSA/v1alpha1";
/// Consumer identity attribute: the signature algorithm.
pub const IDENTITY_ATTRIBUTE_ALGORITHM: &str = "algorithm";
/// Consumer identity attribute: the signature's name.
pub const IDENTITY_ATTRIBUTE_SIGNATURE: &str = "signature";
