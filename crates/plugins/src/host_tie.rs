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

/// Returns once our child `pid` has exited, without reaping it: a pidfd becomes readable at
/// exit and leaves the zombie in place, so its pid (and group id) stays reserved until the
/// caller reaps it. Returns at once if no pidfd can be had (kernels before 5.3); the caller
/// then signals after reaping, as it did before.
pub(crate) async fn wait_for_exit_unreaped(pid: u32) {
    let Some(pid) = i32::try_from(pid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
    else {
        return;
    };
    let Ok(fd) = rustix::process::pidfd_open(pid, rustix::process::PidfdFlags::NONBLOCK) else {
        return;
    };
    let Ok(fd) = register_readable(fd) else {
        return;
    };
    // Readable means exited; an error from the reactor means we cannot wait this way.
    let _ = fd.readable().await;
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
