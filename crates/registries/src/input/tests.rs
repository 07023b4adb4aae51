use std::sync::Arc;

use ocm_plugin_contracts::{Error as ContractError, async_trait, input::v1::*};
use ocm_plugin_types::{Credentials, Location, Resource};

use super::{Provider, Registry};
use crate::{
    Error,
    test_util::{plugin, raw, registry_error, schemas, strict_plugin, ty},
};

struct Fixed(&'static str);

#[async_trait]
impl InputMethod for Fixed {
    async fn process_resource(
        &self,
        request: ProcessResourceRequest,
        _: &Credentials,
    ) -> ocm_plugin_contracts::Result<ProcessResourceResponse> {
        Ok(ProcessResourceResponse {
            resource: Resource {
                name: request.resource.name,
                ..Resource::default()
            },
            location: Location::local_file(self.0),
        })
    }
}

fn resource(input: Option<&str>) -> ConstructorResource {
    ConstructorResource {
        name: "r".into(),
        version: "1".into(),
        resource_type: "blob".into(),
        input: input.map(raw),
        ..ConstructorResource::default()
    }
}

#[tokio::test]
async fn internal_implementations_win_over_plugins() {
    let registry = Registry::new();
    registry
        .register_plugin(plugin("ext"), schemas(&["file/v1", "dir/v1"]))
        .unwrap();
    registry
        .register_internal(ty("file/v1"), Arc::new(Fixed("/internal")))
        .unwrap();
    let method = registry.get(&raw(r#"{"type":"file/v1"}"#)).await.unwrap();
    let got = method
        .process_resource(
            ProcessResourceRequest {
                resource: resource(Some(r#"{"type":"file/v1","path":"x"}"#)),
            },
            &Credentials::new(),
        )
        .await
        .unwrap();
    assert_eq!(got.location.value, "/internal");
    assert_eq!(got.resource.name, "r");
    assert_eq!(
        registry.list(),
        [
            (ty("dir/v1"), Provider::External("ext".into())),
            (ty("file/v1"), Provider::Internal),
        ]
    );
}

#[test]
fn duplicates_are_refused_and_leave_no_partial_registration() {
    let registry = Registry::new();
    registry
        .register_plugin(plugin("first"), schemas(&["file/v1"]))
        .unwrap();
    let err = registry
        .register_plugin(plugin("second"), schemas(&["dir/v1", "file/v1"]))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "input (inputRepository): plugin for type file/v1 already registered with ID: first"
    );
    assert_eq!(
        registry.list(),
        [(ty("file/v1"), Provider::External("first".into()))]
    );
    registry
        .register_internal(ty("x/v1"), Arc::new(Fixed("a")))
        .unwrap();
    assert!(matches!(
        registry.register_internal(ty("x/v1"), Arc::new(Fixed("b"))),
        Err(Error::Duplicate { .. })
    ));
}

#[tokio::test]
async fn specs_without_type_unknown_types_and_invalid_specs_are_refused() {
    let registry = Registry::new();
    let err = registry.get(&raw(r#"{"path":"x"}"#)).await.err().unwrap();
    assert!(matches!(err, Error::MissingType { .. }), "{err}");
    let err = registry
        .get(&raw(r#"{"type":"Nope/v1"}"#))
        .await
        .err()
        .unwrap();
    assert_eq!(
        err.to_string(),
        "input (inputRepository): no implementation registered for type Nope/v1; no type is registered"
    );

    registry
        .register_external(&strict_plugin("strict", "file/v1"))
        .unwrap();
    // Validated before the plugin is started.
    let err = registry
        .get(&raw(r#"{"type":"file/v1"}"#))
        .await
        .err()
        .unwrap();
    assert!(matches!(err, Error::Validation { .. }), "{err}");
    // A valid spec gets as far as starting the (nonexistent) plugin.
    let err = registry
        .get(&raw(r#"{"type":"file/v1","baseUrl":"x"}"#))
        .await
        .err()
        .unwrap();
    assert!(matches!(err, Error::Plugin(_)), "{err}");
}

#[tokio::test]
async fn requests_are_checked_before_anything_is_sent() {
    let bound = raw(r#"{"type":"file/v1","baseUrl":"a"}"#);
    let remote =
        crate::Remote::<super::Inputs>::client(strict_plugin("strict", "file/v1"), Some(bound));
    let call = |resource| {
        let remote = remote.clone();
        async move {
            remote
                .process_resource(ProcessResourceRequest { resource }, &Credentials::new())
                .await
                .unwrap_err()
        }
    };
    // Neither input nor access: nothing to route or validate.
    let err = call(resource(None)).await;
    assert!(matches!(err, ContractError::InvalidArgument(_)), "{err}");
    assert!(err.to_string().contains("has no type"), "{err}");
    // An input that fails the schema.
    let err = call(resource(Some(r#"{"type":"file/v1"}"#))).await;
    assert!(matches!(err, ContractError::InvalidArgument(_)), "{err}");
    assert!(err.to_string().contains("baseUrl"), "{err}");
    // A valid input (v0.0.1: an access) is sent, which fails to start the plugin.
    let v1 = ConstructorResource {
        access: Some(raw(r#"{"type":"file/v1","baseUrl":"b"}"#)),
        ..resource(None)
    };
    let err = call(v1).await;
    assert!(
        matches!(registry_error(&err), Some(Error::Plugin(_))),
        "{err}"
    );
    // Sources too.
    let err = remote
        .process_source(
            ProcessSourceRequest {
                source: ConstructorSource::default(),
            },
            &Credentials::new(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, ContractError::InvalidArgument(_)), "{err}");
}
