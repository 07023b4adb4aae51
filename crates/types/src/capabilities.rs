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

    /// The name a user types for it (`ocm-plugin call <name>`, e.g. `input`), for messages; the
    /// wire key for a kind this crate does not know.
    pub fn name(&self) -> &str {
        match self {
            Self::ComponentVersionRepository => "component-version-repository",
            Self::CredentialRepository => "credential-repository",
            Self::InputRepository => "input",
            Self::DigestProcessorRepository => "digest-processor",
            Self::ResourceRepository => "resource-repository",
            Self::BlobTransformer => "blob-transformer",
            Self::ComponentLister => "component-lister",
            Self::SigningHandler => "signing-handler",
            Self::CredentialPlugin => "credential-plugin",
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
                // [0] consumer identity type, [1] config type; one pair is all v0.0.1 reads,
                // so a second credential repository capability adds nothing.
                if let (true, Some(consumer), Some(config)) = (
                    entries.is_empty(),
                    cap.consumer_identity_types.first(),
                    cap.types.first(),
                ) {
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

/// Property tests: the parser of a plugin's `capabilities` output (untrusted) never panics,
/// rejects what is not a document, and reads back every document we write.
#[cfg(test)]
mod props {
    use super::*;
    use proptest::prelude::*;
    use proptest::test_runner::Config;

    fn config() -> Config {
        Config {
            cases: 256,
            failure_persistence: None,
            ..Config::default()
        }
    }

    /// Keys that steer generated JSON into the parser's interesting branches.
    const KEYS: &[&str] = &[
        "types",
        "capabilities",
        "configTypes",
        "supportedConfigTypes",
        "type",
        "jsonSchema",
        "aliases",
        "componentVersionRepository",
        "credentialRepository",
        "signingHandler",
        "supportedRepositorySpecTypes",
        "supportedCredentialRepositorySpecTypes",
        "supportedConsumerIdentityTypes",
        "customCredentialTypes",
        "supportedSigningSpecTypes",
    ];

    /// Strings that are (almost) valid values of the document's fields.
    const STRINGS: &[&str] = &[
        "A/v1",
        "A",
        "/v1",
        "a/b/c",
        "",
        "e30=",
        "e30",
        "credentialRepository",
        "componentVersionRepository",
        "signingHandler",
        "unknownKind",
    ];

    /// Arbitrary JSON trees of bounded depth and size, biased towards the document's keys.
    fn arb_json() -> impl Strategy<Value = Value> {
        let string = prop_oneof![
            prop::sample::select(STRINGS).prop_map(str::to_owned),
            ".{0,8}",
        ];
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<f64>().prop_filter_map("finite", |f| {
                serde_json::Number::from_f64(f).map(Value::Number)
            }),
            string.prop_map(Value::from),
        ];
        let key = prop_oneof![
            3 => prop::sample::select(KEYS).prop_map(str::to_owned),
            1 => ".{0,6}",
        ];
        leaf.prop_recursive(5, 64, 6, move |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
                prop::collection::btree_map(key.clone(), inner, 0..6)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    fn arb_type() -> impl Strategy<Value = Type> {
        ("[^/]{1,10}", proptest::option::of("[^/]{1,6}"))
            .prop_map(|(n, v)| Type::new(n, v.as_deref()).unwrap())
    }

    fn arb_declared() -> impl Strategy<Value = DeclaredType> {
        (
            arb_type(),
            prop::collection::vec(arb_type(), 0..3),
            proptest::option::of(prop::collection::vec(any::<u8>(), 0..16).prop_map(JsonSchema)),
        )
            .prop_map(|(typ, aliases, schema)| DeclaredType {
                typ,
                aliases,
                schema,
            })
    }

    fn arb_kind() -> impl Strategy<Value = CapabilityKind> {
        prop::sample::select(CapabilityKind::ALL.to_vec())
    }

    /// A capability the v0.0.11+ format can carry: a known kind, credential-only lists only on
    /// credential repositories.
    fn arb_capability() -> impl Strategy<Value = PluginCapability> {
        let list = || prop::collection::vec(arb_declared(), 0..3);
        (arb_kind(), list(), list(), list()).prop_map(|(kind, types, consumer, custom)| {
            let cred = kind == CapabilityKind::CredentialRepository;
            PluginCapability {
                kind,
                types,
                consumer_identity_types: if cred { consumer } else { Vec::new() },
                custom_credential_types: if cred { custom } else { Vec::new() },
            }
        })
    }

    fn arb_caps() -> impl Strategy<Value = PluginCapabilities> {
        (
            prop::collection::vec(arb_capability(), 0..4),
            prop::collection::vec(arb_type(), 0..3),
        )
            .prop_map(|(capabilities, config_types)| PluginCapabilities {
                capabilities,
                config_types,
                format: CapabilitiesFormat::Current,
            })
    }

    /// What a v0.0.1 document can carry exactly: one entry per kind (sorted by key), no
    /// aliases, and a credential repository as one consumer/config pair sharing the schema.
    fn v1_shaped(mut caps: PluginCapabilities) -> PluginCapabilities {
        caps.capabilities
            .sort_by(|a, b| a.kind.key().cmp(b.kind.key()));
        caps.capabilities.dedup_by(|a, b| a.kind == b.kind);
        for cap in &mut caps.capabilities {
            for t in &mut cap.types {
                t.aliases.clear();
            }
            if cap.kind == CapabilityKind::CredentialRepository {
                cap.custom_credential_types.clear();
                cap.types.truncate(1);
                cap.consumer_identity_types.truncate(1);
                match (cap.types.first(), cap.consumer_identity_types.first_mut()) {
                    (Some(t), Some(c)) => {
                        c.aliases.clear();
                        c.schema = t.schema.clone();
                    }
                    _ => {
                        cap.types.clear();
                        cap.consumer_identity_types.clear();
                    }
                }
            }
        }
        caps.format = CapabilitiesFormat::V1;
        caps
    }

    proptest! {
        #![proptest_config(config())]

        /// Any bytes: no panic, and anything accepted is one JSON object.
        #[test]
        fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
            let parsed = PluginCapabilities::parse(&bytes);
            let is_object = serde_json::from_slice::<Value>(&bytes).is_ok_and(|v| v.is_object());
            prop_assert!(parsed.is_err() || is_object);
        }

        /// Any text: no panic; not JSON is an error.
        #[test]
        fn arbitrary_text_never_panics(s in ".{0,128}") {
            let parsed = PluginCapabilities::parse(s.as_bytes());
            if serde_json::from_str::<Value>(&s).is_err() {
                prop_assert!(parsed.is_err());
            }
        }

        /// Any JSON tree: no panic, and what is accepted is consistent with the document.
        #[test]
        fn arbitrary_json_never_panics(v in arb_json()) {
            let bytes = serde_json::to_vec(&v).unwrap();
            let Ok(caps) = PluginCapabilities::parse(&bytes) else {
                return Ok(());
            };
            let obj = v.as_object().expect("only an object is accepted");
            match obj.get("capabilities") {
                Some(Value::Array(items)) => {
                    prop_assert_eq!(caps.capabilities.len(), items.len());
                    let want = if obj.contains_key("types") {
                        CapabilitiesFormat::Dual
                    } else {
                        CapabilitiesFormat::Current
                    };
                    prop_assert_eq!(caps.format, want);
                }
                Some(other) => prop_assert!(false, "accepted capabilities {other}"),
                None => {
                    prop_assert_eq!(caps.format, CapabilitiesFormat::V1);
                    let n = obj["types"].as_object().map_or(0, serde_json::Map::len);
                    prop_assert_eq!(caps.capabilities.len(), n);
                }
            }
            // Whatever was read can be written and read again.
            for format in [CapabilitiesFormat::V1, CapabilitiesFormat::Current, CapabilitiesFormat::Dual] {
                prop_assert!(PluginCapabilities::parse(caps.to_json(format).as_bytes()).is_ok());
            }
        }

        /// A JSON tree wrapped in each format's top-level keys, so the inner branches run.
        #[test]
        fn wrapped_json_never_panics(v in arb_json(), cfg in arb_json(), key in prop::sample::select(vec!["types", "capabilities"])) {
            // `json!` serialises its arguments by reference.
            let doc = serde_json::json!({
                key: v,
                "configTypes": cfg,
                "supportedConfigTypes": cfg,
            });
            let parsed = PluginCapabilities::parse(&serde_json::to_vec(&doc).unwrap());
            let want_len = match (key, &v) {
                ("capabilities", Value::Array(a)) => Some(a.len()),
                ("types", Value::Object(o)) => Some(o.len()),
                ("types", Value::Null) => Some(0),
                _ => None,
            };
            // Accepted: one capability per entry; a wrongly typed container is an error.
            if let Ok(caps) = &parsed {
                prop_assert_eq!(Some(caps.capabilities.len()), want_len);
            }
            prop_assert!(want_len.is_some() || parsed.is_err());
            let items = serde_json::json!({ "capabilities": [{
                "type": "credentialRepository",
                "supportedCredentialRepositorySpecTypes": v,
                "supportedConsumerIdentityTypes": v,
                "customCredentialTypes": v,
            }] });
            let want_len = match &v {
                Value::Array(a) => Some(a.len()),
                Value::Null => Some(0),
                _ => None,
            };
            if let Ok(caps) = PluginCapabilities::parse(&serde_json::to_vec(&items).unwrap()) {
                let c = &caps.capabilities[0];
                prop_assert_eq!(Some(c.types.len()), want_len);
                prop_assert_eq!(Some(c.consumer_identity_types.len()), want_len);
                prop_assert_eq!(Some(c.custom_credential_types.len()), want_len);
            }
        }

        /// Every v0.0.11+ and dual document we write reads back as the same model.
        #[test]
        fn current_and_dual_round_trip(caps in arb_caps()) {
            for format in [CapabilitiesFormat::Current, CapabilitiesFormat::Dual] {
                let json = caps.to_json(format);
                let back = PluginCapabilities::parse(json.as_bytes()).unwrap();
                let mut want = caps.clone();
                want.format = format;
                prop_assert_eq!(back, want, "{}", json);
            }
        }

        /// A v0.0.1 document reads back exactly when the model fits the format, and writing
        /// what was read is a fixed point for any model.
        #[test]
        fn v1_round_trip(caps in arb_caps()) {
            let shaped = v1_shaped(caps.clone());
            let json = shaped.to_json(CapabilitiesFormat::V1);
            prop_assert_eq!(&PluginCapabilities::parse(json.as_bytes()).unwrap(), &shaped, "{}", json);

            let once = PluginCapabilities::parse(caps.to_json(CapabilitiesFormat::V1).as_bytes()).unwrap();
            let twice = PluginCapabilities::parse(once.to_json(CapabilitiesFormat::V1).as_bytes()).unwrap();
            prop_assert_eq!(twice, once);
        }

        /// Schema bytes: any base64 text decodes or errors, encoded bytes decode back.
        #[test]
        fn json_schema_base64(s in ".{0,32}", bytes in prop::collection::vec(any::<u8>(), 0..64)) {
            if let Ok(schema) = JsonSchema::from_base64(&s) {
                prop_assert_eq!(schema.to_base64(), s);
            }
            let schema = JsonSchema(bytes);
            prop_assert_eq!(JsonSchema::from_base64(&schema.to_base64()).unwrap(), schema);
        }
    }
}
