use base64::{Engine as _, engine::general_purpose::STANDARD};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Go's `url.QueryEscape` leaves exactly these unescaped besides alphanumerics.
const QUERY: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b' ');

/// Encodes query pairs like Go's `url.Values.Encode`: sorted by key (stable for equal keys),
/// percent-encoded, spaces as `+`.
pub fn encode_query<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut pairs: Vec<(&str, &str)> = pairs.into_iter().collect();
    pairs.sort_by(|a, b| a.0.cmp(b.0));
    let esc = |s: &str| utf8_percent_encode(s, QUERY).to_string().replace(' ', "+");
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", esc(k), esc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Encodes a JSON value as a query parameter: standard padded base64 of its compact JSON, as the
/// Go manager does for `identity` (`null` becomes `bnVsbA==`).
pub fn encode_json_param(json: &str) -> String {
    STANDARD.encode(json)
}

/// Why a JSON query parameter could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum QueryError {
    /// Not standard base64.
    #[error("illegal base64 data in query parameter {param}: {source}")]
    Base64 {
        /// Parameter name.
        param: &'static str,
        /// Cause.
        source: base64::DecodeError,
    },
    /// Not the expected JSON.
    #[error("query parameter {param} is not valid JSON of the expected shape: {source}")]
    Json {
        /// Parameter name.
        param: &'static str,
        /// Cause.
        source: serde_json::Error,
    },
}

/// Decodes a base64-JSON query parameter. An absent or empty value, and JSON `null`, give `None`.
pub fn decode_json_param<T: serde::de::DeserializeOwned>(
    param: &'static str,
    value: Option<&str>,
) -> Result<Option<T>, QueryError> {
    let Some(value) = value.filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let bytes = STANDARD
        .decode(value)
        .map_err(|source| QueryError::Base64 { param, source })?;
    serde_json::from_slice::<Option<T>>(&bytes).map_err(|source| QueryError::Json { param, source })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    #[test]
    fn matches_go_url_values_encode() {
        // From transcript-manager-wire.txt: the identity parameter of a local resource download.
        let identity = encode_json_param(r#"{"name":"test-resource","version":"v0.0.1"}"#);
        let q = encode_query([
            ("version", "1.0.0"),
            ("name", "test-component"),
            ("identity", identity.as_str()),
        ]);
        assert_eq!(
            q,
            "identity=eyJuYW1lIjoidGVzdC1yZXNvdXJjZSIsInZlcnNpb24iOiJ2MC4wLjEifQ%3D%3D&name=test-component&version=1.0.0"
        );
        assert_eq!(encode_query([("a", "x+y/z=~ *")]), "a=x%2By%2Fz%3D~+%2A");
        assert_eq!(encode_json_param("null"), "bnVsbA==");
    }

    #[test]
    fn decodes_params() {
        let v: Option<BTreeMap<String, String>> =
            decode_json_param("identity", Some("eyJuYW1lIjoieCJ9")).unwrap();
        assert_eq!(v.unwrap()["name"], "x");
        assert!(
            decode_json_param::<BTreeMap<String, String>>("identity", Some("bnVsbA=="))
                .unwrap()
                .is_none()
        );
        assert!(
            decode_json_param::<BTreeMap<String, String>>("identity", None)
                .unwrap()
                .is_none()
        );
        let e = decode_json_param::<BTreeMap<String, String>>("identity", Some("!!")).unwrap_err();
        assert!(e.to_string().contains("illegal base64"));
        // A JSON value that is not a string map.
        let e = decode_json_param::<BTreeMap<String, String>>(
            "identity",
            Some(&encode_json_param(r#"{"a":1}"#)),
        )
        .unwrap_err();
        assert!(matches!(e, QueryError::Json { .. }));
    }

    proptest! {
        #[test]
        fn base64_param_roundtrips(map in proptest::collection::btree_map(".{0,8}", ".{0,8}", 0..5)) {
            let json = serde_json::to_string(&map).unwrap();
            let back: Option<BTreeMap<String, String>> = decode_json_param("p", Some(&encode_json_param(&json))).unwrap();
            prop_assert_eq!(back.unwrap(), map);
        }
    }
}
