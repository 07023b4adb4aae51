//! Serving the digest processor capability (spec §5.4) from the route table.

use std::sync::Arc;

use axum::{extract::Request, response::Response};
use ocm_plugin_contracts::digest_processor::v1::{DigestProcessor, ProcessResourceDigestRequest};
use ocm_plugin_endpoints::{Route, digest_processor as routes};

use super::{Mount, dispatch::TypeDispatch, operation};
use crate::response::{self, ApiError};

/// Registered digest processors by the access type they serve.
pub(crate) type DigestProcessors = TypeDispatch<Arc<dyn DigestProcessor>>;

/// An empty set.
pub(crate) fn dispatch() -> DigestProcessors {
    TypeDispatch::new("digest processor", "resource access")
}

/// What an operation route does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Operation {
    ProcessResourceDigest,
}

const OPERATIONS: [(&Route, Operation); 1] = [(
    &routes::PROCESS_RESOURCE_DIGEST,
    Operation::ProcessResourceDigest,
)];

/// Operation routes of the table; the identity route is mounted separately.
pub(crate) fn mounts(processors: DigestProcessors) -> Vec<Mount> {
    operation::mounts(
        routes::ROUTES,
        &routes::GET_IDENTITY,
        &OPERATIONS,
        processors,
        serve,
    )
}

async fn serve(
    op: Operation,
    route: &'static Route,
    processors: Arc<DigestProcessors>,
    request: Request,
) -> Result<Response, ApiError> {
    Ok(match op {
        Operation::ProcessResourceDigest => {
            let (credentials, r): (_, ProcessResourceDigestRequest) =
                operation::read(route, request).await?;
            let processor = processors.pick(r.resource.access.as_ref())?;
            response::json(&processor.process_resource_digest(r, &credentials).await?)
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
