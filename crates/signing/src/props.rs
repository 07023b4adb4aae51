//! Property tests of the normalisation: it is a fixpoint of its own output, the spelling of the
//! input (key order, whitespace, number spelling) never changes it, and every field OCM
//! excludes can change without changing the digest, while a signed one cannot.

use proptest::prelude::*;
use proptest::test_runner::Config;
use serde_json::{Value, json};

use crate::{HashAlgorithm, NormalisationAlgorithm, digest, jcs, normalise, read_descriptor};

/// A named change to a descriptor.
type Edit = Box<dyn Fn(&mut Value)>;

const V4: NormalisationAlgorithm = NormalisationAlgorithm::JsonV4Alpha1;

fn config() -> Config {
    Config {
        cases: 128,
        failure_persistence: None,
        ..Config::default()
    }
}

/// Any JSON value, numbers included as integers and doubles, keys with non-ASCII characters.
fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        (-1e30f64..1e30).prop_map(Value::from),
        "[a-zé😀<&\"\\\\\n ]{0,8}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-zA-Z€😀\u{ffff}]{0,4}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn arb_label() -> impl Strategy<Value = Value> {
    ("[a-z]{1,6}", arb_json(), any::<bool>()).prop_map(|(name, value, signing)| {
        let mut l = json!({"name": name, "value": value});
        if signing {
            l["signing"] = true.into();
        }
        l
    })
}

fn hex64() -> impl Strategy<Value = String> {
    "[0-9a-f]{64}"
}

fn arb_descriptor() -> impl Strategy<Value = Value> {
    let resource = (
        "[a-z]{1,6}",
        prop::collection::vec(arb_label(), 0..3),
        hex64(),
        prop::sample::select(vec!["localBlob/v1", "ociArtifact", "none"]),
    )
        .prop_map(|(name, labels, hex, access)| {
            json!({
                "name": name, "version": "1.0.0", "type": "blob", "relation": "local",
                "labels": labels,
                "extraIdentity": {"arch": "amd64"},
                "srcRefs": [{"identitySelector": {"name": "src"}}],
                "access": {"type": access, "localReference": format!("sha256:{hex}")},
                "digest": {"hashAlgorithm": "SHA-256", "normalisationAlgorithm": "genericBlobDigest/v1", "value": hex},
            })
        });
    let source =
        ("[a-z]{1,6}", prop::collection::vec(arb_label(), 0..2)).prop_map(|(name, labels)| {
            json!({"name": name, "version": "1.0.0", "type": "git", "labels": labels,
                   "access": {"type": "gitHub", "repoUrl": "https://example.com/x"}})
        });
    let reference = ("[a-z]{1,6}", prop::collection::vec(arb_label(), 0..2), hex64()).prop_map(
        |(name, labels, hex)| {
            json!({"name": name, "version": "1.0.0", "componentName": "acme.org/dep",
                   "labels": labels,
                   "digest": {"hashAlgorithm": "SHA-256", "normalisationAlgorithm": "jsonNormalisation/v4alpha1", "value": hex}})
        },
    );
    (
        prop::collection::vec(arb_label(), 0..4),
        prop::collection::vec(resource, 0..4),
        prop::collection::vec(source, 0..3),
        prop::collection::vec(reference, 0..3),
        prop::option::of(prop::collection::vec(arb_label(), 0..3)),
    )
        .prop_map(|(labels, resources, sources, references, provider_labels)| {
            let provider = match provider_labels {
                None => Value::from("acme.org"),
                Some(labels) => Value::from(json!({"name": "acme.org", "labels": labels}).to_string()),
            };
            json!({
                "meta": {"schemaVersion": "v2"},
                "component": {
                    "name": "acme.org/app", "version": "1.0.0", "provider": provider,
                    "labels": labels,
                    "repositoryContexts": [{"type": "OCIRepository/v1", "baseUrl": "ghcr.io"}],
                    "resources": resources, "sources": sources, "componentReferences": references,
                },
            })
        })
}

/// Writes a value with keys in reverse order and whitespace everywhere it may go.
fn respell(value: &Value, out: &mut String) {
    match value {
        Value::Object(m) => {
            out.push_str("{ \n");
            let entries: Vec<_> = m.iter().rev().collect();
            for (i, (k, v)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push_str(" ,\t");
                }
                out.push_str(&Value::from(k.as_str()).to_string());
                out.push_str(" : ");
                respell(v, out);
            }
            out.push_str("\r\n}");
        }
        Value::Array(items) => {
            out.push_str("[ ");
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(" , ");
                }
                respell(v, out);
            }
            out.push_str(" ]");
        }
        Value::Number(n) if n.is_i64() && n.as_i64().is_some_and(|i| i.abs() < 1 << 40) => {
            // Another spelling of the same double.
            out.push_str(&format!("{}.0e0", n.as_i64().unwrap_or(0)));
        }
        other => out.push_str(&other.to_string()),
    }
}

/// The normalised form read back as a descriptor: the provider object turned back into the
/// string OCM's v2 format holds.
fn as_descriptor(normalised: &[u8]) -> Value {
    let mut v: Value = serde_json::from_slice(normalised).unwrap_or_default();
    let provider = v["component"]["provider"].clone();
    v["component"]["provider"] = match provider.get("labels") {
        None => provider["name"].clone(),
        Some(_) => Value::from(provider.to_string()),
    };
    v
}

fn sha256(d: &Value) -> String {
    digest(d, V4, HashAlgorithm::Sha256)
        .map(|d| d.value)
        .unwrap_or_else(|e| format!("error: {e}"))
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn jcs_is_idempotent(v in arb_json()) {
        let once = jcs::to_vec(&v);
        let parsed: Value = serde_json::from_slice(&once).unwrap_or_default();
        prop_assert_eq!(jcs::to_vec(&parsed), once);
    }

    #[test]
    fn normalising_is_a_fixpoint(d in arb_descriptor()) {
        let once = normalise(&d, V4).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let twice = normalise(&as_descriptor(&once), V4).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(String::from_utf8_lossy(&twice), String::from_utf8_lossy(&once));
    }

    #[test]
    fn spelling_never_changes_the_result(d in arb_descriptor()) {
        let mut text = String::new();
        respell(&d, &mut text);
        let reread = read_descriptor(text.as_bytes()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(normalise(&reread, V4).ok(), normalise(&d, V4).ok());
        prop_assert!(normalise(&d, V4).is_ok());
    }

    #[test]
    fn excluded_fields_never_change_the_digest(d in arb_descriptor(), junk in arb_json(), label in arb_label()) {
        let before = sha256(&d);
        prop_assert!(!before.starts_with("error"), "{}", before);
        let mut unsigned = label;
        if let Some(l) = unsigned.as_object_mut() { l.remove("signing"); }
        let edits: Vec<(&str, Edit)> = vec![
            ("meta", Box::new(|d| d["meta"] = json!({"schemaVersion": "v3", "x": 1}))),
            ("repositoryContexts", Box::new(|d| d["component"]["repositoryContexts"] = json!([{"type": "OCIRepository/v1", "baseUrl": "other.io", "subPath": "x"}]))),
            ("signatures", Box::new(|d| d["signatures"] = json!([{"name": "s", "digest": {"hashAlgorithm": "SHA-256", "normalisationAlgorithm": "jsonNormalisation/v4alpha1", "value": "00"}, "signature": {"algorithm": "RSASSA-PSS", "value": "00", "mediaType": "x"}}]))),
            ("nestedDigests", Box::new(|d| d["nestedDigests"] = json!([{"name": "x", "version": "1"}]))),
            ("unknown fields", Box::new(|d| { d["x-top"] = json!(1); d["component"]["x-c"] = json!(2); })),
            ("component label without signing", Box::new(move |d| push(&mut d["component"]["labels"], unsigned.clone()))),
            ("resource access and srcRefs", Box::new({ let junk = junk.clone(); move |d| each(&mut d["component"]["resources"], |r| {
                let keep_type = r["access"]["type"].clone();
                r["access"] = json!({"type": keep_type, "imageReference": junk.to_string()});
                r["srcRefs"] = json!([]);
            })})),
            ("source access", Box::new(|d| each(&mut d["component"]["sources"], |s| s["access"] = json!({"type": "git", "ref": "main"})))),
            ("label version and merge", Box::new(|d| each(&mut d["component"]["labels"], |l| { l["version"] = "v9".into(); l["merge"] = json!({"algorithm": "default"}); }))),
            ("unsigned labels of resources", Box::new(|d| each(&mut d["component"]["resources"], |r| push(&mut r["labels"], json!({"name": "x", "value": "y"}))))),
        ];
        for (what, edit) in edits {
            let mut changed = d.clone();
            edit(&mut changed);
            prop_assert_eq!(&sha256(&changed), &before, "changing {} changed the digest", what);
        }
        // A signed label is part of the digest.
        let mut signed = d;
        push(&mut signed["component"]["labels"], json!({"name": "new", "value": junk, "signing": true}));
        prop_assert_ne!(sha256(&signed), before);
    }
}

fn push(list: &mut Value, item: Value) {
    match list {
        Value::Array(items) => items.push(item),
        other => *other = Value::Array(vec![item]),
    }
}

fn each(list: &mut Value, f: impl FnMut(&mut Value)) {
    if let Value::Array(items) = list {
        items.iter_mut().for_each(f);
    }
}
