use std::path::PathBuf;

/// Result alias of the manager.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why a manager operation failed as a whole. Per-plugin failures during registration are not
/// errors: they are reported per candidate in the
/// [`RegistrationReport`](crate::RegistrationReport).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The plugin directory does not exist.
    #[error("plugin directory {} does not exist: no plugins found", .0.display())]
    DirectoryNotFound(PathBuf),
    /// The directory holds no plugin candidates (files without an extension).
    #[error("no plugins found in {}", .0.display())]
    NoPluginsFound(PathBuf),
    /// Walking the directory failed.
    #[error("failed to discover plugins in {}: {source}", path.display())]
    Discovery {
        /// The path that could not be read.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// The manager's temporary directory could not be created or removed.
    #[error("temporary directory {}: {source}", path.display())]
    TempDir {
        /// The directory.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// Unix domain sockets cannot be used here, and the caller did not ask for TCP. The manager
    /// never switches to TCP on its own: a loopback port is reachable by every local user.
    #[error(
        "unix domain sockets cannot be used ({}); plugins are not started on TCP unless asked: \
         give the manager a short, writable temporary directory (PluginManager::new_in, or a \
         shorter TMPDIR; socket paths are limited to 107 bytes) or ask for TCP explicitly \
         (RegistrationOptions::connection = Some(ConnectionType::Tcp))",
        tried.iter().map(|(p, e)| format!("{}: {e}", p.display())).collect::<Vec<_>>().join("; ")
    )]
    UnixSocketsUnavailable {
        /// Every socket path tried, with why binding it failed.
        tried: Vec<(PathBuf, String)>,
    },
    /// A background registration failed unexpectedly (its task panicked).
    #[error("plugin registration failed: {0}")]
    Registration(String),
    /// The manager was shut down.
    #[error("the plugin manager has been shut down")]
    ShutDown,
    /// A blob could not be read or a request file not written.
    #[error(transparent)]
    Blob(#[from] ocm_plugin_registries::Error),
    /// Stopping some plugins failed; all were attempted.
    #[error("shutdown: {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Shutdown(Vec<ocm_plugin_runtime::Error>),
}
