use base64::{Engine as _, engine::general_purpose::STANDARD};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::{Serialize, de::DeserializeOwned};
use serde_json::{Map, Value};

use crate::{Param, Params, Route};

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
    /// The parameters do not make the operation's request.
    #[error("invalid query parameters: {0}")]
    Shape(#[source] serde_json::Error),
    /// The request could not be encoded.
    #[error("the request cannot be encoded as query parameters: {0}")]
    Encode(#[source] serde_json::Error),
    /// The route takes no query parameters, or the request is not an object.
    #[error("operation {0} takes no query parameters")]
    NotQuery(&'static str),
}

/// The query pairs of a request to a [`Params::Query`] route, taken from the request's fields of
/// the same names as the route's [`Param`]s.
pub fn request_to_query(
    route: &Route,
    request: &impl Serialize,
) -> Result<Vec<(&'static str, String)>, QueryError> {
    let Params::Query(params) = route.params else {
        return Err(QueryError::NotQuery(route.operation));
    };
    let fields = match serde_json::to_value(request) {
        Ok(Value::Object(fields)) => fields,
        Ok(_) => return Err(QueryError::NotQuery(route.operation)),
        Err(source) => return Err(QueryError::Encode(source)),
    };
    let mut pairs = Vec::new();
    for &param in params {
        let value = fields.get(param.name()).filter(|v| !v.is_null());
        let encoded = match (param, value) {
            (Param::Text(_), Some(Value::String(s))) => s.clone(),
            (Param::Text(_), Some(other)) => other.to_string(),
            (Param::Text(_) | Param::Json(_), None) => continue,
            (Param::Json(_) | Param::JsonOrNull(_), Some(v)) => encode_json_param(&v.to_string()),
            (Param::JsonOrNull(_), None) => encode_json_param("null"),
        };
        pairs.push((param.name(), encoded));
    }
    Ok(pairs)
}

/// Decodes a request from the query pairs of a [`Params::Query`] route: text parameters become
/// strings (empty when absent, as Go reads them), JSON parameters are base64 decoded and left out
/// when absent or `null`. The first of repeated keys counts.
pub fn request_from_query<T: DeserializeOwned>(
    route: &Route,
    pairs: &[(String, String)],
) -> Result<T, QueryError> {
    let Params::Query(params) = route.params else {
        return Err(QueryError::NotQuery(route.operation));
    };
    let first = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let mut text = Map::new();
    let mut json = Vec::new();
    for &param in params {
        let name = param.name();
        match param {
            Param::Text(_) => {
                text.insert(
                    name.to_owned(),
                    Value::from(first(name).unwrap_or_default()),
                );
            }
            Param::Json(_) | Param::JsonOrNull(_) => {
                if let Some(value) = decode_json_param::<Value>(name, first(name))? {
                    json.push((name, value));
                }
            }
        }
    }
    let mut object = text.clone();
    object.extend(json.iter().map(|(k, v)| ((*k).to_owned(), v.clone())));
    serde_json::from_value(Value::Object(object)).map_err(|shape| {
        // Name the JSON parameter that does not fit, if one alone is the cause.
        for (param, value) in &json {
            let mut alone = text.clone();
            alone.insert((*param).to_owned(), value.clone());
            if let Err(source) = serde_json::from_value::<T>(Value::Object(alone)) {
                return QueryError::Json { param, source };
            }
        }
        QueryError::Shape(shape)
    })
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
