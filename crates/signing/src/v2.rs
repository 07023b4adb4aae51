//! A descriptor as OCM's Go code reads it: the typed view of component descriptor v2 that
//! `descriptor/v2` decodes into and `descriptor/runtime` converts through.
//!
//! Go decodes a stored descriptor into fixed structs before it normalises, verifies or shows
//! it. Three things follow, and this module is where they are written once:
//!
//! * **What OCM cannot read.** A value of the wrong JSON type where a struct field has a fixed
//!   Go type fails the whole decode (`provider` as an object, `signing` as a string, a list
//!   as a name). [`check`] refuses the same and names the field, so a plugin never stores a
//!   descriptor that OCM's tools then fail to open.
//! * **What OCM never sees.** Fields the structs do not name are dropped on decode, and the
//!   runtime conversion drops a label's `version` (its runtime label has none). The view keeps
//!   exactly what survives, so a digest of it equals Go's.
//! * **Go's zero values.** `null` where a string, bool, list or struct is expected is the zero
//!   value, not an error.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer};
use serde_json::Value;

use crate::Error;

/// The descriptor, reduced to what Go's v2 structs hold.
#[derive(Debug, Deserialize)]
pub(crate) struct Descriptor {
    /// Checked for its type only: `{"schemaVersion": string}`.
    #[serde(default, rename = "meta", deserialize_with = "nullable")]
    _meta: Meta,
    #[serde(default, deserialize_with = "nullable")]
    pub(crate) component: Component,
    /// Checked for their types only: signatures are excluded from every digest.
    #[serde(default, rename = "signatures", deserialize_with = "nullable")]
    _signatures: Vec<Signature>,
    /// Checked for its type only (a list).
    #[serde(default, rename = "nestedDigests", deserialize_with = "nullable")]
    _nested_digests: Vec<Value>,
}

#[derive(Debug, Default, Deserialize)]
struct Meta {
    #[serde(default, rename = "schemaVersion", deserialize_with = "go_string")]
    _schema_version: String,
}

#[derive(Debug, Default, Deserialize)]
struct Signature {
    #[serde(default, rename = "name", deserialize_with = "go_string")]
    _name: String,
    #[serde(default, rename = "digest", deserialize_with = "nullable")]
    _digest: Digest,
    #[serde(default, rename = "signature", deserialize_with = "nullable")]
    _signature: SignatureInfo,
}

#[derive(Debug, Default, Deserialize)]
struct SignatureInfo {
    #[serde(default, rename = "algorithm", deserialize_with = "go_string")]
    _algorithm: String,
    #[serde(default, rename = "value", deserialize_with = "go_string")]
    _value: String,
    #[serde(default, rename = "mediaType", deserialize_with = "go_string")]
    _media_type: String,
    #[serde(default, rename = "issuer", deserialize_with = "go_string")]
    _issuer: String,
}

/// The component: `ComponentMeta` inline, then the lists.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Component {
    #[serde(default, deserialize_with = "go_string")]
    pub(crate) name: String,
    #[serde(default, deserialize_with = "go_string")]
    pub(crate) version: String,
    #[serde(default, deserialize_with = "nullable")]
    pub(crate) labels: Vec<Label>,
    #[serde(default, rename = "creationTime", deserialize_with = "go_string")]
    pub(crate) creation_time: String,
    /// Checked for its type only: excluded from every digest.
    #[serde(default, rename = "repositoryContexts", deserialize_with = "nullable")]
    _repository_contexts: Vec<Option<TypedObject>>,
    /// A string: the provider's name, or a JSON object `{"name","labels"}` encoded as a string.
    #[serde(default, deserialize_with = "go_string")]
    pub(crate) provider: String,
    #[serde(default, deserialize_with = "nullable")]
    pub(crate) resources: Vec<Resource>,
    #[serde(default, deserialize_with = "nullable")]
    pub(crate) sources: Vec<Source>,
    #[serde(default, rename = "componentReferences", deserialize_with = "nullable")]
    pub(crate) references: Vec<Reference>,
}

/// A label as the runtime keeps it: no `version` (Go's conversion drops it) and no `merge`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Label {
    #[serde(default, deserialize_with = "go_string")]
    pub(crate) name: String,
    /// Any JSON; `null` when absent.
    #[serde(default)]
    pub(crate) value: Value,
    #[serde(default, deserialize_with = "nullable")]
    pub(crate) signing: bool,
    /// Checked for its type only: the runtime descriptor drops it.
    #[serde(default, rename = "version", deserialize_with = "go_string")]
    _version: String,
}

/// A typed object (`access`, a repository context): any JSON object.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct TypedObject {
    /// The `type` member when it is a string.
    #[serde(default, rename = "type", deserialize_with = "lenient_string")]
    pub(crate) type_: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct Resource {
    #[serde(default, deserialize_with = "go_string")]
    pub(crate) name: String,
    #[serde(default, deserialize_with = "go_string")]
    pub(crate) version: String,
    #[serde(default, deserialize_with = "nullable")]
    pub(crate) labels: Vec<Label>,
    #[serde(default, rename = "extraIdentity", deserialize_with = "nullable")]
    pub(crate) extra_identity: BTreeMap<String, GoString>,
    /// Checked for its type only: excluded from every digest.
    #[serde(default, rename = "srcRefs", deserialize_with = "nullable")]
    _source_refs: Vec<SourceRef>,
    #[serde(default, rename = "type", deserialize_with = "go_string")]
    pub(crate) type_: String,
    #[serde(default, deserialize_with = "go_string")]
    pub(crate) relation: String,
    #[serde(default)]
    pub(crate) access: Option<TypedObject>,
    #[serde(default)]
    pub(crate) digest: Option<Digest>,
}

#[derive(Debug, Default, Deserialize)]
struct SourceRef {
    #[serde(default, rename = "identitySelector", deserialize_with = "nullable")]
    _identity_selector: BTreeMap<String, GoString>,
    #[serde(default, rename = "labels", deserialize_with = "nullable")]
    _labels: Vec<Label>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct Source {
    #[serde(default, deserialize_with = "go_string")]
    pub(crate) name: String,
    #[serde(default, deserialize_with = "go_string")]
    pub(crate) version: String,
    #[serde(default, deserialize_with = "nullable")]
    pub(crate) labels: Vec<Label>,
    #[serde(default, rename = "extraIdentity", deserialize_with = "nullable")]
    pub(crate) extra_identity: BTreeMap<String, GoString>,
    #[serde(default, rename = "type", deserialize_with = "go_string")]
    pub(crate) type_: String,
    /// Checked for its type only: excluded from every digest.
    #[serde(default, rename = "access")]
    _access: Option<TypedObject>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct Reference {
    #[serde(default, deserialize_with = "go_string")]
    pub(crate) name: String,
    #[serde(default, deserialize_with = "go_string")]
    pub(crate) version: String,
    #[serde(default, deserialize_with = "nullable")]
    pub(crate) labels: Vec<Label>,
    #[serde(default, rename = "extraIdentity", deserialize_with = "nullable")]
    pub(crate) extra_identity: BTreeMap<String, GoString>,
    #[serde(default, rename = "componentName", deserialize_with = "go_string")]
    pub(crate) component_name: String,
    /// A struct value in Go: always there, empty when absent.
    #[serde(default, deserialize_with = "nullable")]
    pub(crate) digest: Digest,
}

#[derive(Debug, Default, Clone, Deserialize)]
pub(crate) struct Digest {
    #[serde(default, rename = "hashAlgorithm", deserialize_with = "go_string")]
    pub(crate) hash_algorithm: String,
    #[serde(
        default,
        rename = "normalisationAlgorithm",
        deserialize_with = "go_string"
    )]
    pub(crate) normalisation_algorithm: String,
    #[serde(default, deserialize_with = "go_string")]
    pub(crate) value: String,
}

impl Digest {
    /// All three fields set, as the safely-digestible rules ask.
    pub(crate) fn is_complete(&self) -> bool {
        !self.hash_algorithm.is_empty()
            && !self.normalisation_algorithm.is_empty()
            && !self.value.is_empty()
    }
}

/// A value of a `map[string]string`, read as [`go_string`] reads a string field.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct GoString(pub(crate) String);

impl<'de> Deserialize<'de> for GoString {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        go_string(d).map(Self)
    }
}

/// A Go `string` field as OCM's reader fills it: `null` is `""`, and a number or boolean
/// becomes its text, as `sigs.k8s.io/yaml` writes scalars into string fields (`version: 1.0`
/// in YAML is the version `"1"`; floats in Go's shortest single-precision form). Objects and
/// arrays are refused.
fn go_string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    use serde::de::{Error as _, Unexpected};
    match Value::deserialize(d)? {
        Value::Null => Ok(String::new()),
        Value::String(s) => Ok(s),
        Value::Bool(b) => Ok(b.to_string()),
        Value::Number(n) if n.is_i64() || n.is_u64() => Ok(n.to_string()),
        Value::Number(n) => Ok(crate::yaml::go_format_float32(n.as_f64().unwrap_or(0.0))),
        Value::Array(_) => Err(D::Error::invalid_type(Unexpected::Seq, &"a string")),
        Value::Object(_) => Err(D::Error::invalid_type(Unexpected::Map, &"a string")),
    }
}

/// The provider string decoded as `ConvertFromV2Provider` does when it holds a JSON object.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ProviderObject {
    #[serde(default, deserialize_with = "go_string")]
    pub(crate) name: String,
    #[serde(default, deserialize_with = "nullable")]
    pub(crate) labels: Vec<Label>,
    /// Whether `labels` was given at all: Go writes the provider back as a string without it.
    #[serde(skip)]
    pub(crate) has_labels: bool,
}

/// Go's zero value for `null`.
fn nullable<'de, D: Deserializer<'de>, T: Deserialize<'de> + Default>(d: D) -> Result<T, D::Error> {
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// A `type` member of a typed object: kept when it is a string, otherwise ignored here (the
/// object's own schema is not the descriptor's business).
fn lenient_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::String(s) => Some(s),
        _ => None,
    })
}

/// Decodes a descriptor as OCM's Go reader does; the error names the first field it refuses.
pub(crate) fn decode(descriptor: &Value) -> Result<Descriptor, Error> {
    if !descriptor.is_object() {
        return Err(Error::NotV2 {
            path: String::new(),
            problem: format!("a descriptor is a JSON object, not {}", kind(descriptor)),
        });
    }
    // The fast path; the path of a refusal is worked out only when there is one.
    if let Ok(decoded) = Descriptor::deserialize(descriptor) {
        return Ok(decoded);
    }
    serde_path_to_error::deserialize(descriptor).map_err(|e| {
        let path = e.path().to_string();
        Error::NotV2 {
            path: if path == "." { String::new() } else { path },
            problem: e.into_inner().to_string(),
        }
    })
}

/// Decodes a provider string that holds a JSON object.
pub(crate) fn decode_provider(text: &str) -> Result<ProviderObject, Error> {
    let value: Value = serde_json::from_str(text).map_err(|e| Error::NotV2 {
        path: "component.provider".to_owned(),
        problem: format!("the provider string starts with `{{` but is not valid JSON: {e}"),
    })?;
    strict_provider(&value).map_err(|(path, problem)| Error::NotV2 {
        path: format!("component.provider (decoded from its JSON string) {path}"),
        problem,
    })?;
    let mut provider: ProviderObject =
        serde_path_to_error::deserialize(&value).map_err(|e| Error::NotV2 {
            path: format!(
                "component.provider (decoded from its JSON string) {}",
                e.path()
            ),
            problem: e.into_inner().to_string(),
        })?;
    provider.has_labels = value.get("labels").is_some_and(|l| !l.is_null());
    Ok(provider)
}

/// The provider string is decoded with Go's plain JSON decoder, which (unlike the YAML reader
/// of the descriptor itself) turns no number or boolean into a string: the types must match.
fn strict_provider(value: &Value) -> Result<(), (String, String)> {
    let expect = |path: String, v: Option<&Value>, ok: fn(&Value) -> bool, what: &str| match v {
        Some(v) if !v.is_null() && !ok(v) => {
            Err((path, format!("expected {what}, found {}", kind(v))))
        }
        _ => Ok(()),
    };
    let Value::Object(provider) = value else {
        return Err((
            String::new(),
            format!("expected an object, found {}", kind(value)),
        ));
    };
    expect(
        "name".into(),
        provider.get("name"),
        Value::is_string,
        "a string",
    )?;
    expect(
        "labels".into(),
        provider.get("labels"),
        Value::is_array,
        "an array",
    )?;
    for (i, label) in provider
        .get("labels")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let Value::Object(l) = label else {
            return Err((
                format!("labels[{i}]"),
                format!("expected an object, found {}", kind(label)),
            ));
        };
        for key in ["name", "version"] {
            expect(
                format!("labels[{i}].{key}"),
                l.get(key),
                Value::is_string,
                "a string",
            )?;
        }
        expect(
            format!("labels[{i}].signing"),
            l.get("signing"),
            Value::is_boolean,
            "a boolean",
        )?;
    }
    Ok(())
}

/// The JSON kind of a value, for messages.
pub(crate) fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Whether OCM's Go code can read `descriptor` as a component descriptor v2, and what it needs
/// to be useful: every field of the right JSON type, a component name and version, and a
/// provider string that is valid JSON when it claims to be an object.
///
/// This is the check a component version repository applies before it stores a descriptor
/// (the SDK and the manager both call it), so that what we store, OCM's tools can open. Reads
/// stay tolerant: only writes are refused.
///
/// ```
/// let ok = serde_json::json!({"meta": {"schemaVersion": "v2"}, "component": {
///     "name": "acme.org/app", "version": "1.0.0", "provider": "acme.org"}});
/// assert!(ocm_plugin_signing::check_v2(&ok).is_ok());
///
/// let object_provider = serde_json::json!({"component": {
///     "name": "acme.org/app", "version": "1.0.0", "provider": {"name": "acme.org"}}});
/// let err = ocm_plugin_signing::check_v2(&object_provider).err().map(|e| e.to_string());
/// assert!(err.is_some_and(|e| e.contains("component.provider")));
/// ```
pub fn check_v2(descriptor: &Value) -> Result<(), Error> {
    let decoded = decode(descriptor)?;
    let c = &decoded.component;
    for (path, value) in [
        ("component.name", &c.name),
        ("component.version", &c.version),
    ] {
        if value.is_empty() {
            return Err(Error::NotV2 {
                path: path.to_owned(),
                problem: "required, and must not be empty".to_owned(),
            });
        }
    }
    if c.provider.trim_start().starts_with('{') {
        decode_provider(&c.provider)?;
    }
    let elements = c
        .resources
        .iter()
        .map(|r| ("resources", &r.name))
        .chain(c.sources.iter().map(|s| ("sources", &s.name)))
        .chain(
            c.references
                .iter()
                .map(|r| ("componentReferences", &r.name)),
        );
    let mut index: BTreeMap<&str, usize> = BTreeMap::new();
    for (list, name) in elements {
        let i = index.entry(list).or_default();
        if name.is_empty() {
            return Err(Error::NotV2 {
                path: format!("component.{list}[{i}].name"),
                problem: "required, and must not be empty".to_owned(),
            });
        }
        *i += 1;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::{Error, NormalisationAlgorithm, check_v2, normalise, read_descriptor};

    fn problem(d: &serde_json::Value) -> (String, String) {
        match check_v2(d) {
            Err(Error::NotV2 { path, problem }) => (path, problem),
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn what_go_cannot_decode_is_refused_with_its_path() {
        let base = json!({"meta": {"schemaVersion": "v2"}, "component": {"name": "a.org/x", "version": "1", "provider": "p"}});
        assert!(check_v2(&base).is_ok());
        let cases = [
            (
                "/component/provider",
                json!({"name": "p"}),
                "component.provider",
            ),
            (
                "/component/labels",
                json!([{"name": "l", "signing": "true"}]),
                "component.labels[0].signing",
            ),
            (
                "/component/resources",
                json!([{"name": "r", "extraIdentity": {"a": []}}]),
                "component.resources[0].extraIdentity.a",
            ),
            (
                "/component/resources",
                json!([{"name": "r", "digest": "sha256:x"}]),
                "component.resources[0].digest",
            ),
            (
                "/component/componentReferences",
                json!({"name": "r"}),
                "component.componentReferences",
            ),
            ("/component/name", json!(["x"]), "component.name"),
            ("/meta", json!("v2"), "meta"),
            (
                "/signatures",
                json!([{"name": "s", "signature": {"value": {}}}]),
                "signatures[0].signature.value",
            ),
        ];
        for (pointer, value, want) in cases {
            let mut d = base.clone();
            let (parent, key) = pointer.rsplit_once('/').unwrap();
            d.pointer_mut(parent).unwrap()[key] = value;
            let (path, why) = problem(&d);
            assert_eq!(path, want, "{pointer}: {why}");
        }
        let mut no_version = base.clone();
        no_version["component"]["version"] = json!(null);
        assert_eq!(problem(&no_version).0, "component.version");
        let mut nameless = base.clone();
        nameless["component"]["sources"] = json!([{"type": "git"}]);
        assert_eq!(problem(&nameless).0, "component.sources[0].name");
        let mut bad_provider = base;
        bad_provider["component"]["provider"] = json!("{not json");
        assert_eq!(problem(&bad_provider).0, "component.provider");
        // The provider string is plain JSON to Go: a number is not a name there.
        bad_provider["component"]["provider"] = json!(r#"{"name":"p","labels":[{"name":1}]}"#);
        let (path, why) = problem(&bad_provider);
        assert!(path.ends_with("labels[0].name"), "{path}: {why}");
        assert!(check_v2(&json!([1])).is_err());
    }

    /// Scalars in string fields become their text, as Go's YAML reader writes them there
    /// (and a YAML 1.1 key `n` is the boolean false, so the key `"false"`).
    #[test]
    fn scalars_in_string_fields_read_as_go_reads_them() {
        let d = read_descriptor(
            b"component:\n  name: a.org/x\n  version: 1.0\n  provider: yes\n  \
              resources:\n  - {name: r, version: 2, type: 1.5e10, relation: local, \
              extraIdentity: {n: 12, b: false}, access: {type: none}}\n",
        )
        .unwrap();
        let n = normalise(&d, NormalisationAlgorithm::JsonV4Alpha1).unwrap();
        assert_eq!(
            String::from_utf8(n).unwrap(),
            r#"{"component":{"componentReferences":[],"name":"a.org/x","provider":{"name":"true"},"resources":[{"extraIdentity":{"b":"false","false":"12"},"name":"r","relation":"local","type":"1.5e+10","version":"2"}],"sources":[],"version":"1"}}"#
        );
    }
}
