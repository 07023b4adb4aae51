//! `add_plugin` with hand-made capabilities: nothing is probed, and the only process ever
//! started is `/bin/true` (it exits at once, so a start attempt fails after a real spawn).

use std::{path::PathBuf, time::Duration};

use ocm_plugin_registries::{Error as RegistryError, component_version_repository::Provider};
use ocm_plugin_types::{ConnectionType, Location, PluginCapabilities, Raw, Type};

use super::registration::Mode;
use super::*;
use crate::discovery::Found;
use crate::{Outcome, Rejection};

fn ty(s: &str) -> Type {
    s.parse().unwrap()
}

fn candidate(id: &str, path: &str) -> Found {
    Found {
        path: PathBuf::from(path),
        id: id.into(),
        outcome: None,
        executable: None,
        trust: crate::TrustState::Unchecked,
    }
}

fn options() -> RegistrationOptions {
    RegistrationOptions {
        start_timeout: Duration::from_secs(10),
        stop_grace: Duration::from_secs(2),
        ..RegistrationOptions::default()
    }
}

fn add(manager: &PluginManager, id: &str, path: &str, caps: &str) -> Outcome {
    let caps = PluginCapabilities::parse(caps.as_bytes()).unwrap();
    manager.add_plugin(
        &candidate(id, path),
        caps,
        ConnectionType::Unix,
        &options(),
        false,
        Mode::Register,
    )
}

fn warnings(outcome: &Outcome) -> &[String] {
    match outcome {
        Outcome::Registered { warnings, .. } => warnings,
        other => panic!("not registered: {other}"),
    }
}

/// `e30=` is the permissive schema `{}`.
const MULTI: &str = r#"{"types":{
    "componentVersionRepository":[{"type":"Repo/v1","jsonSchema":"e30="}],
    "credentialRepository":[{"type":"Consumer/v1","jsonSchema":"e30="},{"type":"CredCfg/v1","jsonSchema":"e30="}],
    "inputRepository":[{"type":"file/v1","jsonSchema":"e30="}],
    "digestProcessorRepository":[{"type":"Access/v1","jsonSchema":"e30="}],
    "resourceRepository":[{"type":"Access/v1","jsonSchema":"e30="}],
    "blobTransformer":[{"type":"Upper/v1","jsonSchema":"e30="}],
    "someFutureKind":[{"type":"Sign/v1","jsonSchema":"e30="}]
}}"#;

#[tokio::test]
async fn a_multi_capability_plugin_is_one_supervisor_in_every_registry() {
    let manager = PluginManager::new().unwrap();
    let outcome = add(&manager, "multi", "/bin/true", MULTI);
    assert_eq!(
        warnings(&outcome),
        ["capability someFutureKind is not supported by this manager"]
    );
    assert_eq!(manager.plugins().len(), 1);
    let external = |t: &str| vec![(ty(t), Provider::External("multi".into()))];
    assert_eq!(
        manager.component_version_repositories().list(),
        external("Repo/v1")
    );
    assert_eq!(
        manager.credential_repositories().list(),
        external("CredCfg/v1")
    );
    assert_eq!(
        manager
            .credential_repositories()
            .list_consumer_identity_types(),
        external("Consumer/v1")
    );
    assert_eq!(manager.input_methods().list(), external("file/v1"));
    assert_eq!(manager.digest_processors().list(), external("Access/v1"));
    assert_eq!(
        manager.resource_repositories().list(),
        external("Access/v1")
    );
    assert_eq!(manager.blob_transformers().list(), external("Upper/v1"));

    // Every registry starts the same supervisor: each lookup is one more spawn of it.
    let sup = manager.plugin("multi").unwrap();
    assert_eq!(sup.spawn_count(), 0);
    let spec = |t: &str| Raw::from_json(&format!(r#"{{"type":"{t}"}}"#)).unwrap();
    let errors = [
        manager.input_methods().get(&spec("file/v1")).await.err(),
        manager
            .blob_transformers()
            .get(&spec("Upper/v1"))
            .await
            .err(),
    ];
    for e in errors {
        assert!(matches!(e, Some(RegistryError::Plugin(_))), "{e:?}");
    }
    // Found by consumer identity type: started on the first request.
    let by_consumer = manager
        .credential_repositories()
        .for_consumer(&[("type".to_owned(), "Consumer/v1".to_owned())].into())
        .unwrap();
    let err = by_consumer
        .resolve(
            ocm_plugin_contracts::credential_repository::v1::ResolveRequest {
                config: spec("CredCfg/v1"),
                identity: Default::default(),
            },
            &Default::default(),
        )
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("exited before it was ready"),
        "{err}"
    );
    assert_eq!(sup.spawn_count(), 3);
    assert_eq!(manager.plugins().len(), 1);
    manager.shutdown().await.unwrap();
}

#[tokio::test]
async fn plugins_that_declare_nothing_we_understand_are_rejected() {
    let manager = PluginManager::new().unwrap();
    let outcome = add(
        &manager,
        "future",
        "/bin/true",
        r#"{"capabilities":[{"type":"someFutureKind","supportedThingTypes":[]}]}"#,
    );
    assert_eq!(
        outcome.to_string(),
        "rejected: declares no capability this manager understands (declared: [someFutureKind])"
    );
    let outcome = add(&manager, "empty", "/bin/true", r#"{"types":null}"#);
    assert!(
        matches!(&outcome, Outcome::Rejected(Rejection::NoKnownCapability { declared }) if declared.is_empty()),
        "{outcome}"
    );
    assert!(manager.plugins().is_empty());
    manager.shutdown().await.unwrap();
}

/// The credential repository and the credential plugin use the same paths with other bodies:
/// a plugin declaring both cannot be served, and says so.
#[tokio::test]
async fn a_plugin_declaring_both_credential_kinds_is_rejected() {
    let manager = PluginManager::new().unwrap();
    let outcome = add(
        &manager,
        "both",
        "/bin/true",
        r#"{"capabilities":[{"type":"credentialRepository","supportedConsumerIdentityTypes":[{"aliases":null,"jsonSchema":null,"type":"C"}],"supportedCredentialRepositorySpecTypes":[{"aliases":null,"jsonSchema":"e30=","type":"R/v1"}]},{"type":"credentialPlugin","supportedCredentialPluginTypes":[{"aliases":null,"jsonSchema":"e30=","type":"P/v1"}]}]}"#,
    );
    assert_eq!(
        outcome.to_string(),
        "rejected: declares both credentialRepository and credentialPlugin, which use the same paths (/consumer-identity, /resolve) with different request bodies: one plugin binary cannot be both"
    );
    assert!(matches!(
        &outcome,
        Outcome::Rejected(Rejection::ConflictingKinds { first, second, .. })
            if first.key() == "credentialRepository" && second.key() == "credentialPlugin"
    ));
    assert!(manager.plugins().is_empty());
    manager.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_plugin_is_rejected_only_if_none_of_its_capabilities_registered() {
    let manager = PluginManager::new().unwrap();
    warnings(&add(
        &manager,
        "a",
        "/bin/true",
        r#"{"types":{"componentVersionRepository":[{"type":"Repo/v1","jsonSchema":"e30="}]}}"#,
    ));
    // Same repository type, plus an input: registered for the input, with a warning.
    let outcome = add(
        &manager,
        "b",
        "/bin/true",
        r#"{"types":{"componentVersionRepository":[{"type":"Repo/v1","jsonSchema":"e30="}],"inputRepository":[{"type":"file/v1","jsonSchema":null}]}}"#,
    );
    let w = warnings(&outcome);
    assert!(
        w.iter().any(|w| w
            == "failed to register plugin b: component-version-repository (componentVersionRepository): plugin for type Repo/v1 already registered with ID: a"),
        "{w:?}"
    );
    assert!(
        w.iter()
            .any(|w| w.contains("type file/v1 has no JSON schema")),
        "{w:?}"
    );
    assert_eq!(
        manager.input_methods().list(),
        [(ty("file/v1"), Provider::External("b".into()))]
    );
    // Only the repository: rejected with the Go manager's message.
    let outcome = add(
        &manager,
        "c",
        "/bin/true",
        r#"{"types":{"componentVersionRepository":[{"type":"Repo/v1","jsonSchema":"e30="}]}}"#,
    );
    assert_eq!(
        outcome.to_string(),
        "rejected: failed to register plugin c: component-version-repository (componentVersionRepository): plugin for type Repo/v1 already registered with ID: a"
    );
    // An invalid schema fails its capability only.
    let outcome = add(
        &manager,
        "d",
        "/bin/true",
        r#"{"types":{"blobTransformer":[{"type":"T/v1","jsonSchema":"bm90IGpzb24="}]}}"#,
    );
    assert!(
        outcome
            .to_string()
            .contains("blobTransformer: invalid JSON schema for type T/v1"),
        "{outcome}"
    );
    assert_eq!(
        manager
            .plugins()
            .iter()
            .map(|p| p.id().to_owned())
            .collect::<Vec<_>>(),
        ["a", "b"]
    );
    manager.shutdown().await.unwrap();
}

#[tokio::test]
async fn credential_repositories_map_consumer_identity_types_to_config_types() {
    let manager = PluginManager::new().unwrap();
    // v0.0.1: [0] consumer identity type, [1] config type.
    warnings(&add(
        &manager,
        "old",
        "/bin/true",
        r#"{"types":{"credentialRepository":[{"type":"HarnessConsumer/v1","jsonSchema":"e30="},{"type":"HarnessCredentialRepository/v1","jsonSchema":"e30="}]}}"#,
    ));
    // v0.0.11+: explicit lists.
    warnings(&add(
        &manager,
        "new",
        "/bin/true",
        r#"{"capabilities":[{"type":"credentialRepository","supportedConsumerIdentityTypes":[{"type":"Vault","jsonSchema":"e30="}],"supportedCredentialRepositorySpecTypes":[{"type":"Vault/v1","jsonSchema":"e30="}]}]}"#,
    ));
    // The Go SDK helper's single entry: the config type only, with a warning.
    let outcome = add(
        &manager,
        "single",
        "/bin/true",
        r#"{"types":{"credentialRepository":[{"type":"Single/v1","jsonSchema":"e30="}]}}"#,
    );
    assert!(
        warnings(&outcome)
            .iter()
            .any(|w| w.contains("no consumer identity types")),
        "{outcome:?}"
    );
    let creds = manager.credential_repositories();
    assert_eq!(
        creds.list(),
        [
            (
                ty("HarnessCredentialRepository/v1"),
                Provider::External("old".into())
            ),
            (ty("Single/v1"), Provider::External("single".into())),
            (ty("Vault/v1"), Provider::External("new".into())),
        ]
    );
    assert_eq!(
        creds.list_consumer_identity_types(),
        [
            (ty("HarnessConsumer/v1"), Provider::External("old".into())),
            (ty("Vault"), Provider::External("new".into())),
        ]
    );
    manager.shutdown().await.unwrap();
}

#[tokio::test]
async fn blobs_in_the_temp_dir_are_handed_over_and_the_rest_is_left_alone() {
    let manager = PluginManager::new().unwrap();
    let inside = manager.temp_dir().join("test-resource-file");
    std::fs::write(&inside, "from a plugin").unwrap();
    let outside_dir = tempfile::tempdir().unwrap();
    let outside = outside_dir.path().join("mine");
    std::fs::write(&outside, "mine").unwrap();

    let mut blob = manager
        .blob(&Location::local_file(inside.to_str().unwrap()))
        .unwrap();
    assert!(blob.is_owned());
    assert_eq!(blob.read_to_vec().await.unwrap(), b"from a plugin");
    drop(blob);
    assert!(!inside.exists());

    let blob = manager
        .blob(&Location::local_file(outside.to_str().unwrap()))
        .unwrap();
    assert!(!blob.is_owned());
    drop(blob);
    assert!(outside.exists());

    let err = manager
        .blob(&Location {
            location_type: ocm_plugin_types::LocationType::RemoteUrl,
            value: "https://example.org".into(),
            media_type: None,
        })
        .unwrap_err();
    assert_eq!(err.to_string(), "unsupported location type: remoteURL");

    let request = manager.request_file_from_bytes(b"input").await.unwrap();
    assert!(request.path().starts_with(manager.temp_dir()));
    let kept = manager.request_file_from_bytes(b"left over").await.unwrap();
    let kept_path = kept.path().to_owned();
    std::mem::forget(kept);
    drop(request);
    assert!(kept_path.exists());
    let temp = manager.temp_dir().to_owned();
    manager.shutdown().await.unwrap();
    assert!(
        !temp.exists(),
        "shutdown removes the temp dir with what is left in it"
    );
}

/// Spec §10.6: the document's format picks the credentials form; aliases of the v0.0.11+
/// format find the plugin and share the type's schema; unknown kinds of a newer generation are
/// named in the report.
#[tokio::test]
async fn the_document_format_picks_the_credentials_form_and_aliases_resolve() {
    use ocm_plugin_runtime::CredentialsForm;
    let manager = PluginManager::new().unwrap();
    let old = r#"{"types":{"componentVersionRepository":[{"type":"Old/v1","jsonSchema":"e30="}]}}"#;
    let schema = ocm_plugin_types::JsonSchema(br#"{"required":["baseUrl"]}"#.to_vec()).to_base64();
    let new = format!(
        r#"{{"capabilities":[{{"supportedRepositorySpecTypes":[{{"aliases":["New","NewRepo/v1"],"jsonSchema":"{schema}","type":"New/v1"}}],"type":"componentVersionRepository"}},{{"supportedSigningSpecTypes":[{{"aliases":null,"jsonSchema":"e30=","type":"S/v1"}}],"type":"someFutureKind"}}]}}"#
    );
    let dual = r#"{"types":{"blobTransformer":[{"type":"Up/v1","jsonSchema":"e30="}]},"capabilities":[{"supportedTransformerSpecTypes":[{"aliases":null,"jsonSchema":"e30=","type":"Up/v1"}],"type":"blobTransformer"}]}"#;
    add(&manager, "old", "/bin/true", old);
    let outcome = add(&manager, "new", "/bin/true", &new);
    assert_eq!(
        warnings(&outcome),
        ["capability someFutureKind is not supported by this manager"]
    );
    add(&manager, "dual", "/bin/true", dual);
    let form = |id: &str| manager.supervisor(id).unwrap().config().credentials_form;
    assert_eq!(
        (form("old"), form("new"), form("dual")),
        (
            CredentialsForm::Flat,
            CredentialsForm::Typed,
            CredentialsForm::Typed
        )
    );

    let types: Vec<String> = manager
        .component_version_repositories()
        .list()
        .into_iter()
        .map(|(t, _)| t.to_string())
        .collect();
    for t in ["Old/v1", "New/v1", "New", "NewRepo/v1"] {
        assert!(types.contains(&t.to_owned()), "{t} in {types:?}");
    }
    // An alias is validated by its type's schema: no `baseUrl`, no call.
    let err = manager
        .component_version_repositories()
        .get(&Raw::from_json(r#"{"type":"New"}"#).unwrap())
        .await
        .err()
        .unwrap();
    assert!(matches!(err, RegistryError::Validation { .. }), "{err}");
}

/// A look-up of a type nobody serves lists what is served, and names the rejected plugin that
/// declared the type, with its reason.
#[tokio::test]
async fn a_missing_type_names_what_is_served_and_who_was_rejected() {
    let spec = |t: &str| Raw::from_json(&format!(r#"{{"type":"{t}"}}"#)).unwrap();
    let manager = PluginManager::new().unwrap();
    add(
        &manager,
        "good",
        "/bin/true",
        r#"{"types":{"componentVersionRepository":[{"type":"Good/v1","jsonSchema":"e30="}]}}"#,
    );
    // Rejected: its schema is not JSON.
    let broken = r#"{"capabilities":[{"supportedRepositorySpecTypes":[{"aliases":null,"jsonSchema":"bm90IGpzb24=","type":"Broken/v1"}],"type":"componentVersionRepository"}]}"#;
    let caps = PluginCapabilities::parse(broken.as_bytes()).unwrap();
    let outcome = manager.add_plugin(
        &candidate("broken", "/bin/true"),
        caps.clone(),
        ConnectionType::Unix,
        &options(),
        false,
        Mode::Register,
    );
    let Outcome::Rejected(why @ Rejection::InvalidSchema { typ, .. }) = &outcome else {
        panic!("{outcome}")
    };
    assert_eq!(typ.to_string(), "Broken/v1");
    manager.note_rejected("broken", &caps, why);

    let err = manager
        .component_version_repositories()
        .get(&spec("Broken/v1"))
        .await
        .err()
        .unwrap();
    assert_eq!(
        err.to_string(),
        format!(
            "component-version-repository (componentVersionRepository): no implementation registered for type Broken/v1; registered: Good/v1; plugin broken declares it but was rejected: {why}"
        )
    );
    let err = manager
        .component_version_repositories()
        .get(&spec("Other/v1"))
        .await
        .err()
        .unwrap();
    assert_eq!(
        err.to_string(),
        "component-version-repository (componentVersionRepository): no implementation registered for type Other/v1; registered: Good/v1"
    );
    manager.shutdown().await.unwrap();
}

/// A plugin that declares `credentialPlugin` is registered with a warning naming the released
/// OCM tool it would break in a shared plugin directory (`ocm-plugin list` prints it).
#[tokio::test]
async fn a_credential_plugin_is_registered_with_the_ocm_0_13_warning() {
    let manager = PluginManager::new().unwrap();
    let outcome = add(
        &manager,
        "creds",
        "/bin/true",
        r#"{"capabilities":[{"type":"credentialPlugin","supportedCredentialPluginTypes":[{"aliases":null,"jsonSchema":"e30=","type":"P/v1"}]}]}"#,
    );
    let warnings = warnings(&outcome);
    assert!(
        warnings
            .iter()
            .any(|w| w == crate::CREDENTIAL_PLUGIN_WARNING),
        "{warnings:?}"
    );
    assert!(crate::CREDENTIAL_PLUGIN_WARNING.contains("OCM CLI 0.13"));
    manager.shutdown().await.unwrap();
}
