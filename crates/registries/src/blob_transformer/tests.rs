use std::sync::Arc;

use ocm_plugin_contracts::{Error as ContractError, async_trait, blob_transformer::v1::*};
use ocm_plugin_types::{Credentials, Location};

use super::{Provider, Registry};
use crate::{
    Error,
    test_util::{plugin, raw, registry_error, schemas, strict_plugin, ty},
};

struct Upper;

#[async_trait]
impl BlobTransformer for Upper {
    async fn transform_blob(
        &self,
        request: TransformBlobRequest,
        _: &Credentials,
    ) -> ocm_plugin_contracts::Result<TransformBlobResponse> {
        Ok(TransformBlobResponse {
            location: Location::local_file(request.location.value.to_uppercase()),
        })
    }
}

#[tokio::test]
async fn internal_implementations_win_over_plugins() {
    let registry = Registry::new();
    registry
        .register_plugin(plugin("ext"), schemas(&["Upper/v1"]))
        .unwrap();
    registry
        .register_internal(ty("Upper/v1"), Arc::new(Upper))
        .unwrap();
    let spec = raw(r#"{"type":"Upper/v1"}"#);
    let transformer = registry.get(&spec).await.unwrap();
    let got = transformer
        .transform_blob(
            TransformBlobRequest {
                location: Location::local_file("/tmp/blob"),
                specification: spec,
            },
            &Credentials::new(),
        )
        .await
        .unwrap();
    assert_eq!(got.location.value, "/TMP/BLOB");
    assert_eq!(registry.list(), [(ty("Upper/v1"), Provider::Internal)]);
}

#[tokio::test]
async fn duplicates_missing_and_unknown_types() {
    let registry = Registry::new();
    registry
        .register_plugin(
            plugin("test-plugin-duplicate"),
            schemas(&["DummyRepository/v1"]),
        )
        .unwrap();
    let err = registry
        .register_plugin(plugin("second"), schemas(&["DummyRepository/v1"]))
        .unwrap_err()
        .to_string();
    // What the Go test (TestAddPluginDuplicate) asserts.
    assert!(err.contains("plugin for type"), "{err}");
    assert!(
        err.contains("already registered with ID: test-plugin-duplicate"),
        "{err}"
    );
    let err = registry.get(&raw(r#"{"type":""}"#)).await.err().unwrap();
    assert!(matches!(err, Error::MissingType { .. }), "{err}");
    let err = registry
        .get(&raw(r#"{"type":"Other/v1"}"#))
        .await
        .err()
        .unwrap();
    assert_eq!(
        err.to_string(),
        "blob-transformer (blobTransformer): no implementation registered for type Other/v1; registered: DummyRepository/v1"
    );
}

#[tokio::test]
async fn the_specification_is_checked_before_anything_is_sent() {
    let bound = raw(r#"{"type":"A/v1","baseUrl":"a"}"#);
    let remote = crate::Remote::<super::BlobTransformers>::client(
        strict_plugin("strict", "A/v1"),
        Some(bound.clone()),
    );
    let call = |specification| {
        let remote = remote.clone();
        async move {
            remote
                .transform_blob(
                    TransformBlobRequest {
                        location: Location::local_file("/tmp/blob"),
                        specification,
                    },
                    &Credentials::new(),
                )
                .await
                .unwrap_err()
        }
    };
    let err = call(raw(r#"{"type":"A/v1","baseUrl":1}"#)).await;
    assert!(matches!(err, ContractError::InvalidArgument(_)), "{err}");
    assert!(err.to_string().contains("validation"), "{err}");
    let err = call(bound).await;
    assert!(
        matches!(registry_error(&err), Some(Error::Plugin(_))),
        "{err}"
    );
}
