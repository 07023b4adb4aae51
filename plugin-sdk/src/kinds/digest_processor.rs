//! Digest processors: fill in a resource's digest, for resources whose access is of
//! the registered type.
//!
//! This module holds what a digest processor needs: the typed trait [`DigestProcessor`], the registration
//! functions [`typed`] and [`untyped`] (and their `_async` twins), and every request and
//! response type of the contract (`ocm_plugin_contracts::digest_processor::v1`, whose trait of the same
//! name is the untyped one). The [guide](crate::guide) shows it at work.

pub use ocm_plugin_contracts::digest_processor::v1::*;
use ocm_plugin_contracts::{Error, Result, async_trait, digest_processor::v1 as raw};
use ocm_plugin_endpoints::digest_processor::DigestProcessor as Capability;
pub use ocm_plugin_types::{Credentials, Identity};

use crate::{TypedSpec, typed::decode};

/// A digest processor for the spec type [`Self::Spec`], which the SDK has checked against its
/// derived schema and decoded before each call. Unimplemented operations answer 501, like
/// the Go SDK.
#[async_trait]
pub trait DigestProcessor: Send + Sync + 'static {
    /// The resource's access, e.g. `{"type":"OCIImage/v1","imageReference":…}`.
    type Spec: TypedSpec + Send;

    /// The resource with its digest ([`PROCESS_RESOURCE_DIGEST`](crate::endpoints::digest_processor::PROCESS_RESOURCE_DIGEST)).
    async fn process_resource_digest(
        &self,
        spec: Self::Spec,
        request: ProcessResourceDigestRequest,
        credentials: &Credentials,
    ) -> Result<ProcessResourceDigestResponse>;

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
impl<R: DigestProcessor> raw::DigestProcessor for Typed<R> {
    async fn process_resource_digest(
        &self,
        request: ProcessResourceDigestRequest,
        credentials: &Credentials,
    ) -> Result<ProcessResourceDigestResponse> {
        let spec = decode(request.resource.access.as_ref())?;
        self.0
            .process_resource_digest(spec, request, credentials)
            .await
    }

    async fn get_identity(&self, request: GetIdentityRequest) -> Result<GetIdentityResponse> {
        let identity = self.0.identity(decode(Some(&request.typ))?).await?;
        Ok(GetIdentityResponse { identity })
    }
}

crate::kinds::registrations! {
    trait: DigestProcessor,
    what: "digest processor",
    contract: "ocm_plugin_contracts::digest_processor::v1"
}
