//! Credentials in both wire forms: the flat string map of v0.0.1 to v0.0.15 and the typed object
//! `{"type":"Credentials/v1","properties":{...}}` of v0.0.16 and later (spec §4.8, §10.4).

use std::{
    collections::BTreeMap,
    fmt,
    ops::{Deref, DerefMut},
};

use serde::{Deserialize, Deserializer, Serialize, Serializer, de};
use serde_json::Value;

/// The type Go managers give credentials that a host passed as a flat map.
pub const DIRECT_CREDENTIALS: &str = "Credentials/v1";

/// Names Go accepts for [`DIRECT_CREDENTIALS`].
pub const DIRECT_CREDENTIALS_ALIASES: [&str; 3] =
    ["DirectCredentials/v1", "Credentials", "DirectCredentials"];

/// Credentials, as hosts hand them to the manager and plugins receive them: string properties
/// and, when they came typed, their type.
///
/// One value covers both generations of the protocol. It dereferences to its properties, so
/// `credentials.get("username")` works whatever form it came in; the form only matters on the
/// wire:
///
/// * [`to_flat_json`](Self::to_flat_json): `{"password":"p","username":"u"}`, what v0.0.1-format
///   plugins read;
/// * [`to_typed_json`](Self::to_typed_json): `{"type":"Credentials/v1","properties":{...}}` for
///   untyped credentials (the Go manager's wrapping, type first) or the canonical
///   `{"properties":{...},"type":"<type>"}` for typed ones, what current plugins read.
///
/// Both are `{}` when there are no credentials at all. Decoding ([`Deserialize`]) accepts a flat
/// map, `null`, and a typed object whose `properties` are strings (or `null`).
///
/// Debug output never shows values: credentials must not reach a log.
///
/// ```
/// use ocm_plugin_types::Credentials;
///
/// let flat: Credentials = [("username", "u"), ("password", "p")].into();
/// assert_eq!(flat.to_flat_json(), r#"{"password":"p","username":"u"}"#);
/// assert_eq!(
///     flat.to_typed_json(),
///     r#"{"type":"Credentials/v1","properties":{"password":"p","username":"u"}}"#
/// );
///
/// let typed: Credentials =
///     serde_json::from_str(r#"{"type":"RSACredentials/v1","properties":{"privateKeyPEMFile":"/k"}}"#)?;
/// assert_eq!(typed.credential_type(), Some("RSACredentials/v1"));
/// assert_eq!(typed["privateKeyPEMFile"], "/k");
/// assert_eq!(typed.to_typed_json(), r#"{"properties":{"privateKeyPEMFile":"/k"},"type":"RSACredentials/v1"}"#);
/// assert_eq!(Credentials::new().to_typed_json(), "{}");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Credentials {
    typ: Option<String>,
    properties: BTreeMap<String, String>,
}

impl Credentials {
    /// No credentials.
    pub fn new() -> Self {
        Self::default()
    }

    /// Typed credentials, e.g. `Credentials/v1` or `RSACredentials/v1`.
    pub fn typed(
        typ: impl Into<String>,
        properties: impl IntoIterator<Item = (impl Into<String>, impl Into<String>)>,
    ) -> Self {
        Self {
            typ: Some(typ.into()),
            properties: properties
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }

    /// The type, if the credentials came typed.
    pub fn credential_type(&self) -> Option<&str> {
        self.typ.as_deref()
    }

    /// `true` for the direct credentials type or one of its aliases (or untyped credentials).
    pub fn is_direct(&self) -> bool {
        self.typ
            .as_deref()
            .is_none_or(|t| t == DIRECT_CREDENTIALS || DIRECT_CREDENTIALS_ALIASES.contains(&t))
    }

    /// The properties.
    pub fn properties(&self) -> &BTreeMap<String, String> {
        &self.properties
    }

    /// The properties, without the type.
    pub fn into_properties(self) -> BTreeMap<String, String> {
        self.properties
    }

    /// `true` when there is no type and no property: nothing to send (`{}` in either form).
    pub fn is_none(&self) -> bool {
        self.typ.is_none() && self.properties.is_empty()
    }

    /// The v0.0.1 wire form: the properties as a JSON object with sorted keys.
    pub fn to_flat_json(&self) -> String {
        // A map of strings always serialises.
        header_safe(serde_json::to_string(&self.properties).unwrap_or_else(|_| "{}".to_owned()))
    }

    /// The v0.0.16+ wire form. `{}` when [`is_none`](Self::is_none).
    pub fn to_typed_json(&self) -> String {
        if self.is_none() {
            return "{}".to_owned();
        }
        let properties = self.to_flat_json();
        let typ = header_safe(
            serde_json::to_string(self.typ.as_deref().unwrap_or(DIRECT_CREDENTIALS))
                .unwrap_or_default(),
        );
        match self.typ {
            // What a Go manager sends for credentials a host gave as a flat map.
            None => format!(r#"{{"type":{typ},"properties":{properties}}}"#),
            // Typed credentials travel canonicalised, keys sorted.
            Some(_) => format!(r#"{{"properties":{properties},"type":{typ}}}"#),
        }
    }

    /// Decodes either wire form; the error is the flat-map decode error, which is what Go
    /// plugins report for an `Authorization` value they cannot read.
    pub fn from_json(value: &[u8]) -> Result<Self, serde_json::Error> {
        // The flat form straight from the bytes, so its error carries the position.
        match serde_json::from_slice::<Option<BTreeMap<String, String>>>(value) {
            Ok(flat) => Ok(flat.unwrap_or_default().into()),
            Err(flat) => {
                let value: Value = serde_json::from_slice(value)?;
                Self::typed_from_value(&value).ok_or(flat)
            }
        }
    }

    /// The typed form: `properties` must be present (an arbitrary object is not empty
    /// credentials) and strings or `null`; `type` may be missing; other keys are ignored.
    fn typed_from_value(value: &Value) -> Option<Self> {
        let o = value.as_object()?;
        let properties = match o.get("properties")? {
            Value::Null => BTreeMap::new(),
            p => serde_json::from_value(p.clone()).ok()?,
        };
        let typ = match o.get("type") {
            None | Some(Value::Null) => None,
            Some(Value::String(t)) => Some(t.clone()),
            Some(_) => return None,
        };
        Some(Self { typ, properties })
    }
}

/// The wire forms travel in an HTTP header, which may not carry DEL (U+007F). serde_json escapes
/// every other control character but writes DEL raw; escaping it gives JSON that every reader
/// decodes to the same string. (In JSON text DEL can only occur inside a string.)
fn header_safe(json: String) -> String {
    if json.contains('\u{7f}') {
        json.replace('\u{7f}', "\\u007f")
    } else {
        json
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let keys: Vec<&String> = self.properties.keys().collect();
        f.debug_struct("Credentials")
            .field("type", &self.typ)
            .field("properties", &keys)
            .finish_non_exhaustive()
    }
}

impl Deref for Credentials {
    type Target = BTreeMap<String, String>;
    fn deref(&self) -> &Self::Target {
        &self.properties
    }
}

impl DerefMut for Credentials {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.properties
    }
}

impl From<BTreeMap<String, String>> for Credentials {
    fn from(properties: BTreeMap<String, String>) -> Self {
        Self {
            typ: None,
            properties,
        }
    }
}

impl<K: Into<String>, V: Into<String>, const N: usize> From<[(K, V); N]> for Credentials {
    fn from(pairs: [(K, V); N]) -> Self {
        pairs.into_iter().collect()
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for Credentials {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        Self {
            typ: None,
            properties: iter
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }
}

/// Serialises as the wire form it came in: flat for untyped credentials, typed otherwise.
impl Serialize for Credentials {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match &self.typ {
            None => self.properties.serialize(s),
            Some(typ) => {
                #[derive(Serialize)]
                struct Typed<'a> {
                    properties: &'a BTreeMap<String, String>,
                    #[serde(rename = "type")]
                    typ: &'a str,
                }
                Typed {
                    properties: &self.properties,
                    typ,
                }
                .serialize(s)
            }
        }
    }
}

impl<'de> Deserialize<'de> for Credentials {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(d)?;
        let flat = match serde_json::from_value::<Option<BTreeMap<String, String>>>(value.clone()) {
            Ok(flat) => return Ok(flat.unwrap_or_default().into()),
            Err(e) => e,
        };
        Self::typed_from_value(&value).ok_or_else(|| de::Error::custom(flat))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_forms() {
        let none = Credentials::new();
        assert_eq!(
            (none.to_flat_json(), none.to_typed_json()),
            ("{}".into(), "{}".into())
        );
        let flat: Credentials = [("username", "u"), ("password", "p")].into();
        assert_eq!(serde_json::to_string(&flat).unwrap(), flat.to_flat_json());
        let typed = Credentials::typed("Credentials/v1", [("password", "p"), ("username", "u")]);
        // Byte for byte what the v0.0.17 Go manager sends for typed credentials.
        assert_eq!(
            typed.to_typed_json(),
            r#"{"properties":{"password":"p","username":"u"},"type":"Credentials/v1"}"#
        );
        assert_eq!(
            serde_json::to_string(&typed).unwrap(),
            typed.to_typed_json()
        );
        assert_eq!(typed.to_flat_json(), flat.to_flat_json());
        assert!(typed.is_direct() && flat.is_direct());
        assert!(!Credentials::typed("RSACredentials/v1", [("a", "b")]).is_direct());
        // Escaping of odd characters survives.
        let odd: Credentials = [("k", "pä\"\u{1}")].into();
        assert_eq!(
            Credentials::from_json(odd.to_flat_json().as_bytes()).unwrap(),
            odd
        );
    }

    #[test]
    fn decoding_is_tolerant() {
        /// (wire value, type read, properties read)
        type Case = (
            &'static str,
            Option<&'static str>,
            &'static [(&'static str, &'static str)],
        );
        let ok: &[Case] = &[
            (
                r#"{"password":"p","username":"u"}"#,
                None,
                &[("password", "p"), ("username", "u")],
            ),
            ("{}", None, &[]),
            ("null", None, &[]),
            (
                r#"{"properties":{"password":"p"},"type":"Credentials/v1"}"#,
                Some("Credentials/v1"),
                &[("password", "p")],
            ),
            (
                r#"{"type":"DirectCredentials","properties":{"t":"x"},"extra":1}"#,
                Some("DirectCredentials"),
                &[("t", "x")],
            ),
            (r#"{"properties":{"t":"x"}}"#, None, &[("t", "x")]),
            (
                r#"{"type":"Credentials/v1","properties":null}"#,
                Some("Credentials/v1"),
                &[],
            ),
            // A flat map that happens to have a `properties` string is flat.
            (
                r#"{"properties":"x","type":"y"}"#,
                None,
                &[("properties", "x"), ("type", "y")],
            ),
        ];
        for (json, typ, props) in ok {
            let c = Credentials::from_json(json.as_bytes()).unwrap();
            assert_eq!(c.credential_type(), *typ, "{json}");
            let want: BTreeMap<String, String> = props
                .iter()
                .map(|(k, v)| ((*k).into(), (*v).into()))
                .collect();
            assert_eq!(c.properties(), &want, "{json}");
        }
        for bad in [
            r#"{"a":1}"#,
            "[]",
            r#"{"type":1,"properties":{}}"#,
            r#"{"properties":{"a":1}}"#,
            "\"x\"",
        ] {
            assert!(Credentials::from_json(bad.as_bytes()).is_err(), "{bad}");
        }
    }

    #[test]
    fn debug_shows_no_values() {
        let c: Credentials = [("password", "hunter2")].into();
        let shown = format!("{c:?}");
        assert!(
            shown.contains("password") && !shown.contains("hunter2"),
            "{shown}"
        );
    }
}

/// Property tests: [`Credentials::from_json`] reads the `Authorization` header a plugin receives
/// (the SDK's `parse_authorization` is a thin wrapper), so any bytes must give credentials or a
/// clean error, and both wire forms must read back what they write.
#[cfg(test)]
mod props {
    use super::*;
    use proptest::prelude::*;
    use proptest::test_runner::Config;

    fn config() -> Config {
        Config {
            cases: 256,
            failure_persistence: None,
            ..Config::default()
        }
    }

    const KEYS: &[&str] = &["type", "properties", "username", "password"];

    fn arb_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            ".{0,8}".prop_map(Value::from),
        ];
        let key = prop_oneof![
            3 => prop::sample::select(KEYS).prop_map(str::to_owned),
            1 => ".{0,6}",
        ];
        leaf.prop_recursive(4, 32, 5, move |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::btree_map(key.clone(), inner, 0..5)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    fn arb_credentials() -> impl Strategy<Value = Credentials> {
        (
            proptest::option::of(prop_oneof![Just(DIRECT_CREDENTIALS.to_owned()), ".{0,12}"]),
            prop::collection::btree_map(".{0,8}", ".{0,16}", 0..5),
        )
            .prop_map(|(typ, properties)| Credentials { typ, properties })
    }

    /// What a header value can carry: visible ASCII, space, tab and obs-text (RFC 9110).
    fn fits_header(s: &str) -> bool {
        s.bytes().all(|b| b == b'\t' || (b >= 0x20 && b != 0x7f))
    }

    proptest! {
        #![proptest_config(config())]

        /// Any bytes: credentials or an error, never a panic; accepted bytes are JSON.
        #[test]
        fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..128)) {
            if Credentials::from_json(&bytes).is_ok() {
                prop_assert!(serde_json::from_slice::<Value>(&bytes).is_ok());
            }
        }

        /// Any JSON: accepted exactly when it is a flat string map, `null`, or a typed object
        /// with string (or `null`) properties and a string (or absent/`null`) type.
        #[test]
        fn arbitrary_json_follows_the_rule(v in arb_json()) {
            let got = Credentials::from_json(v.to_string().as_bytes());
            let flat = match &v {
                Value::Null => Some(BTreeMap::new()),
                Value::Object(o) => o
                    .iter()
                    .map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_owned())))
                    .collect::<Option<BTreeMap<_, _>>>(),
                _ => None,
            };
            let typed = v.as_object().and_then(|o| {
                let properties = match o.get("properties")? {
                    Value::Null => BTreeMap::new(),
                    Value::Object(p) => p
                        .iter()
                        .map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_owned())))
                        .collect::<Option<_>>()?,
                    _ => return None,
                };
                let typ = match o.get("type") {
                    None | Some(Value::Null) => None,
                    Some(Value::String(t)) => Some(t.clone()),
                    Some(_) => return None,
                };
                Some(Credentials { typ, properties })
            });
            let want = flat.map(Credentials::from).or(typed);
            prop_assert_eq!(got.ok(), want, "{}", v);
        }

        /// The flat form reads back as the same properties, untyped.
        #[test]
        fn flat_form_round_trips(c in arb_credentials()) {
            let back = Credentials::from_json(c.to_flat_json().as_bytes()).unwrap();
            prop_assert_eq!(back.credential_type(), None);
            prop_assert_eq!(back.properties(), c.properties());
        }

        /// The typed form reads back as the same credentials; untyped ones come back with the
        /// direct type a Go manager gives them, and no credentials as none.
        #[test]
        fn typed_form_round_trips(c in arb_credentials()) {
            let json = c.to_typed_json();
            let back = Credentials::from_json(json.as_bytes()).unwrap();
            let mut want = c.clone();
            if !c.is_none() && want.typ.is_none() {
                want.typ = Some(DIRECT_CREDENTIALS.to_owned());
            }
            prop_assert_eq!(&back, &want, "{}", json);
            // The serde form agrees with the wire forms.
            let serde_back: Credentials = serde_json::from_str(&serde_json::to_string(&c).unwrap()).unwrap();
            prop_assert_eq!(serde_back, c);
        }

        /// Both wire forms are always valid header values, even with DEL in a string.
        #[test]
        fn wire_forms_fit_a_header(c in arb_credentials(), del in any::<bool>()) {
            let mut c = c;
            if del {
                c.properties.insert("k\u{7f}".into(), "v\u{7f}".into());
            }
            for wire in [c.to_flat_json(), c.to_typed_json()] {
                prop_assert!(fits_header(&wire), "{}", wire);
            }
            let back = Credentials::from_json(c.to_flat_json().as_bytes()).unwrap();
            prop_assert_eq!(back.properties(), c.properties());
        }
    }
}
