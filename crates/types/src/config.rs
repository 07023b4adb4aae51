use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize, Serializer, de};

use crate::Raw;

/// The JSON a manager passes to a plugin as `--config <json>` (spec §3.2).
///
/// Field order and encodings match the Go manager: `idleTimeout` is integer nanoseconds and
/// `configTypes` holds the filtered configuration entries verbatim.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PluginConfig {
    /// Instance id. A Go plugin derives its socket path from it.
    #[serde(default)]
    pub id: String,
    /// Transport the plugin must listen on.
    #[serde(rename = "type")]
    pub connection: ConnectionType,
    /// The capability key the plugin is started for (the Go manager leaves it empty).
    #[serde(rename = "pluginType", default)]
    pub plugin_type: String,
    /// Idle time after which the plugin stops itself; `None` means the plugin's default.
    #[serde(
        rename = "idleTimeout",
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "ser_nanos",
        deserialize_with = "de_nanos"
    )]
    pub idle_timeout: Option<Duration>,
    /// Configuration entries whose types the plugin declared.
    #[serde(
        rename = "configTypes",
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_empty"
    )]
    pub config_types: Vec<Raw>,
}

/// Transport of a plugin's HTTP server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ConnectionType {
    /// A Unix domain socket.
    Unix,
    /// TCP on loopback.
    Tcp,
}

fn ser_nanos<S: Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        // Go's time.Duration is an int64 of nanoseconds: longer durations are clamped to its
        // maximum (about 292 years), which a Go plugin can still read.
        Some(d) => s.serialize_i64(i64::try_from(d.as_nanos()).unwrap_or(i64::MAX)),
        None => s.serialize_none(),
    }
}

fn de_nanos<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
    // Tolerant: accept an integral float too, which Go would reject.
    let v = Option::<serde_json::Number>::deserialize(d)?;
    let Some(n) = v else { return Ok(None) };
    if let Some(ns) = n.as_u64() {
        return Ok(Some(Duration::from_nanos(ns)));
    }
    match n.as_f64() {
        Some(f) if f >= 0.0 && f.fract() == 0.0 && f < u64::MAX as f64 => {
            Ok(Some(Duration::from_nanos(f as u64)))
        }
        _ => Err(de::Error::custom(format!(
            "idleTimeout must be a non-negative integer number of nanoseconds, got {n}"
        ))),
    }
}

fn null_as_empty<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Raw>, D::Error> {
    Ok(Option::<Vec<Raw>>::deserialize(d)?.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_like_the_go_manager() {
        let c = PluginConfig {
            id: "test-plugin-component-version".into(),
            connection: ConnectionType::Unix,
            plugin_type: String::new(),
            idle_timeout: Some(Duration::from_secs(3600)),
            config_types: vec![Raw::from_json(r#"{"maximumNumberOfPotatoes":"100"}"#).unwrap()],
        };
        assert_eq!(
            serde_json::to_string(&c).unwrap(),
            r#"{"id":"test-plugin-component-version","type":"unix","pluginType":"","idleTimeout":3600000000000,"configTypes":[{"maximumNumberOfPotatoes":"100"}]}"#
        );
    }

    #[test]
    fn decodes_tolerantly() {
        let c: PluginConfig = serde_json::from_str(
            r#"{"id":"x","type":"tcp","idleTimeout":1.5e9,"configTypes":null,"extra":true}"#,
        )
        .unwrap();
        assert_eq!(c.idle_timeout, Some(Duration::from_millis(1500)));
        assert_eq!(c.connection, ConnectionType::Tcp);
        assert!(c.config_types.is_empty());
        assert!(serde_json::from_str::<PluginConfig>(r#"{"id":"x","type":"pipe"}"#).is_err());
        assert!(
            serde_json::from_str::<PluginConfig>(r#"{"id":"x","type":"unix","idleTimeout":-1}"#)
                .is_err()
        );
        assert!(
            serde_json::from_str::<PluginConfig>(r#"{"id":"x","type":"unix","idleTimeout":"1h"}"#)
                .is_err()
        );
    }
}

/// Property tests: `--config` is read from the command line of a plugin, so any JSON must give
/// a config or an error, never a panic; `idleTimeout` follows one exact rule.
#[cfg(test)]
mod props {
    use super::*;
    use proptest::prelude::*;
    use proptest::test_runner::Config;
    use serde_json::{Value, json};

    fn config() -> Config {
        Config {
            cases: 256,
            failure_persistence: None,
            ..Config::default()
        }
    }

    const KEYS: &[&str] = &["id", "type", "pluginType", "idleTimeout", "configTypes"];
    const STRINGS: &[&str] = &["unix", "tcp", "UNIX", "", "A/v1", "a/b/c"];

    /// Arbitrary JSON trees of bounded depth, biased towards the config's keys and values.
    fn arb_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>().prop_filter_map("finite", |f| {
                serde_json::Number::from_f64(f).map(Value::Number)
            }),
            prop_oneof![
                prop::sample::select(STRINGS).prop_map(str::to_owned),
                ".{0,8}"
            ]
            .prop_map(Value::from),
        ];
        let key = prop_oneof![
            3 => prop::sample::select(KEYS).prop_map(str::to_owned),
            1 => ".{0,6}",
        ];
        leaf.prop_recursive(4, 48, 6, move |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
                prop::collection::btree_map(key.clone(), inner, 0..6)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    /// Typed config entries with integer and string leaves (floats need not survive text).
    fn arb_raw() -> impl Strategy<Value = Raw> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<i64>().prop_map(Value::from),
            ".{0,8}".prop_map(Value::from),
        ];
        let value = leaf.prop_recursive(3, 16, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::btree_map(".{0,6}", inner, 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        });
        (
            prop::collection::btree_map("[a-z]{1,6}", value, 0..4),
            proptest::option::of("[A-Za-z]{1,8}(/v[0-9])?"),
        )
            .prop_map(|(m, typ)| {
                let mut obj: serde_json::Map<String, Value> = m.into_iter().collect();
                if let Some(t) = typ {
                    obj.insert("type".into(), t.into());
                }
                Raw::new(Value::Object(obj)).unwrap()
            })
    }

    fn arb_config() -> impl Strategy<Value = PluginConfig> {
        (
            ".{0,16}",
            prop_oneof![Just(ConnectionType::Unix), Just(ConnectionType::Tcp)],
            ".{0,8}",
            proptest::option::of(0..=i64::MAX as u64),
            prop::collection::vec(arb_raw(), 0..3),
        )
            .prop_map(
                |(id, connection, plugin_type, nanos, config_types)| PluginConfig {
                    id,
                    connection,
                    plugin_type,
                    idle_timeout: nanos.map(Duration::from_nanos),
                    config_types,
                },
            )
    }

    /// An `idleTimeout` value, and what decoding it must give: `Some(nanos)` or an error.
    fn arb_idle_timeout() -> impl Strategy<Value = (String, Result<Option<u64>, ()>)> {
        prop_oneof![
            any::<u64>().prop_map(|n| (n.to_string(), Ok(Some(n)))),
            (i64::MIN..0).prop_map(|n| (n.to_string(), Err(()))),
            // Floats `<m>e<e>`, small enough that every parser rounds them the same way.
            (any::<i32>(), -8..=22i32).prop_map(|(m, e)| {
                let text = format!("{m}e{e}");
                let f: f64 = text.parse().unwrap();
                let want = if f >= 0.0 && f.fract() == 0.0 && f < u64::MAX as f64 {
                    Ok(Some(f as u64))
                } else {
                    Err(())
                };
                (text, want)
            }),
            Just(("null".to_owned(), Ok(None))),
            Just(("-0".to_owned(), Ok(Some(0)))),
            Just(("18446744073709551616".to_owned(), Err(()))),
            Just(("1e400".to_owned(), Err(()))),
            Just(("-1e400".to_owned(), Err(()))),
            Just(("0.5".to_owned(), Err(()))),
            Just(("true".to_owned(), Err(()))),
            Just(("[1]".to_owned(), Err(()))),
            Just((r#"{"ns":1}"#.to_owned(), Err(()))),
            ".{0,8}".prop_map(|s| (Value::from(s).to_string(), Err(()))),
        ]
    }

    proptest! {
        #![proptest_config(config())]

        /// Any text: no panic; what is accepted is a JSON object with a known transport.
        #[test]
        fn arbitrary_text_never_panics(s in ".{0,96}") {
            if let Ok(c) = serde_json::from_str::<PluginConfig>(&s) {
                let v: Value = serde_json::from_str(&s).unwrap();
                prop_assert_eq!(&v["type"], &serde_json::to_value(c.connection).unwrap());
            }
        }

        /// Any JSON tree: no panic; an accepted config re-encodes to one that decodes the same.
        #[test]
        fn arbitrary_json_never_panics(v in arb_json()) {
            let Ok(c) = serde_json::from_value::<PluginConfig>(v.clone()) else {
                return Ok(());
            };
            // serde's derive also reads a struct from an array of its fields in order
            // (`["id","unix"]`); Go would reject that, we tolerate it like unknown fields.
            let typ = match &v {
                Value::Array(a) => a.get(1),
                v => v.get("type"),
            };
            prop_assert!(matches!(typ.and_then(Value::as_str), Some("unix" | "tcp")), "{}", v);
            let text = serde_json::to_string(&c).unwrap();
            let back: PluginConfig = serde_json::from_str(&text).unwrap();
            prop_assert_eq!(&back.id, &c.id);
            prop_assert_eq!(back.connection, c.connection);
            prop_assert_eq!(&back.plugin_type, &c.plugin_type);
            // Decoding tolerates more than an int64 of nanoseconds; encoding clamps for Go.
            let max = Duration::from_nanos(i64::MAX as u64);
            prop_assert_eq!(back.idle_timeout, c.idle_timeout.map(|d| d.min(max)));
            // Entries compared by type: their float leaves need not survive text exactly.
            let types = |c: &PluginConfig| c.config_types.iter().map(|r| r.type_().cloned()).collect::<Vec<_>>();
            prop_assert_eq!(types(&back), types(&c));
        }

        /// Every `idleTimeout` encoding gives exactly its duration or an error.
        #[test]
        fn idle_timeout_edges((text, want) in arb_idle_timeout()) {
            let doc = format!(r#"{{"id":"x","type":"unix","idleTimeout":{text}}}"#);
            let got = serde_json::from_str::<PluginConfig>(&doc)
                .map(|c| c.idle_timeout.map(|d| u64::try_from(d.as_nanos()).unwrap()))
                .map_err(|_| ());
            prop_assert_eq!(got, want, "{}", doc);
        }

        /// Valid configs round trip through the `--config` JSON.
        #[test]
        fn valid_configs_round_trip(c in arb_config()) {
            let text = serde_json::to_string(&c).unwrap();
            let back: PluginConfig = serde_json::from_str(&text).unwrap();
            prop_assert_eq!(back, c);
        }

        /// Go reads `idleTimeout` into an int64: whatever the duration, the encoding fits.
        #[test]
        fn idle_timeout_encodes_as_int64(
            secs in prop_oneof![any::<u64>(), 0..40_000_000_000u64],
            nanos in 0..1_000_000_000u32,
        ) {
            let d = Duration::new(secs, nanos);
            let c = PluginConfig {
                id: String::new(),
                connection: ConnectionType::Unix,
                plugin_type: String::new(),
                idle_timeout: Some(d),
                config_types: Vec::new(),
            };
            let v = serde_json::to_value(&c).unwrap();
            let n = v["idleTimeout"].as_i64();
            prop_assert!(n.is_some(), "{}", v);
            let want = i64::try_from(d.as_nanos()).unwrap_or(i64::MAX);
            prop_assert_eq!(n, Some(want));
        }
    }

    #[test]
    fn idle_timeout_examples() {
        for bad in [
            json!(-1),
            json!(1.5),
            json!("1h"),
            json!(f64::MAX),
            json!(-0.5),
        ] {
            let v = json!({"type": "unix", "idleTimeout": bad});
            assert!(serde_json::from_value::<PluginConfig>(v).is_err(), "{bad}");
        }
    }
}
