//! Idle shutdown: stop the plugin after `idleTimeout` without requests.
//!
//! [`IdleState`] is a pure state machine (requests in flight, last activity, timeout → next
//! deadline). [`IdleTracker`] shares it through a `watch` channel: the request middleware updates
//! it and [`watch_idle`] sleeps until the current deadline, waking early whenever it changes.

use std::time::Duration;

use tokio::{sync::watch, time::Instant};

use crate::shutdown::{Reason, Shutdown};

/// Timeout when the manager sends none; the Go SDK's default.
pub(crate) const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(3600);

/// The effective idle timeout for a configured one: absent → 1 h, zero → never idle out (Go
/// stops at once on zero, which is a bug), anything else as given.
pub(crate) fn effective_timeout(configured: Option<Duration>) -> Option<Duration> {
    match configured {
        None => Some(DEFAULT_IDLE_TIMEOUT),
        Some(d) if d.is_zero() => None,
        Some(d) => Some(d),
    }
}

/// Requests in flight and the time of the last activity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct IdleState {
    timeout: Option<Duration>,
    active: usize,
    last_activity: Instant,
}

impl IdleState {
    /// A plugin that just started: the idle clock runs from `now`.
    pub(crate) fn new(timeout: Option<Duration>, now: Instant) -> Self {
        Self {
            timeout,
            active: 0,
            last_activity: now,
        }
    }

    /// A request arrived.
    pub(crate) fn request_started(&mut self, now: Instant) {
        self.active += 1;
        self.last_activity = now;
    }

    /// A request was answered.
    pub(crate) fn request_finished(&mut self, now: Instant) {
        self.active = self.active.saturating_sub(1);
        self.last_activity = now;
    }

    /// When the plugin becomes idle, or `None` while requests are in flight, when idling is
    /// disabled, or when the deadline is too far away to represent.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        if self.active > 0 {
            return None;
        }
        self.last_activity.checked_add(self.timeout?)
    }

    /// Whether the plugin is idle at `now`.
    pub(crate) fn is_expired(&self, now: Instant) -> bool {
        self.deadline().is_some_and(|d| d <= now)
    }
}

/// Shared handle the request middleware reports activity to.
#[derive(Debug, Clone)]
pub(crate) struct IdleTracker {
    state: watch::Sender<IdleState>,
}

impl IdleTracker {
    /// Starts the idle clock now.
    pub(crate) fn new(timeout: Option<Duration>) -> Self {
        Self {
            state: watch::Sender::new(IdleState::new(timeout, Instant::now())),
        }
    }

    /// Marks a request in flight until the returned guard is dropped (also on panic or
    /// cancellation).
    pub(crate) fn request(&self) -> RequestGuard {
        self.state
            .send_modify(|s| s.request_started(Instant::now()));
        RequestGuard {
            state: self.state.clone(),
        }
    }

    /// A receiver for [`watch_idle`].
    pub(crate) fn subscribe(&self) -> watch::Receiver<IdleState> {
        self.state.subscribe()
    }
}

/// Keeps a request counted as in flight.
#[derive(Debug)]
pub(crate) struct RequestGuard {
    state: watch::Sender<IdleState>,
}

impl Drop for RequestGuard {
    fn drop(&mut self) {
        self.state
            .send_modify(|s| s.request_finished(Instant::now()));
    }
}

/// Triggers `shutdown` with [`Reason::Idle`] once the state's deadline passes; returns when it
/// did, when shutdown happened for another reason, or when the tracker is gone.
pub(crate) async fn watch_idle(mut state: watch::Receiver<IdleState>, shutdown: Shutdown) {
    loop {
        let deadline = state.borrow_and_update().deadline();
        let sleep = async {
            match deadline {
                Some(d) => tokio::time::sleep_until(d).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            () = shutdown.cancelled() => return,
            changed = state.changed() => {
                if changed.is_err() {
                    return;
                }
            }
            () = sleep => {
                if state.borrow().is_expired(Instant::now()) {
                    shutdown.trigger(Reason::Idle);
                    return;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Duration = Duration::from_secs(1);

    #[test]
    fn effective_timeouts() {
        assert_eq!(effective_timeout(None), Some(DEFAULT_IDLE_TIMEOUT));
        assert_eq!(effective_timeout(Some(Duration::ZERO)), None);
        assert_eq!(effective_timeout(Some(5 * S)), Some(5 * S));
    }

    /// Table: a sequence of events at offsets from t0, then the expected deadline (offset).
    #[test]
    fn deadlines() {
        #[derive(Clone, Copy)]
        enum Ev {
            Start(u64),
            Finish(u64),
        }
        use Ev::*;
        let t0 = Instant::now();
        let at = |s: u64| t0 + Duration::from_secs(s);
        /// Name, timeout, events, expected deadline.
        type Case<'a> = (&'a str, Option<Duration>, &'a [Ev], Option<u64>);
        let cases: &[Case<'_>] = &[
            (
                "fresh plugin idles after the timeout",
                Some(10 * S),
                &[],
                Some(10),
            ),
            ("disabled never idles", None, &[], None),
            (
                "disabled stays disabled after requests",
                None,
                &[Start(1), Finish(2)],
                None,
            ),
            ("in flight blocks idling", Some(10 * S), &[Start(3)], None),
            (
                "finish restarts the clock",
                Some(10 * S),
                &[Start(3), Finish(4)],
                Some(14),
            ),
            (
                "overlapping requests: last finish counts",
                Some(10 * S),
                &[Start(1), Start(2), Finish(3), Finish(7)],
                Some(17),
            ),
            (
                "one of two still running",
                Some(10 * S),
                &[Start(1), Start(2), Finish(3)],
                None,
            ),
            (
                "long request outlives the timeout",
                Some(10 * S),
                &[Start(1), Finish(50)],
                Some(60),
            ),
            (
                "stray finish does not underflow",
                Some(10 * S),
                &[Finish(2)],
                Some(12),
            ),
        ];
        for (name, timeout, events, want) in cases {
            let mut s = IdleState::new(*timeout, t0);
            for ev in *events {
                match *ev {
                    Start(t) => s.request_started(at(t)),
                    Finish(t) => s.request_finished(at(t)),
                }
            }
            assert_eq!(s.deadline(), want.map(at), "{name}");
        }
    }

    #[test]
    fn expiry_is_inclusive_and_overflow_safe() {
        let t0 = Instant::now();
        let s = IdleState::new(Some(10 * S), t0);
        assert!(!s.is_expired(t0 + 9 * S));
        assert!(s.is_expired(t0 + 10 * S));
        let huge = IdleState::new(Some(Duration::MAX), t0);
        assert_eq!(huge.deadline(), None);
        assert!(!huge.is_expired(t0 + 1_000_000 * S));
    }

    #[tokio::test(start_paused = true)]
    async fn watcher_fires_after_quiet_period_only() {
        let tracker = IdleTracker::new(Some(10 * S));
        let shutdown = Shutdown::new();
        let task = tokio::spawn(watch_idle(tracker.subscribe(), shutdown.clone()));

        tokio::time::advance(6 * S).await;
        let guard = tracker.request();
        // In flight for far longer than the timeout: no idling.
        tokio::time::advance(30 * S).await;
        tokio::task::yield_now().await;
        assert!(!shutdown.is_triggered());
        drop(guard);
        tokio::time::advance(9 * S).await;
        tokio::task::yield_now().await;
        assert!(!shutdown.is_triggered());
        tokio::time::advance(2 * S).await;
        task.await.unwrap();
        assert_eq!(shutdown.reason(), Some(Reason::Idle));
    }

    #[tokio::test(start_paused = true)]
    async fn watcher_stops_on_other_shutdown_and_when_disabled_never_fires() {
        let tracker = IdleTracker::new(effective_timeout(Some(Duration::ZERO)));
        let shutdown = Shutdown::new();
        let task = tokio::spawn(watch_idle(tracker.subscribe(), shutdown.clone()));
        tokio::time::advance(100_000 * S).await;
        tokio::task::yield_now().await;
        assert!(!shutdown.is_triggered());
        shutdown.trigger(Reason::Endpoint);
        task.await.unwrap();
        assert_eq!(shutdown.reason(), Some(Reason::Endpoint));
    }
}
