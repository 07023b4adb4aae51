//! Routes and operations of the component lister capability (spec §10.3).

use ocm_plugin_contracts::component_lister::v1::{
    ComponentLister as Trait, ListComponentsRequest, ListComponentsResponse,
};
use ocm_plugin_types::CapabilityKind;

use crate::{
    Auth, Route, identity,
    operation::{Capability, Visit, identity_operation, operation},
    post,
};

/// One page of component names. A malformed header is a 401; a missing one means no
/// credentials (v0.0.17).
pub const LIST_COMPONENTS: Route = post("list-components", "/components/list", Auth::Optional);
/// Consumer identity of a repository spec (the shared `/identity`).
pub const GET_IDENTITY: Route = identity("get-identity");
/// Every route, in the Go SDK's order.
pub const ROUTES: [&Route; 2] = [&LIST_COMPONENTS, &GET_IDENTITY];

/// The component lister capability.
#[derive(Debug, Clone, Copy)]
pub struct ComponentLister;

impl Capability for ComponentLister {
    type Handle = dyn Trait;
    const KIND: CapabilityKind = CapabilityKind::ComponentLister;
    const WHAT: &'static str = "component lister";
    const SPEC: &'static str = "repository spec";
    const ROUTES: &'static [&'static Route] = &ROUTES;

    fn operations<V: Visit<Self::Handle>>(v: &mut V) {
        v.operation::<ListComponents>();
        v.identity::<GetIdentity>();
    }
}

operation! {
    /// One page of the repository's component names; picked by `repository.type`.
    ListComponents {
        handle: dyn Trait,
        route: LIST_COMPONENTS,
        request: ListComponentsRequest,
        response: ListComponentsResponse,
        spec: |r| Some(&r.repository),
        call: |h, r, c| h.list_components(r, c),
    }
}

identity_operation!(dyn Trait);
