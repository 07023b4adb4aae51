use std::path::PathBuf;

use ocm_plugin_types::{CapabilityKind, Type};

/// Result alias of the registries.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why a registry operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A spec without a `type` cannot be routed.
    #[error(
        "{}: the spec has no type, so no implementation can be chosen: {spec}",
        named(capability)
    )]
    MissingType {
        /// Capability key.
        capability: &'static str,
        /// The spec as JSON.
        spec: String,
    },
    /// Nothing serves this type.
    #[error("{}: no implementation registered for {key} {typ}{}{}", named(capability), served_text(served),
        rejected_text(rejected.as_deref()))]
    NotRegistered {
        /// Capability key.
        capability: &'static str,
        /// What the type is: `type`, or `consumer identity type` for the credential registry's
        /// second key.
        key: &'static str,
        /// The requested type.
        typ: Type,
        /// The types that are served, sorted.
        served: Vec<Type>,
        /// A plugin that declared this type but was rejected: its id and why.
        rejected: Option<Box<(String, String)>>,
    },
    /// A second registration for the same type.
    #[error(
        "{}: plugin for {key} {typ} already registered with ID: {existing}",
        named(capability)
    )]
    Duplicate {
        /// Capability key.
        capability: &'static str,
        /// What the type is: `type`, or `consumer identity type`.
        key: &'static str,
        /// The contested type.
        typ: Type,
        /// Who has it.
        existing: String,
    },
    /// A consumer identity whose `type` attribute is missing or malformed: no credential
    /// repository can be chosen for it.
    #[error(
        "{}: cannot choose a credential repository for consumer identity {identity}: {reason}",
        named(capability)
    )]
    InvalidConsumerIdentity {
        /// Capability key.
        capability: &'static str,
        /// The identity as JSON.
        identity: String,
        /// What is wrong with its type.
        reason: String,
    },
    /// The spec does not match the plugin's schema for its type.
    #[error(
        "{}: spec for type {typ} is invalid for plugin {plugin_id}: {message}",
        named(capability)
    )]
    Validation {
        /// Capability key.
        capability: &'static str,
        /// The spec's type.
        typ: Type,
        /// The plugin whose schema rejected it.
        plugin_id: String,
        /// Every violation, with its place in the spec.
        #[source]
        message: ocm_plugin_runtime::SchemaError,
    },
    /// A plugin answered 200 with something the operation cannot use: a field it needs is
    /// missing or `null` (the Go manager dereferenced such fields and panicked, W17), or the
    /// answer has the wrong shape.
    #[error(
        "{}: plugin {plugin_id} {operation}: invalid response: {problem}",
        named(capability)
    )]
    InvalidResponse {
        /// Capability key.
        capability: &'static str,
        /// The plugin that answered.
        plugin_id: String,
        /// Operation of the route.
        operation: &'static str,
        /// What is wrong with it.
        problem: String,
    },
    /// A blob [`Location`](ocm_plugin_types::Location) of a kind this host cannot read.
    #[error("unsupported location type: {0}")]
    UnsupportedLocationType(String),
    /// A blob location names a path that does not exist.
    #[error("blob {}: path does not exist", .0.display())]
    PathDoesNotExist(PathBuf),
    /// Reading, writing or inspecting a blob failed.
    #[error("blob {}: {context}: {source}", path.display())]
    BlobIo {
        /// The blob's file, FIFO or destination.
        path: PathBuf,
        /// What was being done.
        context: &'static str,
        /// Cause.
        source: std::io::Error,
    },
    /// The external plugin could not be started or called.
    #[error(transparent)]
    Plugin(#[from] ocm_plugin_runtime::Error),
}

/// A capability as a user names it, with its wire key: `input (inputRepository)`.
fn named(capability: &str) -> String {
    let kind: CapabilityKind = match capability.parse() {
        Ok(kind) => kind,
        Err(never) => match never {},
    };
    if kind.name() == capability {
        capability.to_owned()
    } else {
        format!("{} ({capability})", kind.name())
    }
}

fn served_text(served: &[Type]) -> String {
    if served.is_empty() {
        "; no type is registered".to_owned()
    } else {
        let names: Vec<String> = served.iter().map(ToString::to_string).collect();
        format!("; registered: {}", names.join(", "))
    }
}

fn rejected_text(rejected: Option<&(String, String)>) -> String {
    rejected.map_or_else(String::new, |(id, why)| {
        format!("; plugin {id} declares it but was rejected: {why}")
    })
}

impl Error {
    /// What kind of failure this is, as [`ocm_plugin_contracts::Error::kind`] tells it: a
    /// plugin that could not be started is `Unavailable`, a call without an answer `Timeout`,
    /// a spec that fails its schema `InvalidInput`.
    pub fn kind(&self) -> ocm_plugin_contracts::ErrorKind {
        crate::remote_error::kind(self)
    }
}
