use std::os::unix::fs::PermissionsExt;

use ocm_plugin_contracts::{
    Error,
    credential_plugin::v1::{ConsumerIdentityRequest, CredentialPlugin, ResolveRequest},
};
use ocm_plugin_endpoints::credential_plugin as routes;
use ocm_plugin_sdk::testing::{TestClient, block_on};
use ocm_plugin_types::{Credentials, Identity, Raw};
use serde_json::{Value, json};

use crate::{LocalCredentials, plugin};

const SECRET: &str = "s3cret-value";

fn raw(v: Value) -> Raw {
    Raw::new(v).unwrap()
}

fn file(dir: &tempfile::TempDir, mode: u32, text: &str) -> String {
    let path = dir.path().join("credentials.json");
    std::fs::write(&path, text).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
    path.display().to_string()
}

async fn resolve(identity: Identity) -> Result<Credentials, Error> {
    LocalCredentials::new()
        .resolve(ResolveRequest { identity }, &Credentials::new())
        .await
}

async fn identity_of(spec: Value) -> Result<Identity, Error> {
    LocalCredentials::new()
        .consumer_identity(ConsumerIdentityRequest {
            credential: raw(spec),
        })
        .await
}

#[test]
fn property_names_are_lower_camel_case() {
    for (rest, want) in [
        ("USERNAME", "username"),
        ("ACCESS_TOKEN", "accessToken"),
        ("PRIVATE_KEY_PEM_FILE", "privateKeyPemFile"),
        ("__X", "x"),
        ("", ""),
    ] {
        assert_eq!(super::sources::property_name(rest), want, "{rest}");
    }
}

#[test]
fn credentials_from_the_environment() {
    block_on(async {
        // Cargo gives every test process CARGO_PKG_* variables; unsafe code (set_var) is
        // forbidden here.
        let identity =
            identity_of(json!({"type": "EnvironmentCredentials/v1", "prefix": "CARGO_PKG_"}))
                .await
                .unwrap();
        assert_eq!(identity["type"], "EnvironmentCredentials");
        let credentials = resolve(identity).await.unwrap();
        assert_eq!(credentials.credential_type(), Some("Credentials/v1"));
        assert_eq!(credentials["name"], "ocm-example-local-credentials");
        assert!(credentials.contains_key("version"));

        let nothing = identity_of(
            json!({"type": "EnvironmentCredentials/v1", "prefix": "NO_SUCH_PREFIX_42_"}),
        )
        .await
        .unwrap();
        let err = resolve(nothing).await.unwrap_err();
        assert!(matches!(err, Error::NotFound(_)), "{err}");
    })
    .unwrap();
}

#[test]
fn credentials_from_a_private_file() {
    block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let path = file(
            &dir,
            0o600,
            &format!(
                r#"{{"registry":{{"username":"u","password":"{SECRET}"}},"other":{{"token":"t"}}}}"#
            ),
        );
        let spec = json!({"type": "CredentialsFile/v1", "path": path, "entry": "registry"});
        let identity = identity_of(spec.clone()).await.unwrap();
        assert_eq!(identity["path"], path);
        let credentials = resolve(identity.clone()).await.unwrap();
        assert_eq!(credentials["password"], SECRET);
        assert_eq!(credentials.len(), 2);

        // A missing entry, a missing file.
        let mut missing = identity.clone();
        missing.insert("entry".into(), "nope".into());
        let err = resolve(missing).await.unwrap_err();
        assert!(
            matches!(err, Error::NotFound(_)) && err.to_string().contains("\"nope\""),
            "{err}"
        );
        let mut gone = identity.clone();
        gone.insert("path".into(), "/nonexistent/credentials.json".into());
        assert!(matches!(
            resolve(gone).await.unwrap_err(),
            Error::NotFound(_)
        ));

        // Readable by others: refused, not used.
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = resolve(identity.clone()).await.unwrap_err();
        assert!(matches!(err, Error::Unauthorized(_)), "{err}");
        assert!(err.to_string().contains("0600"), "{err}");
    })
    .unwrap();
}

#[test]
fn bad_input_is_a_clear_error_that_never_shows_a_secret() {
    block_on(async {
        let dir = tempfile::tempdir().unwrap();
        // Wrongly typed values: the error gives the position, not the value.
        let path = file(
            &dir,
            0o600,
            &format!(r#"{{"registry":{{"password":["{SECRET}"]}}}}"#),
        );
        let identity: Identity = [
            ("type", "CredentialsFile"),
            ("path", path.as_str()),
            ("entry", "registry"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let err = resolve(identity).await.unwrap_err();
        assert!(matches!(err, Error::InvalidArgument(_)), "{err}");
        assert!(!err.to_string().contains(SECRET), "{err}");

        for spec in [
            json!({"type": "CredentialsFile/v1", "path": "relative.json", "entry": "x"}),
            json!({"type": "CredentialsFile/v1", "path": "/x"}),
            json!({"type": "EnvironmentCredentials/v1", "prefix": "A", "extra": 1}),
            json!({"type": "Other/v1"}),
        ] {
            let err = identity_of(spec.clone()).await.unwrap_err();
            assert!(matches!(err, Error::InvalidArgument(_)), "{spec}: {err}");
        }
        let no_type: Identity = [("prefix".to_owned(), "A".to_owned())].into();
        assert!(matches!(
            resolve(no_type).await.unwrap_err(),
            Error::InvalidArgument(_)
        ));
    })
    .unwrap();
}

/// Over the protocol: `/consumer-identity` by spec type, `/resolve` by the identity's type,
/// both types served by one plugin.
#[test]
fn serves_the_protocol_like_a_go_manager_calls_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = file(&dir, 0o600, r#"{"registry":{"token":"t0k"}}"#);
    let client = TestClient::new(plugin().unwrap(), Vec::new()).unwrap();
    block_on(async {
        let spec = json!({"credential": {"type": "CredentialsFile/v1", "path": path, "entry": "registry"}});
        let answer = client
            .call(&routes::CONSUMER_IDENTITY, &[], None, Some(&spec))
            .await
            .unwrap();
        assert_eq!(answer.status, 200, "{}", answer.body);
        let identity: Value = answer.json().unwrap();
        let answer = client
            .call(&routes::RESOLVE, &[], None, Some(&json!({"identity": identity})))
            .await
            .unwrap();
        assert_eq!(answer.status, 200, "{}", answer.body);
        let resolved: Value = answer.json().unwrap();
        assert_eq!(resolved, json!({"properties": {"token": "t0k"}, "type": "Credentials/v1"}));

        let env = json!({"identity": {"type": "EnvironmentCredentials", "prefix": "CARGO_PKG_"}});
        let answer = client.call(&routes::RESOLVE, &[], None, Some(&env)).await.unwrap();
        assert_eq!(answer.status, 200, "{}", answer.body);

        // A spec failing the declared schema never reaches the implementation in a manager;
        // here, an identity of no type of ours is a 400 naming what is served.
        let other = json!({"identity": {"type": "Nope"}});
        let answer = client.call(&routes::RESOLVE, &[], None, Some(&other)).await.unwrap();
        assert_eq!(answer.status, 400, "{}", answer.body);
        assert!(answer.body.contains("CredentialsFile/v1"), "{}", answer.body);
    })
    .unwrap();
}
