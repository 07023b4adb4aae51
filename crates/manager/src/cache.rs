//! The capability cache: the `capabilities` document of every plugin binary the manager has
//! probed, so that registering a directory of unchanged binaries spawns nothing.
//!
//! An entry is keyed by the absolute path the plugin is run by, symbolic links not resolved
//! (a binary may behave by the name it is called by, as multi-call binaries do, so two links
//! to one file are two plugins). It is trusted only while the file that path resolves to has
//! the device, inode, size, mode, modification and change times recorded with it. The change time
//! (`ctime`) cannot be set by anyone but the kernel, so replacing, rewriting, `touch`ing or
//! `chmod`ing a binary all invalidate its entry. One gap remains: timestamps have a clock tick
//! of granularity, so a binary rewritten twice within one tick, to the same size, would look
//! unchanged. An entry recorded within [`RACY`] of the file's last change ([`RACY_COARSE`] on
//! file systems with whole-second timestamps) is therefore also keyed by the SHA-256 of the
//! content, checked on every use until it is old enough to be trusted by its metadata (what
//! git does for its index). Hashing costs about 20 ms per 40 MB of binary, and only right
//! after a binary changed.
//!
//! The file is `capabilities-v1.json` in the cache directory, replaced atomically (a
//! temporary file renamed over it) under an exclusive `flock` of `capabilities-v1.lock`, so
//! that hosts starting at once merge their entries instead of losing them. A file that does
//! not parse, or that belongs to another user, is treated as empty. Entries whose binary is
//! gone are dropped when the file is written.

use std::{
    collections::HashMap,
    fs::{self, File, OpenOptions},
    io::{self, Read as _, Write as _},
    os::unix::fs::{DirBuilderExt as _, MetadataExt as _, OpenOptionsExt as _},
    path::{Path, PathBuf},
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use serde::{Deserialize, Serialize};

/// How long after its last change a binary's metadata alone is not trusted, on a file system
/// with fine timestamps (nanosecond fields, moved by the kernel's clock tick of a few
/// milliseconds) ...
pub(crate) const RACY: Duration = Duration::from_millis(100);
/// ... and on one with whole-second timestamps (both nanosecond fields zero), whose tick can be
/// two seconds.
pub(crate) const RACY_COARSE: Duration = Duration::from_secs(2);
/// Most entries kept; the least recently recorded go first.
const MAX_ENTRIES: usize = 4096;
/// The cache file's name; the version changes when the format does.
const FILE: &str = "capabilities-v1.json";
const LOCK: &str = "capabilities-v1.lock";
const VERSION: u32 = 1;

/// Where [`register_plugins`](crate::PluginManager::register_plugins) keeps the capabilities
/// of the plugins it probed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum CapabilityCache {
    /// The user's cache directory: `$OCM_PLUGIN_CACHE_DIR`, else `$XDG_CACHE_HOME/ocm-plugin`,
    /// else `$HOME/.cache/ocm-plugin`. No cache when none of them is set (or
    /// `OCM_PLUGIN_CACHE_DIR` is empty).
    #[default]
    User,
    /// This directory (created, mode `0700`, if missing).
    At(PathBuf),
    /// No cache: every plugin is probed on every registration.
    Disabled,
}

impl CapabilityCache {
    /// The directory the cache lives in, if any.
    pub fn dir(&self) -> Option<PathBuf> {
        match self {
            Self::Disabled => None,
            Self::At(dir) => Some(dir.clone()),
            Self::User => {
                let absolute = |var: &str| {
                    std::env::var_os(var)
                        .map(PathBuf::from)
                        .filter(|p| p.is_absolute())
                };
                if let Some(dir) = std::env::var_os("OCM_PLUGIN_CACHE_DIR") {
                    return (!dir.is_empty()).then(|| PathBuf::from(dir));
                }
                absolute("XDG_CACHE_HOME")
                    .map(|d| d.join("ocm-plugin"))
                    .or_else(|| absolute("HOME").map(|h| h.join(".cache").join("ocm-plugin")))
            }
        }
    }
}

/// What is known about a binary's file: equal fingerprints mean "not changed" (see the module
/// docs for the one exception and how it is closed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Fingerprint {
    dev: u64,
    ino: u64,
    size: u64,
    mode: u32,
    mtime: (i64, i64),
    ctime: (i64, i64),
}

impl Fingerprint {
    fn of(meta: &fs::Metadata) -> Self {
        Self {
            dev: meta.dev(),
            ino: meta.ino(),
            size: meta.size(),
            mode: meta.mode(),
            mtime: (meta.mtime(), meta.mtime_nsec()),
            ctime: (meta.ctime(), meta.ctime_nsec()),
        }
    }

    /// Whether the file changed less than [`RACY`] ([`RACY_COARSE`] on a file system with
    /// whole-second timestamps) before `now`, or claims a time after it.
    fn is_racy(&self, now: (i64, i64)) -> bool {
        let latest = self.mtime.max(self.ctime);
        let nanos = |(s, n): (i64, i64)| i128::from(s) * 1_000_000_000 + i128::from(n);
        let window = if self.mtime.1 == 0 && self.ctime.1 == 0 {
            RACY_COARSE
        } else {
            RACY
        };
        nanos(now) - nanos(latest) < window.as_nanos() as i128
    }
}

/// One cached document.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Entry {
    fingerprint: Fingerprint,
    /// When the fingerprint was taken (seconds, nanoseconds since the epoch).
    recorded: (i64, i64),
    /// The content's SHA-256, for an entry recorded within [`RACY`] of the file's change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sha256: Option<String>,
    /// The content's SHA-256 as the trust check computed it for this fingerprint, so that an
    /// unchanged binary is not read again (see [`crate::trust`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    digest: Option<String>,
    /// The `capabilities` output, as the plugin printed it.
    document: String,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct CacheFile {
    version: u32,
    entries: HashMap<PathBuf, Entry>,
}

/// A binary looked at before registration: its cached document, or what an entry for it needs.
#[derive(Debug)]
pub(crate) enum Looked {
    /// The cache holds its document. `refresh` is a new entry to write when the old one was
    /// verified by content and is now old enough to be trusted by its metadata.
    Hit {
        document: String,
        refresh: Option<(PathBuf, Entry)>,
        /// The content's SHA-256, when the entry holds it for this fingerprint or it was
        /// computed to verify the entry.
        digest: Option<String>,
        /// The entry, to record a digest computed later.
        entry: Box<(PathBuf, Entry)>,
    },
    /// Probe it; `entry` makes the cache entry from the document.
    Miss { entry: Option<Pending> },
}

/// What an entry needs besides the document, taken before the probe ran.
#[derive(Debug)]
pub(crate) struct Pending {
    key: PathBuf,
    fingerprint: Fingerprint,
    recorded: (i64, i64),
    sha256: Option<String>,
    /// The content's SHA-256 computed by the trust check.
    pub(crate) digest: Option<String>,
}

impl Pending {
    pub(crate) fn into_entry(self, document: String) -> (PathBuf, Entry) {
        (
            self.key,
            Entry {
                fingerprint: self.fingerprint,
                recorded: self.recorded,
                sha256: self.sha256,
                digest: self.digest,
                document,
            },
        )
    }
}

impl Looked {
    /// The content's SHA-256, if this look knows it without reading the binary again.
    pub(crate) fn digest(&self) -> Option<String> {
        match self {
            Self::Hit { digest, .. } => digest.clone(),
            Self::Miss { entry } => entry
                .as_ref()
                .and_then(|e| e.digest.clone().or_else(|| e.sha256.clone())),
        }
    }

    /// Records `digest`, computed by the trust check, with the entry; returns the cache update
    /// to write, if any.
    pub(crate) fn record_digest(&mut self, digest: &str) -> Option<(PathBuf, Entry)> {
        match self {
            Self::Hit { entry, refresh, .. } => {
                let (key, entry) = refresh.take().unwrap_or_else(|| (**entry).clone());
                Some((
                    key,
                    Entry {
                        digest: Some(digest.to_owned()),
                        ..entry
                    },
                ))
            }
            Self::Miss { entry: Some(e) } => {
                e.digest = Some(digest.to_owned());
                None
            }
            Self::Miss { entry: None } => None,
        }
    }
}

/// The entries read from a cache directory.
#[derive(Debug, Default)]
pub(crate) struct Loaded {
    entries: HashMap<PathBuf, Entry>,
}

fn now() -> (i64, i64) {
    let d = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    (
        i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        i64::from(d.subsec_nanos()),
    )
}

fn sha256_of(path: &Path) -> io::Result<String> {
    ocm_plugin_lockfile::hash_file(path).map(|(sha256, _)| sha256)
}

impl Loaded {
    /// Reads the cache in `dir`. Missing, unreadable, foreign or corrupt: empty (logged).
    pub(crate) fn read(dir: &Path) -> Self {
        let path = dir.join(FILE);
        let text = match read_own(&path) {
            Ok(Some(text)) => text,
            Ok(None) => return Self::default(),
            Err(e) => {
                tracing::warn!(path = %path.display(), "capability cache not used: {e}");
                return Self::default();
            }
        };
        match serde_json::from_str::<CacheFile>(&text) {
            Ok(file) if file.version == VERSION => Self {
                entries: file.entries,
            },
            Ok(file) => {
                tracing::info!(path = %path.display(), version = file.version, "capability cache of another version ignored");
                Self::default()
            }
            Err(e) => {
                tracing::warn!(path = %path.display(), "capability cache is corrupt and is treated as empty: {e}");
                Self::default()
            }
        }
    }

    /// Looks a candidate up: by the file `path` names, or by the file `opened` holds (the
    /// binary the trust check opened, so that the document is that file's). Any error (the
    /// file vanished, cannot be hashed) is a miss without an entry: the probe decides.
    pub(crate) fn look(
        &self,
        path: &Path,
        opened: Option<&ocm_plugin_runtime::Executable>,
    ) -> Looked {
        let miss = Looked::Miss { entry: None };
        let meta = match opened {
            Some(executable) => executable.metadata(),
            None => fs::metadata(path),
        };
        let (Ok(key), Ok(meta)) = (std::path::absolute(path), meta) else {
            return miss;
        };
        let recorded = now();
        let fingerprint = Fingerprint::of(&meta);
        let racy = fingerprint.is_racy(recorded);
        // Hash at most once per look, through the open file when there is one.
        let mut content: Option<Option<String>> = None;
        let mut hash = || {
            content
                .get_or_insert_with(|| match opened {
                    Some(executable) => crate::trust::sha256(executable, path).ok(),
                    None => sha256_of(path).ok(),
                })
                .clone()
        };
        if let Some(entry) = self.entries.get(&key)
            && entry.fingerprint == fingerprint
        {
            match &entry.sha256 {
                None => {
                    return Looked::Hit {
                        document: entry.document.clone(),
                        refresh: None,
                        digest: entry.digest.clone(),
                        entry: Box::new((key.clone(), entry.clone())),
                    };
                }
                Some(expected) if hash().as_ref() == Some(expected) => {
                    let refresh = (!racy).then(|| {
                        let mut trusted = entry.clone();
                        trusted.sha256 = None;
                        trusted.recorded = recorded;
                        trusted.digest = Some(expected.clone());
                        (key.clone(), trusted)
                    });
                    return Looked::Hit {
                        document: entry.document.clone(),
                        refresh,
                        digest: Some(expected.clone()),
                        entry: Box::new((key.clone(), entry.clone())),
                    };
                }
                Some(_) => {}
            }
        }
        let sha256 = if racy {
            match hash() {
                Some(h) => Some(h),
                // Cannot be keyed safely: probe it and do not cache it.
                None => return miss,
            }
        } else {
            None
        };
        Looked::Miss {
            entry: Some(Pending {
                key,
                fingerprint,
                recorded,
                sha256,
                digest: None,
            }),
        }
    }
}

/// Reads `path` if it exists and belongs to this user and nobody else may write it.
fn read_own(path: &Path) -> io::Result<Option<String>> {
    let mut file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let meta = file.metadata()?;
    if meta.uid() != rustix::process::geteuid().as_raw() || meta.mode() & 0o022 != 0 {
        return Err(io::Error::other(
            "the file belongs to another user or others may write it",
        ));
    }
    let mut text = String::new();
    file.read_to_string(&mut text)?;
    Ok(Some(text))
}

/// Merges `updates` into the cache in `dir` under its lock and replaces the file atomically;
/// drops entries whose binary is gone and the oldest beyond [`MAX_ENTRIES`].
pub(crate) fn write(dir: &Path, updates: Vec<(PathBuf, Entry)>) -> io::Result<()> {
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)?;
    let lock = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(dir.join(LOCK))?;
    rustix::fs::flock(&lock, rustix::fs::FlockOperation::LockExclusive)?;

    let mut entries = Loaded::read(dir).entries;
    entries.extend(updates);
    entries.retain(|path, _| fs::symlink_metadata(path).is_ok());
    if entries.len() > MAX_ENTRIES {
        let mut by_age: Vec<(PathBuf, (i64, i64))> = entries
            .iter()
            .map(|(p, e)| (p.clone(), e.recorded))
            .collect();
        by_age.sort_by_key(|(_, recorded)| *recorded);
        for (path, _) in by_age.iter().take(entries.len() - MAX_ENTRIES) {
            entries.remove(path);
        }
    }
    let file = CacheFile {
        version: VERSION,
        entries,
    };
    let mut temp = tempfile::Builder::new()
        .prefix(".capabilities-")
        .suffix(".tmp")
        .tempfile_in(dir)?;
    serde_json::to_writer(io::BufWriter::new(temp.as_file_mut()), &file)?;
    temp.as_file_mut().flush()?;
    temp.persist(dir.join(FILE)).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt as _;

    fn plugin(dir: &Path, name: &str, body: &str) -> PathBuf {
        let path = dir.join(name);
        fs::write(&path, body).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
        path
    }

    fn store(dir: &Path, path: &Path, document: &str) {
        let Looked::Miss { entry: Some(entry) } = Loaded::read(dir).look(path, None) else {
            panic!("expected a miss with an entry");
        };
        write(dir, vec![entry.into_entry(document.to_owned())]).unwrap();
    }

    fn hit(dir: &Path, path: &Path) -> Option<String> {
        match Loaded::read(dir).look(path, None) {
            Looked::Hit { document, .. } => Some(document),
            Looked::Miss { .. } => None,
        }
    }

    #[test]
    fn a_stored_document_is_found_until_the_binary_changes() {
        let cache = tempfile::tempdir().unwrap();
        let bin = tempfile::tempdir().unwrap();
        let p = plugin(bin.path(), "p", "#!/bin/sh\necho one\n");
        assert_eq!(hit(cache.path(), &p), None);
        store(cache.path(), &p, "{\"doc\":1}");
        assert_eq!(hit(cache.path(), &p).as_deref(), Some("{\"doc\":1}"));

        // Same size, new content, very likely within the same timestamp tick: the content hash
        // of the fresh entry tells.
        fs::write(&p, "#!/bin/sh\necho two\n").unwrap();
        assert_eq!(hit(cache.path(), &p), None);
        // A chmod changes the fingerprint too.
        store(cache.path(), &p, "{\"doc\":2}");
        fs::set_permissions(&p, fs::Permissions::from_mode(0o700)).unwrap();
        assert_eq!(hit(cache.path(), &p), None);
    }

    #[test]
    fn two_links_to_one_binary_are_two_entries() {
        let cache = tempfile::tempdir().unwrap();
        let bin = tempfile::tempdir().unwrap();
        let target = plugin(bin.path(), "multi", "x");
        let (a, b) = (bin.path().join("a"), bin.path().join("b"));
        std::os::unix::fs::symlink(&target, &a).unwrap();
        std::os::unix::fs::symlink(&target, &b).unwrap();
        store(cache.path(), &a, "{\"as\":\"a\"}");
        assert_eq!(hit(cache.path(), &b), None);
        store(cache.path(), &b, "{\"as\":\"b\"}");
        assert_eq!(hit(cache.path(), &a).as_deref(), Some("{\"as\":\"a\"}"));
        // Pointing a link elsewhere is a change.
        let other = plugin(bin.path(), "other", "x");
        fs::remove_file(&a).unwrap();
        std::os::unix::fs::symlink(&other, &a).unwrap();
        assert_eq!(hit(cache.path(), &a), None);
    }

    #[test]
    fn racy_means_recent_or_in_the_future() {
        let f = Fingerprint {
            dev: 1,
            ino: 2,
            size: 3,
            mode: 0o755,
            mtime: (100, 0),
            ctime: (100, 5),
        };
        // Fine timestamps: 100 ms.
        assert!(f.is_racy((100, 50_000_000)));
        assert!(f.is_racy((99, 0)));
        assert!(!f.is_racy((100, 200_000_000)));
        // Whole seconds: 2 s.
        let coarse = Fingerprint {
            ctime: (100, 0),
            ..f
        };
        assert!(coarse.is_racy((101, 0)));
        assert!(!coarse.is_racy((102, 1)));
    }

    #[test]
    fn corrupt_foreign_and_other_version_files_are_empty() {
        let cache = tempfile::tempdir().unwrap();
        let bin = tempfile::tempdir().unwrap();
        let p = plugin(bin.path(), "p", "x");
        store(cache.path(), &p, "{}");
        assert!(hit(cache.path(), &p).is_some());
        let file = cache.path().join(FILE);

        fs::write(&file, "{\"version\":1,\"entries\":{").unwrap();
        assert_eq!(hit(cache.path(), &p), None);
        fs::write(&file, "{\"version\":99,\"entries\":{}}").unwrap();
        assert_eq!(hit(cache.path(), &p), None);

        // Writable by others: not trusted.
        store(cache.path(), &p, "{}");
        fs::set_permissions(&file, fs::Permissions::from_mode(0o666)).unwrap();
        assert_eq!(hit(cache.path(), &p), None);
        // Writing replaces it with a private file again, and recovers from the corrupt one.
        fs::write(&file, "garbage").unwrap();
        store(cache.path(), &p, "{}");
        assert!(hit(cache.path(), &p).is_some());
        let mode = fs::metadata(&file).unwrap().mode();
        assert_eq!(mode & 0o077, 0, "{mode:o}");
    }

    #[test]
    fn entries_of_removed_binaries_are_dropped() {
        let cache = tempfile::tempdir().unwrap();
        let bin = tempfile::tempdir().unwrap();
        let a = plugin(bin.path(), "a", "a");
        let b = plugin(bin.path(), "b", "b");
        store(cache.path(), &a, "{}");
        fs::remove_file(&a).unwrap();
        store(cache.path(), &b, "{}");
        let text = fs::read_to_string(cache.path().join(FILE)).unwrap();
        let file: CacheFile = serde_json::from_str(&text).unwrap();
        assert_eq!(file.entries.len(), 1);
        assert!(file.entries.keys().all(|k| k.ends_with("b")));
    }

    #[test]
    fn concurrent_writers_lose_nothing() {
        let cache = tempfile::tempdir().unwrap();
        let bin = tempfile::tempdir().unwrap();
        let paths: Vec<PathBuf> = (0..16)
            .map(|i| plugin(bin.path(), &format!("p{i}"), &format!("{i}")))
            .collect();
        std::thread::scope(|s| {
            for (i, p) in paths.iter().enumerate() {
                let dir = cache.path();
                s.spawn(move || store(dir, p, &format!("{{\"n\":{i}}}")));
            }
        });
        for (i, p) in paths.iter().enumerate() {
            assert_eq!(hit(cache.path(), p), Some(format!("{{\"n\":{i}}}")), "p{i}");
        }
        let leftovers: Vec<_> = fs::read_dir(cache.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty());
    }

    #[test]
    fn the_user_directory_follows_the_environment_rules() {
        assert_eq!(CapabilityCache::Disabled.dir(), None);
        assert_eq!(
            CapabilityCache::At("/x".into()).dir(),
            Some(PathBuf::from("/x"))
        );
    }
}
