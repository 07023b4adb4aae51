//! Registry of credential repositories (`credentialRepository`, spec §5.2), keyed two ways:
//!
//! * by **repository config type** (the `type` of a `repositories[].repository` entry of a
//!   credentials config, e.g. `DockerConfig/v1`): [`Registry::get`];
//! * by **consumer identity type** (the `type` attribute of the identity a credential graph
//!   asks about, e.g. `OCIRegistry`): [`Registry::for_consumer`].
//!
//! A v0.0.1 plugin declares `[0]` = consumer identity type and `[1]` = config type; a v0.0.11+
//! plugin lists both explicitly. The manager registers both mappings (the Go manager checked
//! one key and stored the other, and panicked on short lists, W14). Duplicates are refused on
//! both keys. The config is validated against the schema declared for the **config** type (Go
//! used the consumer identity type's schema, W6).

#[cfg(test)]
mod tests;

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use ocm_plugin_contracts::credential_repository::v1::CredentialRepository;
use ocm_plugin_runtime::SchemaValidator;
use ocm_plugin_types::{CapabilityKind, Identity, Raw, Type};

/// A credential repository served by an external plugin, bound to the config it was looked up
/// with, or to none when found by consumer identity type (then each request's `config` is
/// validated against the plugin's schema for its type).
pub type RemoteCredentialRepository =
    ocm_plugin_endpoints::Client<crate::Remote<CredentialRepositories>>;

pub use crate::type_map::Provider;
use crate::{
    Error, ExternalPlugin, Result,
    type_map::{Resolved, TypeMap},
};

const CAPABILITY: &str = "credentialRepository";

/// The `credentialRepository` capability, as its remote client needs it.
#[derive(Debug)]
pub struct CredentialRepositories;

impl crate::registry::Capability for CredentialRepositories {
    type Handle = dyn CredentialRepository;
    const KEY: &'static str = CAPABILITY;
    const KIND: CapabilityKind = CapabilityKind::CredentialRepository;
    fn remote(plugin: ExternalPlugin, spec: Raw) -> Arc<Self::Handle> {
        Arc::new(crate::Remote::<Self>::client(plugin, Some(spec)))
    }
}

/// Repository config type -> credential repository, and consumer identity type -> credential
/// repository.
pub struct Registry {
    configs: TypeMap<dyn CredentialRepository>,
    consumers: TypeMap<dyn CredentialRepository>,
    /// Makes a registration's duplicate checks and inserts on both maps one step.
    registering: Mutex<()>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry")
            .field("capability", &CAPABILITY)
            .field("config_types", &self.configs.list())
            .field("consumer_identity_types", &self.consumers.list())
            .finish()
    }
}

impl Default for Registry {
    fn default() -> Self {
        Self::new()
    }
}

impl Registry {
    /// The capability this registry serves.
    pub const KIND: CapabilityKind = CapabilityKind::CredentialRepository;

    /// An empty registry.
    pub fn new() -> Self {
        Self::with_pending(crate::Pending::default())
    }

    /// An empty registry whose look-ups by config type wait while `pending` registrations run.
    /// [`for_consumer`](Self::for_consumer) is a plain look-up and never waits.
    pub fn with_pending(pending: crate::Pending) -> Self {
        Self {
            configs: TypeMap::new(CAPABILITY).with_pending(pending),
            consumers: TypeMap::keyed_by(CAPABILITY, "consumer identity type"),
            registering: Mutex::new(()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ()> {
        self.registering.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Registers an in-process implementation for the repository config type `config_type`
    /// and the consumer identity types it resolves credentials for. It wins over any external
    /// plugin for those types. Nothing is registered if one of the types is already taken by
    /// another internal implementation.
    pub fn register_internal(
        &self,
        config_type: Type,
        consumer_identity_types: &[Type],
        implementation: Arc<dyn CredentialRepository>,
    ) -> Result<()> {
        let _serialised = self.lock();
        self.configs
            .check_internal(std::slice::from_ref(&config_type))?;
        self.consumers.check_internal(consumer_identity_types)?;
        for typ in consumer_identity_types {
            self.consumers
                .register_internal(typ.clone(), Arc::clone(&implementation))?;
        }
        self.configs.register_internal(config_type, implementation)
    }

    /// Registers an external plugin for all its config types (the types of `plugin`) and for
    /// `consumer_identity_types`. Fails without registering anything if another plugin already
    /// serves one of them.
    pub fn register_external(
        &self,
        plugin: &ExternalPlugin,
        consumer_identity_types: &[Type],
    ) -> Result<()> {
        let config_types: Vec<Type> = plugin.types().cloned().collect();
        let _serialised = self.lock();
        self.configs.check_external(&config_types)?;
        self.consumers.check_external(consumer_identity_types)?;
        self.configs.insert_external(plugin, &config_types);
        self.consumers
            .insert_external(plugin, consumer_identity_types);
        Ok(())
    }

    /// Convenience for [`ExternalPlugin::new`] + [`register_external`](Self::register_external).
    /// `schemas` maps the repository config types to their schemas.
    pub fn register_plugin(
        &self,
        supervisor: Arc<ocm_plugin_runtime::Supervisor>,
        schemas: HashMap<Type, Option<SchemaValidator>>,
        consumer_identity_types: &[Type],
    ) -> Result<()> {
        self.register_external(
            &ExternalPlugin::new(supervisor, schemas),
            consumer_identity_types,
        )
    }

    /// The credential repository for a repository config. For an external plugin this
    /// validates `config` against the schema the plugin declared for its type and starts the
    /// plugin if it is not running.
    pub async fn get(&self, config: &Raw) -> Result<Arc<dyn CredentialRepository>> {
        self.configs
            .get(config, |plugin| {
                Arc::new(crate::Remote::<CredentialRepositories>::client(
                    plugin,
                    Some(config.clone()),
                ))
            })
            .await
    }

    /// The credential repository that resolves credentials for consumers of the identity's
    /// type (its `type` attribute, e.g. `OCIRegistry`): the credential graph's hook. An
    /// identity without a (valid) type is an error, never a panic.
    ///
    /// A pure lookup: unlike [`get`](Self::get), an external plugin is not started here but on
    /// the first request, and each request's `config` is validated against the plugin's
    /// schema for the config's type.
    pub fn for_consumer(&self, identity: &Identity) -> Result<Arc<dyn CredentialRepository>> {
        let invalid = |reason: String| Error::InvalidConsumerIdentity {
            capability: CAPABILITY,
            identity: serde_json::to_string(identity).unwrap_or_default(),
            reason,
        };
        let typ: Type = match identity.get("type").map(String::as_str) {
            None | Some("") => return Err(invalid("it has no \"type\" attribute".into())),
            Some(t) => t.parse().map_err(|e| invalid(format!("{e}")))?,
        };
        match self.consumers.lookup(&typ) {
            None => Err(self.consumers.not_registered(&typ)),
            Some(Resolved::Internal(implementation)) => Ok(implementation),
            Some(Resolved::External(plugin)) => Ok(Arc::new(
                crate::Remote::<CredentialRepositories>::client(plugin, None),
            )),
        }
    }

    /// Remembers that plugin `plugin_id` declared config type `typ` but was rejected, and why.
    pub fn note_rejected(&self, typ: Type, plugin_id: &str, why: &str) {
        self.configs.note_rejected(typ, plugin_id, why);
    }

    /// Every registered repository config type and who serves it.
    pub fn list(&self) -> Vec<(Type, Provider)> {
        self.configs.list()
    }

    /// Every registered consumer identity type and who serves it.
    pub fn list_consumer_identity_types(&self) -> Vec<(Type, Provider)> {
        self.consumers.list()
    }
}
