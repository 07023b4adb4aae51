//! The signing scenario: the digest OCM signs (`jsonNormalisation/v4alpha1` + SHA-256) of a
//! 500-resource component descriptor, read from its JSON bytes, next to serde_json parsing and
//! serialising the same bytes. Pure CPU in this process: no plugin, no I/O.

use std::time::{Duration, Instant};

use anyhow::{Result, ensure};
use ocm_plugin_signing::{HashAlgorithm, NormalisationAlgorithm};
use serde_json::{Value, json};
use sha2::Digest as _;

use crate::{
    floors,
    report::{Results, Row, Samples, Unit},
    scenarios::Sizes,
};

const GROUP: &str = "signing";
/// The resources of the descriptor (the size of the warm-call scenario's large descriptor).
const RESOURCES: usize = 500;

/// The lower-case hex SHA-256 of `seed`: a digest-shaped value that differs per resource.
fn hex64(seed: &str) -> String {
    sha2::Sha256::digest(seed.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A component descriptor v2 of `resources` local blobs, each with an extra identity, a signed
/// and an unsigned label, a local access and a digest, as JSON bytes. Deterministic.
pub(crate) fn descriptor(resources: usize) -> Result<Vec<u8>> {
    let resources: Vec<Value> = (0..resources)
        .map(|n| {
            json!({
                "name": format!("res-{n}"),
                "version": "1.0.0",
                "type": "blob",
                "relation": "local",
                "extraIdentity": {"arch": "amd64"},
                "labels": [
                    {"name": "l", "value": {"n": n, "s": "x"}, "signing": true},
                    {"name": "u", "value": "y"},
                ],
                "access": {
                    "type": "localBlob/v1",
                    "localReference": format!("sha256:{}", hex64(&format!("access-{n}"))),
                    "mediaType": "application/octet-stream",
                },
                "digest": {
                    "hashAlgorithm": "SHA-256",
                    "normalisationAlgorithm": "genericBlobDigest/v1",
                    "value": hex64(&format!("blob-{n}")),
                },
            })
        })
        .collect();
    let descriptor = json!({
        "meta": {"schemaVersion": "v2"},
        "component": {
            "name": "acme.org/bench",
            "version": "1.0.0",
            "provider": "acme.org",
            "repositoryContexts": [
                {"type": "OCIRepository/v1", "baseUrl": "ghcr.io", "subPath": "acme/components"},
            ],
            "labels": [
                {"name": "team", "value": "ops"},
                {"name": "tier", "value": "gold", "signing": true},
                {"name": "build", "value": {"commit": hex64("commit"), "ci": true}, "signing": true},
            ],
            "resources": resources,
            "sources": [],
            "componentReferences": [],
        },
    });
    Ok(serde_json::to_vec(&descriptor)?)
}

/// One digest of the descriptor bytes as a signer computes it: read, normalise, SHA-256.
fn digest_once(bytes: &[u8]) -> Result<Duration> {
    let t = Instant::now();
    let value = ocm_plugin_signing::read_descriptor(std::hint::black_box(bytes))?;
    let spec = ocm_plugin_signing::digest(
        &value,
        NormalisationAlgorithm::JsonV4Alpha1,
        HashAlgorithm::Sha256,
    )?;
    let elapsed = t.elapsed();
    ensure!(
        spec.value.len() == 64,
        "digest {:?} is not SHA-256",
        spec.value
    );
    std::hint::black_box(spec);
    Ok(elapsed)
}

/// The digest of a 500-resource descriptor against serde_json parsing and serialising the same
/// bytes, the two interleaved (after a tenth as many warm-up rounds) so that both see the same
/// machine.
pub(crate) fn digest(sizes: Sizes, results: &mut Results) -> Result<()> {
    let bytes = descriptor(RESOURCES)?;
    let value = ocm_plugin_signing::read_descriptor(&bytes)?;
    ensure!(
        value["component"]["resources"].as_array().map(Vec::len) == Some(RESOURCES),
        "the bench descriptor does not hold {RESOURCES} resources"
    );
    let n = sizes.digest_iterations;
    let (mut floor, mut figure) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for i in 0..n + n / 10 {
        let f = floors::json_round_trip(&bytes)?;
        let d = digest_once(&bytes)?;
        if i >= n / 10 {
            floor.push(f);
            figure.push(d);
        }
    }
    let (floor, figure) = (Samples::new(floor), Samples::new(figure));
    results.push(Row::timed(
        GROUP,
        format!("serde_json parse + serialise, {RESOURCES} resources"),
        Unit::Micros,
        &floor,
    ));
    results.push(
        Row::timed(
            GROUP,
            format!("read + normalise + SHA-256, {RESOURCES} resources"),
            Unit::Micros,
            &figure,
        )
        .against(
            "serde_json parse + serialise (p50)",
            Unit::Micros.of(floor.p50()),
        ),
    );
    Ok(())
}
