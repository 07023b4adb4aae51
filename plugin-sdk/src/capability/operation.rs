//! The one generic handler behind every operation route: read the credentials as the route
//! demands (401 first, like Go), decode the request the way its parameters travel (400), pick
//! the implementation by the request's spec, call it, and answer as the operation's response
//! type says. Everything operation-specific comes from its [`Operation`] description.

use std::sync::Arc;

use axum::{
    body::Body,
    extract::Request,
    http::request::Parts,
    response::{IntoResponse, Response},
};
use ocm_plugin_endpoints::{Answer, Operation, Params, Route, request_from_query};
use serde::de::DeserializeOwned;

use super::{Implementation, Mount, dispatch::TypeDispatch};
use crate::{
    request,
    response::{self, ApiError},
};

/// The mount of one operation, served by the implementations in `dispatch`.
pub(crate) fn mount<Op: Operation>(
    dispatch: Arc<TypeDispatch<Implementation<Op::Handle>>>,
    check_answers: bool,
) -> Mount {
    let handler = move |request: Request| {
        let dispatch = Arc::clone(&dispatch);
        async move {
            serve::<Op>(&dispatch, request, check_answers)
                .await
                .unwrap_or_else(IntoResponse::into_response)
        }
    };
    Mount::Operation(Op::ROUTE, axum::routing::any(handler))
}

async fn serve<Op: Operation>(
    dispatch: &TypeDispatch<Implementation<Op::Handle>>,
    request: Request,
    check_answers: bool,
) -> Result<Response, ApiError> {
    let (parts, body) = request.into_parts();
    let credentials = request::credentials(Op::ROUTE.auth, &parts.headers)?;
    let request: Op::Request = decode(Op::ROUTE, &parts, body).await?;
    Op::check(&request).map_err(ApiError::bad_request)?;
    let spec = Op::spec(&request);
    let implementation = match (spec, Op::type_hint(&request)) {
        (None, Some(name)) => dispatch.pick_by_name(Some(name))?,
        (spec, _) => dispatch.pick(spec)?,
    };
    // The manager checked the spec against the declared schema; a caller that did not (or a
    // manager that could not) gets the same answer here instead of an implementation seeing it.
    if let Some(spec) = spec {
        implementation
            .schema
            .validate(&spec.to_value())
            .map_err(|problem| {
                ApiError::bad_request(format!(
                    "invalid {} spec of type {}: {problem}",
                    dispatch.what(),
                    spec.type_().map(ToString::to_string).unwrap_or_default()
                ))
            })?;
    }
    let answer = Op::call(&implementation.handle, request, &credentials).await?;
    // An answer a manager would choke on (or silently store wrong) fails loudly while the
    // plugin is developed and tested, instead of in a user's component version.
    if check_answers && let Err(rule) = Op::check_answer(&answer) {
        tracing::error!(path = Op::ROUTE.path, rule = %rule, "the implementation's answer breaks a rule managers rely on");
        return Err(ApiError::internal(format!(
            "the plugin's answer to {} breaks a rule managers rely on: {rule}",
            Op::ROUTE.path
        )));
    }
    Ok(if <Op::Response as Answer>::EMPTY {
        response::empty_ok()
    } else {
        response::json(&answer)
    })
}

/// Decodes a request the way its route says parameters travel.
async fn decode<T: DeserializeOwned>(
    route: &Route,
    parts: &Parts,
    body: Body,
) -> Result<T, ApiError> {
    match route.params {
        Params::Query(_) => {
            let pairs = request::query_pairs(&parts.uri)?;
            request_from_query(route, &pairs).map_err(|e| ApiError::bad_request(e.to_string()))
        }
        Params::JsonBody => request::from_body(body).await,
        Params::None => request::from_body(Body::from("{}")).await,
    }
}
