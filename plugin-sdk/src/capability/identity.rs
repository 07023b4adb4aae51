//! The shared identity route: several capabilities answer `POST /identity`, so one handler reads
//! the body `{"type": <spec>}` and dispatches on the spec's declared type.

use std::sync::Arc;

use axum::{
    body::Body,
    response::{IntoResponse, Response},
    routing::MethodRouter,
};
use ocm_plugin_contracts::async_trait;
use ocm_plugin_types::{CapabilityKind, Identity, Raw, Type};
use serde::{Deserialize, Serialize};

use super::dispatch::TypeDispatch;
use crate::{request, response};

/// A capability's answer to "which consumer identity do credentials for this spec belong to".
#[async_trait]
pub(crate) trait IdentityProvider: Send + Sync {
    async fn identity(&self, spec: Raw) -> ocm_plugin_contracts::Result<Identity>;
}

/// One type's identity provider.
pub(crate) struct Entry {
    pub(crate) kind: CapabilityKind,
    pub(crate) typ: Type,
    pub(crate) provider: Arc<dyn IdentityProvider>,
}

/// The body every capability's identity request has.
#[derive(Deserialize)]
struct IdentityRequest {
    #[serde(rename = "type")]
    spec: Raw,
}

/// The answer every capability's identity request has.
#[derive(Serialize)]
struct IdentityResponse {
    identity: Identity,
}

/// One handler for all entries mounted on the same path. When two capabilities declare the same
/// type, the one registered first answers.
pub(crate) fn handler(entries: Vec<Entry>) -> MethodRouter {
    let kinds: Vec<String> = entries.iter().map(|e| e.kind.to_string()).collect();
    tracing::debug!(capabilities = ?kinds, "serving identity route");
    let mut dispatch = TypeDispatch::new("capability");
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
) -> Result<Response, response::ApiError> {
    let IdentityRequest { spec } = request::from_body(body).await?;
    let provider = dispatch.pick(Some(&spec))?;
    let identity = provider.identity(spec).await?;
    Ok(response::json(&IdentityResponse { identity }))
}
