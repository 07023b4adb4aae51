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

mod answer;
mod builder;
mod client;
mod launch;
mod operation;
mod query;
mod request;
mod route;
mod schema;

pub mod blob_transformer;
pub mod component_lister;
pub mod component_version_repository;
pub mod credential_plugin;
pub mod credential_repository;
pub mod digest_processor;
pub mod input;
pub mod resource_repository;
pub mod signing_handler;

pub use builder::CapabilitiesBuilder;
pub use client::{Caller, Client};
pub use launch::{
    CREDENTIALS_ENV, LAUNCH_TOKEN_ENV, LAUNCH_TOKEN_HEADER, LIFELINE_ENV, MAX_SOCKET_PATH,
    MAX_SOCKET_STEM, SOCKET_DIR_PREFIX, sdk_socket_fits,
};
pub use operation::{Answer, AnswerError, BoxFuture, Capability, Operation, Visit};
pub use query::{
    QueryError, decode_json_param, decode_query, encode_json_param, encode_query,
    request_from_query, request_to_query,
};
pub use request::{Encoded, RequestError, encode_request};
pub use route::{Auth, Param, Params, Route};
pub use schema::{Problem, SchemaError, SchemaValidator};

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

/// `POST /identity` of a capability. The path is shared by every capability, so a plugin that
/// serves several dispatches by the declared type of the body's spec.
pub(crate) const fn identity(operation: &'static str) -> Route {
    Route {
        operation,
        method: http::Method::POST,
        path: "/identity",
        auth: Auth::None,
        params: Params::JsonBody,
    }
}

/// A JSON `POST` route.
pub(crate) const fn post(operation: &'static str, path: &'static str, auth: Auth) -> Route {
    Route {
        operation,
        method: http::Method::POST,
        path,
        auth,
        params: Params::JsonBody,
    }
}

/// The `Authorization` value a manager sends on `route` (spec §4.8, §10.4), or `None` for no
/// header: the typed form (v0.0.11+ plugins) or the flat map (v0.0.1 plugins), and for no
/// credentials `{}`, except that the typed form leaves the header out on [`Auth::Optional`]
/// routes, as Go v0.0.17 does.
pub fn authorization(
    route: &Route,
    credentials: Option<&ocm_plugin_types::Credentials>,
    typed: bool,
) -> Option<String> {
    let credentials = credentials.filter(|c| !c.is_none());
    match (route.auth, credentials) {
        (Auth::None, _) => None,
        (_, Some(c)) if typed => Some(c.to_typed_json()),
        (_, Some(c)) => Some(c.to_flat_json()),
        (Auth::Optional, None) if typed => None,
        (Auth::Required | Auth::Optional | Auth::OptionalAlwaysSent, None) => Some("{}".to_owned()),
    }
}

/// The route table of a capability kind; empty for a kind this crate does not know.
pub fn routes(kind: &ocm_plugin_types::CapabilityKind) -> &'static [&'static Route] {
    use ocm_plugin_types::CapabilityKind as K;
    match kind {
        K::ComponentVersionRepository => {
            <component_version_repository::ComponentVersionRepository as Capability>::ROUTES
        }
        K::CredentialRepository => {
            <credential_repository::CredentialRepository as Capability>::ROUTES
        }
        K::InputRepository => <input::Input as Capability>::ROUTES,
        K::DigestProcessorRepository => <digest_processor::DigestProcessor as Capability>::ROUTES,
        K::ResourceRepository => <resource_repository::ResourceRepository as Capability>::ROUTES,
        K::BlobTransformer => <blob_transformer::BlobTransformer as Capability>::ROUTES,
        K::ComponentLister => <component_lister::ComponentLister as Capability>::ROUTES,
        K::SigningHandler => <signing_handler::SigningHandler as Capability>::ROUTES,
        K::CredentialPlugin => <credential_plugin::CredentialPlugin as Capability>::ROUTES,
        K::Other(_) => &[],
    }
}

/// The paths two capability kinds both use, besides `/identity` (which every capability shares
/// and plugins dispatch by spec type). One plugin cannot serve two kinds that share a path: the
/// credential repository and the credential plugin share `/consumer-identity` and `/resolve`.
pub fn conflicting_paths(
    a: &ocm_plugin_types::CapabilityKind,
    b: &ocm_plugin_types::CapabilityKind,
) -> Vec<&'static str> {
    if a == b {
        return Vec::new();
    }
    let theirs = routes(b);
    routes(a)
        .iter()
        .map(|r| r.path)
        .filter(|p| *p != "/identity" && theirs.iter().any(|r| r.path == *p))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ocm_plugin_types::CapabilityKind;
    use std::collections::HashSet;

    /// The routes of a capability's operations, in visiting order.
    struct Routes(Vec<&'static Route>);

    impl<H: ?Sized> Visit<H> for Routes {
        fn operation<Op: Operation<Handle = H>>(&mut self) {
            self.0.push(Op::ROUTE);
        }
        fn identity<Op>(&mut self)
        where
            Op: Operation<
                    Handle = H,
                    Request = ocm_plugin_contracts::identity::GetIdentityRequest,
                    Response = ocm_plugin_contracts::identity::GetIdentityResponse,
                >,
        {
            assert_eq!(Op::ROUTE.path, "/identity");
            self.0.push(Op::ROUTE);
        }
    }

    fn visited<C: Capability>() -> Vec<&'static Route> {
        let mut v = Routes(Vec::new());
        C::operations(&mut v);
        v.0
    }

    /// Every capability: its kind, its table and the routes of its operations.
    fn all() -> Vec<(
        CapabilityKind,
        &'static [&'static Route],
        Vec<&'static Route>,
    )> {
        macro_rules! each {
            ($($c:ty),*) => {
                vec![$((<$c>::KIND, <$c>::ROUTES, visited::<$c>())),*]
            };
        }
        each!(
            component_version_repository::ComponentVersionRepository,
            credential_repository::CredentialRepository,
            input::Input,
            digest_processor::DigestProcessor,
            resource_repository::ResourceRepository,
            blob_transformer::BlobTransformer,
            component_lister::ComponentLister,
            signing_handler::SigningHandler,
            credential_plugin::CredentialPlugin
        )
    }

    #[test]
    fn every_route_has_exactly_one_operation_and_every_kind_is_described() {
        let all = all();
        let kinds: Vec<CapabilityKind> = all.iter().map(|(k, _, _)| k.clone()).collect();
        assert_eq!(kinds, CapabilityKind::ALL);
        for (kind, table, ops) in all {
            assert_eq!(
                table,
                &ops[..],
                "{kind}: the operations are the route table"
            );
            assert_eq!(routes(&kind), table);
        }
    }

    #[test]
    fn paths_are_absolute_and_shared_only_where_the_protocol_shares_them() {
        let mut seen: HashSet<(&str, CapabilityKind)> = HashSet::new();
        for (kind, table, _) in all() {
            let mut own = HashSet::new();
            for r in table {
                assert!(
                    r.path.starts_with('/') && !r.path.ends_with('/'),
                    "{}",
                    r.path
                );
                assert!(own.insert(r.path), "{kind}: duplicate {}", r.path);
                assert!(
                    r.operation
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c == '-'),
                    "{}",
                    r.operation
                );
                if r.path == "/identity" {
                    assert_eq!((r.auth, r.params), (Auth::None, Params::JsonBody));
                }
                seen.insert((r.path, kind.clone()));
            }
        }
        for builtin in [&builtin::HEALTHZ, &builtin::SHUTDOWN] {
            assert!(!seen.iter().any(|(p, _)| *p == builtin.path));
        }
        // Only the two credential kinds clash.
        for a in CapabilityKind::ALL {
            for b in CapabilityKind::ALL {
                let clash = conflicting_paths(&a, &b);
                let credential_pair = matches!(
                    (&a, &b),
                    (
                        CapabilityKind::CredentialRepository,
                        CapabilityKind::CredentialPlugin
                    ) | (
                        CapabilityKind::CredentialPlugin,
                        CapabilityKind::CredentialRepository
                    )
                );
                if a == b {
                    continue;
                } else if credential_pair {
                    assert_eq!(clash, ["/consumer-identity", "/resolve"], "{a} {b}");
                } else {
                    assert!(clash.is_empty(), "{a} {b}: {clash:?}");
                }
            }
        }
    }
}
