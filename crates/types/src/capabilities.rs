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
    /// `componentLister` (v0.0.8+)
    ComponentLister,
    /// `signingHandler` (v0.0.7+)
    SigningHandler,
    /// `credentialPlugin` (the `bindings/go` generation)
    CredentialPlugin,
    /// A key this crate does not know.
    Other(String),
}

impl CapabilityKind {
    /// Every capability kind of every protocol generation.
    pub const ALL: [Self; 9] = [
        Self::ComponentVersionRepository,
        Self::CredentialRepository,
        Self::InputRepository,
        Self::DigestProcessorRepository,
        Self::ResourceRepository,
        Self::BlobTransformer,
        Self::ComponentLister,
        Self::SigningHandler,
        Self::CredentialPlugin,
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
            Self::ComponentLister => "componentLister",
            Self::SigningHandler => "signingHandler",
            Self::CredentialPlugin => "credentialPlugin",
            Self::Other(k) => k,
        }
    }

    /// The field of a v0.0.11+ capability entry that lists the served types (spec §10.2). For
    /// a credential repository: its repository config types.
    pub fn current_format_field(&self) -> Option<&'static str> {
        Some(match self {
            Self::ComponentVersionRepository | Self::ComponentLister => {
                "supportedRepositorySpecTypes"
            }
            Self::CredentialRepository => "supportedCredentialRepositorySpecTypes",
            Self::InputRepository => "supportedInputTypes",
            Self::DigestProcessorRepository | Self::ResourceRepository => "supportedAccessTypes",
            Self::BlobTransformer => "supportedTransformerSpecTypes",
            Self::SigningHandler => "supportedSigningSpecTypes",
            Self::CredentialPlugin => "supportedCredentialPluginTypes",
            Self::Other(_) => return None,
        })
    }
}

/// Which `capabilities` format a document is in (spec §10.2, §10.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum CapabilitiesFormat {
    /// The v0.0.1 format (`types`, `configTypes`), read by Go managers up to v0.0.10. Its
    /// plugins read credentials as a flat string map.
    V1,
    /// The v0.0.11+ format (`capabilities`, `supportedConfigTypes`), read by Go managers from
    /// v0.0.11 on. Its plugins read typed credentials (v0.0.16+) or a flat map (v0.0.11 to
    /// v0.0.15).
    Current,
    /// Both formats side by side in one document, which every Go manager reads (what our SDK
    /// writes by default).
    #[default]
    Dual,
}

impl CapabilitiesFormat {
    /// Whether the document has the v0.0.1 keys.
    pub fn has_v1(self) -> bool {
        self != Self::Current
    }

    /// Whether the document has the v0.0.11+ keys.
    pub fn has_current(self) -> bool {
        self != Self::V1
    }
}

impl fmt::Display for CapabilitiesFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::V1 => "v0.0.1",
            Self::Current => "v0.0.11+",
            Self::Dual => "dual (v0.0.1 + v0.0.11+)",
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
    /// Credential repositories only (v0.0.17+): credential types the plugin defines, which a
    /// host may register in its credential-type scheme.
    pub custom_credential_types: Vec<DeclaredType>,
}

/// What a plugin declared, read from either `capabilities` format (spec §10.6).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PluginCapabilities {
    /// Capabilities, in declaration order (v0.0.1: sorted by key).
    pub capabilities: Vec<PluginCapability>,
    /// Configuration types the plugin wants (`configTypes` or `supportedConfigTypes`).
    pub config_types: Vec<Type>,
    /// The format the document was in. A dual document is read from its v0.0.11+ half, which
    /// carries more (aliases).
    pub format: CapabilitiesFormat,
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
            let mut parsed = Self::parse_new(caps, &obj)?;
            if obj.contains_key("types") {
                parsed.format = CapabilitiesFormat::Dual;
            }
            return Ok(parsed);
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
                custom_credential_types: Vec::new(),
            });
        }
        Self {
            capabilities,
            config_types: doc.config_types,
            format: CapabilitiesFormat::V1,
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
            let field = kind.current_format_field();
            let list = |f: &str| {
                declared_list(item.get(f))
                    .map_err(|e| Error::Capabilities(format!("{kind_str}.{f}: {e}")))
            };
            let types = match field {
                Some(f) => list(f)?,
                None => Vec::new(),
            };
            let (consumer_identity_types, custom_credential_types) =
                if kind == CapabilityKind::CredentialRepository {
                    (
                        list("supportedConsumerIdentityTypes")?,
                        list("customCredentialTypes")?,
                    )
                } else {
                    (Vec::new(), Vec::new())
                };
            capabilities.push(PluginCapability {
                kind,
                types,
                consumer_identity_types,
                custom_credential_types,
            });
        }
        let config_types = match obj
            .get("supportedConfigTypes")
            .filter(|v| !v.is_null())
            .or_else(|| obj.get("configTypes"))
        {
            None | Some(Value::Null) => Vec::new(),
            Some(v) => serde_json::from_value(v.clone())
                .map_err(|e| Error::Capabilities(format!("config types: {e}")))?,
        };
        Ok(Self {
            capabilities,
            config_types,
            format: CapabilitiesFormat::Current,
        })
    }
}

impl PluginCapabilities {
    /// The document in `format`, compact, without a trailing newline.
    ///
    /// * v0.0.1 half: `{"types":{<key>:[{"type","jsonSchema"}...]},"configTypes":[...]}`, keys of
    ///   `types` sorted, `configTypes` omitted when empty, `types` `null` when nothing is
    ///   declared. Aliases follow their type as entries of their own (a v0.0.1 manager knows no
    ///   aliases). A credential repository is written as the two entries `[0]` consumer identity
    ///   type and `[1]` config type, both with the config's schema, since Go managers validate
    ///   the config against `[0]`'s.
    /// * v0.0.11+ half: `{"capabilities":[...],"supportedConfigTypes":[...]}`, one entry per
    ///   capability kind listing all its types, keys sorted inside each entry, `aliases` `null`
    ///   when empty, `supportedConfigTypes` omitted when empty.
    /// * dual: both halves in one object, the v0.0.1 keys first.
    ///
    /// Each half is byte-equal to a Go SDK plugin's document for the same declarations.
    pub fn to_json(&self, format: CapabilitiesFormat) -> String {
        match format {
            CapabilitiesFormat::V1 => self.v1_json(),
            CapabilitiesFormat::Current => self.current_json(),
            CapabilitiesFormat::Dual => {
                let v1 = self.v1_json();
                let current = self.current_json();
                format!("{},{}", &v1[..v1.len() - 1], &current[1..])
            }
        }
    }

    fn v1_json(&self) -> String {
        let mut types: BTreeMap<String, Vec<TypeEntry>> = BTreeMap::new();
        for cap in &self.capabilities {
            let entries = types.entry(cap.kind.key().to_owned()).or_default();
            if cap.kind == CapabilityKind::CredentialRepository {
                // [0] consumer identity type, [1] config type; one pair is all v0.0.1 reads.
                if let (Some(consumer), Some(config)) =
                    (cap.consumer_identity_types.first(), cap.types.first())
                {
                    for typ in [&consumer.typ, &config.typ] {
                        entries.push(TypeEntry {
                            typ: typ.clone(),
                            json_schema: config.schema.clone(),
                        });
                    }
                }
                continue;
            }
            for t in &cap.types {
                for typ in std::iter::once(&t.typ).chain(&t.aliases) {
                    entries.push(TypeEntry {
                        typ: typ.clone(),
                        json_schema: t.schema.clone(),
                    });
                }
            }
        }
        let doc = Capabilities {
            types: (!types.is_empty()).then_some(types),
            config_types: self.config_types.clone(),
        };
        // Plain data always serialises.
        serde_json::to_string(&doc).unwrap_or_default()
    }

    fn current_json(&self) -> String {
        fn entries(list: &[DeclaredType]) -> Value {
            if list.is_empty() {
                return Value::Null;
            }
            Value::Array(
                list.iter()
                    .map(|t| {
                        // serde_json's map keeps keys sorted: the JCS order Go writes.
                        let mut entry = serde_json::Map::new();
                        entry.insert(
                            "aliases".into(),
                            if t.aliases.is_empty() {
                                Value::Null
                            } else {
                                t.aliases
                                    .iter()
                                    .map(|a| Value::from(a.to_string()))
                                    .collect()
                            },
                        );
                        entry.insert(
                            "jsonSchema".into(),
                            t.schema
                                .as_ref()
                                .map_or(Value::Null, |s| Value::from(s.to_base64())),
                        );
                        entry.insert("type".into(), Value::from(t.typ.to_string()));
                        Value::Object(entry)
                    })
                    .collect(),
            )
        }
        let mut capabilities = Vec::new();
        for cap in &self.capabilities {
            let Some(field) = cap.kind.current_format_field() else {
                continue;
            };
            let mut entry = serde_json::Map::new();
            entry.insert("type".into(), Value::from(cap.kind.key()));
            entry.insert(field.into(), entries(&cap.types));
            if cap.kind == CapabilityKind::CredentialRepository {
                entry.insert(
                    "supportedConsumerIdentityTypes".into(),
                    entries(&cap.consumer_identity_types),
                );
                if !cap.custom_credential_types.is_empty() {
                    entry.insert(
                        "customCredentialTypes".into(),
                        entries(&cap.custom_credential_types),
                    );
                }
            }
            capabilities.push(Value::Object(entry));
        }
        let mut out = format!(r#"{{"capabilities":{}"#, Value::Array(capabilities));
        if !self.config_types.is_empty() {
            let names: Vec<String> = self.config_types.iter().map(ToString::to_string).collect();
            out.push_str(&format!(
                r#","supportedConfigTypes":{}"#,
                serde_json::to_string(&names).unwrap_or_default()
            ));
        }
        out.push('}');
        out
    }
}

fn declared_list(v: Option<&Value>) -> Result<Vec<DeclaredType>, String> {
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
    let wire: Vec<Wire> = serde_json::from_value(v.clone()).map_err(|e| e.to_string())?;
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
        assert_eq!(caps.format, CapabilitiesFormat::Current);
        assert_eq!(
            caps.capabilities[0].kind,
            CapabilityKind::ComponentVersionRepository
        );
        assert_eq!(
            caps.capabilities[0].types[0].schema,
            Some(JsonSchema::permissive())
        );
        assert_eq!(caps.capabilities[1].kind, CapabilityKind::SigningHandler);
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
