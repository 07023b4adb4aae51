//! Wire types of the OCM plugin protocol, as the real Go implementation encodes them.
//!
//! Everything here is pure data with serde implementations that follow the Go encoding rules
//! (spec §0.4): types are `"Name/Version"` strings, byte slices are padded standard base64,
//! durations are integer nanoseconds, nil slices are `null`, and typed objects ([`Raw`]) keep
//! their keys sorted. Decoders are tolerant (unknown fields are ignored); encoders write what Go
//! peers expect.
//!
//! # Example
//!
//! ```
//! use ocm_plugin_types::{Raw, Type};
//!
//! let ty: Type = "OCIRepository/v1".parse()?;
//! assert_eq!(ty.name(), "OCIRepository");
//! assert_eq!(ty.version(), Some("v1"));
//!
//! // A typed object keeps its bytes canonical: keys are sorted when it is decoded.
//! let spec: Raw = serde_json::from_str(r#"{"type":"OCIRepository/v1","baseUrl":"ghcr.io"}"#)?;
//! assert_eq!(spec.type_(), Some(&ty));
//! assert_eq!(serde_json::to_string(&spec)?, r#"{"baseUrl":"ghcr.io","type":"OCIRepository/v1"}"#);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod capabilities;
mod config;
mod credentials;
mod descriptor;
mod error;
mod location;
mod raw;
mod typ;

pub use capabilities::{
    Capabilities, CapabilitiesFormat, CapabilityKind, DeclaredType, JsonSchema, PluginCapabilities,
    PluginCapability, TypeEntry,
};
pub use config::{ConnectionType, PluginConfig};
pub use credentials::{Credentials, DIRECT_CREDENTIALS, DIRECT_CREDENTIALS_ALIASES};
pub use descriptor::{
    Component, Descriptor, Digest, Label, Meta, Reference, Resource, Signature, SignatureInfo,
    Source,
};
pub use error::Error;
pub use location::{Location, LocationType};
pub use raw::Raw;
pub use typ::Type;

use std::collections::BTreeMap;

/// An identity: a string map whose `type` key, if present, names its type.
///
/// A `BTreeMap` so that it serialises with sorted keys, like Go's `map[string]string`.
pub type Identity = BTreeMap<String, String>;

/// Result alias of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
