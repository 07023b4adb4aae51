//! Query parameters are percent-decoded strictly: bytes that are not UTF-8 are a `400` naming
//! the parameter, never a lossy U+FFFD under which two different names would collide.

use axum::{body::Body, http::Request};
use ocm_plugin_endpoints::{AUTHORIZATION, component_version_repository as cvr};
use ocm_plugin_sdk::{
    Plugin,
    contracts::{Result, async_trait, component_version_repository::v1::*},
    testing::TestClient,
    types::{Credentials, JsonSchema},
};

use crate::support::{config, send};

/// Answers a version listing with the component name it was given, so the test sees exactly
/// what the SDK decoded.
struct Echo;

#[async_trait]
impl ComponentVersionRepository for Echo {
    async fn list_component_versions(
        &self,
        request: ListComponentVersionsRequest,
        _: &Credentials,
    ) -> Result<Vec<String>> {
        Ok(vec![request.name])
    }
}

fn plugin() -> Plugin {
    Plugin::new("it").register(ocm_plugin_sdk::component_version_repository::untyped(
        "Echo/v1",
        JsonSchema::permissive(),
        |_| Ok(Echo),
    ))
}

/// A listing request with `query` sent verbatim, not re-encoded.
fn listing(query: &str) -> Request<Body> {
    Request::builder()
        .method(cvr::LIST_COMPONENT_VERSIONS.method.clone())
        .uri(format!("{}?{query}", cvr::LIST_COMPONENT_VERSIONS.path))
        .header(AUTHORIZATION, "{}")
        .body(Body::empty())
        .unwrap()
}

#[tokio::test]
async fn invalid_utf8_in_a_query_value_is_400_naming_the_parameter() {
    let router = plugin().into_router(config()).unwrap();
    send(&router, listing("name=%ff%fe")).await.assert_text_error(
        400,
        "invalid query string: query parameter \"name\" is not valid UTF-8 after percent-decoding\n",
    );
}

#[tokio::test]
async fn valid_utf8_still_decodes() {
    let router = plugin().into_router(config()).unwrap();
    let answer = send(&router, listing("name=%C3%A9+x")).await;
    assert_eq!(answer.assert_json(), r#"["é x"]"#);

    // The same through the test harness, which encodes `é` as `%C3%A9` like the Go manager.
    let client = TestClient::new(plugin(), Vec::new()).unwrap();
    let answer = client
        .call(
            &cvr::LIST_COMPONENT_VERSIONS,
            &[("name", "é")],
            Some("{}"),
            None,
        )
        .await
        .unwrap();
    assert_eq!((answer.status, answer.body.as_str()), (200, "[\"é\"]\n"));
}
