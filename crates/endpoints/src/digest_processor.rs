//! Routes and operations of the digest processor capability (spec §5.4).

use ocm_plugin_contracts::digest_processor::v1::{
    DigestProcessor as Trait, ProcessResourceDigestRequest, ProcessResourceDigestResponse,
};
use ocm_plugin_types::CapabilityKind;

use crate::operation::{Capability, Visit, identity_operation, operation};
use crate::{Auth, Route, answer, identity, post};

/// Fill in a resource's digest.
pub const PROCESS_RESOURCE_DIGEST: Route = post(
    "process-resource-digest",
    "/resource/digest/process",
    Auth::Optional,
);
/// Consumer identity of an access (Go SDK plugins fail on any non-null spec).
pub const GET_IDENTITY: Route = identity("get-identity");
/// Every route, in the Go SDK's order.
pub const ROUTES: [&Route; 2] = [&PROCESS_RESOURCE_DIGEST, &GET_IDENTITY];

/// The digest processor capability.
#[derive(Debug, Clone, Copy)]
pub struct DigestProcessor;

impl Capability for DigestProcessor {
    type Handle = dyn Trait;
    const KIND: CapabilityKind = CapabilityKind::DigestProcessorRepository;
    const WHAT: &'static str = "digest processor";
    const SPEC: &'static str = "resource access";
    const ROUTES: &'static [&'static Route] = &ROUTES;

    fn operations<V: Visit<Self::Handle>>(v: &mut V) {
        v.operation::<ProcessResourceDigest>();
        v.identity::<GetIdentity>();
    }
}

operation! {
    /// Fill in a resource's digest; picked by `resource.access.type`.
    ProcessResourceDigest {
        handle: dyn Trait,
        route: PROCESS_RESOURCE_DIGEST,
        request: ProcessResourceDigestRequest,
        response: ProcessResourceDigestResponse,
        spec: |r| r.resource.access.as_ref(),
        call: |h, r, c| h.process_resource_digest(r, c),
        answer: |a| {
            answer::access("resource.access", a.resource.access.as_ref())?;
            answer::digest("resource.digest", a.resource.digest.as_ref())
        },
    }
}

identity_operation!(dyn Trait);
