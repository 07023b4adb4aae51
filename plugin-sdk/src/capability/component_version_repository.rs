//! Serving the component version repository capability (spec §5.1) from the route table.

use std::sync::Arc;

use axum::{
    body::Body,
    extract::Request,
    http::request::Parts,
    response::{IntoResponse, Response},
};
use ocm_plugin_contracts::{
    async_trait,
    component_version_repository::v1::{self as api, GetIdentityRequest, Repository},
};
use ocm_plugin_endpoints::{Params, Route, component_version_repository as cvr};
use ocm_plugin_types::{CapabilityKind, Identity, Raw};
use serde::de::DeserializeOwned;

use super::{Mount, dispatch::TypeDispatch, identity};
use crate::{
    request,
    response::{self, ApiError},
};

/// Registered repositories by the repository spec type they serve.
pub(crate) type Repositories = TypeDispatch<Arc<dyn Repository>>;

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

fn operation(route: &Route) -> Option<Operation> {
    OPERATIONS
        .iter()
        .find(|(r, _)| r.path == route.path)
        .map(|(_, op)| *op)
}

/// Routes for every entry of the capability's route table.
pub(crate) fn mounts(repositories: Repositories) -> Vec<Mount> {
    let repositories = Arc::new(repositories);
    let mut mounts = Vec::new();
    for route in cvr::ROUTES {
        if route.path == cvr::GET_IDENTITY.path {
            for (typ, repository) in repositories.iter() {
                mounts.push(Mount::Identity(
                    route,
                    identity::Entry {
                        kind: CapabilityKind::ComponentVersionRepository,
                        typ: typ.clone(),
                        provider: Arc::new(RepositoryIdentity(Arc::clone(repository))),
                    },
                ));
            }
        } else if let Some(op) = operation(route) {
            let repositories = Arc::clone(&repositories);
            let handler = move |request: Request| {
                let repositories = Arc::clone(&repositories);
                async move {
                    serve(op, route, &repositories, request)
                        .await
                        .unwrap_or_else(IntoResponse::into_response)
                }
            };
            mounts.push(Mount::Operation(route, axum::routing::any(handler)));
        } else {
            tracing::error!(path = route.path, "route without a handler; it answers 404");
        }
    }
    mounts
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
    repositories: &Repositories,
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

/// A repository as the shared identity route sees it.
struct RepositoryIdentity(Arc<dyn Repository>);

#[async_trait]
impl identity::IdentityProvider for RepositoryIdentity {
    async fn identity(&self, spec: Raw) -> ocm_plugin_contracts::Result<Identity> {
        let response = self
            .0
            .get_identity(GetIdentityRequest { typ: spec })
            .await?;
        Ok(response.identity)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_of_the_table_is_served() {
        for route in cvr::ROUTES {
            assert!(
                route.path == cvr::GET_IDENTITY.path || operation(route).is_some(),
                "{} has no handler",
                route.operation
            );
        }
        // And no operation points at a route that left the table.
        for (route, _) in OPERATIONS {
            assert!(
                cvr::ROUTES.iter().any(|r| r.path == route.path),
                "{}",
                route.operation
            );
        }
    }
}
