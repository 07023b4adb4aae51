//! Run-time trust: registration checks each plugin binary against the plugin directory's lock
//! file (`ocm-plugins.lock`, written by `ocm-plugin install` and `ocm-plugin trust`) and runs
//! exactly the bytes it checked.
//!
//! * A listed binary whose SHA-256 differs from its entry is rejected ("modified since it was
//!   installed", with both digests); an unlisted one is rejected, or registered with a warning
//!   when the host allows it ([`RegistrationOptions::allow_unlisted`]).
//! * The binary is opened once ([`Executable`]); it is hashed through that descriptor, and the
//!   probe and every start run that descriptor: a file swapped after the check cannot run.
//! * A binary is hashed once per change: the digest is kept in the capability cache with the
//!   file's identity (device, inode, size, mode, times), so a registration with a warm cache
//!   reads no binary.
//! * A corrupt lock file fails the registration: it is never read as "nothing listed" (which
//!   would reject everything) or as "no lock file" (which would run anything).
//!
//! [`RegistrationOptions::allow_unlisted`]: crate::RegistrationOptions::allow_unlisted

use std::{
    io,
    path::{Path, PathBuf},
};

use ocm_plugin_lockfile::{LOCK_FILE, LockFile};
use ocm_plugin_runtime::Executable;

use crate::{Error, Rejection, Result, TrustState};

/// Which binaries registration lets run, beyond the permission checks that always apply.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Trust {
    /// The plugin directory's lock file (`ocm-plugins.lock` in the directory registered, or
    /// beside the file registered), when there is one; without one, every plugin runs, as
    /// before any was installed.
    #[default]
    LockFileIfPresent,
    /// This lock file; registration fails when it is missing.
    LockFile(PathBuf),
    /// No lock file check.
    Off,
}

/// The lock file that applies to one registration.
#[derive(Debug)]
pub(crate) struct Lock {
    path: PathBuf,
    file: LockFile,
}

impl Trust {
    /// The lock file for a registration of `walked` (a plugin directory or a single plugin).
    pub(crate) fn load(&self, walked: &Path) -> Result<Option<Lock>> {
        let (path, required) = match self {
            Self::Off => return Ok(None),
            Self::LockFile(path) => (path.clone(), true),
            Self::LockFileIfPresent => {
                let dir = if walked.is_dir() {
                    walked
                } else {
                    walked.parent().unwrap_or(walked)
                };
                (dir.join(LOCK_FILE), false)
            }
        };
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound && !required => return Ok(None),
            Err(source) => return Err(Error::LockFile { path, source }),
        };
        match LockFile::parse(&bytes) {
            Ok(file) => {
                tracing::debug!(path = %path.display(), entries = file.plugins.len(), "plugins are checked against the lock file");
                Ok(Some(Lock { path, file }))
            }
            Err(problem) => Err(Error::CorruptLockFile { path, problem }),
        }
    }
}

/// What the trust check decided for one candidate: the open binary to run, and the state to
/// report; or why it must not run.
pub(crate) struct Checked {
    pub(crate) executable: Executable,
    pub(crate) state: TrustState,
    /// The content's SHA-256, when it was computed here (the cache keeps it).
    pub(crate) computed: Option<String>,
}

impl Lock {
    /// Checks `candidate` (found in the walked directory as file `name`). `known` is the
    /// digest the capability cache holds for the file's identity, if any.
    pub(crate) fn check(
        &self,
        candidate: &Path,
        name: &str,
        executable: Executable,
        known: Option<String>,
        allow_unlisted: bool,
    ) -> std::result::Result<Checked, Rejection> {
        let Some(entry) = self.file.entry(name) else {
            if allow_unlisted {
                tracing::warn!(plugin_id = name, lock_file = %self.path.display(), "plugin is not in the lock file; allowed as the host asked");
                return Ok(Checked {
                    executable,
                    state: TrustState::Unlisted {
                        lock_file: self.path.clone(),
                    },
                    computed: None,
                });
            }
            return Err(Rejection::Unlisted {
                path: candidate.to_owned(),
                lock_file: self.path.clone(),
            });
        };
        let (actual, computed) = match known {
            Some(known) => (known, None),
            None => {
                let digest =
                    sha256(&executable, candidate).map_err(|e| Rejection::Unreadable(e.into()))?;
                (digest.clone(), Some(digest))
            }
        };
        if !actual.eq_ignore_ascii_case(&entry.sha256) {
            return Err(Rejection::Modified {
                path: candidate.to_owned(),
                lock_file: self.path.clone(),
                expected: entry.sha256.clone(),
                actual,
            });
        }
        Ok(Checked {
            executable,
            state: TrustState::Verified { sha256: actual },
            computed,
        })
    }
}

/// SHA-256 of an open binary (found at `path`), read through its descriptor from the start.
pub(crate) fn sha256(executable: &Executable, path: &Path) -> io::Result<String> {
    tracing::debug!(path = %path.display(), "hashing the binary");
    let mut file = executable.file();
    // `&File` reads at the shared offset: start from the beginning whoever read before.
    io::Seek::seek(&mut file, io::SeekFrom::Start(0))?;
    ocm_plugin_lockfile::hash_reader(file).map(|(sha256, _)| sha256)
}
