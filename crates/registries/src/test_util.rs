//! Helpers shared by the registries' unit tests.

use std::{collections::HashMap, sync::Arc};

use ocm_plugin_runtime::{SchemaValidator, Supervisor, SupervisorConfig};
use ocm_plugin_types::{ConnectionType, PluginConfig, Raw, Type};

use crate::ExternalPlugin;

pub(crate) fn ty(s: &str) -> Type {
    s.parse().unwrap()
}

pub(crate) fn raw(json: &str) -> Raw {
    Raw::from_json(json).unwrap()
}

/// A supervisor that is never started: registration does not spawn anything, and a call that
/// tried to start it would fail with a spawn error (so a test can tell "refused before
/// sending" from "sent").
pub(crate) fn plugin(id: &str) -> Arc<Supervisor> {
    let config = PluginConfig {
        id: id.into(),
        connection: ConnectionType::Unix,
        plugin_type: String::new(),
        idle_timeout: None,
        config_types: Vec::new(),
    };
    Supervisor::new(SupervisorConfig::new(id, "/nonexistent/plugin", config))
}

/// Types without schemas.
pub(crate) fn schemas(types: &[&str]) -> HashMap<Type, Option<SchemaValidator>> {
    types.iter().map(|t| (ty(t), None)).collect()
}

/// A schema that requires a string `baseUrl`.
pub(crate) fn strict() -> SchemaValidator {
    SchemaValidator::compile(
        br#"{"type":"object","required":["baseUrl"],"properties":{"baseUrl":{"type":"string"}}}"#,
    )
    .unwrap()
}

/// An external plugin serving `typ` with the [`strict`] schema.
pub(crate) fn strict_plugin(id: &str, typ: &str) -> ExternalPlugin {
    ExternalPlugin::new(plugin(id), HashMap::from([(ty(typ), Some(strict()))]))
}

/// The error behind a contract error, if it is one of ours.
pub(crate) fn registry_error(e: &ocm_plugin_contracts::Error) -> Option<&crate::Error> {
    match e {
        ocm_plugin_contracts::Error::Remote { source, .. } => source.downcast_ref(),
        _ => None,
    }
}
