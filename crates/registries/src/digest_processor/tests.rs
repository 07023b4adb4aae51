use std::sync::Arc;

use ocm_plugin_contracts::{Error as ContractError, async_trait, digest_processor::v1::*};
use ocm_plugin_types::{Credentials, Digest, Resource};

use super::{Provider, Registry};
use crate::{
    Error,
    test_util::{plugin, raw, registry_error, schemas, strict_plugin, ty},
};

struct Fixed;

#[async_trait]
impl DigestProcessor for Fixed {
    async fn process_resource_digest(
        &self,
        mut request: ProcessResourceDigestRequest,
        _: &Credentials,
    ) -> ocm_plugin_contracts::Result<ProcessResourceDigestResponse> {
        request.resource.digest = Some(Digest {
            hash_algorithm: "SHA-256".into(),
            normalisation_algorithm: "genericBlobDigest/v1".into(),
            value: "00".into(),
            extra: Default::default(),
        });
        Ok(ProcessResourceDigestResponse {
            resource: request.resource,
        })
    }
}

fn resource(access: Option<&str>) -> Resource {
    Resource {
        name: "r".into(),
        version: "1".into(),
        resource_type: "blob".into(),
        relation: "local".into(),
        access: access.map(raw),
        ..Resource::default()
    }
}

#[tokio::test]
async fn internal_implementations_win_over_plugins() {
    let registry = Registry::new();
    registry
        .register_plugin(plugin("ext"), schemas(&["OCIImage/v1"]))
        .unwrap();
    registry
        .register_internal(ty("OCIImage/v1"), Arc::new(Fixed))
        .unwrap();
    let processor = registry
        .get(&raw(r#"{"type":"OCIImage/v1"}"#))
        .await
        .unwrap();
    let got = processor
        .process_resource_digest(
            ProcessResourceDigestRequest {
                resource: resource(Some(r#"{"type":"OCIImage/v1"}"#)),
            },
            &Credentials::new(),
        )
        .await
        .unwrap();
    assert_eq!(got.resource.digest.unwrap().hash_algorithm, "SHA-256");
    assert_eq!(registry.list(), [(ty("OCIImage/v1"), Provider::Internal)]);
}

#[tokio::test]
async fn duplicates_missing_and_unknown_types() {
    let registry = Registry::new();
    registry
        .register_plugin(plugin("first"), schemas(&["A/v1"]))
        .unwrap();
    let err = registry
        .register_plugin(plugin("second"), schemas(&["A/v1"]))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "digest-processor (digestProcessorRepository): plugin for type A/v1 already registered with ID: first"
    );
    let err = registry.get(&raw("{}")).await.err().unwrap();
    assert!(matches!(err, Error::MissingType { .. }), "{err}");
    let err = registry
        .get(&raw(r#"{"type":"B/v1"}"#))
        .await
        .err()
        .unwrap();
    assert_eq!(
        err.to_string(),
        "digest-processor (digestProcessorRepository): no implementation registered for type B/v1; registered: A/v1"
    );
}

#[tokio::test]
async fn the_access_is_checked_before_anything_is_sent() {
    let bound = raw(r#"{"type":"A/v1","baseUrl":"a"}"#);
    let remote = crate::Remote::<super::DigestProcessors>::client(
        strict_plugin("strict", "A/v1"),
        Some(bound),
    );
    let call = |resource| {
        let remote = remote.clone();
        async move {
            remote
                .process_resource_digest(
                    ProcessResourceDigestRequest { resource },
                    &Credentials::new(),
                )
                .await
                .unwrap_err()
        }
    };
    let err = call(resource(None)).await;
    assert!(matches!(err, ContractError::InvalidArgument(_)), "{err}");
    let err = call(resource(Some(r#"{"type":"A/v1"}"#))).await;
    assert!(matches!(err, ContractError::InvalidArgument(_)), "{err}");
    let err = call(resource(Some(r#"{"type":"Other/v1","baseUrl":"x"}"#))).await;
    assert!(
        err.to_string()
            .contains("no implementation registered for type Other/v1"),
        "{err}"
    );
    let err = call(resource(Some(r#"{"type":"A/v1","baseUrl":"b"}"#))).await;
    assert!(
        matches!(registry_error(&err), Some(Error::Plugin(_))),
        "{err}"
    );
    // The identity spec is validated too.
    let err = remote
        .get_identity(GetIdentityRequest {
            typ: raw(r#"{"type":"A/v1"}"#),
        })
        .await
        .unwrap_err();
    assert!(matches!(err, ContractError::InvalidArgument(_)), "{err}");
}
