//! Request middleware: activity tracking and request logging, body size and time limits, panic
//! recovery. Every rejection is a Go-style plain-text error.

use std::{any::Any, time::Duration};

use axum::{
    extract::{Request, State},
    http::{StatusCode, header},
    middleware::Next,
    response::Response,
};

use crate::{idle::IdleTracker, request::BODY_LIMIT, response::text_error};

/// Longest a single request may take. Generous, because blobs can be large; its purpose is that
/// a hung handler cannot keep the plugin from idling out forever.
pub(crate) const REQUEST_TIMEOUT: Duration = Duration::from_secs(10 * 60);

/// Counts the request as activity for the idle timer while it runs and logs it at debug level.
pub(crate) async fn track(
    State(idle): State<IdleTracker>,
    request: Request,
    next: Next,
) -> Response {
    let _in_flight = idle.request();
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let response = next.run(request).await;
    tracing::debug!(method = %method, path = %path, status = response.status().as_u16(), "request");
    response
}

/// Rejects bodies announced larger than [`BODY_LIMIT`] and requests slower than
/// [`REQUEST_TIMEOUT`]. Bodies without a length are capped while they are read.
pub(crate) async fn limits(request: Request, next: Next) -> Response {
    let announced = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if announced.is_some_and(|n| n > BODY_LIMIT as u64) {
        return text_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!("request body too large: the limit is {BODY_LIMIT} bytes"),
        );
    }
    match tokio::time::timeout(REQUEST_TIMEOUT, next.run(request)).await {
        Ok(response) => response,
        Err(_) => text_error(
            StatusCode::SERVICE_UNAVAILABLE,
            &format!("request timed out after {}s", REQUEST_TIMEOUT.as_secs()),
        ),
    }
}

/// What a panicking handler answers, like the Go SDK: `500 panic recovered`.
pub(crate) fn panic_response(panic: Box<dyn Any + Send + 'static>) -> Response {
    let detail = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "non-string panic payload".to_owned());
    tracing::error!(error = %detail, "panic recovered");
    text_error(StatusCode::INTERNAL_SERVER_ERROR, "panic recovered")
}
