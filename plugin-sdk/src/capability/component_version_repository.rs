//! Serving the component version repository capability (spec §5.1) from the route table.

use std::sync::Arc;

use axum::{body::Body, extract::Request, http::request::Parts, response::Response};
use ocm_plugin_contracts::component_version_repository::v1::{self as api, Repository};
use ocm_plugin_endpoints::{Params, Route, component_version_repository as cvr};
use ocm_plugin_types::Raw;
use serde::de::DeserializeOwned;

use super::{Mount, dispatch::TypeDispatch, operation};
use crate::{
    request,
    response::{self, ApiError},
};

/// Registered repositories by the repository spec type they serve.
pub(crate) type Repositories = TypeDispatch<Arc<dyn Repository>>;

/// An empty set of repositories.
pub(crate) fn dispatch() -> Repositories {
    TypeDispatch::new("component version repository", "repository spec")
}

/// What a capability route does; every route of the table except the shared identity route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Operation {
    GetComponentVersion,
    ListComponentVersions,
    GetLocalResource,
    GetLocalSource,
    AddComponentVersion,
    AddLocalResource,
    AddLocalSource,
    CheckHealth,
}

const OPERATIONS: [(&Route, Operation); 8] = [
    (&cvr::GET_COMPONENT_VERSION, Operation::GetComponentVersion),
    (
        &cvr::LIST_COMPONENT_VERSIONS,
        Operation::ListComponentVersions,
    ),
    (&cvr::GET_LOCAL_RESOURCE, Operation::GetLocalResource),
    (&cvr::GET_LOCAL_SOURCE, Operation::GetLocalSource),
    (&cvr::ADD_COMPONENT_VERSION, Operation::AddComponentVersion),
    (&cvr::ADD_LOCAL_RESOURCE, Operation::AddLocalResource),
    (&cvr::ADD_LOCAL_SOURCE, Operation::AddLocalSource),
    (&cvr::CHECK_HEALTH, Operation::CheckHealth),
];

/// Operation routes for every entry of the capability's route table; the identity route is
/// mounted separately, shared by all capabilities.
pub(crate) fn mounts(repositories: Repositories) -> Vec<Mount> {
    operation::mounts(
        cvr::ROUTES,
        &cvr::GET_IDENTITY,
        &OPERATIONS,
        repositories,
        serve,
    )
}

/// Decodes a request the way its route says parameters travel.
async fn decode<T: DeserializeOwned>(
    route: &Route,
    parts: &Parts,
    body: Body,
) -> Result<T, ApiError> {
    match route.params {
        Params::Query(_) => request::from_query(route, &parts.uri),
        Params::JsonBody => request::from_body(body).await,
        Params::None => request::from_body(Body::from("{}")).await,
    }
}

async fn serve(
    op: Operation,
    route: &'static Route,
    repositories: Arc<Repositories>,
    request: Request,
) -> Result<Response, ApiError> {
    let (parts, body) = request.into_parts();
    let credentials = request::credentials(route.auth, &parts.headers)?;
    let credentials = &credentials;
    let pick = |spec: Option<&Raw>| repositories.pick(spec);
    Ok(match op {
        Operation::GetComponentVersion => {
            let r: api::GetComponentVersionRequest = decode(route, &parts, body).await?;
            let repo = pick(r.repository.as_ref())?;
            response::json(&repo.get_component_version(r, credentials).await?)
        }
        Operation::ListComponentVersions => {
            let r: api::ListComponentVersionsRequest = decode(route, &parts, body).await?;
            let repo = pick(r.repository.as_ref())?;
            response::json(&repo.list_component_versions(r, credentials).await?)
        }
        Operation::GetLocalResource => {
            let r: api::GetLocalResourceRequest = decode(route, &parts, body).await?;
            let repo = pick(r.repository.as_ref())?;
            response::json(&repo.get_local_resource(r, credentials).await?)
        }
        Operation::GetLocalSource => {
            let r: api::GetLocalSourceRequest = decode(route, &parts, body).await?;
            let repo = pick(r.repository.as_ref())?;
            response::json(&repo.get_local_source(r, credentials).await?)
        }
        Operation::AddComponentVersion => {
            let r: api::AddComponentVersionRequest = decode(route, &parts, body).await?;
            let repo = pick(Some(&r.repository))?;
            repo.add_component_version(r, credentials).await?;
            response::empty_ok()
        }
        Operation::AddLocalResource => {
            let r: api::AddLocalResourceRequest = decode(route, &parts, body).await?;
            let repo = pick(Some(&r.repository))?;
            response::json(&repo.add_local_resource(r, credentials).await?)
        }
        Operation::AddLocalSource => {
            let r: api::AddLocalSourceRequest = decode(route, &parts, body).await?;
            let repo = pick(Some(&r.repository))?;
            response::json(&repo.add_local_source(r, credentials).await?)
        }
        Operation::CheckHealth => {
            let r: api::CheckHealthRequest = decode(route, &parts, body).await?;
            let repo = pick(Some(&r.repository))?;
            repo.check_health(r, credentials).await?;
            response::empty_ok()
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_of_the_table_is_served() {
        let unserved = operation::unserved(&cvr::ROUTES, &cvr::GET_IDENTITY, &OPERATIONS);
        assert!(unserved.is_empty(), "{unserved:?}");
    }
}
