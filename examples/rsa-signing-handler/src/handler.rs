//! [`RsaSigningHandler`]: the typed [`SigningHandler`] implementation.

use ocm_plugin_contracts::{Error, Result, async_trait};
use ocm_plugin_sdk::{
    signing_handler::{
        GetIdentityResponse, SignIdentityRequest, SignRequest, SignResponse, SigningHandler,
        VerifyIdentityRequest, VerifyRequest, VerifyResponse,
    },
    spawn_blocking,
};
use ocm_plugin_types::{Credentials, Identity, Signature, SignatureInfo};
use rsa::{
    Pkcs1v15Sign, PrivateKey, Pss, PublicKey,
    pkcs8::AssociatedOid,
    sha2::{Sha256, Sha384, Sha512, digest::FixedOutputReset},
    traits::PublicKeyParts as _,
};

use crate::{
    IDENTITY_ATTRIBUTE_ALGORITHM, IDENTITY_ATTRIBUTE_SIGNATURE, IDENTITY_TYPE, MEDIA_TYPE_PEM,
    chain,
    config::{RsaSigningConfig, SignatureAlgorithm, SignatureEncodingPolicy},
    digest::{HashAlgorithm, ParsedDigest},
    keys, pem,
};

/// The RSA signing handler for `RSASigningConfiguration/v1alpha1`.
///
/// It holds no state: keys come with every call in the credentials, so one value can serve
/// any number of concurrent requests.
#[derive(Debug, Clone, Copy, Default)]
pub struct RsaSigningHandler {
    _private: (),
}

impl RsaSigningHandler {
    /// A handler.
    pub fn new() -> Self {
        Self::default()
    }
}

/// The salt length OCM's Go handler uses for RSASSA-PSS: the longest the key allows
/// (`emLen - hLen - 2`, `emLen` being the byte length of a `modBits - 1`-bit number). OpenSSL
/// calls it `rsa_pss_saltlen:max`.
fn max_pss_salt_len(key: &PublicKey, hash_len: usize) -> Option<usize> {
    let em_bits = (key.n().bit_width() as usize).checked_sub(1)?;
    em_bits.div_ceil(8).checked_sub(hash_len + 2)
}

fn sign_with<D>(key: &PrivateKey, algorithm: SignatureAlgorithm, hash: &[u8]) -> Result<Vec<u8>>
where
    D: rsa::sha2::Digest + FixedOutputReset + AssociatedOid,
{
    let hash_len = <D as rsa::sha2::Digest>::output_size();
    let signed = match algorithm {
        SignatureAlgorithm::RsassaPss => {
            let salt_len = max_pss_salt_len(key.as_public_key(), hash_len).ok_or_else(|| {
                Error::Unauthorized(format!(
                    "the private key ({} bits) is too small for RSASSA-PSS with this digest",
                    key.n().bit_width()
                ))
            })?;
            key.sign(Pss::<D>::new_with_salt(salt_len), hash)
        }
        SignatureAlgorithm::RsassaPkcs1V15 => key.sign(Pkcs1v15Sign::new::<D>(), hash),
    };
    signed.map_err(|e| Error::internal_with(format!("{algorithm} signing failed"), e))
}

fn verify_with<D>(
    key: &PublicKey,
    algorithm: SignatureAlgorithm,
    hash: &[u8],
    signature: &[u8],
) -> rsa::Result<()>
where
    D: rsa::sha2::Digest + FixedOutputReset + AssociatedOid,
{
    match algorithm {
        // Salt length detected from the signature, as Go's verifier does by default: OCM signs
        // with the maximum salt, OpenSSL and others often with the hash length.
        SignatureAlgorithm::RsassaPss => key.verify(
            Pss::<D> {
                salt_len: None,
                ..Pss::new()
            },
            hash,
            signature,
        ),
        SignatureAlgorithm::RsassaPkcs1V15 => key.verify(Pkcs1v15Sign::new::<D>(), hash, signature),
    }
}

/// Signs the digest bytes (already a hash: never hashed again).
fn sign_digest(
    key: &PrivateKey,
    algorithm: SignatureAlgorithm,
    digest: &ParsedDigest,
) -> Result<Vec<u8>> {
    match digest.hash {
        HashAlgorithm::Sha256 => sign_with::<Sha256>(key, algorithm, &digest.bytes),
        HashAlgorithm::Sha384 => sign_with::<Sha384>(key, algorithm, &digest.bytes),
        HashAlgorithm::Sha512 => sign_with::<Sha512>(key, algorithm, &digest.bytes),
    }
}

/// `Ok` only when `signature` is a valid `algorithm` signature of the digest under `key`.
fn verify_digest(
    key: &PublicKey,
    algorithm: SignatureAlgorithm,
    digest: &ParsedDigest,
    signature: &[u8],
) -> Result<()> {
    let verified = match digest.hash {
        HashAlgorithm::Sha256 => verify_with::<Sha256>(key, algorithm, &digest.bytes, signature),
        HashAlgorithm::Sha384 => verify_with::<Sha384>(key, algorithm, &digest.bytes, signature),
        HashAlgorithm::Sha512 => verify_with::<Sha512>(key, algorithm, &digest.bytes, signature),
    };
    verified.map_err(|_| {
        Error::InvalidArgument(format!(
            "signature verification failed: the {algorithm} signature does not match the {} \
             digest under the given public key",
            digest.hash.name()
        ))
    })
}

/// An algorithm name from a signature; unknown names are an error.
fn known_algorithm(name: &str, what: &str) -> Result<SignatureAlgorithm> {
    SignatureAlgorithm::from_name(name).ok_or_else(|| {
        Error::InvalidArgument(format!(
            "invalid algorithm {name:?} in {what}: expected {} or {}",
            SignatureAlgorithm::RsassaPss,
            SignatureAlgorithm::RsassaPkcs1V15
        ))
    })
}

/// How a signature says it was made, read from its media type, algorithm and (for PEM) the
/// `Signature Algorithm` header.
#[derive(Debug)]
struct Decoded {
    algorithm: SignatureAlgorithm,
    bytes: Vec<u8>,
    /// The DER certificates a PEM signature embeds, leaf first; empty for plain signatures.
    certificates: Vec<Vec<u8>>,
}

/// Reads a signature's value by its media type and checks that every statement about the
/// algorithm agrees.
fn decode_signature(info: &SignatureInfo) -> Result<Decoded> {
    let declared = match info.algorithm.as_str() {
        "" => None,
        name => Some(known_algorithm(name, "signature.algorithm")?),
    };
    if info.media_type == MEDIA_TYPE_PEM {
        let parsed = pem::decode_signature(&info.value)
            .map_err(|e| Error::InvalidArgument(format!("invalid PEM signature: {e}")))?;
        let from_pem = parsed
            .algorithm
            .as_deref()
            .map(|name| known_algorithm(name, "the PEM signature's Signature Algorithm header"))
            .transpose()?;
        let algorithm = match (declared, from_pem) {
            (Some(d), Some(p)) if d != p => {
                return Err(Error::InvalidArgument(format!(
                    "algorithm mismatch: the signature declares {d}, its PEM block {p}"
                )));
            }
            (Some(a), _) | (None, Some(a)) => a,
            (None, None) => {
                return Err(Error::InvalidArgument(
                    "invalid algorithm: neither signature.algorithm nor the PEM block's \
                     Signature Algorithm header names one"
                        .to_owned(),
                ));
            }
        };
        return Ok(Decoded {
            algorithm,
            bytes: parsed.signature,
            certificates: parsed.certificates,
        });
    }
    let Some(algorithm) = SignatureAlgorithm::from_plain_media_type(&info.media_type) else {
        return Err(Error::InvalidArgument(format!(
            "unsupported media type {:?}: expected {}, {} or {MEDIA_TYPE_PEM}",
            info.media_type,
            SignatureAlgorithm::RsassaPss.plain_media_type(),
            SignatureAlgorithm::RsassaPkcs1V15.plain_media_type(),
        )));
    };
    if let Some(d) = declared.filter(|d| *d != algorithm) {
        return Err(Error::InvalidArgument(format!(
            "algorithm mismatch: the signature declares {d}, its media type {:?} is for {algorithm}",
            info.media_type
        )));
    }
    let bytes = hex::decode(&info.value)
        .map_err(|e| Error::InvalidArgument(format!("invalid signature value: not hex ({e})")))?;
    Ok(Decoded {
        algorithm,
        bytes,
        certificates: Vec::new(),
    })
}

/// The consumer identity OCM's RSA handler asks credentials for.
fn consumer_identity(algorithm: &str, signature_name: &str) -> GetIdentityResponse {
    let identity: Identity = [
        ("type", IDENTITY_TYPE),
        (IDENTITY_ATTRIBUTE_ALGORITHM, algorithm),
        (IDENTITY_ATTRIBUTE_SIGNATURE, signature_name),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    GetIdentityResponse { identity }
}

/// Signs the digest with the configured algorithm and encoding, using the private key from
/// the credentials (blocking: may read key files, and does the RSA arithmetic).
fn sign_blocking(
    config: RsaSigningConfig,
    request: &SignRequest,
    credentials: &Credentials,
) -> Result<SignResponse> {
    let digest = ParsedDigest::parse(&request.digest)?;
    let key = keys::signing_key(credentials)?;
    let algorithm = config.signature_algorithm;
    let raw = sign_digest(&key, algorithm, &digest)?;
    let encoding = config.signature_encoding_policy;
    let value = match encoding {
        SignatureEncodingPolicy::Plain => hex::encode(&raw),
        SignatureEncodingPolicy::Pem => {
            let chain = keys::certificate_chain(credentials)?;
            pem::encode_signature(algorithm.as_str(), &raw, &chain)
        }
    };
    tracing::debug!(
        %algorithm,
        %encoding,
        hash = digest.hash.name(),
        "signed digest"
    );
    Ok(SignResponse {
        signature: SignatureInfo {
            algorithm: algorithm.as_str().to_owned(),
            value,
            media_type: encoding.media_type(algorithm).to_owned(),
            issuer: None,
            extra: Default::default(),
        },
    })
}

/// Verifies the signature over its digest (blocking: may read key files, and does the RSA
/// arithmetic). See [`SigningHandler::verify`] of [`RsaSigningHandler`].
fn verify_blocking(request: &VerifyRequest, credentials: &Credentials) -> Result<VerifyResponse> {
    let Signature {
        name,
        digest,
        signature,
        ..
    } = &request.signature;
    let digest = ParsedDigest::parse(digest)?;
    let decoded = decode_signature(signature)?;
    let key = if decoded.certificates.is_empty() {
        keys::verifying_key(credentials)?
    } else {
        let embedded = decoded
            .certificates
            .iter()
            .enumerate()
            .map(|(i, der)| {
                chain::Cert::from_der(der).map_err(|e| {
                    Error::InvalidArgument(format!(
                        "invalid PEM signature: embedded certificate {}: {e}",
                        i + 1
                    ))
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let anchors = keys::trust_anchors(credentials)?;
        let leaf_key = chain::verify_chain(&embedded, &anchors, chain::now())?;
        tracing::debug!(
            signature = %name,
            certificates = embedded.len(),
            "certificate chain validated; verifying with the signing certificate's key"
        );
        leaf_key
    };
    verify_digest(&key, decoded.algorithm, &digest, &decoded.bytes)?;
    tracing::debug!(signature = %name, algorithm = %decoded.algorithm, "signature verified");
    Ok(VerifyResponse {})
}

#[async_trait]
impl SigningHandler for RsaSigningHandler {
    type Spec = RsaSigningConfig;

    /// Signs the digest with the configured algorithm and encoding, using the private key from
    /// the credentials. The answer has no issuer, as OCM's handler sets none.
    async fn sign(
        &self,
        config: RsaSigningConfig,
        request: SignRequest,
        credentials: &Credentials,
    ) -> Result<SignResponse> {
        let credentials = credentials.clone();
        spawn_blocking(move || sign_blocking(config, &request, &credentials)).await
    }

    /// Verifies the signature over its digest. A PEM signature that embeds certificates is
    /// verified with the key of its leaf certificate, after the chain has been validated against
    /// the trust anchors (the `CERTIFICATE` blocks of the credentials' public key material; see
    /// `chain.rs`). Plain signatures and PEM signatures without certificates are verified with
    /// the public key from the credentials (or the one of the private key). The configuration
    /// is not used: the signature's media type, algorithm and PEM header say how it was made.
    async fn verify(
        &self,
        _config: RsaSigningConfig,
        request: VerifyRequest,
        credentials: &Credentials,
    ) -> Result<VerifyResponse> {
        let credentials = credentials.clone();
        spawn_blocking(move || verify_blocking(&request, &credentials)).await
    }

    /// `{"type":"RSA/v1alpha1","algorithm":<configured algorithm>,"signature":<name>}`.
    async fn signing_identity(
        &self,
        config: RsaSigningConfig,
        request: SignIdentityRequest,
    ) -> Result<GetIdentityResponse> {
        Ok(consumer_identity(
            config.signature_algorithm.as_str(),
            &request.name,
        ))
    }
    /// `{"type":"RSA/v1alpha1","algorithm":<the signature's algorithm>,"signature":<name>}`.
    ///
    /// The algorithm is `signature.algorithm`; when that is empty, the PEM block's header or
    /// the plain media type's algorithm (empty if the media type is unknown, as in OCM). A PEM
    /// header that contradicts a non-empty `signature.algorithm` is an error; so is a PEM
    /// value that is not a signature block.
    async fn verifying_identity(
        &self,
        _config: RsaSigningConfig,
        request: VerifyIdentityRequest,
    ) -> Result<GetIdentityResponse> {
        let info = &request.signature.signature;
        let mut algorithm = info.algorithm.clone();
        if info.media_type == MEDIA_TYPE_PEM {
            let parsed = pem::decode_signature(&info.value)
                .map_err(|e| Error::InvalidArgument(format!("invalid PEM signature: {e}")))?;
            if let Some(from_pem) = parsed.algorithm {
                if !algorithm.is_empty() && algorithm != from_pem {
                    return Err(Error::InvalidArgument(format!(
                        "algorithm mismatch: the signature declares {algorithm:?}, its PEM \
                         block {from_pem:?}"
                    )));
                }
                algorithm = from_pem;
            }
        } else if algorithm.is_empty()
            && let Some(a) = SignatureAlgorithm::from_plain_media_type(&info.media_type)
        {
            algorithm = a.as_str().to_owned();
        }
        Ok(consumer_identity(&algorithm, &request.signature.name))
    }
}
