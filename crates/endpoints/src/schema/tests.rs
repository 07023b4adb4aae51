use serde_json::json;

use super::*;

/// Byte for byte `shared/spec/golden/go-v0.0.1/DummyRepository-v1.schema.json` (spec §0.5), inlined
/// so the crate builds without the shared folder.
pub(super) const DUMMY: &str = r##"{"$schema":"https://json-schema.org/draft/2020-12/schema","$id":"https://ocm.software/open-component-model/bindings/go/plugin/internal/dummytype/v1/repository","$ref":"#/$defs/Repository","$defs":{"Repository":{"properties":{"type":{"type":"string","pattern":"^([a-zA-Z0-9][a-zA-Z0-9.]*)(?:/(v[0-9]+(?:alpha[0-9]+|beta[0-9]+)?))?"},"baseUrl":{"type":"string"}},"additionalProperties":false,"type":"object","required":["type","baseUrl"]}}}"##;

fn compile(v: Value) -> SchemaValidator {
    SchemaValidator::compile(v.to_string().as_bytes()).unwrap()
}

/// The schema of Go's `validation_test.go`.
fn object_schema() -> SchemaValidator {
    compile(json!({
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "extra": {"type": "string"},
            "flag": {"type": "boolean"},
            "nested": {"type": "object", "properties": {"x": {"type": "integer"}}}
        },
        "required": ["name", "extra"]
    }))
}

#[test]
fn valid_instance_passes() {
    let v = object_schema();
    v.validate(&json!({"name": "a", "extra": "b"})).unwrap();
    // Optional object field.
    v.validate(&json!({"name": "a", "extra": "b", "nested": {"x": 1}}))
        .unwrap();
}

#[test]
fn missing_required_field_is_named() {
    let err = object_schema()
        .validate(&json!({"name": "a"}))
        .unwrap_err()
        .to_string();
    assert!(err.contains("jsonschema validation failed"), "{err}");
    assert!(err.contains("extra"), "{err}");
}

#[test]
fn wrong_type_mentions_expected_type() {
    let err = object_schema()
        .validate(&json!({"name": "a", "extra": "b", "flag": "yes"}))
        .unwrap_err()
        .to_string();
    assert!(err.contains("boolean"), "{err}");
    assert!(err.contains("/flag"), "{err}");
}

#[test]
fn every_failure_is_listed() {
    let v = compile(json!({
        "type": "object",
        "properties": {
            "version": {"type": "string", "pattern": "^v\\d+\\.\\d+\\.\\d+$"},
            "port": {"type": "integer", "minimum": 1}
        }
    }));
    v.validate(&json!({"version": "v1.2.3", "port": 80}))
        .unwrap();
    let err = v
        .validate(&json!({"version": "1.2", "port": 0}))
        .unwrap_err()
        .to_string();
    assert!(err.contains("/version") && err.contains("/port"), "{err}");
}

#[test]
fn string_instances_are_invalid() {
    let permissive = SchemaValidator::compile(b"{}").unwrap();
    permissive.validate(&json!({"type": "x"})).unwrap();
    permissive.validate(&Value::Null).unwrap();
    assert!(permissive.validate(&json!("a string")).is_err());
}

#[test]
fn unusable_schemas_are_errors() {
    let cases: &[(&[u8], &str)] = &[
        (b"", "EOF"),
        (b"  \n", "EOF"),
        (br#"{"type": "object",}"#, "not valid JSON"),
        (
            br#"{"type": "object" // comment
        }"#,
            "not valid JSON",
        ),
        (br#"{"type": "no-such-type"}"#, "invalid JSON schema"),
        (
            br#"{"type": "string", "pattern": "("}"#,
            "invalid JSON schema",
        ),
        // Remote references are never fetched.
        (
            br#"{"$ref": "https://example.com/schema.json"}"#,
            "invalid JSON schema",
        ),
    ];
    for (schema, want) in cases {
        let err = SchemaValidator::compile(schema).unwrap_err().to_string();
        assert!(
            err.contains(want),
            "{}: {err}",
            String::from_utf8_lossy(schema)
        );
    }
}

#[tokio::test]
async fn remote_refs_fail_without_blocking_inside_a_runtime() {
    let err = SchemaValidator::compile(br#"{"$ref": "https://example.com/schema.json"}"#)
        .unwrap_err()
        .to_string();
    assert!(err.contains("invalid JSON schema"), "{err}");
}

#[test]
fn go_dummy_repository_schema() {
    let v = SchemaValidator::compile(DUMMY.as_bytes()).unwrap();
    v.validate(&json!({"type": "DummyRepository/v1", "baseUrl": "x"}))
        .unwrap();
    // The Go pattern has no `$` anchor: only a prefix is constrained.
    v.validate(&json!({"type": "DummyRepository/v1/extra", "baseUrl": "x"}))
        .unwrap();
    let err = v
        .validate(&json!({"type": "DummyRepository/v1", "baseUrl": "x", "extra": 1}))
        .unwrap_err()
        .to_string();
    assert!(err.contains("extra"), "{err}");
    let err = v
        .validate(&json!({"type": "DummyRepository/v1"}))
        .unwrap_err()
        .to_string();
    assert!(err.contains("baseUrl"), "{err}");
    let err = v
        .validate(&json!({"type": "/bad", "baseUrl": "x"}))
        .unwrap_err()
        .to_string();
    assert!(err.contains("/type"), "{err}");
}

#[test]
fn clones_share_the_compiled_schema() {
    let a = object_schema();
    let b = a.clone();
    assert!(Arc::ptr_eq(&a.inner, &b.inner));
}

#[test]
fn deferred_compiles_on_first_use_and_reports_a_bad_schema_each_time() {
    let v = SchemaValidator::deferred(DUMMY.as_bytes());
    let eager = SchemaValidator::compile(DUMMY.as_bytes()).unwrap();
    for instance in [
        serde_json::json!({"type": "DummyRepository/v1", "baseUrl": "x"}),
        serde_json::json!({"type": "DummyRepository/v1"}),
    ] {
        assert_eq!(v.validate(&instance), eager.validate(&instance));
    }
    let broken = SchemaValidator::deferred(b"{\"type\": 12}");
    for _ in 0..2 {
        let err = broken
            .validate(&serde_json::json!({}))
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("invalid JSON schema"), "{err}");
    }
}

/// The error is typed: every problem with its instance path, and the text callers always
/// showed, except that a top-level problem says so in words instead of `at ''`.
#[test]
fn rejections_are_typed_and_keep_their_text() {
    let err = object_schema()
        .validate(&json!({"name": "a", "flag": "yes"}))
        .unwrap_err();
    let SchemaError::Rejected { problems } = &err else {
        panic!("{err:?}")
    };
    let mut paths: Vec<&str> = problems.iter().map(|p| p.instance_path.as_str()).collect();
    paths.sort_unstable();
    assert_eq!(paths, ["", "/flag"]);
    let text = err.to_string();
    assert!(
        text.starts_with("jsonschema validation failed: at "),
        "{text}"
    );
    assert!(
        text.contains(r#"at the spec's top level: "extra" is a required property"#),
        "{text}"
    );
    assert!(text.contains("at '/flag': "), "{text}");
    assert!(!text.contains("at ''"), "{text}");
    assert_eq!(
        SchemaValidator::compile(b"").unwrap_err(),
        SchemaError::Invalid {
            message: "empty JSON schema: EOF".into()
        }
    );
    assert_eq!(
        object_schema()
            .validate(&json!("s"))
            .unwrap_err()
            .to_string(),
        "jsonschema validation failed: the instance is a JSON string, not a typed object"
    );
}

/// A property the schema does not allow is reported with the ones it does, at any depth.
#[test]
fn an_unexpected_property_lists_the_allowed_ones() {
    let schema = br#"{"type":"object","additionalProperties":false,
        "properties":{"type":{"type":"string"},"baseUrl":{"type":"string"},"subPath":{"type":"string"},
            "auth":{"type":"object","additionalProperties":false,"properties":{"user":{},"token":{}}}}}"#;
    let validator = SchemaValidator::compile(schema).unwrap();
    let err = validator
        .validate(&serde_json::json!({"type":"OCIRepository/v1","bsaeUrl":"x"}))
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("at the spec's top level: Additional properties are not allowed ('bsaeUrl' was unexpected); allowed: auth, baseUrl, subPath, type"),
        "{text}"
    );
    let err = validator
        .validate(&serde_json::json!({"type":"t","auth":{"usr":"me"}}))
        .unwrap_err();
    let text = err.to_string();
    assert!(text.contains("at '/auth': "), "{text}");
    assert!(text.contains("allowed: token, user"), "{text}");
    // Deferred validators name them too.
    let deferred = SchemaValidator::deferred(schema);
    let text = deferred
        .validate(&serde_json::json!({"type":"t","x":1}))
        .unwrap_err()
        .to_string();
    assert!(
        text.contains("allowed: auth, baseUrl, subPath, type"),
        "{text}"
    );
}

/// `problems_at` answers for one place only, from either engine, with `jsonschema`'s words.
#[test]
fn problems_at_one_place() {
    let light = compile(json!({
        "type": "object",
        "properties": {"type": {"type": "integer"}, "path": {"type": "string"}},
        "required": ["type", "path"]
    }));
    // Outside the light engine's subset (`patternProperties`): jsonschema alone.
    let full = compile(json!({
        "type": "object",
        "properties": {"type": {"type": "integer"}},
        "patternProperties": {"^x-": {"type": "string"}},
        "required": ["type", "path"]
    }));
    for v in [&light, &full] {
        let problems = v.problems_at(&json!({"type": "Text/v1"}), "/type").unwrap();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].message.contains("integer"), "{problems:?}");
        // The missing `path` is a problem elsewhere (at the top level).
        assert!(
            v.problems_at(&json!({"type": 1}), "/type")
                .unwrap()
                .is_empty()
        );
        assert!(!v.problems_at(&json!({"type": 1}), "").unwrap().is_empty());
    }
}
