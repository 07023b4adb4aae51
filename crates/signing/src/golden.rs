//! The golden conformance suite of this crate: every input descriptor, digest, safety error and
//! signed descriptor recorded from OCM's Go code (`go-signing/`), and RFC 8785's own vectors
//! (`jcs-rfc8785/`), replayed byte for byte.

use ocm_plugin_golden::{Corpus, corpus};
use ocm_plugin_types::Digest;
use serde_json::Value;

use crate::{
    Error, HashAlgorithm, NormalisationAlgorithm, check_safely_digestible, digest, jcs, normalise,
    read_descriptor, verify_digest,
};

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// The input descriptors of `go-signing/descriptors`: `(stem, file name)`.
fn inputs(corpus: &Corpus) -> std::io::Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    for name in corpus.files("go-signing/descriptors")? {
        let stem = name
            .strip_suffix(".json")
            .or_else(|| name.strip_suffix(".yaml"))
            .filter(|s| !s.contains('.'));
        if let Some(stem) = stem {
            out.push((stem.to_owned(), name.clone()));
        }
    }
    Ok(out)
}

fn read_if(corpus: &Corpus, name: &str) -> Option<String> {
    corpus
        .read_string(&format!("go-signing/descriptors/{name}"))
        .ok()
}

#[test]
fn normalised_bytes_digests_and_decode_errors_match_go() -> TestResult {
    let Some(corpus) = corpus!("jsonNormalisation/v4alpha1 bytes and digests of every Go golden")
    else {
        return Ok(());
    };
    let inputs = inputs(&corpus)?;
    assert!(
        inputs.len() >= 16,
        "expected the 16 golden descriptors, found {inputs:?}"
    );
    let (mut normalised_checked, mut errors_checked) = (0, 0);
    for (stem, file) in &inputs {
        let bytes = corpus.read(&format!("go-signing/descriptors/{file}"))?;
        let read = read_descriptor(&bytes).and_then(|d| {
            normalise(&d, NormalisationAlgorithm::JsonV4Alpha1)?;
            Ok(d)
        });
        if let Some(go_error) = read_if(&corpus, &format!("{stem}.error.txt")) {
            let err = read
                .err()
                .ok_or(format!("{stem}: Go refuses it ({go_error}), we read it"))?;
            // Same cause, our words: the field Go names, or the escape it trips over.
            let cause = if go_error.contains("invalid Unicode character escape") {
                "invalid Unicode character escape code".to_owned()
            } else {
                let field = go_error
                    .split("Go struct field .")
                    .nth(1)
                    .and_then(|rest| rest.split(' ').next())
                    .ok_or(format!("{stem}: unexpected Go error {go_error}"))?;
                field.replace(".0.", "[0].")
            };
            assert!(
                err.to_string().contains(&cause),
                "{stem}: our error {err} does not name {cause}"
            );
            errors_checked += 1;
            continue;
        }
        let descriptor = read.map_err(|e| format!("{stem}: {e}"))?;
        let want = corpus.read(&format!("go-signing/descriptors/{stem}.normalised"))?;
        let got = normalise(&descriptor, NormalisationAlgorithm::JsonV4Alpha1)?;
        assert_eq!(
            String::from_utf8_lossy(&got),
            String::from_utf8_lossy(&want),
            "{stem}: normalised bytes"
        );
        normalised_checked += 1;

        for (suffix, normalisation, hash) in [
            ("digest.json", "jsonNormalisation/v4alpha1", "SHA-256"),
            (
                "sha512.digest.json",
                "jsonNormalisation/v4alpha1",
                "SHA-512",
            ),
            (
                "v3-requested.digest.json",
                "jsonNormalisation/v3",
                "SHA-256",
            ),
        ] {
            let Some(want) = read_if(&corpus, &format!("{stem}.{suffix}")) else {
                continue;
            };
            let spec = digest(
                &descriptor,
                NormalisationAlgorithm::resolve(normalisation)?,
                HashAlgorithm::resolve(hash)?,
            )?;
            assert_eq!(serde_json::to_string(&spec)?, want, "{stem}.{suffix}");
        }

        let safety = check_safely_digestible(&descriptor);
        match read_if(&corpus, &format!("{stem}.safe.txt")) {
            Some(go) => {
                let err = safety
                    .err()
                    .ok_or(format!("{stem}: Go finds it unsafe: {go}"))?;
                let Error::NotSafelyDigestible(why) = err else {
                    return Err(format!("{stem}: expected a safety error, got {err}").into());
                };
                assert_eq!(why.to_string(), go.trim_end(), "{stem}: safety error");
            }
            None => safety.map_err(|e| format!("{stem}: Go finds it safe, we do not: {e}"))?,
        }
    }
    assert!(
        normalised_checked >= 13 && errors_checked == 3,
        "{normalised_checked} {errors_checked}"
    );
    Ok(())
}

#[test]
fn signed_descriptors_digests_verify_as_go_says() -> TestResult {
    let Some(corpus) = corpus!("digests recorded in Go-signed descriptors, and tampered ones")
    else {
        return Ok(());
    };
    let mut checked = 0;
    for name in corpus.files("go-signing/signed")? {
        let Some(stem) = name.strip_suffix(".json") else {
            continue;
        };
        let descriptor: Value =
            serde_json::from_slice(&corpus.read(&format!("go-signing/signed/{name}"))?)?;
        let go = corpus
            .read_string(&format!("go-signing/signed/{stem}.verify.txt"))
            .unwrap_or_else(|_| "verified\n".to_owned());
        let signatures: Vec<ocm_plugin_types::Signature> =
            serde_json::from_value(descriptor["signatures"].clone())?;
        assert!(!signatures.is_empty(), "{name}: no signatures");
        for signature in &signatures {
            let ours = verify_digest(&descriptor, &signature.digest);
            if go.contains("digest mismatch") {
                let err = ours
                    .err()
                    .ok_or(format!("{name}: Go sees a digest mismatch"))?;
                assert!(
                    go.contains(&err.to_string()),
                    "{name}: Go said {go}, we said {err}"
                );
            } else {
                // Verified by Go, or refused only by the RSA check (06), which the signing
                // handler's own golden tests replay.
                ours.map_err(|e| format!("{name} {}: {e}", signature.name))?;
            }
            checked += 1;
        }
    }
    assert!(checked >= 10, "{checked} signatures checked");
    Ok(())
}

#[test]
fn digest_of_the_signed_descriptor_is_the_one_go_signed() -> TestResult {
    let Some(corpus) = corpus!("the digest Go recorded when signing 06-resources") else {
        return Ok(());
    };
    let signed: Value =
        serde_json::from_slice(&corpus.read("go-signing/signed/02-pkcs1v15-plain.json")?)?;
    let recorded: Digest = serde_json::from_value(signed["signatures"][0]["digest"].clone())?;
    let source = read_descriptor(&corpus.read("go-signing/descriptors/06-resources.json")?)?;
    let ours = digest(
        &source,
        NormalisationAlgorithm::JsonV4Alpha1,
        HashAlgorithm::Sha256,
    )?;
    assert_eq!(ours, recorded);
    Ok(())
}

#[test]
fn rfc8785_vectors() -> TestResult {
    let Some(corpus) = corpus!("RFC 8785 test vectors") else {
        return Ok(());
    };
    let names = corpus.files("jcs-rfc8785/input")?;
    assert!(names.len() >= 6, "{names:?}");
    for name in names {
        let input: Value =
            serde_json::from_slice(&corpus.read(&format!("jcs-rfc8785/input/{name}"))?)?;
        let want = corpus.read(&format!("jcs-rfc8785/output/{name}"))?;
        assert_eq!(
            String::from_utf8_lossy(&jcs::to_vec(&input)),
            String::from_utf8_lossy(&want),
            "{name}"
        );
    }
    Ok(())
}
