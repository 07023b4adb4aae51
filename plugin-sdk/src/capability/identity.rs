//! The shared identity route: every capability answers `POST /identity`, so one handler reads
//! the body `{"type": <spec>}` and dispatches on the spec's declared type, across all
//! capabilities of the plugin.
//!
//! Entries are kept in registration order and the first entry of a type answers, so when two
//! capabilities register the same type, the one registered first serves its identity.

use std::sync::Arc;

use axum::{
    body::Body,
    response::{IntoResponse, Response},
    routing::MethodRouter,
};
use ocm_plugin_contracts::{
    async_trait,
    identity::{GetIdentityRequest, GetIdentityResponse},
};
use ocm_plugin_endpoints::Operation;
use ocm_plugin_types::{CapabilityKind, Credentials, Identity, Raw, Type};
use serde::{Deserialize, Serialize};

use super::dispatch::TypeDispatch;
use crate::{
    request,
    response::{self, ApiError},
};

/// A capability's answer to "which consumer identity do credentials for this spec belong to".
#[async_trait]
pub(crate) trait IdentityProvider: Send + Sync {
    async fn identity(&self, spec: Raw) -> ocm_plugin_contracts::Result<Identity>;
}

/// An implementation as the identity route sees it: through its capability's identity
/// operation.
pub(crate) struct ViaOperation<Op: Operation> {
    handle: Arc<Op::Handle>,
}

impl<Op: Operation> ViaOperation<Op> {
    pub(crate) fn new(handle: Arc<Op::Handle>) -> Self {
        Self { handle }
    }
}

#[async_trait]
impl<Op> IdentityProvider for ViaOperation<Op>
where
    Op: Operation<Request = GetIdentityRequest, Response = GetIdentityResponse>,
{
    async fn identity(&self, spec: Raw) -> ocm_plugin_contracts::Result<Identity> {
        let none = Credentials::new();
        let response = Op::call(&self.handle, GetIdentityRequest { typ: spec }, &none).await?;
        Ok(response.identity)
    }
}

/// One type's identity provider.
pub(crate) struct Entry {
    pub(crate) kind: CapabilityKind,
    pub(crate) typ: Type,
    pub(crate) provider: Arc<dyn IdentityProvider>,
}

/// The body every capability's identity request has. `type` may be `null` or missing: Go
/// managers send that to digest processors and resource repositories; it is answered with 400.
#[derive(Deserialize)]
struct IdentityRequest {
    #[serde(rename = "type", default)]
    spec: Option<Raw>,
}

/// The answer every capability's identity request has.
#[derive(Serialize)]
struct IdentityResponse {
    identity: Identity,
}

/// One handler for all entries mounted on the same path, in registration order. When two
/// capabilities declare the same type, the one registered first answers.
pub(crate) fn handler(entries: Vec<Entry>) -> MethodRouter {
    let served: Vec<String> = entries
        .iter()
        .map(|e| format!("{} {}", e.kind, e.typ))
        .collect();
    tracing::debug!(served = ?served, "serving identity route");
    let mut dispatch = TypeDispatch::new("capability", "spec");
    for e in entries {
        dispatch.insert(e.typ, e.provider);
    }
    let dispatch = Arc::new(dispatch);
    axum::routing::any(move |body: Body| {
        let dispatch = Arc::clone(&dispatch);
        async move {
            serve(&dispatch, body)
                .await
                .unwrap_or_else(IntoResponse::into_response)
        }
    })
}

async fn serve(
    dispatch: &TypeDispatch<Arc<dyn IdentityProvider>>,
    body: Body,
) -> Result<Response, ApiError> {
    let IdentityRequest { spec } = request::from_body(body).await?;
    let Some(spec) = spec else {
        return Err(ApiError::bad_request(format!(
            "the identity request carries no spec: `type` must be the spec object whose identity is wanted, not null or missing; this plugin serves: {}",
            dispatch.types()
        )));
    };
    let provider = dispatch.pick(Some(&spec))?;
    let identity = provider.identity(spec).await?;
    Ok(response::json(&IdentityResponse { identity }))
}
