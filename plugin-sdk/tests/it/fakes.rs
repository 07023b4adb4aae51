//! One fake that implements the five newer capability traits, records every call and fails on
//! request: a resource, source or spec field set to `fail` answers 500, `missing` answers 404,
//! `invalid` answers 400 and `panic` panics.

use std::sync::{Arc, Mutex};

use axum::Router;
use ocm_plugin_sdk::{
    Plugin,
    contracts::{
        Error, Result, async_trait, blob_transformer::v1::*, credential_repository::v1::*,
        digest_processor::v1::*, input::v1::*, resource_repository::v1::*,
    },
    types::{Credentials, Digest, Identity, JsonSchema, Location, Raw, Resource, Source, Type},
};

use crate::support::config;

/// Types of the five capabilities in [`five`].
pub(crate) const CONSUMER: &str = "FakeConsumer/v1";
pub(crate) const VAULT: &str = "FakeVault/v1";
pub(crate) const INPUT: &str = "FakeInput/v1";
pub(crate) const DIGEST_ACCESS: &str = "FakeDigestAccess/v1";
pub(crate) const RESOURCE_ACCESS: &str = "FakeResourceAccess/v1";
pub(crate) const TRANSFORMER: &str = "FakeTransformer/v1";

/// One call an implementation received.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Call {
    /// The trait method, e.g. `process_resource`.
    pub(crate) op: &'static str,
    /// The tag of the instance that answered.
    pub(crate) tag: &'static str,
    pub(crate) credentials: Credentials,
    /// The type of the spec that selected the implementation, if any.
    pub(crate) spec_type: Option<String>,
}

/// The fake. `tag` tells instances apart in answers and in [`Call`]s.
#[derive(Clone)]
pub(crate) struct Fake {
    pub(crate) tag: &'static str,
    pub(crate) calls: Arc<Mutex<Vec<Call>>>,
}

impl Fake {
    pub(crate) fn new(tag: &'static str) -> Self {
        Self {
            tag,
            calls: Arc::default(),
        }
    }

    /// The same fake, sharing the call log with `other`.
    pub(crate) fn sharing(tag: &'static str, other: &Self) -> Self {
        Self {
            tag,
            calls: Arc::clone(&other.calls),
        }
    }

    pub(crate) fn calls(&self) -> Vec<Call> {
        self.calls.lock().unwrap().clone()
    }

    fn record(
        &self,
        op: &'static str,
        credentials: Option<&Credentials>,
        spec: Option<&Raw>,
        trigger: &str,
    ) -> Result<()> {
        self.calls.lock().unwrap().push(Call {
            op,
            tag: self.tag,
            credentials: credentials.cloned().unwrap_or_default(),
            spec_type: spec.and_then(Raw::type_).map(Type::to_string),
        });
        match trigger {
            "fail" => Err(Error::internal(format!("{op} failed on purpose"))),
            "missing" => Err(Error::NotFound(format!("{op}: nothing there"))),
            "invalid" => Err(Error::InvalidArgument(format!("{op}: bad request"))),
            "panic" => panic!("{op} was asked to panic"),
            _ => Ok(()),
        }
    }

    fn location(&self, what: &str) -> Location {
        Location::local_file(format!("/tmp/{}-{what}", self.tag))
    }

    /// The identity every capability answers: who answered, for which spec type.
    fn identity(&self, spec: &Raw) -> Identity {
        [
            ("tag".to_owned(), self.tag.to_owned()),
            (
                "type".to_owned(),
                spec.type_().map(Type::to_string).unwrap_or_default(),
            ),
        ]
        .into()
    }
}

/// A string field of a spec, for triggers.
fn field<'a>(spec: &'a Raw, key: &str) -> &'a str {
    spec.get(key).and_then(|v| v.as_str()).unwrap_or_default()
}

#[async_trait]
impl CredentialRepository for Fake {
    async fn consumer_identity_for_config(
        &self,
        r: ConsumerIdentityForConfigRequest,
    ) -> Result<Identity> {
        self.record(
            "consumer_identity_for_config",
            None,
            Some(&r.config),
            field(&r.config, "baseUrl"),
        )?;
        Ok([
            ("type".to_owned(), CONSUMER.to_owned()),
            ("url".to_owned(), field(&r.config, "baseUrl").to_owned()),
        ]
        .into())
    }

    /// Like the Go harness plugin: `in-<key>` for every credential received, plus a token.
    async fn resolve(&self, r: ResolveRequest, c: &Credentials) -> Result<Credentials> {
        self.record(
            "resolve",
            Some(c),
            Some(&r.config),
            field(&r.config, "baseUrl"),
        )?;
        let mut out: Credentials = c
            .iter()
            .map(|(k, v)| (format!("in-{k}"), v.clone()))
            .collect();
        let url = r.identity.get("url").cloned().unwrap_or_default();
        out.insert("token".to_owned(), format!("resolved-for-{url}"));
        Ok(out)
    }

    async fn get_identity(&self, r: GetIdentityRequest) -> Result<GetIdentityResponse> {
        self.record(
            "credential_get_identity",
            None,
            Some(&r.typ),
            field(&r.typ, "baseUrl"),
        )?;
        Ok(GetIdentityResponse {
            identity: self.identity(&r.typ),
        })
    }
}

#[async_trait]
impl InputMethod for Fake {
    async fn process_resource(
        &self,
        r: ProcessResourceRequest,
        c: &Credentials,
    ) -> Result<ProcessResourceResponse> {
        self.record(
            "process_resource",
            Some(c),
            r.resource.spec(),
            &r.resource.name,
        )?;
        let resource = Resource {
            name: r.resource.name,
            version: r.resource.version,
            resource_type: r.resource.resource_type,
            relation: "local".to_owned(),
            ..Resource::default()
        };
        Ok(ProcessResourceResponse {
            resource,
            location: self.location("resource"),
        })
    }

    async fn process_source(
        &self,
        r: ProcessSourceRequest,
        c: &Credentials,
    ) -> Result<ProcessSourceResponse> {
        self.record("process_source", Some(c), r.source.spec(), &r.source.name)?;
        let source = Source {
            name: r.source.name,
            version: r.source.version,
            source_type: r.source.source_type,
            ..Source::default()
        };
        Ok(ProcessSourceResponse {
            source,
            location: self.location("source"),
        })
    }

    async fn get_identity(&self, r: GetIdentityRequest) -> Result<GetIdentityResponse> {
        self.record(
            "input_get_identity",
            None,
            Some(&r.typ),
            field(&r.typ, "baseUrl"),
        )?;
        Ok(GetIdentityResponse {
            identity: self.identity(&r.typ),
        })
    }
}

#[async_trait]
impl DigestProcessor for Fake {
    async fn process_resource_digest(
        &self,
        r: ProcessResourceDigestRequest,
        c: &Credentials,
    ) -> Result<ProcessResourceDigestResponse> {
        self.record(
            "process_resource_digest",
            Some(c),
            r.resource.access.as_ref(),
            &r.resource.name,
        )?;
        let mut resource = r.resource;
        resource.digest = Some(Digest {
            hash_algorithm: "SHA-256".to_owned(),
            normalisation_algorithm: "genericBlobDigest/v1".to_owned(),
            value: format!("digest-by-{}", self.tag),
            extra: Default::default(),
        });
        Ok(ProcessResourceDigestResponse { resource })
    }

    async fn get_identity(&self, r: GetIdentityRequest) -> Result<GetIdentityResponse> {
        self.record(
            "digest_get_identity",
            None,
            Some(&r.typ),
            field(&r.typ, "baseUrl"),
        )?;
        Ok(GetIdentityResponse {
            identity: self.identity(&r.typ),
        })
    }
}

#[async_trait]
impl ResourceRepository for Fake {
    async fn get_global_resource(
        &self,
        r: GetGlobalResourceRequest,
        c: &Credentials,
    ) -> Result<GetGlobalResourceResponse> {
        self.record(
            "get_global_resource",
            Some(c),
            r.resource.access.as_ref(),
            &r.resource.name,
        )?;
        Ok(GetGlobalResourceResponse {
            location: self.location("get"),
        })
    }

    async fn add_global_resource(
        &self,
        r: AddGlobalResourceRequest,
        c: &Credentials,
    ) -> Result<AddGlobalResourceResponse> {
        self.record(
            "add_global_resource",
            Some(c),
            r.resource.access.as_ref(),
            &r.resource.name,
        )?;
        let mut resource = r.resource;
        resource.version = format!(
            "{}-stored-from-{}",
            resource.version, r.resource_location.value
        );
        Ok(AddGlobalResourceResponse { resource })
    }

    async fn get_identity(&self, r: GetIdentityRequest) -> Result<GetIdentityResponse> {
        self.record(
            "resource_get_identity",
            None,
            Some(&r.typ),
            field(&r.typ, "baseUrl"),
        )?;
        Ok(GetIdentityResponse {
            identity: self.identity(&r.typ),
        })
    }
}

#[async_trait]
impl BlobTransformer for Fake {
    async fn transform_blob(
        &self,
        r: TransformBlobRequest,
        c: &Credentials,
    ) -> Result<TransformBlobResponse> {
        self.record(
            "transform_blob",
            Some(c),
            Some(&r.specification),
            field(&r.specification, "baseUrl"),
        )?;
        Ok(TransformBlobResponse {
            location: Location::local_file(format!("{}-by-{}", r.location.value, self.tag)),
        })
    }

    async fn get_identity(&self, r: GetIdentityRequest) -> Result<GetIdentityResponse> {
        self.record(
            "blob_get_identity",
            None,
            Some(&r.typ),
            field(&r.typ, "baseUrl"),
        )?;
        Ok(GetIdentityResponse {
            identity: self.identity(&r.typ),
        })
    }
}

/// Implements the traits' required methods only: everything optional is "not supported".
pub(crate) struct Bare;

#[async_trait]
impl CredentialRepository for Bare {
    async fn resolve(&self, _: ResolveRequest, _: &Credentials) -> Result<Credentials> {
        Ok(Credentials::new())
    }
}

#[async_trait]
impl InputMethod for Bare {}

#[async_trait]
impl DigestProcessor for Bare {
    async fn process_resource_digest(
        &self,
        r: ProcessResourceDigestRequest,
        _: &Credentials,
    ) -> Result<ProcessResourceDigestResponse> {
        Ok(ProcessResourceDigestResponse {
            resource: r.resource,
        })
    }
}

#[async_trait]
impl ResourceRepository for Bare {
    async fn get_global_resource(
        &self,
        _: GetGlobalResourceRequest,
        _: &Credentials,
    ) -> Result<GetGlobalResourceResponse> {
        Ok(GetGlobalResourceResponse {
            location: Location::local_file("/tmp/bare"),
        })
    }
}

#[async_trait]
impl BlobTransformer for Bare {
    async fn transform_blob(
        &self,
        r: TransformBlobRequest,
        _: &Credentials,
    ) -> Result<TransformBlobResponse> {
        Ok(TransformBlobResponse {
            location: r.location,
        })
    }
}

pub(crate) fn typ(s: &str) -> Type {
    s.parse().unwrap()
}

/// A plugin serving all five capabilities, each for its own type, every one backed by a fake
/// tagged with the capability's name and sharing the call log of `log`.
pub(crate) fn five_plugin(log: &Fake) -> Plugin {
    let f = |tag| {
        let fake = Fake::sharing(tag, log);
        move |_: &ocm_plugin_sdk::PluginContext| Ok(fake)
    };
    Plugin::new("five")
        .register(ocm_plugin_sdk::credential_repository::untyped(
            typ(CONSUMER),
            typ(VAULT),
            JsonSchema::permissive(),
            f("credential"),
        ))
        .register(ocm_plugin_sdk::input::untyped(
            typ(INPUT),
            JsonSchema::permissive(),
            f("input"),
        ))
        .register(ocm_plugin_sdk::digest_processor::untyped(
            typ(DIGEST_ACCESS),
            JsonSchema::permissive(),
            f("digest"),
        ))
        .register(ocm_plugin_sdk::resource_repository::untyped(
            typ(RESOURCE_ACCESS),
            JsonSchema::permissive(),
            f("resource"),
        ))
        .register(ocm_plugin_sdk::blob_transformer::untyped(
            typ(TRANSFORMER),
            JsonSchema::permissive(),
            f("blob"),
        ))
}

/// The router of [`five_plugin`].
pub(crate) fn five(log: &Fake) -> Router {
    five_plugin(log).into_router(config()).unwrap()
}

/// The component version repository side of the fake, answering like the Go test plugin: the
/// descriptor and local blobs of spec §5.0, two versions.
#[async_trait]
impl ocm_plugin_sdk::contracts::component_version_repository::v1::ComponentVersionRepository
    for Fake
{
    async fn get_component_version(
        &self,
        r: ocm_plugin_sdk::contracts::component_version_repository::v1::GetComponentVersionRequest,
        c: &Credentials,
    ) -> Result<ocm_plugin_sdk::types::Descriptor> {
        self.record(
            "get_component_version",
            Some(c),
            r.repository.as_ref(),
            &r.name,
        )?;
        Ok(serde_json::from_str(crate::support::DESCRIPTOR).unwrap())
    }

    async fn list_component_versions(
        &self,
        r: ocm_plugin_sdk::contracts::component_version_repository::v1::ListComponentVersionsRequest,
        c: &Credentials,
    ) -> Result<Vec<String>> {
        self.record(
            "list_component_versions",
            Some(c),
            r.repository.as_ref(),
            &r.name,
        )?;
        Ok(vec!["v0.0.1".into(), "v0.0.2".into()])
    }

    async fn add_component_version(
        &self,
        r: ocm_plugin_sdk::contracts::component_version_repository::v1::AddComponentVersionRequest,
        c: &Credentials,
    ) -> Result<()> {
        self.record("add_component_version", Some(c), Some(&r.repository), "")
    }

    async fn get_local_resource(
        &self,
        r: ocm_plugin_sdk::contracts::component_version_repository::v1::GetLocalResourceRequest,
        c: &Credentials,
    ) -> Result<ocm_plugin_sdk::contracts::component_version_repository::v1::GetLocalResourceResponse>
    {
        self.record(
            "get_local_resource",
            Some(c),
            r.repository.as_ref(),
            &r.name,
        )?;
        Ok(serde_json::from_str(crate::support::LOCAL_RESOURCE).unwrap())
    }

    async fn get_local_source(
        &self,
        r: ocm_plugin_sdk::contracts::component_version_repository::v1::GetLocalSourceRequest,
        c: &Credentials,
    ) -> Result<ocm_plugin_sdk::contracts::component_version_repository::v1::GetLocalSourceResponse>
    {
        self.record("get_local_source", Some(c), r.repository.as_ref(), &r.name)?;
        Ok(
            ocm_plugin_sdk::contracts::component_version_repository::v1::GetLocalSourceResponse {
                location: self.location("source"),
                source: serde_json::from_str(crate::support::SOURCE).unwrap(),
            },
        )
    }

    async fn add_local_resource(
        &self,
        r: ocm_plugin_sdk::contracts::component_version_repository::v1::AddLocalResourceRequest,
        c: &Credentials,
    ) -> Result<Resource> {
        self.record("add_local_resource", Some(c), Some(&r.repository), &r.name)?;
        Ok(r.resource)
    }

    async fn add_local_source(
        &self,
        r: ocm_plugin_sdk::contracts::component_version_repository::v1::AddLocalSourceRequest,
        c: &Credentials,
    ) -> Result<Source> {
        self.record("add_local_source", Some(c), Some(&r.repository), &r.name)?;
        Ok(r.source)
    }

    async fn get_identity(&self, r: GetIdentityRequest) -> Result<GetIdentityResponse> {
        self.record("cv_get_identity", None, Some(&r.typ), "")?;
        Ok(GetIdentityResponse {
            identity: self.identity(&r.typ),
        })
    }
}

/// The component lister side of the fake: like the Go test plugin, two pages of one name each.
#[async_trait]
impl ocm_plugin_sdk::contracts::component_lister::v1::ComponentLister for Fake {
    async fn list_components(
        &self,
        r: ocm_plugin_sdk::contracts::component_lister::v1::ListComponentsRequest,
        c: &Credentials,
    ) -> Result<ocm_plugin_sdk::contracts::component_lister::v1::ListComponentsResponse> {
        use ocm_plugin_sdk::contracts::component_lister::v1::{
            ListComponentsHeader, ListComponentsResponse,
        };
        self.record("list_components", Some(c), Some(&r.repository), &r.last)?;
        Ok(if r.last.is_empty() {
            ListComponentsResponse {
                list: vec!["test-component-1".into()],
                header: Some(ListComponentsHeader {
                    last: "test-component-1".into(),
                }),
            }
        } else {
            ListComponentsResponse {
                list: vec!["test-component-2".into()],
                header: None,
            }
        })
    }

    async fn get_identity(&self, r: GetIdentityRequest) -> Result<GetIdentityResponse> {
        self.record("lister_get_identity", None, Some(&r.typ), "")?;
        Ok(GetIdentityResponse {
            identity: self.identity(&r.typ),
        })
    }
}

/// The signing handler side of the fake: a fixed signature, and identities naming the side.
#[async_trait]
impl ocm_plugin_sdk::contracts::signing_handler::v1::SigningHandler for Fake {
    async fn sign(
        &self,
        r: ocm_plugin_sdk::contracts::signing_handler::v1::SignRequest,
        c: &Credentials,
    ) -> Result<ocm_plugin_sdk::contracts::signing_handler::v1::SignResponse> {
        self.record("sign", Some(c), Some(&r.config), &r.digest.value)?;
        Ok(
            ocm_plugin_sdk::contracts::signing_handler::v1::SignResponse {
                signature: ocm_plugin_sdk::types::SignatureInfo {
                    algorithm: "fake".into(),
                    value: format!("signed-{}", r.digest.value),
                    media_type: "text/plain".into(),
                    issuer: None,
                    extra: Default::default(),
                },
            },
        )
    }

    async fn verify(
        &self,
        r: ocm_plugin_sdk::contracts::signing_handler::v1::VerifyRequest,
        c: &Credentials,
    ) -> Result<ocm_plugin_sdk::contracts::signing_handler::v1::VerifyResponse> {
        self.record("verify", Some(c), Some(&r.config), &r.signature.name)?;
        Ok(ocm_plugin_sdk::contracts::signing_handler::v1::VerifyResponse {})
    }

    async fn get_signing_identity(
        &self,
        r: ocm_plugin_sdk::contracts::signing_handler::v1::SignIdentityRequest,
    ) -> Result<GetIdentityResponse> {
        self.record("get_signing_identity", None, Some(&r.config), &r.name)?;
        Ok(GetIdentityResponse {
            identity: [("id".to_owned(), "signer".to_owned())].into(),
        })
    }

    async fn get_verifying_identity(
        &self,
        r: ocm_plugin_sdk::contracts::signing_handler::v1::VerifyIdentityRequest,
    ) -> Result<GetIdentityResponse> {
        self.record("get_verifying_identity", None, Some(&r.config), "")?;
        Ok(GetIdentityResponse {
            identity: [("id".to_owned(), "verifier".to_owned())].into(),
        })
    }
}

/// The credential plugin side of the fake: an identity from the spec, typed credentials that
/// say whether the request carried any.
#[async_trait]
impl ocm_plugin_sdk::contracts::credential_plugin::v1::CredentialPlugin for Fake {
    async fn consumer_identity(
        &self,
        r: ocm_plugin_sdk::contracts::credential_plugin::v1::ConsumerIdentityRequest,
    ) -> Result<Identity> {
        self.record("consumer_identity", None, Some(&r.credential), "")?;
        // Like the Go recording's plugin: the spec's name, `url` and `secretName`.
        let spec_type = r.credential.type_().map(|t| t.name().to_owned());
        Ok([
            ("type".to_owned(), spec_type.unwrap_or_default()),
            ("url".to_owned(), field(&r.credential, "baseUrl").to_owned()),
            (
                "secretName".to_owned(),
                field(&r.credential, "secretName").to_owned(),
            ),
        ]
        .into())
    }

    async fn resolve(
        &self,
        r: ocm_plugin_sdk::contracts::credential_plugin::v1::ResolveRequest,
        c: &Credentials,
    ) -> Result<Credentials> {
        self.record("credential_plugin_resolve", Some(c), None, "")?;
        let authenticated = if c.is_none() { "false" } else { "true" };
        let secret = r.identity.get("secretName").cloned().unwrap_or_default();
        Ok(Credentials::typed(
            "Credentials/v1",
            [
                ("authenticated", authenticated.to_owned()),
                ("token", format!("token-for-{secret}")),
            ],
        ))
    }
}
