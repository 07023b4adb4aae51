//! Signals to a plugin's process group. Every plugin is spawned as the leader of its own group
//! (`process_group(0)`), so its pid is also the group id and a signal reaches every process the
//! plugin started, not only the direct child (tokio's `kill` only hits the child).

use std::io;

use rustix::process::{Pid, Signal, kill_process_group, test_kill_process_group};

/// Graceful stop request.
pub(crate) const TERM: Signal = Signal::TERM;
/// Forced stop.
pub(crate) const KILL: Signal = Signal::KILL;

fn pgid(pid: u32) -> io::Result<Pid> {
    i32::try_from(pid)
        .ok()
        .and_then(Pid::from_raw)
        .filter(|p| !p.is_init())
        .ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("invalid process group id {pid}"),
            )
        })
}

/// Sends `signal` to every process of the group led by `pid`. A group that no longer exists is
/// not an error: the goal (it is gone or signalled) is reached.
pub(crate) fn signal_group(pid: u32, signal: Signal) -> io::Result<()> {
    match kill_process_group(pgid(pid)?, signal) {
        Ok(()) | Err(rustix::io::Errno::SRCH) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// `true` while any process of the group led by `pid` exists (zombies included).
pub fn group_alive(pid: u32) -> bool {
    pgid(pid).is_ok_and(|p| test_kill_process_group(p) != Err(rustix::io::Errno::SRCH))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_nonsense_ids() {
        assert!(signal_group(0, TERM).is_err());
        assert!(signal_group(1, TERM).is_err());
        assert!(signal_group(u32::MAX, TERM).is_err());
        assert!(!group_alive(0));
    }

    #[test]
    fn missing_group_is_fine() {
        // pid_max is at most 2^22 on Linux, so this group cannot exist.
        let pid = (1 << 22) + 12_345;
        assert!(!group_alive(pid));
        signal_group(pid, KILL).unwrap();
    }
}
