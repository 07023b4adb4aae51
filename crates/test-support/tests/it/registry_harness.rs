//! The registry harness against the real `docker-registry` (distribution 2.8.2): a plain
//! registry round trip over raw HTTP, htpasswd Basic authentication, and bearer tokens from the
//! in-process token server through each of its flows. Without the binary every test prints one
//! `SKIPPED …` line and passes (and fails in CI).

use anyhow::{Context as _, Result, ensure};
use ocm_plugin_test_support::{
    process_exists,
    registry::{
        HttpAuth, PASSWORD, RawResponse, Registry, RegistryAuth, TokenServer, USERNAME,
        form_urlencoded, http, sha256_digest,
    },
};
use serde_json::json;

/// Starts a registry for the calling test, or returns `Ok(())` from it when it was skipped.
macro_rules! registry {
    ($test:literal, $auth:expr) => {
        match Registry::start(concat!(module_path!(), "::", $test), $auth)? {
            Some(registry) => registry,
            None => return Ok(()),
        }
    };
}

const MANIFEST_TYPE: &str = "application/vnd.oci.image.manifest.v1+json";

/// Deterministic bytes that do not compress or repeat in short periods.
fn noise(len: usize) -> Vec<u8> {
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..len)
        .map(|_| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 33) as u8
        })
        .collect()
}

fn descriptor(media_type: &str, bytes: &[u8]) -> serde_json::Value {
    json!({"mediaType": media_type, "digest": sha256_digest(bytes), "size": bytes.len()})
}

fn token_of(response: &RawResponse, field: &str) -> Result<String> {
    let json = response.json()?;
    json[field]
        .as_str()
        .map(str::to_owned)
        .with_context(|| format!("no {field} in {json}"))
}

#[test]
fn plain_registry_round_trip() -> Result<()> {
    let registry = registry!("plain_registry_round_trip", RegistryAuth::None);
    let repo = "ocm/harness/plain";
    let anonymous = HttpAuth::Anonymous;
    assert!(registry.host_port().starts_with("127.0.0.1:"));
    assert_eq!(registry.url(), format!("http://{}", registry.host_port()));

    // A layer larger than the socket buffers, so reads and writes really stream.
    let layer = noise(3 * 1024 * 1024 + 17);
    let config = br#"{"architecture":"amd64","os":"linux"}"#;
    assert_eq!(
        registry.push_blob(repo, &layer, anonymous)?,
        sha256_digest(&layer)
    );
    let config_digest = registry.push_blob(repo, config, anonymous)?;
    let manifest = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": MANIFEST_TYPE,
        "config": descriptor("application/vnd.oci.image.config.v1+json", config),
        "layers": [descriptor("application/vnd.oci.image.layer.v1.tar", &layer)],
    }))?;
    let manifest_digest =
        registry.push_manifest(repo, "v1", MANIFEST_TYPE, &manifest, anonymous)?;
    assert_eq!(manifest_digest, sha256_digest(&manifest));

    assert_eq!(registry.get_tags(repo, anonymous)?, ["v1"]);
    let by_tag = registry.get_manifest(repo, "v1", MANIFEST_TYPE, anonymous)?;
    assert_eq!(by_tag.body, manifest);
    assert_eq!(by_tag.header("content-type"), Some(MANIFEST_TYPE));
    assert_eq!(
        by_tag.header("docker-content-digest"),
        Some(manifest_digest.as_str())
    );
    let by_digest = registry.get_manifest(repo, &manifest_digest, MANIFEST_TYPE, anonymous)?;
    assert_eq!(by_digest.body, manifest);
    assert!(registry.get_blob(repo, &sha256_digest(&layer), anonymous)? == layer);
    assert_eq!(registry.get_blob(repo, &config_digest, anonymous)?, config);

    // The bytes really are in the harness's storage directory.
    let (_, hex) = config_digest.split_once(':').context("digest")?;
    let stored = registry
        .storage_dir()
        .join("docker/registry/v2/blobs/sha256")
        .join(&hex[..2])
        .join(hex)
        .join("data");
    assert_eq!(std::fs::read(&stored)?, config);

    // Unknown things are 404s, not errors of the client.
    let missing = registry.request(
        "GET",
        &format!("/v2/{repo}/manifests/v2"),
        &[("Accept", MANIFEST_TYPE)],
        &[],
        anonymous,
    )?;
    assert_eq!(missing.status, 404, "{}", missing.text());
    assert!(registry.get_tags("ocm/harness/absent", anonymous).is_err());

    // Dropping the registry kills and reaps it, and removes its directory.
    let pid = registry.pid();
    let storage = registry.storage_dir();
    assert!(process_exists(pid));
    drop(registry);
    assert!(
        !process_exists(pid),
        "docker-registry {pid} outlived its Registry"
    );
    assert!(!storage.exists());
    Ok(())
}

#[test]
fn basic_auth_registry() -> Result<()> {
    let registry = registry!("basic_auth_registry", RegistryAuth::Basic);
    let base = registry.request("GET", "/v2/", &[], &[], HttpAuth::Anonymous)?;
    assert_eq!(base.status, 401);
    let challenge = base.header("www-authenticate").context("no challenge")?;
    assert!(challenge.starts_with("Basic realm="), "{challenge}");

    let ok = registry.request("GET", "/v2/", &[], &[], HttpAuth::FIXTURE)?;
    assert_eq!(ok.status, 200, "{}", ok.text());
    let wrong = HttpAuth::Basic {
        username: USERNAME,
        password: "not-the-password",
    };
    assert_eq!(
        registry.request("GET", "/v2/", &[], &[], wrong)?.status,
        401
    );

    let repo = "ocm/harness/basic";
    let digest = registry.push_blob(repo, b"basic blob", HttpAuth::FIXTURE)?;
    assert_eq!(
        registry.get_blob(repo, &digest, HttpAuth::FIXTURE)?,
        b"basic blob"
    );
    assert!(
        registry
            .push_blob(repo, b"anonymous", HttpAuth::Anonymous)
            .is_err()
    );
    Ok(())
}

#[test]
fn token_auth_registry() -> Result<()> {
    let tokens = TokenServer::start()?;
    let registry = registry!("token_auth_registry", RegistryAuth::Token(&tokens));

    // The challenge names the token server.
    let base = registry.request("GET", "/v2/", &[], &[], HttpAuth::Anonymous)?;
    assert_eq!(base.status, 401);
    let challenge = base.header("www-authenticate").context("no challenge")?;
    assert!(
        challenge.starts_with(&format!("Bearer realm=\"{}\"", tokens.realm())),
        "{challenge}"
    );
    assert!(
        challenge.contains(&format!("service=\"{}\"", tokens.service())),
        "{challenge}"
    );
    let push = registry.request(
        "POST",
        "/v2/ocm/harness/minted/blobs/uploads/",
        &[],
        &[],
        HttpAuth::Anonymous,
    )?;
    assert_eq!(push.status, 401);
    let challenge = push.header("www-authenticate").context("no challenge")?;
    // distribution lists the actions in no fixed order (`pull,push` or `push,pull`).
    let scope = challenge
        .split_once("scope=\"")
        .and_then(|(_, rest)| rest.split('"').next())
        .with_context(|| format!("no scope in {challenge}"))?;
    let actions = scope
        .strip_prefix("repository:ocm/harness/minted:")
        .with_context(|| format!("scope {scope}"))?;
    let mut actions: Vec<_> = actions.split(',').collect();
    actions.sort_unstable();
    assert_eq!(actions, ["pull", "push"], "{challenge}");

    // A minted token: accepted on /v2/ and for its repository only.
    let minted = tokens.mint("ocm/harness/minted")?;
    let bearer = HttpAuth::Bearer(&minted);
    let base = registry.request("GET", "/v2/", &[], &[], bearer)?;
    assert_eq!(base.status, 200, "{}", base.text());
    let digest = registry.push_blob("ocm/harness/minted", b"minted", bearer)?;
    assert_eq!(
        registry.get_blob("ocm/harness/minted", &digest, bearer)?,
        b"minted"
    );
    let elsewhere = registry.request(
        "POST",
        "/v2/ocm/harness/other/blobs/uploads/",
        &[],
        &[],
        bearer,
    )?;
    assert_eq!(elsewhere.status, 401, "{}", elsewhere.text());
    // A different signature: one character well inside it changed (the last one carries
    // only 2 of the 2048 bits, and changing its padding bits changes nothing).
    let at = minted.len() - 10;
    let swapped = if &minted[at..=at] == "A" { "B" } else { "A" };
    let forged = format!("{}{swapped}{}", &minted[..at], &minted[at + 1..]);
    let forged = registry.request("GET", "/v2/", &[], &[], HttpAuth::Bearer(&forged))?;
    assert_eq!(forged.status, 401);
    assert_eq!(tokens.requests(), 0, "minting is not a request");

    // The Docker flow: GET the realm with Basic credentials.
    let repo = "ocm/harness/get-flow";
    let query = form_urlencoded(&[
        ("service", tokens.service()),
        ("scope", &format!("repository:{repo}:pull,push")),
    ]);
    let url = format!("{}?{query}", tokens.realm());
    let basic = HttpAuth::FIXTURE.header_value().context("basic")?;
    let answer = http("GET", &url, &[("Authorization", &basic)], &[])?;
    assert_eq!(answer.status, 200, "{}", answer.text());
    let json = answer.json()?;
    assert_eq!(json["expires_in"], 300);
    assert_eq!(json["token"], json["access_token"]);
    let token = token_of(&answer, "token")?;
    let digest = registry.push_blob(repo, b"get flow", HttpAuth::Bearer(&token))?;
    assert_eq!(
        registry.get_blob(repo, &digest, HttpAuth::Bearer(&token))?,
        b"get flow"
    );
    let wrong = HttpAuth::Basic {
        username: USERNAME,
        password: "wrong",
    }
    .header_value()
    .context("basic")?;
    assert_eq!(
        http("GET", &url, &[("Authorization", &wrong)], &[])?.status,
        401
    );
    let anonymous = http("GET", &url, &[], &[])?;
    assert_eq!(anonymous.status, 401);
    assert!(anonymous.header("www-authenticate").is_some());
    assert_eq!(tokens.requests(), 3);

    // The OAuth2 flow: POST a refresh token, then a password.
    let repo = "ocm/harness/refresh-flow";
    let scope = format!("repository:{repo}:pull,push");
    let form_type = ("Content-Type", "application/x-www-form-urlencoded");
    let refresh = form_urlencoded(&[
        ("grant_type", "refresh_token"),
        ("refresh_token", tokens.refresh_token()),
        ("service", tokens.service()),
        ("scope", &scope),
        ("client_id", "ocm-harness"),
    ]);
    let answer = http("POST", &tokens.realm(), &[form_type], refresh.as_bytes())?;
    assert_eq!(answer.status, 200, "{}", answer.text());
    let json = answer.json()?;
    assert_eq!(json["refresh_token"], tokens.refresh_token());
    assert_eq!(json["expires_in"], 300);
    let token = token_of(&answer, "access_token")?;
    let digest = registry.push_blob(repo, b"refresh flow", HttpAuth::Bearer(&token))?;
    assert_eq!(
        registry.get_blob(repo, &digest, HttpAuth::Bearer(&token))?,
        b"refresh flow"
    );

    let unknown = form_urlencoded(&[
        ("grant_type", "refresh_token"),
        ("refresh_token", "not-the-refresh-token"),
        ("service", tokens.service()),
        ("scope", &scope),
    ]);
    let answer = http("POST", &tokens.realm(), &[form_type], unknown.as_bytes())?;
    assert_eq!(answer.status, 401, "{}", answer.text());

    let password = form_urlencoded(&[
        ("grant_type", "password"),
        ("username", USERNAME),
        ("password", PASSWORD),
        ("service", tokens.service()),
        ("scope", &scope),
        ("client_id", "ocm-harness"),
    ]);
    let answer = http("POST", &tokens.realm(), &[form_type], password.as_bytes())?;
    assert_eq!(answer.status, 200, "{}", answer.text());
    let token = token_of(&answer, "access_token")?;
    let base = registry.request("GET", "/v2/", &[], &[], HttpAuth::Bearer(&token))?;
    ensure!(
        base.status == 200,
        "password token refused: {}",
        base.text()
    );
    assert_eq!(tokens.requests(), 6);
    Ok(())
}
