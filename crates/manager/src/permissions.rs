//! Who else could change what the manager runs. A plugin runs with the host's rights, so a
//! plugin binary, or a directory on its way, that another user can write would let that user
//! run code as the host's user. Such a candidate is refused with the reason, whatever the trust
//! policy, as `ssh` refuses key files others can change:
//!
//! * the binary (after symbolic links): writable by its group or by others, or owned by a user
//!   other than the host's (or root);
//! * the plugin directory and its subdirectories: the same (others could add a plugin, or
//!   replace one);
//! * every directory above them, and above a linked binary: owned by someone else, or writable
//!   by group or others without the sticky bit (which, as on `/tmp`, keeps others from renaming
//!   or removing what is not theirs).

use std::{
    collections::HashMap,
    fs,
    os::unix::fs::{MetadataExt as _, PermissionsExt as _},
    path::{Path, PathBuf},
};

use crate::{Exposure, Rejection};

const GROUP_WRITE: u32 = 0o020;
const OTHER_WRITE: u32 = 0o002;
const STICKY: u32 = 0o1000;

/// Checks candidates of one walk; remembers each directory's verdict, since candidates share
/// most of their ancestors.
pub(crate) struct Permissions {
    euid: u32,
    /// The plugin directory (canonical), if a directory was walked.
    root: Option<PathBuf>,
    verdicts: HashMap<PathBuf, Option<Exposure>>,
}

impl Permissions {
    /// For the candidates found under `walked` (a plugin directory, or a single plugin file).
    pub(crate) fn new(walked: &Path) -> Self {
        let root = fs::metadata(walked)
            .is_ok_and(|m| m.is_dir())
            .then(|| fs::canonicalize(walked).ok())
            .flatten();
        Self {
            euid: rustix::process::geteuid().as_raw(),
            root,
            verdicts: HashMap::new(),
        }
    }

    /// Why `candidate` must not run, if another user could change it; `meta` is the binary's
    /// metadata (symbolic links followed), which discovery has just read.
    pub(crate) fn check(&mut self, candidate: &Path, meta: &fs::Metadata) -> Option<Rejection> {
        let exposed = |path: &Path, exposure| {
            Some(Rejection::Exposed {
                path: path.to_owned(),
                exposure,
            })
        };
        let target = match fs::canonicalize(candidate) {
            Ok(target) => target,
            Err(e) => return Some(Rejection::Unreadable(e.into())),
        };
        if let Some(exposure) = self.strict(meta) {
            return exposed(&target, exposure);
        }
        // The directory the candidate was found in (a link's own directory: whoever can write
        // it can point the link elsewhere), and the binary's real directory.
        let mut dirs: Vec<PathBuf> = Vec::new();
        if let Some(parent) = candidate.parent().and_then(|p| fs::canonicalize(p).ok()) {
            dirs.push(parent);
        }
        if let Some(parent) = target.parent() {
            dirs.push(parent.to_owned());
        }
        for dir in dirs {
            for ancestor in dir.ancestors() {
                if let Some(exposure) = self.directory(ancestor) {
                    return exposed(ancestor, exposure);
                }
            }
        }
        None
    }

    /// The verdict on one directory, remembered.
    fn directory(&mut self, dir: &Path) -> Option<Exposure> {
        if let Some(verdict) = self.verdicts.get(dir) {
            return *verdict;
        }
        let inside = self
            .root
            .as_deref()
            .is_some_and(|root| dir.starts_with(root));
        let verdict = match fs::metadata(dir) {
            // A directory we cannot stat cannot be judged; the file checks already passed
            // through it, so it is searchable: let its readable parts decide.
            Err(_) => None,
            Ok(meta) if inside => self.strict(&meta),
            Ok(meta) => self.lenient(&meta),
        };
        self.verdicts.insert(dir.to_owned(), verdict);
        verdict
    }

    /// For the binary and the plugin directory: nobody else may write it.
    fn strict(&self, meta: &fs::Metadata) -> Option<Exposure> {
        self.owner(meta)
            .or_else(|| writable(meta.permissions().mode()))
    }

    /// For directories above: others may write only where the sticky bit protects entries.
    fn lenient(&self, meta: &fs::Metadata) -> Option<Exposure> {
        let mode = meta.permissions().mode();
        self.owner(meta)
            .or_else(|| (mode & STICKY == 0).then(|| writable(mode)).flatten())
    }

    fn owner(&self, meta: &fs::Metadata) -> Option<Exposure> {
        let uid = meta.uid();
        (uid != self.euid && uid != 0).then_some(Exposure::ForeignOwner { uid })
    }
}

fn writable(mode: u32) -> Option<Exposure> {
    if mode & OTHER_WRITE != 0 {
        Some(Exposure::WorldWritable {
            mode: mode & 0o7777,
        })
    } else if mode & GROUP_WRITE != 0 {
        Some(Exposure::GroupWritable {
            mode: mode & 0o7777,
        })
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs::Permissions as Mode;

    fn binary(dir: &Path, name: &str, mode: u32) -> PathBuf {
        let path = dir.join(name);
        fs::write(&path, "#!/bin/sh\n").unwrap();
        fs::set_permissions(&path, Mode::from_mode(mode)).unwrap();
        path
    }

    fn exposure(rejection: Option<Rejection>) -> Option<(PathBuf, Exposure)> {
        match rejection {
            None => None,
            Some(Rejection::Exposed { path, exposure }) => Some((path, exposure)),
            Some(other) => panic!("unexpected rejection: {other}"),
        }
    }

    #[test]
    fn binaries_others_can_write_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let root = fs::canonicalize(dir.path()).unwrap();
        let mut check = Permissions::new(&root);
        let fine = binary(&root, "fine", 0o755);
        assert_eq!(
            exposure(check.check(&fine, &fs::metadata(&fine).unwrap())),
            None
        );
        let group = binary(&root, "group", 0o775);
        assert_eq!(
            exposure(check.check(&group, &fs::metadata(&group).unwrap())),
            Some((group.clone(), Exposure::GroupWritable { mode: 0o775 }))
        );
        let world = binary(&root, "world", 0o757);
        assert_eq!(
            exposure(check.check(&world, &fs::metadata(&world).unwrap())),
            Some((world.clone(), Exposure::WorldWritable { mode: 0o757 }))
        );
        // Through a link, the binary it points at is judged.
        let linked = root.join("linked");
        std::os::unix::fs::symlink(&world, &linked).unwrap();
        assert_eq!(
            exposure(check.check(&linked, &fs::metadata(&linked).unwrap())),
            Some((world, Exposure::WorldWritable { mode: 0o757 }))
        );
    }

    #[test]
    fn a_plugin_directory_others_can_write_is_refused_even_when_sticky() {
        let dir = tempfile::tempdir().unwrap();
        let root = fs::canonicalize(dir.path()).unwrap();
        let sub = root.join("sub");
        fs::create_dir(&sub).unwrap();
        let plugin = binary(&sub, "plugin", 0o755);
        fs::set_permissions(&sub, Mode::from_mode(0o1777)).unwrap();
        let mut check = Permissions::new(&root);
        assert_eq!(
            exposure(check.check(&plugin, &fs::metadata(&plugin).unwrap())),
            Some((sub.clone(), Exposure::WorldWritable { mode: 0o1777 }))
        );
        fs::set_permissions(&sub, Mode::from_mode(0o770)).unwrap();
        let mut check = Permissions::new(&root);
        assert_eq!(
            exposure(check.check(&plugin, &fs::metadata(&plugin).unwrap())),
            Some((sub, Exposure::GroupWritable { mode: 0o770 }))
        );
    }

    /// Above the plugin directory a sticky, world-writable directory (as `/tmp`) is fine; one
    /// without the sticky bit is not.
    #[test]
    fn directories_above_may_be_shared_only_when_sticky() {
        let dir = tempfile::tempdir().unwrap();
        let shared = fs::canonicalize(dir.path()).unwrap().join("shared");
        let plugins = shared.join("plugins");
        fs::create_dir_all(&plugins).unwrap();
        let plugin = binary(&plugins, "plugin", 0o755);
        fs::set_permissions(&shared, Mode::from_mode(0o1777)).unwrap();
        assert_eq!(
            exposure(Permissions::new(&plugins).check(&plugin, &fs::metadata(&plugin).unwrap())),
            None
        );
        fs::set_permissions(&shared, Mode::from_mode(0o777)).unwrap();
        assert_eq!(
            exposure(Permissions::new(&plugins).check(&plugin, &fs::metadata(&plugin).unwrap())),
            Some((shared.clone(), Exposure::WorldWritable { mode: 0o777 }))
        );
        fs::set_permissions(&shared, Mode::from_mode(0o755)).unwrap();
    }

    /// A binary owned by another user (not root) is refused. Creating one needs root: as any
    /// other user this checks what can be checked (the owner's own binaries pass) and says so.
    #[test]
    fn binaries_of_other_users_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let root = fs::canonicalize(dir.path()).unwrap();
        let plugin = binary(&root, "plugin", 0o755);
        assert_eq!(
            exposure(Permissions::new(&root).check(&plugin, &fs::metadata(&plugin).unwrap())),
            None
        );
        if !rustix::process::geteuid().is_root() {
            eprintln!("SKIPPED the foreign-owner case: only root can give a file to another user");
            return;
        }
        let nobody = 65534;
        std::os::unix::fs::chown(&plugin, Some(nobody), None).unwrap();
        assert_eq!(
            exposure(Permissions::new(&root).check(&plugin, &fs::metadata(&plugin).unwrap())),
            Some((plugin.clone(), Exposure::ForeignOwner { uid: nobody }))
        );
        std::os::unix::fs::chown(&plugin, Some(0), None).unwrap();
        std::os::unix::fs::chown(&root, Some(nobody), None).unwrap();
        assert_eq!(
            exposure(Permissions::new(&root).check(&plugin, &fs::metadata(&plugin).unwrap())),
            Some((root.clone(), Exposure::ForeignOwner { uid: nobody }))
        );
        std::os::unix::fs::chown(&root, Some(0), None).unwrap();
    }
}
