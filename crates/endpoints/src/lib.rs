//! The route table of the OCM plugin protocol, and the builder of the `capabilities` document.
//!
//! This crate is the **only** place where a path, a method, whether `Authorization` is sent, or
//! how a parameter travels is written down. The plugin SDK builds its router from these tables
//! and the host-side clients build their requests from them, so the two cannot drift apart.
//!
//! # Example
//!
//! ```
//! use ocm_plugin_endpoints::{component_version_repository as cvr, Auth};
//!
//! let route = &cvr::GET_LOCAL_RESOURCE;
//! assert_eq!(route.path, "/local-resource/download");
//! assert_eq!(route.auth, Auth::Required);
//! // Query strings are encoded exactly like Go's url.Values.Encode: keys sorted.
//! let uri = route.uri(&[("version", "1.0.0"), ("name", "acme.org/a b")]);
//! assert_eq!(uri, "/local-resource/download?name=acme.org%2Fa+b&version=1.0.0");
//! ```

mod builder;
mod query;
mod route;

pub use builder::CapabilitiesBuilder;
pub use query::{QueryError, decode_json_param, encode_json_param, encode_query};
pub use route::{Auth, Params, Route};

/// Header that carries credentials as JSON.
pub const AUTHORIZATION: &str = "authorization";

/// Routes every plugin serves, whatever its capabilities.
pub mod builtin {
    use super::{Auth, Params, Route};
    use http::Method;

    /// Liveness: `GET`/`HEAD` answer 200 with an empty body, anything else 405.
    pub const HEALTHZ: Route = Route {
        operation: "healthz",
        method: Method::GET,
        path: "/healthz",
        auth: Auth::None,
        params: Params::None,
    };

    /// Asks the plugin to stop. Our SDK answers 200 first, then stops gracefully.
    pub const SHUTDOWN: Route = Route {
        operation: "shutdown",
        method: Method::POST,
        path: "/shutdown",
        auth: Auth::None,
        params: Params::None,
    };
}

/// Routes of the component version repository capability (spec §5.1).
pub mod component_version_repository {
    use super::{Auth, Params, Route};
    use http::Method;

    /// Query parameter that carries the repository spec as base64 JSON. An extension of ours:
    /// Go managers never send it and Go plugins ignore it.
    pub const REPOSITORY_PARAM: &str = "repository";
    /// Query parameter that carries the resource or source identity as base64 JSON.
    pub const IDENTITY_PARAM: &str = "identity";
    /// Query parameter with the component name.
    pub const NAME_PARAM: &str = "name";
    /// Query parameter with the component version.
    pub const VERSION_PARAM: &str = "version";

    /// Read a descriptor.
    pub const GET_COMPONENT_VERSION: Route = Route {
        operation: "get-component-version",
        method: Method::GET,
        path: "/component-version/download",
        auth: Auth::Required,
        params: Params::Query(&[NAME_PARAM, VERSION_PARAM, REPOSITORY_PARAM]),
    };
    /// List versions of a component.
    pub const LIST_COMPONENT_VERSIONS: Route = Route {
        operation: "list-component-versions",
        method: Method::GET,
        path: "/component-versions",
        auth: Auth::Required,
        params: Params::Query(&[NAME_PARAM, REPOSITORY_PARAM]),
    };
    /// Read a local resource.
    pub const GET_LOCAL_RESOURCE: Route = Route {
        operation: "get-local-resource",
        method: Method::GET,
        path: "/local-resource/download",
        auth: Auth::Required,
        params: Params::Query(&[IDENTITY_PARAM, NAME_PARAM, VERSION_PARAM, REPOSITORY_PARAM]),
    };
    /// Read a local source.
    pub const GET_LOCAL_SOURCE: Route = Route {
        operation: "get-local-source",
        method: Method::GET,
        path: "/local-source/download",
        auth: Auth::Required,
        params: Params::Query(&[IDENTITY_PARAM, NAME_PARAM, VERSION_PARAM, REPOSITORY_PARAM]),
    };
    /// Store a descriptor.
    pub const ADD_COMPONENT_VERSION: Route = Route {
        operation: "add-component-version",
        method: Method::POST,
        path: "/component-version/upload",
        auth: Auth::Required,
        params: Params::JsonBody,
    };
    /// Store a local resource.
    pub const ADD_LOCAL_RESOURCE: Route = Route {
        operation: "add-local-resource",
        method: Method::POST,
        path: "/local-resource/upload",
        auth: Auth::Required,
        params: Params::JsonBody,
    };
    /// Store a local source.
    pub const ADD_LOCAL_SOURCE: Route = Route {
        operation: "add-local-source",
        method: Method::POST,
        path: "/local-source/upload",
        auth: Auth::Required,
        params: Params::JsonBody,
    };
    /// Consumer identity of a repository spec. No credentials are sent.
    pub const GET_IDENTITY: Route = Route {
        operation: "get-identity",
        method: Method::POST,
        path: "/identity",
        auth: Auth::None,
        params: Params::JsonBody,
    };
    /// Reachability check (Go SDK plugins answer 404: the Go SDK never routes it).
    pub const CHECK_HEALTH: Route = Route {
        operation: "check-health",
        method: Method::POST,
        path: "/component-version/check-health",
        auth: Auth::Required,
        params: Params::JsonBody,
    };

    /// Every route of the capability, in the order the Go SDK registers its handlers, followed
    /// by `check-health`, which the Go SDK omits.
    pub const ROUTES: [&Route; 9] = [
        &GET_COMPONENT_VERSION,
        &LIST_COMPONENT_VERSIONS,
        &GET_LOCAL_RESOURCE,
        &ADD_COMPONENT_VERSION,
        &ADD_LOCAL_RESOURCE,
        &GET_IDENTITY,
        &ADD_LOCAL_SOURCE,
        &GET_LOCAL_SOURCE,
        &CHECK_HEALTH,
    ];
}

/// `POST /identity` of a capability. The path is shared by every capability, so a plugin that
/// serves several dispatches by the declared type of the body's spec.
const fn identity(operation: &'static str) -> Route {
    Route {
        operation,
        method: http::Method::POST,
        path: "/identity",
        auth: Auth::None,
        params: Params::JsonBody,
    }
}

/// A JSON `POST` route.
const fn post(operation: &'static str, path: &'static str, auth: Auth) -> Route {
    Route {
        operation,
        method: http::Method::POST,
        path,
        auth,
        params: Params::JsonBody,
    }
}

/// Routes of the credential repository capability (spec §5.2).
pub mod credential_repository {
    use super::{Auth, Route, identity, post};

    /// Consumer identity of a repository config. No credentials are sent.
    pub const CONSUMER_IDENTITY: Route = post(
        "consumer-identity-for-config",
        "/consumer-identity",
        Auth::None,
    );
    /// Resolve credentials for a consumer identity.
    pub const RESOLVE: Route = post("resolve", "/resolve", Auth::Optional);
    /// Consumer identity of a config (our SDK only).
    pub const GET_IDENTITY: Route = identity("get-identity");
    /// Every route, in the Go SDK's order, then `/identity`.
    pub const ROUTES: [&Route; 3] = [&CONSUMER_IDENTITY, &RESOLVE, &GET_IDENTITY];
}

/// Routes of the input capability (spec §5.3).
pub mod input {
    use super::{Auth, Route, identity, post};

    /// Process a resource input.
    pub const PROCESS_RESOURCE: Route =
        post("process-resource", "/resource/process", Auth::Optional);
    /// Process a source input.
    pub const PROCESS_SOURCE: Route = post("process-source", "/source/process", Auth::Optional);
    /// Consumer identity of an input spec (Go SDK plugins answer 404).
    pub const GET_IDENTITY: Route = identity("get-identity");
    /// Every route, in the Go SDK's order, then `/identity`.
    pub const ROUTES: [&Route; 3] = [&PROCESS_RESOURCE, &PROCESS_SOURCE, &GET_IDENTITY];
}

/// Routes of the digest processor capability (spec §5.4).
pub mod digest_processor {
    use super::{Auth, Route, identity, post};

    /// Fill in a resource's digest.
    pub const PROCESS_RESOURCE_DIGEST: Route = post(
        "process-resource-digest",
        "/resource/digest/process",
        Auth::Optional,
    );
    /// Consumer identity of an access (Go SDK plugins fail on any non-null spec).
    pub const GET_IDENTITY: Route = identity("get-identity");
    /// Every route, in the Go SDK's order.
    pub const ROUTES: [&Route; 2] = [&PROCESS_RESOURCE_DIGEST, &GET_IDENTITY];
}

/// Routes of the resource repository capability (spec §5.5).
pub mod resource_repository {
    use super::{Auth, Route, identity, post};

    /// Consumer identity of an access (Go SDK plugins fail on any non-null spec).
    pub const GET_IDENTITY: Route = identity("get-identity");
    /// Download a resource. v0.0.1 Go SDK plugins ignore the credentials.
    pub const GET_GLOBAL_RESOURCE: Route =
        post("get-global-resource", "/resource/get", Auth::Optional);
    /// Upload a resource. v0.0.1 Go SDK plugins ignore the credentials.
    pub const ADD_GLOBAL_RESOURCE: Route =
        post("add-global-resource", "/resource/add", Auth::Optional);
    /// Every route, in the Go SDK's order.
    pub const ROUTES: [&Route; 3] = [&GET_IDENTITY, &GET_GLOBAL_RESOURCE, &ADD_GLOBAL_RESOURCE];
}

/// Routes of the blob transformer capability (spec §5.6).
pub mod blob_transformer {
    use super::{Auth, Route, identity, post};

    /// Transform a blob.
    pub const TRANSFORM_BLOB: Route = post("transform-blob", "/blob/transform", Auth::Optional);
    /// Consumer identity of a transformer spec.
    pub const GET_IDENTITY: Route = identity("get-identity");
    /// Every route, in the Go SDK's order.
    pub const ROUTES: [&Route; 2] = [&TRANSFORM_BLOB, &GET_IDENTITY];
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    /// Every capability's routes.
    fn all() -> Vec<&'static Route> {
        [
            &component_version_repository::ROUTES[..],
            &credential_repository::ROUTES[..],
            &input::ROUTES[..],
            &digest_processor::ROUTES[..],
            &resource_repository::ROUTES[..],
            &blob_transformer::ROUTES[..],
        ]
        .concat()
    }

    #[test]
    fn paths_are_unique_and_absolute() {
        // `/identity` is the one path capabilities share (plugins dispatch it by spec type).
        let mut seen = HashSet::new();
        for r in all()
            .into_iter()
            .chain([&builtin::HEALTHZ, &builtin::SHUTDOWN])
        {
            assert!(
                r.path.starts_with('/') && !r.path.ends_with('/'),
                "{}",
                r.path
            );
            if r.path != "/identity" {
                assert!(seen.insert(r.path), "duplicate {}", r.path);
            } else {
                assert_eq!((r.auth, r.params), (Auth::None, Params::JsonBody));
            }
        }
        assert_eq!(seen.len(), 8 + 2 + 2 + 1 + 2 + 1 + 2);
    }

    #[test]
    fn operations_are_kebab_case_and_findable() {
        for r in component_version_repository::ROUTES {
            assert!(
                r.operation
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c == '-')
            );
            let found = component_version_repository::ROUTES
                .iter()
                .find(|x| x.operation == r.operation)
                .unwrap();
            assert_eq!(found.path, r.path);
        }
    }
}
