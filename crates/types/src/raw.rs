use serde::{Deserialize, Deserializer, Serialize, Serializer, de};
use serde_json::{Map, Value};

use crate::{Error, Type};

/// A typed JSON object of any shape (a repository spec, an access, a config entry), kept whole.
///
/// Like Go's `runtime.Raw`, decoding canonicalises the object: keys are sorted at every level, so
/// re-encoding is deterministic. The `type` field is parsed once; a missing `type` is allowed, a
/// malformed one is an error.
#[derive(Debug, Clone, PartialEq)]
pub struct Raw {
    typ: Option<Type>,
    object: Map<String, Value>,
}

impl Raw {
    /// Wraps a JSON value, which must be an object.
    pub fn new(value: Value) -> Result<Self, Error> {
        let Value::Object(object) = canonicalise(value) else {
            return Err(Error::NotAnObject("a non-object value"));
        };
        let typ = match object.get("type") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s.is_empty() => None,
            Some(v) => Some(serde_json::from_value::<Type>(v.clone())?),
        };
        Ok(Self { typ, object })
    }

    /// Parses a typed object from JSON text.
    pub fn from_json(text: &str) -> Result<Self, Error> {
        Self::new(serde_json::from_str(text)?)
    }

    /// The object's declared type, if it has one.
    pub fn type_(&self) -> Option<&Type> {
        self.typ.as_ref()
    }

    /// The whole object, `type` included.
    pub fn as_object(&self) -> &Map<String, Value> {
        &self.object
    }

    /// A field of the object.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.object.get(key)
    }

    /// The object as a JSON value.
    pub fn to_value(&self) -> Value {
        Value::Object(self.object.clone())
    }

    /// Decodes the object into a concrete type.
    pub fn decode<T: serde::de::DeserializeOwned>(&self) -> Result<T, Error> {
        Ok(serde_json::from_value(self.to_value())?)
    }

    /// Compact canonical JSON text of the object.
    pub fn to_json(&self) -> String {
        // Serialising a map of JSON values cannot fail.
        serde_json::to_string(&self.object).unwrap_or_default()
    }
}

/// Sorts object keys at every level. serde_json's default map is already sorted, but this keeps
/// the guarantee even if another crate enables `preserve_order` in the build.
fn canonicalise(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(String, Value)> = map.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k, canonicalise(v)))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.into_iter().map(canonicalise).collect()),
        other => other,
    }
}

impl Serialize for Raw {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.object.serialize(s)
    }
}

impl<'de> Deserialize<'de> for Raw {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(d)?;
        let kind = match &value {
            Value::Object(_) => None,
            Value::Null => Some("null"),
            Value::Bool(_) => Some("a boolean"),
            Value::Number(_) => Some("a number"),
            Value::String(_) => Some("a string"),
            Value::Array(_) => Some("an array"),
        };
        if let Some(kind) = kind {
            return Err(de::Error::custom(Error::NotAnObject(kind)));
        }
        Self::new(value).map_err(de::Error::custom)
    }
}

impl TryFrom<Value> for Raw {
    type Error = Error;
    fn try_from(value: Value) -> Result<Self, Error> {
        Self::new(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn sorts_keys_recursively() {
        let raw =
            Raw::from_json(r#"{"z":1,"type":"A/v1","a":{"y":[{"b":1,"a":2}],"x":null}}"#).unwrap();
        assert_eq!(
            raw.to_json(),
            r#"{"a":{"x":null,"y":[{"a":2,"b":1}]},"type":"A/v1","z":1}"#
        );
        assert_eq!(raw.type_().unwrap().to_string(), "A/v1");
    }

    #[test]
    fn missing_type_is_fine_malformed_is_not() {
        let raw = Raw::from_json(r#"{"maximumNumberOfPotatoes":"100"}"#).unwrap();
        assert!(raw.type_().is_none());
        assert!(Raw::from_json(r#"{"type":"a/b/c"}"#).is_err());
        assert!(Raw::from_json("[]").is_err());
        assert!(serde_json::from_str::<Raw>("null").is_err());
    }

    proptest! {
        #[test]
        fn roundtrip_is_stable(keys in proptest::collection::btree_map("[a-z]{1,6}", any::<i32>(), 0..6)) {
            let value = serde_json::to_value(&keys).unwrap();
            let raw = Raw::new(value).unwrap();
            let text = raw.to_json();
            let again: Raw = serde_json::from_str(&text).unwrap();
            prop_assert_eq!(again.to_json(), text);
        }
    }
}
