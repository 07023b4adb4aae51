//! Blob transformers: turn one blob into another (compress, convert, filter) as a
//! transformer spec says.
//!
//! This module holds what a blob transformer needs: the typed trait [`BlobTransformer`], the registration
//! functions [`typed`] and [`untyped`] (and their `_async` twins), and every request and
//! response type of the contract (`ocm_plugin_contracts::blob_transformer::v1`, whose trait of the same
//! name is the untyped one). The [guide](crate::guide) shows it at work.

pub use ocm_plugin_contracts::blob_transformer::v1::*;
use ocm_plugin_contracts::{Error, Result, async_trait, blob_transformer::v1 as raw};
use ocm_plugin_endpoints::blob_transformer::BlobTransformer as Capability;
pub use ocm_plugin_types::{Credentials, Identity};

use crate::{TypedSpec, typed::decode};

/// A blob transformer for the spec type [`Self::Spec`], which the SDK has checked against its
/// derived schema and decoded before each call. Unimplemented operations answer 501, like
/// the Go SDK.
#[async_trait]
pub trait BlobTransformer: Send + Sync + 'static {
    /// The transformer spec, e.g. `{"type":"gzip/v1","level":9}`.
    type Spec: TypedSpec + Send;

    /// The transformed blob ([`TRANSFORM_BLOB`](crate::endpoints::blob_transformer::TRANSFORM_BLOB)).
    async fn transform_blob(
        &self,
        spec: Self::Spec,
        request: TransformBlobRequest,
        credentials: &Credentials,
    ) -> Result<TransformBlobResponse>;

    /// The consumer identity whose credentials a spec needs (`POST /identity`); none by
    /// default (501).
    async fn identity(&self, spec: Self::Spec) -> Result<Identity> {
        let _ = spec;
        Err(Error::Unsupported("get-identity"))
    }
}

/// The untyped contract over a typed implementation.
struct Typed<R>(R);

#[async_trait]
impl<R: BlobTransformer> raw::BlobTransformer for Typed<R> {
    async fn transform_blob(
        &self,
        request: TransformBlobRequest,
        credentials: &Credentials,
    ) -> Result<TransformBlobResponse> {
        let spec = decode(Some(&request.specification))?;
        self.0.transform_blob(spec, request, credentials).await
    }

    async fn get_identity(&self, request: GetIdentityRequest) -> Result<GetIdentityResponse> {
        let identity = self.0.identity(decode(Some(&request.typ))?).await?;
        Ok(GetIdentityResponse { identity })
    }
}

crate::kinds::registrations! {
    trait: BlobTransformer,
    what: "blob transformer",
    contract: "ocm_plugin_contracts::blob_transformer::v1"
}
