//! The plugin as the SDK serves it, in process: capabilities and the four signing routes, with
//! keys in typed `RSACredentials/v1` credentials as a current manager sends them.

use ocm_plugin_endpoints::signing_handler as routes;
use ocm_plugin_sdk::testing::{TestClient, block_on};
use ocm_plugin_types::{CapabilitiesFormat, CapabilityKind, Credentials, PluginCapabilities};
use serde_json::{Value, json};

use crate::{CONFIG_TYPE, CONFIG_TYPE_NAME, PRIVATE_KEY_PEM, plugin};

const KEY: &str = include_str!("../testdata/signer-a.pem");

fn client() -> TestClient {
    TestClient::new(plugin(), Vec::new()).unwrap()
}

fn credentials() -> String {
    Credentials::typed("RSACredentials/v1", [(PRIVATE_KEY_PEM, KEY)]).to_typed_json()
}

fn digest() -> Value {
    json!({
        "hashAlgorithm": "SHA-256",
        "normalisationAlgorithm": "jsonNormalisation/v4alpha1",
        "value": "1c2fe5d0a1b8e05d4a5e0d9a8a7e6f5c4b3a29181716151413121110ffeeddcc",
    })
}

#[test]
fn capabilities_declare_the_signing_handler_in_both_formats() {
    let json = plugin().capabilities_json();
    let caps = PluginCapabilities::parse(json.as_bytes()).unwrap();
    assert_eq!(caps.format, CapabilitiesFormat::Dual);
    let cap = &caps.capabilities[0];
    assert_eq!(cap.kind, CapabilityKind::SigningHandler);
    assert_eq!(cap.types[0].typ.to_string(), CONFIG_TYPE);
    assert_eq!(cap.types[0].aliases[0].to_string(), CONFIG_TYPE_NAME);
    assert!(json.contains(r#""type":"signingHandler""#), "{json}");
}

#[test]
fn signs_and_verifies_over_the_protocol() {
    let client = client();
    block_on(async {
        for (config, media_type) in [
            (
                json!({"type": CONFIG_TYPE}),
                "application/vnd.ocm.signature.rsa.pss",
            ),
            (
                json!({"type": CONFIG_TYPE_NAME, "signatureAlgorithm": "RSASSA-PKCS1-V1_5", "signatureEncodingPolicy": "PEM"}),
                "application/x-pem-file",
            ),
        ] {
            let sign = json!({"digest": digest(), "config": config});
            let answer = client
                .call(&routes::SIGN, &[], Some(&credentials()), Some(&sign))
                .await
                .unwrap();
            assert_eq!(answer.status, 200, "{}", answer.body);
            let signed: Value = answer.json().unwrap();
            assert_eq!(signed["signature"]["mediaType"], media_type);

            let signature =
                json!({"name": "acme", "digest": digest(), "signature": signed["signature"]});
            let verify = json!({"signature": signature, "config": config});
            let answer = client
                .call(&routes::VERIFY, &[], Some(&credentials()), Some(&verify))
                .await
                .unwrap();
            assert_eq!((answer.status, answer.body.as_str()), (200, "{}\n"));

            // Another digest does not verify: a 400 that says so.
            let mut tampered = verify.clone();
            tampered["signature"]["digest"]["value"] = json!("00".repeat(32));
            let answer = client
                .call(&routes::VERIFY, &[], Some(&credentials()), Some(&tampered))
                .await
                .unwrap();
            assert_eq!(answer.status, 400, "{}", answer.body);
            assert!(
                answer.body.contains("signature verification failed"),
                "{}",
                answer.body
            );
            assert!(
                !answer.body.contains("PRIVATE KEY"),
                "no key material in errors"
            );
        }

        // The consumer identities, without credentials.
        let request = json!({"digest": digest(), "config": {"type": CONFIG_TYPE}, "name": "acme"});
        let answer = client
            .call(&routes::SIGN_IDENTITY, &[], None, Some(&request))
            .await
            .unwrap();
        let identity: Value = answer.json().unwrap();
        assert_eq!(
            identity["identity"]["type"], "RSA/v1alpha1",
            "{}",
            answer.body
        );
        assert_eq!(identity["identity"]["signature"], "acme");

        // Signing without a key is refused as unauthorized, naming what is expected.
        let sign = json!({"digest": digest(), "config": {"type": CONFIG_TYPE}});
        let answer = client
            .call(&routes::SIGN, &[], None, Some(&sign))
            .await
            .unwrap();
        assert_eq!(answer.status, 401, "{}", answer.body);
        assert!(answer.body.contains(PRIVATE_KEY_PEM), "{}", answer.body);
    })
    .unwrap();
}
