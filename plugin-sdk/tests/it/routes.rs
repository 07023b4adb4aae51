//! The success case of every route, and the built-in routes.

use axum::{body::Body, http::Request};
use ocm_plugin_endpoints::{Route, builtin, component_version_repository as cvr};
use serde_json::{Value, json};

use crate::support::*;

fn upload_resource_body() -> String {
    let resource: Value =
        serde_json::from_str::<Value>(LOCAL_RESOURCE).unwrap()["resource"].clone();
    json!({"repository": serde_json::from_str::<Value>(SPEC).unwrap(), "name": "component", "version": "1.0.0",
           "resourceLocation": {"type": "localFile", "value": "/tmp/blob"}, "resource": resource})
    .to_string()
}

fn upload_source_body() -> String {
    json!({"repository": serde_json::from_str::<Value>(SPEC).unwrap(), "name": "component", "version": "1.0.0",
           "sourceLocation": {"type": "localFile", "value": "/tmp/blob"}, "source": serde_json::from_str::<Value>(SOURCE).unwrap()})
    .to_string()
}

/// A valid request for a route, and what its success answer must be.
fn case(route: &Route) -> (Request<Body>, Expect) {
    let identity = b64(r#"{"name":"test-resource"}"#);
    let q = |pairs: &[(&str, &str)]| request(route, pairs, "");
    let p = |body: &str| request(route, &[], body);
    match route.path {
        p_ if p_ == cvr::GET_COMPONENT_VERSION.path => (q(&[("name", "component"), ("version", "1.0.0")]), Expect::Json(DESCRIPTOR.to_owned())),
        p_ if p_ == cvr::LIST_COMPONENT_VERSIONS.path => (q(&[("name", "component")]), Expect::Json(r#"["1.0.0"]"#.to_owned())),
        p_ if p_ == cvr::GET_LOCAL_RESOURCE.path => (
            q(&[("name", "component"), ("version", "1.0.0"), ("identity", &identity)]),
            Expect::Json(LOCAL_RESOURCE.to_owned()),
        ),
        p_ if p_ == cvr::GET_LOCAL_SOURCE.path => (
            q(&[("name", "component"), ("version", "1.0.0"), ("identity", &identity)]),
            Expect::Json(format!(r#"{{"location":{{"type":"localFile","value":"/tmp/memory-source"}},"source":{SOURCE}}}"#)),
        ),
        p_ if p_ == cvr::ADD_COMPONENT_VERSION.path => (
            p(&format!(r#"{{"repository":{SPEC},"descriptor":{DESCRIPTOR}}}"#)),
            Expect::Empty,
        ),
        p_ if p_ == cvr::ADD_LOCAL_RESOURCE.path => (
            p(&upload_resource_body()),
            Expect::Json(r#"{"name":"test-resource","version":"v0.0.1-stored","type":"resource-type","relation":"local","access":{"access":"v1"},"digest":{"hashAlgorithm":"SHA-256","normalisationAlgorithm":"jsonNormalisation/v1","value":"test-value"}}"#.to_owned()),
        ),
        p_ if p_ == cvr::ADD_LOCAL_SOURCE.path => (p(&upload_source_body()), Expect::Json(SOURCE.to_owned())),
        p_ if p_ == cvr::GET_IDENTITY.path => (
            p(&format!(r#"{{"type":{SPEC}}}"#)),
            Expect::Json(r#"{"identity":{"hostname":"https://example.com","type":"memory"}}"#.to_owned()),
        ),
        p_ if p_ == cvr::CHECK_HEALTH.path => (p(&format!(r#"{{"repository":{SPEC}}}"#)), Expect::Empty),
        other => panic!("no success case for {other}: add one"),
    }
}

enum Expect {
    Json(String),
    Empty,
}

#[tokio::test]
async fn every_route_of_the_table_succeeds() {
    let memory = Memory::tagged("memory");
    let router = router_with(&memory);
    for route in cvr::ROUTES {
        let (request, expect) = case(route);
        let answer = send(&router, request).await;
        match expect {
            Expect::Json(want) => assert_eq!(answer.assert_json(), want, "{}", route.operation),
            Expect::Empty => answer.assert_empty_ok(),
        }
    }
    // The identity parameter reached the implementation decoded.
    let seen = memory.seen.lock().unwrap();
    let want: ocm_plugin_sdk::types::Identity =
        [("name".to_owned(), "test-resource".to_owned())].into();
    assert_eq!(seen.identities, vec![Some(want.clone()), Some(want)]);
    // A Go manager sends no repository on GETs; the POSTs carry it, canonicalised.
    assert!(seen.repositories.contains(&None));
    assert!(seen.repositories.contains(&Some(
        r#"{"baseUrl":"https://example.com","type":"Memory/v1"}"#.to_owned()
    )));
}

#[tokio::test]
async fn added_version_can_be_read_back() {
    let router = router();
    let descriptor = DESCRIPTOR.replace(r#""version":"1.0.0""#, r#""version":"2.0.0""#);
    assert_ne!(descriptor, DESCRIPTOR);
    let body = format!(r#"{{"repository":{SPEC},"descriptor":{descriptor}}}"#);
    send(&router, request(&cvr::ADD_COMPONENT_VERSION, &[], &body))
        .await
        .assert_empty_ok();
    let list = send(
        &router,
        request(&cvr::LIST_COMPONENT_VERSIONS, &[("name", "component")], ""),
    )
    .await;
    assert_eq!(list.assert_json(), r#"["1.0.0","2.0.0"]"#);
    let get = send(
        &router,
        request(
            &cvr::GET_COMPONENT_VERSION,
            &[("name", "component"), ("version", "2.0.0")],
            "",
        ),
    )
    .await;
    assert_eq!(get.assert_json(), descriptor);
}

#[tokio::test]
async fn credentials_and_null_identity_reach_the_implementation() {
    let memory = Memory::tagged("memory");
    let router = router_with(&memory);
    let req = request(
        &cvr::GET_LOCAL_RESOURCE,
        &[("name", "c"), ("version", "1"), ("identity", "bnVsbA==")],
        "",
    );
    let req = with_auth(req, Some(r#"{"password":"p","username":"u"}"#));
    send(&router, req).await.assert_json();
    let req = with_auth(
        request(&cvr::LIST_COMPONENT_VERSIONS, &[("name", "c")], ""),
        Some("null"),
    );
    send(&router, req).await.assert_json();
    let seen = memory.seen.lock().unwrap();
    assert_eq!(seen.credentials[0]["username"], "u");
    assert_eq!(seen.credentials[0]["password"], "p");
    assert!(seen.credentials[1].is_empty());
    assert_eq!(seen.identities, vec![None]);
}

#[tokio::test]
async fn capability_paths_accept_any_method() {
    let router = router();
    for method in ["POST", "PUT", "DELETE"] {
        let mut req = request(&cvr::LIST_COMPONENT_VERSIONS, &[("name", "component")], "");
        *req.method_mut() = method.parse().unwrap();
        assert_eq!(
            send(&router, req).await.assert_json(),
            r#"["1.0.0"]"#,
            "{method}"
        );
    }
}

fn builtin_request(route: &Route, method: &str) -> Request<Body> {
    Request::builder()
        .method(method)
        .uri(route.path)
        .body(Body::empty())
        .unwrap()
}

#[tokio::test]
async fn healthz_like_go() {
    let router = router();
    for method in ["GET", "HEAD"] {
        let answer = send(&router, builtin_request(&builtin::HEALTHZ, method)).await;
        answer.assert_empty_ok();
        assert_eq!(answer.header("content-type"), None);
    }
    for method in ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"] {
        send(&router, builtin_request(&builtin::HEALTHZ, method))
            .await
            .assert_text_error(
                405,
                "this endpoint may only be called with either HEAD or GET method\n",
            );
    }
}

#[tokio::test]
async fn shutdown_answers_200_with_any_method() {
    let router = router();
    for method in ["GET", "POST"] {
        send(&router, builtin_request(&builtin::SHUTDOWN, method))
            .await
            .assert_empty_ok();
    }
}

#[tokio::test]
async fn unknown_paths_answer_go_404() {
    let router = router();
    for path in ["/does-not-exist", "/", "/healthz/", "/component-versions/x"] {
        let req = Request::builder().uri(path).body(Body::empty()).unwrap();
        send(&router, req)
            .await
            .assert_text_error(404, "404 page not found\n");
    }
}

#[tokio::test]
async fn a_plugin_without_capabilities_serves_builtins_only() {
    let router = ocm_plugin_sdk::Plugin::new("empty")
        .into_router(config())
        .unwrap();
    send(&router, builtin_request(&builtin::HEALTHZ, "GET"))
        .await
        .assert_empty_ok();
    send(
        &router,
        request(&cvr::LIST_COMPONENT_VERSIONS, &[("name", "x")], ""),
    )
    .await
    .assert_text_error(404, "404 page not found\n");
}

/// A factory's shutdown signal resolves when the plugin begins to stop (here: a manager's
/// `/shutdown`), so a background task can flush in time; not before.
#[tokio::test]
async fn the_shutdown_signal_reaches_a_factory() {
    let (stopped_tx, mut stopped) = tokio::sync::oneshot::channel::<()>();
    let plugin = ocm_plugin_sdk::Plugin::new("flushing").register(
        ocm_plugin_sdk::component_version_repository::untyped(
            "Flushing/v1",
            ocm_plugin_sdk::types::JsonSchema::permissive(),
            move |ctx| {
                let signal = ctx.shutdown_signal();
                tokio::spawn(async move {
                    signal.await;
                    let _ = stopped_tx.send(());
                });
                Ok(crate::support::Memory::tagged("flushing"))
            },
        ),
    );
    let router = plugin.into_router(config()).unwrap();
    tokio::task::yield_now().await;
    assert!(
        stopped.try_recv().is_err(),
        "the signal fired before anything asked the plugin to stop"
    );
    send(&router, builtin_request(&builtin::SHUTDOWN, "POST"))
        .await
        .assert_empty_ok();
    tokio::time::timeout(std::time::Duration::from_secs(5), stopped)
        .await
        .expect("no shutdown signal within 5 s")
        .expect("the factory's task ended without the signal");
}
