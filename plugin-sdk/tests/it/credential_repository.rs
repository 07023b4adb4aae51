//! The credential repository capability (spec §5.2, Go tests §12.6).

use ocm_plugin_endpoints::credential_repository as routes;
use ocm_plugin_sdk::{Error, Plugin, types::JsonSchema};

use crate::{fakes::*, support::*};

fn vault(fake: &Fake) -> axum::Router {
    let fake = fake.clone();
    Plugin::new("vault")
        .register(ocm_plugin_sdk::credential_repository::untyped(
            typ(CONSUMER),
            typ(VAULT),
            JsonSchema::permissive(),
            move |_| Ok(fake),
        ))
        .into_router(config())
        .unwrap()
}

#[tokio::test]
async fn consumer_identity_is_a_bare_map_and_needs_no_credentials() {
    let router = vault(&Fake::new("vault"));
    let req = with_auth(
        request(
            &routes::CONSUMER_IDENTITY,
            &[],
            r#"{"config":{"type":"FakeVault/v1","baseUrl":"https://vault"}}"#,
        ),
        None,
    );
    assert_eq!(
        send(&router, req).await.assert_json(),
        r#"{"type":"FakeConsumer/v1","url":"https://vault"}"#
    );
}

#[tokio::test]
async fn consumer_identity_without_a_body_is_400() {
    // Go: `TestConsumerIdentityForConfig`, missing body → 400.
    let router = vault(&Fake::new("vault"));
    let req = with_auth(request(&routes::CONSUMER_IDENTITY, &[], ""), None);
    send(&router, req).await.assert_text_error(
        400,
        "failed to decode request body: EOF while parsing a value at line 1 column 0\n",
    );
    let req = request(&routes::CONSUMER_IDENTITY, &[], r#"{"identity":{}}"#);
    send(&router, req).await.assert_text_error(
        400,
        "failed to decode request body: missing field `config` at line 1 column 15\n",
    );
}

#[tokio::test]
async fn resolve_answers_a_bare_credentials_map() {
    let fake = Fake::new("vault");
    let router = vault(&fake);
    let body = r#"{"config":{"type":"FakeVault/v1","baseUrl":"b"},"identity":{"type":"FakeConsumer/v1","url":"https://x"}}"#;
    let req = with_auth(
        request(&routes::RESOLVE, &[], body),
        Some(r#"{"password":"p","username":"u"}"#),
    );
    assert_eq!(
        send(&router, req).await.assert_json(),
        r#"{"in-password":"p","in-username":"u","token":"resolved-for-https://x"}"#
    );
    // Typed v0.0.16 credentials are flattened; `null` means none.
    let req = with_auth(
        request(&routes::RESOLVE, &[], body),
        Some(r#"{"type":"Credentials/v1","properties":{"token":"t"}}"#),
    );
    assert_eq!(
        send(&router, req).await.assert_json(),
        r#"{"in-token":"t","token":"resolved-for-https://x"}"#
    );
    let req = with_auth(request(&routes::RESOLVE, &[], body), Some("null"));
    assert_eq!(
        send(&router, req).await.assert_json(),
        r#"{"token":"resolved-for-https://x"}"#
    );
    // A missing identity is an empty one.
    let req = request(
        &routes::RESOLVE,
        &[],
        r#"{"config":{"type":"FakeVault/v1"}}"#,
    );
    assert_eq!(
        send(&router, req).await.assert_json(),
        r#"{"token":"resolved-for-"}"#
    );
}

#[tokio::test]
async fn resolve_statuses_like_go() {
    // Go v0.0.17 (`CredentialsFromHeader`): no auth → no credentials; a malformed header →
    // 401; no body → 400. (v0.0.1 plugins answered 401 without a header, but v0.0.1 managers
    // always send one.)
    let log = Fake::new("vault");
    let router = vault(&log);
    let body = r#"{"config":{"type":"FakeVault/v1"},"identity":{}}"#;
    let req = with_auth(request(&routes::RESOLVE, &[], body), None);
    send(&router, req).await.assert_json();
    assert!(log.calls()[0].credentials.is_none());
    let req = with_auth(request(&routes::RESOLVE, &[], body), Some("{"));
    assert_eq!(send(&router, req).await.status.as_u16(), 401);
    let req = request(&routes::RESOLVE, &[], "");
    assert_eq!(send(&router, req).await.status.as_u16(), 400);
    // A config of another type is not ours.
    let req = request(&routes::RESOLVE, &[], r#"{"config":{"type":"Other/v1"}}"#);
    send(&router, req).await.assert_text_error(
        400,
        "this plugin serves no credential repository of type Other/v1; it serves: FakeVault/v1\n",
    );
}

#[tokio::test]
async fn identity_answers_for_the_config_type() {
    let fake = Fake::new("vault");
    let router = vault(&fake);
    let req = request(
        &routes::GET_IDENTITY,
        &[],
        r#"{"type":{"type":"FakeVault/v1","baseUrl":"b"}}"#,
    );
    assert_eq!(
        send(&router, req).await.assert_json(),
        r#"{"identity":{"tag":"vault","type":"FakeVault/v1"}}"#
    );
    // The consumer identity type is what the repository resolves for, not a spec it serves.
    let req = request(
        &routes::GET_IDENTITY,
        &[],
        r#"{"type":{"type":"FakeConsumer/v1"}}"#,
    );
    assert_eq!(send(&router, req).await.status.as_u16(), 400);
    assert_eq!(fake.calls().len(), 1);
}

#[test]
fn capabilities_have_the_consumer_identity_type_first_and_the_config_schema_twice() {
    let schema = JsonSchema(br#"{"type":"object"}"#.to_vec());
    let plugin = Plugin::new("vault").register(ocm_plugin_sdk::credential_repository::untyped(
        typ(CONSUMER),
        typ(VAULT),
        schema.clone(),
        |_| Ok(Bare),
    ));
    let b64 = schema.to_base64();
    assert_eq!(
        plugin.capabilities_json(),
        crate::support::dual(
            &format!(
                r#"{{"types":{{"credentialRepository":[{{"type":"FakeConsumer/v1","jsonSchema":"{b64}"}},{{"type":"FakeVault/v1","jsonSchema":"{b64}"}}]}}}}"#
            ),
            // v0.0.11+: the consumer identity type in its own list, without a schema (the
            // schema describes configs, not identities).
            &format!(
                r#"{{"capabilities":[{{"supportedConsumerIdentityTypes":[{{"aliases":null,"jsonSchema":null,"type":"FakeConsumer/v1"}}],"supportedCredentialRepositorySpecTypes":[{{"aliases":null,"jsonSchema":"{b64}","type":"FakeVault/v1"}}],"type":"credentialRepository"}}]}}"#
            ),
        )
    );
}

#[test]
fn a_second_credential_repository_is_an_error() {
    let twice = || {
        Plugin::new("twice")
            .register(ocm_plugin_sdk::credential_repository::untyped(
                typ(CONSUMER),
                typ(VAULT),
                JsonSchema::permissive(),
                |_| Ok(Bare),
            ))
            .register(ocm_plugin_sdk::credential_repository::untyped(
                typ("OtherConsumer/v1"),
                typ("OtherVault/v1"),
                JsonSchema::permissive(),
                |_| Ok(Bare),
            ))
    };
    let err = twice().into_router(config()).unwrap_err();
    assert!(
        matches!(err, Error::CapabilityRegisteredTwice { .. }),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        "credentialRepository can be registered only once per plugin (the capabilities document has room for one consumer identity type and one config type), but it is registered for FakeVault/v1 and for OtherVault/v1"
    );
    // Even for the same types.
    let err = Plugin::new("same")
        .register(ocm_plugin_sdk::credential_repository::untyped(
            typ(CONSUMER),
            typ(VAULT),
            JsonSchema::permissive(),
            |_| Ok(Bare),
        ))
        .register(ocm_plugin_sdk::credential_repository::untyped(
            typ(CONSUMER),
            typ(VAULT),
            JsonSchema::permissive(),
            |_| Ok(Bare),
        ))
        .into_router(config())
        .unwrap_err();
    assert!(
        matches!(err, Error::CapabilityRegisteredTwice { .. }),
        "{err}"
    );
    // The factories never ran.
    let err = Plugin::new("f")
        .register(ocm_plugin_sdk::credential_repository::untyped(
            typ(CONSUMER),
            typ(VAULT),
            JsonSchema::permissive(),
            |_| Err::<Bare, _>("must not run".into()),
        ))
        .register(ocm_plugin_sdk::credential_repository::untyped(
            typ(CONSUMER),
            typ("B/v1"),
            JsonSchema::permissive(),
            |_| Ok(Bare),
        ))
        .into_router(config())
        .unwrap_err();
    assert!(
        matches!(err, Error::CapabilityRegisteredTwice { .. }),
        "{err}"
    );
}

#[test]
fn a_failing_factory_names_the_config_type() {
    let err = Plugin::new("f")
        .register(ocm_plugin_sdk::credential_repository::untyped(
            typ(CONSUMER),
            typ(VAULT),
            JsonSchema::permissive(),
            |_| Err::<Bare, _>("vault sealed".into()),
        ))
        .into_router(config())
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "failed to set up credentialRepository FakeVault/v1: vault sealed"
    );
}
