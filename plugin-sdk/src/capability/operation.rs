//! Shared plumbing of the operation routes: reading a request the way its route says, and
//! turning a capability's route table into [`Mount`]s.

use std::{future::Future, sync::Arc};

use axum::{
    extract::Request,
    response::{IntoResponse, Response},
};
use ocm_plugin_endpoints::Route;
use ocm_plugin_types::Credentials;
use serde::de::DeserializeOwned;

use super::Mount;
use crate::{request, response::ApiError};

/// Reads the credentials as the route demands (401 first, like Go), then the JSON body (400).
pub(crate) async fn read<T: DeserializeOwned>(
    route: &Route,
    request: Request,
) -> Result<(Credentials, T), ApiError> {
    let (parts, body) = request.into_parts();
    let credentials = request::credentials(route.auth, &parts.headers)?;
    let body = request::from_body(body).await?;
    Ok((credentials, body))
}

/// The operation serving `route`, matched by path.
pub(crate) fn find<Op: Copy>(operations: &[(&Route, Op)], route: &Route) -> Option<Op> {
    operations
        .iter()
        .find(|(r, _)| r.path == route.path)
        .map(|(_, op)| *op)
}

/// One mount per route of `table` except the shared identity route (mounted separately), each
/// answered by `serve` with its operation and the shared `state`. Errors become Go-style text
/// answers.
pub(crate) fn mounts<S, Op, F, Fut>(
    table: impl IntoIterator<Item = &'static Route>,
    identity: &Route,
    operations: &[(&Route, Op)],
    state: S,
    serve: F,
) -> Vec<Mount>
where
    S: Send + Sync + 'static,
    Op: Copy + Send + Sync + 'static,
    F: Fn(Op, &'static Route, Arc<S>, Request) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<Response, ApiError>> + Send + 'static,
{
    let state = Arc::new(state);
    let mut mounts = Vec::new();
    for route in table {
        if route.path == identity.path {
            continue;
        }
        let Some(op) = find(operations, route) else {
            // Unit tests of each capability module make sure this never happens.
            tracing::error!(
                path = route.path,
                operation = route.operation,
                "route without a handler; it answers 404"
            );
            continue;
        };
        let state = Arc::clone(&state);
        let serve = serve.clone();
        let handler = move |request: Request| {
            let state = Arc::clone(&state);
            let serve = serve.clone();
            async move {
                serve(op, route, state, request)
                    .await
                    .unwrap_or_else(IntoResponse::into_response)
            }
        };
        mounts.push(Mount::Operation(route, axum::routing::any(handler)));
    }
    mounts
}

/// Routes of `table` that no operation serves, and operations whose route left the table.
#[cfg(test)]
pub(crate) fn unserved<Op: Copy>(
    table: &[&Route],
    identity: &Route,
    operations: &[(&Route, Op)],
) -> Vec<&'static str> {
    let mut problems = Vec::new();
    for route in table {
        if route.path != identity.path && find(operations, route).is_none() {
            problems.push(route.operation);
        }
    }
    for (route, _) in operations {
        if !table.iter().any(|r| r.path == route.path) {
            problems.push(route.operation);
        }
    }
    problems
}
