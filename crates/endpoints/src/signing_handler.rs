//! Routes and operations of the signing handler capability (spec §10.3).

use ocm_plugin_contracts::{
    identity::GetIdentityResponse,
    signing_handler::v1::{
        SignIdentityRequest, SignRequest, SignResponse, SigningHandler as Trait,
        VerifyIdentityRequest, VerifyRequest, VerifyResponse,
    },
};
use ocm_plugin_types::CapabilityKind;

use crate::{
    Auth, Route,
    operation::{Capability, Visit, operation},
    post,
};

/// Sign a digest. Managers send `{}` when there are no credentials.
pub const SIGN: Route = post("sign", "/sign", Auth::OptionalAlwaysSent);
/// Verify a signature. Managers send `{}` when there are no credentials.
pub const VERIFY: Route = post("verify", "/verify", Auth::OptionalAlwaysSent);
/// Consumer identity of the signing credentials. No credentials are sent.
pub const SIGN_IDENTITY: Route = post("get-signing-identity", "/sign/identity", Auth::None);
/// Consumer identity of the verifying credentials. No credentials are sent.
pub const VERIFY_IDENTITY: Route = post("get-verifying-identity", "/verify/identity", Auth::None);
/// Every route, in the Go SDK's order.
pub const ROUTES: [&Route; 4] = [&SIGN_IDENTITY, &SIGN, &VERIFY_IDENTITY, &VERIFY];

/// The signing handler capability.
#[derive(Debug, Clone, Copy)]
pub struct SigningHandler;

impl Capability for SigningHandler {
    type Handle = dyn Trait;
    const KIND: CapabilityKind = CapabilityKind::SigningHandler;
    const WHAT: &'static str = "signing handler";
    const SPEC: &'static str = "signing config";
    const ROUTES: &'static [&'static Route] = &ROUTES;

    fn operations<V: Visit<Self::Handle>>(v: &mut V) {
        v.operation::<GetSigningIdentity>();
        v.operation::<Sign>();
        v.operation::<GetVerifyingIdentity>();
        v.operation::<Verify>();
    }
}

operation! {
    /// Sign a digest; picked by `config.type`.
    Sign {
        handle: dyn Trait,
        route: SIGN,
        request: SignRequest,
        response: SignResponse,
        spec: |r| Some(&r.config),
        call: |h, r, c| h.sign(r, c),
    }
}

operation! {
    /// Verify a signature; picked by `config.type`.
    Verify {
        handle: dyn Trait,
        route: VERIFY,
        request: VerifyRequest,
        response: VerifyResponse,
        spec: |r| Some(&r.config),
        call: |h, r, c| h.verify(r, c),
    }
}

operation! {
    /// The consumer identity of the signing credentials.
    GetSigningIdentity {
        handle: dyn Trait,
        route: SIGN_IDENTITY,
        request: SignIdentityRequest,
        response: GetIdentityResponse,
        spec: |r| Some(&r.config),
        call: |h, r, _c| h.get_signing_identity(r),
    }
}

operation! {
    /// The consumer identity of the verifying credentials.
    GetVerifyingIdentity {
        handle: dyn Trait,
        route: VERIFY_IDENTITY,
        request: VerifyIdentityRequest,
        response: GetIdentityResponse,
        spec: |r| Some(&r.config),
        call: |h, r, _c| h.get_verifying_identity(r),
    }
}
