//! Every capability's contract trait, implemented once over any way of calling operations.
//!
//! A [`Caller`] sends one [`Operation`] and returns its response: the registries' HTTP client
//! to a plugin process is one, the SDK's in-process test harness another. [`Client`] wraps a
//! caller and implements all nine contract traits on top of it, one operation per trait
//! method, so the mapping from methods to operations is written here once, and a host or a test
//! holds an `Arc<dyn ComponentVersionRepository>` (or any other) without knowing which caller
//! is underneath.

use std::future::Future;

use ocm_plugin_contracts::{
    Result, async_trait,
    blob_transformer::v1::{BlobTransformer, TransformBlobRequest, TransformBlobResponse},
    component_lister::v1::{ComponentLister, ListComponentsRequest, ListComponentsResponse},
    component_version_repository::v1::{
        AddComponentVersionRequest, AddLocalResourceRequest, AddLocalSourceRequest,
        CheckHealthRequest, ComponentVersionRepository, GetComponentVersionRequest,
        GetLocalResourceRequest, GetLocalResourceResponse, GetLocalSourceRequest,
        GetLocalSourceResponse, ListComponentVersionsRequest,
    },
    credential_plugin::v1::{self as credential_plugin_api, CredentialPlugin},
    credential_repository::v1::{self as credential_repository_api, CredentialRepository},
    digest_processor::v1::{
        DigestProcessor, ProcessResourceDigestRequest, ProcessResourceDigestResponse,
    },
    identity::{GetIdentityRequest, GetIdentityResponse},
    input::v1::{
        InputMethod, ProcessResourceRequest, ProcessResourceResponse, ProcessSourceRequest,
        ProcessSourceResponse,
    },
    resource_repository::v1::{
        AddGlobalResourceRequest, AddGlobalResourceResponse, GetGlobalResourceRequest,
        GetGlobalResourceResponse, ResourceRepository,
    },
    signing_handler::v1::{
        SignIdentityRequest, SignRequest, SignResponse, SigningHandler, VerifyIdentityRequest,
        VerifyRequest, VerifyResponse,
    },
};
use ocm_plugin_types::{Credentials, Descriptor, Identity, Resource, Source};

use crate::{
    Operation, blob_transformer as bt, component_lister as cl, component_version_repository as cvr,
    credential_plugin as cp, credential_repository as cr, digest_processor as dp, input as inp,
    resource_repository as rr, signing_handler as sh,
};

/// Sends operations somewhere and reads their answers.
pub trait Caller: Send + Sync + 'static {
    /// Sends `request` for operation `Op` with `credentials` (sent as the route says) and
    /// returns the response, or the error the other side answered with.
    fn call<Op: Operation>(
        &self,
        request: Op::Request,
        credentials: &Credentials,
    ) -> impl Future<Output = Result<Op::Response>> + Send;
}

/// The contract traits over a [`Caller`]: `Client(caller)` is a component version repository,
/// an input method, … whichever trait object it is used as.
#[derive(Debug, Clone)]
pub struct Client<T>(pub T);

impl<T: Caller> Client<T> {
    async fn anonymous<Op: Operation>(&self, request: Op::Request) -> Result<Op::Response> {
        self.0.call::<Op>(request, &Credentials::new()).await
    }
}

#[async_trait]
impl<T: Caller> ComponentVersionRepository for Client<T> {
    async fn get_component_version(
        &self,
        request: GetComponentVersionRequest,
        credentials: &Credentials,
    ) -> Result<Descriptor> {
        self.0
            .call::<cvr::GetComponentVersion>(request, credentials)
            .await
    }

    async fn list_component_versions(
        &self,
        request: ListComponentVersionsRequest,
        credentials: &Credentials,
    ) -> Result<Vec<String>> {
        self.0
            .call::<cvr::ListComponentVersions>(request, credentials)
            .await
    }

    async fn add_component_version(
        &self,
        request: AddComponentVersionRequest,
        credentials: &Credentials,
    ) -> Result<()> {
        self.0
            .call::<cvr::AddComponentVersion>(request, credentials)
            .await
    }

    async fn get_local_resource(
        &self,
        request: GetLocalResourceRequest,
        credentials: &Credentials,
    ) -> Result<GetLocalResourceResponse> {
        self.0
            .call::<cvr::GetLocalResource>(request, credentials)
            .await
    }

    async fn get_local_source(
        &self,
        request: GetLocalSourceRequest,
        credentials: &Credentials,
    ) -> Result<GetLocalSourceResponse> {
        self.0
            .call::<cvr::GetLocalSource>(request, credentials)
            .await
    }

    async fn add_local_resource(
        &self,
        request: AddLocalResourceRequest,
        credentials: &Credentials,
    ) -> Result<Resource> {
        self.0
            .call::<cvr::AddLocalResource>(request, credentials)
            .await
    }

    async fn add_local_source(
        &self,
        request: AddLocalSourceRequest,
        credentials: &Credentials,
    ) -> Result<Source> {
        self.0
            .call::<cvr::AddLocalSource>(request, credentials)
            .await
    }

    async fn get_identity(&self, request: GetIdentityRequest) -> Result<GetIdentityResponse> {
        self.anonymous::<cvr::GetIdentity>(request).await
    }

    async fn check_health(
        &self,
        request: CheckHealthRequest,
        credentials: &Credentials,
    ) -> Result<()> {
        self.0.call::<cvr::CheckHealth>(request, credentials).await
    }
}

#[async_trait]
impl<T: Caller> CredentialRepository for Client<T> {
    async fn consumer_identity_for_config(
        &self,
        request: credential_repository_api::ConsumerIdentityForConfigRequest,
    ) -> Result<Identity> {
        self.anonymous::<cr::ConsumerIdentityForConfig>(request)
            .await
    }

    async fn resolve(
        &self,
        request: credential_repository_api::ResolveRequest,
        credentials: &Credentials,
    ) -> Result<Credentials> {
        self.0.call::<cr::Resolve>(request, credentials).await
    }

    async fn get_identity(&self, request: GetIdentityRequest) -> Result<GetIdentityResponse> {
        self.anonymous::<cr::GetIdentity>(request).await
    }
}

#[async_trait]
impl<T: Caller> InputMethod for Client<T> {
    async fn process_resource(
        &self,
        request: ProcessResourceRequest,
        credentials: &Credentials,
    ) -> Result<ProcessResourceResponse> {
        self.0
            .call::<inp::ProcessResource>(request, credentials)
            .await
    }

    async fn process_source(
        &self,
        request: ProcessSourceRequest,
        credentials: &Credentials,
    ) -> Result<ProcessSourceResponse> {
        self.0
            .call::<inp::ProcessSource>(request, credentials)
            .await
    }

    async fn get_identity(&self, request: GetIdentityRequest) -> Result<GetIdentityResponse> {
        self.anonymous::<inp::GetIdentity>(request).await
    }
}

#[async_trait]
impl<T: Caller> DigestProcessor for Client<T> {
    async fn process_resource_digest(
        &self,
        request: ProcessResourceDigestRequest,
        credentials: &Credentials,
    ) -> Result<ProcessResourceDigestResponse> {
        self.0
            .call::<dp::ProcessResourceDigest>(request, credentials)
            .await
    }

    async fn get_identity(&self, request: GetIdentityRequest) -> Result<GetIdentityResponse> {
        self.anonymous::<dp::GetIdentity>(request).await
    }
}

#[async_trait]
impl<T: Caller> ResourceRepository for Client<T> {
    async fn get_global_resource(
        &self,
        request: GetGlobalResourceRequest,
        credentials: &Credentials,
    ) -> Result<GetGlobalResourceResponse> {
        self.0
            .call::<rr::GetGlobalResource>(request, credentials)
            .await
    }

    async fn add_global_resource(
        &self,
        request: AddGlobalResourceRequest,
        credentials: &Credentials,
    ) -> Result<AddGlobalResourceResponse> {
        self.0
            .call::<rr::AddGlobalResource>(request, credentials)
            .await
    }

    async fn get_identity(&self, request: GetIdentityRequest) -> Result<GetIdentityResponse> {
        self.anonymous::<rr::GetIdentity>(request).await
    }
}

#[async_trait]
impl<T: Caller> BlobTransformer for Client<T> {
    async fn transform_blob(
        &self,
        request: TransformBlobRequest,
        credentials: &Credentials,
    ) -> Result<TransformBlobResponse> {
        self.0.call::<bt::TransformBlob>(request, credentials).await
    }

    async fn get_identity(&self, request: GetIdentityRequest) -> Result<GetIdentityResponse> {
        self.anonymous::<bt::GetIdentity>(request).await
    }
}

#[async_trait]
impl<T: Caller> ComponentLister for Client<T> {
    async fn list_components(
        &self,
        request: ListComponentsRequest,
        credentials: &Credentials,
    ) -> Result<ListComponentsResponse> {
        self.0
            .call::<cl::ListComponents>(request, credentials)
            .await
    }

    async fn get_identity(&self, request: GetIdentityRequest) -> Result<GetIdentityResponse> {
        self.anonymous::<cl::GetIdentity>(request).await
    }
}

#[async_trait]
impl<T: Caller> SigningHandler for Client<T> {
    async fn sign(&self, request: SignRequest, credentials: &Credentials) -> Result<SignResponse> {
        self.0.call::<sh::Sign>(request, credentials).await
    }

    async fn verify(
        &self,
        request: VerifyRequest,
        credentials: &Credentials,
    ) -> Result<VerifyResponse> {
        self.0.call::<sh::Verify>(request, credentials).await
    }

    async fn get_signing_identity(
        &self,
        request: SignIdentityRequest,
    ) -> Result<GetIdentityResponse> {
        self.anonymous::<sh::GetSigningIdentity>(request).await
    }

    async fn get_verifying_identity(
        &self,
        request: VerifyIdentityRequest,
    ) -> Result<GetIdentityResponse> {
        self.anonymous::<sh::GetVerifyingIdentity>(request).await
    }
}

#[async_trait]
impl<T: Caller> CredentialPlugin for Client<T> {
    async fn consumer_identity(
        &self,
        request: credential_plugin_api::ConsumerIdentityRequest,
    ) -> Result<Identity> {
        self.anonymous::<cp::ConsumerIdentity>(request).await
    }

    async fn resolve(
        &self,
        request: credential_plugin_api::ResolveRequest,
        credentials: &Credentials,
    ) -> Result<Credentials> {
        self.0.call::<cp::Resolve>(request, credentials).await
    }
}
