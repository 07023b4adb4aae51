//! Reading requests: credentials from `Authorization`, parameters from the query string or the
//! JSON body. Parameter names come from the route table only.

use axum::{body::Body, http::HeaderMap, http::StatusCode, http::Uri};
use ocm_plugin_endpoints::{AUTHORIZATION, Auth, decode_query};
use ocm_plugin_types::Credentials;
use serde::de::DeserializeOwned;

use crate::response::ApiError;

/// Largest request body accepted. Blobs travel as file locations, so bodies stay small.
pub(crate) const BODY_LIMIT: usize = 16 * 1024 * 1024;

/// Go's `json.Unmarshal` error for empty input, which is what a Go plugin answers when the
/// header is missing.
const EMPTY_JSON: &str = "unexpected end of JSON input";

/// The credentials of a request, as its route demands.
pub(crate) fn credentials(auth: Auth, headers: &HeaderMap) -> Result<Credentials, ApiError> {
    let value = headers.get(AUTHORIZATION).map(|v| v.as_bytes());
    let absent = value.is_none_or(|v| v.trim_ascii().is_empty());
    match (auth, value) {
        (Auth::None, _) => Ok(Credentials::new()),
        (Auth::Optional | Auth::OptionalAlwaysSent, _) if absent => Ok(Credentials::new()),
        (Auth::Optional | Auth::OptionalAlwaysSent | Auth::Required, value) => {
            parse_authorization(value.unwrap_or_default()).map_err(|reason| {
                ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    format!("incorrect authentication header format: {reason}"),
                )
            })
        }
    }
}

/// Parses an `Authorization` value: JSON of a string map (v0.0.1), `null` or `{}` for none, or
/// typed credentials (v0.0.16+ managers) `{"type":"Credentials/v1","properties":{...}}`, with
/// any type and unknown extra keys (see [`Credentials`]). A value that is neither shape is
/// rejected with the flat-map decode error, which is what Go plugins report.
pub(crate) fn parse_authorization(value: &[u8]) -> Result<Credentials, String> {
    if value.trim_ascii().is_empty() {
        return Err(EMPTY_JSON.to_owned());
    }
    Credentials::from_json(value).map_err(|e| e.to_string())
}

/// The pairs of a request's query string, percent-decoded. A name or value that is not UTF-8
/// once decoded is a `400` naming the parameter, not a lossy U+FFFD that could make two
/// different names equal (see [`decode_query`]).
pub(crate) fn query_pairs(uri: &Uri) -> Result<Vec<(String, String)>, ApiError> {
    decode_query(uri.query().unwrap_or_default())
        .map_err(|e| ApiError::bad_request(format!("invalid query string: {e}")))
}

/// Bodies larger than this are spooled to an unnamed temporary file as they arrive and decoded
/// from there, so a large body is never in memory twice (raw and decoded) and a burst of
/// large requests costs their decoded values, not their bytes as well.
const SPOOL_THRESHOLD: usize = 1024 * 1024;

/// Reads and decodes a JSON request body of at most [`BODY_LIMIT`] bytes.
pub(crate) async fn from_body<T: DeserializeOwned>(body: Body) -> Result<T, ApiError> {
    use std::io::{BufReader, BufWriter, Seek as _, SeekFrom, Write as _};

    use http_body_util::BodyExt as _;

    let too_large = |e: &dyn std::fmt::Display| {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("failed to read request body (limit {BODY_LIMIT} bytes): {e}"),
        )
    };
    let spool_error = |e: std::io::Error| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("failed to spool the request body to a temporary file: {e}"),
        )
    };
    let decode_error =
        |e: serde_json::Error| ApiError::bad_request(format!("failed to decode request body: {e}"));

    let mut body = http_body_util::Limited::new(body, BODY_LIMIT);
    let mut head = Vec::new();
    let mut spool: Option<BufWriter<std::fs::File>> = None;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| too_large(&e))?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        if let Some(file) = &mut spool {
            file.write_all(&data).map_err(spool_error)?;
            continue;
        }
        head.extend_from_slice(&data);
        if head.len() > SPOOL_THRESHOLD {
            let mut file = BufWriter::new(tempfile::tempfile().map_err(spool_error)?);
            file.write_all(&head).map_err(spool_error)?;
            head = Vec::new();
            spool = Some(file);
        }
    }
    match spool {
        None => serde_json::from_slice(&head).map_err(decode_error),
        Some(file) => {
            let mut file = file.into_inner().map_err(|e| spool_error(e.into_error()))?;
            file.seek(SeekFrom::Start(0)).map_err(spool_error)?;
            serde_json::from_reader(BufReader::new(file)).map_err(decode_error)
        }
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    #[tokio::test]
    async fn large_bodies_are_spooled_and_decode_the_same() {
        let text = "x".repeat(3 * SPOOL_THRESHOLD);
        let json = serde_json::to_vec(&serde_json::json!({ "big": text, "n": 1 })).unwrap();
        // In many small frames, as a socket delivers them.
        let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
            json.chunks(8 * 1024).map(|c| Ok(c.to_vec())).collect();
        let body = Body::from_stream(futures_util::stream::iter(chunks));
        let value: serde_json::Value = from_body(body).await.unwrap();
        assert_eq!(value["big"].as_str().map(str::len), Some(text.len()));
        assert_eq!(value["n"], 1);

        let mut broken = json.clone();
        broken.truncate(json.len() - 1);
        let err = from_body::<serde_json::Value>(Body::from(broken))
            .await
            .unwrap_err();
        assert_eq!(err.status, StatusCode::BAD_REQUEST);
        assert!(
            err.message.contains("failed to decode request body"),
            "{}",
            err.message
        );

        let trailing = [json.as_slice(), b" {}"].concat();
        let err = from_body::<serde_json::Value>(Body::from(trailing))
            .await
            .unwrap_err();
        assert_eq!(
            err.status,
            StatusCode::BAD_REQUEST,
            "trailing data is refused too"
        );

        let over = vec![b' '; BODY_LIMIT + 1];
        let err = from_body::<serde_json::Value>(Body::from(over))
            .await
            .unwrap_err();
        assert_eq!(err.status, StatusCode::PAYLOAD_TOO_LARGE);
    }

    fn headers(value: Option<&'static str>) -> HeaderMap {
        let mut h = HeaderMap::new();
        if let Some(v) = value {
            h.insert(AUTHORIZATION, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn authorization_values() {
        let ok: &[(&str, &[(&str, &str)])] = &[
            (
                r#"{"password":"p","username":"u"}"#,
                &[("password", "p"), ("username", "u")],
            ),
            ("{}", &[]),
            ("null", &[]),
            (" null ", &[]),
            // Typed credentials (v0.0.16+), flattened.
            (
                r#"{"properties":{"password":"p","username":"u"},"type":"Credentials/v1"}"#,
                &[("password", "p"), ("username", "u")],
            ),
            (
                r#"{"type":"DirectCredentials","properties":{"token":"t"},"extra":1}"#,
                &[("token", "t")],
            ),
            (r#"{"properties":{"token":"t"}}"#, &[("token", "t")]),
            (r#"{"type":"Credentials/v1","properties":null}"#, &[]),
            // A flat map that happens to have a `properties` string is flat.
            (
                r#"{"properties":"x","type":"y"}"#,
                &[("properties", "x"), ("type", "y")],
            ),
        ];
        for (value, want) in ok {
            let got = parse_authorization(value.as_bytes()).unwrap();
            let want: Credentials = want.iter().copied().collect();
            assert_eq!(got.properties(), want.properties(), "{value}");
        }
        let bad: &[(&str, &str)] = &[
            ("", EMPTY_JSON),
            ("   ", EMPTY_JSON),
            (r#"{"a":1}"#, "invalid type: integer `1`, expected a string"),
            (r#"{"a":{"b":"c"}}"#, "invalid type: map, expected a string"),
            ("Bearer x", "expected value"),
            ("[]", "invalid type: sequence"),
            // Typed, but not flattenable: the flat-map error is reported.
            (
                r#"{"type":"Credentials/v1","properties":{"a":1}}"#,
                "invalid type: map, expected a string",
            ),
            (
                r#"{"type":"Credentials/v1","properties":["a"]}"#,
                "invalid type: sequence, expected a string",
            ),
            (
                r#"{"type":1,"properties":{}}"#,
                "invalid type: integer `1`, expected a string",
            ),
        ];
        for (value, want) in bad {
            let err = parse_authorization(value.as_bytes()).unwrap_err();
            assert!(err.contains(want), "{value}: {err}");
        }
    }

    #[test]
    fn query_pairs_are_strict_utf8() {
        let uri: Uri = "/component-version?name=%C3%A9+x&version=1%2B2"
            .parse()
            .unwrap();
        assert_eq!(
            query_pairs(&uri).unwrap(),
            [
                ("name".to_owned(), "é x".to_owned()),
                ("version".to_owned(), "1+2".to_owned())
            ]
        );
        let none: Uri = "/component-version".parse().unwrap();
        assert!(query_pairs(&none).unwrap().is_empty());

        let bad: Uri = "/component-version?name=%ff%fe&version=1".parse().unwrap();
        let e = query_pairs(&bad).unwrap_err();
        assert_eq!(e.status, StatusCode::BAD_REQUEST);
        assert_eq!(
            e.message,
            r#"invalid query string: query parameter "name" is not valid UTF-8 after percent-decoding"#
        );
    }

    #[test]
    fn auth_modes() {
        let e = credentials(Auth::Required, &headers(None)).unwrap_err();
        assert_eq!(e.status, StatusCode::UNAUTHORIZED);
        assert_eq!(
            e.message,
            "incorrect authentication header format: unexpected end of JSON input"
        );
        assert!(
            credentials(Auth::Optional, &headers(None))
                .unwrap()
                .is_empty()
        );
        assert!(credentials(Auth::Optional, &headers(Some("x"))).is_err());
        // v0.0.17+: a missing or empty header on a non-repository route is no credentials.
        assert!(
            credentials(Auth::Optional, &headers(Some("  ")))
                .unwrap()
                .is_none()
        );
        let e = credentials(Auth::Required, &headers(Some(""))).unwrap_err();
        assert_eq!(e.status, StatusCode::UNAUTHORIZED);
        let typed = credentials(
            Auth::Required,
            &headers(Some(r#"{"properties":{"u":"v"},"type":"Credentials/v1"}"#)),
        )
        .unwrap();
        assert_eq!(
            (typed.credential_type(), typed["u"].as_str()),
            (Some("Credentials/v1"), "v")
        );
        assert!(
            credentials(Auth::None, &headers(Some("x")))
                .unwrap()
                .is_empty()
        );
        let c = credentials(Auth::Required, &headers(Some(r#"{"u":"v"}"#))).unwrap();
        assert_eq!(c["u"], "v");
    }
}
