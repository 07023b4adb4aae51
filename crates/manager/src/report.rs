use std::{fmt, path::PathBuf, sync::Arc};

use ocm_plugin_types::{CapabilityKind, PluginCapabilities, Type};

/// What happened to each file found in a plugin directory.
#[derive(Debug, Clone, Default)]
pub struct RegistrationReport {
    /// Every file looked at, in discovery order.
    pub candidates: Vec<Candidate>,
}

impl RegistrationReport {
    /// Plugins that were registered.
    pub fn registered(&self) -> impl Iterator<Item = &Candidate> {
        self.candidates
            .iter()
            .filter(|c| matches!(c.outcome, Outcome::Registered { .. }))
    }

    /// Candidates that were rejected, with the reason.
    pub fn rejected(&self) -> impl Iterator<Item = &Candidate> {
        self.candidates
            .iter()
            .filter(|c| matches!(c.outcome, Outcome::Rejected(_)))
    }
}

/// One file of a plugin directory.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// Where it is.
    pub path: PathBuf,
    /// Plugin id: the file name.
    pub id: String,
    /// What became of it.
    pub outcome: Outcome,
}

/// The fate of a [`Candidate`].
#[derive(Debug, Clone)]
pub enum Outcome {
    /// Registered; started on first use.
    Registered {
        /// What it declared.
        capabilities: PluginCapabilities,
        /// Things worth knowing that did not prevent registration.
        warnings: Vec<String>,
        /// Whether `capabilities` came from the capability cache instead of a probe.
        cached: bool,
        /// What the lock file said about the binary.
        trust: TrustState,
    },
    /// Not a plugin by the naming rule, or not followed.
    Skipped(Skip),
    /// Looked like a plugin but could not be registered.
    Rejected(Rejection),
}

/// Why a file of a plugin directory is not a candidate at all (nothing wrong with it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Skip {
    /// The name has a `.` (Go's rule: an extension, dot-files included).
    #[error("the name has an extension")]
    Extension,
    /// A symbolic link to a directory: the walk does not follow those (no cycles).
    #[error("symbolic link to a directory is not followed")]
    DirectoryLink,
}

/// What the run-time trust check found for a registered plugin (see
/// [`Trust`](crate::Trust)).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TrustState {
    /// No lock file applies (none in the plugin directory, or the check is off).
    Unchecked,
    /// Its SHA-256 is the one in the lock file; exactly these bytes run.
    Verified {
        /// The binary's SHA-256 (hex).
        sha256: String,
    },
    /// It is not in the lock file and runs because the host allowed unlisted plugins.
    Unlisted {
        /// The lock file it is missing from.
        lock_file: PathBuf,
    },
}

impl fmt::Display for TrustState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unchecked => f.write_str("not checked (no lock file)"),
            Self::Verified { sha256 } => {
                write!(f, "verified against the lock file (sha256:{sha256})")
            }
            Self::Unlisted { lock_file } => write!(
                f,
                "NOT in the lock file {} (allowed by the host)",
                lock_file.display()
            ),
        }
    }
}

/// What lets another user change a plugin binary or a directory on its way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Exposure {
    /// Members of its group may write it.
    #[error("is writable by its group (mode {mode:04o})")]
    GroupWritable {
        /// Its permission bits.
        mode: u32,
    },
    /// Anyone may write it.
    #[error("is writable by anyone (mode {mode:04o})")]
    WorldWritable {
        /// Its permission bits.
        mode: u32,
    },
    /// It belongs to another user (neither this one nor root).
    #[error("belongs to another user (uid {uid})")]
    ForeignOwner {
        /// The owner.
        uid: u32,
    },
}

/// Why a candidate could not be registered. Each reason is its own variant, so a host can act
/// on it (for instance tell a broken binary from a configuration it did not give) without
/// parsing text; the text is what `ocm-plugin list` prints.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Rejection {
    /// A subdirectory of the plugin directory could not be read.
    #[error("cannot read directory: {0}")]
    UnreadableDirectory(#[source] Arc<std::io::Error>),
    /// The file's metadata could not be read.
    #[error("cannot stat: {0}")]
    Unreadable(#[source] Arc<std::io::Error>),
    /// A directory entry that is neither a regular file nor a link to one.
    #[error("not a regular file")]
    NotRegularFile,
    /// No execute permission bit is set.
    #[error("not executable (no execute permission bit set)")]
    NotExecutable,
    /// Another user could change the binary, or a directory on its way, and so run code with
    /// this user's rights; refused whatever the trust policy (see [`Exposure`]).
    #[error(
        "{} {exposure}: another user could change what runs as this user (fix: chmod go-w, or chown to this user)",
        path.display()
    )]
    Exposed {
        /// The binary or directory at fault.
        path: PathBuf,
        /// What lets others change it.
        exposure: Exposure,
    },
    /// The binary differs from what was installed: its SHA-256 is not the lock file's.
    #[error(
        "{} was modified since it was installed: the lock file {} has sha256:{expected}, the file is sha256:{actual} (reinstall it: ocm-plugin install --plugin-dir <dir>)",
        path.display(),
        lock_file.display()
    )]
    Modified {
        /// The binary.
        path: PathBuf,
        /// The lock file.
        lock_file: PathBuf,
        /// The SHA-256 the lock file records.
        expected: String,
        /// The binary's SHA-256.
        actual: String,
    },
    /// The plugin directory has a lock file and the binary is not in it.
    #[error(
        "{} is not in the lock file {}: install it with `ocm-plugin install`, or record a local build with `ocm-plugin trust`",
        path.display(),
        lock_file.display()
    )]
    Unlisted {
        /// The binary.
        path: PathBuf,
        /// The lock file.
        lock_file: PathBuf,
    },
    /// Another file of the same walk has the same name (the plugin id).
    #[error("duplicate plugin id {id:?}: already used by {}", first.display())]
    DuplicateId {
        /// The id both files have.
        id: String,
        /// The file that has it first, in discovery order.
        first: PathBuf,
    },
    /// An earlier registration of this manager registered a plugin with the same id.
    #[error("a plugin with id {id:?} is already registered in this manager")]
    AlreadyRegistered {
        /// The id.
        id: String,
    },
    /// Running `capabilities` failed: it could not start, failed, timed out, or printed
    /// something that is not a capabilities document.
    #[error("{0}")]
    Probe(#[source] ocm_plugin_runtime::Error),
    /// The plugin needs configuration of its declared types and none of them was given.
    #[error(
        "no configuration found for plugin {id}; requested configuration types: {}",
        type_list(requested)
    )]
    NoConfiguration {
        /// The plugin id.
        id: String,
        /// The configuration types it declared.
        requested: Vec<Type>,
    },
    /// Nothing it declared is a capability this manager serves (W24: a newer or unknown format
    /// would otherwise register nothing silently).
    #[error("declares no capability this manager understands (declared: [{}])", declared.join(", "))]
    NoKnownCapability {
        /// The capability keys it declared.
        declared: Vec<String>,
    },
    /// Two kinds it declared use the same paths with different request bodies.
    #[error(
        "declares both {first} and {second}, which use the same paths ({}) with different request bodies: one plugin binary cannot be both",
        paths.join(", ")
    )]
    ConflictingKinds {
        /// The kind declared first.
        first: CapabilityKind,
        /// The kind declared second.
        second: CapabilityKind,
        /// The paths they share.
        paths: Vec<&'static str>,
    },
    /// A declared JSON schema does not compile.
    #[error("{kind}: invalid JSON schema for type {typ}: {source}")]
    InvalidSchema {
        /// The capability kind declaring it.
        kind: CapabilityKind,
        /// The type the schema is for.
        typ: Type,
        /// What is wrong with it.
        source: ocm_plugin_runtime::SchemaError,
    },
    /// A capability was declared without any type.
    #[error("declares {kind} without any type")]
    NoTypes {
        /// The capability kind.
        kind: CapabilityKind,
    },
    /// Its registry refused it, typically because another plugin serves one of its types.
    #[error("failed to register plugin {id}: {source}")]
    Registry {
        /// The plugin id.
        id: String,
        /// The registry's reason.
        source: Arc<ocm_plugin_registries::Error>,
    },
    /// None of its capabilities could be registered; each reason, in declaration order.
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    EveryCapability(Vec<Self>),
    /// The manager was shut down while the plugin was being registered.
    #[error("the plugin manager was shut down")]
    ShutDown,
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Registered { capabilities, .. } => {
                let kinds: Vec<String> = capabilities
                    .capabilities
                    .iter()
                    .map(|c| {
                        let names = |ts: &[ocm_plugin_types::DeclaredType]| {
                            let v: Vec<String> = ts
                                .iter()
                                .map(|t| {
                                    if t.aliases.is_empty() {
                                        t.typ.to_string()
                                    } else {
                                        let a: Vec<String> =
                                            t.aliases.iter().map(ToString::to_string).collect();
                                        format!("{} (aliases {})", t.typ, a.join(", "))
                                    }
                                })
                                .collect();
                            v.join(", ")
                        };
                        if c.consumer_identity_types.is_empty() {
                            format!("{} [{}]", c.kind, names(&c.types))
                        } else {
                            format!(
                                "{} [{}] for consumers [{}]",
                                c.kind,
                                names(&c.types),
                                names(&c.consumer_identity_types)
                            )
                        }
                    })
                    .collect();
                write!(f, "registered: {}", kinds.join("; "))
            }
            Self::Skipped(why) => write!(f, "skipped: {why}"),
            Self::Rejected(why) => write!(f, "rejected: {why}"),
        }
    }
}

/// Go's `%s` of a slice of types: `[a/v1 b/v1]`.
pub(crate) fn type_list(types: &[Type]) -> String {
    let names: Vec<String> = types.iter().map(ToString::to_string).collect();
    format!("[{}]", names.join(" "))
}
