use base64::{Engine as _, engine::general_purpose::STANDARD};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
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
    /// A parameter's value is not UTF-8 once percent-decoded.
    #[error("query parameter {param:?} is not valid UTF-8 after percent-decoding")]
    ValueNotUtf8 {
        /// Parameter name.
        param: String,
    },
    /// A parameter's name is not UTF-8 once percent-decoded.
    #[error("query parameter name {raw:?} is not valid UTF-8 after percent-decoding")]
    NameNotUtf8 {
        /// The name as it appears in the query string, still percent-encoded (so printable).
        raw: String,
    },
}

/// Splits a query string (without the `?`) into its percent-decoded pairs, in order, as
/// `application/x-www-form-urlencoded` is read: `+` is a space (`%2B` a plus), a `%` not followed
/// by two hex digits stays as it is, empty segments are skipped and a name without `=` has an
/// empty value.
///
/// Unlike lossy decoders, a name or value that is not UTF-8 once decoded is an error rather than
/// having its bad bytes replaced by U+FFFD: replacement would make different byte strings equal
/// (`%ff` and `%fe` both become `\u{fffd}`), so a request could address another component or
/// resource than the one its caller named.
pub fn decode_query(query: &str) -> Result<Vec<(String, String)>, QueryError> {
    query
        .split('&')
        .filter(|segment| !segment.is_empty())
        .map(|segment| {
            let (raw_name, raw_value) = segment.split_once('=').unwrap_or((segment, ""));
            let name = decode_form_component(raw_name).ok_or_else(|| QueryError::NameNotUtf8 {
                raw: raw_name.to_owned(),
            })?;
            match decode_form_component(raw_value) {
                Some(value) => Ok((name, value)),
                None => Err(QueryError::ValueNotUtf8 { param: name }),
            }
        })
        .collect()
}

/// One form-encoded name or value: `+` to space, then percent-decoding; `None` if the bytes are
/// not UTF-8.
fn decode_form_component(raw: &str) -> Option<String> {
    let spaced = raw.replace('+', " ");
    String::from_utf8(percent_decode_str(&spaced).collect()).ok()
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

    fn pairs(query: &str) -> Vec<(String, String)> {
        decode_query(query).unwrap()
    }

    #[test]
    fn decodes_query_like_form_urlencoded() {
        let p = |k: &str, v: &str| (k.to_owned(), v.to_owned());
        assert_eq!(
            pairs("name=a+b%2Bc&version=%C3%A9&&flag&e=&name=second"),
            [
                p("name", "a b+c"),
                p("version", "é"),
                p("flag", ""),
                p("e", ""),
                p("name", "second"),
            ]
        );
        assert_eq!(pairs(""), []);
        // A value may hold `=`; only the first one splits.
        assert_eq!(pairs("a=b=c"), [p("a", "b=c")]);
        // Malformed escapes pass through, as axum's `Query` (form_urlencoded) leaves them.
        assert_eq!(pairs("a=%zz%4&b=%"), [p("a", "%zz%4"), p("b", "%")]);
        assert_eq!(pairs("%C3%A9=x"), [p("é", "x")]);
    }

    #[test]
    fn invalid_utf8_is_an_error_naming_the_parameter() {
        let e = decode_query("version=1&name=%ff%fe").unwrap_err();
        assert!(matches!(&e, QueryError::ValueNotUtf8 { param } if param == "name"));
        assert_eq!(
            e.to_string(),
            r#"query parameter "name" is not valid UTF-8 after percent-decoding"#
        );
        // A truncated multi-byte sequence is as invalid as a stray byte.
        assert!(decode_query("name=%C3").is_err());
        let e = decode_query("%ff%fe=x").unwrap_err();
        assert!(matches!(&e, QueryError::NameNotUtf8 { raw } if raw == "%ff%fe"));
        assert_eq!(
            e.to_string(),
            r#"query parameter name "%ff%fe" is not valid UTF-8 after percent-decoding"#
        );
    }

    proptest! {
        #[test]
        fn decode_inverts_encode(map in proptest::collection::btree_map(".{0,8}", ".{0,8}", 0..5)) {
            let query = encode_query(map.iter().map(|(k, v)| (k.as_str(), v.as_str())));
            let back: BTreeMap<String, String> = decode_query(&query).unwrap().into_iter().collect();
            prop_assert_eq!(back, map);
        }

        #[test]
        fn base64_param_roundtrips(map in proptest::collection::btree_map(".{0,8}", ".{0,8}", 0..5)) {
            let json = serde_json::to_string(&map).unwrap();
            let back: Option<BTreeMap<String, String>> = decode_json_param("p", Some(&encode_json_param(&json))).unwrap();
            prop_assert_eq!(back.unwrap(), map);
        }
    }

    /// Bounded runs, and no regression files written into the source tree.
    fn props_config() -> ProptestConfig {
        ProptestConfig {
            cases: 256,
            failure_persistence: None,
            ..ProptestConfig::default()
        }
    }

    /// Strings rich in the characters the form encoding treats specially.
    fn tricky() -> impl Strategy<Value = String> {
        prop_oneof![".{0,12}", "[a%&=+ ~*/é\\x{1F600}0-9A-Fa-f]{0,12}"]
    }

    /// Query strings: arbitrary text, and text made of escapes (valid or not) and separators.
    fn query_like() -> impl Strategy<Value = String> {
        prop_oneof![
            ".{0,48}",
            prop::collection::vec(
                prop_oneof![
                    "%[0-9A-Fa-f]{2}",
                    "%[0-9A-Za-z]{0,2}",
                    "[a-z+= ]{0,3}",
                    Just("&".to_owned()),
                    Just("=".to_owned()),
                ],
                0..16
            )
            .prop_map(|p| p.concat()),
        ]
    }

    /// A request with one parameter of each kind, for the route below.
    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    struct PropRequest {
        name: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        repository: Option<BTreeMap<String, String>>,
        #[serde(default)]
        identity: Option<BTreeMap<String, String>>,
    }

    const PROP_ROUTE: Route = Route {
        operation: "prop",
        method: http::Method::GET,
        path: "/prop",
        auth: crate::Auth::None,
        params: Params::Query(&[
            Param::Text("name"),
            Param::Json("repository"),
            Param::JsonOrNull("identity"),
        ]),
    };

    proptest! {
        #![proptest_config(props_config())]

        /// Any pairs, repeated and empty names included, come back from encode → decode in
        /// the encoder's (stable, by key) order.
        #[test]
        fn pairs_round_trip(pairs in prop::collection::vec((tricky(), tricky()), 0..6)) {
            let query = encode_query(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
            let mut want = pairs;
            want.sort_by(|a, b| a.0.cmp(&b.0));
            prop_assert_eq!(decode_query(&query).unwrap(), want, "{}", query);
        }

        /// Any query string: no panic; one pair per non-empty segment; an error exactly when a
        /// segment does not decode to UTF-8; what decodes re-encodes to the same pairs.
        #[test]
        fn arbitrary_queries_decode_or_fail_cleanly(query in query_like()) {
            let utf8 = |raw: &str| percent_decode_str(&raw.replace('+', " ")).decode_utf8().is_ok();
            let segments: Vec<&str> = query.split('&').filter(|s| !s.is_empty()).collect();
            let all_utf8 = segments.iter().all(|s| {
                let (k, v) = s.split_once('=').unwrap_or((s, ""));
                utf8(k) && utf8(v)
            });
            match decode_query(&query) {
                Ok(pairs) => {
                    prop_assert!(all_utf8);
                    prop_assert_eq!(pairs.len(), segments.len());
                    let again = encode_query(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
                    let mut sorted = pairs;
                    sorted.sort_by(|a, b| a.0.cmp(&b.0));
                    prop_assert_eq!(decode_query(&again).unwrap(), sorted);
                }
                Err(e) => {
                    prop_assert!(!all_utf8, "{query:?}: {e}");
                    prop_assert!(
                        matches!(e, QueryError::NameNotUtf8 { .. } | QueryError::ValueNotUtf8 { .. }),
                        "{e}"
                    );
                }
            }
        }

        /// Fully escaped bytes decode to exactly those bytes when they are UTF-8 and to an
        /// error otherwise: two different byte strings never decode to the same value.
        #[test]
        fn escaped_bytes_decode_exactly(bytes in prop::collection::vec(any::<u8>(), 0..24)) {
            let escaped: String = bytes.iter().map(|b| format!("%{b:02X}")).collect();
            let got = decode_query(&format!("k={escaped}"));
            match std::str::from_utf8(&bytes) {
                // `&` and `=` are escaped too, so they never split anything.
                Ok(text) => {
                    prop_assert_eq!(got.unwrap(), vec![("k".to_owned(), text.to_owned())]);
                }
                Err(_) => {
                    prop_assert!(
                        matches!(got, Err(QueryError::ValueNotUtf8 { ref param }) if param == "k"),
                        "{got:?}"
                    );
                }
            }
        }

        /// Base64 JSON parameters: any text decodes or fails cleanly; accepted text is valid
        /// padded base64 of JSON; invalid base64 is a `Base64` error, valid base64 of non-JSON
        /// a `Json` error.
        #[test]
        fn json_params_decode_or_fail(text in prop_oneof![".{0,24}", "[A-Za-z0-9+/=]{0,24}"], payload in prop::collection::vec(any::<u8>(), 0..24)) {
            match decode_json_param::<Value>("p", Some(&text)) {
                // An empty value is an absent parameter.
                Ok(v) if text.is_empty() => prop_assert_eq!(v, None),
                Ok(v) => {
                    let bytes = STANDARD.decode(&text).unwrap();
                    prop_assert_eq!(v, serde_json::from_slice::<Option<Value>>(&bytes).unwrap());
                }
                Err(QueryError::Base64 { param, .. }) => {
                    prop_assert_eq!(param, "p");
                    prop_assert!(STANDARD.decode(&text).is_err());
                }
                Err(QueryError::Json { .. }) => prop_assert!(STANDARD.decode(&text).is_ok()),
                Err(e) => prop_assert!(false, "unexpected error {e}"),
            }
            let encoded = STANDARD.encode(&payload);
            let got = decode_json_param::<Value>("p", Some(&encoded));
            match serde_json::from_slice::<Option<Value>>(&payload) {
                Ok(v) => prop_assert_eq!(got.unwrap(), if payload.is_empty() { None } else { v }),
                Err(_) if payload.is_empty() => prop_assert!(got.unwrap().is_none()),
                Err(_) => prop_assert!(matches!(got, Err(QueryError::Json { .. })), "{got:?}"),
            }
            // Unpadded base64 of a payload that needs padding is not the standard encoding.
            let unpadded = encoded.trim_end_matches('=');
            if unpadded.len() != encoded.len() {
                let got = decode_json_param::<Value>("p", Some(unpadded));
                prop_assert!(matches!(got, Err(QueryError::Base64 { .. })), "{got:?}");
            }
        }

        /// A request travels through its query string and back unchanged: fields → pairs →
        /// query string → pairs → request.
        #[test]
        fn requests_round_trip_through_the_query(
            name in tricky(),
            repository in prop::option::of(prop::collection::btree_map(tricky(), tricky(), 0..3)),
            identity in prop::option::of(prop::collection::btree_map(tricky(), tricky(), 0..3)),
        ) {
            let request = PropRequest { name, repository, identity };
            let pairs = request_to_query(&PROP_ROUTE, &request).unwrap();
            let query = encode_query(pairs.iter().map(|(k, v)| (*k, v.as_str())));
            let back: PropRequest = request_from_query(&PROP_ROUTE, &decode_query(&query).unwrap()).unwrap();
            prop_assert_eq!(back, request);
        }

        /// Arbitrary pairs never panic the request decoder; what it accepts has the text
        /// parameter verbatim.
        #[test]
        fn arbitrary_pairs_make_a_request_or_an_error(
            pairs in prop::collection::vec(
                (prop::sample::select(vec!["name", "repository", "identity", "x"]).prop_map(str::to_owned),
                 prop_oneof![tricky(), ".{0,8}".prop_map(|s| STANDARD.encode(s))]),
                0..5,
            )
        ) {
            if let Ok(r) = request_from_query::<PropRequest>(&PROP_ROUTE, &pairs) {
                let first = pairs.iter().find(|(k, _)| k == "name").map_or("", |(_, v)| v.as_str());
                prop_assert_eq!(r.name.as_str(), first);
            }
        }
    }
}
