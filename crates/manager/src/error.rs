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
    /// The lock file the trust policy names could not be read.
    #[error("lock file {}: {source}", path.display())]
    LockFile {
        /// The lock file.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// The lock file does not parse. Registration stops: a corrupt lock file is never read as
    /// "nothing listed" or as "no lock file" (which would run anything).
    #[error(
        "lock file {} is corrupt: {problem}; no plugin was registered (fix it, or remove it deliberately to run unlisted plugins)",
        path.display()
    )]
    CorruptLockFile {
        /// The lock file.
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },
    /// The manager was shut down.
    #[error("the plugin manager has been shut down")]
    ShutDown,
    /// A blob could not be read or a request file not written.
    #[error(transparent)]
    Blob(#[from] ocm_plugin_registries::Error),
    /// No plugin serves what a signing operation needs (a repository or signing handler type).
    #[error("no {what} for this spec: {source}")]
    Plugin {
        /// The capability looked for.
        what: &'static str,
        /// Why the look-up failed (unknown type, rejected plugin, start failure).
        source: Box<ocm_plugin_registries::Error>,
    },
    /// Reading or storing a component version through its repository plugin failed.
    #[error("{operation} component version {component}:{version}: {source}")]
    ComponentVersion {
        /// `reading` or `storing the signed`.
        operation: &'static str,
        /// The component name.
        component: String,
        /// The version.
        version: String,
        /// The plugin's error.
        source: ocm_plugin_contracts::Error,
    },
    /// The descriptor cannot be signed or verified as it is: OCM cannot read it, it is not
    /// safely digestible, an algorithm is unsupported, or (verifying) its digest differs from
    /// the one the signature signed.
    #[error("{component}: {source}")]
    Descriptor {
        /// `name:version` of the component version (and the signature, when verifying).
        component: String,
        /// What is wrong, from the normalisation.
        source: ocm_plugin_signing::Error,
    },
    /// Signing would replace an existing signature, and replacing was not asked for.
    #[error("signature {name:?} already exists on {component} (sign with force to replace it)")]
    SignatureExists {
        /// The signature's name.
        name: String,
        /// `name:version` of the component version.
        component: String,
    },
    /// No signature to verify: the name asked for is not there, or there are none.
    #[error(
        "{}",
        match (name, available.is_empty()) {
            (_, true) => format!("{component} has no signatures"),
            (Some(name), false) => format!(
                "{component} has no signature {name:?} (it has: {})",
                available.join(", ")
            ),
            (None, false) => format!("{component}: no signature selected"),
        }
    )]
    SignatureNotFound {
        /// The name asked for (`None`: all).
        name: Option<String>,
        /// `name:version` of the component version.
        component: String,
        /// The names of the signatures it has.
        available: Vec<String>,
    },
    /// The signing handler failed to sign.
    #[error("signing {component} as {name:?} failed: {source}")]
    Signer {
        /// The signature's name.
        name: String,
        /// `name:version` of the component version.
        component: String,
        /// The handler's error.
        source: ocm_plugin_contracts::Error,
    },
    /// The digest matched but the signing handler refused the signature (wrong key, tampered
    /// value, untrusted certificate chain, unsupported signature algorithm).
    #[error("signature {name:?} of {component} is invalid: {source}")]
    SignatureInvalid {
        /// The signature's name.
        name: String,
        /// `name:version` of the component version.
        component: String,
        /// The handler's reason.
        source: ocm_plugin_contracts::Error,
    },
    /// A descriptor could not be turned into JSON (it holds a value JSON cannot).
    #[error("encoding the descriptor failed: {0}")]
    Encode(String),
    /// Stopping some plugins failed; all were attempted.
    #[error("shutdown: {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Shutdown(Vec<ocm_plugin_runtime::Error>),
}

impl Error {
    pub(crate) fn plugin(what: &'static str, source: ocm_plugin_registries::Error) -> Self {
        Self::Plugin {
            what,
            source: Box::new(source),
        }
    }

    pub(crate) fn component_version(
        operation: &'static str,
        target: &crate::signing::ComponentVersionRef,
        source: ocm_plugin_contracts::Error,
    ) -> Self {
        Self::ComponentVersion {
            operation,
            component: target.component.clone(),
            version: target.version.clone(),
            source,
        }
    }
}
