//! Routes of the input capability (spec §5.3).

use crate::{Auth, Route, identity, post};

/// Process a resource input.
pub const PROCESS_RESOURCE: Route = post("process-resource", "/resource/process", Auth::Optional);
/// Process a source input.
pub const PROCESS_SOURCE: Route = post("process-source", "/source/process", Auth::Optional);
/// Consumer identity of an input spec (Go SDK plugins answer 404).
pub const GET_IDENTITY: Route = identity("get-identity");
/// Every route, in the Go SDK's order, then `/identity`.
pub const ROUTES: [&Route; 3] = [&PROCESS_RESOURCE, &PROCESS_SOURCE, &GET_IDENTITY];

use ocm_plugin_contracts::{
    identity::{GetIdentityRequest, GetIdentityResponse},
    input::v1::{
        InputMethod, ProcessResourceRequest, ProcessResourceResponse, ProcessSourceRequest,
        ProcessSourceResponse,
    },
};
use ocm_plugin_types::CapabilityKind;

use crate::operation::{Capability, Visit, operation};

/// The input capability.
#[derive(Debug, Clone, Copy)]
pub struct Input;

impl Capability for Input {
    type Handle = dyn InputMethod;
    const KIND: CapabilityKind = CapabilityKind::InputRepository;
    const WHAT: &'static str = "input method";
    const SPEC: &'static str = "input (or, from v0.0.1 managers, access)";
    const ROUTES: &'static [&'static Route] = &ROUTES;

    fn operations<V: Visit<Self::Handle>>(v: &mut V) {
        v.operation::<ProcessResource>();
        v.operation::<ProcessSource>();
        v.identity::<GetIdentity>();
    }
}

operation! {
    /// Turn a constructor resource's input into a blob. Picked by the type of `input`, else of
    /// `access` (what v0.0.1 managers send).
    ProcessResource {
        handle: dyn InputMethod,
        route: PROCESS_RESOURCE,
        request: ProcessResourceRequest,
        response: ProcessResourceResponse,
        spec: |r| r.resource.spec(),
        call: |h, r, c| h.process_resource(r, c),
    }
}

operation! {
    /// Turn a constructor source's input into a blob.
    ProcessSource {
        handle: dyn InputMethod,
        route: PROCESS_SOURCE,
        request: ProcessSourceRequest,
        response: ProcessSourceResponse,
        spec: |r| r.source.spec(),
        call: |h, r, c| h.process_source(r, c),
    }
}

operation! {
    /// The consumer identity of an input spec.
    GetIdentity {
        handle: dyn InputMethod,
        route: GET_IDENTITY,
        request: GetIdentityRequest,
        response: GetIdentityResponse,
        spec: |r| Some(&r.typ),
        call: |h, r, _c| h.get_identity(r),
    }
}
