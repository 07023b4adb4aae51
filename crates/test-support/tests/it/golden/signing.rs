//! Signatures interchangeable with OCM's Go code: `ocm-plugin digest` prints Go's normalised
//! bytes and digests for every golden descriptor; component versions Go signed verify through
//! our manager, CLI and RSA plugin (and tampered ones are refused with Go's own reason); and a
//! deterministic (PKCS#1 v1.5) signature we make is byte-equal to Go's.

use assert_cmd::Command;
use ocm_plugin_golden::corpus;
use serde_json::Value;

use crate::cli;
use crate::signing::Setup;

#[test]
fn cli_digest_is_byte_equal_to_go_on_every_golden_descriptor() {
    let Some(corpus) = corpus!("ocm-plugin digest on go-signing/descriptors") else {
        return;
    };
    let mut checked = 0;
    for name in corpus.files("go-signing/descriptors").unwrap() {
        let Some(stem) = name.strip_suffix(".normalised") else {
            continue;
        };
        let input = ["json", "yaml"]
            .iter()
            .map(|ext| corpus.path(&format!("go-signing/descriptors/{stem}.{ext}")))
            .find(|p| p.exists())
            .unwrap();
        let out = Command::new(cli())
            .args(["digest", "--print-normalised", "--descriptor"])
            .arg(&input)
            .assert()
            .success();
        let want = corpus
            .read(&format!("go-signing/descriptors/{name}"))
            .unwrap();
        assert_eq!(
            String::from_utf8_lossy(&out.get_output().stdout),
            String::from_utf8_lossy(&want),
            "{stem}"
        );
        let out = Command::new(cli())
            .args(["digest", "--descriptor"])
            .arg(&input)
            .assert()
            .success();
        let want = corpus
            .read_string(&format!("go-signing/descriptors/{stem}.digest.json"))
            .unwrap();
        assert_eq!(
            String::from_utf8_lossy(&out.get_output().stdout).trim_end(),
            want,
            "{stem}"
        );
        checked += 1;
    }
    assert!(checked >= 13, "{checked} descriptors checked");
}

fn golden_setup(corpus: &ocm_plugin_golden::Corpus, public: &str) -> Setup {
    Setup::with_keys(
        &corpus.path("go-signing/keys/rsa-2048-private.pem"),
        &corpus.path(&format!("go-signing/keys/{public}")),
    )
}

#[test]
fn component_versions_go_signed_verify_here_and_tampered_ones_are_refused() {
    let Some(corpus) = corpus!("Go-signed component versions verified by our CLI and plugins")
    else {
        return;
    };
    let read = |name: &str| -> Value {
        serde_json::from_slice(&corpus.read(&format!("go-signing/signed/{name}")).unwrap()).unwrap()
    };
    let s = golden_setup(&corpus, "rsa-2048-public.pem");
    for (file, signature, verdict) in [
        ("01-pss-plain.json", Some("default"), None),
        ("02-pkcs1v15-plain.json", Some("legacy"), None),
        ("04-two-signatures.json", None, None),
        ("09-changed-excluded-fields.json", Some("default"), None),
        (
            "05-tampered-resource-digest.json",
            Some("default"),
            Some("05-tampered-resource-digest.verify.txt"),
        ),
        (
            "07-tampered-signature-digest.json",
            Some("default"),
            Some("07-tampered-signature-digest.verify.txt"),
        ),
        (
            "08-tampered-signed-label.json",
            Some("default"),
            Some("08-tampered-signed-label.verify.txt"),
        ),
        ("06-tampered-signature-value.json", Some("legacy"), Some("")),
    ] {
        s.store(&read(file));
        let mut cmd = s.cmd("verify", "example.com/resources", "1.0.0");
        cmd.arg("--credentials-file").arg(&s.public);
        if let Some(name) = signature {
            cmd.args(["--signature", name]);
        }
        match verdict {
            None => {
                cmd.assert().success();
            }
            Some(go) => {
                let out = cmd.assert().code(4);
                let ours = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
                if go.is_empty() {
                    assert!(ours.contains("is invalid"), "{file}: {ours}");
                    continue;
                }
                // Go's reason, word for word: "digest mismatch: descriptor X vs signature Y".
                let go = corpus
                    .read_string(&format!("go-signing/signed/{go}"))
                    .unwrap();
                let reason = go
                    .trim_end()
                    .trim_start_matches("SIGNATURE VERIFICATION FAILED: ");
                assert!(ours.contains(reason), "{file}: Go: {reason}\nours: {ours}");
            }
        }
    }
}

#[test]
fn our_pkcs1_signature_is_byte_equal_to_gos() {
    let Some(corpus) = corpus!("a PKCS#1 v1.5 signature made through our plugins equals Go's")
    else {
        return;
    };
    let s = golden_setup(&corpus, "rsa-2048-public.pem");
    let source: Value = serde_json::from_slice(
        &corpus
            .read("go-signing/descriptors/06-resources.json")
            .unwrap(),
    )
    .unwrap();
    s.store(&source);
    s.cmd("sign", "example.com/resources", "1.0.0")
        .args([
            "--signature",
            "legacy",
            "--signer",
            r#"{"type":"RSASigningConfiguration/v1alpha1","signatureAlgorithm":"RSASSA-PKCS1-V1_5"}"#,
        ])
        .arg("--credentials-file")
        .arg(&s.private)
        .assert()
        .success();
    let ours = s.read("example.com/resources", "1.0.0");
    let go: Value = serde_json::from_slice(
        &corpus
            .read("go-signing/signed/02-pkcs1v15-plain.json")
            .unwrap(),
    )
    .unwrap();
    assert_eq!(ours["signatures"], go["signatures"]);
}

#[test]
fn a_go_pem_signature_verifies_against_its_certificate_anchor() {
    let Some(corpus) = corpus!("Go's PEM signature with certificates, verified end to end") else {
        return;
    };
    let signed: Value =
        serde_json::from_slice(&corpus.read("go-signing/signed/03-pss-pem.json").unwrap()).unwrap();
    // The self-signed CA certificate is the trust anchor.
    let s = golden_setup(&corpus, "rsa-2048-cert.pem");
    s.store(&signed);
    s.cmd("verify", "example.com/resources", "1.0.0")
        .args(["--signature", "pem"])
        .arg("--credentials-file")
        .arg(&s.public)
        .assert()
        .success();
    // A bare public key is no anchor for a certificate chain.
    let bare = golden_setup(&corpus, "rsa-2048-public.pem");
    bare.store(&signed);
    let out = bare
        .cmd("verify", "example.com/resources", "1.0.0")
        .args(["--signature", "pem"])
        .arg("--credentials-file")
        .arg(&bare.public)
        .assert()
        .failure();
    let err = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(err.contains("certificate"), "{err}");
}
