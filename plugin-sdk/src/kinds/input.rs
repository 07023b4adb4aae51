//! Input methods: turn a constructor input (`input: {type: …}` of a resource or source in a
//! component constructor) into a blob.
//!
//! Guide: see the crate's [`guide`](crate::guide) for every capability; this module holds what
//! an input method needs: the typed trait [`InputMethod`], the registration functions
//! [`typed`] and [`untyped`] (and their `_async` twins), the answer builders [`resource_answer`]
//! and [`source_answer`] with [`LocalBlob`], and every request and response type of the
//! contract (`ocm_plugin_contracts::input::v1`).

pub use ocm_plugin_contracts::input::v1::{
    ConstructorResource, ConstructorSource, GetIdentityRequest, GetIdentityResponse,
    ProcessResourceRequest, ProcessResourceResponse, ProcessSourceRequest, ProcessSourceResponse,
};
use ocm_plugin_contracts::{Error, Result, async_trait, input::v1 as raw};
use ocm_plugin_endpoints::input::Input as Capability;
pub use ocm_plugin_types::{Credentials, Identity};

pub use crate::local_blob::{LOCAL_BLOB_ACCESS_TYPE, LocalBlob, resource_answer, source_answer};
use crate::{TypedSpec, typed::decode};

/// An input method for the spec type [`Self::Spec`], which the SDK has checked against its
/// derived schema and decoded before each call.
///
/// Requests carry the spec as the resource's or source's `input` (v0.0.2+ managers) or
/// `access` (v0.0.1); either way it arrives here decoded. Unimplemented operations answer
/// 501, like the Go SDK.
#[async_trait]
pub trait InputMethod: Send + Sync + 'static {
    /// The input spec this method handles, e.g. `{"type":"Text/v1","text":"…"}`.
    type Spec: TypedSpec + Send;

    /// Turns a resource's input into a blob: answer with [`resource_answer`].
    async fn process_resource(
        &self,
        spec: Self::Spec,
        request: ProcessResourceRequest,
        credentials: &Credentials,
    ) -> Result<ProcessResourceResponse> {
        let _ = (spec, request, credentials);
        Err(Error::Unsupported("process-resource"))
    }

    /// Turns a source's input into a blob: answer with [`source_answer`].
    async fn process_source(
        &self,
        spec: Self::Spec,
        request: ProcessSourceRequest,
        credentials: &Credentials,
    ) -> Result<ProcessSourceResponse> {
        let _ = (spec, request, credentials);
        Err(Error::Unsupported("process-source"))
    }

    /// The consumer identity whose credentials a spec needs (`POST /identity`); none by
    /// default (501). Go managers never ask input methods for it.
    async fn identity(&self, spec: Self::Spec) -> Result<Identity> {
        let _ = spec;
        Err(Error::Unsupported("get-identity"))
    }
}

/// The untyped contract over a typed implementation.
struct Typed<R>(R);

#[async_trait]
impl<R: InputMethod> raw::InputMethod for Typed<R> {
    async fn process_resource(
        &self,
        request: ProcessResourceRequest,
        credentials: &Credentials,
    ) -> Result<ProcessResourceResponse> {
        let spec = decode(request.resource.spec())?;
        self.0.process_resource(spec, request, credentials).await
    }

    async fn process_source(
        &self,
        request: ProcessSourceRequest,
        credentials: &Credentials,
    ) -> Result<ProcessSourceResponse> {
        let spec = decode(request.source.spec())?;
        self.0.process_source(spec, request, credentials).await
    }

    async fn get_identity(&self, request: GetIdentityRequest) -> Result<GetIdentityResponse> {
        let identity = self.0.identity(decode(Some(&request.typ))?).await?;
        Ok(GetIdentityResponse { identity })
    }
}

crate::kinds::registrations! {
    trait: InputMethod,
    what: "input method",
    contract: "ocm_plugin_contracts::input::v1",
    typed_docs:
    ///
    /// ```
    /// use ocm_plugin_sdk::{Plugin, input};
    /// # use ocm_plugin_sdk::{TypedSpec, schemars};
    /// # #[derive(serde::Deserialize, schemars::JsonSchema)]
    /// # #[schemars(crate = "ocm_plugin_sdk::schemars")]
    /// # struct TextSpec { r#type: String }
    /// # impl TypedSpec for TextSpec { const TYPE: &'static str = "Text/v1"; }
    /// # struct Text;
    /// # #[ocm_plugin_sdk::async_trait]
    /// # impl input::InputMethod for Text { type Spec = TextSpec; }
    /// let plugin = Plugin::new("text").register(input::typed(|_| Ok(Text)));
    /// assert!(plugin.capabilities_json().contains(r#""type":"Text/v1""#));
    /// ```
}
