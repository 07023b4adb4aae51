//! Finding plugin candidates in a directory (spec §1, with the executable check and per-file
//! isolation that Go lacks).

use std::{
    collections::HashMap,
    fs,
    os::unix::fs::PermissionsExt,
    path::{Path, PathBuf},
};

use crate::permissions::Permissions;
use crate::{Error, Outcome, Rejection, Result, Skip};

/// A file found in the plugin directory.
#[derive(Debug)]
pub(crate) struct Found {
    pub(crate) path: PathBuf,
    /// The plugin id: the file name.
    pub(crate) id: String,
    /// `None` while it is still a candidate (it passed the file checks); registration decides
    /// its outcome.
    pub(crate) outcome: Option<Outcome>,
    /// The binary as the trust check opened and verified it: what runs.
    pub(crate) executable: Option<ocm_plugin_runtime::Executable>,
    /// What the trust check found.
    pub(crate) trust: crate::TrustState,
}

/// Every file under `dir`, in discovery order: those that pass the file checks are candidates,
/// the others carry the reason they are not.
pub(crate) fn discover(dir: &Path) -> Result<Vec<Found>> {
    let meta = match fs::metadata(dir) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Error::DirectoryNotFound(dir.to_owned()));
        }
        Err(source) => {
            return Err(Error::Discovery {
                path: dir.to_owned(),
                source,
            });
        }
    };
    let mut out = Vec::new();
    let mut permissions = Permissions::new(dir);
    if meta.is_dir() {
        walk(dir, &mut permissions, &mut out).map_err(|source| Error::Discovery {
            path: dir.to_owned(),
            source,
        })?;
    } else {
        // A single plugin path works too.
        out.push(check_file(dir.to_owned(), &mut permissions));
    }
    let mut seen: HashMap<String, PathBuf> = HashMap::new();
    for c in &mut out {
        if c.outcome.is_some() {
            continue;
        }
        if let Some(first) = seen.get(&c.id) {
            c.outcome = Some(Outcome::Rejected(Rejection::DuplicateId {
                id: c.id.clone(),
                first: first.clone(),
            }));
        } else {
            seen.insert(c.id.clone(), c.path.clone());
        }
    }
    // Rejected files count as found: the report says why they could not be used.
    if !out
        .iter()
        .any(|c| !matches!(c.outcome, Some(Outcome::Skipped(_))))
    {
        return Err(Error::NoPluginsFound(dir.to_owned()));
    }
    Ok(out)
}

/// Depth-first, entries in lexical order, like Go's `filepath.Walk`. A subdirectory that cannot
/// be read becomes a rejected candidate instead of aborting the walk.
fn walk(dir: &Path, permissions: &mut Permissions, out: &mut Vec<Found>) -> std::io::Result<()> {
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for path in entries {
        let Ok(lmeta) = fs::symlink_metadata(&path) else {
            continue;
        };
        if lmeta.is_dir() {
            if let Err(e) = walk(&path, permissions, out) {
                out.push(found(
                    path,
                    Some(Outcome::Rejected(Rejection::UnreadableDirectory(e.into()))),
                ));
            }
        } else if lmeta.file_type().is_symlink() && path.is_dir() {
            out.push(found(path, Some(Outcome::Skipped(Skip::DirectoryLink))));
        } else {
            out.push(check_file(path, permissions));
        }
    }
    Ok(())
}

fn found(path: PathBuf, outcome: Option<Outcome>) -> Found {
    let id = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    Found {
        path,
        id,
        outcome,
        executable: None,
        trust: crate::TrustState::Unchecked,
    }
}

/// The naming rule of Go (a name with any `.` has an extension and is skipped, dot-files
/// included), then our checks: a regular file (symlinks followed) with an executable bit.
/// Last, nothing another user could change runs (see `permissions`).
fn check_file(path: PathBuf, permissions: &mut Permissions) -> Found {
    let mut c = found(path, None);
    c.outcome = if c.id.contains('.') {
        Some(Outcome::Skipped(Skip::Extension))
    } else {
        match fs::metadata(&c.path) {
            Err(e) => Some(Outcome::Rejected(Rejection::Unreadable(e.into()))),
            Ok(m) if !m.is_file() => Some(Outcome::Rejected(Rejection::NotRegularFile)),
            Ok(m) if m.permissions().mode() & 0o111 == 0 => {
                Some(Outcome::Rejected(Rejection::NotExecutable))
            }
            Ok(m) => permissions.check(&c.path, &m).map(Outcome::Rejected),
        }
    };
    c
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn touch(path: &Path, mode: u32) {
        fs::write(path, "#!/bin/sh\n").unwrap();
        fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
    }

    #[test]
    fn applies_naming_and_file_rules() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        touch(&d.join("b-plugin"), 0o755);
        touch(&d.join("a.sh"), 0o755);
        touch(&d.join(".hidden"), 0o755);
        touch(&d.join("LICENSE"), 0o644);
        fs::create_dir(d.join("sub")).unwrap();
        touch(&d.join("sub/a-plugin"), 0o755);
        touch(&d.join("sub/b-plugin"), 0o755);
        symlink(d.join("sub"), d.join("linkdir")).unwrap();
        symlink(d.join("b-plugin"), d.join("c-link")).unwrap();

        let found = discover(d).unwrap();
        let summary: Vec<(String, String)> = found
            .iter()
            .map(|c| {
                let rel = c.path.strip_prefix(d).unwrap().display().to_string();
                let o = match &c.outcome {
                    None => "pending".to_owned(),
                    Some(o @ (Outcome::Skipped(_) | Outcome::Rejected(_))) => o.to_string(),
                    Some(Outcome::Registered { .. }) => unreachable!(),
                };
                (rel, o)
            })
            .collect();
        let expect = [
            (".hidden", "skipped: the name has an extension"),
            (
                "LICENSE",
                "rejected: not executable (no execute permission bit set)",
            ),
            ("a.sh", "skipped: the name has an extension"),
            ("b-plugin", "pending"),
            ("c-link", "pending"),
            (
                "linkdir",
                "skipped: symbolic link to a directory is not followed",
            ),
            ("sub/a-plugin", "pending"),
        ];
        for (i, (p, o)) in expect.iter().enumerate() {
            assert_eq!(summary[i].0, *p);
            assert_eq!(summary[i].1, *o, "{p}");
        }
        assert_eq!(summary[7].0, "sub/b-plugin");
        assert!(matches!(
            &found[7].outcome,
            Some(Outcome::Rejected(Rejection::DuplicateId { id, first })) if id == "b-plugin" && first == &d.join("b-plugin")
        ));
        assert!(
            summary[7]
                .1
                .starts_with("rejected: duplicate plugin id \"b-plugin\""),
            "{}",
            summary[7].1
        );
    }

    #[test]
    fn missing_and_empty_directories_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            discover(&dir.path().join("nope")),
            Err(Error::DirectoryNotFound(_))
        ));
        assert!(matches!(
            discover(dir.path()),
            Err(Error::NoPluginsFound(_))
        ));
        touch(&dir.path().join("x.txt"), 0o755);
        assert!(matches!(
            discover(dir.path()),
            Err(Error::NoPluginsFound(_))
        ));
    }

    #[test]
    fn a_single_file_is_a_candidate() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("solo");
        touch(&p, 0o755);
        let found = discover(&p).unwrap();
        assert_eq!(found.len(), 1);
        assert!(found[0].outcome.is_none());
    }
}
