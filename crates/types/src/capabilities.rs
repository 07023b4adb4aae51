//! The `capabilities` document a plugin prints, in both wire formats (spec §2, §10.2), and the one
//! model the manager reads them into.

use std::{collections::BTreeMap, fmt, str::FromStr};

use base64::{Engine as _, engine::general_purpose::STANDARD};
use serde::{Deserialize, Deserializer, Serialize, Serializer, de};
use serde_json::Value;

use crate::{Error, Type};

/// A capability a plugin can serve, named by its wire key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CapabilityKind {
    /// `componentVersionRepository`
    ComponentVersionRepository,
    /// `credentialRepository`
    CredentialRepository,
    /// `inputRepository`
    InputRepository,
    /// `digestProcessorRepository`
    DigestProcessorRepository,
    /// `resourceRepository`
    ResourceRepository,
    /// `blobTransformer`
    BlobTransformer,
    /// A key this crate does not know (newer plugin types such as `signingHandler`).
    Other(String),
}

impl CapabilityKind {
    /// The six capabilities of the v0.0.1 protocol.
    pub const ALL: [Self; 6] = [
        Self::ComponentVersionRepository,
        Self::CredentialRepository,
        Self::InputRepository,
        Self::DigestProcessorRepository,
        Self::ResourceRepository,
        Self::BlobTransformer,
    ];

    /// The wire key, e.g. `componentVersionRepository`.
    pub fn key(&self) -> &str {
        match self {
            Self::ComponentVersionRepository => "componentVersionRepository",
            Self::CredentialRepository => "credentialRepository",
            Self::InputRepository => "inputRepository",
            Self::DigestProcessorRepository => "digestProcessorRepository",
            Self::ResourceRepository => "resourceRepository",
            Self::BlobTransformer => "blobTransformer",
            Self::Other(k) => k,
        }
    }

    /// Field of a v0.0.11+ capability entry that lists the supported types.
    fn new_format_field(&self) -> Option<&'static str> {
        Some(match self {
            Self::ComponentVersionRepository => "supportedRepositorySpecTypes",
            Self::CredentialRepository => "supportedCredentialRepositorySpecTypes",
            Self::InputRepository => "supportedInputTypes",
            Self::DigestProcessorRepository | Self::ResourceRepository => "supportedAccessTypes",
            Self::BlobTransformer => "supportedTransformerSpecTypes",
            Self::Other(_) => return None,
        })
    }
}

impl FromStr for CapabilityKind {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self::ALL
            .into_iter()
            .find(|k| k.key() == s)
            .unwrap_or_else(|| Self::Other(s.to_owned())))
    }
}

impl fmt::Display for CapabilityKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// JSON-schema bytes, carried as padded standard base64 on the wire.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct JsonSchema(pub Vec<u8>);

impl fmt::Debug for JsonSchema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "JsonSchema({})", String::from_utf8_lossy(&self.0))
    }
}

impl JsonSchema {
    /// The permissive schema `{}`: what to declare when no validation is wanted.
    pub fn permissive() -> Self {
        Self(b"{}".to_vec())
    }

    /// Decodes the wire form.
    pub fn from_base64(s: &str) -> Result<Self, Error> {
        STANDARD
            .decode(s)
            .map(Self)
            .map_err(|e| Error::Base64(e.to_string()))
    }

    /// The wire form.
    pub fn to_base64(&self) -> String {
        STANDARD.encode(&self.0)
    }
}

impl Serialize for JsonSchema {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_base64())
    }
}

impl<'de> Deserialize<'de> for JsonSchema {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::from_base64(&s).map_err(de::Error::custom)
    }
}

/// One entry of a v0.0.1 `types` list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TypeEntry {
    /// The spec type served.
    #[serde(rename = "type")]
    pub typ: Type,
    /// Schema used to validate specs of this type; `null` when absent.
    #[serde(rename = "jsonSchema", default)]
    pub json_schema: Option<JsonSchema>,
}

/// The v0.0.1 `capabilities` document (spec §2.2). Serialising it gives Go's exact bytes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Capabilities {
    /// Capability key → declared types. `null` if nothing was registered.
    pub types: Option<BTreeMap<String, Vec<TypeEntry>>>,
    /// Configuration types the plugin wants in `--config`.
    #[serde(
        rename = "configTypes",
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_empty"
    )]
    pub config_types: Vec<Type>,
}

/// A type a plugin declared for a capability, with its schema.
#[derive(Debug, Clone, PartialEq)]
pub struct DeclaredType {
    /// The type.
    pub typ: Type,
    /// Aliases (v0.0.11+ format only).
    pub aliases: Vec<Type>,
    /// Schema bytes, if the plugin declared one.
    pub schema: Option<JsonSchema>,
}

/// One capability of a plugin, in the manager's format-independent model.
#[derive(Debug, Clone, PartialEq)]
pub struct PluginCapability {
    /// Which capability.
    pub kind: CapabilityKind,
    /// The types served. For a credential repository: the repository config types.
    pub types: Vec<DeclaredType>,
    /// Credential repositories only: the consumer identity types it resolves credentials for.
    pub consumer_identity_types: Vec<DeclaredType>,
}

/// What a plugin declared, read from either `capabilities` format (spec §10.6).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PluginCapabilities {
    /// Capabilities, in declaration order (v0.0.1: sorted by key).
    pub capabilities: Vec<PluginCapability>,
    /// Configuration types the plugin wants (`configTypes` or `supportedConfigTypes`).
    pub config_types: Vec<Type>,
    /// `true` for the v0.0.11+ `capabilities` array format.
    pub new_format: bool,
}

impl PluginCapabilities {
    /// Parses the stdout of `<plugin> capabilities`: exactly one JSON document, either format.
    pub fn parse(stdout: &[u8]) -> Result<Self, Error> {
        let value: Value = serde_json::from_slice(stdout)
            .map_err(|e| Error::Capabilities(format!("not a single JSON document: {e}")))?;
        let Value::Object(obj) = value else {
            return Err(Error::Capabilities("not a JSON object".into()));
        };
        if let Some(caps) = obj.get("capabilities") {
            return Self::parse_new(caps, &obj);
        }
        if obj.contains_key("types") {
            let doc: Capabilities = serde_json::from_value(Value::Object(obj))
                .map_err(|e| Error::Capabilities(e.to_string()))?;
            return Ok(Self::from_v1(doc));
        }
        Err(Error::Capabilities(
            "neither a `types` object (v0.0.1) nor a `capabilities` array (v0.0.11+)".into(),
        ))
    }

    fn from_v1(doc: Capabilities) -> Self {
        let mut capabilities = Vec::new();
        for (key, entries) in doc.types.unwrap_or_default() {
            let kind: CapabilityKind = key.parse().unwrap_or(CapabilityKind::Other(key));
            let mut types: Vec<DeclaredType> = entries
                .into_iter()
                .map(|e| DeclaredType {
                    typ: e.typ,
                    aliases: Vec::new(),
                    schema: e.json_schema,
                })
                .collect();
            let mut consumer_identity_types = Vec::new();
            // v0.0.1 credential repositories declare [0] = consumer identity type and
            // [1] = repository config type. A single entry is what the Go SDK helper emits:
            // the repository config type alone.
            if kind == CapabilityKind::CredentialRepository && types.len() >= 2 {
                consumer_identity_types.push(types.remove(0));
            }
            capabilities.push(PluginCapability {
                kind,
                types,
                consumer_identity_types,
            });
        }
        Self {
            capabilities,
            config_types: doc.config_types,
            new_format: false,
        }
    }

    fn parse_new(caps: &Value, obj: &serde_json::Map<String, Value>) -> Result<Self, Error> {
        let Value::Array(items) = caps else {
            return Err(Error::Capabilities("`capabilities` is not an array".into()));
        };
        let mut capabilities = Vec::new();
        for item in items {
            let kind_str = item
                .get("type")
                .and_then(Value::as_str)
                .ok_or_else(|| Error::Capabilities("a capability has no `type`".into()))?;
            let kind: CapabilityKind = kind_str
                .parse()
                .unwrap_or_else(|_| CapabilityKind::Other(kind_str.to_owned()));
            let field = kind.new_format_field();
            let types = match field {
                Some(f) => declared_list(item.get(f))?,
                None => Vec::new(),
            };
            let consumer_identity_types = if kind == CapabilityKind::CredentialRepository {
                declared_list(item.get("supportedConsumerIdentityTypes"))?
            } else {
                Vec::new()
            };
            capabilities.push(PluginCapability {
                kind,
                types,
                consumer_identity_types,
            });
        }
        let config_types = match obj
            .get("supportedConfigTypes")
            .or_else(|| obj.get("configTypes"))
        {
            None | Some(Value::Null) => Vec::new(),
            Some(v) => serde_json::from_value(v.clone())
                .map_err(|e| Error::Capabilities(format!("config types: {e}")))?,
        };
        Ok(Self {
            capabilities,
            config_types,
            new_format: true,
        })
    }
}

fn declared_list(v: Option<&Value>) -> Result<Vec<DeclaredType>, Error> {
    #[derive(Deserialize)]
    struct Wire {
        #[serde(rename = "type")]
        typ: Type,
        #[serde(default)]
        aliases: Option<Vec<Type>>,
        #[serde(rename = "jsonSchema", default)]
        json_schema: Option<JsonSchema>,
    }
    let Some(v) = v.filter(|v| !v.is_null()) else {
        return Ok(Vec::new());
    };
    let wire: Vec<Wire> =
        serde_json::from_value(v.clone()).map_err(|e| Error::Capabilities(e.to_string()))?;
    Ok(wire
        .into_iter()
        .map(|w| DeclaredType {
            typ: w.typ,
            aliases: w.aliases.unwrap_or_default(),
            schema: w.json_schema,
        })
        .collect())
}

fn null_as_empty<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Type>, D::Error> {
    Ok(Option::<Vec<Type>>::deserialize(d)?.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v1_credential_mapping_tolerates_short_lists() {
        let one = br#"{"types":{"credentialRepository":[{"type":"Cfg/v1","jsonSchema":"e30="}]}}"#;
        let caps = PluginCapabilities::parse(one).unwrap();
        assert_eq!(caps.capabilities[0].types[0].typ.to_string(), "Cfg/v1");
        assert!(caps.capabilities[0].consumer_identity_types.is_empty());

        let two = br#"{"types":{"credentialRepository":[{"type":"Id/v1","jsonSchema":"e30="},{"type":"Cfg/v1","jsonSchema":null}]}}"#;
        let caps = PluginCapabilities::parse(two).unwrap();
        let c = &caps.capabilities[0];
        assert_eq!(c.consumer_identity_types[0].typ.to_string(), "Id/v1");
        assert_eq!(c.types[0].typ.to_string(), "Cfg/v1");
        assert_eq!(c.types[0].schema, None);

        let empty = br#"{"types":{"credentialRepository":[]}}"#;
        assert!(
            PluginCapabilities::parse(empty).unwrap().capabilities[0]
                .types
                .is_empty()
        );
    }

    #[test]
    fn new_format() {
        let doc = br#"{"capabilities":[{"supportedRepositorySpecTypes":[{"aliases":null,"jsonSchema":"e30=","type":"DummyRepository/v1"}],"type":"componentVersionRepository"},{"type":"signingHandler","supportedSigningSpecTypes":[]}],"supportedConfigTypes":["custom.config/v1"]}"#;
        let caps = PluginCapabilities::parse(doc).unwrap();
        assert!(caps.new_format);
        assert_eq!(
            caps.capabilities[0].kind,
            CapabilityKind::ComponentVersionRepository
        );
        assert_eq!(
            caps.capabilities[0].types[0].schema,
            Some(JsonSchema::permissive())
        );
        assert_eq!(
            caps.capabilities[1].kind,
            CapabilityKind::Other("signingHandler".into())
        );
        assert_eq!(caps.config_types[0].to_string(), "custom.config/v1");
    }

    #[test]
    fn rejects_garbage() {
        for doc in [
            &b"hello"[..],
            b"{}",
            b"[]",
            b"{\"types\":{\"x\":[{\"type\":\"a\",\"jsonSchema\":{}}]}}",
            b"{\"a\":1}\n{\"b\":2}",
        ] {
            assert!(
                PluginCapabilities::parse(doc).is_err(),
                "{}",
                String::from_utf8_lossy(doc)
            );
        }
        assert!(
            PluginCapabilities::parse(
                b"{\"types\":{\"x\":[{\"type\":\"a\",\"jsonSchema\":\"e30\"}]}}"
            )
            .is_err(),
            "unpadded base64"
        );
    }
}
