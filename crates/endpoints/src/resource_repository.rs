//! Routes and operations of the resource repository capability (spec §5.5).

use ocm_plugin_contracts::resource_repository::v1::{
    AddGlobalResourceRequest, AddGlobalResourceResponse, GetGlobalResourceRequest,
    GetGlobalResourceResponse, ResourceRepository as Trait,
};
use ocm_plugin_types::CapabilityKind;

use crate::operation::{Capability, Visit, identity_operation, operation};
use crate::{Auth, Route, answer, identity, post};

/// Consumer identity of an access (Go SDK plugins fail on any non-null spec).
pub const GET_IDENTITY: Route = identity("get-identity");
/// Download a resource. v0.0.1 Go SDK plugins ignore the credentials.
pub const GET_GLOBAL_RESOURCE: Route = post("get-global-resource", "/resource/get", Auth::Optional);
/// Upload a resource. v0.0.1 Go SDK plugins ignore the credentials.
pub const ADD_GLOBAL_RESOURCE: Route = post("add-global-resource", "/resource/add", Auth::Optional);
/// Every route, in the Go SDK's order.
pub const ROUTES: [&Route; 3] = [&GET_IDENTITY, &GET_GLOBAL_RESOURCE, &ADD_GLOBAL_RESOURCE];

/// The resource repository capability.
#[derive(Debug, Clone, Copy)]
pub struct ResourceRepository;

impl Capability for ResourceRepository {
    type Handle = dyn Trait;
    const KIND: CapabilityKind = CapabilityKind::ResourceRepository;
    const WHAT: &'static str = "resource repository";
    const SPEC: &'static str = "resource access";
    const ROUTES: &'static [&'static Route] = &ROUTES;

    fn operations<V: Visit<Self::Handle>>(v: &mut V) {
        v.identity::<GetIdentity>();
        v.operation::<GetGlobalResource>();
        v.operation::<AddGlobalResource>();
    }
}

operation! {
    /// Download a resource; picked by `resource.access.type`.
    GetGlobalResource {
        handle: dyn Trait,
        route: GET_GLOBAL_RESOURCE,
        request: GetGlobalResourceRequest,
        response: GetGlobalResourceResponse,
        spec: |r| r.resource.access.as_ref(),
        call: |h, r, c| h.get_global_resource(r, c),
        answer: |a| answer::location(&a.location),
    }
}

operation! {
    /// Upload a resource; picked by `resource.access.type`.
    AddGlobalResource {
        handle: dyn Trait,
        route: ADD_GLOBAL_RESOURCE,
        request: AddGlobalResourceRequest,
        response: AddGlobalResourceResponse,
        spec: |r| r.resource.access.as_ref(),
        call: |h, r, c| h.add_global_resource(r, c),
    }
}

identity_operation!(dyn Trait);
