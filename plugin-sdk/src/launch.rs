//! What our host hands a plugin it starts, besides `--config` (both in the environment, see
//! [`ocm_plugin_endpoints::LIFELINE_ENV`] and [`ocm_plugin_endpoints::LAUNCH_TOKEN_ENV`]):
//!
//! * the **lifeline**: the read end of a pipe only the host can write to. End-of-file means the
//!   host is gone, however it died, and the plugin shuts down instead of waiting for its idle
//!   timeout;
//! * the **launch token** of a plugin on TCP: every request must carry it, so that other local
//!   users, who can connect to any loopback port, cannot use the plugin.
//!
//! A Go manager sets neither; the plugin then behaves as a Go plugin does.

use std::sync::Arc;

use axum::{
    extract::{Request, State},
    http::StatusCode,
    middleware::Next,
    response::Response,
};
use ocm_plugin_endpoints::{LAUNCH_TOKEN_ENV, LAUNCH_TOKEN_HEADER, LIFELINE_ENV};
use tokio::{io::AsyncReadExt as _, task::JoinHandle};

use crate::{
    response::text_error,
    shutdown::{Reason, Shutdown},
};

/// The launch token this process was started with, if any.
pub(crate) fn launch_token_from_env() -> Option<LaunchToken> {
    std::env::var(LAUNCH_TOKEN_ENV)
        .ok()
        .filter(|t| !t.is_empty())
        .map(|t| LaunchToken(Arc::from(t)))
}

/// The per-launch secret; its `Debug` never shows it.
#[derive(Clone)]
pub(crate) struct LaunchToken(Arc<str>);

impl std::fmt::Debug for LaunchToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LaunchToken(<redacted>)")
    }
}

impl LaunchToken {
    #[cfg(test)]
    pub(crate) fn new(token: &str) -> Self {
        Self(Arc::from(token))
    }

    /// Constant-time comparison, so the answer time tells nothing about the secret.
    fn matches(&self, presented: &[u8]) -> bool {
        let expected = self.0.as_bytes();
        if presented.len() != expected.len() {
            return false;
        }
        presented
            .iter()
            .zip(expected)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
    }
}

/// Refuses every request that does not carry the launch token, health checks included: on TCP
/// nothing of the plugin is anyone else's business.
pub(crate) async fn require_launch_token(
    State(token): State<LaunchToken>,
    request: Request,
    next: Next,
) -> Response {
    let presented = request.headers().get(LAUNCH_TOKEN_HEADER);
    if presented.is_some_and(|v| token.matches(v.as_bytes())) {
        return next.run(request).await;
    }
    tracing::warn!(
        path = %request.uri().path(),
        "refused a request without the launch token"
    );
    text_error(
        StatusCode::UNAUTHORIZED,
        "missing or wrong launch token: this plugin only serves the host that started it",
    )
}

/// Watches the lifeline named by the environment, if there is one, and triggers shutdown when
/// the host is gone. `None` when the host gave no lifeline (a Go manager, a manual start).
pub(crate) fn watch_lifeline(shutdown: Shutdown) -> Option<JoinHandle<()>> {
    let fd = std::env::var(LIFELINE_ENV).ok()?;
    let fd: u32 = match fd.parse() {
        Ok(fd) => fd,
        Err(_) => {
            tracing::warn!(value = %fd, "ignoring {LIFELINE_ENV}: not a descriptor number");
            return None;
        }
    };
    // Opening the descriptor's /proc entry gives a new, non-blocking read end of the same pipe
    // without taking ownership of a raw descriptor number.
    let path = format!("/proc/self/fd/{fd}");
    let mut receiver = match tokio::net::unix::pipe::OpenOptions::new().open_receiver(&path) {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!(path = %path, error = %e, "ignoring the lifeline: cannot open it");
            return None;
        }
    };
    Some(tokio::spawn(async move {
        let mut buf = [0u8; 64];
        loop {
            tokio::select! {
                () = shutdown.cancelled() => return,
                read = receiver.read(&mut buf) => match read {
                    // The host never writes; end-of-file or an error both mean it is gone.
                    Ok(0) | Err(_) => break,
                    Ok(_) => {}
                },
            }
        }
        shutdown.trigger(Reason::HostGone);
    }))
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use tower::ServiceExt as _;

    use super::*;
    use crate::{idle, router};

    async fn status(token: Option<&str>, presented: Option<&str>) -> StatusCode {
        let idle = idle::IdleTracker::new(idle::effective_timeout(None));
        let app = router::build(
            Vec::new(),
            Shutdown::new(),
            idle,
            token.map(LaunchToken::new),
            true,
        );
        let mut request = axum::http::Request::get("/healthz");
        if let Some(p) = presented {
            request = request.header(LAUNCH_TOKEN_HEADER, p);
        }
        app.oneshot(request.body(Body::empty()).unwrap())
            .await
            .unwrap()
            .status()
    }

    #[tokio::test]
    async fn with_a_launch_token_every_request_needs_it() {
        assert_eq!(status(Some("s3cret"), None).await, StatusCode::UNAUTHORIZED);
        assert_eq!(
            status(Some("s3cret"), Some("wrong!")).await,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(status(Some("s3cret"), Some("s3cret")).await, StatusCode::OK);
        // Without one (a Go manager, a manual start) nothing changes.
        assert_eq!(status(None, None).await, StatusCode::OK);
    }

    #[test]
    fn token_comparison() {
        let token = LaunchToken::new("abc123");
        assert!(token.matches(b"abc123"));
        assert!(!token.matches(b"abc124"));
        assert!(!token.matches(b"abc12"));
        assert!(!token.matches(b""));
        assert_eq!(format!("{token:?}"), "LaunchToken(<redacted>)");
    }
}
