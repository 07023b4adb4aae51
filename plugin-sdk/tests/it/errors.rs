//! Error answers: status codes and exact bodies.

use std::collections::BTreeMap;

use axum::{body::Body, http::Request};
use ocm_plugin_endpoints::{Auth, Params, component_version_repository as cvr};
use ocm_plugin_sdk::{Plugin, types::JsonSchema};

use crate::support::*;

const MISSING_AUTH: &str = "incorrect authentication header format: unexpected end of JSON input\n";

fn serde_error<T: serde::de::DeserializeOwned + std::fmt::Debug>(json: &str) -> String {
    serde_json::from_str::<T>(json).unwrap_err().to_string()
}

#[tokio::test]
async fn missing_or_empty_authorization_is_401_with_gos_text() {
    let router = router();
    let mut checked = 0;
    for route in cvr::ROUTES.iter().filter(|r| r.auth == Auth::Required) {
        for value in [None, Some(""), Some("  ")] {
            let req = with_auth(request(route, &[("name", "component")], "{}"), value);
            send(&router, req)
                .await
                .assert_text_error(401, MISSING_AUTH);
        }
        checked += 1;
    }
    assert_eq!(checked, 8, "every route but /identity requires credentials");
}

#[tokio::test]
async fn malformed_authorization_is_401_with_the_json_error() {
    let router = router();
    for value in [
        r#"{"a":1}"#,
        r#"{"a":{"b":"c"}}"#,
        "Bearer abc",
        "[]",
        r#"{"a":"b""#,
    ] {
        let want = format!(
            "incorrect authentication header format: {}\n",
            serde_error::<Option<BTreeMap<String, String>>>(value)
        );
        let req = with_auth(
            request(&cvr::LIST_COMPONENT_VERSIONS, &[("name", "c")], ""),
            Some(value),
        );
        send(&router, req).await.assert_text_error(401, &want);
    }
}

#[tokio::test]
async fn identity_route_needs_no_credentials() {
    let req = with_auth(
        request(&cvr::GET_IDENTITY, &[], &format!(r#"{{"type":{SPEC}}}"#)),
        None,
    );
    send(&router(), req).await.assert_json();
}

#[tokio::test]
async fn bad_query_parameters_are_400() {
    let router = router();
    let bad_json = b64(r#"{"a":1}"#);
    let cases = [
        (
            "identity",
            "!!!",
            "illegal base64 data in query parameter identity: ",
        ),
        (
            "identity",
            "eyJ",
            "illegal base64 data in query parameter identity: ",
        ),
        (
            "identity",
            bad_json.as_str(),
            "query parameter identity is not valid JSON of the expected shape: invalid type: integer `1`",
        ),
        (
            "repository",
            "%%%",
            "illegal base64 data in query parameter repository: ",
        ),
        (
            "repository",
            "WzFd",
            "query parameter repository is not valid JSON of the expected shape: ",
        ),
    ];
    for (param, value, want) in cases {
        let req = request(
            &cvr::GET_LOCAL_RESOURCE,
            &[("name", "c"), ("version", "1"), (param, value)],
            "",
        );
        let answer = send(&router, req).await;
        assert_eq!(answer.status.as_u16(), 400, "{param}={value}: {answer:?}");
        assert!(
            answer.body.starts_with(want),
            "{param}={value}: {}",
            answer.body
        );
        assert!(answer.body.ends_with('\n'));
        assert_eq!(answer.header("x-content-type-options"), Some("nosniff"));
    }
}

#[tokio::test]
async fn undecodable_bodies_are_400_never_an_empty_200() {
    let router = router();
    let bodies = ["", "not json", r#"{"repository":{"type":"a/b/c"}}"#, "{}"];
    for route in cvr::ROUTES.iter().filter(|r| r.params == Params::JsonBody) {
        for body in bodies {
            let answer = send(&router, request(route, &[], body)).await;
            assert_eq!(
                answer.status.as_u16(),
                400,
                "{} {body:?}: {answer:?}",
                route.operation
            );
            // Objects without `type` decode as identity requests without a spec: a 400 of
            // their own.
            let want = if route.path == cvr::GET_IDENTITY.path && body.starts_with('{') {
                "the identity request carries no spec: "
            } else {
                "failed to decode request body: "
            };
            assert!(answer.body.starts_with(want), "{}", answer.body);
        }
    }
    // The exact text is serde's.
    let answer = send(&router, request(&cvr::ADD_LOCAL_RESOURCE, &[], "")).await;
    answer.assert_text_error(
        400,
        "failed to decode request body: EOF while parsing a value at line 1 column 0\n",
    );
}

#[tokio::test]
async fn implementation_errors_keep_their_status_and_text() {
    let router = router();
    let req = request(
        &cvr::GET_COMPONENT_VERSION,
        &[("name", "nope"), ("version", "9")],
        "",
    );
    send(&router, req)
        .await
        .assert_text_error(404, "component version nope:9 not found\n");
    let req = request(
        &cvr::CHECK_HEALTH,
        &[],
        r#"{"repository":{"type":"Memory/v1","baseUrl":"down"}}"#,
    );
    send(&router, req)
        .await
        .assert_text_error(500, "repository unreachable\n");

    let nothing = Plugin::new("nothing")
        .register(ocm_plugin_sdk::component_version_repository::untyped(
            "Nothing/v1",
            JsonSchema::permissive(),
            |_| Ok(Nothing),
        ))
        .into_router(config())
        .unwrap();
    let req = request(&cvr::LIST_COMPONENT_VERSIONS, &[("name", "c")], "");
    send(&nothing, req).await.assert_text_error(
        501,
        "operation list-component-versions is not supported by this implementation\n",
    );
    let req = request(&cvr::GET_IDENTITY, &[], r#"{"type":{"type":"Nothing/v1"}}"#);
    send(&nothing, req).await.assert_text_error(
        501,
        "operation get-identity is not supported by this implementation\n",
    );
}

#[tokio::test]
async fn a_panicking_handler_answers_500_and_the_server_keeps_serving() {
    let router = router();
    let req = request(
        &cvr::GET_COMPONENT_VERSION,
        &[("name", "panic"), ("version", "1")],
        "",
    );
    send(&router, req)
        .await
        .assert_text_error(500, "panic recovered\n");
    let req = request(&cvr::LIST_COMPONENT_VERSIONS, &[("name", "component")], "");
    assert_eq!(send(&router, req).await.assert_json(), r#"["1.0.0"]"#);
}

#[tokio::test]
async fn oversized_bodies_are_413() {
    let router = router();
    // Announced too large: rejected before reading.
    let mut req = request(&cvr::ADD_COMPONENT_VERSION, &[], "{}");
    req.headers_mut()
        .insert("content-length", "999999999".parse().unwrap());
    let answer = send(&router, req).await;
    answer.assert_text_error(413, "request body too large: the limit is 16777216 bytes\n");
    // Not announced: capped while reading.
    let big = vec![b' '; 16 * 1024 * 1024 + 1];
    let req = Request::builder()
        .method("POST")
        .uri(cvr::ADD_COMPONENT_VERSION.path)
        .header("authorization", "{}")
        .body(Body::from(big))
        .unwrap();
    let answer = send(&router, req).await;
    assert_eq!(answer.status.as_u16(), 413, "{}", answer.body);
    assert!(
        answer.body.starts_with("failed to read request body"),
        "{}",
        answer.body
    );
}

/// A descriptor OCM's Go code cannot read is refused before the implementation sees it, even
/// from a client that does not check: a 400 naming the field.
#[tokio::test]
async fn descriptors_ocm_cannot_read_are_400_naming_the_field() {
    let router = router();
    let component = |extra: &str| {
        format!(
            r#"{{"repository":{SPEC},"descriptor":{{"meta":{{"schemaVersion":"v2"}},"component":{{"name":"acme.org/x","version":"1.0.0",{extra}}}}}}}"#
        )
    };
    for (extra, field) in [
        (r#""provider":{"name":"acme.org"}"#, "component.provider"),
        // Refused while decoding already (the wire struct has a boolean and a string map).
        (
            r#""provider":"acme.org","labels":[{"name":"l","value":1,"signing":"true"}]"#,
            "expected a boolean",
        ),
        (
            r#""provider":"acme.org","resources":[{"name":"r","version":"1","type":"blob","relation":"local","extraIdentity":{"arch":7}}]"#,
            "expected a string",
        ),
        (
            r#""provider":"{\"name\":\"acme\",\"labels\":[{\"name\":1}]}""#,
            "component.provider",
        ),
        (
            r#""provider":"acme.org","resources":[{"version":"1"}]"#,
            "component.resources[0].name",
        ),
    ] {
        let answer = send(
            &router,
            request(&cvr::ADD_COMPONENT_VERSION, &[], &component(extra)),
        )
        .await;
        assert_eq!(answer.status.as_u16(), 400, "{extra}: {}", answer.body);
        assert!(answer.body.contains(field), "{extra}: {}", answer.body);
    }
    let missing_name = format!(
        r#"{{"repository":{SPEC},"descriptor":{{"component":{{"version":"1.0.0","provider":"p"}}}}}}"#
    );
    let answer = send(
        &router,
        request(&cvr::ADD_COMPONENT_VERSION, &[], &missing_name),
    )
    .await;
    assert_eq!(answer.status.as_u16(), 400, "{}", answer.body);
    assert!(answer.body.contains("component.name"), "{}", answer.body);
}
