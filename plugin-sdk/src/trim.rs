//! Giving memory back to the system after a burst of large requests.
//!
//! glibc's allocator keeps freed memory in its heaps (one per thread that allocated) for reuse.
//! After ten large uploads at once a plugin would stay at its peak for the rest of its life,
//! though it frees everything once they are answered. `malloc_trim` returns the free pages of
//! every heap to the system; the SDK calls it when the last request in flight is done and at
//! least one large body came in since the last trim (before that last answer is sent), so a
//! quiet plugin goes back near its idle size and a busy one does not trim between requests.
//!
//! The one `unsafe` block of the SDK is the call itself: `malloc_trim` has no preconditions (it
//! takes each heap's lock like `malloc` does, and its only argument is how much to keep).
#![allow(unsafe_code)]

use std::sync::{
    Arc,
    atomic::{AtomicBool, AtomicUsize, Ordering},
};

/// A body at least this large makes the next quiet moment trim.
pub(crate) const LARGE_BODY: u64 = 256 * 1024;

/// Requests in flight and whether a large one came since the last trim.
#[derive(Debug, Clone, Default)]
pub(crate) struct Trimmer {
    /// Off when the plugin asked not to trim ([`Plugin::trim_memory`](crate::Plugin::trim_memory)).
    disabled: bool,
    in_flight: Arc<AtomicUsize>,
    large: Arc<AtomicBool>,
    trims: Arc<AtomicUsize>,
}

/// One request in flight; dropping it may trim.
#[derive(Debug)]
pub(crate) struct InFlight {
    trimmer: Trimmer,
}

impl Trimmer {
    /// A trimmer that trims (`enabled`) or only counts.
    pub(crate) fn new(enabled: bool) -> Self {
        Self {
            disabled: !enabled,
            ..Self::default()
        }
    }

    /// A request with a body of `bytes` starts.
    pub(crate) fn enter(&self, bytes: u64) -> InFlight {
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        if bytes >= LARGE_BODY {
            self.large.store(true, Ordering::Release);
        }
        InFlight {
            trimmer: self.clone(),
        }
    }

    /// How many trims were started (for tests).
    #[cfg(test)]
    pub(crate) fn trims(&self) -> usize {
        self.trims.load(Ordering::Acquire)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let t = &self.trimmer;
        if t.in_flight.fetch_sub(1, Ordering::AcqRel) == 1
            && t.large.swap(false, Ordering::AcqRel)
            && !t.disabled
        {
            t.trims.fetch_add(1, Ordering::AcqRel);
            release_free_memory();
        }
    }
}

/// Returns free heap memory to the system, before the last response of the burst goes out:
/// nothing else is in flight then, and the host that waits for that answer finds the plugin
/// back at its quiet size (the trim takes about a millisecond per 100 MB freed). Where there
/// is no glibc, nothing.
fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: `malloc_trim` has no preconditions; it locks each arena as malloc does.
        let released = unsafe { libc::malloc_trim(0) };
        tracing::debug!(
            released = released != 0,
            "returned free memory to the system"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plugin_that_asked_not_to_trim_never_trims() {
        let t = Trimmer::new(false);
        drop(t.enter(LARGE_BODY));
        assert_eq!(t.trims(), 0);
        let t = Trimmer::new(true);
        drop(t.enter(LARGE_BODY));
        assert_eq!(t.trims(), 1);
    }

    #[tokio::test]
    async fn trims_once_when_the_last_request_after_a_large_one_is_done() {
        let t = Trimmer::default();
        let small = t.enter(10);
        drop(small);
        assert_eq!(t.trims(), 0, "no large body, no trim");

        let large = t.enter(LARGE_BODY);
        let other = t.enter(0);
        drop(large);
        assert_eq!(t.trims(), 0, "a request is still in flight");
        drop(other);
        assert_eq!(t.trims(), 1);
        drop(t.enter(0));
        assert_eq!(t.trims(), 1, "the large body was trimmed for already");
    }
}
