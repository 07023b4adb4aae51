//! Serving the credential repository capability (spec §5.2) from the route table.

use std::sync::Arc;

use axum::{extract::Request, response::Response};
use ocm_plugin_contracts::credential_repository::v1::{
    ConsumerIdentityForConfigRequest, CredentialRepository, ResolveRequest,
};
use ocm_plugin_endpoints::{Route, credential_repository as routes};

use super::{Mount, dispatch::TypeDispatch, operation};
use crate::response::{self, ApiError};

/// The registered credential repository, by the repository config type it serves (at most one:
/// the capabilities format pairs one consumer identity type with one config type).
pub(crate) type CredentialRepositories = TypeDispatch<Arc<dyn CredentialRepository>>;

/// An empty set.
pub(crate) fn dispatch() -> CredentialRepositories {
    TypeDispatch::new("credential repository", "repository config")
}

/// What an operation route does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Operation {
    ConsumerIdentity,
    Resolve,
}

const OPERATIONS: [(&Route, Operation); 2] = [
    (&routes::CONSUMER_IDENTITY, Operation::ConsumerIdentity),
    (&routes::RESOLVE, Operation::Resolve),
];

/// Operation routes of the table; the identity route is mounted separately.
pub(crate) fn mounts(repositories: CredentialRepositories) -> Vec<Mount> {
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
    repositories: Arc<CredentialRepositories>,
    request: Request,
) -> Result<Response, ApiError> {
    Ok(match op {
        Operation::ConsumerIdentity => {
            let (_, r): (_, ConsumerIdentityForConfigRequest) =
                operation::read(route, request).await?;
            let repository = repositories.pick(Some(&r.config))?;
            // A bare identity object, not wrapped in `identity`.
            response::json(&repository.consumer_identity_for_config(r).await?)
        }
        Operation::Resolve => {
            let (credentials, r): (_, ResolveRequest) = operation::read(route, request).await?;
            let repository = repositories.pick(Some(&r.config))?;
            // A bare credentials map.
            response::json(&repository.resolve(r, &credentials).await?)
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
