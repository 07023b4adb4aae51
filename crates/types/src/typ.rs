use std::{fmt, str::FromStr};

use serde::{Deserialize, Deserializer, Serialize, Serializer, de};

use crate::Error;

/// An OCM type: `Name` or `Name/Version`.
///
/// Serialised as a string. Decoding also accepts an object `{"type":"Name/Version"}` in place of
/// the string, as Go's decoder does. The version is not validated, like in Go.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Type {
    name: String,
    version: Option<String>,
}

impl Type {
    /// A type from its parts. Returns an error when `name` is empty, or when a part contains
    /// a `/` (the type could not be printed and parsed back).
    pub fn new(name: impl Into<String>, version: Option<&str>) -> Result<Self, Error> {
        let name = name.into();
        if name.is_empty() {
            return Err(Error::MissingTypeName(String::new()));
        }
        if name.contains('/') || version.is_some_and(|v| v.contains('/')) {
            let version = version.map(|v| format!("/{v}")).unwrap_or_default();
            return Err(Error::TooManySegments(format!("{name}{version}")));
        }
        Ok(Self {
            name,
            version: version.filter(|v| !v.is_empty()).map(str::to_owned),
        })
    }

    /// The name part (`OCIRepository` in `OCIRepository/v1`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The version part, if any (`v1` in `OCIRepository/v1`).
    pub fn version(&self) -> Option<&str> {
        self.version.as_deref()
    }
}

impl FromStr for Type {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        let mut parts = s.split('/');
        let name = parts.next().unwrap_or_default();
        let version = parts.next();
        if parts.next().is_some() {
            return Err(Error::TooManySegments(s.to_owned()));
        }
        if name.is_empty() {
            return Err(Error::MissingTypeName(s.to_owned()));
        }
        Ok(Self {
            name: name.to_owned(),
            version: version.filter(|v| !v.is_empty()).map(str::to_owned),
        })
    }
}

/// `"OCIRepository/v1".try_into()`, for APIs that take a type or its text.
impl TryFrom<&str> for Type {
    type Error = Error;

    fn try_from(s: &str) -> Result<Self, Error> {
        s.parse()
    }
}

/// As for `&str`.
impl TryFrom<String> for Type {
    type Error = Error;

    fn try_from(s: String) -> Result<Self, Error> {
        s.parse()
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.version {
            Some(v) => write!(f, "{}/{v}", self.name),
            None => f.write_str(&self.name),
        }
    }
}

impl Serialize for Type {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Type {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Wire {
            Str(String),
            Obj {
                #[serde(rename = "type")]
                typ: String,
            },
        }
        let s = match Wire::deserialize(d)? {
            Wire::Str(s) | Wire::Obj { typ: s } => s,
        };
        s.parse().map_err(de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_and_formats() {
        let t: Type = "OCIRepository/v1".parse().unwrap();
        assert_eq!((t.name(), t.version()), ("OCIRepository", Some("v1")));
        assert_eq!(t.to_string(), "OCIRepository/v1");
        let t: Type = "Dummy".parse().unwrap();
        assert_eq!((t.name(), t.version()), ("Dummy", None));
        assert_eq!(t.to_string(), "Dummy");
    }

    #[test]
    fn rejects_like_go() {
        assert_eq!(
            "a/b/c".parse::<Type>().unwrap_err().to_string(),
            r#"invalid type "a/b/c", too many segments"#
        );
        assert_eq!(
            "".parse::<Type>().unwrap_err().to_string(),
            r#"invalid type "", missing name"#
        );
        assert!("/v1".parse::<Type>().is_err());
        assert!(Type::new("", Some("v1")).is_err());
        assert!(Type::new("a/b", None).is_err());
        assert!(Type::new("a", Some("v1/x")).is_err());
    }

    #[test]
    fn serde_accepts_string_and_object() {
        let t: Type = serde_json::from_str(r#""A/v1""#).unwrap();
        assert_eq!(t.to_string(), "A/v1");
        let t: Type = serde_json::from_str(r#"{"type":"A/v1"}"#).unwrap();
        assert_eq!(t.to_string(), "A/v1");
        assert_eq!(serde_json::to_string(&t).unwrap(), r#""A/v1""#);
        assert!(serde_json::from_str::<Type>(r#""""#).is_err());
        assert!(serde_json::from_str::<Type>("1").is_err());
    }

    proptest! {
        #[test]
        fn roundtrip(name in "[A-Za-z0-9][A-Za-z0-9.]{0,20}", version in proptest::option::of("v[0-9]{1,3}")) {
            let t = Type::new(name, version.as_deref()).unwrap();
            let back: Type = t.to_string().parse().unwrap();
            prop_assert_eq!(&back, &t);
            let json = serde_json::to_string(&t).unwrap();
            let back: Type = serde_json::from_str(&json).unwrap();
            prop_assert_eq!(back, t);
        }

        #[test]
        fn parse_never_panics(s in ".{0,40}") {
            let _ = s.parse::<Type>();
        }
    }
}

/// Property tests: type strings come from plugins and configs, so parsing must never panic,
/// must follow the `name[/version]` rule exactly, and must read back what it prints.
#[cfg(test)]
mod props {
    use super::*;
    use proptest::prelude::*;
    use proptest::test_runner::Config;
    use serde_json::Value;

    fn config() -> Config {
        Config {
            cases: 256,
            failure_persistence: None,
            ..Config::default()
        }
    }

    /// Arbitrary strings, with slashes frequent enough to reach every branch.
    fn arb_type_str() -> impl Strategy<Value = String> {
        prop_oneof![
            ".{0,40}",
            "[a/]{0,6}",
            "[^/]{0,8}(/[^/]{0,8}){0,3}",
            prop::collection::vec(any::<u8>(), 0..32)
                .prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
        ]
    }

    proptest! {
        #![proptest_config(config())]

        /// `FromStr` accepts exactly `name` and `name/version` with a non-empty name, and the
        /// Display of what it accepts parses back to the same type.
        #[test]
        fn parse_follows_the_rule(s in arb_type_str()) {
            let parts: Vec<&str> = s.split('/').collect();
            let valid = parts.len() <= 2 && !parts[0].is_empty();
            match s.parse::<Type>() {
                Ok(t) => {
                    prop_assert!(valid, "accepted {s:?}");
                    prop_assert_eq!(t.name(), parts[0]);
                    prop_assert_eq!(t.version(), parts.get(1).copied().filter(|v| !v.is_empty()));
                    let shown = t.to_string();
                    // Only an empty version (`A/`) is not printed back.
                    prop_assert!(shown == s || format!("{shown}/") == s, "{s:?} -> {shown:?}");
                    prop_assert_eq!(shown.parse::<Type>().unwrap(), t);
                }
                Err(e) => {
                    prop_assert!(!valid, "rejected {s:?}: {e}");
                    let too_many = matches!(e, Error::TooManySegments(_));
                    prop_assert_eq!(too_many, parts.len() > 2);
                }
            }
        }

        /// Decoding from JSON, as a string or as `{"type": ...}`, agrees with `FromStr`, and
        /// other JSON shapes are errors.
        #[test]
        fn serde_agrees_with_from_str(s in arb_type_str(), n in any::<i64>(), b in any::<bool>()) {
            let want = s.parse::<Type>().ok();
            let from_str: Option<Type> = serde_json::from_value(Value::from(s.clone())).ok();
            prop_assert_eq!(&from_str, &want);
            let from_obj: Option<Type> =
                serde_json::from_value(serde_json::json!({ "type": s })).ok();
            prop_assert_eq!(&from_obj, &want);
            if let Some(t) = want {
                let json = serde_json::to_string(&t).unwrap();
                prop_assert_eq!(serde_json::from_str::<Type>(&json).unwrap(), t);
            }
            for other in [Value::from(n), Value::from(b), Value::Null, serde_json::json!([s])] {
                prop_assert!(serde_json::from_value::<Type>(other).is_err());
            }
        }

        /// `Type::new` gives only types whose Display parses back to them.
        #[test]
        fn new_gives_printable_types(name in arb_type_str(), version in proptest::option::of(arb_type_str())) {
            if let Ok(t) = Type::new(name.clone(), version.as_deref()) {
                prop_assert_eq!(t.name(), name.as_str());
                prop_assert_eq!(t.to_string().parse::<Type>().unwrap(), t);
            }
        }
    }
}
