//! Routes and operations of the credential repository capability (spec §5.2).

use ocm_plugin_contracts::credential_repository::v1::{
    ConsumerIdentityForConfigRequest, CredentialRepository as Trait, ResolveRequest,
};
use ocm_plugin_types::{CapabilityKind, Credentials, Identity};

use crate::operation::{Capability, Visit, identity_operation, operation};
use crate::{Auth, Route, identity, post};

/// Consumer identity of a repository config. No credentials are sent.
pub const CONSUMER_IDENTITY: Route = post(
    "consumer-identity-for-config",
    "/consumer-identity",
    Auth::None,
);
/// Resolve credentials for a consumer identity.
pub const RESOLVE: Route = post("resolve", "/resolve", Auth::Optional);
/// Consumer identity of a config (our SDK only).
pub const GET_IDENTITY: Route = identity("get-identity");
/// Every route, in the Go SDK's order, then `/identity`.
pub const ROUTES: [&Route; 3] = [&CONSUMER_IDENTITY, &RESOLVE, &GET_IDENTITY];

/// The credential repository capability.
#[derive(Debug, Clone, Copy)]
pub struct CredentialRepository;

impl Capability for CredentialRepository {
    type Handle = dyn Trait;
    const KIND: CapabilityKind = CapabilityKind::CredentialRepository;
    const WHAT: &'static str = "credential repository";
    const SPEC: &'static str = "repository config";
    const ROUTES: &'static [&'static Route] = &ROUTES;

    fn operations<V: Visit<Self::Handle>>(v: &mut V) {
        v.operation::<ConsumerIdentityForConfig>();
        v.operation::<Resolve>();
        v.identity::<GetIdentity>();
    }
}

operation! {
    /// The consumer identity of a repository config.
    ConsumerIdentityForConfig {
        handle: dyn Trait,
        route: CONSUMER_IDENTITY,
        request: ConsumerIdentityForConfigRequest,
        response: Identity,
        spec: |r| Some(&r.config),
        call: |h, r, _c| h.consumer_identity_for_config(r),
    }
}

operation! {
    /// Resolve credentials for a consumer identity.
    Resolve {
        handle: dyn Trait,
        route: RESOLVE,
        request: ResolveRequest,
        response: Credentials,
        spec: |r| Some(&r.config),
        call: |h, r, c| h.resolve(r, c),
    }
}

identity_operation!(dyn Trait);
