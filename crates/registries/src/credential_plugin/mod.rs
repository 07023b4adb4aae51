//! Registry of credential plugins (`credentialPlugin`, the `bindings/go` generation): credential
//! spec type -> plugin that names a spec's consumer identity and resolves its credentials.
//!
//! A handle is bound to the spec it was looked up with; `/resolve` carries only the identity,
//! so it goes to the plugin of that spec.

use std::sync::Arc;

use ocm_plugin_contracts::credential_plugin::v1::CredentialPlugin;
use ocm_plugin_types::{CapabilityKind, Raw};

/// A credential plugin served by an external plugin, bound to the credential spec it was looked
/// up with.
pub type RemoteCredentialPlugin = ocm_plugin_endpoints::Client<crate::Remote<CredentialPlugins>>;

pub use crate::type_map::Provider;
use crate::{ExternalPlugin, registry::Capability};

/// The `credentialPlugin` capability, as [`Registry`] needs it.
#[derive(Debug)]
pub struct CredentialPlugins;

impl Capability for CredentialPlugins {
    type Handle = dyn CredentialPlugin;
    const KEY: &'static str = "credentialPlugin";
    const KIND: CapabilityKind = CapabilityKind::CredentialPlugin;
    fn remote(plugin: ExternalPlugin, spec: Raw) -> Arc<Self::Handle> {
        Arc::new(crate::Remote::<Self>::client(plugin, Some(spec)))
    }
}

/// Credential spec type -> [`CredentialPlugin`]: in-process implementations first, then
/// external plugins.
pub type Registry = crate::registry::Registry<CredentialPlugins>;
