use std::os::unix::fs::PermissionsExt;

use ocm_plugin_sdk::{
    TypedSpec as _,
    contracts::{
        Error,
        credential_plugin::v1::{ConsumerIdentityRequest, CredentialPlugin, ResolveRequest},
    },
    endpoints::{Client, credential_plugin as routes},
    testing::{TestClient, block_on},
    types::{Credentials, Identity, Raw},
};
use serde_json::{Value, json};

use crate::{EnvironmentSpec, FileSpec, plugin};

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

/// The plugin as a manager calls it: every call goes through the SDK (schema checks, dispatch
/// by type).
fn credentials() -> Client<TestClient> {
    TestClient::new(plugin(), Vec::new()).unwrap().traits()
}

async fn resolve(identity: Identity) -> Result<Credentials, Error> {
    credentials()
        .resolve(ResolveRequest { identity }, &Credentials::new())
        .await
}

async fn identity_of(spec: Value) -> Result<Identity, Error> {
    credentials()
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

        // Refused by the plugin (a relative path), by the derived schemas (naming the field)
        // or by the SDK's dispatch (another type).
        for (spec, needle) in [
            (
                json!({"type": "CredentialsFile/v1", "path": "relative.json", "entry": "x"}),
                "not an absolute path",
            ),
            (
                json!({"type": "CredentialsFile/v1", "path": "/x"}),
                "\"entry\" is a required property",
            ),
            (
                json!({"type": "CredentialsFile/v1", "path": "/x", "entry": ""}),
                "at '/entry'",
            ),
            (
                json!({"type": "EnvironmentCredentials/v1", "prefix": "A", "extra": 1}),
                "extra",
            ),
            (
                json!({"type": "EnvironmentCredentials/v1", "prefix": "A-B"}),
                "at '/prefix'",
            ),
            (
                json!({"type": "EnvironmentCredentials/v1", "prefix": ""}),
                "at '/prefix'",
            ),
            (json!({"type": "Other/v1"}), "Other/v1"),
        ] {
            let err = identity_of(spec.clone()).await.unwrap_err();
            assert!(matches!(err, Error::InvalidArgument(_)), "{spec}: {err}");
            assert!(err.to_string().contains(needle), "{spec}: {err}");
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
    let client = TestClient::new(plugin(), Vec::new()).unwrap();
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

#[test]
fn schemas_keep_the_rules() {
    let (typ, schema) = EnvironmentSpec::declaration().unwrap();
    assert_eq!(typ.to_string(), "EnvironmentCredentials/v1");
    let schema: Value = serde_json::from_slice(&schema.0).unwrap();
    assert_eq!(schema["required"], json!(["type", "prefix"]));
    assert_eq!(schema["additionalProperties"], false);
    assert_eq!(
        schema["properties"]["prefix"]["pattern"],
        "^[A-Za-z_][A-Za-z0-9_]*$"
    );
    assert_eq!(schema["properties"]["prefix"]["minLength"], 1);

    let (typ, schema) = FileSpec::declaration().unwrap();
    assert_eq!(typ.to_string(), "CredentialsFile/v1");
    let schema: Value = serde_json::from_slice(&schema.0).unwrap();
    assert_eq!(schema["required"], json!(["type", "path", "entry"]));
    assert_eq!(schema["additionalProperties"], false);
    assert_eq!(schema["properties"]["path"]["minLength"], 1);
    assert_eq!(schema["properties"]["entry"]["minLength"], 1);
}
