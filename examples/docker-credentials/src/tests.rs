use std::path::{Path, PathBuf};

use base64::{Engine as _, engine::general_purpose::STANDARD};
use ocm_plugin_sdk::{
    TypedSpec as _,
    contracts::{
        Error,
        credential_repository::v1::{
            ConsumerIdentityForConfigRequest, CredentialRepository, GetIdentityRequest,
            ResolveRequest,
        },
    },
    endpoints::Client,
    testing::{TestClient, block_on},
    types::{Credentials, Identity, Raw},
};

use crate::{
    CONFIG_TYPE, CONSUMER_IDENTITY_TYPE, DockerConfigSpec, DockerCredentials, default_config_file,
    plugin,
};

/// `repository` as a manager calls it: every call goes through the SDK (schema checks,
/// dispatch by type).
fn served(repository: DockerCredentials) -> Client<TestClient> {
    let plugin = plugin(CONSUMER_IDENTITY_TYPE.parse().unwrap(), repository);
    TestClient::new(plugin, Vec::new()).unwrap().traits()
}

fn spec(config: serde_json::Value) -> DockerConfigSpec {
    serde_json::from_value(config).unwrap()
}

fn config(file: &Path) -> Raw {
    Raw::new(serde_json::json!({"type": CONFIG_TYPE, "dockerConfigFile": file})).unwrap()
}

fn identity(pairs: &[(&str, &str)]) -> Identity {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn registry(hostname: &str) -> Identity {
    identity(&[("type", "OCIRegistry"), ("hostname", hostname)])
}

fn auth(user_password: &str) -> String {
    STANDARD.encode(user_password)
}

/// A config file in a fresh directory.
fn write_config(json: &serde_json::Value) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("config.json");
    std::fs::write(&file, serde_json::to_vec(json).unwrap()).unwrap();
    (dir, file)
}

fn resolve_with(
    repository: &DockerCredentials,
    config: Raw,
    identity: Identity,
) -> Result<Credentials, Error> {
    let served = served(repository.clone());
    block_on(served.resolve(ResolveRequest { config, identity }, &Credentials::new())).unwrap()
}

fn resolve(file: &Path, identity: Identity) -> Result<Credentials, Error> {
    resolve_with(&DockerCredentials::default(), config(file), identity)
}

fn user_password(user: &str, password: &str) -> Credentials {
    identity(&[("username", user), ("password", password)]).into()
}

#[test]
fn base64_auth_is_split_at_the_first_colon() {
    let (_dir, file) = write_config(&serde_json::json!({
        "auths": {"ghcr.io": {"auth": auth("octo:pass:with:colons"), "email": "x@y"}},
    }));
    assert_eq!(
        resolve(&file, registry("ghcr.io")).unwrap(),
        user_password("octo", "pass:with:colons")
    );
}

#[test]
fn explicit_username_and_password() {
    let (_dir, file) = write_config(&serde_json::json!({
        "auths": {"quay.io": {"username": "robot", "password": "pw"}},
    }));
    assert_eq!(
        resolve(&file, registry("quay.io")).unwrap(),
        user_password("robot", "pw")
    );
}

#[test]
fn auth_wins_over_explicit_fields_and_identity_token_is_returned() {
    let (_dir, file) = write_config(&serde_json::json!({
        "auths": {
            "ghcr.io": {"auth": auth("a:b"), "username": "other", "password": "other"},
            "myregistry.azurecr.io": {"auth": auth("00000000-0000-0000-0000-000000000000:"), "identitytoken": "refresh"},
        },
    }));
    assert_eq!(
        resolve(&file, registry("ghcr.io")).unwrap(),
        user_password("a", "b")
    );
    let got = resolve(&file, registry("myregistry.azurecr.io")).unwrap();
    assert_eq!(got["identityToken"], "refresh");
    assert_eq!(got["username"], "00000000-0000-0000-0000-000000000000");
    assert_eq!(got["password"], "");
}

#[test]
fn docker_hub_aliases_match_each_other() {
    let (_dir, file) = write_config(&serde_json::json!({
        "auths": {"https://index.docker.io/v1/": {"auth": auth("hubuser:hubpass")}},
    }));
    for host in [
        "docker.io",
        "index.docker.io",
        "registry-1.docker.io",
        "Docker.IO",
        "https://registry-1.docker.io/v2/",
    ] {
        assert_eq!(
            resolve(&file, registry(host)).unwrap(),
            user_password("hubuser", "hubpass"),
            "{host}"
        );
    }
    let (_dir, file) = write_config(&serde_json::json!({
        "auths": {"registry-1.docker.io": {"username": "u", "password": "p"}},
    }));
    assert_eq!(
        resolve(&file, registry("index.docker.io")).unwrap(),
        user_password("u", "p")
    );
}

#[test]
fn scheme_and_path_of_keys_are_ignored() {
    let (_dir, file) = write_config(&serde_json::json!({
        "auths": {"http://registry.internal/some/path": {"username": "u", "password": "p"}},
    }));
    assert_eq!(
        resolve(&file, registry("registry.internal")).unwrap(),
        user_password("u", "p")
    );
}

#[test]
fn ports_must_agree() {
    let (_dir, file) = write_config(&serde_json::json!({
        "auths": {
            "localhost:5000": {"username": "five", "password": "p5"},
            "localhost:6000": {"username": "six", "password": "p6"},
            "ghcr.io": {"username": "gh", "password": "pg"},
        },
    }));
    let with_port = |host: &str, port: &str| {
        identity(&[("type", "OCIRegistry"), ("hostname", host), ("port", port)])
    };
    assert_eq!(
        resolve(&file, with_port("localhost", "5000")).unwrap(),
        user_password("five", "p5")
    );
    assert_eq!(
        resolve(&file, with_port("localhost", "6000")).unwrap(),
        user_password("six", "p6")
    );
    // A port inside the hostname counts too.
    assert_eq!(
        resolve(&file, registry("localhost:6000")).unwrap(),
        user_password("six", "p6")
    );
    // A missing port means 443.
    assert_eq!(
        resolve(&file, with_port("ghcr.io", "443")).unwrap(),
        user_password("gh", "pg")
    );
    for id in [
        registry("localhost"),
        with_port("localhost", "7000"),
        with_port("ghcr.io", "5000"),
    ] {
        let err = resolve(&file, id.clone()).unwrap_err();
        assert!(matches!(err, Error::NotFound(_)), "{id:?}: {err}");
    }
}

#[test]
fn no_match_is_not_found_naming_host_and_file() {
    let (_dir, file) = write_config(&serde_json::json!({
        "auths": {"ghcr.io": {"auth": auth("u:p")}},
    }));
    let err = resolve(&file, registry("quay.io")).unwrap_err();
    let Error::NotFound(message) = &err else {
        panic!("{err:?}")
    };
    assert!(message.contains("quay.io"), "{message}");
    assert!(message.contains(file.to_str().unwrap()), "{message}");

    // An entry without credentials is no match either.
    let (_dir, file) = write_config(&serde_json::json!({"auths": {"quay.io": {}}}));
    let err = resolve(&file, registry("quay.io")).unwrap_err();
    assert!(matches!(err, Error::NotFound(_)), "{err}");

    // Neither is a file without auths.
    let (_dir, file) = write_config(&serde_json::json!({"psFormat": "table"}));
    let err = resolve(&file, registry("quay.io")).unwrap_err();
    assert!(matches!(err, Error::NotFound(_)), "{err}");
}

#[test]
fn missing_and_unreadable_files() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.json");
    let err = resolve(&missing, registry("ghcr.io")).unwrap_err();
    assert!(matches!(err, Error::NotFound(_)), "{err}");
    assert!(err.to_string().contains(missing.to_str().unwrap()), "{err}");

    // A directory cannot be read as a file.
    let err = resolve(dir.path(), registry("ghcr.io")).unwrap_err();
    assert_eq!(err.status(), 500, "{err}");
    assert!(
        err.to_string().contains(dir.path().to_str().unwrap()),
        "{err}"
    );
}

#[test]
fn malformed_files_are_invalid_without_leaking_values() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("config.json");
    for (content, needle) in [
        (
            r#"{"auths": {"ghcr.io": {"auth": "#.to_owned(),
            "not valid JSON",
        ),
        ("[]".to_owned(), "not a JSON object"),
        (
            r#"{"auths": "s3cret"}"#.to_owned(),
            "auths is not an object",
        ),
        (
            r#"{"auths": {"ghcr.io": "s3cret"}}"#.to_owned(),
            "\"ghcr.io\" is not an object",
        ),
        (
            r#"{"auths": {"ghcr.io": {"password": 7}}}"#.to_owned(),
            "\"password\"",
        ),
        (
            r#"{"auths": {"ghcr.io": {"auth": "s3cret!!"}}}"#.to_owned(),
            "base64",
        ),
        (
            format!(
                r#"{{"auths": {{"ghcr.io": {{"auth": "{}"}}}}}}"#,
                auth("s3cret")
            ),
            "user:password",
        ),
        (
            r#"{"credHelpers": {"ghcr.io": 1}}"#.to_owned(),
            "credHelpers",
        ),
        (r#"{"credsStore": {}}"#.to_owned(), "credsStore"),
    ] {
        std::fs::write(&file, &content).unwrap();
        let err = resolve(&file, registry("ghcr.io")).unwrap_err();
        let Error::InvalidArgument(message) = &err else {
            panic!("{content}: {err:?}")
        };
        assert!(message.contains(file.to_str().unwrap()), "{message}");
        assert!(message.contains(needle), "{content}: {message}");
        assert!(!message.contains("s3cret"), "{message}");
    }
}

#[test]
fn credential_helpers_are_refused() {
    let (_dir, file) = write_config(&serde_json::json!({
        "auths": {
            "https://index.docker.io/v1/": {},
            "ghcr.io": {"auth": auth("inline:creds")},
            "gcr.io": {"auth": auth("inline:creds")},
        },
        "credsStore": "desktop",
        "credHelpers": {"gcr.io": "gcloud"},
    }));
    // A per-registry helper wins over an inline entry, as in the Docker CLI.
    let err = resolve(&file, registry("gcr.io")).unwrap_err();
    let Error::InvalidArgument(message) = &err else {
        panic!("{err:?}")
    };
    assert!(message.contains("docker-credential-gcloud"), "{message}");
    assert!(message.contains("not supported"), "{message}");
    assert!(message.contains(file.to_str().unwrap()), "{message}");

    // The global store: its placeholder entry holds nothing, so the store would be asked.
    let err = resolve(&file, registry("docker.io")).unwrap_err();
    let Error::InvalidArgument(message) = &err else {
        panic!("{err:?}")
    };
    assert!(message.contains("docker-credential-desktop"), "{message}");
    assert!(message.contains("not supported"), "{message}");

    // Inline credentials are still used when only a global store is configured.
    assert_eq!(
        resolve(&file, registry("ghcr.io")).unwrap(),
        user_password("inline", "creds")
    );
}

#[test]
fn the_default_file_is_used_when_the_config_names_none() {
    let (_dir, file) = write_config(&serde_json::json!({
        "auths": {"ghcr.io": {"auth": auth("u:p")}},
    }));
    let repository = DockerCredentials::new(Some(file), None);
    for config in [
        serde_json::json!({"type": CONFIG_TYPE}),
        serde_json::json!({"type": CONFIG_TYPE, "dockerConfigFile": ""}),
    ] {
        let config = Raw::new(config).unwrap();
        assert_eq!(
            resolve_with(&repository, config, registry("ghcr.io")).unwrap(),
            user_password("u", "p")
        );
    }
}

#[test]
fn tilde_expands_to_home() {
    let (dir, _file) = write_config(&serde_json::json!({
        "auths": {"ghcr.io": {"auth": auth("u:p")}},
    }));
    let repository = DockerCredentials::new(None, Some(dir.path().to_path_buf()));
    let json = serde_json::json!({"type": CONFIG_TYPE, "dockerConfigFile": "~/config.json"});
    assert_eq!(
        repository.config_file(&spec(json.clone())).unwrap(),
        dir.path().join("config.json")
    );
    assert_eq!(
        resolve_with(
            &repository,
            Raw::new(json.clone()).unwrap(),
            registry("ghcr.io")
        )
        .unwrap(),
        user_password("u", "p")
    );
    let err = DockerCredentials::default()
        .config_file(&spec(json))
        .unwrap_err();
    assert!(matches!(err, Error::InvalidArgument(_)), "{err}");
}

#[test]
fn bad_configs_are_invalid_arguments() {
    let repository = DockerCredentials::default();
    // Refused by the plugin (no file, a relative one), by the derived schema (naming the
    // field) or by the SDK's dispatch (another type, or none).
    for (config, needle) in [
        (
            serde_json::json!({"type": CONFIG_TYPE}),
            "no docker config file",
        ),
        (
            serde_json::json!({"type": CONFIG_TYPE, "dockerConfigFile": "relative/config.json"}),
            "relative",
        ),
        (
            serde_json::json!({"type": CONFIG_TYPE, "dockerConfigFile": 7}),
            "at '/dockerConfigFile'",
        ),
        (
            serde_json::json!({"type": CONFIG_TYPE, "dockerConfigFile": null}),
            "at '/dockerConfigFile'",
        ),
        (
            serde_json::json!({"type": CONFIG_TYPE, "other": 1}),
            "other",
        ),
        (
            serde_json::json!({"type": "DockerConfig/v2", "dockerConfigFile": "/x"}),
            "of type DockerConfig/v2",
        ),
        (
            serde_json::json!({"type": "DockerConfig", "dockerConfigFile": "/x"}),
            "of type DockerConfig;",
        ),
        (
            serde_json::json!({"type": "OtherConfig/v1", "dockerConfigFile": "/x"}),
            "of type OtherConfig/v1",
        ),
        (serde_json::json!({}), "\"type\" is a required property"),
    ] {
        let raw = Raw::new(config.clone()).unwrap();
        let err = resolve_with(&repository, raw, registry("ghcr.io")).unwrap_err();
        assert!(matches!(err, Error::InvalidArgument(_)), "{config}: {err}");
        assert!(err.to_string().contains(needle), "{config}: {err}");
    }
}

#[test]
fn bad_identities_are_invalid_arguments() {
    let (_dir, file) = write_config(&serde_json::json!({"auths": {}}));
    for id in [
        identity(&[("type", "OCIRegistry")]),
        identity(&[("type", "OCIRegistry"), ("hostname", "  ")]),
        identity(&[("type", "HelmChartRepository"), ("hostname", "ghcr.io")]),
        identity(&[
            ("type", "OCIRegistry"),
            ("hostname", "ghcr.io"),
            ("port", "https"),
        ]),
        identity(&[
            ("type", "OCIRegistry"),
            ("hostname", "ghcr.io"),
            ("port", "0"),
        ]),
        identity(&[
            ("type", "OCIRegistry"),
            ("hostname", "ghcr.io:5000"),
            ("port", "6000"),
        ]),
        identity(&[("type", "OCIRegistry"), ("hostname", "ghcr.io:port")]),
    ] {
        let err = resolve(&file, id.clone()).unwrap_err();
        assert!(matches!(err, Error::InvalidArgument(_)), "{id:?}: {err}");
    }
    // Versioned, untyped and extra attributes are fine.
    for id in [
        identity(&[("type", "OCIRegistry/v1"), ("hostname", "ghcr.io")]),
        identity(&[
            ("hostname", "ghcr.io"),
            ("scheme", "https"),
            ("path", "org/repo"),
        ]),
    ] {
        let err = resolve(&file, id.clone()).unwrap_err();
        assert!(matches!(err, Error::NotFound(_)), "{id:?}: {err}");
    }
}

#[test]
fn identities_name_the_resolved_file() {
    let repository = served(DockerCredentials::new(
        Some("/default/config.json".into()),
        None,
    ));
    let expected = identity(&[
        ("type", "DockerConfig"),
        ("dockerConfigFile", "/default/config.json"),
    ]);
    let config = Raw::new(serde_json::json!({"type": CONFIG_TYPE})).unwrap();
    let got = block_on(
        repository.consumer_identity_for_config(ConsumerIdentityForConfigRequest {
            config: config.clone(),
        }),
    )
    .unwrap()
    .unwrap();
    assert_eq!(got, expected);
    let got = block_on(repository.get_identity(GetIdentityRequest { typ: config }))
        .unwrap()
        .unwrap();
    assert_eq!(got.identity, expected);

    let explicit =
        Raw::new(serde_json::json!({"type": CONFIG_TYPE, "dockerConfigFile": "/etc/c.json"}))
            .unwrap();
    let got = block_on(
        repository
            .consumer_identity_for_config(ConsumerIdentityForConfigRequest { config: explicit }),
    )
    .unwrap()
    .unwrap();
    assert_eq!(got["dockerConfigFile"], "/etc/c.json");
}

#[test]
fn default_file_follows_the_docker_cli() {
    assert_eq!(
        default_config_file(Some("/cfg".into()), Some("/home/me".into())),
        Some(PathBuf::from("/cfg/config.json"))
    );
    assert_eq!(
        default_config_file(Some("".into()), Some("/home/me".into())),
        Some(PathBuf::from("/home/me/.docker/config.json"))
    );
    assert_eq!(default_config_file(None, Some("".into())), None);
    assert_eq!(default_config_file(None, None), None);
}

#[test]
fn schema_requires_type_and_allows_only_the_file() {
    let (typ, schema) = DockerConfigSpec::declaration().unwrap();
    assert_eq!(typ.to_string(), CONFIG_TYPE);
    let schema: serde_json::Value = serde_json::from_slice(&schema.0).unwrap();
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    assert_eq!(schema["required"], serde_json::json!(["type"]));
    assert_eq!(schema["additionalProperties"], false);
    let properties = schema["properties"].as_object().unwrap();
    assert_eq!(
        properties.keys().collect::<Vec<_>>(),
        ["dockerConfigFile", "type"]
    );
    assert_eq!(properties["dockerConfigFile"]["type"], "string");
}
