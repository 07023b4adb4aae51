//! Test fixtures shared by the integration tests: plugin directories laid out from built
//! binaries, process inspection, and a real OCI registry ([`registry`]).
//!
//! The test plugin binary (`ocm-test-plugin`) chooses its behaviour from its own file name, since
//! `capabilities` receives no configuration: link it into a plugin directory under a name that
//! contains one of the keywords of [`Behaviour`].

pub mod golden;
pub mod registry;

use std::{
    os::unix::fs::symlink,
    path::{Path, PathBuf},
};

/// What the test plugin does, chosen by a keyword in its file name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behaviour {
    /// A working in-memory component version repository for `TestRepository/v1`.
    Normal,
    /// `capabilities` never returns.
    CapabilitiesHang,
    /// `capabilities` prints text that is not JSON.
    CapabilitiesGarbage,
    /// `capabilities` exits with status 3.
    CapabilitiesFail,
    /// `--config` start exits with status 7 after writing `boom` to stderr.
    CrashOnStart,
    /// Starts but never prints a location line.
    NoLocation,
    /// Floods stderr before the location line and stdout after it.
    Flood,
    /// Serves normally, but `get-component-version` panics.
    PanicOnGet,
    /// Serves normally, but `get-component-version` never answers.
    HangOnGet,
    /// Serves normally, but `add-component-version` accepts and keeps nothing (memory tests).
    Forgetful,
    /// `capabilities` prints nothing and exits 0.
    CapabilitiesSilent,
    /// `capabilities` prints 20 MiB.
    CapabilitiesHuge,
    /// Prints its location line, then exits 5 before answering anything.
    ExitAfterLocation,
    /// Serves normally, but `get-component-version` makes the process exit 9 mid-call.
    CrashOnGet,
    /// Before its location, logs non-UTF-8, non-JSON, a 1 MiB line and wrongly typed JSON
    /// on stderr; then serves normally.
    BadLogs,
}

impl Behaviour {
    /// Every behaviour with its keyword.
    pub const KEYWORDS: [(&'static str, Self); 14] = [
        ("capabilities-hang", Self::CapabilitiesHang),
        ("capabilities-garbage", Self::CapabilitiesGarbage),
        ("capabilities-fail", Self::CapabilitiesFail),
        ("crash-on-start", Self::CrashOnStart),
        ("no-location", Self::NoLocation),
        ("flood", Self::Flood),
        ("panic-on-get", Self::PanicOnGet),
        ("hang-on-get", Self::HangOnGet),
        ("forgetful", Self::Forgetful),
        ("capabilities-silent", Self::CapabilitiesSilent),
        ("capabilities-huge", Self::CapabilitiesHuge),
        ("exit-after-location", Self::ExitAfterLocation),
        ("crash-on-get", Self::CrashOnGet),
        ("bad-logs", Self::BadLogs),
    ];

    /// The behaviour a file name asks for.
    pub fn from_file_name(name: &str) -> Self {
        Self::KEYWORDS
            .iter()
            .find(|(k, _)| name.contains(k))
            .map_or(Self::Normal, |(_, b)| *b)
    }
}

/// A temporary plugin directory.
#[derive(Debug)]
pub struct PluginDir {
    dir: tempfile::TempDir,
}

impl PluginDir {
    /// An empty plugin directory.
    pub fn new() -> std::io::Result<Self> {
        Ok(Self {
            dir: tempfile::Builder::new().prefix("ocm-it-").tempdir()?,
        })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Links `binary` into the directory as `name` (the plugin id).
    pub fn add(&self, name: &str, binary: &Path) -> std::io::Result<PathBuf> {
        let path = self.dir.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        symlink(binary, &path)?;
        Ok(path)
    }

    /// Writes a plain file (for discovery tests).
    pub fn write(&self, name: &str, contents: &str, mode: u32) -> std::io::Result<PathBuf> {
        use std::os::unix::fs::PermissionsExt;
        let path = self.dir.path().join(name);
        std::fs::write(&path, contents)?;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode))?;
        Ok(path)
    }
}

/// True while a process exists, zombies included.
pub fn process_exists(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

/// The fields of `/proc/<pid>/stat` after the command name: state, parent pid, ….
fn stat_fields(pid: &str) -> Option<Vec<String>> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name is parenthesised and may itself contain spaces and parentheses.
    let rest = stat.rsplit_once(')')?.1;
    Some(rest.split_whitespace().map(str::to_owned).collect())
}

/// The state letter of a process (`Z` for a zombie), if it exists.
pub fn process_state(pid: u32) -> Option<char> {
    stat_fields(&pid.to_string())?.first()?.chars().next()
}

/// How many live processes (zombies included) have `parent` as their parent.
pub fn child_count(parent: u32) -> usize {
    let parent = parent.to_string();
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| stat_fields(&e.file_name().to_string_lossy()))
        .filter(|fields| fields.get(1) == Some(&parent))
        .count()
}
