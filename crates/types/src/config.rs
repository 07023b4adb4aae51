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
        // Go's time.Duration is an int64 of nanoseconds.
        Some(d) => s.serialize_u64(u64::try_from(d.as_nanos()).unwrap_or(i64::MAX as u64)),
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
