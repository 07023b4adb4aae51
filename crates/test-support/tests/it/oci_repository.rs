//! The OCI repository plugin (`examples/oci-repository`) through the manager, against a real
//! registry (`docker-registry` on 127.0.0.1:0, see `ocm_plugin_test_support::registry`). The
//! layout is checked over raw HTTP, not through the plugin.

use std::{path::Path, sync::Arc};

use ocm_plugin_contracts::{Error as ContractError, component_version_repository::v1 as cvr};
use ocm_plugin_manager::PluginManager;
use ocm_plugin_test_support::{
    PluginDir,
    registry::{HttpAuth, Registry, RegistryAuth, TokenServer},
};
use ocm_plugin_types::{Credentials, Descriptor, Identity, Location, Raw, Resource};
use serde_json::{Value, json};

use crate::{oci_repository, options};

/// A registry for the running test, or `None` (after one `SKIPPED` line naming the test) when
/// `docker-registry` is not installed outside CI.
pub(crate) fn start_registry(auth: RegistryAuth<'_>) -> Option<Registry> {
    Registry::start(&test_name(), auth).unwrap()
}

/// The running test's path (libtest runs each test on a thread named after it).
fn test_name() -> String {
    std::thread::current()
        .name()
        .map_or_else(|| module_path!().to_owned(), |name| format!("it::{name}"))
}

pub(crate) const COMPONENT: &str = "ocm.software/interop/golden";
const MANIFEST_TYPE: &str = "application/vnd.oci.image.manifest.v1+json";

/// A manager with the OCI repository plugin registered, and the plugin's repository for a spec.
pub(crate) struct Oci {
    pub(crate) manager: PluginManager,
    pub(crate) repo: Arc<dyn cvr::ComponentVersionRepository>,
    pub(crate) spec: Raw,
    _dir: PluginDir,
}

impl Oci {
    pub(crate) async fn start(spec_json: Value) -> Self {
        let dir = PluginDir::new().unwrap();
        dir.add("oci-repository", &oci_repository()).unwrap();
        let manager = PluginManager::new().unwrap();
        manager
            .register_plugins(dir.path(), options())
            .await
            .unwrap();
        let spec = Raw::new(spec_json).unwrap();
        let repo = manager
            .component_version_repositories()
            .get(&spec)
            .await
            .unwrap();
        Self {
            manager,
            repo,
            spec,
            _dir: dir,
        }
    }

    pub(crate) async fn for_registry(registry: &Registry) -> Self {
        Self::start(json!({"type": "OCIRepository/v1", "baseUrl": registry.url()})).await
    }

    pub(crate) async fn add_local(
        &self,
        creds: &Credentials,
        name: &str,
        version: &str,
        file: &Path,
        resource: Resource,
    ) -> Result<Resource, ContractError> {
        let location = Location::local_file(file.to_string_lossy());
        self.add_local_at(creds, name, version, location, resource)
            .await
    }

    pub(crate) async fn add_local_at(
        &self,
        creds: &Credentials,
        name: &str,
        version: &str,
        location: Location,
        resource: Resource,
    ) -> Result<Resource, ContractError> {
        self.repo
            .add_local_resource(
                cvr::AddLocalResourceRequest {
                    repository: self.spec.clone(),
                    name: name.into(),
                    version: version.into(),
                    resource_location: location,
                    resource,
                },
                creds,
            )
            .await
    }

    pub(crate) async fn add_version(
        &self,
        creds: &Credentials,
        descriptor: Descriptor,
    ) -> Result<(), ContractError> {
        self.repo
            .add_component_version(
                cvr::AddComponentVersionRequest {
                    repository: self.spec.clone(),
                    descriptor,
                },
                creds,
            )
            .await
    }

    pub(crate) async fn get(
        &self,
        creds: &Credentials,
        name: &str,
        version: &str,
    ) -> Result<Descriptor, ContractError> {
        self.repo
            .get_component_version(
                cvr::GetComponentVersionRequest {
                    repository: Some(self.spec.clone()),
                    name: name.into(),
                    version: version.into(),
                },
                creds,
            )
            .await
    }

    pub(crate) async fn list(
        &self,
        creds: &Credentials,
        name: &str,
    ) -> Result<Vec<String>, ContractError> {
        self.repo
            .list_component_versions(
                cvr::ListComponentVersionsRequest {
                    repository: Some(self.spec.clone()),
                    name: name.into(),
                },
                creds,
            )
            .await
    }

    /// Downloads a local resource and returns its bytes (the handed-over file is removed).
    pub(crate) async fn get_local(
        &self,
        creds: &Credentials,
        name: &str,
        version: &str,
        identity: Option<Identity>,
    ) -> Result<(Vec<u8>, Resource), ContractError> {
        let got = self
            .get_local_location(creds, name, version, identity)
            .await?;
        let bytes = std::fs::read(&got.location.value).unwrap();
        std::fs::remove_file(&got.location.value).unwrap();
        Ok((bytes, got.resource))
    }

    /// Downloads a local resource; the caller owns the handed-over file.
    pub(crate) async fn get_local_location(
        &self,
        creds: &Credentials,
        name: &str,
        version: &str,
        identity: Option<Identity>,
    ) -> Result<cvr::GetLocalResourceResponse, ContractError> {
        self.repo
            .get_local_resource(
                cvr::GetLocalResourceRequest {
                    repository: Some(self.spec.clone()),
                    name: name.into(),
                    version: version.into(),
                    identity,
                },
                creds,
            )
            .await
    }

    pub(crate) async fn stop(self) {
        self.manager.shutdown().await.unwrap();
    }
}

pub(crate) fn descriptor(name: &str, version: &str, resources: Vec<Resource>) -> Descriptor {
    let mut d = Descriptor::default();
    d.meta.schema_version = "v2".into();
    d.component.name = name.into();
    d.component.version = version.into();
    d.component.provider = "ocm.software".into();
    d.component.resources = (!resources.is_empty()).then_some(resources);
    d
}

pub(crate) fn resource(name: &str, version: &str, media_type: &str) -> Resource {
    Resource {
        name: name.into(),
        version: version.into(),
        resource_type: "plainText".into(),
        relation: "local".into(),
        access: Some(Raw::new(json!({"type": "LocalBlob/v1", "mediaType": media_type})).unwrap()),
        ..Resource::default()
    }
}

fn identity(pairs: &[(&str, &str)]) -> Identity {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn patterned(len: usize, seed: u32) -> Vec<u8> {
    (0..len)
        .map(|i| ((i as u32).wrapping_mul(2_654_435_761).wrapping_add(seed) >> 13) as u8)
        .collect()
}

fn repo_of(name: &str) -> String {
    format!("component-descriptors/{name}")
}

fn manifest(registry: &Registry, repository: &str, tag: &str, auth: HttpAuth<'_>) -> Value {
    let raw = registry
        .get_manifest(repository, tag, MANIFEST_TYPE, auth)
        .unwrap();
    raw.json().unwrap()
}

#[tokio::test]
async fn oci_round_trip_two_local_resources_with_the_layout_checked_over_raw_http() {
    let Some(registry) = start_registry(RegistryAuth::None) else {
        return;
    };
    let oci = Oci::for_registry(&registry).await;
    let creds = Credentials::new();
    let files = tempfile::tempdir().unwrap();
    let small = b"0123456789".to_vec();
    let large = patterned(5 << 20, 7);
    let (name, version) = ("acme.org/round-trip", "1.0.0");

    let a = oci
        .add_local(
            &creds,
            name,
            version,
            &write(files.path(), "a", &small),
            resource("small", version, "text/plain"),
        )
        .await
        .unwrap();
    let b = oci
        .add_local(
            &creds,
            name,
            version,
            &write(files.path(), "b", &large),
            resource("large", version, "application/octet-stream"),
        )
        .await
        .unwrap();
    let access_a = a.access.as_ref().unwrap().to_value();
    assert_eq!(access_a["type"], "LocalBlob/v1");
    assert_eq!(access_a["mediaType"], "text/plain");
    let digest_a = registry_digest(&small);
    assert_eq!(access_a["localReference"], digest_a.as_str());
    let d = a.digest.as_ref().unwrap();
    assert_eq!(
        (
            d.hash_algorithm.as_str(),
            d.normalisation_algorithm.as_str(),
            format!("sha256:{}", d.value)
        ),
        ("SHA-256", "genericBlobDigest/v1", digest_a.clone())
    );
    // Nothing is tagged before the component version is added.
    assert!(
        registry
            .get_tags(&repo_of(name), HttpAuth::Anonymous)
            .unwrap_or_default()
            .is_empty()
    );

    oci.add_version(
        &creds,
        descriptor(name, version, vec![a.clone(), b.clone()]),
    )
    .await
    .unwrap();

    let got = oci.get(&creds, name, version).await.unwrap();
    assert_eq!(got.component.name, name);
    assert_eq!(got.component.resources.as_ref().map(Vec::len), Some(2));
    let (bytes, r) = oci
        .get_local(&creds, name, version, Some(identity(&[("name", "small")])))
        .await
        .unwrap();
    assert_eq!((bytes, r.name.as_str()), (small.clone(), "small"));
    let (bytes, _) = oci
        .get_local(
            &creds,
            name,
            version,
            Some(identity(&[("name", "large"), ("version", version)])),
        )
        .await
        .unwrap();
    assert!(bytes == large, "the 5 MiB blob came back different");
    assert_eq!(
        oci.list(&creds, name).await.unwrap(),
        vec![version.to_owned()]
    );

    // The layout, over raw HTTP.
    let repository = repo_of(name);
    assert_eq!(
        registry.get_tags(&repository, HttpAuth::Anonymous).unwrap(),
        vec![version.to_owned()]
    );
    let m = manifest(&registry, &repository, version, HttpAuth::Anonymous);
    assert_eq!(m["schemaVersion"], 2);
    assert_eq!(m["mediaType"], MANIFEST_TYPE);
    assert_eq!(
        m["artifactType"],
        "application/vnd.ocm.software.component-descriptor.v2"
    );
    assert_eq!(
        m["config"]["mediaType"],
        "application/vnd.ocm.software.component.config.v1+json"
    );
    let layers = m["layers"].as_array().unwrap();
    assert_eq!(layers.len(), 3);
    assert_eq!(
        layers[0]["mediaType"],
        "application/vnd.ocm.software.component-descriptor.v2+json"
    );
    assert_eq!(layers[1]["digest"], digest_a.as_str());
    assert_eq!(layers[1]["mediaType"], "text/plain");
    assert_eq!(layers[1]["size"], 10);
    assert_eq!(
        layers[1]["annotations"]["software.ocm.artifact"],
        r#"[{"identity":{"name":"small","version":"1.0.0"},"kind":"resource"}]"#
    );
    assert_eq!(layers[2]["digest"], registry_digest(&large).as_str());
    assert_eq!(layers[2]["size"], 5 << 20);
    let annotations = &m["annotations"];
    assert_eq!(
        annotations["software.ocm.componentversion"],
        format!("{name}:{version}")
    );
    assert_eq!(annotations["org.opencontainers.image.version"], version);
    assert_eq!(
        annotations["software.ocm.creator"],
        "ocm-plugin-rs/examples/oci-repository"
    );
    assert_eq!(
        annotations["org.opencontainers.image.authors"],
        "ocm-plugin-rs/examples/oci-repository"
    );
    let config_digest = m["config"]["digest"].as_str().unwrap();
    let config: Value = serde_json::from_slice(
        &registry
            .get_blob(&repository, config_digest, HttpAuth::Anonymous)
            .unwrap(),
    )
    .unwrap();
    assert_eq!(config["componentDescriptorLayer"], layers[0]);
    let layer0 = registry
        .get_blob(
            &repository,
            layers[0]["digest"].as_str().unwrap(),
            HttpAuth::Anonymous,
        )
        .unwrap();
    let stored: Descriptor = serde_json::from_slice(&layer0).unwrap();
    assert_eq!(stored.component.name, name);
    oci.stop().await;
}

fn registry_digest(bytes: &[u8]) -> String {
    ocm_plugin_test_support::registry::sha256_digest(bytes)
}

#[tokio::test]
async fn oci_versions_with_plus_sorted_by_semver_and_foreign_tags_skipped() {
    let Some(registry) = start_registry(RegistryAuth::None) else {
        return;
    };
    let oci = Oci::for_registry(&registry).await;
    let creds = Credentials::new();
    let name = "acme.org/versions";
    for v in ["1.0.0", "1.10.0", "1.2.0+build.5", "2.0.0-rc.1", "1.2.0"] {
        oci.add_version(&creds, descriptor(name, v, Vec::new()))
            .await
            .unwrap();
    }
    // Something that is no component version, under a tag of the same repository.
    let repository = repo_of(name);
    let config = registry
        .push_blob(&repository, b"{}", HttpAuth::Anonymous)
        .unwrap();
    let foreign = json!({
        "schemaVersion": 2, "mediaType": MANIFEST_TYPE,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config, "size": 2},
        "layers": []
    });
    registry
        .push_manifest(
            &repository,
            "9.9.9",
            MANIFEST_TYPE,
            foreign.to_string().as_bytes(),
            HttpAuth::Anonymous,
        )
        .unwrap();
    let mut tags = registry.get_tags(&repository, HttpAuth::Anonymous).unwrap();
    tags.sort();
    assert!(tags.contains(&"1.2.0.build-build.5".to_owned()), "{tags:?}");
    assert_eq!(
        oci.list(&creds, name).await.unwrap(),
        ["2.0.0-rc.1", "1.10.0", "1.2.0+build.5", "1.2.0", "1.0.0"]
    );
    let got = oci.get(&creds, name, "1.2.0+build.5").await.unwrap();
    assert_eq!(got.component.version, "1.2.0+build.5");
    // The foreign tag is an error naming the reference when read as a component version.
    match oci.get(&creds, name, "9.9.9").await {
        Err(e) => {
            let text = e.to_string();
            assert!(
                text.contains("not an OCM component version") && text.contains(&repository),
                "{text}"
            )
        }
        Ok(_) => panic!("a foreign manifest was read as a component version"),
    }
    // An unknown component has no versions (not an error).
    assert!(
        oci.list(&creds, "acme.org/nothing-here")
            .await
            .unwrap()
            .is_empty()
    );
    oci.stop().await;
}

#[tokio::test]
async fn oci_every_type_name_and_sub_path_form() {
    let Some(registry) = start_registry(RegistryAuth::None) else {
        return;
    };
    let creds = Credentials::new();
    let base = registry.url();
    let host_port = registry.host_port();
    // (spec, the repository prefix it must use)
    let forms = [
        (
            json!({"type": "OCIRepository/v1", "baseUrl": format!("{base}/team-a")}),
            "team-a/",
        ),
        (
            json!({"type": "OCIRepository/v1", "baseUrl": base, "subPath": "team-b/ocm"}),
            "team-b/ocm/",
        ),
        (
            json!({"type": "OCIRepository/v1", "baseUrl": format!("{base}/one"), "subPath": "two"}),
            "one/two/",
        ),
        (
            json!({"type": "OCIRepository/v1", "baseUrl": format!("{base}/")}),
            "",
        ),
    ];
    for (n, (spec_json, prefix)) in forms.into_iter().enumerate() {
        let oci = Oci::start(spec_json.clone()).await;
        let name = format!("acme.org/form{n}");
        oci.add_version(&creds, descriptor(&name, "1.0.0", Vec::new()))
            .await
            .unwrap();
        let repository = format!("{prefix}component-descriptors/{name}");
        assert_eq!(
            registry.get_tags(&repository, HttpAuth::Anonymous).unwrap(),
            ["1.0.0"],
            "{spec_json} must store under {repository}"
        );
        assert_eq!(
            oci.get(&creds, &name, "1.0.0")
                .await
                .unwrap()
                .component
                .name,
            name
        );
        oci.stop().await;
    }
    // Every name OCM accepts for the type reaches the plugin and addresses the same registry.
    for typ in ocm_example_oci_repository::ACCEPTED_TYPES {
        let oci = Oci::start(json!({"type": typ, "baseUrl": base, "subPath": "team-a"})).await;
        let got = oci.get(&creds, "acme.org/form0", "1.0.0").await.unwrap();
        assert_eq!(got.component.version, "1.0.0", "{typ}");
        let identity = oci
            .repo
            .get_identity(ocm_plugin_contracts::identity::GetIdentityRequest {
                typ: oci.spec.clone(),
            })
            .await
            .unwrap()
            .identity;
        let (host, port) = host_port.split_once(':').unwrap();
        assert_eq!(
            identity,
            identity_of(&[
                ("type", "OCIRegistry"),
                ("hostname", host),
                ("port", port),
                ("scheme", "http"),
                ("path", "team-a")
            ]),
            "{typ}"
        );
        oci.stop().await;
    }
}

fn identity_of(pairs: &[(&str, &str)]) -> Identity {
    identity(pairs)
}

fn basic(user: &str, password: &str) -> Credentials {
    Credentials::typed(
        "Credentials/v1",
        [("username", user), ("password", password)],
    )
}

fn creds_of(kind: &str, pairs: &[(&str, &str)]) -> Credentials {
    Credentials::typed(kind, pairs.iter().copied())
}

/// Stores `bytes` as the one local resource `x` of `name` 1.0.0.
async fn store_one(oci: &Oci, creds: &Credentials, name: &str, dir: &Path, bytes: &[u8]) {
    let file = write(dir, "x", bytes);
    let r = oci
        .add_local(
            creds,
            name,
            "1.0.0",
            &file,
            resource("x", "1.0.0", "text/plain"),
        )
        .await
        .unwrap();
    oci.add_version(creds, descriptor(name, "1.0.0", vec![r]))
        .await
        .unwrap();
}

#[tokio::test]
async fn oci_basic_auth_accepts_the_right_password_and_says_401_otherwise() {
    let Some(registry) = start_registry(RegistryAuth::Basic) else {
        return;
    };
    let user = ocm_plugin_test_support::registry::USERNAME;
    let password = ocm_plugin_test_support::registry::PASSWORD;
    let oci = Oci::for_registry(&registry).await;
    let files = tempfile::tempdir().unwrap();
    let name = "acme.org/basic";
    let good = basic(user, password);
    store_one(&oci, &good, name, files.path(), b"basic").await;
    let (bytes, _) = oci.get_local(&good, name, "1.0.0", None).await.unwrap();
    assert_eq!(bytes, b"basic");
    assert_eq!(
        registry
            .get_tags(&repo_of(name), HttpAuth::FIXTURE)
            .unwrap(),
        ["1.0.0"]
    );
    // OCICredentials/v1 and a flat map work the same.
    let typed = creds_of(
        "OCICredentials/v1",
        &[("username", user), ("password", password)],
    );
    assert_eq!(oci.list(&typed, name).await.unwrap(), ["1.0.0"]);

    for (creds, what) in [
        (Credentials::new(), "no credentials"),
        (basic(user, "wrong-password-42"), "a wrong password"),
    ] {
        match oci.get(&creds, name, "1.0.0").await {
            Err(e) => {
                let text = format!("{e:?} {e}");
                assert!(
                    text.contains("401")
                        || text.to_lowercase().contains("unauthorized")
                        || text.contains("refused"),
                    "{what}: {text}"
                );
                assert!(
                    !text.contains("wrong-password-42") && !text.contains(password),
                    "{what}: a secret in {text}"
                );
            }
            Ok(_) => panic!("{what} read a protected registry"),
        }
    }
    oci.stop().await;
}

#[tokio::test]
async fn oci_bearer_token_flow_access_and_refresh_tokens_with_tokens_reused() {
    let tokens = TokenServer::start().unwrap();
    let Some(registry) = start_registry(RegistryAuth::Token(&tokens)) else {
        return;
    };
    let user = ocm_plugin_test_support::registry::USERNAME;
    let password = ocm_plugin_test_support::registry::PASSWORD;
    let oci = Oci::for_registry(&registry).await;
    let files = tempfile::tempdir().unwrap();
    let name = "acme.org/bearer";

    // username/password through the registry's WWW-Authenticate token flow.
    let good = basic(user, password);
    store_one(&oci, &good, name, files.path(), b"bearer").await;
    let after_first = tokens.requests();
    for _ in 0..5 {
        assert_eq!(
            oci.get(&good, name, "1.0.0").await.unwrap().component.name,
            name
        );
        assert_eq!(
            oci.get_local(&good, name, "1.0.0", None).await.unwrap().0,
            b"bearer"
        );
    }
    let reused = tokens.requests() - after_first;
    assert!(
        reused <= 1,
        "tokens are fetched again instead of reused: {reused} more token requests for 10 reads"
    );

    // An access token, used as is.
    let minted = tokens.mint(&repo_of(name)).unwrap();
    let access = creds_of("Credentials/v1", &[("accessToken", &minted)]);
    assert_eq!(oci.list(&access, name).await.unwrap(), ["1.0.0"]);

    // A refresh token, exchanged at the token endpoint.
    let refresh = creds_of(
        "Credentials/v1",
        &[("refreshToken", tokens.refresh_token())],
    );
    assert_eq!(
        oci.get_local(&refresh, name, "1.0.0", None)
            .await
            .unwrap()
            .0,
        b"bearer"
    );

    for (creds, secret) in [
        (basic(user, "not-the-password-77"), "not-the-password-77"),
        (
            creds_of("Credentials/v1", &[("refreshToken", "bogus-refresh-99")]),
            "bogus-refresh-99",
        ),
        (
            creds_of("Credentials/v1", &[("accessToken", "bogus-access-55")]),
            "bogus-access-55",
        ),
        (Credentials::new(), "-"),
    ] {
        match oci.get(&creds, name, "1.0.0").await {
            Err(e) => {
                let text = format!("{e:?} {e}");
                assert!(
                    text.contains("401")
                        || text.to_lowercase().contains("unauthorized")
                        || text.contains("refused"),
                    "{text}"
                );
                assert!(
                    !text.contains(secret) || secret == "-",
                    "a secret in {text}"
                );
            }
            Ok(_) => panic!("bad credentials read a protected registry"),
        }
    }
    oci.stop().await;
}

fn assert_error(
    result: Result<impl std::fmt::Debug, ContractError>,
    status: u16,
    needles: &[&str],
) {
    let e = match result {
        Err(e) => e,
        Ok(v) => panic!("expected an error with status {status}, got {v:?}"),
    };
    let text = format!("{e:?}");
    assert!(
        text.contains(&format!("status code {status}")) || text.contains(&format!("{status}")),
        "expected status {status}: {text}"
    );
    for needle in needles {
        assert!(
            text.contains(needle),
            "the error does not name {needle:?}: {text}"
        );
    }
}

#[tokio::test]
async fn oci_bad_input_gets_clear_answers() {
    let Some(registry) = start_registry(RegistryAuth::None) else {
        return;
    };
    let oci = Oci::for_registry(&registry).await;
    let creds = Credentials::new();
    let files = tempfile::tempdir().unwrap();
    let name = "acme.org/bad";
    let repository = repo_of(name);

    // Invalid name and version: 400 naming the value.
    assert_error(
        oci.get(&creds, "Acme.org/Bad", "1.0.0").await,
        400,
        &["Acme.org/Bad"],
    );
    assert_error(oci.get(&creds, name, "1.0/0").await, 400, &["1.0/0"]);
    assert_error(
        oci.add_version(&creds, descriptor(name, "1.0.0+a+b", Vec::new()))
            .await,
        400,
        &["1.0.0+a+b"],
    );
    // Unknown component version: 404 naming registry and repository.
    assert_error(
        oci.get(&creds, name, "3.0.0").await,
        404,
        &[&registry.host_port(), &repository],
    );

    // A localReference that is not in the repository: 400, nothing tagged.
    let mut ghost = resource("ghost", "1.0.0", "text/plain");
    ghost.access = Some(
        Raw::new(json!({"type": "LocalBlob/v1", "localReference": format!("sha256:{}", "ab".repeat(32)), "mediaType": "text/plain"}))
            .unwrap(),
    );
    assert_error(
        oci.add_version(&creds, descriptor(name, "1.0.0", vec![ghost]))
            .await,
        400,
        &[&format!("sha256:{}", "ab".repeat(32))],
    );
    assert!(
        registry
            .get_tags(&repository, HttpAuth::Anonymous)
            .unwrap_or_default()
            .is_empty(),
        "something was tagged"
    );

    // Identity matching nothing (404) or several (400).
    let mut per_os = Vec::new();
    for os in ["linux", "darwin"] {
        let mut r = resource("bin", "1.0.0", "application/octet-stream");
        r.extra_identity = Some(identity(&[("os", os)]));
        let file = write(files.path(), os, os.as_bytes());
        per_os.push(
            oci.add_local(&creds, name, "1.0.0", &file, r)
                .await
                .unwrap(),
        );
    }
    oci.add_version(&creds, descriptor(name, "1.0.0", per_os))
        .await
        .unwrap();
    assert_error(
        oci.get_local(&creds, name, "1.0.0", Some(identity(&[("name", "nope")])))
            .await,
        404,
        &["nope"],
    );
    assert_error(
        oci.get_local(&creds, name, "1.0.0", Some(identity(&[("name", "bin")])))
            .await,
        400,
        &["linux", "darwin"],
    );
    let (bytes, _) = oci
        .get_local(
            &creds,
            name,
            "1.0.0",
            Some(identity(&[("name", "bin"), ("os", "darwin")])),
        )
        .await
        .unwrap();
    assert_eq!(bytes, b"darwin");

    // Digest mismatch on read: the registry's stored bytes changed behind its back.
    let darwin_digest = registry_digest(b"darwin");
    let hex = darwin_digest.trim_start_matches("sha256:");
    let data = registry
        .storage_dir()
        .join("docker/registry/v2/blobs/sha256")
        .join(&hex[..2])
        .join(hex)
        .join("data");
    std::fs::write(&data, b"DARWIN").unwrap();
    let temp = oci.manager.temp_dir().to_owned();
    let before = blob_files(&temp);
    assert_error(
        oci.get_local(
            &creds,
            name,
            "1.0.0",
            Some(identity(&[("name", "bin"), ("os", "darwin")])),
        )
        .await,
        500,
        &[&darwin_digest, &registry_digest(b"DARWIN")],
    );
    assert_eq!(
        blob_files(&temp),
        before,
        "a partial or wrong file was left behind"
    );

    // Digest mismatch on write: a file whose bytes differ on every read (a fresh UUID each time,
    // always 37 bytes), so what is uploaded is not what was hashed. The registry refuses the
    // upload; the error names the digest hashed before the upload and the file's digest now.
    let changing = Path::new("/proc/sys/kernel/random/uuid");
    if changing.exists() {
        let result = oci
            .add_local(
                &creds,
                name,
                "8.0.0",
                changing,
                resource("uuid", "8.0.0", "text/plain"),
            )
            .await;
        let text = format!("{:?}", result.as_ref().err());
        assert!(
            text.contains("digest mismatch") && text.matches("sha256:").count() >= 2,
            "expected a digest mismatch naming both digests, got {text}"
        );
    }

    // A foreign manifest under a component version's tag, and an undecodable descriptor.
    let config = registry
        .push_blob(&repository, b"{}", HttpAuth::Anonymous)
        .unwrap();
    let foreign = json!({"schemaVersion": 2, "mediaType": MANIFEST_TYPE,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config, "size": 2}, "layers": []});
    registry
        .push_manifest(
            &repository,
            "5.0.0",
            MANIFEST_TYPE,
            foreign.to_string().as_bytes(),
            HttpAuth::Anonymous,
        )
        .unwrap();
    assert_error(
        oci.get(&creds, name, "5.0.0").await,
        500,
        &[&repository, "5.0.0"],
    );
    let garbage = b"{ this is not a descriptor".to_vec();
    push_component_manifest(
        &registry,
        &repository,
        "6.0.0",
        "application/vnd.ocm.software.component-descriptor.v2+json",
        &garbage,
        None,
    );
    assert_error(
        oci.get(&creds, name, "6.0.0").await,
        500,
        &[&repository, "6.0.0", "cannot be decoded"],
    );
    // A descriptor layer over 64 MiB is refused without being read: the manifest declares
    // 65 MiB for a small blob (the registry checks that layers exist, not their sizes), so
    // reading it would show as a size mismatch instead of this refusal.
    let small = registry
        .push_blob(&repository, &garbage, HttpAuth::Anonymous)
        .unwrap();
    let huge = json!({"mediaType": "application/vnd.ocm.software.component-descriptor.v2+json",
        "digest": small, "size": 65u64 << 20});
    push_component_manifest(&registry, &repository, "7.0.0", "", b"", Some(huge));
    assert_error(
        oci.get(&creds, name, "7.0.0").await,
        500,
        &["7.0.0", "68157440"],
    );

    // Registry unreachable: 500 naming host:port, within the connect timeout.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let gone = Oci::start(
        json!({"type": "OCIRepository/v1", "baseUrl": format!("http://127.0.0.1:{port}")}),
    )
    .await;
    let started = std::time::Instant::now();
    assert_error(
        gone.get(&creds, name, "1.0.0").await,
        500,
        &[&format!("127.0.0.1:{port}")],
    );
    assert!(started.elapsed() < ocm_example_oci_repository::CONNECT_TIMEOUT * 2);
    let health = gone
        .repo
        .check_health(
            cvr::CheckHealthRequest {
                repository: gone.spec.clone(),
            },
            &creds,
        )
        .await;
    assert_error(health, 500, &[&format!("127.0.0.1:{port}")]);
    assert!(
        oci.repo
            .check_health(
                cvr::CheckHealthRequest {
                    repository: oci.spec.clone()
                },
                &creds
            )
            .await
            .is_ok(),
        "a reachable registry is healthy"
    );
    gone.stop().await;

    // Invalid specs never reach a registry.
    for (bad, named) in [
        (
            json!({"type": "OCIRepository/v1", "baseUrl": "ftp://x"}),
            "ftp://x",
        ),
        (
            json!({"type": "OCIRepository/v1", "baseUrl": "http://host:notaport"}),
            "notaport",
        ),
        (
            json!({"type": "OCIRepository/v1", "baseUrl": "host", "subPath": "Upper"}),
            "Upper",
        ),
    ] {
        let spec = Raw::new(bad.clone()).unwrap();
        let result = oci
            .repo
            .get_component_version(
                cvr::GetComponentVersionRequest {
                    repository: Some(spec),
                    name: name.into(),
                    version: "1.0.0".into(),
                },
                &creds,
            )
            .await;
        assert_error(result, 400, &[named]);
    }
    oci.stop().await;
}

/// `oci-repository-blob-*` files in the plugin's temp dir.
fn blob_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with("oci-repository-blob-"))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// Pushes a component version manifest whose descriptor layer is `layer` (media type and
/// bytes), or, with `layer_descriptor`, a config naming that descriptor without pushing it.
fn push_component_manifest(
    registry: &Registry,
    repository: &str,
    tag: &str,
    media_type: &str,
    layer: &[u8],
    layer_descriptor: Option<Value>,
) {
    let layer_descriptor = layer_descriptor.unwrap_or_else(|| {
        let digest = registry
            .push_blob(repository, layer, HttpAuth::Anonymous)
            .unwrap();
        json!({"mediaType": media_type, "digest": digest, "size": layer.len()})
    });
    let config = json!({"componentDescriptorLayer": layer_descriptor}).to_string();
    let config_digest = registry
        .push_blob(repository, config.as_bytes(), HttpAuth::Anonymous)
        .unwrap();
    let manifest = json!({"schemaVersion": 2, "mediaType": MANIFEST_TYPE,
        "artifactType": "application/vnd.ocm.software.component-descriptor.v2",
        "config": {"mediaType": "application/vnd.ocm.software.component.config.v1+json", "digest": config_digest, "size": config.len()},
        "layers": [layer_descriptor]});
    registry
        .push_manifest(
            repository,
            tag,
            MANIFEST_TYPE,
            manifest.to_string().as_bytes(),
            HttpAuth::Anonymous,
        )
        .unwrap();
}

#[tokio::test]
async fn oci_reads_legacy_media_types_and_an_index() {
    let Some(registry) = start_registry(RegistryAuth::None) else {
        return;
    };
    let oci = Oci::for_registry(&registry).await;
    let creds = Credentials::new();
    let name = "acme.org/legacy";
    let repository = repo_of(name);
    let d = serde_json::to_vec(&descriptor(name, "1.0.0", Vec::new())).unwrap();
    // The gardener media types of older OCM tooling: config and layer.
    let layer_digest = registry
        .push_blob(&repository, &d, HttpAuth::Anonymous)
        .unwrap();
    let layer = json!({"mediaType": "application/vnd.gardener.cloud.cnudie.component-descriptor.v2+json", "digest": layer_digest, "size": d.len()});
    let config = json!({"componentDescriptorLayer": layer}).to_string();
    let config_digest = registry
        .push_blob(&repository, config.as_bytes(), HttpAuth::Anonymous)
        .unwrap();
    let manifest = json!({"schemaVersion": 2, "mediaType": MANIFEST_TYPE,
        "config": {"mediaType": "application/vnd.gardener.cloud.cnudie.component.config.v1+json", "digest": config_digest, "size": config.len()},
        "layers": [layer]})
    .to_string();
    registry
        .push_manifest(
            &repository,
            "1.0.0",
            MANIFEST_TYPE,
            manifest.as_bytes(),
            HttpAuth::Anonymous,
        )
        .unwrap();
    assert_eq!(
        oci.get(&creds, name, "1.0.0").await.unwrap().component.name,
        name
    );

    // An image index whose first manifest is the component version.
    let manifest_digest = registry_digest(manifest.as_bytes());
    let index = json!({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{"mediaType": MANIFEST_TYPE, "digest": manifest_digest, "size": manifest.len()}]})
    .to_string();
    registry
        .push_manifest(
            &repository,
            "2.0.0",
            "application/vnd.oci.image.index.v1+json",
            index.as_bytes(),
            HttpAuth::Anonymous,
        )
        .unwrap();
    let got = oci.get(&creds, name, "2.0.0").await.unwrap();
    assert_eq!(
        got.component.version, "1.0.0",
        "the index's first manifest is read"
    );
    oci.stop().await;
}

#[tokio::test]
async fn oci_four_concurrent_uploads_to_one_version() {
    let Some(registry) = start_registry(RegistryAuth::None) else {
        return;
    };
    let oci = Arc::new(Oci::for_registry(&registry).await);
    let files = tempfile::tempdir().unwrap();
    let name = "acme.org/concurrent";
    let mut tasks = Vec::new();
    let mut expected = Vec::new();
    for i in 0..4u32 {
        let bytes = patterned(300_000 + i as usize * 1000, i);
        let path = write(files.path(), &format!("f{i}"), &bytes);
        expected.push((format!("part{i}"), bytes));
        let oci = oci.clone();
        tasks.push(tokio::spawn(async move {
            oci.add_local(
                &Credentials::new(),
                name,
                "1.0.0",
                &path,
                resource(&format!("part{i}"), "1.0.0", "application/octet-stream"),
            )
            .await
            .unwrap()
        }));
    }
    let mut resources = Vec::new();
    for t in tasks {
        resources.push(t.await.unwrap());
    }
    let creds = Credentials::new();
    oci.add_version(&creds, descriptor(name, "1.0.0", resources))
        .await
        .unwrap();
    for (part, bytes) in expected {
        let (got, _) = oci
            .get_local(&creds, name, "1.0.0", Some(identity(&[("name", &part)])))
            .await
            .unwrap();
        assert!(got == bytes, "{part} came back different");
    }
    let m = manifest(&registry, &repo_of(name), "1.0.0", HttpAuth::Anonymous);
    assert_eq!(m["layers"].as_array().unwrap().len(), 5);
    if let Ok(oci) = Arc::try_unwrap(oci) {
        oci.stop().await;
    }
}

#[tokio::test]
async fn oci_memory_of_a_256_mib_add_and_fetch_stays_within_32_mib_of_a_1_mib_one() {
    let Some(registry) = start_registry(RegistryAuth::None) else {
        return;
    };
    let oci = Oci::for_registry(&registry).await;
    let creds = Credentials::new();
    let files = tempfile::tempdir().unwrap();
    let name = "acme.org/memory";
    let pid = oci
        .manager
        .plugin("oci-repository")
        .and_then(|s| s.pid())
        .expect("the plugin runs");

    let round = |version: &'static str, size: usize| {
        let path = files.path().join(version);
        {
            use std::io::Write as _;
            let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
            let chunk = patterned(1 << 20, size as u32);
            let mut left = size;
            while left > 0 {
                let n = left.min(chunk.len());
                f.write_all(&chunk[..n]).unwrap();
                left -= n;
            }
        }
        let oci = &oci;
        let creds = &creds;
        async move {
            let r = oci
                .add_local(
                    creds,
                    name,
                    version,
                    &path,
                    resource("blob", version, "application/octet-stream"),
                )
                .await
                .unwrap();
            oci.add_version(creds, descriptor(name, version, vec![r]))
                .await
                .unwrap();
            let got = oci
                .get_local_location(creds, name, version, None)
                .await
                .unwrap();
            assert_eq!(
                std::fs::metadata(&got.location.value).unwrap().len(),
                size as u64
            );
            std::fs::remove_file(&got.location.value).unwrap();
            std::fs::remove_file(&path).unwrap();
        }
    };
    // Each peak belongs to its round: writing 5 to clear_refs resets VmHWM to the current RSS.
    let reset_peak = || std::fs::write(format!("/proc/{pid}/clear_refs"), "5").unwrap();
    reset_peak();
    round("1.0.0", 1 << 20).await;
    let (_, small_peak) = crate::memory::rss_kib(pid);
    reset_peak();
    round("2.0.0", 256 << 20).await;
    let (after, large_peak) = crate::memory::rss_kib(pid);
    eprintln!(
        "oci-repository memory: peak of the 1 MiB round {small_peak} KiB, of the 256 MiB round \
         {large_peak} KiB, RSS now {after} KiB"
    );
    assert!(
        large_peak <= small_peak + 32 * 1024,
        "a 256 MiB add and fetch peaked at {large_peak} KiB, more than 32 MiB above the 1 MiB run's {small_peak} KiB"
    );
    oci.stop().await;
}

/// Starts the plugin the way a Go manager does (`--config` with a Go-style id), with `env`.
fn start_go_style(
    env: &[(&str, &str)],
    stderr: Option<std::fs::File>,
) -> (
    std::process::Child,
    ocm_plugin_runtime::PluginClient,
    tempfile::TempDir,
) {
    use std::{
        io::{BufRead, BufReader},
        process::{Command, Stdio},
    };
    let tmp = tempfile::tempdir().unwrap();
    let mut command = Command::new(oci_repository());
    command
        .arg("--config")
        .arg(r#"{"id":"oci-repository","type":"unix","pluginType":"","idleTimeout":3600000000000}"#)
        .env_remove(ocm_example_oci_repository::BASE_URL_ENV)
        .env_remove(ocm_example_oci_repository::SUB_PATH_ENV)
        .env("TMPDIR", tmp.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(stderr.map_or_else(Stdio::null, Stdio::from));
    for (k, v) in env {
        command.env(k, v);
    }
    let mut child = command.spawn().unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let endpoint = ocm_plugin_runtime::parse_location_line(&line).unwrap();
    let client = ocm_plugin_runtime::PluginClient::new("oci-repository", endpoint);
    (child, client, tmp)
}

/// Go managers send no spec on reads: the registry then comes from the environment (or the
/// plugin configuration), and without either the answer is a 400 naming both.
#[tokio::test]
async fn oci_reads_without_a_spec_use_the_environment_or_say_how_to_set_one() {
    use ocm_plugin_endpoints::component_version_repository as routes;
    let Some(registry) = start_registry(RegistryAuth::None) else {
        return;
    };
    let name = "acme.org/go-style";
    let oci =
        Oci::start(json!({"type": "OCIRepository/v1", "baseUrl": registry.url(), "subPath": "go"}))
            .await;
    oci.add_version(
        &Credentials::new(),
        descriptor(name, "1.0.0+b.1", Vec::new()),
    )
    .await
    .unwrap();
    oci.stop().await;

    let url = registry.url();
    let (mut child, client, _tmp) = start_go_style(
        &[
            (ocm_example_oci_repository::BASE_URL_ENV, url.as_str()),
            (ocm_example_oci_repository::SUB_PATH_ENV, "go"),
        ],
        None,
    );
    client.health().await.unwrap();
    let d: Descriptor = client
        .call_json(
            &routes::GET_COMPONENT_VERSION,
            &[("name", name), ("version", "1.0.0+b.1")],
            None,
            None,
        )
        .await
        .unwrap();
    assert_eq!(d.component.version, "1.0.0+b.1");
    let versions: Vec<String> = client
        .call_json(
            &routes::LIST_COMPONENT_VERSIONS,
            &[("name", name)],
            None,
            None,
        )
        .await
        .unwrap();
    assert_eq!(versions, ["1.0.0+b.1"]);
    child.kill().unwrap();
    child.wait().unwrap();

    let (mut child, client, _tmp) = start_go_style(&[], None);
    let err = client
        .call_json::<Descriptor>(
            &routes::GET_COMPONENT_VERSION,
            &[("name", name), ("version", "1.0.0+b.1")],
            None,
            None,
        )
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("400")
            && err.contains(ocm_example_oci_repository::BASE_URL_ENV)
            && err.contains(ocm_example_oci_repository::CONFIG_TYPE),
        "{err}"
    );
    child.kill().unwrap();
    child.wait().unwrap();
}

#[tokio::test]
async fn oci_local_sources_round_trip() {
    let Some(registry) = start_registry(RegistryAuth::None) else {
        return;
    };
    let oci = Oci::for_registry(&registry).await;
    let creds = Credentials::new();
    let files = tempfile::tempdir().unwrap();
    let name = "acme.org/sources";
    let bytes = patterned(70_000, 3);
    let file = write(files.path(), "src.tar", &bytes);
    let source = ocm_plugin_types::Source {
        name: "code".into(),
        version: "1.0.0".into(),
        source_type: "git".into(),
        access: Some(
            Raw::new(json!({"type": "LocalBlob/v1", "mediaType": "application/x-tar"})).unwrap(),
        ),
        ..Default::default()
    };
    let stored = oci
        .repo
        .add_local_source(
            cvr::AddLocalSourceRequest {
                repository: oci.spec.clone(),
                name: name.into(),
                version: "1.0.0".into(),
                source_location: Location::local_file(file.to_string_lossy()),
                source,
            },
            &creds,
        )
        .await
        .unwrap();
    let access = stored.access.as_ref().unwrap().to_value();
    assert_eq!(access["localReference"], registry_digest(&bytes).as_str());
    assert_eq!(access["mediaType"], "application/x-tar");
    let mut d = descriptor(name, "1.0.0", Vec::new());
    d.component.sources = Some(vec![stored]);
    oci.add_version(&creds, d).await.unwrap();
    let got = oci
        .repo
        .get_local_source(
            cvr::GetLocalSourceRequest {
                repository: Some(oci.spec.clone()),
                name: name.into(),
                version: "1.0.0".into(),
                identity: Some(identity(&[("name", "code")])),
            },
            &creds,
        )
        .await
        .unwrap();
    assert!(
        std::fs::read(&got.location.value).unwrap() == bytes,
        "the source came back different"
    );
    std::fs::remove_file(&got.location.value).unwrap();
    assert_eq!(got.source.name, "code");
    let m = manifest(&registry, &repo_of(name), "1.0.0", HttpAuth::Anonymous);
    assert_eq!(
        m["layers"][1]["annotations"]["software.ocm.artifact"],
        r#"[{"identity":{"name":"code","version":"1.0.0"},"kind":"source"}]"#
    );
    oci.stop().await;
}

/// With every log on (`OCM_PLUGIN_LOG=trace`, which includes the HTTP and OCI client crates),
/// no password, token or Basic header value reaches the plugin's log, through the Basic token
/// flow, a refresh-token exchange, an access token and a refused password.
#[tokio::test]
async fn oci_no_secret_reaches_the_log_even_at_trace() {
    use base64::Engine as _;
    use ocm_plugin_endpoints::component_version_repository as routes;
    let tokens = TokenServer::start().unwrap();
    let Some(registry) = start_registry(RegistryAuth::Token(&tokens)) else {
        return;
    };
    let user = ocm_plugin_test_support::registry::USERNAME;
    let password = ocm_plugin_test_support::registry::PASSWORD;
    let name = "acme.org/secrets";
    let oci = Oci::for_registry(&registry).await;
    let files = tempfile::tempdir().unwrap();
    store_one(
        &oci,
        &basic(user, password),
        name,
        files.path(),
        b"secret-free",
    )
    .await;
    oci.stop().await;

    let log_path = files.path().join("plugin.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let url = registry.url();
    let (mut child, client, _tmp) = start_go_style(
        &[
            (ocm_example_oci_repository::BASE_URL_ENV, url.as_str()),
            ("OCM_PLUGIN_LOG", "trace"),
        ],
        Some(log),
    );
    let minted = tokens.mint(&repo_of(name)).unwrap();
    let wrong = "wrong-password-31337";
    let cases = [
        basic(user, password),
        creds_of(
            "Credentials/v1",
            &[("refreshToken", tokens.refresh_token())],
        ),
        creds_of("Credentials/v1", &[("accessToken", &minted)]),
        basic(user, wrong),
    ];
    for (i, creds) in cases.iter().enumerate() {
        let got = client
            .call_json::<Descriptor>(
                &routes::GET_COMPONENT_VERSION,
                &[("name", name), ("version", "1.0.0")],
                Some(creds),
                None,
            )
            .await;
        assert_eq!(got.is_ok(), i < 3, "case {i}: {got:?}");
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let text = std::fs::read_to_string(&log_path).unwrap();
    if std::env::var_os("OCM_SHOW_PLUGIN_LOG").is_some() {
        eprintln!("{text}");
    }
    assert!(
        text.lines().count() > 5,
        "the plugin logged (almost) nothing at trace:\n{text}"
    );
    let basic_header =
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    for secret in [
        password,
        wrong,
        tokens.refresh_token(),
        minted.as_str(),
        basic_header.as_str(),
    ] {
        assert!(!text.contains(secret), "a secret reached the plugin's log");
    }
}

/// Blobs from a named pipe: read once, uploaded in chunks as the writer writes, hashed on the
/// way; an empty pipe (and an empty file) is the empty blob.
#[tokio::test]
async fn oci_named_pipe_blobs_are_streamed_once() {
    let Some(registry) = start_registry(RegistryAuth::None) else {
        return;
    };
    let oci = Oci::for_registry(&registry).await;
    let creds = Credentials::new();
    let files = tempfile::tempdir().unwrap();
    let name = "acme.org/pipes";
    let mut stored = Vec::new();
    for (part, bytes) in [("big", patterned(9 << 20, 5)), ("empty", Vec::new())] {
        let fifo = files.path().join(format!("{part}.pipe"));
        rustix::fs::mkfifoat(
            rustix::fs::CWD,
            &fifo,
            rustix::fs::Mode::from_raw_mode(0o600),
        )
        .unwrap();
        let writer = std::thread::spawn({
            let (fifo, bytes) = (fifo.clone(), bytes.clone());
            move || {
                use std::io::Write as _;
                std::fs::OpenOptions::new()
                    .write(true)
                    .open(fifo)
                    .unwrap()
                    .write_all(&bytes)
                    .unwrap();
            }
        });
        let location = Location {
            location_type: ocm_plugin_types::LocationType::UnixNamedPipe,
            ..Location::local_file(fifo.to_string_lossy())
        };
        let r = oci
            .add_local_at(
                &creds,
                name,
                "1.0.0",
                location,
                resource(part, "1.0.0", "application/octet-stream"),
            )
            .await
            .unwrap();
        writer.join().unwrap();
        assert_eq!(
            r.access.as_ref().unwrap().to_value()["localReference"],
            registry_digest(&bytes).as_str(),
            "{part}"
        );
        stored.push((part, bytes, r));
    }
    // An empty file is the empty blob as well (and is read back without a ranged request).
    let empty_file = write(files.path(), "empty.bin", b"");
    let r = oci
        .add_local(
            &creds,
            name,
            "1.0.0",
            &empty_file,
            resource("empty-file", "1.0.0", "text/plain"),
        )
        .await
        .unwrap();
    stored.push(("empty-file", Vec::new(), r));
    let resources = stored.iter().map(|(_, _, r)| r.clone()).collect();
    oci.add_version(&creds, descriptor(name, "1.0.0", resources))
        .await
        .unwrap();
    for (part, bytes, _) in stored {
        let (got, _) = oci
            .get_local(&creds, name, "1.0.0", Some(identity(&[("name", part)])))
            .await
            .unwrap();
        assert!(got == bytes, "{part} came back different");
    }
    oci.stop().await;
}

/// An HTTPS registry: `https://`, `oci://` and a bare `host:port` all use TLS, verified against
/// the trust store (here the fixture CA through `SSL_CERT_FILE`); an untrusted certificate is
/// a clear 500, never a silent fallback to plain HTTP.
#[tokio::test]
async fn oci_https_registry_trusted_through_the_ca_and_refused_without_it() {
    use ocm_plugin_endpoints::component_version_repository as routes;
    use ocm_plugin_test_support::registry::fixture;
    let Some(registry) = Registry::start_tls(&test_name()).unwrap() else {
        return;
    };
    let https = registry.url();
    assert!(https.starts_with("https://"), "{https}");
    let host_port = registry.host_port();
    let ca = fixture("tls-ca.crt");
    let name = "acme.org/tls";
    let (mut child, client, _tmp) = start_go_style(
        &[
            (ocm_example_oci_repository::BASE_URL_ENV, https.as_str()),
            ("SSL_CERT_FILE", ca.to_str().unwrap()),
        ],
        None,
    );
    for (version, base) in [
        ("1.0.0", format!("oci://{host_port}")),
        ("2.0.0", host_port.clone()),
        ("3.0.0", https.clone()),
    ] {
        let body = json!({
            "repository": {"type": "OCIRepository/v1", "baseUrl": base},
            "descriptor": serde_json::to_value(descriptor(name, version, Vec::new())).unwrap(),
        });
        client
            .call(
                &routes::ADD_COMPONENT_VERSION,
                &[],
                None,
                Some(body.to_string().into_bytes()),
            )
            .await
            .unwrap_or_else(|e| panic!("{base}: {e}"));
    }
    let versions: Vec<String> = client
        .call_json(
            &routes::LIST_COMPONENT_VERSIONS,
            &[("name", name)],
            None,
            None,
        )
        .await
        .unwrap();
    assert_eq!(versions, ["3.0.0", "2.0.0", "1.0.0"]);
    child.kill().unwrap();
    child.wait().unwrap();

    // Trusting another CA only: the registry's certificate is refused.
    let other = fixture("token.crt");
    let (mut child, client, _tmp) = start_go_style(
        &[
            (ocm_example_oci_repository::BASE_URL_ENV, https.as_str()),
            ("SSL_CERT_FILE", other.to_str().unwrap()),
        ],
        None,
    );
    let err = client
        .call_json::<Vec<String>>(
            &routes::LIST_COMPONENT_VERSIONS,
            &[("name", name)],
            None,
            None,
        )
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("500") && err.contains(&host_port) && err.contains("certificate"),
        "{err}"
    );
    child.kill().unwrap();
    child.wait().unwrap();
}
