//! Calling a plugin in process, for tests: no socket, no process.
//!
//! Two levels: [`TestClient::traits`] gives the plugin as its contract traits, called with the
//! same methods as the manager's remote client and through the whole SDK stack (schema checks,
//! credentials, error statuses); [`TestClient::call`] sends raw HTTP requests, for wire tests.
//!
//! A [`TestClient`] holds the router a [`Plugin`] would serve and sends it requests as a
//! manager does: the route's method and URI, the credentials in the `Authorization` header, a
//! JSON body. Each answer comes back whole, as a [`TestResponse`]. [`block_on`] runs async test
//! code from a plain `#[test]`.
//!
//! ```
//! use ocm_plugin_endpoints::component_version_repository as routes;
//! use ocm_plugin_sdk::Plugin;
//! use ocm_plugin_sdk::contracts::{Result, async_trait};
//! use ocm_plugin_sdk::contracts::component_version_repository::v1::*;
//! use ocm_plugin_sdk::testing::{TestClient, block_on};
//! use ocm_plugin_sdk::types::{Credentials, JsonSchema};
//!
//! struct MyRepo;
//!
//! #[async_trait]
//! impl ComponentVersionRepository for MyRepo {
//!     async fn list_component_versions(
//!         &self,
//!         _request: ListComponentVersionsRequest,
//!         _credentials: &Credentials,
//!     ) -> Result<Vec<String>> {
//!         Ok(vec!["1.0.0".into()])
//!     }
//! }
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let plugin = Plugin::new("my-plugin").register(ocm_plugin_sdk::component_version_repository::untyped(
//!     "MyRepo/v1",
//!     JsonSchema::permissive(),
//!     |_| Ok(MyRepo),
//! ));
//! let client = TestClient::new(plugin, Vec::new())?;
//!
//! // `block_on` runs the calls on a current-thread runtime; `#[tokio::test]` works as well.
//! block_on(async {
//!     let response = client
//!         .call(
//!             &routes::LIST_COMPONENT_VERSIONS,
//!             &[("name", "acme.org/app")],
//!             Some(r#"{"username":"me"}"#),
//!             None,
//!         )
//!         .await?;
//!     assert_eq!(response.status, 200);
//!     assert_eq!(response.json::<Vec<String>>()?, ["1.0.0"]);
//!
//!     // Operations the plugin does not implement answer 501 Not Implemented.
//!     let query = [("name", "acme.org/app"), ("version", "1.0.0")];
//!     let response = client
//!         .call(&routes::GET_COMPONENT_VERSION, &query, Some("{}"), None)
//!         .await?;
//!     assert_eq!(response.status, 501);
//!     Ok(())
//! })?
//! # }
//! ```

use axum::{
    body::Body,
    http::{HeaderValue, Request, header::CONTENT_TYPE},
};
use ocm_plugin_contracts::{Error as ContractError, Result as ContractResult};
use ocm_plugin_endpoints::{
    AUTHORIZATION, Answer, Caller, Client, Operation, Params, Route, request_to_query,
};
use ocm_plugin_types::{ConnectionType, Credentials, PluginConfig, Raw};
use serde::de::DeserializeOwned;
use tower::ServiceExt as _;

use crate::{Error, Plugin, Result};

/// Calls a plugin's routes in process, without a socket or a process.
#[derive(Debug, Clone)]
pub struct TestClient {
    router: axum::Router,
}

impl TestClient {
    /// Builds the router for `plugin`, running its factories, with the configuration a manager
    /// would pass: `{"id": <plugin name>, "type": "unix", "configTypes": config_entries}`.
    ///
    /// Fails as [`Plugin::into_router`] does, e.g. when a factory rejects the configuration.
    /// Every answer is checked against the rules managers rely on, in release builds too: one
    /// that breaks a rule is a 500 naming the field (see `Operation::check_answer` in
    /// `ocm-plugin-endpoints`).
    pub fn new(plugin: Plugin, config_entries: Vec<Raw>) -> Result<Self> {
        let config = Self::config_for(&plugin, config_entries);
        Self::with_config(plugin, config)
    }

    /// Builds the router for `plugin` with a complete configuration, running its factories.
    pub fn with_config(plugin: Plugin, config: PluginConfig) -> Result<Self> {
        plugin.router_checked(config, true).map(Self::from_router)
    }

    /// [`new`](Self::new) for async tests, and for plugins with async factories
    /// (`*_async` registrations), which it awaits on the caller's runtime.
    pub async fn start(plugin: Plugin, config_entries: Vec<Raw>) -> Result<Self> {
        let config = Self::config_for(&plugin, config_entries);
        let router = plugin.router_with(config, true).await?;
        Ok(Self::from_router(router))
    }

    /// The configuration a manager passes: the plugin's name as id, a Unix socket.
    fn config_for(plugin: &Plugin, config_entries: Vec<Raw>) -> PluginConfig {
        PluginConfig {
            id: plugin.name.clone(),
            connection: ConnectionType::Unix,
            plugin_type: String::new(),
            idle_timeout: None,
            config_types: config_entries,
        }
    }

    /// Calls `router`, e.g. one from [`Plugin::into_router`].
    pub fn from_router(router: axum::Router) -> Self {
        Self { router }
    }

    /// Sends one request as a manager does and reads the whole answer.
    ///
    /// The request has `route`'s method, the URI [`Route::uri`] builds from `query`, the
    /// `Authorization` header `credentials` (a JSON text; `None` sends no header), the content
    /// type `application/json` and `body` as JSON (`None` sends an empty body).
    ///
    /// Answers of any status are `Ok`; errors mean the request could not be built (e.g.
    /// `credentials` is no valid header value) or the answer not read (e.g. it is not UTF-8).
    pub async fn call(
        &self,
        route: &Route,
        query: &[(&str, &str)],
        credentials: Option<&str>,
        body: Option<&serde_json::Value>,
    ) -> Result<TestResponse> {
        let mut builder = Request::builder()
            .method(route.method.clone())
            .uri(route.uri(query))
            .header(CONTENT_TYPE, "application/json");
        if let Some(credentials) = credentials {
            // from_bytes, not from_str: credentials may hold non-ASCII UTF-8, as Go sends it.
            let value = HeaderValue::from_bytes(credentials.as_bytes())
                .map_err(failed("invalid Authorization header"))?;
            builder = builder.header(AUTHORIZATION, value);
        }
        let body = body.map(ToString::to_string).unwrap_or_default();
        let request = builder
            .body(Body::from(body))
            .map_err(failed("invalid request"))?;

        let response = match self.router.clone().oneshot(request).await {
            Ok(response) => response,
            Err(infallible) => match infallible {},
        };
        let status = response.status().as_u16();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .map_err(failed("failed to read the response body"))?;
        let body =
            String::from_utf8(bytes.to_vec()).map_err(failed("the response body is not UTF-8"))?;
        Ok(TestResponse { status, body })
    }
}

/// The plugin's trait methods over this client: every call goes through the plugin's whole
/// HTTP stack in process (routing, `Authorization` as a current manager sends it, schema
/// checks, request decoding, error statuses) and back into the contract's types and errors,
/// exactly as the manager's remote client would get them. See [`TestClient::traits`].
impl Caller for TestClient {
    async fn call<Op: Operation>(
        &self,
        request: Op::Request,
        credentials: &Credentials,
    ) -> ContractResult<Op::Response> {
        let route = Op::ROUTE;
        let (query, body) = match route.params {
            Params::Query(_) => {
                let pairs = request_to_query(route, &request)
                    .map_err(|e| ContractError::internal_with("cannot encode the request", e))?;
                (pairs, None)
            }
            Params::JsonBody | Params::None => {
                let body = serde_json::to_value(&request)
                    .map_err(|e| ContractError::internal_with("cannot encode the request", e))?;
                (Vec::new(), Some(body))
            }
        };
        let query: Vec<(&str, &str)> = query.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let authorization = ocm_plugin_endpoints::authorization(route, Some(credentials), true);
        let answer = Self::call(self, route, &query, authorization.as_deref(), body.as_ref())
            .await
            .map_err(|e| ContractError::internal_with("the test request failed", e))?;
        if answer.status != 200 {
            let text = answer.body.trim_end().to_owned();
            return Err(match answer.status {
                400 => ContractError::InvalidArgument(text),
                401 => ContractError::Unauthorized(text),
                404 => ContractError::NotFound(text),
                501 => ContractError::Unsupported(route.operation),
                status => ContractError::internal(format!("status {status}: {text}")),
            });
        }
        <Op::Response as Answer>::from_body(answer.body.as_bytes())
            .map_err(|e| ContractError::internal_with("the plugin's answer does not decode", e))
    }
}

impl TestClient {
    /// The plugin's contract traits over this client: hold it as the trait object of the
    /// capability under test, and call it with the same methods (and get the same errors) as the
    /// manager's remote client.
    ///
    /// ```
    /// # use ocm_plugin_sdk::{Plugin, testing::{TestClient, block_on}, types::{Credentials, JsonSchema}};
    /// # use ocm_plugin_sdk::contracts::{Error, Result, async_trait};
    /// use ocm_plugin_sdk::contracts::component_version_repository::v1::*;
    /// # struct Two;
    /// # #[async_trait]
    /// # impl ComponentVersionRepository for Two {
    /// #     async fn list_component_versions(&self, _: ListComponentVersionsRequest, _: &Credentials) -> Result<Vec<String>> {
    /// #         Ok(vec!["1.0.0".into(), "2.0.0".into()])
    /// #     }
    /// # }
    /// # fn main() -> std::result::Result<(), Box<dyn std::error::Error>> {
    /// let plugin = Plugin::new("two").register(ocm_plugin_sdk::component_version_repository::untyped("Two/v1", JsonSchema::permissive(), |_| Ok(Two)));
    /// let repo = TestClient::new(plugin, Vec::new())?.traits();
    /// let versions = block_on(repo.list_component_versions(
    ///     ListComponentVersionsRequest { repository: None, name: "c".into() },
    ///     &Credentials::new(),
    /// ))??;
    /// assert_eq!(versions, ["1.0.0", "2.0.0"]);
    /// // Errors come back as the contract's, from the plugin's answer.
    /// let missing = block_on(repo.get_component_version(
    ///     GetComponentVersionRequest { repository: None, name: "c".into(), version: "9".into() },
    ///     &Credentials::new(),
    /// ))?;
    /// assert!(matches!(missing, Err(Error::Unsupported("get-component-version"))));
    /// # Ok(()) }
    /// ```
    pub fn traits(self) -> Client<Self> {
        Client(self)
    }
}

/// Runs `future` to completion on a new current-thread runtime (with I/O and timers), for
/// tests that are not `async`.
pub fn block_on<F: Future>(future: F) -> Result<F::Output> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(Error::io("failed to start a test runtime"))?;
    Ok(runtime.block_on(future))
}

/// A plugin's answer to a [`TestClient::call`], read whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestResponse {
    /// The HTTP status code.
    pub status: u16,
    /// The body: JSON on success (with a trailing newline), the error message otherwise.
    pub body: String,
}

impl TestResponse {
    /// The body decoded from JSON.
    pub fn json<T: DeserializeOwned>(&self) -> serde_json::Result<T> {
        serde_json::from_str(&self.body)
    }
}

fn failed<E>(context: &'static str) -> impl FnOnce(E) -> Error
where
    E: Into<crate::BoxError>,
{
    move |source| Error::TestRequest {
        context,
        source: source.into(),
    }
}

#[cfg(test)]
mod tests {
    use ocm_plugin_contracts::component_version_repository::v1::ComponentVersionRepository;
    use ocm_plugin_endpoints::component_version_repository as routes;
    use ocm_plugin_types::JsonSchema;

    use super::*;

    struct Nothing;

    #[ocm_plugin_contracts::async_trait]
    impl ComponentVersionRepository for Nothing {}

    fn plugin() -> Plugin {
        Plugin::new("t").register(crate::component_version_repository::untyped(
            "Nothing/v1",
            JsonSchema::permissive(),
            |_| Ok(Nothing),
        ))
    }

    #[test]
    fn answers_of_any_status_are_ok_and_bad_headers_are_errors() {
        let client = TestClient::new(plugin(), Vec::new()).unwrap();
        block_on(async {
            // A default health check is 200, an unimplemented operation 501: all are answers.
            let body = serde_json::json!({"repository": {"type": "Nothing/v1"}});
            let response = client
                .call(&routes::CHECK_HEALTH, &[], Some("{}"), Some(&body))
                .await
                .unwrap();
            assert_eq!((response.status, response.body.as_str()), (200, ""));
            let query = [("name", "c"), ("version", "1")];
            let response = client
                .call(&routes::GET_COMPONENT_VERSION, &query, Some("{}"), None)
                .await
                .unwrap();
            assert_eq!(response.status, 501, "{response:?}");
            // No credentials: no `Authorization` header, which this route requires.
            let response = client
                .call(&routes::GET_COMPONENT_VERSION, &query, None, None)
                .await
                .unwrap();
            assert_eq!(response.status, 401, "{response:?}");

            let err = client
                .call(&routes::CHECK_HEALTH, &[], Some("{\n}"), Some(&body))
                .await
                .unwrap_err();
            assert!(
                matches!(err, Error::TestRequest { context, .. } if context.contains("Authorization")),
                "{err}"
            );
        })
        .unwrap();
    }

    #[test]
    fn factory_errors_surface_from_new() {
        let plugin = Plugin::new("t").register(crate::component_version_repository::untyped(
            "Nothing/v1",
            JsonSchema::permissive(),
            |_| Err::<Nothing, _>("no".into()),
        ));
        let err = TestClient::new(plugin, Vec::new()).unwrap_err();
        assert!(matches!(err, Error::Factory { .. }), "{err}");
    }
}
