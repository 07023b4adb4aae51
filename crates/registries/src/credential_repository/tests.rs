use std::sync::Arc;

use ocm_plugin_contracts::{Error as ContractError, async_trait, credential_repository::v1::*};
use ocm_plugin_types::{Credentials, Identity};

use super::{Provider, Registry};
use crate::{
    Error,
    test_util::{plugin, raw, registry_error, schemas, strict_plugin, ty},
};

struct Fixed(&'static str);

#[async_trait]
impl CredentialRepository for Fixed {
    async fn resolve(
        &self,
        request: ResolveRequest,
        _: &Credentials,
    ) -> ocm_plugin_contracts::Result<Credentials> {
        let mut c = Credentials::new();
        c.insert("from".into(), self.0.into());
        c.insert(
            "for".into(),
            request
                .identity
                .get("hostname")
                .cloned()
                .unwrap_or_default(),
        );
        Ok(c)
    }
}

fn identity(pairs: &[(&str, &str)]) -> Identity {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[tokio::test]
async fn lookups_by_config_type_and_by_consumer_identity_type() {
    let registry = Registry::new();
    registry
        .register_internal(
            ty("DockerConfig/v1"),
            &[ty("OCIRegistry"), ty("OCIRegistry/v1")],
            Arc::new(Fixed("docker")),
        )
        .unwrap();
    registry
        .register_plugin(
            plugin("vault"),
            schemas(&["HashiCorpVault/v1"]),
            &[ty("HashiCorpVault")],
        )
        .unwrap();

    let config = raw(r#"{"type":"DockerConfig/v1","path":"~/.docker/config.json"}"#);
    let by_config = registry.get(&config).await.unwrap();
    let by_consumer = registry
        .for_consumer(&identity(&[
            ("type", "OCIRegistry"),
            ("hostname", "ghcr.io"),
        ]))
        .unwrap();
    for repo in [by_config, by_consumer] {
        let creds = repo
            .resolve(
                ResolveRequest {
                    config: config.clone(),
                    identity: identity(&[("type", "OCIRegistry"), ("hostname", "ghcr.io")]),
                },
                &Credentials::new(),
            )
            .await
            .unwrap();
        assert_eq!(creds["from"], "docker");
        assert_eq!(creds["for"], "ghcr.io");
    }

    assert_eq!(
        registry.list(),
        [
            (ty("DockerConfig/v1"), Provider::Internal),
            (ty("HashiCorpVault/v1"), Provider::External("vault".into())),
        ]
    );
    assert_eq!(
        registry.list_consumer_identity_types(),
        [
            (ty("HashiCorpVault"), Provider::External("vault".into())),
            (ty("OCIRegistry"), Provider::Internal),
            (ty("OCIRegistry/v1"), Provider::Internal),
        ]
    );

    // The external plugin is found by both keys: `get` starts it at once (here: fails to),
    // `for_consumer` on the first request.
    let err = registry
        .get(&raw(r#"{"type":"HashiCorpVault/v1","baseUrl":"x"}"#))
        .await
        .err()
        .unwrap();
    assert!(matches!(err, Error::Plugin(_)), "{err}");
    let vault = registry
        .for_consumer(&identity(&[("type", "HashiCorpVault")]))
        .unwrap();
    let err = vault
        .resolve(
            ResolveRequest {
                config: raw(r#"{"type":"HashiCorpVault/v1"}"#),
                identity: identity(&[("type", "HashiCorpVault")]),
            },
            &Credentials::new(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(registry_error(&err), Some(Error::Plugin(_))),
        "{err}"
    );
}

#[tokio::test]
async fn identities_without_a_usable_type_are_errors_not_panics() {
    let registry = Registry::new();
    for (id, reason) in [
        (
            identity(&[("hostname", "ghcr.io")]),
            "it has no \"type\" attribute",
        ),
        (identity(&[("type", "")]), "it has no \"type\" attribute"),
        (identity(&[("type", "a/b/c")]), "too many segments"),
    ] {
        let err = registry.for_consumer(&id).err().unwrap();
        assert!(
            matches!(err, Error::InvalidConsumerIdentity { .. }),
            "{err:?}"
        );
        assert!(err.to_string().contains(reason), "{err}");
    }
    let err = registry
        .for_consumer(&identity(&[("type", "OCIRegistry")]))
        .err()
        .unwrap();
    assert_eq!(
        err.to_string(),
        "credential-repository (credentialRepository): no implementation registered for consumer identity type OCIRegistry; no type is registered"
    );
    let err = registry.get(&raw("{}")).await.err().unwrap();
    assert!(matches!(err, Error::MissingType { .. }), "{err}");
    let err = registry
        .get(&raw(r#"{"type":"DockerConfig/v1"}"#))
        .await
        .err()
        .unwrap();
    assert_eq!(
        err.to_string(),
        "credential-repository (credentialRepository): no implementation registered for type DockerConfig/v1; no type is registered"
    );
}

#[test]
fn duplicates_are_detected_on_both_keys() {
    let registry = Registry::new();
    registry
        .register_plugin(plugin("first"), schemas(&["Cfg/v1"]), &[ty("Consumer/v1")])
        .unwrap();

    // Same config type, other consumer type.
    let err = registry
        .register_plugin(plugin("second"), schemas(&["Cfg/v1"]), &[ty("Other/v1")])
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "credential-repository (credentialRepository): plugin for type Cfg/v1 already registered with ID: first"
    );
    // Same consumer type, other config type (Go checked only this key, and stored the other).
    let err = registry
        .register_plugin(plugin("third"), schemas(&["Cfg2/v1"]), &[ty("Consumer/v1")])
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "credential-repository (credentialRepository): plugin for consumer identity type Consumer/v1 already registered with ID: first"
    );
    // Neither left a partial registration behind.
    assert_eq!(
        registry.list(),
        [(ty("Cfg/v1"), Provider::External("first".into()))]
    );
    assert_eq!(
        registry.list_consumer_identity_types(),
        [(ty("Consumer/v1"), Provider::External("first".into()))]
    );

    // Internal registrations: both keys too, all or nothing.
    registry
        .register_internal(ty("In/v1"), &[ty("InConsumer")], Arc::new(Fixed("a")))
        .unwrap();
    let err = registry
        .register_internal(ty("In2/v1"), &[ty("InConsumer")], Arc::new(Fixed("b")))
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Duplicate {
                key: "consumer identity type",
                ..
            }
        ),
        "{err}"
    );
    assert!(!registry.list().iter().any(|(t, _)| *t == ty("In2/v1")));
    assert!(matches!(
        registry.register_internal(ty("In/v1"), &[], Arc::new(Fixed("c"))),
        Err(Error::Duplicate { key: "type", .. })
    ));

    // A plugin with config types only (what the Go SDK helper declares) is reachable by config.
    registry
        .register_plugin(plugin("config-only"), schemas(&["Only/v1"]), &[])
        .unwrap();
    assert!(
        registry
            .list()
            .contains(&(ty("Only/v1"), Provider::External("config-only".into())))
    );
}

#[tokio::test]
async fn configs_are_validated_against_the_config_types_schema() {
    let registry = Registry::new();
    registry
        .register_external(&strict_plugin("vault", "Vault/v1"), &[ty("VaultConsumer")])
        .unwrap();
    let err = registry
        .get(&raw(r#"{"type":"Vault/v1"}"#))
        .await
        .err()
        .unwrap();
    assert!(matches!(err, Error::Validation { .. }), "{err}");

    // Looked up by consumer identity: every request's config is checked.
    let remote = crate::Remote::<super::CredentialRepositories>::client(
        strict_plugin("vault", "Vault/v1"),
        None,
    );
    let err = remote
        .consumer_identity_for_config(ConsumerIdentityForConfigRequest {
            config: raw(r#"{"type":"Vault/v1"}"#),
        })
        .await
        .unwrap_err();
    assert!(matches!(err, ContractError::InvalidArgument(_)), "{err}");
    let err = remote
        .resolve(
            ResolveRequest {
                config: raw(r#"{"type":"NotMine/v1","baseUrl":"x"}"#),
                identity: Identity::new(),
            },
            &Credentials::new(),
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("NotMine/v1"), "{err}");
    let err = remote
        .resolve(
            ResolveRequest {
                config: raw(r#"{"type":"Vault/v1","baseUrl":"x"}"#),
                identity: Identity::new(),
            },
            &Credentials::new(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(registry_error(&err), Some(Error::Plugin(_))),
        "{err}"
    );
}
