//! Serving the input capability (spec §5.3, §10.1) from the route table.
//!
//! Requests decode both shapes managers send: a descriptor v2 resource or source with `access`
//! (v0.0.1) and a constructor one with `input` (v0.0.2+). The input method is picked by the type
//! of `input`, else of `access`.

use std::sync::Arc;

use axum::{extract::Request, response::Response};
use ocm_plugin_contracts::input::v1::{InputMethod, ProcessResourceRequest, ProcessSourceRequest};
use ocm_plugin_endpoints::{Route, input as routes};

use super::{Mount, dispatch::TypeDispatch, operation};
use crate::response::{self, ApiError};

/// Registered input methods by the input type they serve.
pub(crate) type InputMethods = TypeDispatch<Arc<dyn InputMethod>>;

/// An empty set.
pub(crate) fn dispatch() -> InputMethods {
    TypeDispatch::new("input method", "input (or, from v0.0.1 managers, access)")
}

/// What an operation route does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Operation {
    ProcessResource,
    ProcessSource,
}

const OPERATIONS: [(&Route, Operation); 2] = [
    (&routes::PROCESS_RESOURCE, Operation::ProcessResource),
    (&routes::PROCESS_SOURCE, Operation::ProcessSource),
];

/// Operation routes of the table; the identity route is mounted separately.
pub(crate) fn mounts(methods: InputMethods) -> Vec<Mount> {
    operation::mounts(
        routes::ROUTES,
        &routes::GET_IDENTITY,
        &OPERATIONS,
        methods,
        serve,
    )
}

async fn serve(
    op: Operation,
    route: &'static Route,
    methods: Arc<InputMethods>,
    request: Request,
) -> Result<Response, ApiError> {
    Ok(match op {
        Operation::ProcessResource => {
            let (credentials, r): (_, ProcessResourceRequest) =
                operation::read(route, request).await?;
            let method = methods.pick(r.resource.spec())?;
            response::json(&method.process_resource(r, &credentials).await?)
        }
        Operation::ProcessSource => {
            let (credentials, r): (_, ProcessSourceRequest) =
                operation::read(route, request).await?;
            let method = methods.pick(r.source.spec())?;
            response::json(&method.process_source(r, &credentials).await?)
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
