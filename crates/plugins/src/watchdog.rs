//! The host's watchdog: one small `/bin/sh` process per host process that kills the process
//! groups of the host's plugins when the host dies, however it dies.
//!
//! The host writes `+<group>` when it starts a plugin and `-<group>` before it reaps one, on
//! the watchdog's stdin. The watchdog ignores the signals a terminal or a process manager
//! sends to a whole session (it runs in a process group of its own as well), so it outlives
//! a host killed by any signal: the host's end of the pipe closes, the watchdog reads
//! end-of-file and sends `SIGKILL` to every group still listed, then exits. A host that shuts
//! down cleanly has unlisted every group by then, and the watchdog exits without killing.
//!
//! Why not the kernel's parent-death signal: it has to be set in the child between `fork` and
//! `exec`, which forbids the `posix_spawn` fast path, and `fork` copies the host's page tables:
//! on a 2-core VM a spawn took 0.24 ms from a small host, 1.8 ms from a 40 MB one and 15 ms
//! from a 200 MB one (against 0.08 ms with `posix_spawn`). The watchdog costs one spawn per
//! host process and a short write per plugin start, and it also kills what a plugin started in
//! its group (the parent-death signal reached the plugin only).
//!
//! A group is unlisted before its leader is reaped, while the zombie keeps the id reserved, so
//! the watchdog can never kill an unrelated group that reused the id. If the watchdog cannot
//! be started (no `/bin/sh`) or dies, plugins built with our SDK still stop through their
//! lifeline; a warning says that other plugins are not covered.

use std::{
    collections::BTreeSet,
    io::Write as _,
    os::unix::process::CommandExt as _,
    process::{Child, ChildStdin, Command, Stdio},
    sync::{Mutex, MutexGuard, OnceLock},
};

/// The watchdog's program: collects group ids, kills the remaining ones at end-of-file.
const SCRIPT: &str = r#"trap '' HUP INT QUIT TERM PIPE
g=' '
while IFS= read -r l; do
  case $l in
    +*) g="$g${l#+} " ;;
    -*) i=${l#-}; case $g in *" $i "*) g="${g%%" $i "*} ${g#*" $i "}" ;; esac ;;
  esac
done
for i in $g; do kill -s KILL -- "-$i" 2>/dev/null; done
"#;

struct Running {
    child: Child,
    stdin: ChildStdin,
}

#[derive(Default)]
struct State {
    running: Option<Running>,
    /// Groups listed now, to list again in a replacement watchdog.
    groups: BTreeSet<u32>,
    /// Whether starting one failed (warned once; not retried on every plugin start).
    unavailable: bool,
}

fn state() -> MutexGuard<'static, State> {
    static STATE: OnceLock<Mutex<State>> = OnceLock::new();
    STATE
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner())
}

fn spawn() -> std::io::Result<Running> {
    let mut child = Command::new("/bin/sh")
        .arg("-c")
        .arg(SCRIPT)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()?;
    let stdin = child
        .stdin
        .take()
        .ok_or_else(|| std::io::Error::other("the watchdog has no stdin"))?;
    Ok(Running { child, stdin })
}

impl State {
    /// Sends `line`, starting (or restarting) the watchdog as needed. `false` if there is none.
    fn send(&mut self, line: &str) -> bool {
        // One write per line: `writeln!` on the unbuffered pipe writes the newline apart, and
        // each write wakes the watchdog.
        let line = format!("{line}\n");
        if let Some(running) = &mut self.running {
            if running.stdin.write_all(line.as_bytes()).is_ok() {
                return true;
            }
            // Gone: reap it and start another with the current list.
            let mut dead = self.running.take();
            if let Some(dead) = &mut dead {
                let _ = dead.child.wait();
            }
        }
        if self.unavailable {
            return false;
        }
        match spawn() {
            Ok(mut running) => {
                let mut listed: String = self.groups.iter().map(|g| format!("+{g}\n")).collect();
                listed.push_str(&line);
                let sent = running.stdin.write_all(listed.as_bytes());
                if sent.is_ok() {
                    self.running = Some(running);
                    return true;
                }
                let _ = running.child.kill();
                let _ = running.child.wait();
                false
            }
            Err(e) => {
                self.unavailable = true;
                tracing::warn!(
                    error = %e,
                    "cannot start the /bin/sh watchdog: plugins not built with our SDK may outlive this host if it is killed"
                );
                false
            }
        }
    }
}

/// Lists the process group `group` (a plugin just started as its leader).
pub(crate) fn watch(group: u32) {
    let mut state = state();
    state.groups.insert(group);
    state.send(&format!("+{group}"));
}

/// Unlists `group`; call it before reaping the group's leader.
pub(crate) fn unwatch(group: u32) {
    let mut state = state();
    if state.groups.remove(&group) {
        state.send(&format!("-{group}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    fn group_leader() -> Child {
        Command::new("sleep")
            .arg("60")
            .process_group(0)
            .spawn()
            .unwrap()
    }

    /// Waits for `child` to exit, up to `within`, on the child's own exit (no sleeping).
    fn exits_within(child: &mut Child, within: Duration) -> bool {
        let pid = rustix::process::Pid::from_raw(child.id() as i32).unwrap();
        let fd = rustix::process::pidfd_open(pid, rustix::process::PidfdFlags::empty()).unwrap();
        let mut fds = [rustix::event::PollFd::new(
            &fd,
            rustix::event::PollFlags::IN,
        )];
        let timeout = rustix::event::Timespec {
            tv_sec: within.as_secs() as i64,
            tv_nsec: i64::from(within.subsec_nanos()),
        };
        let ready = rustix::event::poll(&mut fds, Some(&timeout)).unwrap_or(0) > 0;
        let _ = child.kill();
        let _ = child.wait();
        ready
    }

    #[test]
    fn the_script_kills_listed_groups_at_end_of_file_and_spares_unlisted_ones() {
        let mut listed = group_leader();
        let mut unlisted = group_leader();
        let mut watchdog = spawn().unwrap();
        writeln!(watchdog.stdin, "+{}", listed.id()).unwrap();
        writeln!(watchdog.stdin, "+{}", unlisted.id()).unwrap();
        writeln!(watchdog.stdin, "-{}", unlisted.id()).unwrap();
        let started = Instant::now();
        drop(watchdog.stdin);
        assert!(exits_within(&mut listed, Duration::from_secs(5)));
        assert!(started.elapsed() < Duration::from_secs(5));
        let _ = watchdog.child.wait();
        assert!(
            !exits_within(&mut unlisted, Duration::from_millis(100)),
            "an unlisted group was killed"
        );
    }
}
