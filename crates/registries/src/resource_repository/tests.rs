use std::sync::Arc;

use ocm_plugin_contracts::{Error as ContractError, async_trait, resource_repository::v1::*};
use ocm_plugin_types::{Credentials, Location, Resource};

use super::{Provider, Registry};
use crate::{
    Error,
    test_util::{plugin, raw, registry_error, schemas, strict_plugin, ty},
};

struct Fixed;

#[async_trait]
impl ResourceRepository for Fixed {
    async fn get_global_resource(
        &self,
        request: GetGlobalResourceRequest,
        _: &Credentials,
    ) -> ocm_plugin_contracts::Result<GetGlobalResourceResponse> {
        Ok(GetGlobalResourceResponse {
            location: Location::local_file(format!("/internal/{}", request.resource.name)),
        })
    }
}

fn resource(access: Option<&str>) -> Resource {
    Resource {
        name: "r".into(),
        version: "1".into(),
        resource_type: "blob".into(),
        relation: "external".into(),
        access: access.map(raw),
        ..Resource::default()
    }
}

#[tokio::test]
async fn internal_implementations_win_over_plugins() {
    let registry = Registry::new();
    registry
        .register_plugin(plugin("ext"), schemas(&["Helm/v1", "OCIImage/v1"]))
        .unwrap();
    registry
        .register_internal(ty("OCIImage/v1"), Arc::new(Fixed))
        .unwrap();
    let repo = registry
        .get(&raw(r#"{"type":"OCIImage/v1"}"#))
        .await
        .unwrap();
    let got = repo
        .get_global_resource(
            GetGlobalResourceRequest {
                resource: resource(Some(r#"{"type":"OCIImage/v1"}"#)),
            },
            &Credentials::new(),
        )
        .await
        .unwrap();
    assert_eq!(got.location.value, "/internal/r");
    assert_eq!(
        registry.list(),
        [
            (ty("Helm/v1"), Provider::External("ext".into())),
            (ty("OCIImage/v1"), Provider::Internal),
        ]
    );
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
        "resource-repository (resourceRepository): plugin for type A/v1 already registered with ID: first"
    );
    let err = registry.get(&raw("{}")).await.err().unwrap();
    assert!(matches!(err, Error::MissingType { .. }), "{err}");
    let err = registry
        .get(&raw(r#"{"type":"B/v1"}"#))
        .await
        .err()
        .unwrap();
    assert!(matches!(err, Error::NotRegistered { .. }), "{err}");
}

#[tokio::test]
async fn the_access_is_checked_before_anything_is_sent() {
    let bound = raw(r#"{"type":"A/v1","baseUrl":"a"}"#);
    let remote = crate::Remote::<super::ResourceRepositories>::client(
        strict_plugin("strict", "A/v1"),
        Some(bound),
    );
    let creds = Credentials::new();
    let err = remote
        .get_global_resource(
            GetGlobalResourceRequest {
                resource: resource(None),
            },
            &creds,
        )
        .await
        .unwrap_err();
    assert!(matches!(err, ContractError::InvalidArgument(_)), "{err}");
    let err = remote
        .add_global_resource(
            AddGlobalResourceRequest {
                resource_location: Location::local_file("/x"),
                resource: resource(Some(r#"{"type":"A/v1"}"#)),
            },
            &creds,
        )
        .await
        .unwrap_err();
    assert!(matches!(err, ContractError::InvalidArgument(_)), "{err}");
    let err = remote
        .get_global_resource(
            GetGlobalResourceRequest {
                resource: resource(Some(r#"{"type":"A/v1","baseUrl":"a"}"#)),
            },
            &creds,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(registry_error(&err), Some(Error::Plugin(_))),
        "{err}"
    );
}
