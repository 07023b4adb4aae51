//! Conformance with OCM's Go RSA handler (`bindings/go` v0.0.5): the signatures it wrote into
//! the golden corpus (`go-signing/signed/`) verify here, with its keys and certificate, and are
//! refused where it refuses them; PKCS#1 v1.5 signing reproduces its bytes.
//!
//! Every test reads the corpus through `ocm_plugin_golden::corpus!`, so it prints one line and
//! returns when the corpus is absent (and fails in CI, where `OCM_REQUIRE_GOLDEN` is set).

use ocm_plugin_contracts::Error;
use ocm_plugin_golden::Corpus;
use ocm_plugin_sdk::{
    SpecExt as _,
    signing_handler::{SignRequest, SigningHandler, VerifyRequest, VerifyResponse},
};
use ocm_plugin_types::{Credentials, Digest, Raw, Signature};
use serde_json::json;

use crate::{
    CONFIG_TYPE, CREDENTIAL_TYPE, PRIVATE_KEY_PEM_FILE, PUBLIC_KEY_PEM, PUBLIC_KEY_PEM_FILE,
    RsaSigningHandler,
};

const CERT: &str = "go-signing/keys/rsa-2048-cert.pem";
const PUBLIC: &str = "go-signing/keys/rsa-2048-public.pem";
const PRIVATE: &str = "go-signing/keys/rsa-2048-private.pem";

/// The signatures of a signed descriptor of the corpus (`go-signing/signed/<file>`).
fn signatures(corpus: &Corpus, file: &str) -> Vec<Signature> {
    let text = corpus
        .read_string(&format!("go-signing/signed/{file}"))
        .unwrap();
    let descriptor: serde_json::Value = serde_json::from_str(&text).unwrap();
    serde_json::from_value(descriptor["signatures"].clone()).unwrap()
}

/// The signature named `name` of a signed descriptor.
fn signature(corpus: &Corpus, file: &str, name: &str) -> Signature {
    signatures(corpus, file)
        .into_iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no signature {name:?} in {file}"))
}

/// Credentials with the file property `property` naming the corpus file `file`, as OCM's
/// `-pub`/`-key` options give them.
fn file_credentials(corpus: &Corpus, property: &str, file: &str) -> Credentials {
    let path = corpus.path(file);
    Credentials::typed(
        CREDENTIAL_TYPE,
        [(property, path.to_str().unwrap().to_owned())],
    )
}

fn config() -> Raw {
    Raw::new(json!({"type": CONFIG_TYPE})).unwrap()
}

async fn verify(signature: &Signature, credentials: &Credentials) -> Result<VerifyResponse, Error> {
    RsaSigningHandler::new()
        .verify(
            config().decode_spec().unwrap(),
            VerifyRequest {
                signature: signature.clone(),
                config: config(),
            },
            credentials,
        )
        .await
}

#[tokio::test]
async fn go_pem_signature_verifies_against_the_certificate_anchor() {
    let Some(corpus) = ocm_plugin_golden::corpus!(
        "Go RSA handler: signed/03-pss-pem.json verifies with keys/rsa-2048-cert.pem as anchor"
    ) else {
        return;
    };
    let pem = signature(&corpus, "03-pss-pem.json", "pem");
    assert_eq!(pem.signature.media_type, crate::MEDIA_TYPE_PEM);
    let decoded = crate::pem::decode_signature(&pem.signature.value).unwrap();
    assert_eq!(decoded.certificates.len(), 1);

    // As `verify -name pem -pub keys/rsa-2048-cert.pem`: from the file and inline.
    let anchor = file_credentials(&corpus, PUBLIC_KEY_PEM_FILE, CERT);
    verify(&pem, &anchor).await.unwrap();
    let inline = Credentials::typed(
        CREDENTIAL_TYPE,
        [(PUBLIC_KEY_PEM, corpus.read_string(CERT).unwrap())],
    );
    verify(&pem, &inline).await.unwrap();
    // The snake_case property of older configurations is read too.
    let legacy = file_credentials(&corpus, "public_key_pem_file", CERT);
    verify(&pem, &legacy).await.unwrap();

    // The chain decides the key: another digest does not verify with the leaf's key.
    let mut tampered = pem.clone();
    tampered.digest.value = "0".repeat(64);
    let message = match verify(&tampered, &anchor).await {
        Err(Error::InvalidArgument(message)) => message,
        other => panic!("expected InvalidArgument, got {other:?}"),
    };
    assert!(
        message.starts_with("signature verification failed"),
        "{message}"
    );
}

#[tokio::test]
async fn go_pem_signature_is_refused_without_a_certificate_anchor() {
    let Some(corpus) = ocm_plugin_golden::corpus!(
        "Go RSA handler: signed/03-pss-pem.json is refused with a bare public key or no anchor"
    ) else {
        return;
    };
    let pem = signature(&corpus, "03-pss-pem.json", "pem");

    // Go: `cannot load certificate chain from credentials: unexpected pem block type for
    // certificate: "PUBLIC KEY"`.
    let bare = file_credentials(&corpus, PUBLIC_KEY_PEM_FILE, PUBLIC);
    match verify(&pem, &bare).await {
        Err(Error::Unauthorized(message)) => assert!(
            message.contains(
                "cannot load certificate chain from credentials: unexpected pem block type for \
                 certificate: \"PUBLIC KEY\""
            ),
            "{message}"
        ),
        other => panic!("expected Unauthorized, got {other:?}"),
    }

    // Go: `certificate verification failed: x509: certificate signed by unknown authority`;
    // a private key alone gives no anchor either.
    for credentials in [
        Credentials::typed(CREDENTIAL_TYPE, Vec::<(String, String)>::new()),
        file_credentials(&corpus, PRIVATE_KEY_PEM_FILE, PRIVATE),
    ] {
        match verify(&pem, &credentials).await {
            Err(Error::Unauthorized(message)) => assert!(
                message.contains(
                    "certificate verification failed: x509: certificate signed by unknown \
                     authority"
                ),
                "{message}"
            ),
            other => panic!("expected Unauthorized, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn go_plain_signatures_verify_with_the_public_key() {
    let Some(corpus) = ocm_plugin_golden::corpus!(
        "Go RSA handler: plain signatures of signed/01, 02 and 04 verify with the public key"
    ) else {
        return;
    };
    let public = file_credentials(&corpus, PUBLIC_KEY_PEM_FILE, PUBLIC);
    let mut checked = Vec::new();
    for (file, name) in [
        ("01-pss-plain.json", Some("default")),
        ("02-pkcs1v15-plain.json", Some("legacy")),
        // Without a name: every signature, as `verify` without `-name`.
        ("04-two-signatures.json", None),
    ] {
        let all = signatures(&corpus, file);
        let selected: Vec<&Signature> = all
            .iter()
            .filter(|s| name.is_none_or(|n| s.name == n))
            .collect();
        assert!(!selected.is_empty(), "{file}: no signature {name:?}");
        for signature in selected {
            verify(signature, &public)
                .await
                .unwrap_or_else(|e| panic!("{file} {}: {e}", signature.name));
            checked.push(format!("{file}#{}", signature.name));
        }
    }
    assert_eq!(
        checked,
        [
            "01-pss-plain.json#default",
            "02-pkcs1v15-plain.json#legacy",
            "04-two-signatures.json#default",
            "04-two-signatures.json#release",
        ]
    );
}

#[tokio::test]
async fn pkcs1v15_signing_reproduces_the_go_signatures() {
    let Some(corpus) = ocm_plugin_golden::corpus!(
        "Go RSA handler: PKCS#1 v1.5 signing of descriptors/06-resources gives signed/02 and 04"
    ) else {
        return;
    };
    let text = corpus
        .read_string("go-signing/descriptors/06-resources.digest.json")
        .unwrap();
    let digest: Digest = serde_json::from_str(&text).unwrap();
    let credentials = file_credentials(&corpus, PRIVATE_KEY_PEM_FILE, PRIVATE);
    let config = Raw::new(json!({
        "type": CONFIG_TYPE,
        "signatureAlgorithm": "RSASSA-PKCS1-V1_5",
    }))
    .unwrap();
    let signed = RsaSigningHandler::new()
        .sign(
            config.decode_spec().unwrap(),
            SignRequest {
                digest: digest.clone(),
                config,
            },
            &credentials,
        )
        .await
        .unwrap();
    for (file, name) in [
        ("02-pkcs1v15-plain.json", "legacy"),
        ("04-two-signatures.json", "release"),
    ] {
        let go = signature(&corpus, file, name);
        assert_eq!(go.digest, digest, "{file} {name}");
        assert_eq!(signed.signature.value, go.signature.value, "{file} {name}");
        assert_eq!(signed.signature.algorithm, go.signature.algorithm);
        assert_eq!(signed.signature.media_type, go.signature.media_type);
        assert_eq!(signed.signature.issuer, None);
    }
}

#[tokio::test]
async fn go_tampered_signature_value_is_refused() {
    let Some(corpus) = ocm_plugin_golden::corpus!(
        "Go RSA handler: signed/06-tampered-signature-value.json is refused"
    ) else {
        return;
    };
    // Go prints `SIGNATURE VERIFICATION FAILED: crypto/rsa: verification error`.
    let expected = corpus
        .read_string("go-signing/signed/06-tampered-signature-value.verify.txt")
        .unwrap();
    assert!(expected.contains("verification error"), "{expected}");
    let tampered = signature(&corpus, "06-tampered-signature-value.json", "legacy");
    let public = file_credentials(&corpus, PUBLIC_KEY_PEM_FILE, PUBLIC);
    match verify(&tampered, &public).await {
        Err(Error::InvalidArgument(message)) => assert!(
            message.starts_with("signature verification failed"),
            "{message}"
        ),
        other => panic!("expected InvalidArgument, got {other:?}"),
    }
}
