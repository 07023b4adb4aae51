//! The remote client of every capability: the [`Caller`] that sends operations to an external
//! plugin over HTTP. [`Client`] turns it into every contract trait.

use std::{fmt, marker::PhantomData};

use ocm_plugin_contracts::Result;
use ocm_plugin_endpoints::{Caller, Client, Operation};
use ocm_plugin_types::{Credentials, Raw};

use crate::{ExternalPlugin, registry::Capability};

/// Calls the operations of capability `C` of an external plugin, bound to the spec it was
/// looked up with; wrapped in a [`Client`] it is that capability's trait object.
///
/// Each request's spec is validated against the plugin's schema for its type before anything is
/// sent (the bound spec was validated at look-up); a request that needs a spec and carries none
/// gets the bound one where the operation allows it (the component version repository's reads,
/// whose spec travels as our `repository` query extension; Go plugins ignore it), or is refused.
pub struct Remote<C: Capability> {
    plugin: ExternalPlugin,
    spec: Option<Raw>,
    capability: PhantomData<fn() -> C>,
}

impl<C: Capability> fmt::Debug for Remote<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Remote")
            .field("capability", &C::KEY)
            .field("plugin", &self.plugin)
            .field("spec", &self.spec)
            .finish()
    }
}

impl<C: Capability> Clone for Remote<C> {
    fn clone(&self) -> Self {
        Self {
            plugin: self.plugin.clone(),
            spec: self.spec.clone(),
            capability: PhantomData,
        }
    }
}

impl<C: Capability> Remote<C> {
    pub(crate) fn new(plugin: ExternalPlugin, spec: Option<Raw>) -> Self {
        Self {
            plugin,
            spec,
            capability: PhantomData,
        }
    }

    /// The plugin behind this handle.
    pub fn plugin(&self) -> &ExternalPlugin {
        &self.plugin
    }

    /// The spec this handle was looked up with, if any.
    pub fn spec(&self) -> Option<&Raw> {
        self.spec.as_ref()
    }

    /// This caller as the capability's trait object.
    pub(crate) fn client(plugin: ExternalPlugin, spec: Option<Raw>) -> Client<Self> {
        Client(Self::new(plugin, spec))
    }
}

impl<C: Capability> Caller for Remote<C> {
    async fn call<Op: Operation>(
        &self,
        request: Op::Request,
        credentials: &Credentials,
    ) -> Result<Op::Response> {
        self.plugin
            .call::<Op>(C::KEY, self.spec.as_ref(), request, credentials)
            .await
    }
}
