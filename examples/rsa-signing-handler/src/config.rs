//! The `RSASigningConfiguration/v1alpha1` signing configuration: decoding, defaults and schema.

use std::fmt;

use ocm_plugin_contracts::{Error, Result};
use ocm_plugin_types::{JsonSchema, Raw};
use serde::{Deserialize, Deserializer, de};

use crate::{
    ALGORITHM_RSASSA_PKCS1_V15, ALGORITHM_RSASSA_PSS, CONFIG_TYPE, CONFIG_TYPE_NAME,
    CONFIG_TYPE_VERSION, MEDIA_TYPE_PEM, MEDIA_TYPE_PLAIN_RSASSA_PKCS1_V15,
    MEDIA_TYPE_PLAIN_RSASSA_PSS,
};

/// The RSA signature scheme a signature is made with.
///
/// The wire names are the ones OCM writes into `signature.algorithm`, so signatures made here
/// and by OCM's own handler read the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SignatureAlgorithm {
    /// RSASSA-PSS (`RSASSA-PSS`), MGF1 with the digest's hash and the longest salt the key
    /// allows. The default, as in OCM.
    #[default]
    RsassaPss,
    /// RSASSA-PKCS1-v1_5 (`RSASSA-PKCS1-V1_5`), deterministic; what older OCM versions used.
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SignatureEncodingPolicy {
    /// `Plain`: lowercase hex, media type by algorithm. The default, as in OCM.
    #[default]
    Plain,
    /// `PEM`: a `SIGNATURE` PEM block with a `Signature Algorithm` header, followed by the
    /// signer's certificates if the credentials carry any; media type
    /// [`MEDIA_TYPE_PEM`](crate::MEDIA_TYPE_PEM).
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

/// A decoded and checked `RSASigningConfiguration/v1alpha1`.
///
/// ```json
/// {"type":"RSASigningConfiguration/v1alpha1","signatureAlgorithm":"RSASSA-PSS","signatureEncodingPolicy":"Plain"}
/// ```
///
/// Both fields are optional; a missing, `null` or empty field takes its default (as OCM's
/// getters do), so `{"type":"RSASigningConfiguration/v1alpha1"}` signs with RSASSA-PSS, hex
/// encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
#[non_exhaustive]
pub struct RsaSigningConfig {
    /// The scheme new signatures are made with. Verification ignores it: the signature itself
    /// says how it was made.
    #[serde(deserialize_with = "signature_algorithm")]
    pub signature_algorithm: SignatureAlgorithm,
    /// How new signatures are encoded.
    #[serde(deserialize_with = "signature_encoding_policy")]
    pub signature_encoding_policy: SignatureEncodingPolicy,
}

impl RsaSigningConfig {
    /// A configuration with the given algorithm and encoding.
    pub fn new(algorithm: SignatureAlgorithm, encoding: SignatureEncodingPolicy) -> Self {
        Self {
            signature_algorithm: algorithm,
            signature_encoding_policy: encoding,
        }
    }

    /// Decodes and checks a configuration.
    ///
    /// The `type`, if present, must be `RSASigningConfiguration/v1alpha1` or the unversioned
    /// `RSASigningConfiguration` (OCM registers both). Unknown fields are rejected, as the
    /// declared schema does. Every failure is [`Error::InvalidArgument`] naming the field.
    pub fn from_raw(config: &Raw) -> Result<Self> {
        check_type(config)?;
        // `type` was checked above; the rest must be the known fields.
        let mut fields = config.as_object().clone();
        fields.remove("type");
        serde_json::from_value(serde_json::Value::Object(fields))
            .map_err(|e| Error::InvalidArgument(format!("invalid {CONFIG_TYPE} config: {e}")))
    }
}

/// Fails unless the config's `type` is absent or one this handler serves.
fn check_type(config: &Raw) -> Result<()> {
    match config.type_() {
        Some(t)
            if t.name() != CONFIG_TYPE_NAME
                || !matches!(t.version(), None | Some(CONFIG_TYPE_VERSION)) =>
        {
            Err(Error::InvalidArgument(format!(
                "unsupported signing configuration type {t}: this handler serves {CONFIG_TYPE} \
                 (or {CONFIG_TYPE_NAME})"
            )))
        }
        _ => Ok(()),
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

/// The JSON schema (draft 2020-12) of the configuration, to declare with the type.
///
/// Written by hand after OCM's generated schema: `type` is required and one of the two type
/// names, the two optional fields are closed enums, and no other properties are allowed.
/// [`RsaSigningConfig::from_raw`] enforces the same in the plugin (but, like OCM's getters, also
/// accepts a missing `type` and empty strings for the defaults).
pub fn config_schema() -> JsonSchema {
    JsonSchema(CONFIG_SCHEMA.as_bytes().to_vec())
}

const CONFIG_SCHEMA: &str = r#"{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "title": "RSASigningConfiguration/v1alpha1",
  "description": "Configuration of the RSA signing handler: which RSA signature scheme new signatures use and how they are encoded. Verification reads both from the signature.",
  "type": "object",
  "properties": {
    "type": {
      "type": "string",
      "enum": ["RSASigningConfiguration/v1alpha1", "RSASigningConfiguration"]
    },
    "signatureAlgorithm": {
      "type": "string",
      "description": "RSASSA-PSS (MGF1 with the digest's hash, maximum salt length) or RSASSA-PKCS1-V1_5.",
      "enum": ["RSASSA-PSS", "RSASSA-PKCS1-V1_5"],
      "default": "RSASSA-PSS"
    },
    "signatureEncodingPolicy": {
      "type": "string",
      "description": "Plain: hex signature. PEM: a SIGNATURE PEM block with a 'Signature Algorithm' header, followed by the signer's certificates if the credentials carry any.",
      "enum": ["Plain", "PEM"],
      "default": "Plain"
    }
  },
  "required": ["type"],
  "additionalProperties": false
}"#;
