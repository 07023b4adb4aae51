//! The SDK's error type: everything that can stop a plugin before or while it serves.

use std::io;

use ocm_plugin_contracts::BoxError;
use ocm_plugin_types::{CapabilityKind, Type};

/// Result alias of the SDK.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why a plugin could not start or keep serving.
///
/// Errors of single requests never show up here: they are answered on the wire. Every variant
/// makes [`Plugin::run`](crate::Plugin::run) log the error and exit with code 1.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The command line is not `capabilities`, `--help` or `--config <json>`.
    #[error("{0}")]
    Usage(String),
    /// The `--config` value is not a valid plugin configuration.
    #[error("invalid --config JSON: {0}")]
    InvalidConfig(#[source] serde_json::Error),
    /// The `--config` value has an empty `id`; Go plugins refuse it too.
    #[error("invalid --config: `id` is empty")]
    MissingId,
    /// A `configTypes` entry of the requested type does not decode into the plugin's struct.
    #[error("configuration entry of type {typ} cannot be decoded: {source}")]
    ConfigEntry {
        /// The entry's type.
        typ: Type,
        /// Why it cannot be decoded.
        #[source]
        source: ocm_plugin_types::Error,
    },
    /// The same type was registered twice for one capability; dispatch would be ambiguous.
    #[error("{kind} type {typ} is registered more than once")]
    DuplicateType {
        /// The capability.
        kind: CapabilityKind,
        /// The type registered twice.
        typ: Type,
    },
    /// [`Plugin::into_router`](crate::Plugin::into_router) was called inside a tokio runtime for
    /// a plugin with an async factory, which it cannot await without blocking that runtime.
    #[error(
        "an async factory cannot be awaited by into_router inside a tokio runtime: use `Plugin::router(config).await` (or `TestClient::start`)"
    )]
    AsyncFactoryInRuntime,
    /// Two capabilities that share paths with different bodies were registered; one server
    /// cannot answer both (the credential repository and the credential plugin).
    #[error(
        "{first} and {second} cannot be served by one plugin: both use {paths} with different request bodies; build two plugin binaries"
    )]
    ConflictingCapabilities {
        /// The capability registered first.
        first: CapabilityKind,
        /// The one registered later.
        second: CapabilityKind,
        /// The shared paths, comma separated.
        paths: String,
    },
    /// A capability that a plugin can serve once was registered twice. Only the credential
    /// repository is such a capability: the capabilities document pairs exactly one consumer
    /// identity type (entry `[0]`) with one config type (entry `[1]`).
    #[error(
        "{kind} can be registered only once per plugin (the capabilities document has room for one consumer identity type and one config type), but it is registered for {first} and for {second}"
    )]
    CapabilityRegisteredTwice {
        /// The capability.
        kind: CapabilityKind,
        /// The type of the first registration (for a credential repository: the config type).
        first: Type,
        /// The type of the second registration.
        second: Type,
    },
    /// A declared JSON schema does not compile: managers would reject the plugin, so it stops
    /// at `capabilities` and at start instead.
    #[error("the JSON schema declared for {kind} type {typ} is broken: {message}")]
    InvalidSchema {
        /// The capability.
        kind: CapabilityKind,
        /// The type whose schema is broken.
        typ: Type,
        /// What the compiler said.
        #[source]
        message: ocm_plugin_endpoints::SchemaError,
    },
    /// A typed spec cannot be declared: its `TYPE` is not a type, or its schema does not
    /// serialise.
    #[error("typed spec {spec}: {reason}")]
    TypedSpec {
        /// The spec's `TYPE`.
        spec: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// A type given as text to a registration, an alias or a config type is not a type.
    #[error("{what}: {reason}")]
    InvalidType {
        /// Which declaration, e.g. `config type` or `alias of input type file/v1`.
        what: String,
        /// Why it is not a type.
        reason: String,
    },
    /// A capability factory failed, so the plugin cannot serve it.
    #[error("failed to set up {kind} {typ}: {source}")]
    Factory {
        /// The capability.
        kind: CapabilityKind,
        /// The type the factory was registered for.
        typ: Type,
        /// The factory's error.
        #[source]
        source: BoxError,
    },
    /// The listening socket could not be created.
    #[error("failed to listen on {address}: {source}")]
    Bind {
        /// The socket path or TCP address.
        address: String,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// Any other I/O failure: runtime start, signal handlers, the location line, serving.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: &'static str,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// An in-process test request ([`TestClient::call`](crate::testing::TestClient::call))
    /// could not be built, or its answer could not be read.
    #[error("test request failed: {context}: {source}")]
    TestRequest {
        /// What was being done.
        context: &'static str,
        /// The cause.
        #[source]
        source: BoxError,
    },
}

impl Error {
    pub(crate) fn io(context: &'static str) -> impl Fn(io::Error) -> Self + Copy {
        move |source| Self::Io { context, source }
    }
}
