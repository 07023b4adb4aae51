//! The `RSASigningConfiguration/v1alpha1` signing configuration: its type, whose JSON schema
//! is derived, decoding and defaults.

use std::fmt;

use ocm_plugin_sdk::{TypedSpec, schemars::JsonSchema};
use serde::{Deserialize, Deserializer, Serialize, de};

use crate::{
    ALGORITHM_RSASSA_PKCS1_V15, ALGORITHM_RSASSA_PSS, CONFIG_TYPE, CONFIG_TYPE_NAME,
    MEDIA_TYPE_PEM, MEDIA_TYPE_PLAIN_RSASSA_PKCS1_V15, MEDIA_TYPE_PLAIN_RSASSA_PSS,
};

/// The RSA signature scheme a signature is made with.
///
/// The wire names are the ones OCM writes into `signature.algorithm`, so signatures made here
/// and by OCM's own handler read the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, JsonSchema)]
#[schemars(crate = "ocm_plugin_sdk::schemars")]
pub enum SignatureAlgorithm {
    /// RSASSA-PSS, MGF1 with the digest's hash and the longest salt the key allows. The
    /// default, as in OCM.
    #[default]
    #[serde(rename = "RSASSA-PSS")]
    RsassaPss,
    /// RSASSA-PKCS1-v1_5, deterministic; what older OCM versions used.
    #[serde(rename = "RSASSA-PKCS1-V1_5")]
    RsassaPkcs1V15,
}

impl SignatureAlgorithm {
    /// The wire name, e.g. `RSASSA-PSS`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RsassaPss => ALGORITHM_RSASSA_PSS,
            Self::RsassaPkcs1V15 => ALGORITHM_RSASSA_PKCS1_V15,
        }
    }

    /// Parses a wire name; `None` for anything else (the names are case-sensitive, as in OCM).
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            ALGORITHM_RSASSA_PSS => Some(Self::RsassaPss),
            ALGORITHM_RSASSA_PKCS1_V15 => Some(Self::RsassaPkcs1V15),
            _ => None,
        }
    }

    /// The media type of a plain (hex) signature made with this algorithm.
    pub fn plain_media_type(self) -> &'static str {
        match self {
            Self::RsassaPss => MEDIA_TYPE_PLAIN_RSASSA_PSS,
            Self::RsassaPkcs1V15 => MEDIA_TYPE_PLAIN_RSASSA_PKCS1_V15,
        }
    }

    /// The algorithm a plain signature's media type stands for; `None` for other media types
    /// (including the PEM one, whose algorithm is in the PEM block).
    pub fn from_plain_media_type(media_type: &str) -> Option<Self> {
        match media_type {
            MEDIA_TYPE_PLAIN_RSASSA_PSS => Some(Self::RsassaPss),
            MEDIA_TYPE_PLAIN_RSASSA_PKCS1_V15 => Some(Self::RsassaPkcs1V15),
            _ => None,
        }
    }
}

impl fmt::Display for SignatureAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a signature's bytes are written into `signature.value`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, JsonSchema)]
#[schemars(crate = "ocm_plugin_sdk::schemars")]
pub enum SignatureEncodingPolicy {
    /// Lowercase hex; the media type depends on the algorithm. The default, as in OCM.
    #[default]
    Plain,
    /// A `SIGNATURE` PEM block with a `Signature Algorithm` header, followed by the signer's
    /// certificates if the credentials carry any; media type `application/x-pem-file`.
    #[serde(rename = "PEM")]
    Pem,
}

impl SignatureEncodingPolicy {
    /// The wire name, `Plain` or `PEM`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Plain => "Plain",
            Self::Pem => "PEM",
        }
    }

    /// The media type a signature made with this policy and `algorithm` carries.
    pub fn media_type(self, algorithm: SignatureAlgorithm) -> &'static str {
        match self {
            Self::Plain => algorithm.plain_media_type(),
            Self::Pem => MEDIA_TYPE_PEM,
        }
    }
}

impl fmt::Display for SignatureEncodingPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The names of the type a configuration may carry: OCM registers both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, JsonSchema)]
#[schemars(crate = "ocm_plugin_sdk::schemars")]
enum ConfigType {
    #[default]
    #[serde(rename = "RSASigningConfiguration/v1alpha1")]
    Versioned,
    #[serde(rename = "RSASigningConfiguration")]
    Unversioned,
}

/// Configuration of the RSA signing handler: which RSA signature scheme new signatures use and
/// how they are encoded. Verification reads both from the signature itself.
//
// Both optional fields also decode from `null` or an empty string to their default, as OCM's
// getters do; the derived schema (which managers and the SDK check first) refuses those.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, JsonSchema)]
#[schemars(
    crate = "ocm_plugin_sdk::schemars",
    title = "RSASigningConfiguration/v1alpha1"
)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[non_exhaustive]
pub struct RsaSigningConfig {
    /// `RSASigningConfiguration/v1alpha1` or `RSASigningConfiguration`.
    #[serde(rename = "type")]
    config_type: ConfigType,
    /// The RSA signature scheme new signatures are made with: `RSASSA-PSS` (MGF1 with the
    /// digest's hash, maximum salt length; the default) or `RSASSA-PKCS1-V1_5`. Verification
    /// ignores it: the signature says how it was made.
    #[serde(default, deserialize_with = "signature_algorithm")]
    pub signature_algorithm: SignatureAlgorithm,
    /// How new signatures are encoded: `Plain` (hex; the default) or `PEM` (a `SIGNATURE` PEM
    /// block with a `Signature Algorithm` header, followed by the signer's certificates if the
    /// credentials carry any).
    #[serde(default, deserialize_with = "signature_encoding_policy")]
    pub signature_encoding_policy: SignatureEncodingPolicy,
}

impl TypedSpec for RsaSigningConfig {
    const TYPE: &'static str = CONFIG_TYPE;
    const ALIASES: &'static [&'static str] = &[CONFIG_TYPE_NAME];
}

impl RsaSigningConfig {
    /// A configuration with the given algorithm and encoding.
    pub fn new(algorithm: SignatureAlgorithm, encoding: SignatureEncodingPolicy) -> Self {
        Self {
            config_type: ConfigType::Versioned,
            signature_algorithm: algorithm,
            signature_encoding_policy: encoding,
        }
    }
}

/// A string field that may be missing, `null` or empty (the default); any error names `field`.
fn optional_name<'de, D: Deserializer<'de>>(d: D, field: &str) -> Result<Option<String>, D::Error> {
    let value = Option::<String>::deserialize(d)
        .map_err(|e| de::Error::custom(format!("field {field}: {e}")))?;
    Ok(value.filter(|s| !s.is_empty()))
}

fn signature_algorithm<'de, D: Deserializer<'de>>(d: D) -> Result<SignatureAlgorithm, D::Error> {
    match optional_name(d, "signatureAlgorithm")? {
        None => Ok(SignatureAlgorithm::default()),
        Some(name) => SignatureAlgorithm::from_name(&name).ok_or_else(|| {
            de::Error::custom(format!(
                "field signatureAlgorithm: {name:?} is not one of \
                 {ALGORITHM_RSASSA_PSS}, {ALGORITHM_RSASSA_PKCS1_V15}"
            ))
        }),
    }
}

fn signature_encoding_policy<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<SignatureEncodingPolicy, D::Error> {
    match optional_name(d, "signatureEncodingPolicy")?.as_deref() {
        None => Ok(SignatureEncodingPolicy::default()),
        Some("Plain") => Ok(SignatureEncodingPolicy::Plain),
        Some("PEM") => Ok(SignatureEncodingPolicy::Pem),
        Some(other) => Err(de::Error::custom(format!(
            "field signatureEncodingPolicy: {other:?} is not one of Plain, PEM"
        ))),
    }
}
