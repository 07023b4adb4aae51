use ocm_plugin_types::Type;

/// Result alias of the registries.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why a registry operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A spec without a `type` cannot be routed.
    #[error("{capability}: the spec has no type, so no implementation can be chosen: {spec}")]
    MissingType {
        /// Capability key.
        capability: &'static str,
        /// The spec as JSON.
        spec: String,
    },
    /// Nothing serves this type.
    #[error("{capability}: no implementation registered for type {typ}")]
    NotRegistered {
        /// Capability key.
        capability: &'static str,
        /// The requested type.
        typ: Type,
    },
    /// A second registration for the same type.
    #[error("{capability}: plugin for type {typ} already registered with ID: {existing}")]
    Duplicate {
        /// Capability key.
        capability: &'static str,
        /// The contested type.
        typ: Type,
        /// Who has it.
        existing: String,
    },
    /// The spec does not match the plugin's schema for its type.
    #[error("{capability}: spec for type {typ} is invalid for plugin {plugin_id}: {message}")]
    Validation {
        /// Capability key.
        capability: &'static str,
        /// The spec's type.
        typ: Type,
        /// The plugin whose schema rejected it.
        plugin_id: String,
        /// Every violation, one per line.
        message: String,
    },
    /// The external plugin could not be started or called.
    #[error(transparent)]
    Plugin(#[from] ocm_plugin_runtime::Error),
}
