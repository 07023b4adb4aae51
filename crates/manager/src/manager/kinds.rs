//! The capability kinds this manager serves: one registry each, and the one place that maps a
//! declared kind to its registry. Registration, rejection notes and look-ups by kind all go
//! through [`Registries::of`], so a new capability kind is a field, an accessor and one line
//! there.

use ocm_plugin_registries::{
    Capability, ExternalPlugin, Pending, Registry, blob_transformer, component_lister,
    component_version_repository, credential_plugin, credential_repository, digest_processor,
    input, resource_repository, signing_handler,
};
use ocm_plugin_types::{CapabilityKind, Type};

use super::registration::Declared;

/// One registry per capability kind, all sharing the manager's pending-registration gate.
#[derive(Debug)]
pub(super) struct Registries {
    pub(super) component_version_repositories: component_version_repository::Registry,
    pub(super) credential_repositories: credential_repository::Registry,
    pub(super) inputs: input::Registry,
    pub(super) digest_processors: digest_processor::Registry,
    pub(super) resource_repositories: resource_repository::Registry,
    pub(super) blob_transformers: blob_transformer::Registry,
    pub(super) component_listers: component_lister::Registry,
    pub(super) signing_handlers: signing_handler::Registry,
    pub(super) credential_plugins: credential_plugin::Registry,
}

impl Registries {
    pub(super) fn new(pending: &Pending) -> Self {
        Self {
            component_version_repositories: Registry::with_pending(pending.clone()),
            credential_repositories: credential_repository::Registry::with_pending(pending.clone()),
            inputs: Registry::with_pending(pending.clone()),
            digest_processors: Registry::with_pending(pending.clone()),
            resource_repositories: Registry::with_pending(pending.clone()),
            blob_transformers: Registry::with_pending(pending.clone()),
            component_listers: Registry::with_pending(pending.clone()),
            signing_handlers: Registry::with_pending(pending.clone()),
            credential_plugins: Registry::with_pending(pending.clone()),
        }
    }

    /// The registry of `kind`, or `None` for a kind this manager does not serve.
    pub(super) fn of(&self, kind: &CapabilityKind) -> Option<&dyn KindRegistry> {
        Some(match kind {
            CapabilityKind::ComponentVersionRepository => &self.component_version_repositories,
            CapabilityKind::CredentialRepository => &self.credential_repositories,
            CapabilityKind::InputRepository => &self.inputs,
            CapabilityKind::DigestProcessorRepository => &self.digest_processors,
            CapabilityKind::ResourceRepository => &self.resource_repositories,
            CapabilityKind::BlobTransformer => &self.blob_transformers,
            CapabilityKind::ComponentLister => &self.component_listers,
            CapabilityKind::SigningHandler => &self.signing_handlers,
            CapabilityKind::CredentialPlugin => &self.credential_plugins,
            CapabilityKind::Other(_) => return None,
        })
    }
}

/// What registration does with the registry of any kind.
pub(super) trait KindRegistry {
    /// Registers `plugin` for the types it declared for this kind; `declared` holds what a
    /// kind may need besides (consumer identity types), and `warnings` collects what is worth
    /// telling without refusing the plugin.
    fn register(
        &self,
        plugin: &ExternalPlugin,
        declared: &Declared<'_>,
        warnings: &mut Vec<String>,
    ) -> ocm_plugin_registries::Result<()>;

    /// Remembers that `plugin_id` declared `typ` but was rejected, and why, for the error of a
    /// later look-up of `typ`.
    fn note_rejected(&self, typ: Type, plugin_id: &str, why: &str);
}

impl<C: Capability> KindRegistry for Registry<C> {
    fn register(
        &self,
        plugin: &ExternalPlugin,
        _: &Declared<'_>,
        _: &mut Vec<String>,
    ) -> ocm_plugin_registries::Result<()> {
        self.register_external(plugin)
    }

    fn note_rejected(&self, typ: Type, plugin_id: &str, why: &str) {
        Self::note_rejected(self, typ, plugin_id, why);
    }
}

/// Credential repositories are found by repository config type and by consumer identity type.
impl KindRegistry for credential_repository::Registry {
    fn register(
        &self,
        plugin: &ExternalPlugin,
        declared: &Declared<'_>,
        warnings: &mut Vec<String>,
    ) -> ocm_plugin_registries::Result<()> {
        let consumers: Vec<Type> = declared
            .consumer_identity_types
            .iter()
            .map(|t| t.typ.clone())
            .collect();
        if consumers.is_empty() {
            warnings.push(format!(
                "{} declares no consumer identity types; it is found only by repository config type",
                declared.kind
            ));
        }
        self.register_external(plugin, &consumers)
    }

    fn note_rejected(&self, typ: Type, plugin_id: &str, why: &str) {
        Self::note_rejected(self, typ, plugin_id, why);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every kind the wire knows has a registry, and each registry serves its own kind: a
    /// registration through the table lands where a look-up of that kind searches.
    #[test]
    fn every_known_kind_maps_to_its_own_registry() {
        let registries = Registries::new(&Pending::new());
        for kind in CapabilityKind::ALL {
            assert!(registries.of(&kind).is_some(), "{kind} has no registry");
        }
        assert!(registries.of(&CapabilityKind::Other("x".into())).is_none());
        let address = |kind: CapabilityKind| {
            registries
                .of(&kind)
                .map(|r| std::ptr::from_ref(r).cast::<()>())
        };
        let distinct: std::collections::HashSet<_> =
            CapabilityKind::ALL.into_iter().map(address).collect();
        assert_eq!(distinct.len(), CapabilityKind::ALL.len());
        assert_eq!(
            address(CapabilityKind::InputRepository),
            Some(std::ptr::from_ref(&registries.inputs).cast::<()>())
        );
        assert_eq!(
            address(CapabilityKind::CredentialRepository),
            Some(std::ptr::from_ref(&registries.credential_repositories).cast::<()>())
        );
    }
}
