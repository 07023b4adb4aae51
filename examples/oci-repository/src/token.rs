//! The OAuth2 refresh-token exchange of the Docker token protocol: a `refreshToken` (Docker's
//! identity token) is traded at the registry's token endpoint for an access token, which is then
//! used as a bearer token. `oci-client` does the anonymous and Basic token flows itself; this is
//! the one flow it lacks. Access tokens are kept until shortly before they expire.

use std::{
    collections::HashMap,
    sync::{Mutex, OnceLock},
    time::{Duration, Instant},
};

use ocm_plugin_contracts::{Error, Result};
use sha2::{Digest as _, Sha256};

use crate::{
    registry::{CONNECT_TIMEOUT, READ_TIMEOUT},
    spec::RepositorySpec,
};

/// The OAuth2 client id this plugin presents.
const CLIENT_ID: &str = "ocm-plugin-rs-oci-repository";
/// Lifetime assumed when the token endpoint states none (the Docker protocol's default).
const DEFAULT_LIFETIME: Duration = Duration::from_secs(60);

type Key = (String, String, [u8; 32]);

fn cache() -> &'static Mutex<HashMap<Key, (String, Instant)>> {
    static CACHE: OnceLock<Mutex<HashMap<Key, (String, Instant)>>> = OnceLock::new();
    CACHE.get_or_init(Default::default)
}

/// Installs the TLS crypto provider (ring) once per process; every HTTP client needs it.
pub(crate) fn ensure_crypto() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        // Fails only when a provider is installed already, which is what we want.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

fn http() -> Result<reqwest::Client> {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    if let Some(c) = CLIENT.get() {
        return Ok(c.clone());
    }
    ensure_crypto();
    let client = reqwest::Client::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .read_timeout(READ_TIMEOUT)
        .build()
        .map_err(|e| Error::internal_with("cannot build the HTTP client", e))?;
    Ok(CLIENT.get_or_init(|| client).clone())
}

/// An access token for pull and push on `repository`, exchanged for `refresh_token`.
pub(crate) async fn exchange(
    spec: &RepositorySpec,
    repository: &str,
    refresh_token: &str,
) -> Result<String> {
    let key: Key = (
        spec.registry(),
        repository.to_owned(),
        Sha256::digest(refresh_token.as_bytes()).into(),
    );
    if let Ok(cache) = cache().lock()
        && let Some((token, until)) = cache.get(&key)
        && Instant::now() < *until
    {
        return Ok(token.clone());
    }
    let client = http()?;
    let ping = format!("{}://{}/v2/", spec.scheme.as_str(), spec.registry());
    let response = client.get(&ping).send().await.map_err(|e| {
        Error::internal(format!(
            "cannot reach the registry at {} ({}): {e}",
            spec.registry(),
            spec.scheme.as_str()
        ))
    })?;
    let challenge = response
        .headers()
        .get(reqwest::header::WWW_AUTHENTICATE)
        .and_then(|v| v.to_str().ok())
        .map(parse_challenge)
        .ok_or_else(|| {
            Error::Unauthorized(format!(
                "a refreshToken was given, but the registry at {} asks for no bearer token \
                 (it answered {} on /v2/ without a challenge)",
                spec.registry(),
                response.status()
            ))
        })?;
    let realm = challenge.realm.ok_or_else(|| {
        Error::Unauthorized(format!(
            "the registry at {} sent a bearer challenge without a realm",
            spec.registry()
        ))
    })?;
    let scope = format!("repository:{repository}:pull,push");
    let mut form = vec![
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token),
        ("client_id", CLIENT_ID),
        ("scope", scope.as_str()),
    ];
    if let Some(service) = challenge.service.as_deref() {
        form.push(("service", service));
    }
    let body = ocm_plugin_sdk::endpoints::encode_query(form);
    let realm_shown = realm.split('?').next().unwrap_or_default().to_owned();
    let response = client
        .post(&realm)
        .header(
            reqwest::header::CONTENT_TYPE,
            "application/x-www-form-urlencoded",
        )
        .body(body)
        .send()
        .await
        .map_err(|e| {
            Error::internal(format!(
                "cannot reach the token endpoint {realm_shown}: {e}"
            ))
        })?;
    let status = response.status();
    if status == reqwest::StatusCode::UNAUTHORIZED || status == reqwest::StatusCode::FORBIDDEN {
        return Err(Error::Unauthorized(format!(
            "the token endpoint {realm_shown} refused the refresh token ({status})"
        )));
    }
    if !status.is_success() {
        return Err(Error::internal(format!(
            "the token endpoint {realm_shown} answered {status}"
        )));
    }
    let body: serde_json::Value = response.json().await.map_err(|e| {
        Error::internal(format!(
            "the token endpoint {realm_shown} sent no JSON token: {e}"
        ))
    })?;
    let token = body
        .get("access_token")
        .or_else(|| body.get("token"))
        .and_then(serde_json::Value::as_str)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            Error::internal(format!(
                "the token endpoint {realm_shown} answered without an access_token"
            ))
        })?
        .to_owned();
    let lifetime = body
        .get("expires_in")
        .and_then(serde_json::Value::as_u64)
        .map_or(DEFAULT_LIFETIME, Duration::from_secs);
    // Renew a little early, so a token does not expire between check and use.
    let until = Instant::now() + lifetime.saturating_sub(Duration::from_secs(10));
    if let Ok(mut cache) = cache().lock() {
        if cache.len() > 256 {
            cache.clear();
        }
        cache.insert(key, (token.clone(), until));
    }
    Ok(token)
}

#[derive(Debug, Default, PartialEq, Eq)]
struct Challenge {
    realm: Option<String>,
    service: Option<String>,
}

/// `Bearer realm="…",service="…",scope="…"`: the parameters this exchange needs.
fn parse_challenge(header: &str) -> Challenge {
    let mut out = Challenge::default();
    let Some(params) = header
        .trim()
        .strip_prefix("Bearer")
        .or_else(|| header.trim().strip_prefix("bearer"))
    else {
        return out;
    };
    let mut rest = params.trim();
    while !rest.is_empty() {
        let Some(eq) = rest.find('=') else { break };
        let name = rest[..eq]
            .trim()
            .trim_start_matches(',')
            .trim()
            .to_ascii_lowercase();
        rest = &rest[eq + 1..];
        let value;
        if let Some(quoted) = rest.strip_prefix('"') {
            let end = quoted.find('"').unwrap_or(quoted.len());
            value = quoted[..end].to_owned();
            rest = quoted.get(end + 1..).unwrap_or_default();
        } else {
            let end = rest.find(',').unwrap_or(rest.len());
            value = rest[..end].trim().to_owned();
            rest = &rest[end..];
        }
        rest = rest.trim_start().trim_start_matches(',').trim_start();
        match name.as_str() {
            "realm" => out.realm = Some(value),
            "service" => out.service = Some(value),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenges() {
        let c = parse_challenge(
            r#"Bearer realm="http://127.0.0.1:9/token",service="registry.test",scope="repository:a/b:pull""#,
        );
        assert_eq!(c.realm.as_deref(), Some("http://127.0.0.1:9/token"));
        assert_eq!(c.service.as_deref(), Some("registry.test"));
        let c = parse_challenge("Bearer realm=https://auth.example/t, service=x");
        assert_eq!(c.realm.as_deref(), Some("https://auth.example/t"));
        assert_eq!(c.service.as_deref(), Some("x"));
        assert_eq!(parse_challenge(r#"Basic realm="x""#), Challenge::default());
    }
}
