//! Component descriptor v2 as the Go `descriptor/v2` package encodes it (spec §5.0).
//!
//! Field order, `null` for absent lists and `omitempty` behaviour match Go, so our output is
//! byte-equal to a Go peer's for the same data.
//!
//! Every struct also keeps the fields it does not name in an `extra` map (written after the named
//! fields, keys sorted) and a non-string `provider` as read, so parse → serialise gives back the
//! same JSON value: a descriptor passing through a plugin must not silently lose what a newer
//! peer wrote (a lost field would also break its signature). The Go quirks above still win where
//! they apply: an explicit `null` for an omitted-when-empty field is dropped, and `null` for an
//! always-emitted one comes back as its empty value.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::{Identity, Raw};

/// A component descriptor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Descriptor {
    /// Schema metadata.
    #[serde(default)]
    pub meta: Meta,
    /// The component.
    #[serde(default)]
    pub component: Component,
    /// Signatures, kept as raw JSON (omitted when empty).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signatures: Option<Vec<Value>>,
    /// Fields this struct does not name (newer OCM fields, vendor extensions), written back
    /// unchanged so a descriptor passing through us loses nothing. Must not repeat a named key.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Descriptor metadata.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Meta {
    /// Schema version, e.g. `v2`.
    #[serde(rename = "schemaVersion", default)]
    pub schema_version: String,
    /// Fields this struct does not name (newer OCM fields, vendor extensions), written back
    /// unchanged so a descriptor passing through us loses nothing. Must not repeat a named key.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A component version.
///
/// Serialised and read through private wire structs rather than derived, because one wire key
/// (`provider`) feeds two fields: the Go-compatible string and the original non-string value
/// needed to write it back unchanged.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Component {
    /// Component name, e.g. `ocm.software/demo`.
    pub name: String,
    /// Version.
    pub version: String,
    /// Labels.
    pub labels: Option<Vec<Label>>,
    /// RFC 3339 creation time.
    pub creation_time: Option<String>,
    /// Repository contexts; `null` when there are none, as in Go.
    pub repository_contexts: Option<Vec<Raw>>,
    /// Provider name, or a JSON-encoded provider object when it has labels.
    pub provider: String,
    /// The provider exactly as it was read when it was not a plain string (typically an object
    /// with `name` and `labels`). `provider` holds its JSON text for callers that want a string;
    /// this copy lets us write the object back instead of a string. It is only used while
    /// `provider` still equals its JSON text, so assigning a new `provider` wins.
    pub provider_raw: Option<Value>,
    /// Resources; `null` when there are none.
    pub resources: Option<Vec<Resource>>,
    /// Sources; `null` when there are none.
    pub sources: Option<Vec<Source>>,
    /// References to other components; `null` when there are none.
    pub component_references: Option<Vec<Reference>>,
    /// Fields this struct does not name (newer OCM fields, vendor extensions), written back
    /// unchanged so a descriptor passing through us loses nothing. Must not repeat a named key.
    pub extra: Map<String, Value>,
}

/// The wire shape of [`Component`] when reading.
#[derive(Deserialize)]
struct ComponentIn {
    #[serde(default)]
    name: String,
    #[serde(default)]
    version: String,
    #[serde(default)]
    labels: Option<Vec<Label>>,
    #[serde(rename = "creationTime", default)]
    creation_time: Option<String>,
    #[serde(rename = "repositoryContexts", default)]
    repository_contexts: Option<Vec<Raw>>,
    #[serde(default)]
    provider: Value,
    #[serde(default)]
    resources: Option<Vec<Resource>>,
    #[serde(default)]
    sources: Option<Vec<Source>>,
    #[serde(rename = "componentReferences", default)]
    component_references: Option<Vec<Reference>>,
    #[serde(flatten)]
    extra: Map<String, Value>,
}

/// The wire shape of [`Component`] when writing; borrows so serialising does not copy.
#[derive(Serialize)]
struct ComponentOut<'a> {
    name: &'a str,
    version: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    labels: Option<&'a Vec<Label>>,
    #[serde(rename = "creationTime", skip_serializing_if = "Option::is_none")]
    creation_time: Option<&'a str>,
    #[serde(rename = "repositoryContexts")]
    repository_contexts: Option<&'a Vec<Raw>>,
    provider: ProviderOut<'a>,
    resources: Option<&'a Vec<Resource>>,
    sources: Option<&'a Vec<Source>>,
    #[serde(rename = "componentReferences")]
    component_references: Option<&'a Vec<Reference>>,
    #[serde(flatten)]
    extra: &'a Map<String, Value>,
}

/// The provider as written: the original value when it is still current, else the string.
#[derive(Serialize)]
#[serde(untagged)]
enum ProviderOut<'a> {
    Raw(&'a Value),
    Name(&'a str),
}

impl<'de> Deserialize<'de> for Component {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let wire = ComponentIn::deserialize(d)?;
        // Go reads `null` as an empty name and re-emits `""`; keep that rather than a raw `null`.
        let (provider, provider_raw) = match wire.provider {
            Value::Null => (String::new(), None),
            Value::String(s) => (s, None),
            other => (other.to_string(), Some(other)),
        };
        Ok(Self {
            name: wire.name,
            version: wire.version,
            labels: wire.labels,
            creation_time: wire.creation_time,
            repository_contexts: wire.repository_contexts,
            provider,
            provider_raw,
            resources: wire.resources,
            sources: wire.sources,
            component_references: wire.component_references,
            extra: wire.extra,
        })
    }
}

impl Serialize for Component {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let provider = match &self.provider_raw {
            Some(raw) if is_encoding_of(raw, &self.provider) => ProviderOut::Raw(raw),
            _ => ProviderOut::Name(&self.provider),
        };
        ComponentOut {
            name: &self.name,
            version: &self.version,
            labels: self.labels.as_ref(),
            creation_time: self.creation_time.as_deref(),
            repository_contexts: self.repository_contexts.as_ref(),
            provider,
            resources: self.resources.as_ref(),
            sources: self.sources.as_ref(),
            component_references: self.component_references.as_ref(),
            extra: &self.extra,
        }
        .serialize(s)
    }
}

/// A resource of a component version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Resource {
    /// Resource name.
    #[serde(default)]
    pub name: String,
    /// Resource version.
    #[serde(default)]
    pub version: String,
    /// Labels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<Vec<Label>>,
    /// Extra identity attributes.
    #[serde(
        rename = "extraIdentity",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub extra_identity: Option<Identity>,
    /// References to sources, kept as raw JSON.
    #[serde(
        rename = "sourceRefs",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub source_refs: Option<Vec<Value>>,
    /// Resource type, e.g. `ociImage`.
    #[serde(rename = "type", default)]
    pub resource_type: String,
    /// `local` or `external`.
    #[serde(default)]
    pub relation: String,
    /// How to access the resource; `null` when unknown.
    #[serde(default)]
    pub access: Option<Raw>,
    /// Digest of the resource content.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<Digest>,
    /// RFC 3339 creation time.
    #[serde(
        rename = "creationTime",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub creation_time: Option<String>,
    /// Fields this struct does not name (newer OCM fields, vendor extensions), written back
    /// unchanged so a descriptor passing through us loses nothing. Must not repeat a named key.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Resource {
    /// The resource identity: `name`, `version` and the extra identity attributes.
    pub fn identity(&self) -> Identity {
        element_identity(&self.name, &self.version, self.extra_identity.as_ref())
    }
}

/// A source of a component version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Source {
    /// Source name.
    #[serde(default)]
    pub name: String,
    /// Source version.
    #[serde(default)]
    pub version: String,
    /// Labels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<Vec<Label>>,
    /// Extra identity attributes.
    #[serde(
        rename = "extraIdentity",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub extra_identity: Option<Identity>,
    /// Source type.
    #[serde(rename = "type", default)]
    pub source_type: String,
    /// How to access the source; `null` when unknown.
    #[serde(default)]
    pub access: Option<Raw>,
    /// Fields this struct does not name (newer OCM fields, vendor extensions), written back
    /// unchanged so a descriptor passing through us loses nothing. Must not repeat a named key.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Source {
    /// The source identity: `name`, `version` and the extra identity attributes.
    pub fn identity(&self) -> Identity {
        element_identity(&self.name, &self.version, self.extra_identity.as_ref())
    }
}

/// A reference to another component.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Reference {
    /// Reference name.
    #[serde(default)]
    pub name: String,
    /// Referenced version.
    #[serde(default)]
    pub version: String,
    /// Labels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<Vec<Label>>,
    /// Extra identity attributes.
    #[serde(
        rename = "extraIdentity",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub extra_identity: Option<Identity>,
    /// Referenced component name.
    #[serde(rename = "componentName", default)]
    pub component_name: String,
    /// Always emitted (a Go struct value ignores `omitempty`).
    #[serde(default, deserialize_with = "null_as_default")]
    pub digest: Digest,
    /// Fields this struct does not name (newer OCM fields, vendor extensions), written back
    /// unchanged so a descriptor passing through us loses nothing. Must not repeat a named key.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A content digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Digest {
    /// e.g. `SHA-256`.
    #[serde(rename = "hashAlgorithm", default)]
    pub hash_algorithm: String,
    /// e.g. `genericBlobDigest/v1`.
    #[serde(rename = "normalisationAlgorithm", default)]
    pub normalisation_algorithm: String,
    /// Hex digest.
    #[serde(default)]
    pub value: String,
    /// Fields this struct does not name (newer OCM fields, vendor extensions), written back
    /// unchanged so a descriptor passing through us loses nothing. Must not repeat a named key.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Digest {
    /// The digest OCM records for a blob's bytes: SHA-256 of them, normalisation
    /// `genericBlobDigest/v1`, `hex` the lower-case hex of the hash.
    ///
    /// ```
    /// let d = ocm_plugin_types::Digest::generic_blob_sha256("ab12");
    /// assert_eq!((d.hash_algorithm.as_str(), d.normalisation_algorithm.as_str()), ("SHA-256", "genericBlobDigest/v1"));
    /// ```
    pub fn generic_blob_sha256(hex: impl Into<String>) -> Self {
        Self {
            hash_algorithm: "SHA-256".to_owned(),
            normalisation_algorithm: "genericBlobDigest/v1".to_owned(),
            value: hex.into(),
            extra: Map::new(),
        }
    }
}

/// A signature of a component version (descriptor v2 `signatures[]`): what was signed and the
/// signature itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Signature {
    /// The signature's name (several signatures may sign one component version).
    #[serde(default)]
    pub name: String,
    /// The digest that was signed.
    #[serde(default, deserialize_with = "null_as_default")]
    pub digest: Digest,
    /// The signature.
    #[serde(default, deserialize_with = "null_as_default")]
    pub signature: SignatureInfo,
    /// Fields this struct does not name (newer OCM fields, vendor extensions), written back
    /// unchanged so a descriptor passing through us loses nothing. Must not repeat a named key.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The signature value and how to read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct SignatureInfo {
    /// e.g. `RSASSA-PSS`.
    #[serde(default)]
    pub algorithm: String,
    /// The signature, encoded as `media_type` says (hex, or a PEM block).
    #[serde(default)]
    pub value: String,
    /// e.g. `application/vnd.ocm.signature.rsa` or `application/x-pem-file`.
    #[serde(rename = "mediaType", default)]
    pub media_type: String,
    /// Who signed, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// Fields this struct does not name (newer OCM fields, vendor extensions), written back
    /// unchanged so a descriptor passing through us loses nothing. Must not repeat a named key.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A label.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Label {
    /// Label name.
    #[serde(default)]
    pub name: String,
    /// Any JSON value.
    #[serde(default)]
    pub value: Value,
    /// Whether the label is signed (omitted when false).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub signing: bool,
    /// Label version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Fields this struct does not name (newer OCM fields, vendor extensions), written back
    /// unchanged so a descriptor passing through us loses nothing. Must not repeat a named key.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `name`, `version` (when set) and the extra identity attributes of a resource or source.
fn element_identity(name: &str, version: &str, extra: Option<&Identity>) -> Identity {
    let mut id = extra.cloned().unwrap_or_default();
    id.insert("name".into(), name.to_owned());
    if !version.is_empty() {
        id.insert("version".into(), version.to_owned());
    }
    id
}

/// Whether `text` is still exactly what reading `raw` put into the provider string.
fn is_encoding_of(raw: &Value, text: &str) -> bool {
    let encoded = raw.to_string();
    encoded == text
}

fn null_as_default<'de, D: Deserializer<'de>, T: Deserialize<'de> + Default>(
    d: D,
) -> Result<T, D::Error> {
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The exact body asserted by the Go `TestGetComponentVersionHandlerFunc`.
    const GO_MINIMAL: &str = r#"{"meta":{"schemaVersion":"1.0.0"},"component":{"name":"component","version":"1.0.0","repositoryContexts":null,"provider":"ocm.software","resources":null,"sources":null,"componentReferences":null}}"#;

    /// A body captured from the Go test plugin (transcript-manager-wire.txt).
    const GO_WITH_RESOURCE: &str = r#"{"meta":{"schemaVersion":""},"component":{"name":"test-component","version":"1.0.0","repositoryContexts":null,"provider":"ocm.software","resources":[{"name":"test-resource","version":"1.0.0","type":"ociImage","relation":"local","access":{"imageReference":"test/image:1.0","type":"ociArtifact"},"digest":{"hashAlgorithm":"SHA-256","normalisationAlgorithm":"OciArtifactDigest","value":"abcdef1234567890"}}],"sources":null,"componentReferences":null}}"#;

    #[test]
    fn minimal_descriptor_is_byte_equal_to_go() {
        let d = Descriptor {
            meta: Meta {
                schema_version: "1.0.0".into(),
                ..Meta::default()
            },
            component: Component {
                name: "component".into(),
                version: "1.0.0".into(),
                provider: "ocm.software".into(),
                ..Component::default()
            },
            signatures: None,
            ..Descriptor::default()
        };
        assert_eq!(serde_json::to_string(&d).unwrap(), GO_MINIMAL);
        let back: Descriptor = serde_json::from_str(GO_MINIMAL).unwrap();
        assert_eq!(back, d);
    }

    #[test]
    fn go_descriptor_roundtrips() {
        let d: Descriptor = serde_json::from_str(GO_WITH_RESOURCE).unwrap();
        let r = &d.component.resources.as_ref().unwrap()[0];
        assert_eq!(
            r.access.as_ref().unwrap().type_().unwrap().to_string(),
            "ociArtifact"
        );
        // Access keys are canonical (sorted) after decoding, as in Go.
        assert_eq!(serde_json::to_string(&d).unwrap(), GO_WITH_RESOURCE);
    }

    #[test]
    fn tolerant_decoding() {
        let d: Descriptor = serde_json::from_str(
            r#"{"component":{"name":"c","provider":{"name":"acme"},"extra":1,"componentReferences":[{"name":"r","componentName":"x","digest":null}]}}"#,
        )
        .unwrap();
        assert_eq!(d.component.provider, r#"{"name":"acme"}"#);
        let refs = d.component.component_references.unwrap();
        assert_eq!(refs[0].digest, Digest::default());
        let out = serde_json::to_string(&refs[0]).unwrap();
        assert!(
            out.contains(r#""digest":{"hashAlgorithm":"","normalisationAlgorithm":"","value":""}"#)
        );
    }

    /// A full OCM v2 descriptor with a field we do not name at every level: top, meta,
    /// component, provider, resource, source, reference, digest, label, access, signature and
    /// signature info, plus `srcRefs` and label `merge`, which we do not name either.
    const FULL_V2: &str = r#"{
      "meta": {"schemaVersion": "v2", "x-meta": {"nested": [1, 2, {"deep": true}]}},
      "component": {
        "name": "acme.org/app",
        "version": "1.2.3",
        "labels": [
          {"name": "team", "value": {"owner": "ops", "tags": ["a", "b"]}, "signing": true,
           "version": "v1", "merge": {"algorithm": "simpleMapMerge", "config": {"overwrite": "inbound"}},
           "x-label": 7}
        ],
        "creationTime": "2024-01-02T03:04:05Z",
        "repositoryContexts": [
          {"type": "OCIRegistry", "baseUrl": "ghcr.io", "subPath": "acme", "componentNameMapping": "urlPath"}
        ],
        "provider": {"name": "acme.org", "labels": [{"name": "city", "value": "Berlin"}], "x-provider": {"a": null}},
        "resources": [
          {
            "name": "image",
            "version": "1.2.3",
            "labels": [{"name": "l", "value": 1.5}],
            "extraIdentity": {"arch": "amd64"},
            "srcRefs": [{"identitySelector": {"name": "src"}, "labels": [{"name": "git", "value": true}]}],
            "type": "ociImage",
            "relation": "external",
            "access": {"type": "ociArtifact", "imageReference": "ghcr.io/acme/app:1.2.3", "x-access": [null, false]},
            "digest": {"hashAlgorithm": "SHA-256", "normalisationAlgorithm": "ociArtifactDigest/v1",
                       "value": "0123abcd", "x-digest": "d"},
            "size": 12345,
            "x-resource": {"k": "v"}
          }
        ],
        "sources": [
          {
            "name": "src",
            "version": "1.2.3",
            "extraIdentity": {"kind": "git"},
            "type": "git",
            "access": {"type": "gitHub", "repoUrl": "github.com/acme/app", "commit": "abc"},
            "labels": [{"name": "s", "value": "x", "merge": {"algorithm": "default"}}],
            "x-source": -3
          }
        ],
        "componentReferences": [
          {
            "name": "lib",
            "version": "0.1.0",
            "componentName": "acme.org/lib",
            "extraIdentity": {"flavour": "slim"},
            "digest": {"hashAlgorithm": "SHA-256", "normalisationAlgorithm": "jsonNormalisation/v2",
                       "value": "feed", "x-ref-digest": 1},
            "x-reference": {"r": [1]}
          }
        ],
        "x-component": "c"
      },
      "signatures": [
        {
          "name": "acme",
          "digest": {"hashAlgorithm": "SHA-256", "normalisationAlgorithm": "jsonNormalisation/v3",
                     "value": "beef", "x-sig-digest": 2},
          "signature": {"algorithm": "RSASSA-PSS", "value": "00ff", "mediaType": "application/vnd.ocm.signature.rsa",
                        "issuer": "CN=acme", "x-signature-info": {}},
          "timestamp": {"value": "t", "time": "2024-01-02T03:04:05Z"},
          "x-signature": []
        }
      ],
      "nestedDigests": {"x": 1},
      "x-top": {"deep": {"deeper": {"deepest": "z"}}}
    }"#;

    #[test]
    fn full_v2_descriptor_roundtrips_without_loss() {
        let input: Value = serde_json::from_str(FULL_V2).unwrap();
        let d: Descriptor = serde_json::from_str(FULL_V2).unwrap();
        assert_eq!(serde_json::to_value(&d).unwrap(), input);

        let first = serde_json::to_string(&d).unwrap();
        let again: Descriptor = serde_json::from_str(&first).unwrap();
        assert_eq!(again, d);
        assert_eq!(serde_json::to_string(&again).unwrap(), first);

        // The named fields are still parsed, and the unknown ones land in `extra`.
        let c = &d.component;
        assert_eq!(c.provider_raw.as_ref(), input["component"].get("provider"));
        let r = &c.resources.as_ref().unwrap()[0];
        assert_eq!(r.digest.as_ref().unwrap().value, "0123abcd");
        assert!(r.extra.contains_key("srcRefs"));
        assert_eq!(r.extra["size"], 12345);
        let label = &c.labels.as_ref().unwrap()[0];
        assert!(label.signing);
        assert_eq!(label.extra["merge"]["algorithm"], "simpleMapMerge");
        assert_eq!(d.meta.schema_version, "v2");
        assert!(d.extra.contains_key("x-top"));
    }

    #[test]
    fn signatures_roundtrip_through_the_typed_struct() {
        let input: Value = serde_json::from_str(FULL_V2).unwrap();
        for raw in input["signatures"].as_array().unwrap() {
            let sig: Signature = serde_json::from_value(raw.clone()).unwrap();
            assert_eq!(sig.signature.issuer.as_deref(), Some("CN=acme"));
            assert!(sig.signature.extra.contains_key("x-signature-info"));
            assert!(sig.digest.extra.contains_key("x-sig-digest"));
            assert_eq!(&serde_json::to_value(&sig).unwrap(), raw);
        }
    }

    #[test]
    fn provider_object_is_written_back_until_replaced() {
        let mut d: Descriptor = serde_json::from_str(
            r#"{"component":{"provider":{"name":"acme","labels":[{"name":"a","value":1}]}}}"#,
        )
        .unwrap();
        let out = serde_json::to_value(&d).unwrap();
        assert_eq!(out["component"]["provider"]["name"], "acme");

        // A plain string that merely looks like JSON stays a string, as a Go peer wrote it.
        let go: Descriptor =
            serde_json::from_str(r#"{"component":{"provider":"{\"name\":\"acme\"}"}}"#).unwrap();
        assert_eq!(go.component.provider_raw, None);
        let out = serde_json::to_value(&go).unwrap();
        assert_eq!(out["component"]["provider"], r#"{"name":"acme"}"#);

        // Assigning a new provider replaces the object that was read.
        d.component.provider = "other.org".into();
        let out = serde_json::to_value(&d).unwrap();
        assert_eq!(out["component"]["provider"], "other.org");
    }

    #[test]
    fn resource_identity() {
        let mut r = Resource {
            name: "n".into(),
            version: "v1".into(),
            ..Resource::default()
        };
        r.extra_identity = Some([("arch".to_owned(), "amd64".to_owned())].into());
        let id = r.identity();
        assert_eq!(
            serde_json::to_string(&id).unwrap(),
            r#"{"arch":"amd64","name":"n","version":"v1"}"#
        );
    }
}
