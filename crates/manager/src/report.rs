use std::{fmt, path::PathBuf};

use ocm_plugin_types::PluginCapabilities;

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
    },
    /// Not a plugin by the naming rule (the name has an extension), or not followed.
    Skipped(String),
    /// Looked like a plugin but could not be registered.
    Rejected(String),
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
