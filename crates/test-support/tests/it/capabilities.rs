//! Every capability through the manager with a real plugin process: one binary (the test plugin
//! named `...multi...`) serves all six, from a single supervised process.

use ocm_plugin_contracts::{
    blob_transformer::v1 as bt, credential_repository::v1 as cred, digest_processor::v1 as dp,
    identity::GetIdentityRequest, input::v1 as inp, resource_repository::v1 as rr,
};
use ocm_plugin_manager::{Outcome, PluginManager};
use ocm_plugin_test_support::PluginDir;
use ocm_plugin_types::{CapabilityKind, Credentials, Location, LocationType, Resource};

use crate::{options, spec, test_plugin, test_spec};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_process_serves_all_six_capabilities() {
    let dir = PluginDir::new().unwrap();
    dir.add("multi-plugin", &test_plugin()).unwrap();
    let manager = PluginManager::new().unwrap();
    let report = manager
        .register_plugins(dir.path(), options())
        .await
        .unwrap();
    let Outcome::Registered { capabilities, .. } = &report.candidates[0].outcome else {
        panic!("{:?}", report.candidates[0].outcome)
    };
    let mut kinds: Vec<CapabilityKind> = capabilities
        .capabilities
        .iter()
        .map(|c| c.kind.clone())
        .collect();
    kinds.sort();
    // The six kinds of the v0.0.1 protocol.
    let mut all = CapabilityKind::ALL[..6].to_vec();
    all.sort();
    assert_eq!(kinds, all);
    let sup = manager.plugin("multi-plugin").unwrap();
    let creds = Credentials::new();
    let work = tempfile::tempdir().unwrap();
    let original = work.path().join("original.bin");
    let bytes: Vec<u8> = (0..100_000u32).map(|i| (i % 253) as u8).collect();
    std::fs::write(&original, &bytes).unwrap();

    // input: file -> handed-over blob
    let input_spec = spec(&format!(
        r#"{{"type":"TestInput/v1","path":"{}"}}"#,
        original.display()
    ));
    let input = manager.input_methods().get(&input_spec).await.unwrap();
    let processed = input
        .process_resource(
            inp::ProcessResourceRequest {
                resource: inp::ConstructorResource {
                    name: "r".into(),
                    version: "1".into(),
                    resource_type: "blob".into(),
                    input: Some(input_spec.clone()),
                    ..Default::default()
                },
            },
            &creds,
        )
        .await
        .unwrap();
    assert_eq!(processed.resource.name, "r");
    let blob = std::path::PathBuf::from(&processed.location.value);
    assert!(blob.starts_with(manager.temp_dir()), "{}", blob.display());
    assert_eq!(std::fs::read(&blob).unwrap(), bytes);
    let source = input
        .process_source(
            inp::ProcessSourceRequest {
                source: inp::ConstructorSource {
                    name: "s".into(),
                    input: Some(input_spec.clone()),
                    ..Default::default()
                },
            },
            &creds,
        )
        .await
        .unwrap();
    assert_eq!(source.source.name, "s");

    // digest processor
    let access = spec(&format!(
        r#"{{"type":"TestAccess/v1","path":"{}"}}"#,
        original.display()
    ));
    let resource = Resource {
        name: "r".into(),
        access: Some(access.clone()),
        ..Resource::default()
    };
    let digested = manager
        .digest_processors()
        .get(&access)
        .await
        .unwrap()
        .process_resource_digest(
            dp::ProcessResourceDigestRequest {
                resource: resource.clone(),
            },
            &creds,
        )
        .await
        .unwrap();
    let digest = digested.resource.digest.unwrap();
    assert_eq!(digest.hash_algorithm, "SHA-256");
    assert_eq!(digest.value.len(), 64);

    // resource repository: add then get
    let target = work.path().join("published.bin");
    let published = spec(&format!(
        r#"{{"type":"TestAccess/v1","path":"{}"}}"#,
        target.display()
    ));
    let resources = manager
        .resource_repositories()
        .get(&published)
        .await
        .unwrap();
    let mut pub_resource = resource.clone();
    pub_resource.access = Some(published.clone());
    resources
        .add_global_resource(
            rr::AddGlobalResourceRequest {
                resource_location: Location::local_file(original.to_string_lossy()),
                resource: pub_resource.clone(),
            },
            &creds,
        )
        .await
        .unwrap();
    assert_eq!(std::fs::read(&target).unwrap(), bytes);
    let got = resources
        .get_global_resource(
            rr::GetGlobalResourceRequest {
                resource: pub_resource,
            },
            &creds,
        )
        .await
        .unwrap();
    assert_eq!(std::fs::read(&got.location.value).unwrap(), bytes);

    // blob transformer
    let reverse = spec(r#"{"type":"TestTransformer/v1"}"#);
    let transformer = manager.blob_transformers().get(&reverse).await.unwrap();
    let out = transformer
        .transform_blob(
            bt::TransformBlobRequest {
                location: Location::local_file(original.to_string_lossy()),
                specification: reverse.clone(),
            },
            &creds,
        )
        .await
        .unwrap();
    let mut reversed = bytes.clone();
    reversed.reverse();
    assert_eq!(std::fs::read(&out.location.value).unwrap(), reversed);

    // credential repository, by config type and by consumer identity type
    let config = spec(r#"{"type":"TestCredentials/v1","name":"ci"}"#);
    let store = manager
        .credential_repositories()
        .get(&config)
        .await
        .unwrap();
    let id = store
        .consumer_identity_for_config(cred::ConsumerIdentityForConfigRequest {
            config: config.clone(),
        })
        .await
        .unwrap();
    assert_eq!(id["name"], "ci");
    let by_consumer = manager
        .credential_repositories()
        .for_consumer(&[("type".to_owned(), "TestIdentity".to_owned())].into())
        .unwrap();
    let resolved = by_consumer
        .resolve(
            cred::ResolveRequest {
                config,
                identity: [("hostname".to_owned(), "r.example".to_owned())].into(),
            },
            &creds,
        )
        .await
        .unwrap();
    assert_eq!(resolved["password"], "pw-for-r.example");

    // `/identity` is dispatched by the declared type of the spec, per capability.
    let kind = |r: ocm_plugin_contracts::identity::GetIdentityResponse| r.identity["type"].clone();
    assert_eq!(
        kind(
            input
                .get_identity(GetIdentityRequest { typ: input_spec })
                .await
                .unwrap()
        ),
        "TestInput"
    );
    assert_eq!(
        kind(
            transformer
                .get_identity(GetIdentityRequest { typ: reverse })
                .await
                .unwrap()
        ),
        "TestTransformer"
    );
    let repo = manager
        .component_version_repositories()
        .get(&test_spec())
        .await
        .unwrap();
    let cv = repo
        .get_identity(GetIdentityRequest { typ: test_spec() })
        .await
        .unwrap();
    assert_eq!(cv.identity["type"], "TestRepository");

    assert_eq!(sup.spawn_count(), 1, "six capabilities, one process");
    let temp = manager.temp_dir().to_owned();
    manager.shutdown().await.unwrap();
    assert!(
        !temp.exists(),
        "every handed-over file went with the temp dir"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_16_mib_fifo_blob_streams_without_a_temp_file() {
    let dir = PluginDir::new().unwrap();
    dir.add("multi-fifo", &test_plugin()).unwrap();
    let manager = PluginManager::new().unwrap();
    manager
        .register_plugins(dir.path(), options())
        .await
        .unwrap();
    let work = tempfile::tempdir().unwrap();
    let input = work.path().join("big.bin");
    let bytes: Vec<u8> = (0..16 * 1024 * 1024 + 4097u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    std::fs::write(&input, &bytes).unwrap();
    let fifo_spec = spec(r#"{"type":"TestTransformer/v1","output":"fifo"}"#);
    let out = manager
        .blob_transformers()
        .get(&fifo_spec)
        .await
        .unwrap()
        .transform_blob(
            bt::TransformBlobRequest {
                location: Location::local_file(input.to_string_lossy()),
                specification: fifo_spec,
            },
            &Credentials::new(),
        )
        .await
        .unwrap();
    assert_eq!(out.location.location_type, LocationType::UnixNamedPipe);
    let regular_files_before = count_regular_files(manager.temp_dir());
    let mut blob = manager.blob(&out.location).unwrap();
    let got = blob.read_to_vec().await.unwrap();
    let mut expected = bytes;
    expected.reverse();
    assert_eq!(got.len(), expected.len());
    assert!(got == expected, "streamed bytes differ");
    assert_eq!(
        count_regular_files(manager.temp_dir()),
        regular_files_before,
        "no temp file was written for the stream"
    );
    manager.shutdown().await.unwrap();
}

fn count_regular_files(dir: &std::path::Path) -> usize {
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let t = entry.file_type().unwrap();
        if t.is_dir() {
            n += count_regular_files(&entry.path());
        } else if t.is_file() {
            n += 1;
        }
    }
    n
}

/// Every schema the example plugins derive (and the README's two plugins) is checked by the
/// light schema engine, so none of them pays for jsonschema's meta-schema (about 2 ms of CPU)
/// when the plugin starts or is probed.
#[tokio::test]
async fn the_examples_derived_schemas_take_the_light_path() {
    use ocm_plugin_endpoints::SchemaValidator;
    use std::path::PathBuf;
    let binaries = [
        crate::directory_repository(),
        crate::oci_repository(),
        crate::rsa_signing_handler(),
        crate::file_input(),
        crate::sha256_digester(),
        PathBuf::from(env!("CARGO_BIN_EXE_it-text-plugin")),
        PathBuf::from(env!("CARGO_BIN_EXE_it-memory-plugin")),
    ];
    let mut checked = 0;
    for binary in binaries {
        let (capabilities, _) = ocm_plugin_manager::probe_plugin(
            "schemas",
            &binary,
            std::time::Duration::from_secs(30),
        )
        .await
        .unwrap();
        for c in &capabilities.capabilities {
            for t in c.types.iter().chain(&c.consumer_identity_types) {
                let Some(schema) = &t.schema else { continue };
                let validator = SchemaValidator::compile(&schema.0).unwrap();
                assert!(
                    validator.is_light(),
                    "{}: {} {} is outside the light engine's subset",
                    binary.display(),
                    c.kind,
                    t.typ
                );
                checked += 1;
            }
        }
    }
    assert!(checked >= 7, "only {checked} schemas were checked");
}
