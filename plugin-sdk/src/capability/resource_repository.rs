//! Serving the resource repository capability (spec §5.5) from the route table.
//!
//! Credentials are optional here: an absent `Authorization` header means none (Go SDK plugins
//! ignore the header altogether); a malformed one is still a 401.

use std::sync::Arc;

use axum::{extract::Request, response::Response};
use ocm_plugin_contracts::resource_repository::v1::{
    AddGlobalResourceRequest, GetGlobalResourceRequest, ResourceRepository,
};
use ocm_plugin_endpoints::{Route, resource_repository as routes};

use super::{Mount, dispatch::TypeDispatch, operation};
use crate::response::{self, ApiError};

/// Registered resource repositories by the access type they serve.
pub(crate) type ResourceRepositories = TypeDispatch<Arc<dyn ResourceRepository>>;

/// An empty set.
pub(crate) fn dispatch() -> ResourceRepositories {
    TypeDispatch::new("resource repository", "resource access")
}

/// What an operation route does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Operation {
    GetGlobalResource,
    AddGlobalResource,
}

const OPERATIONS: [(&Route, Operation); 2] = [
    (&routes::GET_GLOBAL_RESOURCE, Operation::GetGlobalResource),
    (&routes::ADD_GLOBAL_RESOURCE, Operation::AddGlobalResource),
];

/// Operation routes of the table; the identity route is mounted separately.
pub(crate) fn mounts(repositories: ResourceRepositories) -> Vec<Mount> {
    operation::mounts(
        routes::ROUTES,
        &routes::GET_IDENTITY,
        &OPERATIONS,
        repositories,
        serve,
    )
}

async fn serve(
    op: Operation,
    route: &'static Route,
    repositories: Arc<ResourceRepositories>,
    request: Request,
) -> Result<Response, ApiError> {
    Ok(match op {
        Operation::GetGlobalResource => {
            let (credentials, r): (_, GetGlobalResourceRequest) =
                operation::read(route, request).await?;
            let repository = repositories.pick(r.resource.access.as_ref())?;
            response::json(&repository.get_global_resource(r, &credentials).await?)
        }
        Operation::AddGlobalResource => {
            let (credentials, r): (_, AddGlobalResourceRequest) =
                operation::read(route, request).await?;
            let repository = repositories.pick(r.resource.access.as_ref())?;
            response::json(&repository.add_global_resource(r, &credentials).await?)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_of_the_table_is_served() {
        let unserved = operation::unserved(&routes::ROUTES, &routes::GET_IDENTITY, &OPERATIONS);
        assert!(unserved.is_empty(), "{unserved:?}");
    }
}
