//! The component lister, signing handler and credential plugin kinds through the SDK router:
//! their routes, credentials rules and dispatch, and the one combination a plugin cannot have.

use ocm_plugin_endpoints::{component_lister, credential_plugin, signing_handler};
use ocm_plugin_sdk::{Error, Plugin, types::JsonSchema};

use crate::{fakes::*, support::*};

const DIGEST: &str = r#"{"hashAlgorithm":"SHA-256","normalisationAlgorithm":"jsonNormalisation/v4alpha1","value":"abc"}"#;

fn kinds(log: &Fake) -> Plugin {
    let (a, b, c, d) = (log.clone(), log.clone(), log.clone(), log.clone());
    Plugin::new("newer")
        .register(ocm_plugin_sdk::component_lister::untyped(
            typ("Repo/v1"),
            JsonSchema::permissive(),
            move |_| Ok(a),
        ))
        .register(ocm_plugin_sdk::signing_handler::untyped(
            typ("Signer/v1"),
            JsonSchema::permissive(),
            move |_| Ok(b),
        ))
        .register(ocm_plugin_sdk::credential_plugin::untyped(
            typ("Vault/v1"),
            JsonSchema::permissive(),
            move |_| Ok(c),
        ))
        .register(ocm_plugin_sdk::credential_plugin::untyped(
            typ("Env/v1"),
            JsonSchema::permissive(),
            move |_| Ok(d),
        ))
}

#[tokio::test]
async fn lister_pages_and_reads_credentials_like_v0017() {
    let log = Fake::new("lister");
    let router = kinds(&log).into_router(config()).unwrap();
    let body = r#"{"repository":{"type":"Repo/v1"},"last":""}"#;
    // No header: no credentials (v0.0.17); a malformed one: 401.
    let req = with_auth(request(&component_lister::LIST_COMPONENTS, &[], body), None);
    assert_eq!(
        send(&router, req).await.assert_json(),
        r#"{"list":["test-component-1"],"header":{"last":"test-component-1"}}"#
    );
    let req = with_auth(
        request(&component_lister::LIST_COMPONENTS, &[], body),
        Some("nope"),
    );
    assert_eq!(send(&router, req).await.status.as_u16(), 401);
    // Another repository type is a 400 naming what is served.
    let other = r#"{"repository":{"type":"Other/v1"},"last":""}"#;
    let req = request(&component_lister::LIST_COMPONENTS, &[], other);
    send(&router, req).await.assert_text_error(
        400,
        "this plugin serves no component lister of type Other/v1; it serves: Repo/v1\n",
    );
    assert_eq!(log.calls().len(), 1);
}

#[tokio::test]
async fn signing_routes_take_credentials_only_where_they_sign_or_verify() {
    let log = Fake::new("signer");
    let router = kinds(&log).into_router(config()).unwrap();
    let sign = format!(r#"{{"digest":{DIGEST},"config":{{"type":"Signer/v1"}}}}"#);
    let typed = r#"{"properties":{"privateKeyPEM":"k"},"type":"RSACredentials/v1"}"#;
    let req = with_auth(request(&signing_handler::SIGN, &[], &sign), Some(typed));
    assert!(
        send(&router, req)
            .await
            .assert_json()
            .contains("signed-abc")
    );
    let seen = log.calls().pop().unwrap();
    assert_eq!(
        seen.credentials.credential_type(),
        Some("RSACredentials/v1")
    );
    // Missing header: no credentials.
    let req = with_auth(request(&signing_handler::SIGN, &[], &sign), None);
    send(&router, req).await.assert_json();
    assert!(log.calls().pop().unwrap().credentials.is_none());

    let verify = format!(
        r#"{{"signature":{{"name":"n","digest":{DIGEST},"signature":{{"algorithm":"fake","value":"v","mediaType":"text/plain"}}}},"config":{{"type":"Signer/v1"}}}}"#
    );
    let req = request(&signing_handler::VERIFY, &[], &verify);
    assert_eq!(send(&router, req).await.assert_json(), "{}");
    // The identity routes ignore the header, even a malformed one.
    let identity = format!(r#"{{"digest":{DIGEST},"config":{{"type":"Signer/v1"}},"name":"n"}}"#);
    let req = with_auth(
        request(&signing_handler::SIGN_IDENTITY, &[], &identity),
        Some("nope"),
    );
    assert_eq!(
        send(&router, req).await.assert_json(),
        r#"{"identity":{"id":"signer"}}"#
    );
    let req = request(&signing_handler::VERIFY_IDENTITY, &[], &verify);
    assert_eq!(
        send(&router, req).await.assert_json(),
        r#"{"identity":{"id":"verifier"}}"#
    );
}

#[tokio::test]
async fn credential_plugin_resolve_goes_to_the_type_its_identity_names() {
    let log = Fake::new("vault");
    let router = kinds(&log).into_router(config()).unwrap();
    let req = request(
        &credential_plugin::CONSUMER_IDENTITY,
        &[],
        r#"{"credential":{"type":"Vault/v1","baseUrl":"u","secretName":"s"}}"#,
    );
    assert_eq!(
        send(&router, req).await.assert_json(),
        r#"{"secretName":"s","type":"Vault","url":"u"}"#
    );
    // `/resolve` carries no spec: the identity's type name picks among the two types.
    for identity in [
        r#"{"type":"Vault","secretName":"s"}"#,
        r#"{"type":"Env/v1","secretName":"s"}"#,
    ] {
        let body = format!(r#"{{"identity":{identity}}}"#);
        let req = with_auth(request(&credential_plugin::RESOLVE, &[], &body), None);
        assert_eq!(
            send(&router, req).await.assert_json(),
            r#"{"properties":{"authenticated":"false","token":"token-for-s"},"type":"Credentials/v1"}"#
        );
    }
    let req = request(
        &credential_plugin::RESOLVE,
        &[],
        r#"{"identity":{"type":"Nope"}}"#,
    );
    send(&router, req).await.assert_text_error(
        400,
        "the request names no credential plugin this plugin can tell apart (type Nope), and this plugin serves several: Vault/v1, Env/v1\n",
    );
}

#[test]
fn a_credential_repository_and_a_credential_plugin_cannot_share_a_binary() {
    let plugin = Plugin::new("both")
        .register(ocm_plugin_sdk::credential_repository::untyped(
            typ("Consumer"),
            typ("Repo/v1"),
            JsonSchema::permissive(),
            |_| Ok(Bare),
        ))
        .register(ocm_plugin_sdk::credential_plugin::untyped(
            typ("Vault/v1"),
            JsonSchema::permissive(),
            |_| Ok(Fake::new("x")),
        ));
    let err = plugin.into_router(config()).unwrap_err();
    assert!(
        matches!(err, Error::ConflictingCapabilities { .. }),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        "credentialRepository and credentialPlugin cannot be served by one plugin: both use /consumer-identity, /resolve with different request bodies; build two plugin binaries"
    );
}
