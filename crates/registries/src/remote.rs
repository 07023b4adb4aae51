//! The remote client of every capability: the contract trait implemented by HTTP calls to an
//! external plugin, one generic [`Operation`] call per trait method.

use std::{fmt, marker::PhantomData};

use ocm_plugin_contracts::Result;
use ocm_plugin_endpoints::Operation;
use ocm_plugin_types::{Credentials, Raw};

use crate::{ExternalPlugin, registry::Capability};

/// A capability served by an external plugin, bound to the spec it was looked up with.
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

    /// Calls operation `Op` of the plugin.
    pub(crate) async fn call<Op: Operation>(
        &self,
        request: Op::Request,
        credentials: &Credentials,
    ) -> Result<Op::Response> {
        self.plugin
            .call::<Op>(C::KEY, self.spec.as_ref(), request, credentials)
            .await
    }

    /// Calls an operation that sends no credentials.
    pub(crate) async fn call_anonymous<Op: Operation>(
        &self,
        request: Op::Request,
    ) -> Result<Op::Response> {
        self.call::<Op>(request, &Credentials::new()).await
    }
}
