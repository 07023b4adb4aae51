//! Request middleware: draining unread bodies, activity tracking and request logging, a limit
//! on concurrent requests, body size and time limits, panic recovery. Every rejection is a
//! Go-style plain-text error.

use std::{
    any::Any,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
    time::Duration,
};

use axum::{
    body::{Body, Bytes, HttpBody},
    extract::{Request, State},
    http::{HeaderValue, StatusCode, header},
    middleware::Next,
    response::Response,
};
use http_body_util::BodyExt as _;
use hyper::body::{Frame, SizeHint};
use ocm_plugin_endpoints::builtin;
use tokio::sync::{Semaphore, oneshot};

use crate::{idle::IdleTracker, request::BODY_LIMIT, response::text_error};

/// Most bytes of an unread request body that are read and discarded before an answer goes out:
/// any body the plugin accepts, plus room for a chunked one that overshot the limit.
pub(crate) const DRAIN_LIMIT: u64 = BODY_LIMIT as u64 + 1024 * 1024;

/// Longest the draining of an unread request body may delay its answer.
pub(crate) const DRAIN_DEADLINE: Duration = Duration::from_secs(5);

/// Requests served at once; further ones wait for a slot (their bodies' memory is bounded
/// separately, by [`BODY_BUDGET`]). `/healthz` and `/shutdown` never wait.
pub(crate) const MAX_CONCURRENT_REQUESTS: usize = 64;

/// Makes answers given before the request body was read arrive intact.
///
/// Why: a handler that rejects a request early (401 without `Authorization`, 413, 400) leaves
/// the body unread in the socket. hyper then closes the connection, and closing a socket with
/// unread bytes makes the kernel send a reset, which can destroy the answer before the client
/// reads it (seen in 6 of 48 runs). So the body is handed back here when the handler drops it
/// unread, and read and discarded, up to [`DRAIN_LIMIT`] bytes and for [`DRAIN_DEADLINE`], before
/// the answer goes out; the connection then stays usable. When the body is larger or slower, the
/// answer says `Connection: close`, and the server's lingering close gets it to the client.
pub(crate) async fn drain_unread(request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let (back, mut unread) = oneshot::channel();
    let body = Body::new(Returned {
        inner: Some(body),
        back: Some(back),
    });
    let mut response = next.run(Request::from_parts(parts, body)).await;
    // Empty: still held (by a streaming response, say); closed: read to the end or failed.
    if let Ok(body) = unread.try_recv()
        && !drain(body).await
    {
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

/// Reads and discards `body`; `false` when it is too large or too slow to be read to the end.
async fn drain(mut body: Body) -> bool {
    if body.size_hint().lower() > DRAIN_LIMIT {
        return false;
    }
    let read_all = async {
        let mut read = 0u64;
        loop {
            match body.frame().await {
                None => return true,
                Some(Err(_)) => return false,
                Some(Ok(frame)) => {
                    let n = frame.data_ref().map_or(0, Bytes::len);
                    read = read.saturating_add(n as u64);
                    if read > DRAIN_LIMIT {
                        return false;
                    }
                }
            }
        }
    };
    tokio::time::timeout(DRAIN_DEADLINE, read_all)
        .await
        .unwrap_or(false)
}

/// A request body that sends itself back through `back` when it is dropped before its end.
struct Returned {
    /// `None` once the body ended or failed: nothing is left to drain.
    inner: Option<Body>,
    back: Option<oneshot::Sender<Body>>,
}

impl HttpBody for Returned {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let Some(inner) = self.inner.as_mut() else {
            return Poll::Ready(None);
        };
        let polled = Pin::new(inner).poll_frame(cx);
        if matches!(polled, Poll::Ready(None | Some(Err(_)))) {
            self.inner = None;
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.as_ref().is_none_or(HttpBody::is_end_stream)
    }

    fn size_hint(&self) -> SizeHint {
        self.inner
            .as_ref()
            .map_or_else(|| SizeHint::with_exact(0), HttpBody::size_hint)
    }
}

impl Drop for Returned {
    fn drop(&mut self) {
        if let (Some(inner), Some(back)) = (self.inner.take(), self.back.take())
            && !inner.is_end_stream()
        {
            // The receiver is gone only when the request is over anyway.
            let _ = back.send(inner);
        }
    }
}

/// Lets at most [`MAX_CONCURRENT_REQUESTS`] requests (the semaphore's permits) run at once; the
/// others wait, unread, for a slot. The built-in routes skip the queue: a busy plugin must still
/// answer health checks and shutdown.
pub(crate) async fn limit_concurrency(
    State(limits): State<Concurrency>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path();
    if path == builtin::HEALTHZ.path || path == builtin::SHUTDOWN.path {
        return next.run(request).await;
    }
    // Bodies are read into memory, so their bytes in flight are budgeted as well: a burst of
    // large uploads waits its turn instead of taking the plugin's memory to the sum of all of
    // them (and the allocator keeping it afterwards).
    let headers = request.headers();
    // No length: a chunked body may grow to the limit; no body at all costs nothing.
    let chunked = headers.contains_key(header::TRANSFER_ENCODING);
    let bytes = announced_length(headers).unwrap_or(if chunked { BODY_LIMIT as u64 } else { 0 });
    let kib = bytes
        .min(BODY_LIMIT as u64)
        .div_ceil(1024)
        .clamp(1, (BODY_BUDGET / 1024) as u64);
    let kib = u32::try_from(kib).unwrap_or(u32::MAX);
    let slot = limits.slots.acquire_owned().await;
    let budget = limits.body_budget.acquire_many_owned(kib).await;
    match (slot, budget) {
        (Ok(_slot), Ok(_budget)) => {
            let _in_flight = limits.trimmer.enter(bytes);
            next.run(request).await
        }
        // Never closed; answering beats panicking.
        _ => text_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "the plugin is shutting down",
        ),
    }
}

/// The body length a request announces in `Content-Length`, if it announces a valid one.
fn announced_length(headers: &axum::http::HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
}

/// Bytes of request bodies that may be admitted at once: two bodies at the size limit.
pub(crate) const BODY_BUDGET: usize = 2 * BODY_LIMIT;

/// The request slots and the body-memory budget of one plugin.
#[derive(Debug, Clone)]
pub(crate) struct Concurrency {
    slots: Arc<Semaphore>,
    body_budget: Arc<Semaphore>,
    /// Gives the memory of large bodies back once the plugin is quiet again.
    trimmer: crate::trim::Trimmer,
}

impl Concurrency {
    pub(crate) fn new(max_requests: usize, trim_memory: bool) -> Self {
        Self {
            slots: Arc::new(Semaphore::new(max_requests)),
            body_budget: Arc::new(Semaphore::new(BODY_BUDGET / 1024)),
            trimmer: crate::trim::Trimmer::new(trim_memory),
        }
    }
}

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
    if announced_length(request.headers()).is_some_and(|n| n > BODY_LIMIT as u64) {
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
