//! Serving the blob transformer capability (spec §5.6) from the route table.
//!
//! Unlike the Go SDK, an undecodable body is a 400, never an empty 200 (W18).

use std::sync::Arc;

use axum::{extract::Request, response::Response};
use ocm_plugin_contracts::blob_transformer::v1::{BlobTransformer, TransformBlobRequest};
use ocm_plugin_endpoints::{Route, blob_transformer as routes};

use super::{Mount, dispatch::TypeDispatch, operation};
use crate::response::{self, ApiError};

/// Registered blob transformers by the transformer spec type they serve.
pub(crate) type BlobTransformers = TypeDispatch<Arc<dyn BlobTransformer>>;

/// An empty set.
pub(crate) fn dispatch() -> BlobTransformers {
    TypeDispatch::new("blob transformer", "transformer specification")
}

/// What an operation route does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Operation {
    TransformBlob,
}

const OPERATIONS: [(&Route, Operation); 1] = [(&routes::TRANSFORM_BLOB, Operation::TransformBlob)];

/// Operation routes of the table; the identity route is mounted separately.
pub(crate) fn mounts(transformers: BlobTransformers) -> Vec<Mount> {
    operation::mounts(
        routes::ROUTES,
        &routes::GET_IDENTITY,
        &OPERATIONS,
        transformers,
        serve,
    )
}

async fn serve(
    op: Operation,
    route: &'static Route,
    transformers: Arc<BlobTransformers>,
    request: Request,
) -> Result<Response, ApiError> {
    Ok(match op {
        Operation::TransformBlob => {
            let (credentials, r): (_, TransformBlobRequest) =
                operation::read(route, request).await?;
            let transformer = transformers.pick(Some(&r.specification))?;
            response::json(&transformer.transform_blob(r, &credentials).await?)
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
