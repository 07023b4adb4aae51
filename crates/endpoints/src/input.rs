//! Routes and operations of the input capability (spec §5.3).

use ocm_plugin_contracts::input::v1::{
    InputMethod, ProcessResourceRequest, ProcessResourceResponse, ProcessSourceRequest,
    ProcessSourceResponse,
};
use ocm_plugin_types::CapabilityKind;

use crate::operation::{Capability, Visit, identity_operation, operation};
use crate::{Auth, Route, answer, identity, post};

/// Process a resource input.
pub const PROCESS_RESOURCE: Route = post("process-resource", "/resource/process", Auth::Optional);
/// Process a source input.
pub const PROCESS_SOURCE: Route = post("process-source", "/source/process", Auth::Optional);
/// Consumer identity of an input spec (Go SDK plugins answer 404).
pub const GET_IDENTITY: Route = identity("get-identity");
/// Every route, in the Go SDK's order, then `/identity`.
pub const ROUTES: [&Route; 3] = [&PROCESS_RESOURCE, &PROCESS_SOURCE, &GET_IDENTITY];

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
        answer: |a| {
            answer::named("resource", &a.resource.name)?;
            answer::access("resource.access", a.resource.access.as_ref())?;
            answer::digest("resource.digest", a.resource.digest.as_ref())?;
            answer::location(&a.location)
        },
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
        answer: |a| {
            answer::named("source", &a.source.name)?;
            answer::access("source.access", a.source.access.as_ref())?;
            answer::location(&a.location)
        },
    }
}

identity_operation!(dyn InputMethod);
