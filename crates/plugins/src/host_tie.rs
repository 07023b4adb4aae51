//! Tying a plugin's life to its host's, so that no plugin outlives a host that died without
//! running its shutdown (SIGKILL, a crash, an abort, Ctrl-C without a handler).
//!
//! Two mechanisms, because they cover different plugins:
//!
//! * **The watchdog** ([`crate::watchdog`]): one `/bin/sh` process per host that kills the
//!   process group of every plugin still running when the host's end of its pipe closes. It
//!   works for every plugin, including Go plugins that know nothing of us, and takes whatever a
//!   plugin started in its group along.
//! * **A lifeline pipe** for plugins built with our SDK: the host keeps the write end, the
//!   plugin gets the read end as its stdin, and [`LIFELINE_ENV`] (`0`) tells our SDK to watch
//!   it. When the host is gone, for any reason and on any platform, the plugin reads
//!   end-of-file and shuts down gracefully. The variable travels in the environment rather
//!   than in `--config`, so that the `--config` bytes stay exactly the Go manager's. Plugins
//!   do not read stdin (the Go protocol gives them none).
//!
//! Neither needs code in the child between `fork` and `exec`, so plugins start through
//! `posix_spawn`, whose cost does not grow with the host's memory (`fork`'s does: see the
//! watchdog).
//!
//! It also waits for a plugin's exit without reaping it, so that the plugin's process group can
//! be killed while its id cannot yet be reused.
//!
//! This module holds one of the workspace's two `unsafe` blocks: registering a raw descriptor
//! with the reactor is unsafe because the reactor cannot check its ownership.

use std::io;
use std::os::fd::OwnedFd;

use ocm_plugin_endpoints::LIFELINE_ENV;
use tokio::process::Command;

/// The host's end of one plugin's lifeline. Dropping it (the host stops tracking the process,
/// or the host dies) closes the pipe, and an SDK plugin shuts down.
#[derive(Debug)]
pub(crate) struct Lifeline {
    _write: OwnedFd,
}

/// Prepares `command` so that the child can tell when the host is gone: its stdin becomes the
/// read end of a fresh lifeline pipe. Keep the returned [`Lifeline`] for as long as the
/// process should live. (The watchdog covers plugins that ignore it; see [`crate::watchdog`].)
pub(crate) fn tie_to_host(command: &mut Command) -> io::Result<Lifeline> {
    // Both ends close on exec; the spawn makes the read end the child's stdin (which is not
    // closed on exec), so no other process inherits either end.
    let (read, write) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC)?;
    command.env(LIFELINE_ENV, "0");
    command.stdin(std::process::Stdio::from(read));
    Ok(Lifeline { _write: write })
}

/// Returns once our child `pid` has exited, without reaping it, so that its pid (and group id)
/// stays reserved by the zombie until the caller reaps it: the caller can signal the group in
/// between without ever hitting a group that reused the id.
///
/// A pidfd becomes readable at exit. Where pidfds cannot be had (kernels before 5.3, seccomp
/// profiles, gVisor), or when [`NO_PIDFD_ENV`] asks so (to test this path), every `SIGCHLD`
/// wakes a non-reaping `waitid(WNOHANG | WNOWAIT)` on `pid`: an event, not polling, and no
/// thread per plugin. Returns at once only if `pid` is not our child at all.
pub(crate) async fn wait_for_exit_unreaped(pid: u32) {
    let Some(pid) = i32::try_from(pid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
    else {
        return;
    };
    if !pidfd_disabled()
        && let Ok(fd) = rustix::process::pidfd_open(pid, rustix::process::PidfdFlags::NONBLOCK)
        && let Ok(fd) = register_readable(fd)
    {
        // Readable means exited; an error from the reactor means we cannot wait this way.
        if fd.readable().await.is_ok() {
            return;
        }
    }
    wait_for_exit_by_sigchld(pid).await;
}

/// Set (to anything but empty or `0`) to wait for plugin exits without pidfds, as on kernels
/// that have none: the test suite runs its lifecycle tests both ways.
pub const NO_PIDFD_ENV: &str = "OCM_PLUGIN_NO_PIDFD";

fn pidfd_disabled() -> bool {
    static DISABLED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *DISABLED
        .get_or_init(|| std::env::var_os(NO_PIDFD_ENV).is_some_and(|v| !v.is_empty() && v != "0"))
}

/// The fallback of [`wait_for_exit_unreaped`]: checks on every `SIGCHLD`.
async fn wait_for_exit_by_sigchld(pid: rustix::process::Pid) {
    use rustix::process::{WaitId, WaitIdOptions, waitid};
    // Listening before the first check: a SIGCHLD in between is not lost.
    let mut sigchld = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::child()) {
        Ok(s) => Some(s),
        Err(e) => {
            tracing::warn!(error = %e, "cannot listen for SIGCHLD; a plugin's exit is noticed when it is reaped");
            None
        }
    };
    let options = WaitIdOptions::EXITED | WaitIdOptions::NOHANG | WaitIdOptions::NOWAIT;
    loop {
        match waitid(WaitId::Pid(pid), options) {
            Ok(Some(_)) => return,
            Ok(None) | Err(rustix::io::Errno::INTR) => {}
            // Not (or no longer) our child: nothing to wait for.
            Err(_) => return,
        }
        match sigchld.as_mut() {
            Some(s) => {
                if s.recv().await.is_none() {
                    return;
                }
            }
            None => return,
        }
    }
}

#[allow(unsafe_code)]
fn register_readable(fd: OwnedFd) -> io::Result<tokio::io::unix::AsyncFd<OwnedFd>> {
    // SAFETY: the `OwnedFd` is moved into the `AsyncFd`, which owns it until it is dropped, so
    // the descriptor stays open and refers to the same pidfd for the registration's lifetime.
    unsafe {
        tokio::io::unix::AsyncFd::register_with_interest(fd, tokio::io::Interest::READABLE)
            .map_err(io::Error::from)
    }
}

/// A fresh per-launch secret for a plugin on TCP: 32 random bytes from the kernel, hex.
pub(crate) fn launch_token() -> io::Result<String> {
    let mut bytes = [0u8; 32];
    let mut filled = 0;
    while filled < bytes.len() {
        filled +=
            rustix::rand::getrandom(&mut bytes[filled..], rustix::rand::GetRandomFlags::empty())?;
    }
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}
