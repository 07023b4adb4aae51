//! Digests of component versions and the rules for when one may be taken.

use ocm_plugin_types::Digest;
use serde_json::Value;
use sha2::Digest as _;

use crate::{Error, NormalisationAlgorithm, normalise, v2};

/// A hash algorithm OCM signs component versions with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HashAlgorithm {
    /// `SHA-256`, OCM's default.
    Sha256,
    /// `SHA-512`.
    Sha512,
}

impl HashAlgorithm {
    /// The name recorded in a digest spec.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Sha256 => "SHA-256",
            Self::Sha512 => "SHA-512",
        }
    }

    /// The algorithm of a name, case-insensitively (`sha-256` is `SHA-256`). `SHA256`, which
    /// OCM's CLI help suggests, is refused as OCM's code refuses it.
    ///
    /// ```
    /// use ocm_plugin_signing::HashAlgorithm;
    /// assert_eq!(HashAlgorithm::resolve("sha-512")?, HashAlgorithm::Sha512);
    /// assert!(HashAlgorithm::resolve("SHA256").is_err());
    /// # Ok::<(), ocm_plugin_signing::Error>(())
    /// ```
    pub fn resolve(name: &str) -> Result<Self, Error> {
        match name.to_ascii_uppercase().as_str() {
            "SHA-256" => Ok(Self::Sha256),
            "SHA-512" => Ok(Self::Sha512),
            _ => Err(Error::UnsupportedHash(name.to_owned())),
        }
    }

    /// The hash of `bytes`.
    pub fn hash(self, bytes: &[u8]) -> Vec<u8> {
        match self {
            Self::Sha256 => sha2::Sha256::digest(bytes).to_vec(),
            Self::Sha512 => sha2::Sha512::digest(bytes).to_vec(),
        }
    }
}

impl std::fmt::Display for HashAlgorithm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for HashAlgorithm {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Self::resolve(s)
    }
}

/// The digest spec of a descriptor: `{"hashAlgorithm", "normalisationAlgorithm", "value"}`,
/// the value the lower-case hex of the hash of the normalised bytes.
///
/// ```
/// use ocm_plugin_signing::{HashAlgorithm, NormalisationAlgorithm, digest};
/// let d = serde_json::json!({"component": {"name": "acme.org/app", "version": "1.0.0", "provider": "acme.org"}});
/// let spec = digest(&d, NormalisationAlgorithm::JsonV4Alpha1, HashAlgorithm::Sha256)?;
/// assert_eq!(spec.normalisation_algorithm, "jsonNormalisation/v4alpha1");
/// assert_eq!(spec.value.len(), 64);
/// # Ok::<(), ocm_plugin_signing::Error>(())
/// ```
pub fn digest(
    descriptor: &Value,
    normalisation: NormalisationAlgorithm,
    hash: HashAlgorithm,
) -> Result<Digest, Error> {
    Ok(spec(
        normalisation,
        hash,
        &normalise(descriptor, normalisation)?,
    ))
}

/// The digest spec of normalised bytes.
fn spec(normalisation: NormalisationAlgorithm, hash: HashAlgorithm, normalised: &[u8]) -> Digest {
    Digest {
        hash_algorithm: hash.name().to_owned(),
        normalisation_algorithm: normalisation.name().to_owned(),
        value: hex::encode(hash.hash(normalised)),
        extra: Default::default(),
    }
}

/// Recomputes the digest a signature claims, with the signature's own algorithms, and compares
/// it with the claim. The comparison is of the hash bytes (hex in any case).
///
/// Errors: [`Error::UnknownNormalisation`], [`Error::UnsupportedHash`], a descriptor that cannot
/// be normalised, [`Error::InvalidDigestValue`] and [`Error::DigestMismatch`] (with both values).
pub fn verify_digest(descriptor: &Value, claimed: &Digest) -> Result<(), Error> {
    let normalisation = NormalisationAlgorithm::resolve(&claimed.normalisation_algorithm)?;
    let hash = HashAlgorithm::resolve(&claimed.hash_algorithm)?;
    compare(&normalise(descriptor, normalisation)?, hash, claimed)
}

/// The hash of `normalised` against the value a digest spec claims.
fn compare(normalised: &[u8], hash: HashAlgorithm, claimed: &Digest) -> Result<(), Error> {
    let fresh = hash.hash(normalised);
    let recorded = hex::decode(&claimed.value).map_err(|e| Error::InvalidDigestValue {
        value: claimed.value.clone(),
        reason: e.to_string(),
    })?;
    if fresh != recorded {
        return Err(Error::DigestMismatch {
            computed: hex::encode(fresh),
            recorded: claimed.value.clone(),
        });
    }
    Ok(())
}

/// A descriptor decoded once, checked by the safely-digestible rules and normalised: what
/// signing (one digest) and verifying (one comparison per signature) need, without reading the
/// descriptor again for each step.
///
/// ```
/// use ocm_plugin_signing::{Digestible, HashAlgorithm, NormalisationAlgorithm};
/// let d = serde_json::json!({"component": {"name": "acme.org/app", "version": "1.0.0", "provider": "acme.org"}});
/// let digestible = Digestible::new(&d, NormalisationAlgorithm::JsonV4Alpha1)?;
/// let spec = digestible.digest(HashAlgorithm::Sha256);
/// digestible.verify(&spec)?;
/// # Ok::<(), ocm_plugin_signing::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Digestible {
    normalisation: NormalisationAlgorithm,
    normalised: Vec<u8>,
}

impl Digestible {
    /// Decodes `descriptor`, checks [`check_safely_digestible`]'s rules and normalises it.
    pub fn new(descriptor: &Value, normalisation: NormalisationAlgorithm) -> Result<Self, Error> {
        let component = v2::decode(descriptor)?.component;
        check_component(&component)?;
        Ok(Self {
            normalisation,
            normalised: crate::normalise::normalise_decoded(component, normalisation)?,
        })
    }

    /// The normalised bytes.
    pub fn normalised(&self) -> &[u8] {
        &self.normalised
    }

    /// The digest spec with `hash`.
    pub fn digest(&self, hash: HashAlgorithm) -> Digest {
        spec(self.normalisation, hash, &self.normalised)
    }

    /// [`verify_digest`] against these bytes: the claim's normalisation must resolve to the one
    /// these bytes were made with (`jsonNormalisation/v3` resolves to v4alpha1).
    pub fn verify(&self, claimed: &Digest) -> Result<(), Error> {
        let normalisation = NormalisationAlgorithm::resolve(&claimed.normalisation_algorithm)?;
        if normalisation != self.normalisation {
            return Err(Error::UnknownNormalisation(
                claimed.normalisation_algorithm.clone(),
            ));
        }
        compare(
            &self.normalised,
            HashAlgorithm::resolve(&claimed.hash_algorithm)?,
            claimed,
        )
    }
}

/// Why a descriptor may not be digested safely (OCM's `IsSafelyDigestible`). The message is
/// OCM's own, so logs of both implementations read alike.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Unsafe {
    /// A component reference without a complete digest: what it points at is not pinned.
    #[error("missing digest in componentReference for {name}:{version}")]
    ReferenceWithoutDigest {
        /// The reference's name.
        name: String,
        /// The reference's version.
        version: String,
    },
    /// A resource with access but without a complete digest: its content is not pinned.
    #[error("missing digest in resource for {name}:{version}")]
    ResourceWithoutDigest {
        /// The resource's name.
        name: String,
        /// The resource's version.
        version: String,
    },
    /// A resource without access (none, or type `None`) that claims a digest of content nobody
    /// can fetch.
    #[error("digest for resource with empty access not allowed {name}:{version}")]
    DigestWithoutAccess {
        /// The resource's name.
        name: String,
        /// The resource's version.
        version: String,
    },
}

/// Checks OCM's rules for a descriptor whose digest is to be signed: every component reference
/// has a complete digest; every resource with access has one; a resource without access (no
/// access, or type `None`) has none. The first violation is returned.
///
/// Only `None` (capital N) counts as "no access" here, although the normalisation drops the
/// digest of `none` too: OCM's code differs between the two, and so does this check.
///
/// ```
/// let d = serde_json::json!({"component": {"name": "a.org/x", "version": "1", "provider": "a",
///   "componentReferences": [{"name": "dep", "version": "1.0.0", "componentName": "a.org/dep"}]}});
/// let err = ocm_plugin_signing::check_safely_digestible(&d).err().map(|e| e.to_string());
/// assert_eq!(
///     err.as_deref(),
///     Some("component version is not safely digestible: missing digest in componentReference for dep:1.0.0")
/// );
/// ```
pub fn check_safely_digestible(descriptor: &Value) -> Result<(), Error> {
    check_component(&v2::decode(descriptor)?.component)
}

fn check_component(c: &v2::Component) -> Result<(), Error> {
    if let Some(r) = c.references.iter().find(|r| !r.digest.is_complete()) {
        return Err(Unsafe::ReferenceWithoutDigest {
            name: r.name.clone(),
            version: r.version.clone(),
        }
        .into());
    }
    for r in &c.resources {
        let usable_access = r
            .access
            .as_ref()
            .is_some_and(|a| a.type_.as_deref() != Some("None"));
        let (name, version) = (r.name.clone(), r.version.clone());
        if usable_access && !r.digest.as_ref().is_some_and(v2::Digest::is_complete) {
            return Err(Unsafe::ResourceWithoutDigest { name, version }.into());
        }
        if !usable_access && r.digest.is_some() {
            return Err(Unsafe::DigestWithoutAccess { name, version }.into());
        }
    }
    Ok(())
}
