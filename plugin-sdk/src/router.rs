//! Assembling the HTTP router: built-in routes, capability mounts, 404 fallback and middleware.

use std::collections::{BTreeMap, HashSet};

use axum::{
    Router,
    http::{Method, StatusCode},
    middleware,
    response::Response,
    routing::any,
};
use ocm_plugin_endpoints::{Route, builtin};
use tower_http::catch_panic::CatchPanicLayer;

use crate::{
    capability::{Mount, identity},
    idle::IdleTracker,
    launch::{LaunchToken, require_launch_token},
    middleware::{
        Concurrency, MAX_CONCURRENT_REQUESTS, drain_unread, limit_concurrency, limits,
        panic_response, track,
    },
    response::{empty_ok, text_error},
    shutdown::{Reason, Shutdown},
};

/// The router of a plugin. Capability paths accept any method, like Go's mux patterns.
pub(crate) fn build(
    mounts: Vec<Mount>,
    shutdown: Shutdown,
    idle: IdleTracker,
    launch_token: Option<LaunchToken>,
    trim_memory: bool,
) -> Router {
    let mut paths: HashSet<&'static str> = HashSet::new();
    let mut router = Router::new();
    for route in [&builtin::HEALTHZ, &builtin::SHUTDOWN] {
        paths.insert(route.path);
    }
    router = router.route(builtin::HEALTHZ.path, any(healthz)).route(
        builtin::SHUTDOWN.path,
        any(move || {
            // Answered before the server stops: graceful shutdown finishes in-flight responses.
            shutdown.trigger(Reason::Endpoint);
            std::future::ready(empty_ok())
        }),
    );

    let mut identities: BTreeMap<&'static str, Vec<identity::Entry>> = BTreeMap::new();
    for mount in mounts {
        match mount {
            Mount::Operation(route, handler) => {
                if claim(&mut paths, route) {
                    router = router.route(route.path, handler);
                }
            }
            Mount::Identity(route, entry) => identities.entry(route.path).or_default().push(entry),
        }
    }
    for (path, entries) in identities {
        if paths.insert(path) {
            router = router.route(path, identity::handler(entries));
        } else {
            tracing::error!(
                path,
                "identity path collides with an operation route; not served"
            );
        }
    }

    // The last layer is the outermost: draining sees every answer, and requests waiting for a
    // slot count as activity.
    let slots = Concurrency::new(MAX_CONCURRENT_REQUESTS, trim_memory);
    let router = router
        .fallback(|| std::future::ready(text_error(StatusCode::NOT_FOUND, "404 page not found")))
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(middleware::from_fn(limits))
        .layer(middleware::from_fn_with_state(slots, limit_concurrency))
        .layer(middleware::from_fn_with_state(idle, track));
    // Inside the drain, so that a refusal sent before the body was read arrives intact.
    let router = match launch_token {
        Some(token) => router.layer(middleware::from_fn_with_state(token, require_launch_token)),
        None => router,
    };
    router.layer(middleware::from_fn(drain_unread))
}

/// Claims a path for a route; a second claim is an SDK bug, logged and skipped instead of
/// panicking like axum would.
fn claim(paths: &mut HashSet<&'static str>, route: &Route) -> bool {
    let fresh = paths.insert(route.path);
    if !fresh {
        tracing::error!(
            path = route.path,
            operation = route.operation,
            "duplicate route; not served"
        );
    }
    fresh
}

/// `GET`/`HEAD` → 200 with an empty body; anything else → Go's 405 text.
async fn healthz(method: Method) -> Response {
    if method == Method::GET || method == Method::HEAD {
        empty_ok()
    } else {
        text_error(
            StatusCode::METHOD_NOT_ALLOWED,
            "this endpoint may only be called with either HEAD or GET method",
        )
    }
}
