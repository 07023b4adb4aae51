//! Routes and operations of the component version repository capability (spec §5.1).

use http::Method;
use ocm_plugin_contracts::component_version_repository::v1::{
    AddComponentVersionRequest, AddLocalResourceRequest, AddLocalSourceRequest, CheckHealthRequest,
    ComponentVersionRepository as Trait, GetComponentVersionRequest, GetLocalResourceRequest,
    GetLocalResourceResponse, GetLocalSourceRequest, GetLocalSourceResponse,
    ListComponentVersionsRequest,
};
use ocm_plugin_types::{CapabilityKind, Descriptor, Resource, Source};

use crate::operation::{Capability, Visit, identity_operation, operation};
use crate::{Auth, Param, Params, Route, answer};

/// Query parameter that carries the repository spec as base64 JSON. An extension of ours:
/// Go managers never send it and Go plugins ignore it.
pub const REPOSITORY_PARAM: &str = "repository";
/// Query parameter that carries the resource or source identity as base64 JSON.
pub const IDENTITY_PARAM: &str = "identity";
/// Query parameter with the component name.
pub const NAME_PARAM: &str = "name";
/// Query parameter with the component version.
pub const VERSION_PARAM: &str = "version";

/// The parameters of the local resource and source downloads.
const LOCAL_PARAMS: &[Param] = &[
    Param::JsonOrNull(IDENTITY_PARAM),
    Param::Text(NAME_PARAM),
    Param::Text(VERSION_PARAM),
    Param::Json(REPOSITORY_PARAM),
];

/// Read a descriptor.
pub const GET_COMPONENT_VERSION: Route = Route {
    operation: "get-component-version",
    method: Method::GET,
    path: "/component-version/download",
    auth: Auth::Required,
    params: Params::Query(&[
        Param::Text(NAME_PARAM),
        Param::Text(VERSION_PARAM),
        Param::Json(REPOSITORY_PARAM),
    ]),
};
/// List versions of a component.
pub const LIST_COMPONENT_VERSIONS: Route = Route {
    operation: "list-component-versions",
    method: Method::GET,
    path: "/component-versions",
    auth: Auth::Required,
    params: Params::Query(&[Param::Text(NAME_PARAM), Param::Json(REPOSITORY_PARAM)]),
};
/// Read a local resource.
pub const GET_LOCAL_RESOURCE: Route = Route {
    operation: "get-local-resource",
    method: Method::GET,
    path: "/local-resource/download",
    auth: Auth::Required,
    params: Params::Query(LOCAL_PARAMS),
};
/// Read a local source.
pub const GET_LOCAL_SOURCE: Route = Route {
    operation: "get-local-source",
    method: Method::GET,
    path: "/local-source/download",
    auth: Auth::Required,
    params: Params::Query(LOCAL_PARAMS),
};
/// Store a descriptor.
pub const ADD_COMPONENT_VERSION: Route = Route {
    operation: "add-component-version",
    method: Method::POST,
    path: "/component-version/upload",
    auth: Auth::Required,
    params: Params::JsonBody,
};
/// Store a local resource.
pub const ADD_LOCAL_RESOURCE: Route = Route {
    operation: "add-local-resource",
    method: Method::POST,
    path: "/local-resource/upload",
    auth: Auth::Required,
    params: Params::JsonBody,
};
/// Store a local source.
pub const ADD_LOCAL_SOURCE: Route = Route {
    operation: "add-local-source",
    method: Method::POST,
    path: "/local-source/upload",
    auth: Auth::Required,
    params: Params::JsonBody,
};
/// Consumer identity of a repository spec. No credentials are sent.
pub const GET_IDENTITY: Route = Route {
    operation: "get-identity",
    method: Method::POST,
    path: "/identity",
    auth: Auth::None,
    params: Params::JsonBody,
};
/// Reachability check (Go SDK plugins answer 404: the Go SDK never routes it).
pub const CHECK_HEALTH: Route = Route {
    operation: "check-health",
    method: Method::POST,
    path: "/component-version/check-health",
    auth: Auth::Required,
    params: Params::JsonBody,
};

/// Every route of the capability, in the order the Go SDK registers its handlers, followed
/// by `check-health`, which the Go SDK omits.
pub const ROUTES: [&Route; 9] = [
    &GET_COMPONENT_VERSION,
    &LIST_COMPONENT_VERSIONS,
    &GET_LOCAL_RESOURCE,
    &ADD_COMPONENT_VERSION,
    &ADD_LOCAL_RESOURCE,
    &GET_IDENTITY,
    &ADD_LOCAL_SOURCE,
    &GET_LOCAL_SOURCE,
    &CHECK_HEALTH,
];

/// The component version repository capability.
#[derive(Debug, Clone, Copy)]
pub struct ComponentVersionRepository;

impl Capability for ComponentVersionRepository {
    type Handle = dyn Trait;
    const KIND: CapabilityKind = CapabilityKind::ComponentVersionRepository;
    const WHAT: &'static str = "component version repository";
    const SPEC: &'static str = "repository spec";
    const ROUTES: &'static [&'static Route] = &ROUTES;

    fn operations<V: Visit<Self::Handle>>(v: &mut V) {
        v.operation::<GetComponentVersion>();
        v.operation::<ListComponentVersions>();
        v.operation::<GetLocalResource>();
        v.operation::<AddComponentVersion>();
        v.operation::<AddLocalResource>();
        v.identity::<GetIdentity>();
        v.operation::<AddLocalSource>();
        v.operation::<GetLocalSource>();
        v.operation::<CheckHealth>();
    }
}

operation! {
    /// Read a descriptor. Go managers send no spec; ours sends the bound one along.
    GetComponentVersion {
        handle: dyn Trait,
        route: GET_COMPONENT_VERSION,
        request: GetComponentVersionRequest,
        response: Descriptor,
        spec: |r| r.repository.as_ref(),
        call: |h, r, c| h.get_component_version(r, c),
        bind: |r, spec| { r.repository.get_or_insert_with(|| spec.clone()); },
    }
}

operation! {
    /// List the versions of a component.
    ListComponentVersions {
        handle: dyn Trait,
        route: LIST_COMPONENT_VERSIONS,
        request: ListComponentVersionsRequest,
        response: Vec<String>,
        spec: |r| r.repository.as_ref(),
        call: |h, r, c| h.list_component_versions(r, c),
        bind: |r, spec| { r.repository.get_or_insert_with(|| spec.clone()); },
    }
}

operation! {
    /// Read a local resource.
    GetLocalResource {
        handle: dyn Trait,
        route: GET_LOCAL_RESOURCE,
        request: GetLocalResourceRequest,
        response: GetLocalResourceResponse,
        spec: |r| r.repository.as_ref(),
        call: |h, r, c| h.get_local_resource(r, c),
        bind: |r, spec| { r.repository.get_or_insert_with(|| spec.clone()); },
        answer: |a| answer::location(&a.location),
    }
}

operation! {
    /// Read a local source.
    GetLocalSource {
        handle: dyn Trait,
        route: GET_LOCAL_SOURCE,
        request: GetLocalSourceRequest,
        response: GetLocalSourceResponse,
        spec: |r| r.repository.as_ref(),
        call: |h, r, c| h.get_local_source(r, c),
        bind: |r, spec| { r.repository.get_or_insert_with(|| spec.clone()); },
        answer: |a| answer::location(&a.location),
    }
}

operation! {
    /// Store a descriptor. Only one OCM's Go code can read is stored (the provider a string,
    /// `signing` a boolean, a component name and version, …): a descriptor OCM cannot decode
    /// cannot be listed, verified or transferred by OCM's tools, so both sides refuse it.
    AddComponentVersion {
        handle: dyn Trait,
        route: ADD_COMPONENT_VERSION,
        request: AddComponentVersionRequest,
        response: (),
        spec: |r| Some(&r.repository),
        call: |h, r, c| h.add_component_version(r, c),
        check: |r| check_descriptor(&r.descriptor),
    }
}

/// [`ocm_plugin_signing::check_v2`] of a descriptor, as a message.
fn check_descriptor(descriptor: &Descriptor) -> std::result::Result<(), String> {
    let value = serde_json::to_value(descriptor).map_err(|e| e.to_string())?;
    ocm_plugin_signing::check_v2(&value).map_err(|e| e.to_string())
}

operation! {
    /// Store a local resource.
    AddLocalResource {
        handle: dyn Trait,
        route: ADD_LOCAL_RESOURCE,
        request: AddLocalResourceRequest,
        response: Resource,
        spec: |r| Some(&r.repository),
        call: |h, r, c| h.add_local_resource(r, c),
        answer: |a| {
            answer::access("resource.access", a.access.as_ref())?;
            answer::digest("resource.digest", a.digest.as_ref())
        },
    }
}

operation! {
    /// Store a local source.
    AddLocalSource {
        handle: dyn Trait,
        route: ADD_LOCAL_SOURCE,
        request: AddLocalSourceRequest,
        response: Source,
        spec: |r| Some(&r.repository),
        call: |h, r, c| h.add_local_source(r, c),
        answer: |a| answer::access("source.access", a.access.as_ref()),
    }
}

operation! {
    /// Check that the repository is reachable.
    CheckHealth {
        handle: dyn Trait,
        route: CHECK_HEALTH,
        request: CheckHealthRequest,
        response: (),
        spec: |r| Some(&r.repository),
        call: |h, r, c| h.check_health(r, c),
    }
}

identity_operation!(dyn Trait);
