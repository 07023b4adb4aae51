//! The input capability (spec §5.3, §10.1, Go tests §12.7): both request shapes, dispatch by
//! `input` or `access`.

use ocm_plugin_endpoints::input as routes;
use ocm_plugin_sdk::{Error, Plugin, types::JsonSchema};

use crate::{fakes::*, support::*};

/// A plugin with input methods for `A/v1` (tag `a`) and `B/v1` (tag `b`).
fn two_inputs(log: &Fake) -> axum::Router {
    let (a, b) = (Fake::sharing("a", log), Fake::sharing("b", log));
    Plugin::new("inputs")
        .register(ocm_plugin_sdk::input::untyped(
            typ("A/v1"),
            JsonSchema::permissive(),
            move |_| Ok(a),
        ))
        .register(ocm_plugin_sdk::input::untyped(
            typ("B/v1"),
            JsonSchema::permissive(),
            move |_| Ok(b),
        ))
        .into_router(config())
        .unwrap()
}

fn one_input(log: &Fake) -> axum::Router {
    let fake = log.clone();
    Plugin::new("input")
        .register(ocm_plugin_sdk::input::untyped(
            typ("DummyRepository/v1"),
            JsonSchema::permissive(),
            move |_| Ok(fake),
        ))
        .into_router(config())
        .unwrap()
}

#[tokio::test]
async fn v0_0_1_resource_with_access() {
    let log = Fake::new("input");
    let router = one_input(&log);
    let body = r#"{"resource":{"name":"test-resource","version":"v0.0.1","type":"blob","relation":"local","access":{"baseUrl":"https://ocm.software/test","type":"DummyRepository/v1"}}}"#;
    let answer = send(&router, request(&routes::PROCESS_RESOURCE, &[], body)).await;
    assert_eq!(
        answer.assert_json(),
        r#"{"resource":{"name":"test-resource","version":"v0.0.1","type":"blob","relation":"local","access":null},"location":{"type":"localFile","value":"/tmp/input-resource"}}"#
    );
    assert_eq!(
        log.calls()[0].spec_type.as_deref(),
        Some("DummyRepository/v1")
    );
}

#[tokio::test]
async fn constructor_resource_and_source_with_input() {
    let log = Fake::new("log");
    let router = two_inputs(&log);
    let body = r#"{"resource":{"name":"r","version":"1","type":"blob","input":{"type":"B/v1","path":"/x"}}}"#;
    assert_eq!(
        send(&router, request(&routes::PROCESS_RESOURCE, &[], body))
            .await
            .assert_json(),
        r#"{"resource":{"name":"r","version":"1","type":"blob","relation":"local","access":null},"location":{"type":"localFile","value":"/tmp/b-resource"}}"#
    );
    let body = r#"{"source":{"name":"s","version":"1","type":"git","input":{"type":"A/v1"}}}"#;
    assert_eq!(
        send(&router, request(&routes::PROCESS_SOURCE, &[], body))
            .await
            .assert_json(),
        r#"{"source":{"name":"s","version":"1","type":"git","access":null},"location":{"type":"localFile","value":"/tmp/a-source"}}"#
    );
    // v0.0.1 source with access.
    let body = r#"{"source":{"name":"s","version":"1","type":"git","access":{"type":"B/v1"}}}"#;
    let answer = send(&router, request(&routes::PROCESS_SOURCE, &[], body)).await;
    assert!(answer.assert_json().contains("/tmp/b-source"), "{answer:?}");
    let calls: Vec<_> = log.calls().into_iter().map(|c| (c.op, c.tag)).collect();
    assert_eq!(
        calls,
        [
            ("process_resource", "b"),
            ("process_source", "a"),
            ("process_source", "b")
        ]
    );
}

#[tokio::test]
async fn input_wins_over_access() {
    let log = Fake::new("log");
    let router = two_inputs(&log);
    let body = r#"{"resource":{"name":"r","version":"1","type":"blob","input":{"type":"A/v1"},"access":{"type":"B/v1"}}}"#;
    let answer = send(&router, request(&routes::PROCESS_RESOURCE, &[], body)).await;
    assert!(
        answer.assert_json().contains("/tmp/a-resource"),
        "{answer:?}"
    );
}

#[tokio::test]
async fn go_handler_test_body_without_spec() {
    // Go: `input/handlers_test.go` sends a resource with neither input nor access; the only
    // input method answers, and the answer carries what the implementation returned.
    let log = Fake::new("input");
    let router = one_input(&log);
    let req = with_auth(
        request(
            &routes::PROCESS_RESOURCE,
            &[],
            r#"{"resource":{"name":"test-resource","version":"v1.0.0","type":"test-type"}}"#,
        ),
        None,
    );
    // v0.0.17 rule: no header, no credentials (v0.0.1 plugins answered 401).
    assert_eq!(send(&router, req).await.status.as_u16(), 200);
    let req = request(
        &routes::PROCESS_RESOURCE,
        &[],
        r#"{"resource":{"name":"test-resource","version":"v1.0.0","type":"test-type"}}"#,
    );
    let answer = send(&router, req).await;
    let json = answer.assert_json();
    for want in [
        r#""name":"test-resource""#,
        r#""version":"v1.0.0""#,
        r#""type":"test-type""#,
        r#""type":"localFile""#,
    ] {
        assert!(json.contains(want), "{want} in {json}");
    }
    // With two input methods, a request without a spec is ambiguous.
    let router = two_inputs(&Fake::new("log"));
    let req = request(
        &routes::PROCESS_SOURCE,
        &[],
        r#"{"source":{"name":"s","version":"1","type":"git"}}"#,
    );
    send(&router, req).await.assert_text_error(
        400,
        "the request names no input method type, and this plugin serves several (A/v1, B/v1): send the input (or, from v0.0.1 managers, access)\n",
    );
}

#[tokio::test]
async fn unknown_input_type_is_400() {
    let router = two_inputs(&Fake::new("log"));
    let body = r#"{"resource":{"name":"r","version":"1","type":"blob","input":{"type":"C/v1"}}}"#;
    send(&router, request(&routes::PROCESS_RESOURCE, &[], body))
        .await
        .assert_text_error(
            400,
            "this plugin serves no input method of type C/v1; it serves: A/v1, B/v1\n",
        );
}

#[tokio::test]
async fn identity_is_served_for_input_types() {
    // Go SDK plugins answer 404 here (W4); ours dispatch by type.
    let router = two_inputs(&Fake::new("log"));
    let req = request(&routes::GET_IDENTITY, &[], r#"{"type":{"type":"B/v1"}}"#);
    assert_eq!(
        send(&router, req).await.assert_json(),
        r#"{"identity":{"tag":"b","type":"B/v1"}}"#
    );
}

#[test]
fn the_same_input_type_twice_is_an_error() {
    let err = Plugin::new("dup")
        .register(ocm_plugin_sdk::input::untyped(
            typ("A/v1"),
            JsonSchema::permissive(),
            |_| Ok(Bare),
        ))
        .register(ocm_plugin_sdk::input::untyped(
            typ("A/v1"),
            JsonSchema::permissive(),
            |_| Ok(Bare),
        ))
        .into_router(config())
        .unwrap_err();
    assert!(matches!(err, Error::DuplicateType { .. }), "{err}");
    assert_eq!(
        err.to_string(),
        "inputRepository type A/v1 is registered more than once"
    );
}
