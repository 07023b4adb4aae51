//! A plugin binary opened once, so that what runs is exactly what was checked.
//!
//! A host that verifies a binary (its SHA-256 against a lock file) and then runs it by its path
//! leaves a window: the file can be replaced (renamed over) between the check and the spawn,
//! which may be minutes later for a plugin started on first use. An [`Executable`] closes it:
//! the file is opened once, hashed through that descriptor, and the process is started from the
//! same descriptor (the kernel execs `/proc/<host pid>/fd/<n>`, which names the open file, not the
//! path). A rewrite in place (same inode) is caught too: the descriptor's size and modification
//! time must still be those taken when it was opened, or the spawn is refused. (Not its change
//! time: replacing the path unlinks the open file, which changes it. A same-size rewrite within
//! one tick of the file system's clock would go unseen; only the binary's owner can write it at
//! all, since registration refuses binaries others can write.)
//!
//! `/proc/<host pid>/fd/<n>` rather than `/proc/self/fd/<n>`: a script's interpreter opens the path
//! it is given after the exec, when the child's own copy of the descriptor (close-on-exec) is
//! gone; the host's stays open for as long as the [`Executable`] lives.

use std::fs::File;
use std::io;
use std::os::fd::AsRawFd as _;
use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A plugin binary held open; cheap to clone (clones share the descriptor).
#[derive(Debug, Clone)]
pub struct Executable {
    file: Arc<File>,
    opened: Identity,
}

/// What must not change between the check and a spawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Identity {
    dev: u64,
    ino: u64,
    size: u64,
    mtime: (i64, i64),
}

impl Identity {
    fn of(meta: &std::fs::Metadata) -> Self {
        Self {
            dev: meta.dev(),
            ino: meta.ino(),
            size: meta.size(),
            mtime: (meta.mtime(), meta.mtime_nsec()),
        }
    }
}

impl Executable {
    /// Opens `path` for reading (symbolic links followed; close-on-exec, so no other child
    /// inherits it). Check its content through [`file`](Self::file), then hand it to the
    /// supervisor or the probe.
    pub fn open(path: &Path) -> io::Result<Self> {
        let file = File::open(path)?;
        let opened = Identity::of(&file.metadata()?);
        Ok(Self {
            file: Arc::new(file),
            opened,
        })
    }

    /// The open file: read it (its offset is not used for the exec) to hash what will run.
    pub fn file(&self) -> &File {
        &self.file
    }

    /// The file's metadata now, from the descriptor.
    pub fn metadata(&self) -> io::Result<std::fs::Metadata> {
        self.file.metadata()
    }

    /// What to exec: the host's descriptor, after checking that the file was not rewritten in
    /// place since it was opened.
    pub(crate) fn program(&self) -> io::Result<PathBuf> {
        if Identity::of(&self.file.metadata()?) != self.opened {
            return Err(io::Error::other(
                "the binary was modified after it was verified; register the plugins again",
            ));
        }
        Ok(PathBuf::from(format!(
            "/proc/{}/fd/{}",
            std::process::id(),
            self.file.as_raw_fd()
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write as _;
    use std::os::unix::fs::PermissionsExt as _;

    #[test]
    fn a_rewrite_in_place_is_refused_and_a_rename_does_not_matter() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plugin");
        std::fs::write(&path, "#!/bin/sh\necho one\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        let exe = Executable::open(&path).unwrap();
        let program = exe.program().unwrap();
        assert!(program.starts_with(format!("/proc/{}/fd", std::process::id())));

        // Replaced by rename: the open file is still the one that was checked.
        let other = dir.path().join("other");
        std::fs::write(&other, "#!/bin/sh\necho two\n").unwrap();
        std::fs::rename(&other, &path).unwrap();
        assert_eq!(exe.program().unwrap(), program);
        let out = std::process::Command::new(&program).output().unwrap();
        assert_eq!(
            out.stdout, b"one\n",
            "a script runs from the host's descriptor"
        );

        // Rewritten in place: refused.
        let exe = Executable::open(&path).unwrap();
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(b"echo three\n")
            .unwrap();
        let e = exe.program().unwrap_err();
        assert!(
            e.to_string().contains("modified after it was verified"),
            "{e}"
        );
    }
}
