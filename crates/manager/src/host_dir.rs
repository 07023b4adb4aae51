//! The manager's private temporary directory, and cleaning up after hosts that died.
//!
//! Every manager creates `<root>/ocm-plugins-XXXXXX` (mode 0700): it holds the manager's
//! temporary files and is the plugins' `TMPDIR`, so their sockets and handed-over blobs land
//! there. The manager holds an exclusive `flock` on `.host.lock` inside it for its whole life.
//! A host that dies without [`shutdown`](crate::PluginManager::shutdown) leaves the directory
//! behind, but the kernel releases the lock with the process. The next manager created in the
//! same root removes every such directory whose lock it can take, and only those: directories
//! of running hosts (lock held), of other users, and anything without our lock file are left
//! alone.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::{MetadataExt as _, OpenOptionsExt as _};
use std::path::Path;

use rustix::fs::{FlockOperation, flock};

use crate::{Error, Result};

/// Prefix of every manager's temporary directory.
pub(crate) const PREFIX: &str = "ocm-plugins-";
/// The lock file a live manager holds.
const LOCK_FILE: &str = ".host.lock";

/// A live manager's directory: removing it is [`HostDir::close`]'s job.
#[derive(Debug)]
pub(crate) struct HostDir {
    dir: tempfile::TempDir,
    /// Holding the descriptor holds the lock; it is not inherited by plugins (close-on-exec).
    _lock: File,
}

impl HostDir {
    /// Removes what dead hosts left in `root`, then creates and locks a new directory there.
    pub(crate) fn create_in(root: &Path) -> Result<Self> {
        let removed = sweep_stale(root);
        if removed > 0 {
            tracing::info!(root = %root.display(), removed, "removed temporary directories of hosts that died");
        }
        let temp_error = |source| Error::TempDir {
            path: root.to_owned(),
            source,
        };
        let dir = tempfile::Builder::new()
            .prefix(PREFIX)
            .tempdir_in(root)
            .map_err(temp_error)?;
        // Lock under a temporary name first and only then give the file its well-known name,
        // so that a concurrent sweep never finds an unlocked lock file of a live host.
        let staging = dir.path().join(".host.lock.new");
        let lock = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&staging)
            .map_err(|source| Error::TempDir {
                path: staging.clone(),
                source,
            })?;
        flock(&lock, FlockOperation::NonBlockingLockExclusive).map_err(|e| Error::TempDir {
            path: staging.clone(),
            source: e.into(),
        })?;
        std::fs::rename(&staging, dir.path().join(LOCK_FILE)).map_err(|source| Error::TempDir {
            path: staging.clone(),
            source,
        })?;
        Ok(Self { dir, _lock: lock })
    }

    pub(crate) fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Removes the directory (the lock goes with it).
    pub(crate) fn close(self) -> Result<()> {
        let path = self.dir.path().to_owned();
        self.dir
            .close()
            .map_err(|source| Error::TempDir { path, source })
    }
}

/// Removes the directories in `root` left behind by dead hosts of this user; returns how many.
/// Failures are logged and skipped: cleaning up after others never stops a new host.
pub(crate) fn sweep_stale(root: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(root) else {
        return 0;
    };
    let uid = rustix::process::geteuid().as_raw();
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name();
        if !name.to_string_lossy().starts_with(PREFIX) {
            continue;
        }
        let path = entry.path();
        // symlink_metadata: never follow a link someone planted under the prefix.
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        if !meta.is_dir() || meta.uid() != uid {
            continue;
        }
        if is_abandoned(&path) {
            match std::fs::remove_dir_all(&path) {
                Ok(()) => {
                    tracing::debug!(dir = %path.display(), "removed the directory of a dead host");
                    removed += 1;
                }
                // Another host swept it at the same time.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    tracing::warn!(dir = %path.display(), error = %e, "failed to remove the directory of a dead host");
                }
            }
        }
    }
    removed
}

/// `true` if `dir` has our lock file and nobody holds its lock. The probe's lock is released
/// when the file closes at the end of this function.
fn is_abandoned(dir: &Path) -> bool {
    let lock = dir.join(LOCK_FILE);
    let Ok(meta) = std::fs::symlink_metadata(&lock) else {
        return false;
    };
    if !meta.is_file() {
        return false;
    }
    let Ok(file) = OpenOptions::new().read(true).open(&lock) else {
        return false;
    };
    flock(&file, FlockOperation::NonBlockingLockExclusive).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sweeps_only_dead_hosts_directories() {
        let root = tempfile::tempdir().unwrap();
        let live = HostDir::create_in(root.path()).unwrap();
        // A dead host: lock file present, lock not held.
        let dead = root.path().join(format!("{PREFIX}dead01"));
        std::fs::create_dir(&dead).unwrap();
        std::fs::write(dead.join(LOCK_FILE), b"").unwrap();
        std::fs::write(dead.join("blob"), b"handed over").unwrap();
        // Not ours to judge: no lock file, and an unrelated name.
        let foreign = root.path().join(format!("{PREFIX}nolock"));
        std::fs::create_dir(&foreign).unwrap();
        let unrelated = root.path().join("ocm-other-dead");
        std::fs::create_dir(&unrelated).unwrap();
        std::fs::write(unrelated.join(LOCK_FILE), b"").unwrap();

        assert_eq!(sweep_stale(root.path()), 1);
        assert!(!dead.exists());
        assert!(live.path().exists(), "a live host's directory must stay");
        assert!(foreign.exists());
        assert!(unrelated.exists());

        // A second manager in the same root leaves the first one's directory alone.
        let second = HostDir::create_in(root.path()).unwrap();
        assert!(live.path().exists());
        let first_path = live.path().to_owned();
        live.close().unwrap();
        assert!(!first_path.exists());
        second.close().unwrap();
    }
}
