//! Routes and operations of the credential plugin capability (spec §10.3). The paths are the
//! credential repository's, the bodies are not: one plugin cannot serve both.

use ocm_plugin_contracts::credential_plugin::v1::{
    ConsumerIdentityRequest, CredentialPlugin as Trait, ResolveRequest,
};
use ocm_plugin_types::{CapabilityKind, Credentials, Identity, Raw};

use crate::{
    Auth, BoxFuture, Operation, Route,
    operation::{Capability, Visit, operation},
    post,
};

/// The consumer identity of a credential spec. No credentials are sent.
pub const CONSUMER_IDENTITY: Route = post("consumer-identity", "/consumer-identity", Auth::None);
/// Resolve the credentials of a consumer identity.
pub const RESOLVE: Route = post("resolve", "/resolve", Auth::Optional);
/// Every route, in the Go SDK's order.
pub const ROUTES: [&Route; 2] = [&CONSUMER_IDENTITY, &RESOLVE];

/// The credential plugin capability.
#[derive(Debug, Clone, Copy)]
pub struct CredentialPlugin;

impl Capability for CredentialPlugin {
    type Handle = dyn Trait;
    const KIND: CapabilityKind = CapabilityKind::CredentialPlugin;
    const WHAT: &'static str = "credential plugin";
    const SPEC: &'static str = "credential spec (or an identity whose type names it)";
    const ROUTES: &'static [&'static Route] = &ROUTES;

    fn operations<V: Visit<Self::Handle>>(v: &mut V) {
        v.operation::<ConsumerIdentity>();
        v.operation::<Resolve>();
    }
}

operation! {
    /// The consumer identity of a credential spec; picked by `credential.type`.
    ConsumerIdentity {
        handle: dyn Trait,
        route: CONSUMER_IDENTITY,
        request: ConsumerIdentityRequest,
        response: Identity,
        spec: |r| Some(&r.credential),
        call: |h, r, _c| h.consumer_identity(r),
    }
}

/// Resolve the credentials of an identity. The request carries no spec: the implementation is
/// the one whose type the identity's `type` names (the spec type's name, without version, as
/// [`ConsumerIdentity`] answered it), or the only one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resolve;

impl Operation for Resolve {
    type Handle = dyn Trait;
    type Request = ResolveRequest;
    type Response = Credentials;
    const ROUTE: &'static Route = &RESOLVE;
    const SPEC_REQUIRED: bool = false;

    fn spec(_: &Self::Request) -> Option<&Raw> {
        None
    }

    fn type_hint(request: &Self::Request) -> Option<&str> {
        request.identity.get("type").map(String::as_str)
    }

    fn call<'a>(
        handle: &'a Self::Handle,
        request: Self::Request,
        credentials: &'a Credentials,
    ) -> BoxFuture<'a, ocm_plugin_contracts::Result<Self::Response>> {
        handle.resolve(request, credentials)
    }
}
