use std::sync::Arc;

use ocm_plugin_contracts::{async_trait, component_version_repository::v1::*};
use ocm_plugin_types::{Credentials, Raw};

use super::{Provider, Registry};
use crate::{
    Error,
    test_util::{plugin, schemas, strict_plugin, ty},
};

struct Fixed(&'static str);

#[async_trait]
impl ComponentVersionRepository for Fixed {
    async fn list_component_versions(
        &self,
        _: ListComponentVersionsRequest,
        _: &Credentials,
    ) -> ocm_plugin_contracts::Result<Vec<String>> {
        Ok(vec![self.0.to_owned()])
    }
}

#[tokio::test]
async fn internal_implementations_win_over_plugins() {
    let registry = Registry::new();
    registry
        .register_plugin(plugin("ext"), schemas(&["A/v1", "B/v1"]))
        .unwrap();
    registry
        .register_internal(ty("A/v1"), Arc::new(Fixed("internal")))
        .unwrap();
    let repo = registry
        .get(&Raw::from_json(r#"{"type":"A/v1"}"#).unwrap())
        .await
        .unwrap();
    let got = repo
        .list_component_versions(
            ListComponentVersionsRequest {
                repository: None,
                name: "x".into(),
            },
            &Credentials::new(),
        )
        .await
        .unwrap();
    assert_eq!(got, ["internal"]);
    assert_eq!(
        registry.list(),
        [
            (ty("A/v1"), Provider::Internal),
            (ty("B/v1"), Provider::External("ext".into()))
        ]
    );
}

#[test]
fn duplicates_are_refused_and_leave_no_partial_registration() {
    let registry = Registry::new();
    registry
        .register_plugin(plugin("first"), schemas(&["A/v1"]))
        .unwrap();
    let err = registry
        .register_plugin(plugin("second"), schemas(&["B/v1", "A/v1"]))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "component-version-repository (componentVersionRepository): plugin for type A/v1 already registered with ID: first"
    );
    // B/v1 was not registered either.
    assert_eq!(
        registry.list(),
        [(ty("A/v1"), Provider::External("first".into()))]
    );

    registry
        .register_internal(ty("C/v1"), Arc::new(Fixed("x")))
        .unwrap();
    assert!(matches!(
        registry.register_internal(ty("C/v1"), Arc::new(Fixed("y"))),
        Err(Error::Duplicate { .. })
    ));
}

#[tokio::test]
async fn specs_without_type_or_unknown_types_are_refused() {
    let registry = Registry::new();
    let err = registry
        .get(&Raw::from_json(r#"{"baseUrl":"x"}"#).unwrap())
        .await
        .err()
        .unwrap();
    assert!(matches!(err, Error::MissingType { .. }), "{err}");
    let err = registry
        .get(&Raw::from_json(r#"{"type":"Nope/v1"}"#).unwrap())
        .await
        .err()
        .unwrap();
    assert_eq!(
        err.to_string(),
        "component-version-repository (componentVersionRepository): no implementation registered for type Nope/v1; no type is registered"
    );
}

/// Two plugins registering one type at the same moment: exactly one wins, the other is a
/// duplicate (the check and the insertion are one step).
#[test]
fn concurrent_registrations_of_one_type_cannot_both_pass() {
    for round in 0..50 {
        let registry = Arc::new(Registry::new());
        let start = Arc::new(std::sync::Barrier::new(2));
        let threads: Vec<_> = ["left", "right"]
            .into_iter()
            .map(|id| {
                let (registry, start) = (registry.clone(), start.clone());
                let plugin = strict_plugin(id, "Race/v1");
                std::thread::spawn(move || {
                    start.wait();
                    registry.register_external(&plugin).is_ok()
                })
            })
            .collect();
        let won: Vec<bool> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        assert_eq!(
            won.iter().filter(|w| **w).count(),
            1,
            "round {round}: {won:?}"
        );
        assert_eq!(registry.list().len(), 1);
    }
}
