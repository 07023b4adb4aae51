//! The light engine against `jsonschema`: the same schemas must compile (or be left to it), and
//! every instance must get the same verdict and fail at the same places.

use std::collections::BTreeSet;

use proptest::prelude::*;
use serde_json::{Value, json};

use super::compile;

/// Schemas the light engine must take: derived by `schemars` for the examples, declared by
/// OCM's Go test plugins, and written to reach every keyword it knows.
fn light_schemas() -> Vec<Value> {
    let parse = |s: &str| serde_json::from_str::<Value>(s).unwrap_or(Value::Null);
    vec![
        // Go v0.0.1 / v0.0.17 DummyRepository/v1 (root `$id`, `$ref` into `$defs`, a pattern).
        parse(super::super::tests::DUMMY),
        // Go head DummyCredentialPlugin/v1.
        parse(
            r##"{"$schema":"https://json-schema.org/draft/2020-12/schema","$ref":"#/$defs/DummyCredentialPlugin","$defs":{"DummyCredentialPlugin":{"properties":{"type":{"type":"string","pattern":"^([a-zA-Z0-9][a-zA-Z0-9.]*)(?:/(v[0-9]+(?:alpha[0-9]+|beta[0-9]+)?))?"},"baseUrl":{"type":"string"},"secretName":{"type":"string"}},"additionalProperties":false,"type":"object","required":["type","baseUrl","secretName"]}}}"##,
        ),
        // gzip-transformer (enum, integer bounds, a format annotation).
        parse(
            r#"{"$schema":"https://json-schema.org/draft/2020-12/schema","title":"GzipTransformer/v1","type":"object","properties":{"level":{"type":"integer","format":"uint32","default":6,"maximum":9,"minimum":0},"mode":{"type":"string","enum":["compress","decompress"]},"type":{"type":"string"}},"additionalProperties":false,"required":["type","mode"]}"#,
        ),
        // local-credentials (minLength with a pattern).
        parse(
            r#"{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"prefix":{"type":"string","minLength":1,"pattern":"^[A-Za-z_][A-Za-z0-9_]*$"},"type":{"type":"string"}},"additionalProperties":false,"required":["type","prefix"]}"#,
        ),
        // rsa-signing-handler (`$ref` with siblings, oneOf of consts, enum).
        parse(
            r##"{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"signatureAlgorithm":{"$ref":"#/$defs/SignatureAlgorithm","default":"RSASSA-PSS"},"signatureEncodingPolicy":{"$ref":"#/$defs/SignatureEncodingPolicy","default":"Plain"},"type":{"$ref":"#/$defs/ConfigType"}},"additionalProperties":false,"required":["type"],"$defs":{"ConfigType":{"type":"string","enum":["RSASigningConfiguration/v1alpha1","RSASigningConfiguration"]},"SignatureAlgorithm":{"oneOf":[{"type":"string","const":"RSASSA-PSS"},{"type":"string","const":"RSASSA-PKCS1-V1_5"}]},"SignatureEncodingPolicy":{"oneOf":[{"type":"string","const":"Plain"},{"type":"string","const":"PEM"}]}}}"##,
        ),
        // file-input.
        parse(
            r#"{"$schema":"https://json-schema.org/draft/2020-12/schema","title":"file/v1","type":"object","properties":{"compress":{"type":"boolean","default":false},"mediaType":{"type":"string","default":"application/octet-stream"},"path":{"type":"string","minLength":1},"type":{"type":"string"}},"additionalProperties":false,"required":["type","path"]}"#,
        ),
        // Arrays.
        json!({"type": "array", "items": {"type": ["integer", "null"]}, "minItems": 1, "maxItems": 3, "uniqueItems": true}),
        json!({"prefixItems": [{"type": "string"}, {"type": "number", "exclusiveMinimum": 0}], "items": false}),
        json!({"type": "object", "properties": {"a": {"prefixItems": [{"const": 1}], "items": {"type": "string"}}}}),
        // Numbers, with fractions and integers beyond 2^53.
        json!({"type": "number", "exclusiveMinimum": -1, "exclusiveMaximum": 1.5}),
        json!({"minimum": 9_007_199_254_740_993_u64, "maximum": 18_446_744_073_709_551_615_u64}),
        json!({"type": "integer", "minimum": -0.5, "maximum": 10}),
        // Objects: an open map, bounds on the count, schemas for extra names.
        json!({"type": "object", "additionalProperties": {"type": "string", "maxLength": 2}, "minProperties": 1, "maxProperties": 2}),
        json!({"type": "object", "properties": {"a": true, "b": false}, "required": ["a"]}),
        // Combinators and an Option<T> as schemars writes it.
        json!({"anyOf": [{"$ref": "#/$defs/T"}, {"type": "null"}], "$defs": {"T": {"type": "object", "properties": {"type": {"type": "string"}}, "required": ["type"]}}}),
        json!({"allOf": [{"type": "object"}, {"required": ["a"]}, {"properties": {"a": {"enum": [1, "1", null, {"x": [1]}]}}}]}),
        json!({"not": {"type": "string"}}),
        json!({"oneOf": [{"type": "integer"}, {"type": "number", "maximum": 5}]}),
        // A recursive tree.
        json!({"type": "object", "properties": {"a": {"type": "string"}, "type": {"$ref": "#"}}, "additionalProperties": {"$ref": "#"}}),
        json!({"const": {"a": [1, 2.0], "type": "x"}}),
        json!(true),
        json!(false),
        json!({}),
        json!({"type": ["string", "object"], "minLength": 2, "required": ["type"]}),
    ]
}

fn full(schema: &Value) -> jsonschema::Validator {
    match jsonschema::options().build(schema) {
        Ok(v) => v,
        Err(e) => panic!("jsonschema refuses {schema}: {e}"),
    }
}

fn paths_full(v: &jsonschema::Validator, instance: &Value) -> BTreeSet<String> {
    v.iter_errors(instance)
        .map(|e| e.instance_path().to_string())
        .collect()
}

/// Instances built from the names and values the schemas above talk about.
fn instance() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        prop_oneof![
            Just(json!(0)),
            Just(json!(1)),
            Just(json!(-1)),
            Just(json!(2)),
            Just(json!(5)),
            Just(json!(6)),
            Just(json!(9)),
            Just(json!(10)),
            Just(json!(1.0)),
            Just(json!(1.5)),
            Just(json!(-0.5)),
            Just(json!(2.0)),
            Just(json!(1e300)),
            Just(json!(9_007_199_254_740_992_u64)),
            Just(json!(9_007_199_254_740_993_u64)),
            Just(json!(18_446_744_073_709_551_615_u64)),
            Just(json!(i64::MIN)),
            Just(json!(9.007_199_254_740_993e15)),
        ],
        prop_oneof![
            Just(""),
            Just("a"),
            Just("ab"),
            Just("abc"),
            Just("é"),
            Just("éé"),
            Just("x"),
            Just("1"),
            Just("_a1"),
            Just("1a"),
            Just("a-b"),
            Just("compress"),
            Just("decompress"),
            Just("RSASSA-PSS"),
            Just("RSASSA-PKCS1-V1_5"),
            Just("Plain"),
            Just("PEM"),
            Just("RSASigningConfiguration"),
            Just("file/v1"),
            Just("DummyRepository/v1"),
            Just("/v1"),
            Just("a.b/v2beta3"),
        ]
        .prop_map(|s| Value::String(s.to_owned())),
    ];
    let keys = prop_oneof![
        Just("type"),
        Just("a"),
        Just("b"),
        Just("x"),
        Just("baseUrl"),
        Just("secretName"),
        Just("level"),
        Just("mode"),
        Just("prefix"),
        Just("path"),
        Just("compress"),
        Just("mediaType"),
        Just("signatureAlgorithm"),
        Just("signatureEncodingPolicy"),
        Just("a/b~c"),
    ];
    leaf.prop_recursive(3, 24, 5, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(keys.clone(), inner, 0..5).prop_map(|m| {
                Value::Object(m.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
            }),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1500, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn the_light_engine_agrees_with_jsonschema(instance in instance()) {
        for schema in light_schemas() {
            let Some(light) = compile(&schema) else {
                return Err(TestCaseError::fail(format!("not light: {schema}")));
            };
            let full = full(&schema);
            prop_assert_eq!(
                light.is_valid(&instance),
                full.is_valid(&instance),
                "schema {} instance {}", schema, instance
            );
            let light_paths: BTreeSet<String> = light.failing_paths(&instance).into_iter().collect();
            prop_assert_eq!(light_paths, paths_full(&full, &instance), "schema {} instance {}", schema, instance);
        }
    }
}

#[test]
fn instances_on_the_edges_get_the_same_verdict() {
    let cases = [
        (json!({"type": "integer"}), json!(1.0)),
        (json!({"type": "integer"}), json!(1.5)),
        (json!({"type": "integer"}), json!(1e300)),
        (json!({"uniqueItems": true}), json!([1, 1.0])),
        (
            json!({"uniqueItems": true}),
            json!([{"a": 1, "b": 2}, {"b": 2, "a": 1}]),
        ),
        (
            json!({"enum": [{"a": 1.0, "b": [2]}]}),
            json!({"b": [2.0], "a": 1}),
        ),
        (json!({"const": 0}), json!(-0.0)),
        (json!({"minLength": 2}), json!("é")),
        (json!({"maxLength": 1}), json!("😀")),
        (
            json!({"maximum": 9_007_199_254_740_992_u64}),
            json!(9_007_199_254_740_993_u64),
        ),
        (json!({"minimum": 0.5}), json!(0)),
        (
            json!({"exclusiveMaximum": 1}),
            json!(0.999_999_999_999_999_9),
        ),
        (
            json!({"type": "string", "format": "email"}),
            json!("not an email"),
        ),
        (json!({"format": "uint32"}), json!(-1)),
        (json!({"pattern": "^a{2,3}$"}), json!("aaaa")),
        (json!({"pattern": "[^a-c]"}), json!("é")),
        (json!({"pattern": "x$"}), json!("x\n")),
        (json!({"pattern": "^(?:ab|c)+$"}), json!("abcab")),
        (json!({"pattern": "\\/"}), json!("a/b")),
        (json!({"pattern": "^a+?b{2,}?$"}), json!("aabbb")),
        (json!({"pattern": "^[+*?(){}|$^]+$"}), json!("+*?(){}|$^")),
        (json!({"pattern": "^(a|)$"}), json!("")),
        (json!({"pattern": "^[^a-z]$"}), json!("\n")),
        (json!({"pattern": "a|^b"}), json!("cb")),
    ];
    for (schema, instance) in cases {
        let light = compile(&schema).unwrap_or_else(|| panic!("not light: {schema}"));
        assert_eq!(
            light.is_valid(&instance),
            full(&schema).is_valid(&instance),
            "schema {schema} instance {instance}"
        );
    }
}

/// What the light engine leaves to `jsonschema`: other drafts, keywords it does not know,
/// references it does not resolve, patterns whose ECMA-262 meaning could differ.
#[test]
fn schemas_outside_the_subset_are_left_to_jsonschema() {
    let mut refused = Vec::new();
    for schema in [
        json!({"$schema": "http://json-schema.org/draft-07/schema#", "type": "object"}),
        json!({"patternProperties": {"^a": {"type": "string"}}}),
        json!({"if": {"type": "string"}, "then": {"minLength": 1}}),
        json!({"unevaluatedProperties": false}),
        json!({"dependentRequired": {"a": ["b"]}}),
        json!({"propertyNames": {"maxLength": 3}}),
        json!({"contains": {"type": "string"}}),
        json!({"multipleOf": 0.1}),
        json!({"x-vendor": 1}),
        json!({"$ref": "#foo", "$defs": {"f": {"$anchor": "foo"}}}),
        json!({"$ref": "#/$defs/a%20b", "$defs": {"a b": {}}}),
        json!({"$ref": "#/$defs/a:b", "$defs": {"a:b": {}}}),
        json!({"$defs": {"a": {"$id": "https://example.com/a"}}, "$ref": "#/$defs/a"}),
        json!({"$defs": {"unused": {"if": true}}}),
        json!({"properties": {"a": {"$schema": "https://json-schema.org/draft/2020-12/schema"}}}),
        json!({"$anchor": "x"}),
        json!({"pattern": "^a.b$"}),
        json!({"pattern": "\\d+"}),
        json!({"pattern": "\\w"}),
        json!({"pattern": "\\bword"}),
        json!({"pattern": "(?=a)a"}),
        json!({"pattern": "(a)\\1"}),
        json!({"pattern": "[[a]"}),
        json!({"pattern": "[a&&b]"}),
        json!({"pattern": "[a~~b]"}),
        json!({"pattern": "a}"}),
        json!({"pattern": "[]a]"}),
        json!({"pattern": "\\<a"}),
        json!({"pattern": "é"}),
        json!({"pattern": "\\u0041"}),
        json!({"contentMediaType": "application/json"}),
    ] {
        assert!(compile(&schema).is_none(), "light took {schema}");
        // jsonschema compiles every one of them (all are valid schemas).
        if let Err(e) = jsonschema::options().build(&schema) {
            refused.push(format!("{schema}: {e}"));
        }
    }
    assert!(refused.is_empty(), "jsonschema refuses {refused:#?}");
}

/// A schema the meta-schema refuses is never compiled here, so `jsonschema` reports it as it
/// always did.
#[test]
fn invalid_schemas_are_left_to_jsonschema_to_report() {
    for schema in [
        json!({"type": "strin"}),
        json!({"type": []}),
        json!({"type": ["string", "string"]}),
        json!({"type": 3}),
        json!({"minLength": -1}),
        json!({"maxItems": 1.5}),
        json!({"required": ["a", "a"]}),
        json!({"required": "a"}),
        json!({"properties": {"a": 1}}),
        json!({"properties": []}),
        json!({"allOf": []}),
        json!({"anyOf": {}}),
        json!({"enum": 1}),
        json!({"minimum": "1"}),
        json!({"pattern": "("}),
        json!({"pattern": "[a--b]"}),
        json!({"pattern": "a**"}),
        json!({"pattern": "a{,3}"}),
        json!({"pattern": "a{2"}),
        json!({"pattern": "{2}"}),
        json!({"pattern": "a{3,2}"}),
        json!({"pattern": "(?:a"}),
        json!({"pattern": "a)"}),
        json!({"title": 1}),
        json!({"deprecated": "yes"}),
        json!({"$defs": {"a": 1}}),
        json!({"$defs": {"unused": {"type": "strin"}}}),
        json!({"$defs": {"unused": {"minLength": -1}}}),
        json!({"$ref": "#/$defs/missing"}),
        json!({"items": [{"type": "string"}]}),
        // Never fetched.
        json!({"$ref": "https://example.com/schema"}),
        json!({"additionalProperties": "no"}),
        json!({"$id": "https://example.com/a#frag"}),
        json!({"$id": "https://example.com/a b"}),
        json!(3),
        json!("schema"),
    ] {
        assert!(compile(&schema).is_none(), "light took {schema}");
        let refused = match &schema {
            // Not a schema at all: refused before any draft applies.
            Value::Object(_) | Value::Bool(_) => jsonschema::options().build(&schema).is_err(),
            _ => true,
        };
        assert!(refused, "jsonschema compiles {schema}");
    }
}

/// A reference cycle that consumes nothing cannot loop: the light engine says "invalid" at its
/// depth limit and leaves the verdict to `jsonschema`.
#[test]
fn a_reference_cycle_ends() {
    let schema = json!({"$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"$ref": "#/$defs/a"}}, "$ref": "#/$defs/a"});
    if let Some(light) = compile(&schema) {
        assert!(!light.is_valid(&json!(1)));
        assert!(!light.failing_paths(&json!(1)).is_empty());
    }
}

/// Patterns made of the pieces the light engine knows and of some it does not: whenever it
/// compiles one, `jsonschema` compiles it too and both match the same strings.
fn patterns() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        Just("a"),
        Just("b"),
        Just("-"),
        Just(","),
        Just(":"),
        Just(" "),
        Just("\\/"),
        Just("\\-"),
        Just("\\."),
        Just("\\:"),
        Just("\\^"),
        Just("[a-c]"),
        Just("[^b]"),
        Just("[-a]"),
        Just("[a\\-]"),
        Just("[.]"),
        Just("[]"),
        Just("("),
        Just(")"),
        Just("(?:"),
        Just("|"),
        Just("*"),
        Just("+"),
        Just("?"),
        Just("{2}"),
        Just("{1,2}"),
        Just("{2,1}"),
        Just("{1,}"),
        Just("{,1}"),
        Just("{"),
        Just("}"),
        Just("^"),
        Just("$"),
        Just("]"),
        Just("["),
        Just("\\d"),
        Just("."),
    ];
    prop::collection::vec(token, 1..8).prop_map(|t| t.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn light_patterns_mean_what_jsonschema_patterns_mean(source in patterns()) {
        let schema = json!({"pattern": source});
        let Some(light) = compile(&schema) else { return Ok(()) };
        let full = jsonschema::options().build(&schema);
        prop_assert!(full.is_ok(), "jsonschema refuses {}", source);
        let Ok(full) = full else { return Ok(()) };
        for text in ["", "a", "b", "ab", "aab", "ba", "abab", "-", "/", ".", ":", ",", " ", "^", "c", "a-b", "a,b", "\n", "aa\n"] {
            let instance = json!(text);
            prop_assert_eq!(light.is_valid(&instance), full.is_valid(&instance), "pattern {} text {:?}", source, text);
        }
    }
}
