//! Component-version signing as OCM's Go code does it, as pure data: no I/O, no plugins.
//!
//! OCM signs a component version by signing the digest of its descriptor. The digest is not of
//! the stored bytes but of a *normalised* form that leaves out what may change in transport
//! (where the version is stored, how its resources are accessed, unsigned labels): so a
//! component version copied from one registry to another keeps its signatures. This crate
//! computes that form byte for byte as OCM's `bindings/go` (v0.0.5) does, so that a signature
//! made by either side verifies on the other:
//!
//! * [`normalise`] — `jsonNormalisation/v4alpha1` (legacy name `jsonNormalisation/v3`):
//!   OCM's exclusion rules, then RFC 8785 canonical JSON ([`jcs`]);
//! * [`digest`] and [`verify_digest`] — SHA-256 or SHA-512 of the normalised bytes, as the
//!   digest spec `{"hashAlgorithm","normalisationAlgorithm","value"}`;
//! * [`check_safely_digestible`] — OCM's rules for when a digest pins everything it should;
//! * [`check_v2`] — whether OCM's Go code can read a descriptor at all; component version
//!   repositories refuse to store one it cannot;
//! * [`read_descriptor`] — a descriptor file (JSON or YAML) read as OCM reads it (YAML 1.1
//!   scalars: `yes` is `true`, `0755` is 493).
//!
//! Signing and verifying the digest itself is the job of a signing-handler plugin; the plugin
//! manager ties the two together.
//!
//! # Example
//!
//! ```
//! use ocm_plugin_signing::{HashAlgorithm, NormalisationAlgorithm, digest, normalise, read_descriptor};
//!
//! let descriptor = read_descriptor(br#"
//! meta: {schemaVersion: v2}
//! component:
//!   name: acme.org/app
//!   version: 1.0.0
//!   provider: acme.org
//!   labels:
//!   - {name: team, value: ops}                  # not signed: left out
//!   - {name: tier, value: gold, signing: true}  # signed: kept
//! "#)?;
//! let normalised = normalise(&descriptor, NormalisationAlgorithm::JsonV4Alpha1)?;
//! assert_eq!(
//!     String::from_utf8_lossy(&normalised),
//!     r#"{"component":{"componentReferences":[],"labels":[{"name":"tier","signing":true,"value":"gold"}],"name":"acme.org/app","provider":{"name":"acme.org"},"resources":[],"sources":[],"version":"1.0.0"}}"#
//! );
//! let spec = digest(&descriptor, NormalisationAlgorithm::JsonV4Alpha1, HashAlgorithm::Sha256)?;
//! assert_eq!(spec.hash_algorithm, "SHA-256");
//! # Ok::<(), ocm_plugin_signing::Error>(())
//! ```

mod digest;
pub mod jcs;
mod normalise;
mod v2;
mod yaml;

pub use digest::{
    Digestible, HashAlgorithm, Unsafe, check_safely_digestible, digest, verify_digest,
};
pub use normalise::{NormalisationAlgorithm, normalise};
pub use v2::check_v2;

use serde_json::Value;

/// What can go wrong while reading, normalising or digesting a descriptor.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The descriptor file is neither JSON nor YAML OCM can read.
    #[error("reading descriptor failed: {0}")]
    Read(String),
    /// A field has a type OCM's descriptor v2 cannot hold, or a required field is missing.
    #[error(
        "not a component descriptor OCM can read: {}{problem}",
        if path.is_empty() { String::new() } else { format!("{path}: ") }
    )]
    NotV2 {
        /// Where, e.g. `component.labels[0].signing` (empty for the whole document).
        path: String,
        /// What is wrong there.
        problem: String,
    },
    /// The descriptor decodes but OCM's normalisation refuses it (e.g. an empty provider).
    #[error("normalising component version failed: {0}")]
    Normalise(String),
    /// A normalisation algorithm this implementation (and OCM's) does not know.
    #[error(
        "unknown normalisation algorithm {0:?} (supported: jsonNormalisation/v4alpha1, and jsonNormalisation/v3 computed as v4alpha1)"
    )]
    UnknownNormalisation(String),
    /// A hash algorithm OCM does not sign with.
    #[error("unsupported hash algorithm {0:?} (supported: SHA-256, SHA-512)")]
    UnsupportedHash(String),
    /// The descriptor may not be digested: see [`check_safely_digestible`].
    #[error("component version is not safely digestible: {0}")]
    NotSafelyDigestible(#[from] Unsafe),
    /// A digest value that is not hex.
    #[error("the signature's digest value {value:?} is not hex: {reason}")]
    InvalidDigestValue {
        /// The value as recorded.
        value: String,
        /// Why it is not hex.
        reason: String,
    },
    /// The descriptor's digest differs from the one a signature claims: the descriptor changed
    /// since it was signed (or the signature was made over something else).
    #[error("digest mismatch: descriptor {computed} vs signature {recorded}")]
    DigestMismatch {
        /// The digest of the descriptor as it is now.
        computed: String,
        /// The digest the signature recorded.
        recorded: String,
    },
}

/// Reads a descriptor file as OCM does: JSON when its first non-blank character is `{`, YAML
/// otherwise (YAML 1.1 scalars, as Go's reader resolves them).
///
/// Like OCM, a JSON string may not spell a character above U+FFFF as a surrogate-pair escape
/// (`"\ud83d\ude80"`): OCM's reader refuses it, so a digest of it could never be verified
/// there. Write such characters raw.
///
/// ```
/// let d = ocm_plugin_signing::read_descriptor(b"component: {name: a.org/x, version: 1.0.0}")?;
/// assert_eq!(d["component"]["version"], "1.0.0");
/// assert!(ocm_plugin_signing::read_descriptor(br#"{"a":"\ud83d\ude80"}"#).is_err());
/// # Ok::<(), ocm_plugin_signing::Error>(())
/// ```
pub fn read_descriptor(bytes: &[u8]) -> Result<Value, Error> {
    let text = std::str::from_utf8(bytes)
        .map_err(|e| Error::Read(format!("the descriptor is not UTF-8 text: {e}")))?;
    if text.trim_start().starts_with('{') {
        if let Some(line) = surrogate_escape_line(text) {
            return Err(Error::Read(format!(
                "line {line}: found invalid Unicode character escape code (a UTF-16 surrogate \
                 escape; write the character itself)"
            )));
        }
        return serde_json::from_str(text).map_err(|e| Error::Read(e.to_string()));
    }
    yaml::to_json(text).map_err(|e| Error::Read(e.to_string()))
}

/// The line of the first `\uD800`..`\uDFFF` escape in a JSON text, if any.
fn surrogate_escape_line(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'\\' {
            i += 1;
            continue;
        }
        if bytes.get(i + 1) == Some(&b'u')
            && let Some(hex) = text.get(i + 2..i + 6)
            && let Ok(unit) = u16::from_str_radix(hex, 16)
            && (0xD800..=0xDFFF).contains(&unit)
        {
            return Some(1 + bytes[..i].iter().filter(|&&b| b == b'\n').count());
        }
        // Skip the escaped character, so `\\u` is a backslash and a `u`.
        i += 2;
    }
    None
}

#[cfg(test)]
mod golden;
#[cfg(test)]
mod props;
