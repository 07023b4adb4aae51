use std::path::PathBuf;

/// Result alias of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why publishing, installing, or reading a lock file or registry config failed. Every variant
/// names what it was working on (path, component, version, operation), so the message alone
/// tells a user what to fix. The underlying error (`cause`) is part of the message rather than
/// [`source`](std::error::Error::source), so printing the chain (`{:#}` of anyhow) does not
/// repeat it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A reference (`<repository>//<component>[:<version>]`) or repository does not parse.
    #[error("invalid reference {reference:?}: {problem}")]
    Reference {
        /// The text as given.
        reference: String,
        /// What was expected.
        problem: String,
    },
    /// A platform is not `<os>/<architecture>`.
    #[error(
        "invalid platform {0:?}: expected <os>/<architecture> with Go's names, e.g. linux/amd64, \
         linux/arm64, darwin/arm64"
    )]
    Platform(String),
    /// An argument is invalid (a component name, a version, a plugin name).
    #[error("{0}")]
    Invalid(String),
    /// No version of a component is a semantic version, so none can be chosen as the highest.
    #[error(
        "{component}: no version to choose: {}",
        if versions.is_empty() {
            "the repository has none".to_owned()
        } else {
            format!("none of its versions is a semantic version ({}); give one explicitly", versions.join(", "))
        }
    )]
    NoVersion {
        /// The component name.
        component: String,
        /// The versions the repository listed.
        versions: Vec<String>,
    },
    /// No component version repository plugin serves the repository spec.
    #[error("no component version repository plugin for {repository}: {cause}")]
    RepositoryPlugin {
        /// The repository spec, as JSON.
        repository: String,
        /// Why the look-up failed.
        cause: Box<ocm_plugin_manager::RegistryError>,
    },
    /// A repository operation failed.
    #[error("{operation} {component}:{version}: {cause}")]
    Repository {
        /// What was being done, e.g. `reading`, `uploading a resource of`.
        operation: &'static str,
        /// The component name.
        component: String,
        /// The version (empty when listing versions).
        version: String,
        /// The plugin's error.
        cause: ocm_plugin_manager::contracts::Error,
    },
    /// No `ocmPlugin` resource matches the platform (and resource name).
    #[error(
        "{component}:{version} has no ocmPlugin resource for {wanted}; {}",
        if available.is_empty() {
            "it has no ocmPlugin resources at all".to_owned()
        } else {
            format!("it has: {}", available.join(", "))
        }
    )]
    NoMatchingResource {
        /// The component name.
        component: String,
        /// The version.
        version: String,
        /// The identity looked for, e.g. `linux/arm64` or `hello on linux/arm64`.
        wanted: String,
        /// Every `ocmPlugin` resource as `<name> <os>/<architecture>`.
        available: Vec<String>,
    },
    /// Several `ocmPlugin` resources match.
    #[error(
        "{component}:{version} has several ocmPlugin resources for {wanted} ({}); choose one with \
         --resource-name",
        candidates.join(", ")
    )]
    AmbiguousResource {
        /// The component name.
        component: String,
        /// The version.
        version: String,
        /// The identity looked for.
        wanted: String,
        /// The matching resources' identities.
        candidates: Vec<String>,
    },
    /// A resource has no digest this crate can check (SHA-256 over the blob).
    #[error(
        "resource {resource} of {component}:{version} has no SHA-256 blob digest ({found}); \
         refusing to install bytes that cannot be checked"
    )]
    MissingDigest {
        /// The component name.
        component: String,
        /// The version.
        version: String,
        /// The resource's identity.
        resource: String,
        /// What the descriptor has instead.
        found: String,
    },
    /// The downloaded bytes are not the ones the descriptor (or lock file) names.
    #[error(
        "digest mismatch for resource {resource} of {component}: expected sha256:{expected}, \
         downloaded sha256:{actual} ({size} bytes); nothing was installed"
    )]
    DigestMismatch {
        /// `<component>:<version>`.
        component: String,
        /// The resource's identity.
        resource: String,
        /// The expected SHA-256 (hex).
        expected: String,
        /// The SHA-256 of the downloaded bytes.
        actual: String,
        /// How many bytes were downloaded.
        size: u64,
    },
    /// The downloaded size is not the one recorded.
    #[error(
        "size mismatch for resource {resource} of {component}: expected {expected} bytes, \
         downloaded {actual}; nothing was installed"
    )]
    SizeMismatch {
        /// `<component>:<version>`.
        component: String,
        /// The resource's identity.
        resource: String,
        /// The expected size.
        expected: u64,
        /// The downloaded size.
        actual: u64,
    },
    /// A binary does not answer `capabilities` with a valid document.
    #[error("{} is not an OCM plugin ({what}): {cause}", path.display())]
    NotAPlugin {
        /// The binary.
        path: PathBuf,
        /// What it is: a binary to publish, a downloaded resource, a local build.
        what: String,
        /// Why the probe failed.
        cause: Box<ocm_plugin_manager::ProcessError>,
    },
    /// The component version's signature does not verify.
    #[error("signature verification of {component}:{version} failed: {cause}")]
    Verification {
        /// The component name.
        component: String,
        /// The version.
        version: String,
        /// The manager's reason (no such signature, digest mismatch, invalid signature).
        cause: Box<ocm_plugin_manager::Error>,
    },
    /// Signing the published component version failed.
    #[error("signing {component}:{version} failed: {cause}")]
    Signing {
        /// The component name.
        component: String,
        /// The version.
        version: String,
        /// The manager's reason.
        cause: Box<ocm_plugin_manager::Error>,
    },
    /// A blob handed over by a plugin could not be read.
    #[error("{operation} {component}:{version}: {cause}")]
    Blob {
        /// What was being done.
        operation: &'static str,
        /// The component name.
        component: String,
        /// The version.
        version: String,
        /// The cause.
        cause: Box<ocm_plugin_manager::Error>,
    },
    /// A file operation failed.
    #[error("{operation} {}: {cause}", path.display())]
    Io {
        /// What was being done, e.g. `reading`, `renaming into place`.
        operation: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The cause.
        cause: std::io::Error,
    },
    /// Reading, locking or writing the plugin directory's lock file failed (a corrupt lock
    /// file, another install holding the directory too long, a file operation).
    #[error(transparent)]
    LockFile(#[from] ocm_plugin_lockfile::Error),
    /// The registry config file does not parse.
    #[error("registry config {} is corrupt: {problem}", path.display())]
    CorruptRegistryConfig {
        /// The config file.
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },
    /// The plugin directory's policy does not allow this install.
    #[error(
        "the install policy of {} requires a verified signature by one of the keys {}: {problem}; give --verify-with KEY.pem",
        dir.display(),
        keys.join(", ")
    )]
    Policy {
        /// The plugin directory.
        dir: PathBuf,
        /// The fingerprints of the keys it accepts.
        keys: Vec<String>,
        /// What is missing.
        problem: String,
    },
    /// A different file of the same name is installed and replacing it was not asked for.
    #[error(
        "{} already exists with other content (sha256:{existing}, the new one is sha256:{new}); \
         use --force to replace it",
        path.display()
    )]
    Exists {
        /// The installed file.
        path: PathBuf,
        /// Its SHA-256.
        existing: String,
        /// The SHA-256 of what would replace it.
        new: String,
    },
    /// `uninstall` of a plugin that is neither a file nor a lock file entry.
    #[error("{name} is not installed in {} (no such file and no lock file entry)", dir.display())]
    NotInstalled {
        /// The plugin's file name.
        name: String,
        /// The plugin directory.
        dir: PathBuf,
    },
    /// A locally trusted build is missing or changed, so a locked install cannot restore it.
    #[error(
        "{} is a local build recorded with sha256:{expected}, but it is {found}; rebuild it and \
         run `ocm-plugin trust` again",
        path.display()
    )]
    LocalBuildChanged {
        /// The file.
        path: PathBuf,
        /// The recorded SHA-256.
        expected: String,
        /// What was found (`missing`, or `sha256:<hex>`).
        found: String,
    },
    /// A plugin registry lookup failed.
    #[error("{0}")]
    Registry(String),
}

impl Error {
    pub(crate) fn io(
        operation: &'static str,
        path: impl Into<PathBuf>,
        cause: std::io::Error,
    ) -> Self {
        Self::Io {
            operation,
            path: path.into(),
            cause,
        }
    }

    pub(crate) fn repository(
        operation: &'static str,
        component: &str,
        version: &str,
        cause: ocm_plugin_manager::contracts::Error,
    ) -> Self {
        Self::Repository {
            operation,
            component: component.to_owned(),
            version: version.to_owned(),
            cause,
        }
    }
}
