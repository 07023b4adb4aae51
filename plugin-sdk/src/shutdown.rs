//! One shutdown signal for every way a plugin can be asked to stop.

use std::{
    fmt,
    sync::{Arc, OnceLock},
};

use tokio_util::sync::CancellationToken;

/// Why the plugin stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reason {
    /// SIGINT or SIGTERM.
    Signal(&'static str),
    /// No requests for the idle timeout.
    Idle,
    /// A request to the shutdown endpoint.
    Endpoint,
    /// The host that started the plugin is gone (its lifeline pipe closed).
    HostGone,
    /// A declared schema does not compile (the plugin cannot validate specs).
    InvalidSchema,
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Signal(name) => write!(f, "received {name}"),
            Self::Idle => f.write_str("idle timeout expired"),
            Self::Endpoint => f.write_str("shutdown requested over HTTP"),
            Self::HostGone => f.write_str("the host that started the plugin is gone"),
            Self::InvalidSchema => f.write_str("a declared JSON schema does not compile"),
        }
    }
}

/// A cancellation token plus the reason of whoever cancelled it first.
#[derive(Debug, Clone, Default)]
pub(crate) struct Shutdown {
    token: CancellationToken,
    reason: Arc<OnceLock<Reason>>,
}

impl Shutdown {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Asks the plugin to stop. Only the first reason is kept.
    pub(crate) fn trigger(&self, reason: Reason) {
        let _ = self.reason.set(reason);
        self.token.cancel();
    }

    #[cfg(test)]
    pub(crate) fn is_triggered(&self) -> bool {
        self.token.is_cancelled()
    }

    pub(crate) fn reason(&self) -> Option<Reason> {
        self.reason.get().copied()
    }

    /// Completes once shutdown was triggered.
    pub(crate) async fn cancelled(&self) {
        self.token.cancelled().await;
    }

    /// An owned future for APIs that need `'static`.
    pub(crate) fn cancelled_owned(&self) -> tokio_util::sync::WaitForCancellationFutureOwned {
        self.token.clone().cancelled_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_reason_wins() {
        let s = Shutdown::new();
        assert!(!s.is_triggered() && s.reason().is_none());
        let other = s.clone();
        other.trigger(Reason::Signal("SIGTERM"));
        s.trigger(Reason::Idle);
        assert!(s.is_triggered());
        assert_eq!(s.reason(), Some(Reason::Signal("SIGTERM")));
        assert_eq!(s.reason().unwrap().to_string(), "received SIGTERM");
    }
}
