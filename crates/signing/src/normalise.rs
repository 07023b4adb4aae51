//! `jsonNormalisation/v4alpha1`: the bytes OCM hashes to sign a component version.
//!
//! The descriptor is read as OCM's Go code reads it ([`crate::v2`]), shaped as Go writes it
//! back (the provider as an object, empty lists for `resources`, `sources` and
//! `componentReferences`), reduced by the exclusion rules, stripped of `null` members at every
//! depth, and written with RFC 8785 ([`crate::jcs`]).
//!
//! Where Go's behaviour differs from a plain reading of the rules, Go's behaviour is the one
//! written here, because a digest that differs from Go's is a signature nobody can verify:
//!
//! * a label keeps `name`, `value` and `signing` only: the runtime descriptor has no label
//!   `version`, so it never reaches the digest;
//! * labels of component references are never filtered (Go's rule is keyed `references`, the
//!   v2 key is `componentReferences`);
//! * a reference without a digest hashes an empty digest object;
//! * a resource whose access type is `none` or `None` loses its digest here, though only
//!   `None` counts as "no access" in the safety check ([`crate::check_safely_digestible`]).

use serde_json::{Map, Value, json};

use crate::{
    Error, jcs,
    v2::{self, GoString, Label},
};

/// A normalisation algorithm for component descriptors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum NormalisationAlgorithm {
    /// `jsonNormalisation/v4alpha1`, OCM's current algorithm (`bindings/go`).
    JsonV4Alpha1,
}

impl NormalisationAlgorithm {
    /// The name recorded in a digest spec.
    pub const fn name(self) -> &'static str {
        match self {
            Self::JsonV4Alpha1 => "jsonNormalisation/v4alpha1",
        }
    }

    /// The algorithm of a name as OCM resolves it: the legacy `jsonNormalisation/v3` is
    /// computed (and recorded) as `jsonNormalisation/v4alpha1`, as OCM's Go code does since it
    /// dropped v3.
    ///
    /// ```
    /// use ocm_plugin_signing::NormalisationAlgorithm;
    /// assert_eq!(NormalisationAlgorithm::resolve("jsonNormalisation/v3")?.name(), "jsonNormalisation/v4alpha1");
    /// assert!(NormalisationAlgorithm::resolve("jsonNormalisation/v2").is_err());
    /// # Ok::<(), ocm_plugin_signing::Error>(())
    /// ```
    pub fn resolve(name: &str) -> Result<Self, Error> {
        match name {
            "jsonNormalisation/v4alpha1" | "jsonNormalisation/v3" => Ok(Self::JsonV4Alpha1),
            _ => Err(Error::UnknownNormalisation(name.to_owned())),
        }
    }
}

impl std::fmt::Display for NormalisationAlgorithm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for NormalisationAlgorithm {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Self::resolve(s)
    }
}

/// The normalised bytes of a descriptor (a JSON value of a component descriptor v2).
///
/// ```
/// use ocm_plugin_signing::{NormalisationAlgorithm, normalise};
/// let descriptor = serde_json::json!({
///     "meta": {"schemaVersion": "v2"},
///     "component": {"name": "acme.org/app", "version": "1.0.0", "provider": "acme.org",
///                   "repositoryContexts": [{"type": "OCIRepository/v1", "baseUrl": "ghcr.io"}]}
/// });
/// let bytes = normalise(&descriptor, NormalisationAlgorithm::JsonV4Alpha1)?;
/// assert_eq!(
///     String::from_utf8_lossy(&bytes),
///     r#"{"component":{"componentReferences":[],"name":"acme.org/app","provider":{"name":"acme.org"},"resources":[],"sources":[],"version":"1.0.0"}}"#
/// );
/// # Ok::<(), ocm_plugin_signing::Error>(())
/// ```
pub fn normalise(descriptor: &Value, algorithm: NormalisationAlgorithm) -> Result<Vec<u8>, Error> {
    normalise_decoded(v2::decode(descriptor)?.component, algorithm)
}

/// [`normalise`] of a descriptor already decoded as Go decodes it.
pub(crate) fn normalise_decoded(
    component: v2::Component,
    algorithm: NormalisationAlgorithm,
) -> Result<Vec<u8>, Error> {
    match algorithm {
        NormalisationAlgorithm::JsonV4Alpha1 => Ok(jcs::to_vec(&v4alpha1(component)?)),
    }
}

/// The normalised form as a JSON value, before it is written canonically. Takes the decoded
/// descriptor by value: its strings move into the result instead of being copied.
fn v4alpha1(c: v2::Component) -> Result<Value, Error> {
    let mut component = Map::new();
    if let Some(provider) = provider(&c.provider)? {
        component.insert("provider".into(), provider);
    }
    component.insert("name".into(), c.name.into());
    component.insert("version".into(), c.version.into());
    if let Some(labels) = signed_labels(c.labels) {
        component.insert("labels".into(), labels);
    }
    if !c.creation_time.is_empty() {
        component.insert("creationTime".into(), c.creation_time.into());
    }
    let resources = c.resources.into_iter().map(|r| {
        let mut m = element(r.name, r.version, r.extra_identity);
        if let Some(labels) = signed_labels(r.labels) {
            m.insert("labels".into(), labels);
        }
        m.insert("type".into(), r.type_.into());
        m.insert("relation".into(), r.relation.into());
        let access_none = r
            .access
            .as_ref()
            .and_then(|a| a.type_.as_deref())
            .is_some_and(|t| t == "none" || t == "None");
        if let Some(d) = r.digest.filter(|_| !access_none) {
            m.insert("digest".into(), digest(d));
        }
        Value::Object(m)
    });
    component.insert("resources".into(), resources.collect());
    let sources = c.sources.into_iter().map(|s| {
        let mut m = element(s.name, s.version, s.extra_identity);
        if let Some(labels) = signed_labels(s.labels) {
            m.insert("labels".into(), labels);
        }
        m.insert("type".into(), s.type_.into());
        Value::Object(m)
    });
    component.insert("sources".into(), sources.collect());
    let references = c.references.into_iter().map(|r| {
        let mut m = element(r.name, r.version, r.extra_identity);
        if !r.labels.is_empty() {
            let labels: Vec<Value> = r.labels.into_iter().map(label).collect();
            m.insert("labels".into(), labels.into());
        }
        m.insert("componentName".into(), r.component_name.into());
        m.insert("digest".into(), digest(r.digest));
        Value::Object(m)
    });
    component.insert("componentReferences".into(), references.collect());
    let mut out = json!({ "component": component });
    drop_null_members(&mut out);
    Ok(out)
}

/// `name`, `version` and a non-empty `extraIdentity` of a resource, source or reference.
fn element(
    name: String,
    version: String,
    extra_identity: std::collections::BTreeMap<String, GoString>,
) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("name".into(), name.into());
    m.insert("version".into(), version.into());
    if !extra_identity.is_empty() {
        let identity: Map<String, Value> = extra_identity
            .into_iter()
            .map(|(k, v)| (k, Value::String(v.0)))
            .collect();
        m.insert("extraIdentity".into(), identity.into());
    }
    m
}

fn digest(d: v2::Digest) -> Value {
    let mut m = Map::new();
    m.insert("hashAlgorithm".into(), d.hash_algorithm.into());
    m.insert(
        "normalisationAlgorithm".into(),
        d.normalisation_algorithm.into(),
    );
    m.insert("value".into(), d.value.into());
    Value::Object(m)
}

/// A label as the digest sees it: `name`, `value` (if not null) and `signing` (if true).
fn label(l: Label) -> Value {
    let mut m = Map::new();
    m.insert("name".into(), l.name.into());
    m.insert("value".into(), l.value);
    if l.signing {
        m.insert("signing".into(), true.into());
    }
    Value::Object(m)
}

/// The labels with `signing: true`, or `None` when none is left (the key then disappears).
fn signed_labels(labels: Vec<Label>) -> Option<Value> {
    let kept: Vec<Value> = labels
        .into_iter()
        .filter(|l| l.signing)
        .map(label)
        .collect();
    (!kept.is_empty()).then(|| kept.into())
}

/// The provider as an object: a plain name becomes `{"name": …}`; a JSON object in the string
/// becomes that object (name and labels, labels filtered). Go refuses an empty name.
fn provider(text: &str) -> Result<Option<Value>, Error> {
    if text.is_empty() {
        return Err(Error::Normalise("provider name is empty".to_owned()));
    }
    if text.trim_start().starts_with('{') {
        let p = v2::decode_provider(text)?;
        if p.name.is_empty() {
            return Err(Error::Normalise("provider name is empty".to_owned()));
        }
        let mut m = Map::new();
        m.insert("name".into(), p.name.into());
        if p.has_labels
            && let Some(labels) = signed_labels(p.labels)
        {
            m.insert("labels".into(), labels);
        }
        return Ok(Some(Value::Object(m)));
    }
    // Go tries the name itself as JSON: the one plain name that parses as an object is `null`,
    // which leaves no provider at all.
    if text.trim_matches([' ', '\t', '\n', '\r']) == "null" {
        return Ok(None);
    }
    Ok(Some(json!({ "name": text })))
}

/// Removes every object member whose value is `null`, at every depth; `null` array elements
/// stay, as in Go.
fn drop_null_members(value: &mut Value) {
    match value {
        Value::Object(m) => {
            m.retain(|_, v| !v.is_null());
            m.values_mut().for_each(drop_null_members);
        }
        Value::Array(items) => items.iter_mut().for_each(drop_null_members),
        _ => {}
    }
}
