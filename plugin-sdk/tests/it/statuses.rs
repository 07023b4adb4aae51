//! Every status the spec lists, for every route of the five newer capabilities, against one
//! plugin serving all five (see `fakes::five`). Driven by the route tables, so a new route gets
//! checked as soon as it has a body in [`body`].

use std::collections::BTreeMap;

use axum::{body::Body, http::Request};
use ocm_plugin_endpoints::{
    AUTHORIZATION, Auth, Route, blob_transformer, credential_repository, digest_processor, input,
    resource_repository,
};
use ocm_plugin_sdk::{Plugin, types::JsonSchema};
use serde_json::Value;

use crate::{fakes::*, support::*};

const MISSING_AUTH: &str = "incorrect authentication header format: unexpected end of JSON input\n";

/// Every operation route of the five capabilities, with the type that serves it and the
/// capability's name in dispatch errors. The shared identity route is handled separately.
fn operations() -> Vec<(Route, &'static str, &'static str)> {
    vec![
        (
            credential_repository::CONSUMER_IDENTITY,
            VAULT,
            "credential repository",
        ),
        (
            credential_repository::RESOLVE,
            VAULT,
            "credential repository",
        ),
        (input::PROCESS_RESOURCE, INPUT, "input method"),
        (input::PROCESS_SOURCE, INPUT, "input method"),
        (
            digest_processor::PROCESS_RESOURCE_DIGEST,
            DIGEST_ACCESS,
            "digest processor",
        ),
        (
            resource_repository::GET_GLOBAL_RESOURCE,
            RESOURCE_ACCESS,
            "resource repository",
        ),
        (
            resource_repository::ADD_GLOBAL_RESOURCE,
            RESOURCE_ACCESS,
            "resource repository",
        ),
        (
            blob_transformer::TRANSFORM_BLOB,
            TRANSFORMER,
            "blob transformer",
        ),
    ]
}

/// The route tables, minus `/identity`, are exactly [`operations`].
#[test]
fn the_operation_list_covers_the_route_tables() {
    let tables = [
        &credential_repository::ROUTES[..],
        &input::ROUTES[..],
        &digest_processor::ROUTES[..],
        &resource_repository::ROUTES[..],
        &blob_transformer::ROUTES[..],
    ]
    .concat();
    let mut from_tables: Vec<&str> = tables
        .iter()
        .filter(|r| r.path != input::GET_IDENTITY.path)
        .map(|r| r.path)
        .collect();
    let mut listed: Vec<&str> = operations().iter().map(|(r, _, _)| r.path).collect();
    from_tables.sort_unstable();
    listed.sort_unstable();
    assert_eq!(from_tables, listed);
}

/// A valid body for `route`, addressed to `typ`, with `trigger` where the fake looks for it.
pub(crate) fn body(route: &Route, typ: &str, trigger: &str) -> String {
    let resource = format!(
        r#"{{"name":"{trigger}","version":"1.0.0","type":"blob","relation":"local","access":{{"type":"{typ}","baseUrl":"b"}}}}"#
    );
    match route.path {
        p if p == credential_repository::CONSUMER_IDENTITY.path => {
            format!(r#"{{"config":{{"type":"{typ}","baseUrl":"{trigger}"}}}}"#)
        }
        p if p == credential_repository::RESOLVE.path => format!(
            r#"{{"config":{{"type":"{typ}","baseUrl":"{trigger}"}},"identity":{{"type":"{CONSUMER}","url":"u"}}}}"#
        ),
        p if p == input::PROCESS_RESOURCE.path => format!(
            r#"{{"resource":{{"name":"{trigger}","version":"1.0.0","type":"blob","input":{{"type":"{typ}","path":"/x"}}}}}}"#
        ),
        p if p == input::PROCESS_SOURCE.path => format!(
            r#"{{"source":{{"name":"{trigger}","version":"1.0.0","type":"blob","input":{{"type":"{typ}","path":"/x"}}}}}}"#
        ),
        p if p == digest_processor::PROCESS_RESOURCE_DIGEST.path
            || p == resource_repository::GET_GLOBAL_RESOURCE.path =>
        {
            format!(r#"{{"resource":{resource}}}"#)
        }
        p if p == resource_repository::ADD_GLOBAL_RESOURCE.path => format!(
            r#"{{"resourceLocation":{{"type":"localFile","value":"/tmp/in"}},"resource":{resource}}}"#
        ),
        p if p == blob_transformer::TRANSFORM_BLOB.path => format!(
            r#"{{"location":{{"type":"localFile","value":"/tmp/blob"}},"specification":{{"type":"{typ}","baseUrl":"{trigger}"}}}}"#
        ),
        p if p == input::GET_IDENTITY.path => {
            format!(r#"{{"type":{{"type":"{typ}","baseUrl":"{trigger}"}}}}"#)
        }
        other => panic!("no body for {other}: add one"),
    }
}

/// The keys of a JSON object answer.
fn keys(json: &str) -> Vec<String> {
    match serde_json::from_str::<Value>(json).unwrap() {
        Value::Object(map) => map.keys().cloned().collect(),
        other => panic!("not an object: {other}"),
    }
}

#[tokio::test]
async fn every_route_succeeds_with_the_documented_shape() {
    let log = Fake::new("log");
    let router = five(&log);
    for (route, typ, _) in &operations() {
        let answer = send(&router, request(route, &[], &body(route, typ, "ok"))).await;
        let json = answer.assert_json();
        let want: &[&str] = match route.path {
            p if p == credential_repository::CONSUMER_IDENTITY.path => &["type", "url"],
            p if p == credential_repository::RESOLVE.path => &["token"],
            p if p == input::PROCESS_RESOURCE.path => &["location", "resource"],
            p if p == input::PROCESS_SOURCE.path => &["location", "source"],
            p if p == resource_repository::GET_GLOBAL_RESOURCE.path
                || p == blob_transformer::TRANSFORM_BLOB.path =>
            {
                &["location"]
            }
            _ => &["resource"],
        };
        assert_eq!(keys(json), want, "{}: {json}", route.operation);
    }
    // Each call reached the implementation registered for its capability, with its type.
    let calls: Vec<(&str, &str, Option<String>)> = log
        .calls()
        .into_iter()
        .map(|c| (c.op, c.tag, c.spec_type))
        .collect();
    let s = |t: &str| Some(t.to_owned());
    assert_eq!(
        calls,
        vec![
            ("consumer_identity_for_config", "credential", s(VAULT)),
            ("resolve", "credential", s(VAULT)),
            ("process_resource", "input", s(INPUT)),
            ("process_source", "input", s(INPUT)),
            ("process_resource_digest", "digest", s(DIGEST_ACCESS)),
            ("get_global_resource", "resource", s(RESOURCE_ACCESS)),
            ("add_global_resource", "resource", s(RESOURCE_ACCESS)),
            ("transform_blob", "blob", s(TRANSFORMER)),
        ]
    );
}

#[tokio::test]
async fn authorization_follows_the_route_table() {
    let log = Fake::new("log");
    let router = five(&log);
    let malformed = r#"{"a":1}"#;
    let malformed_text = format!(
        "incorrect authentication header format: {}\n",
        serde_json::from_str::<Option<BTreeMap<String, String>>>(malformed).unwrap_err()
    );
    let mut required = 0;
    for (route, typ, _) in &operations() {
        let ok = || request(route, &[], &body(route, typ, "ok"));
        match route.auth {
            Auth::Required => {
                required += 1;
                for value in [None, Some(""), Some(" ")] {
                    send(&router, with_auth(ok(), value))
                        .await
                        .assert_text_error(401, MISSING_AUTH);
                }
                send(&router, with_auth(ok(), Some(malformed)))
                    .await
                    .assert_text_error(401, &malformed_text);
            }
            Auth::Optional | Auth::OptionalAlwaysSent => {
                // v0.0.17+: a missing or empty header is no credentials.
                for value in [None, Some(""), Some(" ")] {
                    send(&router, with_auth(ok(), value)).await.assert_json();
                }
                send(&router, with_auth(ok(), Some(malformed)))
                    .await
                    .assert_text_error(401, &malformed_text);
            }
            Auth::None => {
                send(&router, with_auth(ok(), None)).await.assert_json();
                // Not read at all, so a malformed value does no harm.
                send(&router, with_auth(ok(), Some(malformed)))
                    .await
                    .assert_json();
            }
        }
    }
    // Only the component version repository's routes require the header, and `five` serves
    // none of them (their rule is tested with the repository).
    assert_eq!(required, 0);
    // The 401s were answered before the body was read: the fakes saw only the successes (two
    // for /consumer-identity, three each for the seven credentialed routes).
    assert_eq!(log.calls().len(), 2 + 3 * 7);
}

#[tokio::test]
async fn credentials_reach_the_implementation_flat_or_typed() {
    let log = Fake::new("log");
    let router = five(&log);
    let flat = r#"{"password":"p","username":"u"}"#;
    let typed = r#"{"properties":{"password":"p","username":"u"},"type":"Credentials/v1"}"#;
    for (route, typ, _) in &operations() {
        if route.auth == Auth::None {
            continue;
        }
        for value in [flat, typed] {
            let req = with_auth(request(route, &[], &body(route, typ, "ok")), Some(value));
            send(&router, req).await.assert_json();
        }
    }
    let calls = log.calls();
    assert_eq!(calls.len(), 2 * 7);
    let want: ocm_plugin_sdk::types::Credentials = [("password", "p"), ("username", "u")].into();
    for (i, call) in calls.iter().enumerate() {
        assert_eq!(call.credentials.properties(), want.properties(), "{call:?}");
        // Flat and typed alternate: the type reaches the implementation.
        let typ = (i % 2 == 1).then_some("Credentials/v1");
        assert_eq!(call.credentials.credential_type(), typ, "{call:?}");
    }
}

#[tokio::test]
async fn undecodable_bodies_are_400() {
    let router = five(&Fake::new("log"));
    for (route, typ, _) in &operations() {
        let wrong_shape = body(route, typ, "ok").replacen("\"type\":\"", "\"type\":7,\"x\":\"", 1);
        for bad in ["", "not json", "[]", "null", "{}", wrong_shape.as_str()] {
            let answer = send(&router, request(route, &[], bad)).await;
            assert_eq!(
                answer.status.as_u16(),
                400,
                "{} {bad:?}: {answer:?}",
                route.operation
            );
            assert!(
                answer.body.starts_with("failed to decode request body: "),
                "{} {bad:?}: {}",
                route.operation,
                answer.body
            );
            assert!(answer.body.ends_with('\n'));
            assert_eq!(answer.header("x-content-type-options"), Some("nosniff"));
        }
    }
    // The exact text is serde's, as for the component version routes.
    send(&router, request(&blob_transformer::TRANSFORM_BLOB, &[], ""))
        .await
        .assert_text_error(
            400,
            "failed to decode request body: EOF while parsing a value at line 1 column 0\n",
        );
}

#[tokio::test]
async fn unknown_types_are_400_naming_the_served_types() {
    let router = five(&Fake::new("log"));
    for (route, typ, what) in &operations() {
        let answer = send(
            &router,
            request(
                route,
                &[],
                &body(route, typ, "ok").replace(typ, "Unknown/v1"),
            ),
        )
        .await;
        answer.assert_text_error(
            400,
            &format!("this plugin serves no {what} of type Unknown/v1; it serves: {typ}\n"),
        );
    }
    // The identity route lists every capability's type, in registration order.
    let answer = send(
        &router,
        request(
            &input::GET_IDENTITY,
            &[],
            &body(&input::GET_IDENTITY, "Unknown/v1", "ok"),
        ),
    )
    .await;
    answer.assert_text_error(
        400,
        &format!(
            "this plugin serves no capability of type Unknown/v1; it serves: {VAULT}, {INPUT}, {DIGEST_ACCESS}, {RESOURCE_ACCESS}, {TRANSFORMER}\n"
        ),
    );
}

#[tokio::test]
async fn implementation_errors_keep_their_status_and_text() {
    let router = five(&Fake::new("log"));
    let routes: Vec<_> = operations()
        .into_iter()
        .chain([(input::GET_IDENTITY, TRANSFORMER, "")])
        .collect();
    for (route, typ, _) in &routes {
        for (trigger, status, suffix) in [
            ("fail", 500, "failed on purpose"),
            ("missing", 404, ": nothing there"),
            ("invalid", 400, ": bad request"),
        ] {
            let answer = send(&router, request(route, &[], &body(route, typ, trigger))).await;
            assert_eq!(
                answer.status.as_u16(),
                status,
                "{}: {answer:?}",
                route.operation
            );
            assert!(
                answer.body.ends_with(&format!("{suffix}\n")),
                "{}: {}",
                route.operation,
                answer.body
            );
            assert_eq!(
                answer.header("content-type"),
                Some("text/plain; charset=utf-8")
            );
        }
    }
    let answer = send(
        &router,
        request(
            &blob_transformer::TRANSFORM_BLOB,
            &[],
            &body(&blob_transformer::TRANSFORM_BLOB, TRANSFORMER, "fail"),
        ),
    )
    .await;
    answer.assert_text_error(500, "transform_blob failed on purpose\n");
}

#[tokio::test]
async fn panics_are_500_and_the_plugin_keeps_serving() {
    let router = five(&Fake::new("log"));
    let routes: Vec<_> = operations()
        .into_iter()
        .chain([(input::GET_IDENTITY, INPUT, "")])
        .collect();
    for (route, typ, _) in &routes {
        send(&router, request(route, &[], &body(route, typ, "panic")))
            .await
            .assert_text_error(500, "panic recovered\n");
        send(&router, request(route, &[], &body(route, typ, "ok")))
            .await
            .assert_json();
    }
}

#[tokio::test]
async fn unsupported_operations_are_501() {
    let router = Plugin::new("bare")
        .register(ocm_plugin_sdk::credential_repository::untyped(
            typ(CONSUMER),
            typ(VAULT),
            JsonSchema::permissive(),
            |_| Ok(Bare),
        ))
        .register(ocm_plugin_sdk::input::untyped(
            typ(INPUT),
            JsonSchema::permissive(),
            |_| Ok(Bare),
        ))
        .register(ocm_plugin_sdk::digest_processor::untyped(
            typ(DIGEST_ACCESS),
            JsonSchema::permissive(),
            |_| Ok(Bare),
        ))
        .register(ocm_plugin_sdk::resource_repository::untyped(
            typ(RESOURCE_ACCESS),
            JsonSchema::permissive(),
            |_| Ok(Bare),
        ))
        .register(ocm_plugin_sdk::blob_transformer::untyped(
            typ(TRANSFORMER),
            JsonSchema::permissive(),
            |_| Ok(Bare),
        ))
        .into_router(config())
        .unwrap();
    for (route, typ, _) in &operations() {
        let answer = send(&router, request(route, &[], &body(route, typ, "ok"))).await;
        let unsupported = [
            &credential_repository::CONSUMER_IDENTITY,
            &input::PROCESS_RESOURCE,
            &input::PROCESS_SOURCE,
            &resource_repository::ADD_GLOBAL_RESOURCE,
        ];
        if unsupported.iter().any(|r| r.path == route.path) {
            answer.assert_text_error(
                501,
                &format!(
                    "operation {} is not supported by this implementation\n",
                    route.operation
                ),
            );
        } else {
            answer.assert_json();
        }
    }
    for typ in [VAULT, INPUT, DIGEST_ACCESS, RESOURCE_ACCESS, TRANSFORMER] {
        let answer = send(
            &router,
            request(
                &input::GET_IDENTITY,
                &[],
                &body(&input::GET_IDENTITY, typ, "ok"),
            ),
        )
        .await;
        answer.assert_text_error(
            501,
            "operation get-identity is not supported by this implementation\n",
        );
    }
}

#[tokio::test]
async fn unknown_paths_are_404_and_methods_are_not_checked() {
    let router = five(&Fake::new("log"));
    for path in [
        "/resource",
        "/resolve/",
        "/blob/transform/x",
        "/source",
        "/identity/x",
    ] {
        let req = Request::builder()
            .method("POST")
            .uri(path)
            .body(Body::empty())
            .unwrap();
        send(&router, req)
            .await
            .assert_text_error(404, "404 page not found\n");
    }
    // Like Go's mux patterns, capability paths accept any method.
    for method in ["GET", "PUT", "DELETE"] {
        let route = &blob_transformer::TRANSFORM_BLOB;
        let req = Request::builder()
            .method(method)
            .uri(route.path)
            .header(AUTHORIZATION, "{}")
            .body(Body::from(body(route, TRANSFORMER, "ok")))
            .unwrap();
        send(&router, req).await.assert_json();
    }
}
