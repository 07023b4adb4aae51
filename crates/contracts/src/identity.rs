//! `POST /identity`, shared by every capability: the consumer identity under which credentials
//! for a spec are looked up.

use ocm_plugin_types::{Identity, Raw};
use serde::{Deserialize, Serialize};

/// The body is `{"type": <the whole spec>}` (the key is `type`, the value the spec object).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GetIdentityRequest {
    /// The spec: a repository spec, access, input or transformer spec, by capability.
    #[serde(rename = "type")]
    pub typ: Raw,
}

/// Answer of `POST /identity`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct GetIdentityResponse {
    /// The identity (`null` from a Go plugin decodes as empty).
    #[serde(default, deserialize_with = "null_as_default")]
    pub identity: Identity,
}

fn null_as_default<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Identity, D::Error> {
    Ok(Option::<Identity>::deserialize(d)?.unwrap_or_default())
}
