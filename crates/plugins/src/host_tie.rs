//! Tying a plugin's life to its host's, so that no plugin outlives a host that died without
//! running its shutdown (SIGKILL, a crash, an abort, Ctrl-C without a handler).
//!
//! Two mechanisms, because they cover different plugins:
//!
//! * **Parent-death signal** (Linux `PR_SET_PDEATHSIG`), set in the child between `fork` and
//!   `exec`: the kernel sends `SIGKILL` to the plugin the moment the thread that spawned it
//!   exits. It works for every plugin, including Go plugins that know nothing of us. The kernel
//!   ties it to the spawning *thread*: plugins are spawned from the runtime's worker threads,
//!   which live as long as the runtime, so the plugin dies with the runtime or the process.
//! * **A lifeline pipe** for plugins built with our SDK: the host keeps the write end, the
//!   plugin inherits the read end, whose descriptor number it finds in
//!   [`LIFELINE_ENV`](ocm_plugin_endpoints::LIFELINE_ENV). When the host is gone, for any reason and on any platform, the plugin
//!   reads end-of-file and shuts down gracefully. The number travels in the environment rather
//!   than in `--config`, so that the `--config` bytes stay exactly the Go manager's.
//!
//! It also waits for a plugin's exit without reaping it, so that the plugin's process group can
//! be killed while its id cannot yet be reused.
//!
//! This module holds the workspace's only `unsafe` blocks: `pre_exec` is unsafe because the
//! hook runs in the forked child, where only async-signal-safe work is allowed, and registering
//! a raw descriptor with the reactor is unsafe because the reactor cannot check its ownership.

use std::io;
use std::os::fd::{AsFd as _, OwnedFd};

use ocm_plugin_endpoints::LIFELINE_ENV;
use rustix::io::{FdFlags, fcntl_setfd};
use rustix::process::{Signal, getpid, getppid, set_parent_process_death_signal};
use tokio::process::Command;

/// The host's end of one plugin's lifeline. Dropping it (the host stops tracking the process,
/// or the host dies) closes the pipe, and an SDK plugin shuts down.
#[derive(Debug)]
pub(crate) struct Lifeline {
    _write: OwnedFd,
}

/// Prepares `command` so that the child dies with the host: sets the parent-death signal in
/// the child and hands it the read end of a fresh lifeline pipe. Keep the returned
/// [`Lifeline`] for as long as the process should live.
pub(crate) fn tie_to_host(command: &mut Command) -> io::Result<Lifeline> {
    // Both ends close on exec; the child clears the flag on its copy of the read end only, so
    // no other process (another plugin spawned meanwhile) inherits either end.
    let (read, write) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC)?;
    command.env(
        LIFELINE_ENV,
        std::os::fd::AsRawFd::as_raw_fd(&read).to_string(),
    );
    let host = getpid();
    install_pre_exec(command, host, read);
    Ok(Lifeline { _write: write })
}

#[allow(unsafe_code)]
fn install_pre_exec(command: &mut Command, host: rustix::process::Pid, read: OwnedFd) {
    let hook = move || -> io::Result<()> {
        set_parent_process_death_signal(Some(Signal::KILL))?;
        // The host may have died between fork and prctl; then the signal will never come.
        if getppid() != Some(host) {
            return Err(io::Error::from_raw_os_error(
                rustix::io::Errno::SRCH.raw_os_error(),
            ));
        }
        fcntl_setfd(read.as_fd(), FdFlags::empty())?;
        Ok(())
    };
    // SAFETY: the hook runs in the forked child before exec. It only makes raw system calls
    // (prctl, getppid, fcntl) through rustix, which neither allocate nor take locks, and
    // builds its error from a raw errno without allocating: all async-signal-safe. The
    // descriptor it touches is owned by the closure and valid in the child.
    unsafe {
        command.pre_exec(hook);
    }
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
