//! Response shapes of the protocol: plain-text errors like Go's `http.Error`, JSON successes
//! ending in a newline like Go's `json.Encoder`, and empty 200s.

use axum::{
    body::Body,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Serialize;

const TEXT_PLAIN: HeaderValue = HeaderValue::from_static("text/plain; charset=utf-8");
const NOSNIFF: HeaderValue = HeaderValue::from_static("nosniff");
const APPLICATION_JSON: HeaderValue = HeaderValue::from_static("application/json");

/// A request that failed: a status and the text the caller sees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub(crate) status: StatusCode,
    pub(crate) message: String,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }

    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    pub(crate) fn internal(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, message)
    }
}

impl From<ocm_plugin_contracts::Error> for ApiError {
    fn from(e: ocm_plugin_contracts::Error) -> Self {
        let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        Self::new(status, e.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        tracing::debug!(status = self.status.as_u16(), error = %self.message, "request failed");
        text_error(self.status, &self.message)
    }
}

/// A Go `http.Error` response: the message plus `\n`, as text, with `nosniff`.
pub(crate) fn text_error(status: StatusCode, message: &str) -> Response {
    let mut response = Response::new(Body::from(format!("{message}\n")));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, TEXT_PLAIN);
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, NOSNIFF);
    response
}

/// `200` with the value as JSON and a trailing newline.
pub(crate) fn json<T: Serialize>(value: &T) -> Response {
    match serde_json::to_vec(value) {
        Ok(mut body) => {
            body.push(b'\n');
            let mut response = Response::new(Body::from(body));
            response
                .headers_mut()
                .insert(header::CONTENT_TYPE, APPLICATION_JSON);
            response
        }
        Err(e) => text_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            &format!("failed to encode response: {e}"),
        ),
    }
}

/// `200` with an empty body, for operations without a result.
pub(crate) fn empty_ok() -> Response {
    Response::new(Body::empty())
}
