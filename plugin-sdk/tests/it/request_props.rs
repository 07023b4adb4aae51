//! The SDK's request decoding under arbitrary input: any method, path, query string,
//! `Authorization` value and body reaching a plugin's router gets an answer, never a panic
//! (the router turns a panic into `500 panic recovered`), and malformed input is refused with
//! a 4xx rather than served.

use axum::{body::Body, http::Request};
use ocm_plugin_endpoints::{AUTHORIZATION, component_version_repository as cvr};
use proptest::prelude::*;

use crate::support::{Memory, router_with, send};

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..512),
        // JSON-shaped text, to get past the first byte.
        "[{}\\[\\]\":,a-z0-9 \\\\nulltrue]{0,200}".prop_map(String::into_bytes),
        Just(br#"{"repository":{"type":"Memory/v1"},"descriptor":null}"#.to_vec()),
        Just(br#"{"repository":null,"descriptor":{"component":{"name":1}}}"#.to_vec()),
    ]
}

fn query() -> impl Strategy<Value = String> {
    "([a-zA-Z]{0,6}=?([a-zA-Z0-9+ ]|%[0-9a-fA-F]{2}|%[g-zG-Z]?){0,8}&?){0,4}"
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn any_request_gets_an_answer_never_a_panic(
        route in 0..cvr::ROUTES.len(),
        method in prop::sample::select(vec!["GET", "POST", "PUT", "HEAD", "DELETE"]),
        query in query(),
        auth in proptest::option::of(proptest::collection::vec(any::<u8>(), 0..64)),
        body in body(),
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let router = router_with(&Memory::default());
        let mut request = Request::builder()
            .method(method)
            .uri(format!("{}?{}", cvr::ROUTES[route].path, query.replace(' ', "+")));
        if let Some(auth) = auth.as_deref()
            && axum::http::HeaderValue::from_bytes(auth).is_ok()
        {
            request = request.header(AUTHORIZATION, auth);
        }
        let request = request.body(Body::from(body)).unwrap();
        let answer = runtime.block_on(send(&router, request));
        prop_assert_ne!(answer.body.trim(), "panic recovered");
        prop_assert!(
            answer.status.as_u16() != 500,
            "a 500 for bad input: {} {}",
            answer.status,
            answer.body
        );
    }
}
