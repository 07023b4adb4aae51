//! The digest a signature covers: its hash algorithm and the hash bytes.

use ocm_plugin_contracts::{Error, Result};
use ocm_plugin_types::Digest;

/// A SHA-2 hash OCM signs digests of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HashAlgorithm {
    Sha256,
    Sha384,
    Sha512,
}

impl HashAlgorithm {
    /// OCM writes `SHA-256`, `SHA-384` and `SHA-512`. Older OCM handlers also accepted
    /// `sha256`-style spellings; so do we: case and one `-` do not matter.
    pub(crate) fn from_name(name: &str) -> Option<Self> {
        match name.replacen('-', "", 1).to_ascii_lowercase().as_str() {
            "sha256" => Some(Self::Sha256),
            "sha384" => Some(Self::Sha384),
            "sha512" => Some(Self::Sha512),
            _ => None,
        }
    }

    /// The hash length in bytes.
    pub(crate) fn output_len(self) -> usize {
        match self {
            Self::Sha256 => 32,
            Self::Sha384 => 48,
            Self::Sha512 => 64,
        }
    }

    /// The canonical name, for messages.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Sha256 => "SHA-256",
            Self::Sha384 => "SHA-384",
            Self::Sha512 => "SHA-512",
        }
    }
}

/// A digest ready to be signed or verified: the hash that was computed, as bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ParsedDigest {
    pub(crate) hash: HashAlgorithm,
    pub(crate) bytes: Vec<u8>,
}

impl ParsedDigest {
    /// Reads `hashAlgorithm` and the hex `value`. The value is the hash itself (it is signed
    /// as is, never hashed again), so its length must be the hash's length.
    pub(crate) fn parse(digest: &Digest) -> Result<Self> {
        if digest.hash_algorithm.is_empty() {
            return Err(Error::InvalidArgument(
                "invalid digest: missing hash algorithm (hashAlgorithm)".to_owned(),
            ));
        }
        if digest.value.is_empty() {
            return Err(Error::InvalidArgument(
                "invalid digest: missing digest value".to_owned(),
            ));
        }
        let hash = HashAlgorithm::from_name(&digest.hash_algorithm).ok_or_else(|| {
            Error::InvalidArgument(format!(
                "invalid digest: unsupported hash algorithm {:?}, expected one of SHA-256, \
                 SHA-384, SHA-512",
                digest.hash_algorithm
            ))
        })?;
        let bytes = hex::decode(&digest.value).map_err(|e| {
            Error::InvalidArgument(format!("invalid digest: value is not hex: {e}"))
        })?;
        if bytes.len() != hash.output_len() {
            return Err(Error::InvalidArgument(format!(
                "invalid digest: a {} digest has {} bytes, the value has {}",
                hash.name(),
                hash.output_len(),
                bytes.len()
            )));
        }
        Ok(Self { hash, bytes })
    }
}
