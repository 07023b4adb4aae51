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

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn paths_are_unique_and_absolute() {
        let mut seen = HashSet::new();
        for r in component_version_repository::ROUTES
            .iter()
            .chain([&&builtin::HEALTHZ, &&builtin::SHUTDOWN])
        {
            assert!(
                r.path.starts_with('/') && !r.path.ends_with('/'),
                "{}",
                r.path
            );
            assert!(seen.insert(r.path), "duplicate {}", r.path);
        }
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
