//! Registrations still running, so that a look-up does not fail for a type that a plugin still
//! being probed may declare.
//!
//! A manager registers plugins from its capability cache at once and probes the others in the
//! background. A look-up of a type that is already registered answers at once, whatever is
//! still being probed; a look-up of a type nobody serves yet waits, but only while some
//! registration is running, and never past that registration's deadline.
//!
//! Probes finish in any order, but plugins register in discovery order, so that when two
//! plugins declare one type the first discovered serves it, whatever the timing. A plugin whose
//! probe finished while an earlier one still runs is *provided* here meanwhile: a look-up that
//! finds nothing registered uses it at once instead of waiting for the earlier probe. When its
//! turn comes the plugin is registered for real (with the same supervisor) and withdrawn from
//! here; only if the earlier plugin turns out to declare the same type does the type move to
//! that one.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use ocm_plugin_types::Type;
use tokio::sync::watch;

use crate::ExternalPlugin;

/// Registrations in progress, shared by the registries of one manager.
///
/// Cheap to clone. [`Pending::default`] is a gate that nothing ever holds: look-ups through it
/// never wait.
#[derive(Clone, Debug, Default)]
pub struct Pending {
    state: Arc<watch::Sender<State>>,
    /// (capability key, type) -> a plugin probed ahead of its turn.
    provided: Arc<Mutex<HashMap<(String, Type), ExternalPlugin>>>,
}

#[derive(Clone, Copy, Debug, Default)]
struct State {
    /// Registrations running.
    running: usize,
    /// When the last of them must have finished (each is bounded by its probe deadlines).
    until: Option<Instant>,
}

/// Holds a registration open until dropped; see [`Pending::begin`].
#[derive(Debug)]
#[must_use = "the registration counts as running only while the guard lives"]
pub struct PendingGuard {
    pending: Pending,
}

impl Pending {
    /// A gate with nothing running.
    pub fn new() -> Self {
        Self::default()
    }

    /// Marks a registration as running until the guard is dropped. `deadline` bounds how long
    /// a look-up waits for it.
    pub fn begin(&self, deadline: Duration) -> PendingGuard {
        let until = Instant::now() + deadline;
        self.state.send_modify(|s| {
            s.running += 1;
            s.until = Some(s.until.map_or(until, |u| u.max(until)));
        });
        PendingGuard {
            pending: self.clone(),
        }
    }

    /// Wakes the look-ups that are waiting: a plugin was registered.
    pub fn registered(&self) {
        self.state.send_modify(|_| {});
    }

    /// Offers `plugin` for its types of capability `capability` (the wire key) until it is
    /// withdrawn: look-ups that find nothing registered use it. The first plugin offered for a
    /// type keeps it.
    pub fn provide(&self, capability: &str, plugin: &ExternalPlugin) {
        {
            let mut provided = self.lock_provided();
            for typ in plugin.types() {
                provided
                    .entry((capability.to_owned(), typ.clone()))
                    .or_insert_with(|| plugin.clone());
            }
        }
        self.registered();
    }

    /// Withdraws every offer of plugin `plugin_id` (it is registered for real now, or not at
    /// all).
    pub fn withdraw(&self, plugin_id: &str) {
        self.lock_provided().retain(|_, p| p.id() != plugin_id);
    }

    /// The plugin offered for `typ` of `capability`, if any.
    pub(crate) fn provided(&self, capability: &str, typ: &Type) -> Option<ExternalPlugin> {
        self.lock_provided()
            .get(&(capability.to_owned(), typ.clone()))
            .cloned()
    }

    fn lock_provided(&self) -> std::sync::MutexGuard<'_, HashMap<(String, Type), ExternalPlugin>> {
        self.provided.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether a registration is running.
    pub fn is_running(&self) -> bool {
        self.state.borrow().running > 0
    }

    /// `look()` as soon as it finds something, re-tried after every registration; `None` once
    /// no registration is running (or their deadline passed) and it still finds nothing.
    pub(crate) async fn wait_for<T>(&self, mut look: impl FnMut() -> Option<T>) -> Option<T> {
        let mut changes = self.state.subscribe();
        loop {
            // Mark the state seen before looking, so a registration that lands after the look
            // wakes the wait below.
            let state = *changes.borrow_and_update();
            if let Some(found) = look() {
                return Some(found);
            }
            let (true, Some(until)) = (state.running > 0, state.until) else {
                return None;
            };
            let until = tokio::time::Instant::from_std(until);
            match tokio::time::timeout_at(until, changes.changed()).await {
                Ok(Ok(())) => {}
                // Deadline passed, or the gate is gone: one last look.
                Ok(Err(_)) | Err(_) => return look(),
            }
        }
    }
}

impl Drop for PendingGuard {
    fn drop(&mut self) {
        self.pending.state.send_modify(|s| {
            s.running = s.running.saturating_sub(1);
            if s.running == 0 {
                s.until = None;
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn nothing_running_means_no_wait() {
        let pending = Pending::new();
        assert_eq!(pending.wait_for(|| None::<()>).await, None);
        assert_eq!(pending.wait_for(|| Some(1)).await, Some(1));
    }

    #[tokio::test]
    async fn a_look_up_waits_for_a_registration_and_no_longer() {
        let pending = Pending::new();
        let guard = pending.begin(Duration::from_secs(60));
        let found = Arc::new(AtomicUsize::new(0));
        let waiter = tokio::spawn({
            let (pending, found) = (pending.clone(), Arc::clone(&found));
            async move {
                pending
                    .wait_for(|| (found.load(Ordering::SeqCst) == 2).then_some("type"))
                    .await
            }
        });
        // A registration that does not bring the type: the waiter looks again and goes on.
        found.store(1, Ordering::SeqCst);
        pending.registered();
        found.store(2, Ordering::SeqCst);
        pending.registered();
        assert_eq!(waiter.await.ok().flatten(), Some("type"));

        // The registration ends without the type: the waiter gets `None` at once.
        let waiter = tokio::spawn({
            let pending = pending.clone();
            async move { pending.wait_for(|| None::<()>).await }
        });
        drop(guard);
        assert_eq!(waiter.await.ok().flatten(), None);
        assert!(!pending.is_running());
    }

    #[tokio::test(start_paused = true)]
    async fn a_wait_ends_at_the_deadline() {
        let pending = Pending::new();
        let _guard = pending.begin(Duration::from_secs(5));
        let started = tokio::time::Instant::now();
        assert_eq!(pending.wait_for(|| None::<()>).await, None);
        assert!(started.elapsed() >= Duration::from_secs(4));
    }
}
