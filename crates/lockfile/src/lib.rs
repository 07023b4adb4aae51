//! The lock file of a plugin directory, `<dir>/ocm-plugins.lock`: what was installed there,
//! from where, with which bytes.
//!
//! Its name has a `.`, so no plugin manager (ours or OCM's Go managers, which skip names with
//! an extension) takes it for a plugin.
//!
//! # Format (schema version 1)
//!
//! ```json
//! {
//!   "schemaVersion": 1,
//!   "plugins": [
//!     {
//!       "file": "hello",
//!       "source": "repository",
//!       "component": "acme.org/plugins/hello",
//!       "version": "1.0.0",
//!       "repository": {"baseUrl": "http://127.0.0.1:5000", "type": "OCIRepository/v1"},
//!       "resource": {"architecture": "amd64", "name": "hello", "os": "linux", "version": "1.0.0"},
//!       "sha256": "<64 hex digits>",
//!       "size": 12345678,
//!       "signature": {"name": "default", "keyFingerprint": "sha256:<64 hex digits>"}
//!     },
//!     {
//!       "file": "my-plugin", "source": "local", "component": null, "version": null,
//!       "repository": null, "resource": null, "sha256": "…", "size": 42, "signature": null
//!     }
//!   ]
//! }
//! ```
//!
//! * `file`: the file name in the plugin directory (no `/`); entries are sorted by it and
//!   unique.
//! * `source`: `repository` (installed from a component version: `component`, `version`,
//!   `repository` (the repository spec) and `resource` (the resource's full identity) are set)
//!   or `local` (a local build added with `trust`; those four are `null`).
//! * `sha256` (lower-case hex) and `size` (bytes) of the installed file.
//! * `signature`: the signature that was verified at install, with the fingerprint of the key
//!   that verified it, or `null` when none was. The fingerprint is `sha256:<hex>` of the DER
//!   bytes of the key file's first PEM block (for a `PUBLIC KEY` block: the SubjectPublicKeyInfo,
//!   as `openssl pkey -pubin -outform DER | sha256sum` prints); of the file's bytes when it is
//!   not PEM.
//! * `policy` (optional, top level): what installs into the directory must satisfy.
//!   `{"requireSignature": {"keyFingerprints": ["sha256:<hex>", …], "signature": "default"}}`
//!   makes every install from a repository verify the component version's signature (of that
//!   name, when given) with one of those keys; an install without one is refused.
//!
//! Readers refuse another `schemaVersion`, unknown `source` values, and anything that does not
//! parse: a corrupt lock file is an error, never "nothing installed" and never "trust all".
//!
//! # Writing
//!
//! Every change happens under an exclusive `flock` of the plugin directory itself (no extra
//! file), waited for at most a deadline: concurrent installs into one directory are
//! serialised. The file is replaced atomically: a temporary `.ocm-plugins.lock-*` file in the
//! directory, fsynced, renamed over it, and the directory fsynced.
//!
//! # Example
//!
//! ```
//! use ocm_plugin_lockfile::LockFile;
//! let text = br#"{"schemaVersion":1,"plugins":[{"file":"hello","source":"local",
//!     "component":null,"version":null,"repository":null,"resource":null,
//!     "sha256":"2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824","size":5,
//!     "signature":null}]}"#;
//! let lock = LockFile::parse(text)?;
//! let entry = lock.entry("hello").ok_or("not listed")?;
//! assert_eq!(entry.size, 5);
//! assert!(lock.entry("other").is_none()); // unlisted: a manager refuses to run it
//! assert!(LockFile::parse(b"{}").is_err()); // never read as "nothing listed"
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::{
    fs::File,
    io::{self, Write as _},
    os::unix::fs::PermissionsExt as _,
    path::{Path, PathBuf},
    sync::mpsc,
    time::{Duration, Instant},
};

use ocm_plugin_types::{Identity, Raw};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

/// Result alias of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why reading, locking or writing a lock file failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file operation failed.
    #[error("{operation} {}: {cause}", path.display())]
    Io {
        /// What was being done.
        operation: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The cause.
        #[source]
        cause: io::Error,
    },
    /// The lock file does not parse. It is never treated as empty: an empty lock file would
    /// trust nothing (install) or everything (a run-time check that skips unlisted plugins).
    #[error(
        "lock file {} is corrupt: {problem}; fix it or remove it deliberately (it is never read \
         as empty)",
        path.display()
    )]
    Corrupt {
        /// The lock file.
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },
    /// Another process holds the plugin directory's lock for longer than the deadline.
    #[error(
        "{} is locked by another install, uninstall or trust (an exclusive flock of the \
         directory); gave up after {waited:?}",
        dir.display()
    )]
    LockTimeout {
        /// The plugin directory.
        dir: PathBuf,
        /// How long we waited.
        waited: Duration,
    },
}

impl Error {
    fn io(operation: &'static str, path: impl Into<PathBuf>, cause: io::Error) -> Self {
        Self::Io {
            operation,
            path: path.into(),
            cause,
        }
    }
}

/// The lock file's name in a plugin directory.
pub const LOCK_FILE: &str = "ocm-plugins.lock";
/// The schema version this crate reads and writes.
pub const SCHEMA_VERSION: u32 = 1;
/// How long a change waits for another one in the same directory, by default.
pub const DEFAULT_LOCK_WAIT: Duration = Duration::from_secs(30);

/// The lock file of a plugin directory.
///
/// ```
/// use ocm_plugin_lockfile::LockFile;
/// let dir = tempfile::tempdir()?;
/// assert!(LockFile::read(dir.path())?.is_none()); // no lock file: nothing installed yet
/// std::fs::write(dir.path().join("ocm-plugins.lock"), "{")?;
/// assert!(LockFile::read(dir.path()).is_err()); // corrupt: an error, never "empty"
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockFile {
    /// Always [`SCHEMA_VERSION`].
    #[serde(rename = "schemaVersion")]
    pub schema_version: u32,
    /// The entries, sorted by file name.
    pub plugins: Vec<LockEntry>,
    /// What installs into this directory must satisfy; absent: nothing beyond the checks every
    /// install makes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<Policy>,
}

/// The install policy of a plugin directory.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Policy {
    /// Installs from a repository must verify the component version's signature with one of
    /// these keys; absent: signatures are verified only when asked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub require_signature: Option<RequireSignature>,
}

/// Which signatures an install must verify.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RequireSignature {
    /// Fingerprints (`sha256:<hex>`, as [`key_fingerprint`] computes them) of the public keys an
    /// install may verify with. Not empty.
    pub key_fingerprints: Vec<String>,
    /// The signature that must be verified; absent: any name the installer asks for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
}

impl Default for LockFile {
    fn default() -> Self {
        Self {
            schema_version: SCHEMA_VERSION,
            plugins: Vec::new(),
            policy: None,
        }
    }
}

/// Where an installed plugin came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// A component version in a repository.
    Repository,
    /// A local build, added with `trust`.
    Local,
}

/// One installed plugin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockEntry {
    /// The file name in the plugin directory.
    pub file: String,
    /// Where it came from.
    pub source: Source,
    /// The component name (`None` for a local build).
    pub component: Option<String>,
    /// The component version (`None` for a local build).
    pub version: Option<String>,
    /// The repository spec (`None` for a local build).
    pub repository: Option<Raw>,
    /// The resource's identity (`None` for a local build).
    pub resource: Option<Identity>,
    /// SHA-256 of the file, lower-case hex.
    pub sha256: String,
    /// Size of the file in bytes.
    pub size: u64,
    /// The signature verified at install, if one was.
    pub signature: Option<SignatureRecord>,
}

/// A signature verified at install.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignatureRecord {
    /// The signature's name.
    pub name: String,
    /// `sha256:<hex>` of the verifying key (see the module docs).
    #[serde(rename = "keyFingerprint")]
    pub key_fingerprint: String,
}

impl LockFile {
    /// The lock file's path in `dir`.
    pub fn path(dir: &Path) -> PathBuf {
        dir.join(LOCK_FILE)
    }

    /// Reads the lock file of `dir`: `None` when there is none, an error when it is corrupt or
    /// of another schema version.
    pub fn read(dir: &Path) -> Result<Option<Self>> {
        let path = Self::path(dir);
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::io("reading", path, e)),
        };
        Self::parse(&bytes)
            .map(Some)
            .map_err(|problem| Error::Corrupt { path, problem })
    }

    /// Parses lock file bytes; the error says what is wrong.
    pub fn parse(bytes: &[u8]) -> std::result::Result<Self, String> {
        let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
        let Some(object) = value.as_object() else {
            return Err("not a JSON object".to_owned());
        };
        match object.get("schemaVersion") {
            Some(v) if *v == SCHEMA_VERSION => {}
            Some(v) => {
                return Err(format!(
                    "schemaVersion {v} is not supported (this version reads {SCHEMA_VERSION})"
                ));
            }
            None => return Err("schemaVersion is missing".to_owned()),
        }
        let file: Self = serde_json::from_value(value).map_err(|e| e.to_string())?;
        if let Some(required) = file
            .policy
            .as_ref()
            .and_then(|p| p.require_signature.as_ref())
        {
            if required.key_fingerprints.is_empty() {
                return Err("policy.requireSignature lists no key".to_owned());
            }
            if let Some(bad) = required
                .key_fingerprints
                .iter()
                .find(|f| !is_fingerprint(f))
            {
                return Err(format!(
                    "policy.requireSignature: {bad:?} is not sha256:<64 hex digits>"
                ));
            }
        }
        let mut seen = std::collections::BTreeSet::new();
        for entry in &file.plugins {
            check_file_name(&entry.file)?;
            if !seen.insert(&entry.file) {
                return Err(format!("{:?} is listed twice", entry.file));
            }
            if !is_sha256_hex(&entry.sha256) {
                return Err(format!("{}: sha256 is not 64 hex digits", entry.file));
            }
            let complete = entry.component.is_some()
                && entry.version.is_some()
                && entry.repository.is_some()
                && entry.resource.is_some();
            match (entry.source, complete) {
                (Source::Repository, false) => {
                    return Err(format!(
                        "{}: an entry from a repository needs component, version, repository and resource",
                        entry.file
                    ));
                }
                (Source::Local, _) if entry.component.is_some() || entry.repository.is_some() => {
                    return Err(format!(
                        "{}: a local entry has no component or repository",
                        entry.file
                    ));
                }
                _ => {}
            }
        }
        Ok(file)
    }

    /// The entry of a file name, e.g. to check a binary before running it.
    pub fn entry(&self, file: &str) -> Option<&LockEntry> {
        self.plugins.iter().find(|e| e.file == file)
    }

    /// Adds an entry or replaces the one of the same file name; keeps the order.
    pub fn upsert(&mut self, entry: LockEntry) {
        self.plugins.retain(|e| e.file != entry.file);
        self.plugins.push(entry);
        self.plugins.sort_by(|a, b| a.file.cmp(&b.file));
    }

    /// Removes the entry of a file name; whether there was one.
    pub fn remove(&mut self, file: &str) -> bool {
        let before = self.plugins.len();
        self.plugins.retain(|e| e.file != file);
        before != self.plugins.len()
    }

    /// The lock file as written: pretty JSON and a final newline.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = serde_json::to_vec_pretty(self).unwrap_or_default();
        out.push(b'\n');
        out
    }

    /// Writes the lock file into a temporary file in `dir` (fsynced); [`Prepared::commit`]
    /// renames it into place. Call with the directory locked ([`DirLock`]).
    pub fn prepare(&self, dir: &Path) -> Result<Prepared> {
        let mut temp = tempfile::Builder::new()
            .prefix(".ocm-plugins.lock-")
            .permissions(std::fs::Permissions::from_mode(0o644))
            .tempfile_in(dir)
            .map_err(|e| Error::io("creating a temporary lock file in", dir, e))?;
        let path = temp.path().to_owned();
        temp.as_file_mut()
            .write_all(&self.to_bytes())
            .and_then(|()| temp.as_file().sync_all())
            .map_err(|e| Error::io("writing", path, e))?;
        Ok(Prepared {
            temp: temp.into_temp_path(),
            dir: dir.to_owned(),
        })
    }

    /// [`prepare`](Self::prepare) and [`Prepared::commit`].
    pub fn write(&self, dir: &Path) -> Result<()> {
        self.prepare(dir)?.commit()
    }
}

/// A lock file written next to its place, not yet renamed; dropping it removes it.
#[derive(Debug)]
pub struct Prepared {
    temp: tempfile::TempPath,
    dir: PathBuf,
}

impl Prepared {
    /// Renames the file over the lock file and fsyncs the directory.
    pub fn commit(self) -> Result<()> {
        let target = LockFile::path(&self.dir);
        self.temp
            .persist(&target)
            .map_err(|e| Error::io("renaming into place", target, e.error))?;
        sync_dir(&self.dir)
    }
}

/// Fsyncs a directory, so a rename in it survives a crash.
pub fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| Error::io("syncing", dir, e))
}

/// A file name fit for a plugin directory: not empty, no `/`, not `.` or `..`, no NUL.
pub fn check_file_name(name: &str) -> std::result::Result<(), String> {
    if name.is_empty() || name == "." || name == ".." || name.contains(['/', '\0']) {
        Err(format!("{name:?} is not a file name"))
    } else {
        Ok(())
    }
}

fn is_fingerprint(text: &str) -> bool {
    text.strip_prefix("sha256:").is_some_and(is_sha256_hex)
}

/// 64 hex digits: a SHA-256 as the lock file writes it.
fn is_sha256_hex(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit())
}

/// An exclusive `flock` of a plugin directory, released on drop.
#[derive(Debug)]
pub struct DirLock {
    _file: File,
}

impl DirLock {
    /// Locks `dir`, waiting at most `wait` for another holder ([`Error::LockTimeout`] then).
    ///
    /// A blocking `flock` cannot be interrupted, so the wait happens on a thread that owns the
    /// descriptor: on timeout this returns, and the thread closes the descriptor as soon as
    /// it gets the lock, releasing it at once. This blocks the calling thread; from async code
    /// call it through `spawn_blocking`.
    pub fn acquire(dir: &Path, wait: Duration) -> Result<Self> {
        let file = File::open(dir).map_err(|e| Error::io("opening", dir, e))?;
        match file.try_lock() {
            Ok(()) => return Ok(Self { _file: file }),
            Err(std::fs::TryLockError::WouldBlock) => {}
            Err(std::fs::TryLockError::Error(e)) => return Err(Error::io("locking", dir, e)),
        }
        tracing::info!(dir = %dir.display(), ?wait, "waiting for another install in this plugin directory");
        let started = Instant::now();
        let (tx, rx) = mpsc::sync_channel(1);
        std::thread::Builder::new()
            .name("ocm-plugin-dir-lock".to_owned())
            .spawn(move || {
                let locked = file.lock().map(|()| file);
                // A gone receiver drops the file, and with it the lock.
                let _ = tx.send(locked);
            })
            .map_err(|e| Error::io("starting the lock waiter for", dir, e))?;
        match rx.recv_timeout(wait) {
            Ok(Ok(file)) => Ok(Self { _file: file }),
            Ok(Err(e)) => Err(Error::io("locking", dir, e)),
            Err(_) => Err(Error::LockTimeout {
                dir: dir.to_owned(),
                waited: started.elapsed(),
            }),
        }
    }
}

/// SHA-256 (hex) and size of a file, streamed.
pub fn hash_file(path: &Path) -> io::Result<(String, u64)> {
    hash_reader(File::open(path)?)
}

/// SHA-256 (hex) and size of everything `reader` yields, streamed: the one hashing loop behind
/// lock file entries, the manager's trust check and its capability cache.
pub fn hash_reader(mut file: impl io::Read) -> io::Result<(String, u64)> {
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    let mut size = 0u64;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        size += n as u64;
    }
    Ok((hex::encode(hasher.finalize()), size))
}

/// The fingerprint of a key file: `sha256:<hex>` of the DER of its first PEM block, or of the
/// file's bytes when it is not PEM (see the module docs).
pub fn key_fingerprint(path: &Path) -> Result<String> {
    use base64::Engine as _;
    let bytes = std::fs::read(path).map_err(|e| Error::io("reading the key", path, e))?;
    let der = std::str::from_utf8(&bytes).ok().and_then(|text| {
        let start = text.find("-----BEGIN ")?;
        let body_start = start + text[start..].find('\n')? + 1;
        let end = body_start + text[body_start..].find("-----END ")?;
        let body: String = text[body_start..end]
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        base64::engine::general_purpose::STANDARD.decode(body).ok()
    });
    Ok(format!(
        "sha256:{}",
        hex::encode(Sha256::digest(der.as_deref().unwrap_or(&bytes)))
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn entry(file: &str) -> LockEntry {
        LockEntry {
            file: file.into(),
            source: Source::Repository,
            component: Some("acme.org/plugins/hello".into()),
            version: Some("1.0.0".into()),
            repository: Some(
                Raw::from_json(r#"{"type":"DirectoryRepository/v1","path":"/r"}"#).unwrap(),
            ),
            resource: Some(Identity::from([("name".to_owned(), "hello".to_owned())])),
            sha256: "ab".repeat(32),
            size: 3,
            signature: Some(SignatureRecord {
                name: "default".into(),
                key_fingerprint: format!("sha256:{}", "cd".repeat(32)),
            }),
        }
    }

    #[test]
    fn round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let mut lock = LockFile::default();
        lock.upsert(entry("b"));
        lock.upsert(entry("a"));
        lock.upsert(LockEntry {
            source: Source::Local,
            component: None,
            version: None,
            repository: None,
            resource: None,
            signature: None,
            ..entry("c")
        });
        lock.write(dir.path()).unwrap();
        let back = LockFile::read(dir.path()).unwrap().unwrap();
        assert_eq!(back, lock);
        assert_eq!(
            back.plugins
                .iter()
                .map(|e| e.file.as_str())
                .collect::<Vec<_>>(),
            ["a", "b", "c"]
        );
        let value: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.path().join(LOCK_FILE)).unwrap()).unwrap();
        assert_eq!(value["schemaVersion"], 1);
        assert_eq!(
            value["plugins"][0]["signature"]["keyFingerprint"],
            format!("sha256:{}", "cd".repeat(32))
        );
        assert_eq!(value["plugins"][2]["source"], "local");
        assert_eq!(value["plugins"][2]["component"], json!(null));
        assert!(back.entry("c").is_some() && back.entry("d").is_none());
        // Nothing but the lock file is left.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        lock.remove("a");
        lock.write(dir.path()).unwrap();
        assert_eq!(
            LockFile::read(dir.path()).unwrap().unwrap().plugins.len(),
            2
        );
    }

    #[test]
    fn corruption_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let good = serde_json::to_value(LockFile {
            schema_version: 1,
            plugins: vec![entry("a")],
            policy: None,
        })
        .unwrap();
        let mut cases: Vec<(Vec<u8>, &str)> = vec![
            (b"".to_vec(), "EOF"),
            (b"{\"plugins\":[]".to_vec(), "EOF"),
            (b"[]".to_vec(), "not a JSON object"),
            (br#"{"plugins":[]}"#.to_vec(), "schemaVersion is missing"),
            (
                br#"{"schemaVersion":2,"plugins":[]}"#.to_vec(),
                "schemaVersion 2 is not supported",
            ),
        ];
        let mut twice = good.clone();
        twice["plugins"] = json!([good["plugins"][0], good["plugins"][0]]);
        let twice = serde_json::to_vec(&twice).unwrap();
        cases.push((twice, "listed twice"));
        let mut bad_hash = good.clone();
        bad_hash["plugins"][0]["sha256"] = json!("xyz");
        let bad_hash = serde_json::to_vec(&bad_hash).unwrap();
        cases.push((bad_hash, "64 hex digits"));
        let mut no_key = good.clone();
        no_key["policy"] = json!({"requireSignature": {"keyFingerprints": []}});
        cases.push((serde_json::to_vec(&no_key).unwrap(), "lists no key"));
        let mut bad_key = good.clone();
        bad_key["policy"] = json!({"requireSignature": {"keyFingerprints": ["abc"]}});
        cases.push((serde_json::to_vec(&bad_key).unwrap(), "is not sha256:"));
        let mut unknown = good.clone();
        unknown["policy"] = json!({"trustEverything": true});
        cases.push((serde_json::to_vec(&unknown).unwrap(), "unknown field"));
        let mut slash = good.clone();
        slash["plugins"][0]["file"] = json!("../evil");
        cases.push((serde_json::to_vec(&slash).unwrap(), "not a file name"));
        let mut incomplete = good.clone();
        incomplete["plugins"][0]["component"] = json!(null);
        cases.push((serde_json::to_vec(&incomplete).unwrap(), "needs component"));
        let mut unknown = good;
        unknown["plugins"][0]["trust"] = json!("all");
        cases.push((serde_json::to_vec(&unknown).unwrap(), "unknown field"));
        for (bytes, needle) in cases {
            std::fs::write(dir.path().join(LOCK_FILE), &bytes).unwrap();
            let e = LockFile::read(dir.path()).unwrap_err().to_string();
            assert!(
                e.contains("is corrupt") && e.contains(needle),
                "{needle}: {e}"
            );
        }
    }

    #[test]
    fn the_directory_lock_excludes_and_times_out() {
        let dir = tempfile::tempdir().unwrap();
        let held = DirLock::acquire(dir.path(), Duration::from_secs(1)).unwrap();
        let e = DirLock::acquire(dir.path(), Duration::from_millis(200)).unwrap_err();
        assert!(matches!(e, Error::LockTimeout { .. }), "{e}");
        assert!(e.to_string().contains("locked by another install"), "{e}");
        // Released on drop; the timed-out waiter gives its lock back as soon as it gets it.
        drop(held);
        let again = DirLock::acquire(dir.path(), Duration::from_secs(10)).unwrap();
        drop(again);
        // A waiter gets the lock once it is released.
        let held = DirLock::acquire(dir.path(), Duration::from_secs(1)).unwrap();
        let path = dir.path().to_owned();
        let waiter = std::thread::spawn(move || DirLock::acquire(&path, Duration::from_secs(30)));
        drop(held);
        assert!(waiter.join().unwrap().is_ok());
    }

    #[test]
    fn fingerprints() {
        let dir = tempfile::tempdir().unwrap();
        let pem = dir.path().join("k.pem");
        std::fs::write(
            &pem,
            "-----BEGIN PUBLIC KEY-----\nAAEC\nAw==\n-----END PUBLIC KEY-----\n",
        )
        .unwrap();
        assert_eq!(
            key_fingerprint(&pem).unwrap(),
            format!("sha256:{}", hex::encode(Sha256::digest([0u8, 1, 2, 3])))
        );
        let raw = dir.path().join("k.bin");
        std::fs::write(&raw, b"xyz").unwrap();
        assert_eq!(
            key_fingerprint(&raw).unwrap(),
            format!("sha256:{}", hex::encode(Sha256::digest(b"xyz")))
        );
    }
}
