//! Component descriptor v2 as the Go `descriptor/v2` package encodes it (spec §5.0).
//!
//! Field order, `null` for absent lists and `omitempty` behaviour match Go, so our output is
//! byte-equal to a Go peer's for the same data.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

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
}

/// Descriptor metadata.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Meta {
    /// Schema version, e.g. `v2`.
    #[serde(rename = "schemaVersion", default)]
    pub schema_version: String,
}

/// A component version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Component {
    /// Component name, e.g. `ocm.software/demo`.
    #[serde(default)]
    pub name: String,
    /// Version.
    #[serde(default)]
    pub version: String,
    /// Labels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<Vec<Label>>,
    /// RFC 3339 creation time.
    #[serde(
        rename = "creationTime",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub creation_time: Option<String>,
    /// Repository contexts; `null` when there are none, as in Go.
    #[serde(rename = "repositoryContexts", default)]
    pub repository_contexts: Option<Vec<Raw>>,
    /// Provider name, or a JSON-encoded provider object when it has labels.
    #[serde(default, deserialize_with = "string_or_json")]
    pub provider: String,
    /// Resources; `null` when there are none.
    #[serde(default)]
    pub resources: Option<Vec<Resource>>,
    /// Sources; `null` when there are none.
    #[serde(default)]
    pub sources: Option<Vec<Source>>,
    /// References to other components; `null` when there are none.
    #[serde(rename = "componentReferences", default)]
    pub component_references: Option<Vec<Reference>>,
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

fn string_or_json<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Null => String::new(),
        Value::String(s) => s,
        other => other.to_string(),
    })
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
            },
            component: Component {
                name: "component".into(),
                version: "1.0.0".into(),
                provider: "ocm.software".into(),
                ..Component::default()
            },
            signatures: None,
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
