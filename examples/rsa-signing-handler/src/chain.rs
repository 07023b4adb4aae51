//! X.509 validation of the certificate chain a PEM signature embeds, against the trust anchors
//! from the credentials, as OCM's Go handler validates it (`x509.Certificate.Verify` with the
//! anchor as root and extended key usage `codeSigning`).
//!
//! Certificates are decoded by `x509-cert`; the signatures along the chain are checked with the
//! `rsa` crate. What is checked:
//!
//! * every certificate of the path, anchor included, is within its validity period;
//! * no certificate carries a critical extension this module does not understand;
//! * each certificate's issuer name is the next one's subject, and its signature verifies with
//!   the next one's RSA key (`sha256`/`sha384`/`sha512WithRSAEncryption`);
//! * every issuer is a CA (`basicConstraints` CA:true), may sign certificates (`keyUsage`, when
//!   present, has `keyCertSign`), respects its `pathLenConstraint`, and, when it restricts
//!   extended key usages, allows `codeSigning`;
//! * the leaf may sign (`keyUsage`, when present, has `digitalSignature`) and has the extended
//!   key usage `codeSigning` (or `anyExtendedKeyUsage`);
//! * the path ends at a trust anchor: an embedded certificate equal to an anchor, or one issued
//!   by an anchor.
//!
//! Refusals are [`Error::InvalidArgument`] starting with `signature verification failed:
//! certificate verification failed:` (the signature's chain is wrong, not the credentials);
//! an embedded certificate that cannot be decoded makes the request malformed
//! (`invalid PEM signature: …`).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ocm_plugin_contracts::{Error, Result};
use rsa::{
    Pkcs1v15Sign, PublicKey,
    pkcs8::DecodePublicKey as _,
    sha2::{Digest as _, Sha256, Sha384, Sha512},
};
use x509_cert::{
    Certificate,
    der::{
        Decode as _, Encode as _,
        asn1::ObjectIdentifier,
        oid::db::{rfc5280, rfc5912},
    },
    ext::pkix::{BasicConstraints, ExtendedKeyUsage, KeyUsage},
};

/// Extensions whose meaning is checked here (or that carry no constraint), so they may be
/// critical. Any other critical extension makes a certificate unusable, as RFC 5280 requires.
const UNDERSTOOD_EXTENSIONS: [ObjectIdentifier; 6] = [
    rfc5280::ID_CE_BASIC_CONSTRAINTS,
    rfc5280::ID_CE_KEY_USAGE,
    rfc5280::ID_CE_EXT_KEY_USAGE,
    rfc5280::ID_CE_SUBJECT_ALT_NAME,
    rfc5280::ID_CE_SUBJECT_KEY_IDENTIFIER,
    rfc5280::ID_CE_AUTHORITY_KEY_IDENTIFIER,
];

/// The start of every refusal of a chain.
const REFUSED: &str = "signature verification failed: certificate verification failed";

fn refused(reason: impl std::fmt::Display) -> Error {
    Error::InvalidArgument(format!("{REFUSED}: {reason}"))
}

/// A decoded certificate with the extensions this module checks.
#[derive(Debug)]
pub(crate) struct Cert {
    der: Vec<u8>,
    cert: Certificate,
    basic_constraints: Option<BasicConstraints>,
    key_usage: Option<KeyUsage>,
    extended_key_usage: Option<ExtendedKeyUsage>,
}

impl Cert {
    /// Decodes a DER certificate and its extensions; the error text says what is wrong (for the
    /// caller to put in context), never the certificate's bytes.
    pub(crate) fn from_der(der: &[u8]) -> std::result::Result<Self, String> {
        let cert = Certificate::from_der(der)
            .map_err(|e| format!("not a valid X.509 certificate ({e})"))?;
        let tbs = cert.tbs_certificate();
        let subject = tbs.subject();
        let malformed = |what: &str, e: x509_cert::der::Error| {
            format!("certificate {subject}: malformed or repeated {what} extension ({e})")
        };
        let basic_constraints = tbs
            .get_extension::<BasicConstraints>()
            .map_err(|e| malformed("basicConstraints", e))?
            .map(|(_, v)| v);
        let key_usage = tbs
            .get_extension::<KeyUsage>()
            .map_err(|e| malformed("keyUsage", e))?
            .map(|(_, v)| v);
        let extended_key_usage = tbs
            .get_extension::<ExtendedKeyUsage>()
            .map_err(|e| malformed("extKeyUsage", e))?
            .map(|(_, v)| v);
        Ok(Self {
            der: der.to_vec(),
            cert,
            basic_constraints,
            key_usage,
            extended_key_usage,
        })
    }

    fn subject(&self) -> String {
        self.cert.tbs_certificate().subject().to_string()
    }

    fn issuer(&self) -> String {
        self.cert.tbs_certificate().issuer().to_string()
    }

    fn self_issued(&self) -> bool {
        let tbs = self.cert.tbs_certificate();
        tbs.subject() == tbs.issuer()
    }

    /// Whether the extended key usages, if restricted, allow code signing.
    fn allows_code_signing(&self) -> bool {
        self.extended_key_usage.as_ref().is_none_or(|eku| {
            eku.0.iter().any(|oid| {
                *oid == rfc5280::ID_KP_CODE_SIGNING || *oid == rfc5280::ANY_EXTENDED_KEY_USAGE
            })
        })
    }

    /// The certificate's RSA public key.
    fn rsa_key(&self) -> std::result::Result<PublicKey, String> {
        let spki = self.cert.tbs_certificate().subject_public_key_info();
        if spki.algorithm.oid != rfc5912::RSA_ENCRYPTION {
            return Err(format!(
                "the key of certificate {} is not an RSA key (algorithm {})",
                self.subject(),
                spki.algorithm.oid
            ));
        }
        spki.to_der()
            .map_err(|e| e.to_string())
            .and_then(|der| PublicKey::from_public_key_der(&der).map_err(|e| e.to_string()))
            .map_err(|e| {
                format!(
                    "the RSA key of certificate {} is malformed ({e})",
                    self.subject()
                )
            })
    }
}

/// The current time as a duration since the Unix epoch.
pub(crate) fn now() -> Duration {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
}

fn format_time(at: Duration) -> String {
    x509_cert::der::DateTime::from_unix_duration(at).map_or_else(
        |_| format!("{}s after the Unix epoch", at.as_secs()),
        |t| t.to_string(),
    )
}

/// Fails unless `cert` is valid at `now` and has no critical extension this module ignores.
fn check_usable(cert: &Cert, what: &str, now: Duration) -> Result<()> {
    let validity = cert.cert.tbs_certificate().validity();
    let (from, until) = (validity.not_before, validity.not_after);
    if now < from.to_unix_duration() {
        return Err(refused(format_args!(
            "{what} {} is not yet valid: valid from {from} until {until}, now is {}",
            cert.subject(),
            format_time(now)
        )));
    }
    if now > until.to_unix_duration() {
        return Err(refused(format_args!(
            "{what} {} has expired: valid from {from} until {until}, now is {}",
            cert.subject(),
            format_time(now)
        )));
    }
    let extensions = cert
        .cert
        .tbs_certificate()
        .extensions()
        .map_or(&[][..], Vec::as_slice);
    if let Some(unknown) = extensions
        .iter()
        .find(|e| e.critical && !UNDERSTOOD_EXTENSIONS.contains(&e.extn_id))
    {
        return Err(refused(format_args!(
            "{what} {} has an unhandled critical extension {}",
            cert.subject(),
            unknown.extn_id
        )));
    }
    Ok(())
}

/// Fails unless the leaf may sign code: `keyUsage` (when present) with `digitalSignature` and
/// the extended key usage `codeSigning`.
fn check_leaf_usage(leaf: &Cert) -> Result<()> {
    if leaf
        .key_usage
        .as_ref()
        .is_some_and(|ku| !ku.digital_signature())
    {
        return Err(refused(format_args!(
            "the signing certificate {} lacks key usage digitalSignature",
            leaf.subject()
        )));
    }
    if leaf.extended_key_usage.is_none() || !leaf.allows_code_signing() {
        return Err(refused(format_args!(
            "the signing certificate {} lacks extended key usage codeSigning",
            leaf.subject()
        )));
    }
    Ok(())
}

/// Fails unless `issuer` may issue and did issue `child`. `below` counts the non-leaf
/// certificates between them and the leaf (for `pathLenConstraint`).
fn check_issued_by(child: &Cert, issuer: &Cert, below: usize) -> Result<()> {
    if child.cert.tbs_certificate().issuer() != issuer.cert.tbs_certificate().subject() {
        return Err(refused(format_args!(
            "issuer mismatch: certificate {} is issued by {}, but the next certificate is {}",
            child.subject(),
            child.issuer(),
            issuer.subject()
        )));
    }
    let Some(constraints) = issuer.basic_constraints.as_ref().filter(|bc| bc.ca) else {
        return Err(refused(format_args!(
            "certificate {} is not a CA (basicConstraints CA:true missing) and cannot issue {}",
            issuer.subject(),
            child.subject()
        )));
    };
    if issuer
        .key_usage
        .as_ref()
        .is_some_and(|ku| !ku.key_cert_sign())
    {
        return Err(refused(format_args!(
            "certificate {} lacks key usage keyCertSign and cannot issue {}",
            issuer.subject(),
            child.subject()
        )));
    }
    if let Some(max) = constraints.path_len_constraint
        && below > usize::from(max)
    {
        return Err(refused(format_args!(
            "certificate {} allows {max} intermediate CA certificates below it, the chain has \
             {below}",
            issuer.subject()
        )));
    }
    if !issuer.allows_code_signing() {
        return Err(refused(format_args!(
            "CA certificate {} restricts extended key usages and does not allow codeSigning",
            issuer.subject()
        )));
    }
    check_signature(child, issuer)
}

/// Fails unless `child`'s signature verifies with `issuer`'s RSA key.
fn check_signature(child: &Cert, issuer: &Cert) -> Result<()> {
    let algorithm = child.cert.signature_algorithm();
    if child.cert.tbs_certificate().signature() != algorithm {
        return Err(refused(format_args!(
            "certificate {} names two different signature algorithms",
            child.subject()
        )));
    }
    let key = issuer.rsa_key().map_err(refused)?;
    let tbs = child
        .cert
        .tbs_certificate()
        .to_der()
        .map_err(|e| refused(format_args!("certificate {}: {e}", child.subject())))?;
    let Some(signature) = child.cert.signature().as_bytes() else {
        return Err(refused(format_args!(
            "the signature of certificate {} is not a whole number of bytes",
            child.subject()
        )));
    };
    let verified = match algorithm.oid {
        rfc5912::SHA_256_WITH_RSA_ENCRYPTION => key.verify(
            Pkcs1v15Sign::new::<Sha256>(),
            &Sha256::digest(&tbs),
            signature,
        ),
        rfc5912::SHA_384_WITH_RSA_ENCRYPTION => key.verify(
            Pkcs1v15Sign::new::<Sha384>(),
            &Sha384::digest(&tbs),
            signature,
        ),
        rfc5912::SHA_512_WITH_RSA_ENCRYPTION => key.verify(
            Pkcs1v15Sign::new::<Sha512>(),
            &Sha512::digest(&tbs),
            signature,
        ),
        other => {
            return Err(refused(format_args!(
                "certificate {} is signed with an unsupported algorithm {other}: expected \
                 sha256WithRSAEncryption, sha384WithRSAEncryption or sha512WithRSAEncryption",
                child.subject()
            )));
        }
    };
    verified.map_err(|_| {
        refused(format_args!(
            "the signature of certificate {} does not verify with the key of {}",
            child.subject(),
            issuer.subject()
        ))
    })
}

/// Validates `chain` (leaf first, as a PEM signature carries it) against `anchors` at `now` and
/// returns the leaf's RSA key, the one the signature must verify with.
///
/// `anchors` must not be empty (the caller reports missing anchors as a credentials problem).
pub(crate) fn verify_chain(chain: &[Cert], anchors: &[Cert], now: Duration) -> Result<PublicKey> {
    let Some(leaf) = chain.first() else {
        return Err(refused("the signature embeds no certificate"));
    };
    check_leaf_usage(leaf)?;
    for (i, cert) in chain.iter().enumerate() {
        let what = if i == 0 {
            "the signing certificate"
        } else {
            "certificate"
        };
        check_usable(cert, what, now)?;
        if anchors.iter().any(|a| a.der == cert.der) {
            // An embedded copy of a trust anchor ends the path; what follows it is not needed.
            tracing::debug!(anchor = %cert.subject(), depth = i, "certificate chain is trusted");
            return leaf.rsa_key().map_err(refused);
        }
        if let Some(next) = chain.get(i + 1) {
            check_issued_by(cert, next, i)?;
            continue;
        }
        // The last embedded certificate must be issued by an anchor.
        let named: Vec<&Cert> = anchors
            .iter()
            .filter(|a| a.cert.tbs_certificate().subject() == cert.cert.tbs_certificate().issuer())
            .collect();
        let mut last_refusal = None;
        for anchor in named {
            match check_usable(anchor, "trust anchor", now)
                .and_then(|()| check_issued_by(cert, anchor, i))
            {
                Ok(()) => {
                    tracing::debug!(anchor = %anchor.subject(), depth = i + 1, "certificate chain is trusted");
                    return leaf.rsa_key().map_err(refused);
                }
                Err(e) => last_refusal = Some(e),
            }
        }
        if let Some(refusal) = last_refusal {
            return Err(refusal);
        }
        let known: Vec<String> = anchors.iter().map(Cert::subject).collect();
        let reason = if cert.self_issued() {
            format!(
                "x509: certificate signed by unknown authority: untrusted root: the chain ends \
                 at the self-signed certificate {}, which is not a trust anchor (trust anchors: \
                 {})",
                cert.subject(),
                known.join("; ")
            )
        } else {
            format!(
                "x509: certificate signed by unknown authority: certificate {} is issued by {}, \
                 which is not a trust anchor (trust anchors: {})",
                cert.subject(),
                cert.issuer(),
                known.join("; ")
            )
        };
        return Err(refused(reason));
    }
    Err(refused("the signature embeds no certificate"))
}
