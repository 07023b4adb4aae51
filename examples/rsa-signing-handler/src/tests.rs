//! Tests of the handler: round trips over every algorithm, encoding, hash and key form, the
//! error paths, the consumer identities, and interoperability with OpenSSL.

use std::{
    io::Write as _,
    path::{Path, PathBuf},
    process::Command,
    sync::OnceLock,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use ocm_plugin_contracts::Error;
use ocm_plugin_sdk::{
    SpecExt as _, TypedSpec as _,
    signing_handler::{
        SignIdentityRequest, SignRequest, SigningHandler, VerifyRequest, VerifyResponse,
    },
};
use ocm_plugin_types::{Credentials, Digest, Raw, Signature, SignatureInfo};
use rsa::{
    PrivateKey, Pss,
    pkcs1::{EncodeRsaPrivateKey as _, EncodeRsaPublicKey as _},
    pkcs8::{DecodePrivateKey as _, EncodePrivateKey as _, EncodePublicKey as _, LineEnding},
    sha2::{Digest as _, Sha256, Sha384, Sha512},
};
use serde_json::json;
use x509_cert::{
    builder::{Builder as _, CertificateBuilder, profile::BuilderProfile},
    certificate::TbsCertificate,
    der::{
        Decode as _, Encode as _,
        asn1::{ObjectIdentifier, UtcTime},
        flagset::FlagSet,
        oid::db::rfc5280,
    },
    ext::{
        Extension,
        pkix::{BasicConstraints, ExtendedKeyUsage, KeyUsage, KeyUsages},
    },
    name::Name,
    serial_number::SerialNumber,
    spki::{SubjectPublicKeyInfoOwned, SubjectPublicKeyInfoRef},
    time::{Time, Validity},
};

use crate::*;

const KEY_A: &str = include_str!("../testdata/signer-a.pem");
const KEY_B: &str = include_str!("../testdata/signer-b.pem");
const CERT_A: &str = include_str!("../testdata/signer-a.crt");
const MESSAGE: &[u8] = b"the normalised component descriptor";
const HASHES: [&str; 3] = ["SHA-256", "SHA-384", "SHA-512"];
const ALGORITHMS: [&str; 2] = [ALGORITHM_RSASSA_PSS, ALGORITHM_RSASSA_PKCS1_V15];
const ENCODINGS: [&str; 2] = ["Plain", "PEM"];

// ---- fixtures ----

fn key_a() -> &'static PrivateKey {
    static KEY: OnceLock<PrivateKey> = OnceLock::new();
    KEY.get_or_init(|| PrivateKey::from_pkcs8_pem(KEY_A).unwrap())
}

/// The forms a key can take in credentials.
struct KeyForms {
    pkcs1_private: String,
    pkcs8_private: String,
    spki_public: String,
    pkcs1_public: String,
}

fn forms_a() -> &'static KeyForms {
    static FORMS: OnceLock<KeyForms> = OnceLock::new();
    FORMS.get_or_init(|| {
        let key = key_a();
        KeyForms {
            pkcs1_private: key.to_pkcs1_pem(LineEnding::LF).unwrap().to_string(),
            pkcs8_private: key.to_pkcs8_pem(LineEnding::LF).unwrap().to_string(),
            spki_public: key
                .to_public_key()
                .to_public_key_pem(LineEnding::LF)
                .unwrap(),
            pkcs1_public: key.to_public_key().to_pkcs1_pem(LineEnding::LF).unwrap(),
        }
    })
}

fn public_b() -> String {
    PrivateKey::from_pkcs8_pem(KEY_B)
        .unwrap()
        .to_public_key()
        .to_public_key_pem(LineEnding::LF)
        .unwrap()
}

fn hash_of(algorithm: &str, message: &[u8]) -> Vec<u8> {
    match algorithm {
        "SHA-256" => Sha256::digest(message).to_vec(),
        "SHA-384" => Sha384::digest(message).to_vec(),
        "SHA-512" => Sha512::digest(message).to_vec(),
        other => panic!("no hash {other}"),
    }
}

fn digest(hash_algorithm: &str) -> Digest {
    Digest {
        hash_algorithm: hash_algorithm.to_owned(),
        normalisation_algorithm: "jsonNormalisation/v4alpha1".to_owned(),
        value: hex::encode(hash_of(hash_algorithm, MESSAGE)),
        extra: Default::default(),
    }
}

fn config(algorithm: &str, encoding: &str) -> Raw {
    Raw::new(json!({
        "type": CONFIG_TYPE,
        "signatureAlgorithm": algorithm,
        "signatureEncodingPolicy": encoding,
    }))
    .unwrap()
}

fn raw(value: serde_json::Value) -> Raw {
    Raw::new(value).unwrap()
}

/// The configuration decoded, as the SDK hands it to the handler.
fn spec(config: &Raw) -> RsaSigningConfig {
    config.decode_spec().unwrap()
}

fn rsa_credentials(pairs: &[(&str, &str)]) -> Credentials {
    Credentials::typed(CREDENTIAL_TYPE, pairs.iter().copied())
}

fn signing_credentials() -> Credentials {
    rsa_credentials(&[(PRIVATE_KEY_PEM, KEY_A)])
}

fn verifying_credentials() -> Credentials {
    rsa_credentials(&[(PUBLIC_KEY_PEM, &forms_a().spki_public)])
}

fn write(dir: &Path, name: &str, content: impl AsRef<[u8]>) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap();
    path
}

async fn sign(
    algorithm: &str,
    encoding: &str,
    hash: &str,
    credentials: &Credentials,
) -> Result<Signature, Error> {
    let digest = digest(hash);
    let config = config(algorithm, encoding);
    let answer = RsaSigningHandler::new()
        .sign(
            spec(&config),
            SignRequest {
                digest: digest.clone(),
                config,
            },
            credentials,
        )
        .await?;
    Ok(Signature {
        name: "acme-signature".to_owned(),
        digest,
        signature: answer.signature,
        extra: Default::default(),
    })
}

async fn verify(signature: &Signature, credentials: &Credentials) -> Result<VerifyResponse, Error> {
    let config = raw(json!({"type": CONFIG_TYPE}));
    RsaSigningHandler::new()
        .verify(
            spec(&config),
            VerifyRequest {
                signature: signature.clone(),
                config,
            },
            credentials,
        )
        .await
}

/// The message of an `InvalidArgument` error; fails on any other result.
fn invalid_argument<T: std::fmt::Debug>(result: Result<T, Error>) -> String {
    match result {
        Err(Error::InvalidArgument(message)) => message,
        other => panic!("expected InvalidArgument, got {other:?}"),
    }
}

/// The message of an `Unauthorized` error; fails on any other result.
fn unauthorized<T: std::fmt::Debug>(result: Result<T, Error>) -> String {
    match result {
        Err(Error::Unauthorized(message)) => message,
        other => panic!("expected Unauthorized, got {other:?}"),
    }
}

/// The base64 lines of a PEM text: what must never show up in an error.
fn key_lines(pem: &str) -> Vec<&str> {
    pem.lines()
        .filter(|l| !l.starts_with("-----") && l.len() > 16)
        .collect()
}

fn assert_no_key_material(message: &str) {
    for pem in [
        KEY_A,
        forms_a().pkcs1_private.as_str(),
        forms_a().spki_public.as_str(),
    ] {
        for line in key_lines(pem) {
            assert!(!message.contains(line), "key material in error: {message}");
        }
    }
}

// ---- round trips ----

#[tokio::test]
async fn round_trips_every_algorithm_encoding_and_hash() {
    let derive = signing_credentials();
    let spki = verifying_credentials();
    let pkcs1_public = rsa_credentials(&[(PUBLIC_KEY_PEM, &forms_a().pkcs1_public)]);
    for algorithm in ALGORITHMS {
        for encoding in ENCODINGS {
            for hash in HASHES {
                let case = format!("{algorithm} {encoding} {hash}");
                let signature = sign(algorithm, encoding, hash, &derive).await.unwrap();
                let info = &signature.signature;
                assert_eq!(info.algorithm, algorithm, "{case}");
                assert_eq!(info.issuer, None, "{case}");
                if encoding == "Plain" {
                    let media_type = if algorithm == ALGORITHM_RSASSA_PSS {
                        "application/vnd.ocm.signature.rsa.pss"
                    } else {
                        "application/vnd.ocm.signature.rsa"
                    };
                    assert_eq!(info.media_type, media_type, "{case}");
                    assert_eq!(info.value.len(), 512, "{case}: 2048-bit signature in hex");
                    assert_eq!(info.value, info.value.to_lowercase(), "{case}");
                } else {
                    assert_eq!(info.media_type, "application/x-pem-file", "{case}");
                    let head =
                        format!("-----BEGIN SIGNATURE-----\nSignature Algorithm: {algorithm}\n\n");
                    assert!(info.value.starts_with(&head), "{case}: {}", info.value);
                    assert!(info.value.ends_with("-----END SIGNATURE-----\n"), "{case}");
                }
                for credentials in [&derive, &spki, &pkcs1_public] {
                    verify(&signature, credentials).await.unwrap();
                }
            }
        }
    }
}

#[tokio::test]
async fn keys_in_every_format_inline_and_from_files() {
    let dir = tempfile::tempdir().unwrap();
    let forms = forms_a();
    let pkcs1_file = write(dir.path(), "pkcs1.pem", &forms.pkcs1_private);
    let pkcs8_file = write(dir.path(), "pkcs8.pem", &forms.pkcs8_private);
    let spki_file = write(dir.path(), "spki.pem", &forms.spki_public);
    let pkcs1_public_file = write(dir.path(), "pkcs1-public.pem", &forms.pkcs1_public);
    let path = |p: &PathBuf| p.to_str().unwrap().to_owned();

    assert!(
        forms
            .pkcs1_private
            .starts_with("-----BEGIN RSA PRIVATE KEY-----")
    );
    assert!(
        forms
            .pkcs8_private
            .starts_with("-----BEGIN PRIVATE KEY-----")
    );
    assert!(forms.spki_public.starts_with("-----BEGIN PUBLIC KEY-----"));
    assert!(
        forms
            .pkcs1_public
            .starts_with("-----BEGIN RSA PUBLIC KEY-----")
    );

    let signers = [
        rsa_credentials(&[(PRIVATE_KEY_PEM, &forms.pkcs1_private)]),
        rsa_credentials(&[(PRIVATE_KEY_PEM, &forms.pkcs8_private)]),
        rsa_credentials(&[(PRIVATE_KEY_PEM_FILE, &path(&pkcs1_file))]),
        // Untyped (direct) credentials work too.
        [(PRIVATE_KEY_PEM_FILE, path(&pkcs8_file))].into(),
    ];
    let verifiers = [
        rsa_credentials(&[(PUBLIC_KEY_PEM, &forms.spki_public)]),
        rsa_credentials(&[(PUBLIC_KEY_PEM, &forms.pkcs1_public)]),
        rsa_credentials(&[(PUBLIC_KEY_PEM_FILE, &path(&spki_file))]),
        rsa_credentials(&[(PUBLIC_KEY_PEM_FILE, &path(&pkcs1_public_file))]),
        rsa_credentials(&[(PRIVATE_KEY_PEM_FILE, &path(&pkcs1_file))]),
        rsa_credentials(&[(PRIVATE_KEY_PEM, &forms.pkcs8_private)]),
    ];
    for (i, signer) in signers.iter().enumerate() {
        let algorithm = ALGORITHMS[i % 2];
        let signature = sign(algorithm, "Plain", "SHA-256", signer).await.unwrap();
        for (j, verifier) in verifiers.iter().enumerate() {
            verify(&signature, verifier)
                .await
                .unwrap_or_else(|e| panic!("signer {i}, verifier {j}: {e}"));
        }
    }
}

#[tokio::test]
async fn credential_property_rules() {
    // The inline property wins over the file property.
    let both = rsa_credentials(&[
        (PRIVATE_KEY_PEM, KEY_A),
        (PRIVATE_KEY_PEM_FILE, "/nonexistent/key.pem"),
    ]);
    let signature = sign(ALGORITHM_RSASSA_PSS, "Plain", "SHA-256", &both)
        .await
        .unwrap();
    // The snake_case names of older OCM configurations are fallbacks.
    let legacy: Credentials = [("public_key_pem", forms_a().spki_public.as_str())].into();
    verify(&signature, &legacy).await.unwrap();
    let legacy_private: Credentials = [("private_key_pem", KEY_A)].into();
    sign(ALGORITHM_RSASSA_PSS, "Plain", "SHA-256", &legacy_private)
        .await
        .unwrap();
    // The unversioned credential type and the direct type are accepted, others are not.
    for typ in ["RSACredentials", "Credentials/v1", "DirectCredentials"] {
        let credentials = Credentials::typed(typ, [(PUBLIC_KEY_PEM, &forms_a().spki_public)]);
        verify(&signature, &credentials).await.unwrap();
    }
    let wrong = Credentials::typed("OCIRegistry/v1", [(PRIVATE_KEY_PEM, KEY_A)]);
    let message = unauthorized(sign(ALGORITHM_RSASSA_PSS, "Plain", "SHA-256", &wrong).await);
    assert!(message.contains("OCIRegistry/v1"), "{message}");
    assert!(message.contains("RSACredentials/v1"), "{message}");
    // A configured public key is used even if a private key is present: a wrong one fails.
    let mismatched = rsa_credentials(&[(PUBLIC_KEY_PEM, &public_b()), (PRIVATE_KEY_PEM, KEY_A)]);
    let message = invalid_argument(verify(&signature, &mismatched).await);
    assert!(
        message.contains("signature verification failed"),
        "{message}"
    );
}

#[tokio::test]
async fn pss_uses_the_maximum_salt_and_pkcs1_is_deterministic() {
    let credentials = signing_credentials();
    let pss1 = sign(ALGORITHM_RSASSA_PSS, "Plain", "SHA-256", &credentials)
        .await
        .unwrap();
    let pss2 = sign(ALGORITHM_RSASSA_PSS, "Plain", "SHA-256", &credentials)
        .await
        .unwrap();
    assert_ne!(
        pss1.signature.value, pss2.signature.value,
        "PSS is randomised"
    );
    let pkcs1 = sign(ALGORITHM_RSASSA_PKCS1_V15, "Plain", "SHA-256", &credentials)
        .await
        .unwrap();
    let again = sign(ALGORITHM_RSASSA_PKCS1_V15, "Plain", "SHA-256", &credentials)
        .await
        .unwrap();
    assert_eq!(pkcs1.signature.value, again.signature.value);

    // 2048-bit key, SHA-256: emLen 256 - hLen 32 - 2 = 222 salt bytes, as Go's default.
    let public = key_a().to_public_key();
    let hash = hash_of("SHA-256", MESSAGE);
    let bytes = hex::decode(&pss1.signature.value).unwrap();
    public
        .verify(Pss::<Sha256>::new_with_salt(222), &hash, &bytes)
        .unwrap();
    assert!(public.verify(Pss::<Sha256>::new(), &hash, &bytes).is_err());
    // A signature with a hash-length salt (what OpenSSL and others default to) verifies too.
    let short_salt = key_a().sign(Pss::<Sha256>::new(), &hash).unwrap();
    let mut other = pss1.clone();
    other.signature.value = hex::encode(short_salt);
    verify(&other, &verifying_credentials()).await.unwrap();
}

#[tokio::test]
async fn pem_signatures_carry_the_certificates_of_the_public_key_material() {
    // Public key and certificate in one PEM text: the key verifies, the certificate is embedded.
    let material = format!("{}{CERT_A}", forms_a().spki_public);
    let credentials = rsa_credentials(&[(PRIVATE_KEY_PEM, KEY_A), (PUBLIC_KEY_PEM, &material)]);
    let signature = sign(ALGORITHM_RSASSA_PSS, "PEM", "SHA-256", &credentials)
        .await
        .unwrap();
    let value = &signature.signature.value;
    let blocks = pem::blocks(value);
    assert_eq!(blocks.len(), 2, "{value}");
    assert_eq!(blocks[0].label, "SIGNATURE");
    assert_eq!(blocks[1].label, "CERTIFICATE");
    let embedded = pem::certificates(value).unwrap();
    assert_eq!(embedded, pem::certificates(CERT_A).unwrap());
    // Every base64 line is 64 characters but the last of a block, as Go and OpenSSL write.
    for block in &blocks {
        let lines: Vec<&str> = block
            .text
            .lines()
            .filter(|l| !l.starts_with("-----") && !l.contains(':') && !l.is_empty())
            .collect();
        let (last, full) = lines.split_last().unwrap();
        assert!(full.iter().all(|l| l.len() == 64) && last.len() <= 64);
    }
    // The embedded certificate is validated against the certificates of the public key
    // material: this one (OpenSSL's default self-signed CA) has no extended key usage
    // codeSigning, so it cannot vouch for a signature.
    let message = invalid_argument(verify(&signature, &credentials).await);
    assert!(
        message.starts_with("signature verification failed: certificate verification failed:")
            && message.contains("lacks extended key usage codeSigning"),
        "{message}"
    );

    // Without the certificates, the PEM signature is verified with the credentials' key.
    let mut bare = signature.clone();
    let decoded = pem::decode_signature(value).unwrap();
    bare.signature.value = pem::encode_signature(ALGORITHM_RSASSA_PSS, &decoded.signature, &[]);
    verify(&bare, &credentials).await.unwrap();

    // A certificate alone is not read as a key for such a signature: the error says so.
    let cert_only = rsa_credentials(&[(PUBLIC_KEY_PEM, CERT_A)]);
    let message = unauthorized(verify(&bare, &cert_only).await);
    assert!(message.contains("X.509 certificates"), "{message}");
}

// ---- verification failures ----

#[tokio::test]
async fn tampering_fails_verification() {
    let credentials = verifying_credentials();
    for algorithm in ALGORITHMS {
        for encoding in ENCODINGS {
            let case = format!("{algorithm} {encoding}");
            let signature = sign(algorithm, encoding, "SHA-256", &signing_credentials())
                .await
                .unwrap();

            let mut other_digest = signature.clone();
            other_digest.digest.value = hex::encode(hash_of("SHA-256", b"something else"));
            let message = invalid_argument(verify(&other_digest, &credentials).await);
            assert!(
                message.contains("signature verification failed"),
                "{case}: {message}"
            );

            // The same hash bytes declared as another algorithm's digest must not pass either.
            let mut other_hash = signature.clone();
            other_hash.digest.hash_algorithm = "SHA-512".to_owned();
            other_hash.digest.value = hex::encode(hash_of("SHA-512", MESSAGE));
            invalid_argument(verify(&other_hash, &credentials).await);

            let mut flipped = signature.clone();
            flipped.signature.value = flip_signature_bit(&signature.signature);
            let message = invalid_argument(verify(&flipped, &credentials).await);
            assert!(
                message.contains("signature verification failed"),
                "{case}: {message}"
            );

            let other_key = rsa_credentials(&[(PUBLIC_KEY_PEM, &public_b())]);
            let message = invalid_argument(verify(&signature, &other_key).await);
            assert!(
                message.contains("signature verification failed"),
                "{case}: {message}"
            );
        }
    }
}

/// The signature value with one bit of the signature changed, in the same encoding.
fn flip_signature_bit(info: &SignatureInfo) -> String {
    let (mut bytes, certificates) = if info.media_type == MEDIA_TYPE_PEM {
        let decoded = pem::decode_signature(&info.value).unwrap();
        (decoded.signature, decoded.certificates)
    } else {
        (hex::decode(&info.value).unwrap(), Vec::new())
    };
    bytes[100] ^= 0x01;
    if info.media_type == MEDIA_TYPE_PEM {
        pem::encode_signature(&info.algorithm, &bytes, &certificates)
    } else {
        hex::encode(bytes)
    }
}

#[tokio::test]
async fn algorithm_and_media_type_are_checked() {
    let credentials = verifying_credentials();
    let plain = sign(
        ALGORITHM_RSASSA_PSS,
        "Plain",
        "SHA-256",
        &signing_credentials(),
    )
    .await
    .unwrap();
    let pem = sign(
        ALGORITHM_RSASSA_PSS,
        "PEM",
        "SHA-256",
        &signing_credentials(),
    )
    .await
    .unwrap();

    // Declared algorithm contradicts the plain media type.
    let mut s = plain.clone();
    s.signature.algorithm = ALGORITHM_RSASSA_PKCS1_V15.to_owned();
    let message = invalid_argument(verify(&s, &credentials).await);
    assert!(message.contains("algorithm mismatch"), "{message}");

    // A PSS signature presented as PKCS#1 v1.5 (algorithm and media type agreeing) fails.
    s.signature.media_type = MEDIA_TYPE_PLAIN_RSASSA_PKCS1_V15.to_owned();
    let message = invalid_argument(verify(&s, &credentials).await);
    assert!(
        message.contains("signature verification failed"),
        "{message}"
    );

    // An unknown algorithm.
    let mut s = plain.clone();
    s.signature.algorithm = "ED25519".to_owned();
    let message = invalid_argument(verify(&s, &credentials).await);
    assert!(
        message.contains("invalid algorithm \"ED25519\""),
        "{message}"
    );

    // An empty algorithm is read from the media type.
    let mut s = plain.clone();
    s.signature.algorithm = String::new();
    verify(&s, &credentials).await.unwrap();

    // An unknown media type.
    let mut s = plain.clone();
    s.signature.media_type = "application/unknown".to_owned();
    let message = invalid_argument(verify(&s, &credentials).await);
    assert!(message.contains("unsupported media type"), "{message}");
    assert!(message.contains("application/x-pem-file"), "{message}");

    // A hex signature declared as PEM, and a PEM signature declared as hex.
    let mut s = plain.clone();
    s.signature.media_type = MEDIA_TYPE_PEM.to_owned();
    let message = invalid_argument(verify(&s, &credentials).await);
    assert!(message.contains("no PEM block"), "{message}");
    let mut s = pem.clone();
    s.signature.media_type = MEDIA_TYPE_PLAIN_RSASSA_PSS.to_owned();
    let message = invalid_argument(verify(&s, &credentials).await);
    assert!(message.contains("not hex"), "{message}");

    // The PEM header disagrees with the declared algorithm, or names an unknown one.
    let mut s = pem.clone();
    s.signature.value = s.signature.value.replace(
        "Signature Algorithm: RSASSA-PSS",
        "Signature Algorithm: RSASSA-PKCS1-V1_5",
    );
    let message = invalid_argument(verify(&s, &credentials).await);
    assert!(message.contains("algorithm mismatch"), "{message}");
    s.signature.value = s.signature.value.replace("RSASSA-PKCS1-V1_5", "ED25519");
    let message = invalid_argument(verify(&s, &credentials).await);
    assert!(message.contains("invalid algorithm"), "{message}");

    // Without a header the declared algorithm counts; without both it is an error.
    let mut s = pem.clone();
    s.signature.value = s
        .signature
        .value
        .replace("Signature Algorithm: RSASSA-PSS\n\n", "");
    verify(&s, &credentials).await.unwrap();
    s.signature.algorithm = String::new();
    let message = invalid_argument(verify(&s, &credentials).await);
    assert!(message.contains("invalid algorithm"), "{message}");

    // A PEM value whose first block is not the signature.
    let mut s = pem.clone();
    s.signature.value = CERT_A.to_owned();
    let message = invalid_argument(verify(&s, &credentials).await);
    assert!(message.contains("expected \"SIGNATURE\""), "{message}");
}

#[tokio::test]
async fn digest_is_checked() {
    let credentials = signing_credentials();
    let cases = [
        ("", "abcd", "missing hash algorithm"),
        ("SHA-256", "", "missing digest value"),
        ("SHA-1", "abcd", "unsupported hash algorithm \"SHA-1\""),
        ("SHA-256", "xyz", "not hex"),
        (
            "SHA-256",
            "abcd",
            "a SHA-256 digest has 32 bytes, the value has 2",
        ),
    ];
    for (hash_algorithm, value, expected) in cases {
        let request = SignRequest {
            digest: Digest {
                hash_algorithm: hash_algorithm.to_owned(),
                normalisation_algorithm: String::new(),
                value: value.to_owned(),
                extra: Default::default(),
            },
            config: config(ALGORITHM_RSASSA_PSS, "Plain"),
        };
        let config = spec(&request.config);
        let message = invalid_argument(
            RsaSigningHandler::new()
                .sign(config, request, &credentials)
                .await,
        );
        assert!(message.contains(expected), "{message}");
    }
    // Older spellings of the hash names are accepted, as older OCM handlers did.
    for spelling in ["sha256", "SHA256", "sha-256"] {
        let mut signature = sign(ALGORITHM_RSASSA_PSS, "Plain", "SHA-256", &credentials)
            .await
            .unwrap();
        signature.digest.hash_algorithm = spelling.to_owned();
        verify(&signature, &credentials).await.unwrap();
    }
}

// ---- credential errors ----

#[tokio::test]
async fn missing_credentials_name_the_expected_properties() {
    let secret = "TOPSECRET-password-value";
    let unrelated: Credentials = [("password", secret)].into();
    for credentials in [Credentials::new(), unrelated] {
        let message =
            unauthorized(sign(ALGORITHM_RSASSA_PSS, "Plain", "SHA-256", &credentials).await);
        assert!(message.contains("privateKeyPEM"), "{message}");
        assert!(message.contains("privateKeyPEMFile"), "{message}");
        assert!(!message.contains(secret), "{message}");

        let signature = sign(
            ALGORITHM_RSASSA_PSS,
            "Plain",
            "SHA-256",
            &signing_credentials(),
        )
        .await
        .unwrap();
        let message = unauthorized(verify(&signature, &credentials).await);
        for property in [PUBLIC_KEY_PEM, PUBLIC_KEY_PEM_FILE, PRIVATE_KEY_PEM] {
            assert!(message.contains(property), "{message}");
        }
        assert!(!message.contains(secret), "{message}");
    }
}

#[tokio::test]
async fn malformed_keys_are_reported_without_key_material() {
    let dir = tempfile::tempdir().unwrap();
    // A PKCS#1 key with its middle cut out: valid armour, invalid DER.
    let lines: Vec<&str> = forms_a().pkcs1_private.lines().collect();
    let broken = [&lines[..3], &lines[lines.len() - 3..]].concat().join("\n");
    // A public key where a private key belongs, and the other way round.
    let swapped = forms_a().spki_public.clone();
    let cases: Vec<(Credentials, &str)> = vec![
        (
            rsa_credentials(&[(PRIVATE_KEY_PEM, &broken)]),
            "is not a valid RSA private key",
        ),
        (
            rsa_credentials(&[(PRIVATE_KEY_PEM, &swapped)]),
            "holds no RSA private key",
        ),
        (
            rsa_credentials(&[(PRIVATE_KEY_PEM, "not PEM at all")]),
            "holds no RSA private key",
        ),
        (
            rsa_credentials(&[(
                PRIVATE_KEY_PEM,
                "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n",
            )]),
            "encrypted",
        ),
        (
            rsa_credentials(&[(PRIVATE_KEY_PEM_FILE, "/nonexistent/dir/key.pem")]),
            "cannot read file \"/nonexistent/dir/key.pem\" (credential property privateKeyPEMFile)",
        ),
        (
            rsa_credentials(&[(
                PRIVATE_KEY_PEM_FILE,
                write(dir.path(), "binary.pem", [0xff, 0xfe, 0x00])
                    .to_str()
                    .unwrap(),
            )]),
            "not UTF-8",
        ),
        (
            rsa_credentials(&[(PRIVATE_KEY_PEM_FILE, dir.path().to_str().unwrap())]),
            "cannot read file",
        ),
    ];
    for (credentials, expected) in cases {
        let message =
            unauthorized(sign(ALGORITHM_RSASSA_PSS, "Plain", "SHA-256", &credentials).await);
        assert!(message.contains(expected), "{message}");
        assert_no_key_material(&message);
    }

    let signature = sign(
        ALGORITHM_RSASSA_PSS,
        "Plain",
        "SHA-256",
        &signing_credentials(),
    )
    .await
    .unwrap();
    let not_a_public_key = rsa_credentials(&[(PUBLIC_KEY_PEM, &forms_a().pkcs1_private)]);
    let message = unauthorized(verify(&signature, &not_a_public_key).await);
    assert!(message.contains("holds no RSA public key"), "{message}");
    assert_no_key_material(&message);
}

// ---- configuration ----

#[tokio::test]
async fn config_is_decoded_with_defaults() {
    let credentials = signing_credentials();
    let handler = RsaSigningHandler::new();
    let defaults = [
        json!({"type": "RSASigningConfiguration/v1alpha1"}),
        json!({"type": "RSASigningConfiguration"}),
        // The schema refuses these; decoding takes them as the defaults, as OCM's getters do.
        json!({"type": CONFIG_TYPE, "signatureAlgorithm": "", "signatureEncodingPolicy": null}),
    ];
    for value in defaults {
        let config = raw(value.clone());
        let answer = handler
            .sign(
                spec(&config),
                SignRequest {
                    digest: digest("SHA-256"),
                    config,
                },
                &credentials,
            )
            .await
            .unwrap();
        assert_eq!(answer.signature.algorithm, "RSASSA-PSS", "{value}");
        assert_eq!(
            answer.signature.media_type, "application/vnd.ocm.signature.rsa.pss",
            "{value}"
        );
    }
    assert_eq!(
        spec(&config(ALGORITHM_RSASSA_PKCS1_V15, "PEM")),
        RsaSigningConfig::new(
            SignatureAlgorithm::RsassaPkcs1V15,
            SignatureEncodingPolicy::Pem
        )
    );
}

/// Invalid configurations and the field each must be refused for.
fn invalid_configs() -> [(serde_json::Value, &'static str); 9] {
    [
        (json!({"type": "OtherSigning/v1"}), "OtherSigning/v1"),
        (
            json!({"type": "RSASigningConfiguration/v1"}),
            "RSASigningConfiguration/v1",
        ),
        (json!({}), "type"),
        (
            json!({"type": CONFIG_TYPE, "signatureAlgorithm": "RSA"}),
            "signatureAlgorithm",
        ),
        (
            json!({"type": CONFIG_TYPE, "signatureAlgorithm": "rsassa-pss"}),
            "signatureAlgorithm",
        ),
        (
            json!({"type": CONFIG_TYPE, "signatureEncodingPolicy": 5}),
            "signatureEncodingPolicy",
        ),
        (
            json!({"type": CONFIG_TYPE, "signatureEncodingPolicy": "Hex"}),
            "signatureEncodingPolicy",
        ),
        (
            json!({"type": CONFIG_TYPE, "hashAlgorithm": "SHA-256"}),
            "hashAlgorithm",
        ),
        (
            json!({"type": CONFIG_TYPE, "signatureAlgorithm": null}),
            "signatureAlgorithm",
        ),
    ]
}

#[test]
fn invalid_config_names_the_field() {
    let (_, schema) = RsaSigningConfig::declaration().unwrap();
    let validator = ocm_plugin_endpoints::SchemaValidator::compile(&schema.0).unwrap();
    for (value, field) in invalid_configs() {
        // Managers and the SDK refuse it by the derived schema, naming the field.
        let message = validator.validate(&value).unwrap_err().to_string();
        assert!(message.contains(field), "{value}: {message}");
        // The decoder refuses it too (except `null`, the default), naming the field.
        if value.get("signatureAlgorithm") != Some(&serde_json::Value::Null) {
            let message = invalid_argument(raw(value.clone()).decode_spec::<RsaSigningConfig>());
            assert!(message.contains(field), "{value}: {message}");
        }
    }
}

#[test]
fn schema_accepts_every_valid_config() {
    let (typ, schema) = RsaSigningConfig::declaration().unwrap();
    assert_eq!(typ.to_string(), CONFIG_TYPE);
    let validator = ocm_plugin_endpoints::SchemaValidator::compile(&schema.0).unwrap();
    for typ in [CONFIG_TYPE, CONFIG_TYPE_NAME] {
        validator.validate(&json!({ "type": typ })).unwrap();
        for algorithm in ALGORITHMS {
            for encoding in ENCODINGS {
                let value = json!({
                    "type": typ,
                    "signatureAlgorithm": algorithm,
                    "signatureEncodingPolicy": encoding,
                });
                validator.validate(&value).unwrap();
                spec(&raw(value));
            }
        }
    }
}

// ---- consumer identities ----

#[tokio::test]
async fn consumer_identities_are_ocms() {
    let handler = RsaSigningHandler::new();
    for algorithm in ALGORITHMS {
        let config = config(algorithm, "Plain");
        let answer = handler
            .signing_identity(
                spec(&config),
                SignIdentityRequest {
                    digest: digest("SHA-256"),
                    config,
                    name: "release-signature".to_owned(),
                },
            )
            .await
            .unwrap();
        assert_eq!(
            serde_json::to_value(&answer.identity).unwrap(),
            json!({"type": "RSA/v1alpha1", "algorithm": algorithm, "signature": "release-signature"})
        );
    }

    let plain = sign(
        ALGORITHM_RSASSA_PKCS1_V15,
        "Plain",
        "SHA-256",
        &signing_credentials(),
    )
    .await
    .unwrap();
    let pem = sign(
        ALGORITHM_RSASSA_PKCS1_V15,
        "PEM",
        "SHA-256",
        &signing_credentials(),
    )
    .await
    .unwrap();
    let identity = |signature: Signature| async move {
        let config = raw(json!({"type": CONFIG_TYPE}));
        handler
            .verifying_identity(spec(&config), VerifyRequest { signature, config })
            .await
            .map(|answer| serde_json::to_value(&answer.identity).unwrap())
    };
    let expected = json!({"type": "RSA/v1alpha1", "algorithm": "RSASSA-PKCS1-V1_5", "signature": "acme-signature"});
    assert_eq!(identity(plain.clone()).await.unwrap(), expected);
    assert_eq!(identity(pem.clone()).await.unwrap(), expected);

    // An empty algorithm is read from the media type or the PEM header.
    let mut s = plain.clone();
    s.signature.algorithm = String::new();
    assert_eq!(identity(s).await.unwrap(), expected);
    let mut s = pem.clone();
    s.signature.algorithm = String::new();
    assert_eq!(identity(s).await.unwrap(), expected);

    // An unknown plain media type leaves it empty, as in OCM.
    let mut s = plain.clone();
    s.signature.algorithm = String::new();
    s.signature.media_type = "application/unknown".to_owned();
    assert_eq!(
        identity(s).await.unwrap(),
        json!({"type": "RSA/v1alpha1", "algorithm": "", "signature": "acme-signature"})
    );

    // A PEM header contradicting the declared algorithm is an error.
    let mut s = pem.clone();
    s.signature.algorithm = ALGORITHM_RSASSA_PSS.to_owned();
    let message = invalid_argument(identity(s).await);
    assert!(message.contains("algorithm mismatch"), "{message}");
}

// ---- certificate chains in PEM signatures ----

/// What a test certificate says; [`issue`] makes it.
struct CertSpec<'a> {
    subject: &'a str,
    issuer: &'a str,
    /// The key the certificate is for.
    key: &'a PrivateKey,
    /// The key it is signed with (the issuer's).
    signer: &'a PrivateKey,
    ca: bool,
    key_usage: Option<FlagSet<KeyUsages>>,
    extended_key_usage: Option<Vec<ObjectIdentifier>>,
    /// Validity in days relative to now: from `now + valid.0` to `now + valid.1`.
    valid: (i64, i64),
}

const DAY: u64 = 24 * 60 * 60;
const CA_NAME: &str = "CN=OCM Test CA,O=OCM Plugin Tests (TEST ONLY)";
const SIGNER_NAME: &str = "CN=OCM Test Code Signer,O=OCM Plugin Tests (TEST ONLY)";

impl<'a> CertSpec<'a> {
    /// A self-signed CA with key B, valid for ten years.
    fn ca() -> Self {
        Self {
            subject: CA_NAME,
            issuer: CA_NAME,
            key: key_b(),
            signer: key_b(),
            ca: true,
            key_usage: Some(KeyUsages::KeyCertSign | KeyUsages::CRLSign),
            extended_key_usage: None,
            valid: (-1, 3650),
        }
    }

    /// A code-signing certificate for key A issued by [`CertSpec::ca`], valid for a year.
    fn leaf() -> Self {
        Self {
            subject: SIGNER_NAME,
            issuer: CA_NAME,
            key: key_a(),
            signer: key_b(),
            ca: false,
            key_usage: Some(KeyUsages::DigitalSignature.into()),
            extended_key_usage: Some(vec![rfc5280::ID_KP_CODE_SIGNING]),
            valid: (-1, 365),
        }
    }
}

/// A builder profile that only sets the names; the extensions are added by [`issue`].
struct Names {
    subject: Name,
    issuer: Name,
}

impl BuilderProfile for Names {
    fn get_issuer(&self, _subject: &Name) -> Name {
        self.issuer.clone()
    }

    fn get_subject(&self) -> Name {
        self.subject.clone()
    }

    fn build_extensions(
        &self,
        _spk: SubjectPublicKeyInfoRef<'_>,
        _issuer_spk: SubjectPublicKeyInfoRef<'_>,
        _tbs: &TbsCertificate,
    ) -> x509_cert::builder::Result<Vec<Extension>> {
        Ok(Vec::new())
    }
}

/// Now plus `days` (negative: in the past), as an X.509 time.
fn x509_time(days: i64) -> Time {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    let shift = Duration::from_secs(days.unsigned_abs() * DAY);
    let at = if days >= 0 { now + shift } else { now - shift };
    Time::UtcTime(UtcTime::from_unix_duration(at).unwrap())
}

/// The certificate `spec` describes, as PEM, signed with sha256WithRSAEncryption.
fn issue(spec: &CertSpec<'_>) -> String {
    let validity = Validity::new(x509_time(spec.valid.0), x509_time(spec.valid.1));
    let spki = SubjectPublicKeyInfoOwned::from_der(
        spec.key
            .to_public_key()
            .to_public_key_der()
            .unwrap()
            .as_bytes(),
    )
    .unwrap();
    let profile = Names {
        subject: spec.subject.parse().unwrap(),
        issuer: spec.issuer.parse().unwrap(),
    };
    let serial = SerialNumber::from(u32::from(spec.subject.len() as u8) + 1000);
    let mut builder = CertificateBuilder::new(profile, serial, validity, spki).unwrap();
    builder
        .add_extension(&BasicConstraints {
            ca: spec.ca,
            path_len_constraint: None,
        })
        .unwrap();
    if let Some(usages) = spec.key_usage {
        builder.add_extension(&KeyUsage(usages)).unwrap();
    }
    if let Some(usages) = &spec.extended_key_usage {
        builder
            .add_extension(&ExtendedKeyUsage(usages.clone()))
            .unwrap();
    }
    let signer = rsa::pkcs1v15::SigningKey::<Sha256>::new(spec.signer.clone());
    let cert = builder
        .build::<_, rsa::pkcs1v15::Signature>(&signer)
        .unwrap();
    certificate_pem(&cert.to_der().unwrap())
}

/// A `CERTIFICATE` PEM block for DER bytes.
fn certificate_pem(der: &[u8]) -> String {
    use base64::{Engine as _, engine::general_purpose::STANDARD};
    let encoded = STANDARD.encode(der);
    let lines: Vec<&str> = encoded
        .as_bytes()
        .chunks(64)
        .map(|line| std::str::from_utf8(line).unwrap())
        .collect();
    format!(
        "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
        lines.join("\n")
    )
}

fn key_b() -> &'static PrivateKey {
    static KEY: OnceLock<PrivateKey> = OnceLock::new();
    KEY.get_or_init(|| PrivateKey::from_pkcs8_pem(KEY_B).unwrap())
}

/// A PEM signature (PSS, SHA-256) with key A embedding the certificates `chain` (PEM texts).
async fn sign_with_chain(chain: &[&str]) -> Signature {
    let material = chain.concat();
    let credentials = rsa_credentials(&[(PRIVATE_KEY_PEM, KEY_A), (PUBLIC_KEY_PEM, &material)]);
    let signature = sign(ALGORITHM_RSASSA_PSS, "PEM", "SHA-256", &credentials)
        .await
        .unwrap();
    assert_eq!(
        pem::decode_signature(&signature.signature.value)
            .unwrap()
            .certificates
            .len(),
        chain.len()
    );
    signature
}

fn anchor(ca_pem: &str) -> Credentials {
    rsa_credentials(&[(PUBLIC_KEY_PEM, ca_pem)])
}

/// The message of a chain refusal; fails on anything else.
fn chain_refused<T: std::fmt::Debug>(result: Result<T, Error>) -> String {
    let message = invalid_argument(result);
    assert!(
        message.starts_with("signature verification failed: certificate verification failed: "),
        "{message}"
    );
    message
}

#[tokio::test]
async fn a_valid_chain_verifies_with_the_leaf_key() {
    let ca = issue(&CertSpec::ca());
    let leaf = issue(&CertSpec::leaf());
    // Leaf and CA embedded (the CA equals the anchor), or the leaf alone (issued by the anchor).
    for chain in [vec![leaf.as_str(), ca.as_str()], vec![leaf.as_str()]] {
        let signature = sign_with_chain(&chain).await;
        verify(&signature, &anchor(&ca)).await.unwrap();
        // The anchor may come from a file and sit among other certificates.
        let dir = tempfile::tempdir().unwrap();
        let other = issue(&CertSpec {
            subject: "CN=Unrelated CA",
            issuer: "CN=Unrelated CA",
            ..CertSpec::ca()
        });
        let file = write(dir.path(), "anchors.pem", format!("{other}{ca}"));
        let from_file = rsa_credentials(&[(PUBLIC_KEY_PEM_FILE, file.to_str().unwrap())]);
        verify(&signature, &from_file).await.unwrap();
    }

    // The signature is checked with the leaf's key, not with a key from the credentials: a
    // leaf certificate for key B does not vouch for a signature made with key A.
    let leaf_b = issue(&CertSpec {
        key: key_b(),
        ..CertSpec::leaf()
    });
    let signature = sign_with_chain(&[&leaf_b, &ca]).await;
    let message = invalid_argument(verify(&signature, &anchor(&ca)).await);
    assert!(
        message.starts_with("signature verification failed: the RSASSA-PSS signature"),
        "{message}"
    );
}

#[tokio::test]
async fn expired_or_not_yet_valid_certificates_are_refused() {
    let ca = issue(&CertSpec::ca());
    let expired = issue(&CertSpec {
        valid: (-30, -1),
        ..CertSpec::leaf()
    });
    let signature = sign_with_chain(&[&expired, &ca]).await;
    let message = chain_refused(verify(&signature, &anchor(&ca)).await);
    assert!(
        message.contains(&format!(
            "the signing certificate {SIGNER_NAME} has expired"
        )) && message.contains("valid from ")
            && message.contains(" until ")
            && message.contains("now is "),
        "{message}"
    );

    let not_yet = issue(&CertSpec {
        valid: (1, 30),
        ..CertSpec::leaf()
    });
    let signature = sign_with_chain(&[&not_yet, &ca]).await;
    let message = chain_refused(verify(&signature, &anchor(&ca)).await);
    assert!(
        message.contains("is not yet valid: valid from "),
        "{message}"
    );

    // An expired anchor is refused too.
    let old_ca = issue(&CertSpec {
        valid: (-30, -1),
        ..CertSpec::ca()
    });
    let leaf = issue(&CertSpec::leaf());
    let signature = sign_with_chain(&[&leaf]).await;
    let message = chain_refused(verify(&signature, &anchor(&old_ca)).await);
    assert!(
        message.contains(&format!("trust anchor {CA_NAME} has expired")),
        "{message}"
    );
}

#[tokio::test]
async fn a_leaf_without_code_signing_usage_is_refused() {
    let ca = issue(&CertSpec::ca());
    for (case, spec) in [
        (
            "EKU serverAuth only",
            CertSpec {
                extended_key_usage: Some(vec![rfc5280::ID_KP_SERVER_AUTH]),
                ..CertSpec::leaf()
            },
        ),
        (
            "no EKU",
            CertSpec {
                extended_key_usage: None,
                ..CertSpec::leaf()
            },
        ),
    ] {
        let leaf = issue(&spec);
        let signature = sign_with_chain(&[&leaf, &ca]).await;
        let message = chain_refused(verify(&signature, &anchor(&ca)).await);
        assert!(
            message.contains(&format!(
                "the signing certificate {SIGNER_NAME} lacks extended key usage codeSigning"
            )),
            "{case}: {message}"
        );
    }

    let no_digital_signature = issue(&CertSpec {
        key_usage: Some(KeyUsages::KeyEncipherment.into()),
        ..CertSpec::leaf()
    });
    let signature = sign_with_chain(&[&no_digital_signature, &ca]).await;
    let message = chain_refused(verify(&signature, &anchor(&ca)).await);
    assert!(
        message.contains("lacks key usage digitalSignature"),
        "{message}"
    );
}

#[tokio::test]
async fn issuers_must_be_cas_allowed_to_sign_certificates() {
    let not_ca = issue(&CertSpec {
        ca: false,
        ..CertSpec::ca()
    });
    let leaf = issue(&CertSpec::leaf());
    let signature = sign_with_chain(&[&leaf]).await;
    let message = chain_refused(verify(&signature, &anchor(&not_ca)).await);
    assert!(
        message.contains(&format!("certificate {CA_NAME} is not a CA")),
        "{message}"
    );

    let no_cert_sign = issue(&CertSpec {
        key_usage: Some(KeyUsages::DigitalSignature.into()),
        ..CertSpec::ca()
    });
    let message = chain_refused(verify(&signature, &anchor(&no_cert_sign)).await);
    assert!(message.contains("lacks key usage keyCertSign"), "{message}");
}

#[tokio::test]
async fn a_chain_ending_at_another_ca_is_refused() {
    let ca = issue(&CertSpec::ca());
    let leaf = issue(&CertSpec::leaf());

    // Another CA (other name): the leaf's issuer is not a trust anchor.
    let other = issue(&CertSpec {
        subject: "CN=Other CA",
        issuer: "CN=Other CA",
        key: key_a(),
        signer: key_a(),
        ..CertSpec::ca()
    });
    let signature = sign_with_chain(&[&leaf]).await;
    let message = chain_refused(verify(&signature, &anchor(&other)).await);
    assert!(
        message.contains("x509: certificate signed by unknown authority")
            && message.contains(&format!("is issued by {CA_NAME}"))
            && message.contains("trust anchors: CN=Other CA"),
        "{message}"
    );

    // The embedded self-signed root is not the anchor: untrusted root.
    let signature = sign_with_chain(&[&leaf, &ca]).await;
    let message = chain_refused(verify(&signature, &anchor(&other)).await);
    assert!(
        message.contains("untrusted root") && message.contains(CA_NAME),
        "{message}"
    );

    // An impostor CA with the same name but another key: the leaf's signature does not verify.
    let impostor = issue(&CertSpec {
        key: key_a(),
        signer: key_a(),
        ..CertSpec::ca()
    });
    let signature = sign_with_chain(&[&leaf]).await;
    let message = chain_refused(verify(&signature, &anchor(&impostor)).await);
    assert!(
        message.contains(&format!(
            "the signature of certificate {SIGNER_NAME} does not verify with the key of {CA_NAME}"
        )),
        "{message}"
    );
    // … also when the impostor is embedded and the real CA is the anchor.
    let signature = sign_with_chain(&[&leaf, &impostor]).await;
    let message = chain_refused(verify(&signature, &anchor(&ca)).await);
    assert!(
        message.contains("does not verify with the key of"),
        "{message}"
    );

    // Certificates in the wrong order: issuer mismatch naming both names.
    let signature = sign_with_chain(&[&leaf, &other]).await;
    let message = chain_refused(verify(&signature, &anchor(&ca)).await);
    assert!(
        message.contains(&format!(
            "issuer mismatch: certificate {SIGNER_NAME} is issued by {CA_NAME}, but the next \
             certificate is CN=Other CA"
        )),
        "{message}"
    );
}

#[tokio::test]
async fn a_chain_needs_a_certificate_anchor_in_the_credentials() {
    let ca = issue(&CertSpec::ca());
    let leaf = issue(&CertSpec::leaf());
    let signature = sign_with_chain(&[&leaf, &ca]).await;

    // A bare public key (even the CA's own) is no trust anchor, as in OCM.
    let ca_public = key_b()
        .to_public_key()
        .to_public_key_pem(LineEnding::LF)
        .unwrap();
    for public in [ca_public.as_str(), forms_a().spki_public.as_str()] {
        let message = unauthorized(verify(&signature, &anchor(public)).await);
        assert!(
            message.contains(
                "cannot load certificate chain from credentials: unexpected pem block type for \
                 certificate: \"PUBLIC KEY\""
            ),
            "{message}"
        );
        assert_no_key_material(&message);
    }

    // No public key material at all (a private key does not help): unknown authority.
    for credentials in [rsa_credentials(&[]), signing_credentials()] {
        let message = unauthorized(verify(&signature, &credentials).await);
        assert!(
            message.contains("x509: certificate signed by unknown authority")
                && message.contains(PUBLIC_KEY_PEM_FILE),
            "{message}"
        );
    }

    // A malformed anchor certificate, and a malformed embedded certificate.
    let broken = "-----BEGIN CERTIFICATE-----\nAAEC\n-----END CERTIFICATE-----\n";
    let message = unauthorized(verify(&signature, &anchor(broken)).await);
    assert!(
        message.contains("not a valid X.509 certificate"),
        "{message}"
    );
    let mut bad = signature.clone();
    let decoded = pem::decode_signature(&signature.signature.value).unwrap();
    bad.signature.value =
        pem::encode_signature(ALGORITHM_RSASSA_PSS, &decoded.signature, &[vec![0, 1, 2]]);
    let message = invalid_argument(verify(&bad, &anchor(&ca)).await);
    assert!(
        message.starts_with("invalid PEM signature: embedded certificate 1: not a valid X.509"),
        "{message}"
    );
}

#[tokio::test]
async fn a_tampered_signature_with_a_valid_chain_is_refused() {
    let ca = issue(&CertSpec::ca());
    let leaf = issue(&CertSpec::leaf());
    let signature = sign_with_chain(&[&leaf, &ca]).await;
    verify(&signature, &anchor(&ca)).await.unwrap();

    let mut flipped = signature.clone();
    flipped.signature.value = flip_signature_bit(&signature.signature);
    assert_eq!(
        pem::decode_signature(&flipped.signature.value)
            .unwrap()
            .certificates
            .len(),
        2
    );
    let message = invalid_argument(verify(&flipped, &anchor(&ca)).await);
    assert!(
        message.starts_with("signature verification failed: the RSASSA-PSS signature"),
        "{message}"
    );

    let mut other_digest = signature;
    other_digest.digest.value = hex::encode(hash_of("SHA-256", b"something else"));
    let message = invalid_argument(verify(&other_digest, &anchor(&ca)).await);
    assert!(
        message.starts_with("signature verification failed"),
        "{message}"
    );
}

// ---- PEM armour ----

#[test]
fn pem_parsing_is_lenient_and_never_panics() {
    let signature = pem::encode_signature("RSASSA-PSS", &[7u8; 256], &[vec![1, 2, 3]]);
    let decoded = pem::decode_signature(&signature).unwrap();
    assert_eq!(decoded.signature, vec![7u8; 256]);
    assert_eq!(decoded.algorithm.as_deref(), Some("RSASSA-PSS"));
    assert_eq!(decoded.certificates, vec![vec![1, 2, 3]]);

    // CRLF line ends, text around the blocks and odd header spacing are read as Go reads them.
    let crlf = format!(
        "preamble\r\n{}trailer",
        signature.replace('\n', "\r\n").replace(": ", " :  ")
    );
    let decoded = pem::decode_signature(&crlf).unwrap();
    assert_eq!(decoded.signature, vec![7u8; 256]);
    assert_eq!(decoded.algorithm.as_deref(), Some("RSASSA-PSS"));

    // Every prefix and every byte-dropped variant either decodes or is an error.
    for end in 0..=signature.len() {
        let _ = pem::decode_signature(&signature[..end]);
    }
    for skip in 0..signature.len() {
        let mut text = signature.clone();
        text.remove(skip);
        let _ = pem::decode_signature(&text);
        let _ = pem::blocks(&text);
    }
    for odd in [
        "",
        "-----BEGIN ",
        "-----BEGIN -----",
        "-----BEGIN SIGNATURE-----",
        "-----BEGIN SIGNATURE-----\n-----END SIGNATURE-----",
        "-----BEGIN SIGNATURE-----\nä: ö\n\n====\n-----END SIGNATURE-----\n",
        "-----BEGIN SIG\nNATURE-----\n",
        "ü-----BEGIN X-----ü\n-----END X-----",
    ] {
        assert!(pem::decode_signature(odd).is_err(), "{odd:?}");
    }
}

// ---- OpenSSL interoperability ----

/// `openssl` with `args`; `None` if the binary is not there, else whether it succeeded.
fn openssl(args: &[&str]) -> Option<bool> {
    match Command::new("openssl").args(args).output() {
        Ok(output) => Some(output.status.success()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => panic!("cannot run openssl: {e}"),
    }
}

fn openssl_missing(test: &str) {
    let line = format!("{test}: openssl not found, OpenSSL interoperability NOT checked\n");
    std::io::stderr().write_all(line.as_bytes()).unwrap();
}

/// The `-pkeyopt` arguments of an algorithm, hash and PSS salt length.
fn pkeyopts(algorithm: &str, hash: &str, salt: &str) -> Vec<String> {
    let digest = format!("digest:{}", hash.replace('-', "").to_lowercase());
    let mut opts = vec!["-pkeyopt".to_owned(), digest];
    if algorithm == ALGORITHM_RSASSA_PSS {
        for opt in [
            "rsa_padding_mode:pss".to_owned(),
            format!("rsa_pss_saltlen:{salt}"),
        ] {
            opts.push("-pkeyopt".to_owned());
            opts.push(opt);
        }
    } else {
        opts.extend(["-pkeyopt".to_owned(), "rsa_padding_mode:pkcs1".to_owned()]);
    }
    opts
}

#[tokio::test]
async fn openssl_signatures_verify_in_the_handler() {
    if openssl(&["version"]).is_none() {
        openssl_missing("openssl_signatures_verify_in_the_handler");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let key = write(dir.path(), "key.pem", KEY_A);
    let credentials = verifying_credentials();
    for algorithm in ALGORITHMS {
        for hash in HASHES {
            // `max` is what OCM's Go handler signs with; `digest` is OpenSSL's usual choice.
            for salt in ["max", "digest"] {
                let case = format!("{algorithm} {hash} salt {salt}");
                let hash_file = write(dir.path(), "hash.bin", hash_of(hash, MESSAGE));
                let sig_file = dir.path().join("sig.bin");
                let mut args: Vec<String> = [
                    "pkeyutl",
                    "-sign",
                    "-inkey",
                    key.to_str().unwrap(),
                    "-in",
                    hash_file.to_str().unwrap(),
                    "-out",
                    sig_file.to_str().unwrap(),
                ]
                .map(str::to_owned)
                .to_vec();
                args.extend(pkeyopts(algorithm, hash, salt));
                let args: Vec<&str> = args.iter().map(String::as_str).collect();
                assert_eq!(openssl(&args), Some(true), "{case}: openssl {args:?}");
                let signature = Signature {
                    name: "openssl".to_owned(),
                    digest: digest(hash),
                    signature: SignatureInfo {
                        algorithm: algorithm.to_owned(),
                        value: hex::encode(std::fs::read(&sig_file).unwrap()),
                        media_type: SignatureAlgorithm::from_name(algorithm)
                            .unwrap()
                            .plain_media_type()
                            .to_owned(),
                        issuer: None,
                        extra: Default::default(),
                    },
                    extra: Default::default(),
                };
                verify(&signature, &credentials)
                    .await
                    .unwrap_or_else(|e| panic!("{case}: {e}"));
                // And as a PEM signature.
                let mut as_pem = signature.clone();
                as_pem.signature.media_type = MEDIA_TYPE_PEM.to_owned();
                as_pem.signature.value =
                    pem::encode_signature(algorithm, &std::fs::read(&sig_file).unwrap(), &[]);
                verify(&as_pem, &credentials)
                    .await
                    .unwrap_or_else(|e| panic!("{case} as PEM: {e}"));
            }
        }
    }
}

#[tokio::test]
async fn handler_signatures_verify_in_openssl() {
    if openssl(&["version"]).is_none() {
        openssl_missing("handler_signatures_verify_in_openssl");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let public = write(dir.path(), "pub.pem", &forms_a().spki_public);
    for algorithm in ALGORITHMS {
        for encoding in ENCODINGS {
            for hash in HASHES {
                let case = format!("{algorithm} {encoding} {hash}");
                let signature = sign(algorithm, encoding, hash, &signing_credentials())
                    .await
                    .unwrap();
                let bytes = if encoding == "PEM" {
                    pem::decode_signature(&signature.signature.value)
                        .unwrap()
                        .signature
                } else {
                    hex::decode(&signature.signature.value).unwrap()
                };
                let hash_file = write(dir.path(), "hash.bin", hash_of(hash, MESSAGE));
                let sig_file = write(dir.path(), "sig.bin", &bytes);
                let verify_with = |salt: &str| {
                    let mut args: Vec<String> = [
                        "pkeyutl",
                        "-verify",
                        "-pubin",
                        "-inkey",
                        public.to_str().unwrap(),
                        "-in",
                        hash_file.to_str().unwrap(),
                        "-sigfile",
                        sig_file.to_str().unwrap(),
                    ]
                    .map(str::to_owned)
                    .to_vec();
                    args.extend(pkeyopts(algorithm, hash, salt));
                    let args: Vec<&str> = args.iter().map(String::as_str).collect();
                    openssl(&args)
                };
                // `max` checks the exact salt length OCM uses.
                assert_eq!(verify_with("max"), Some(true), "{case}");
                if algorithm == ALGORITHM_RSASSA_PSS {
                    assert_eq!(verify_with("auto"), Some(true), "{case}");
                    // Not a hash-length salt: OpenSSL insisting on one must reject it.
                    assert_eq!(verify_with("digest"), Some(false), "{case}");
                }
            }
        }
    }
}
