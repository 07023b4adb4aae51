use std::time::Duration;

use ocm_plugin_runtime::SupervisorConfig;
use ocm_plugin_types::{ConnectionType, PluginConfig, Raw};

use crate::{CapabilityCache, Trust};

/// How [`PluginManager::register_plugins`](crate::PluginManager::register_plugins) treats a
/// directory.
#[derive(Debug, Clone)]
pub struct RegistrationOptions {
    /// Idle time after which a plugin stops itself; it is restarted on the next use.
    /// `None` lets the plugin choose (Go plugins: 1 h). Default: 1 h, as the Go manager sends.
    pub idle_timeout: Option<Duration>,
    /// Configuration entries offered to plugins (the `configurations` of a
    /// `generic.config.ocm.software/v1` document; see [`flatten_generic_config`]). `None`: no
    /// configuration, and plugins that declare config types get a warning in the report. `Some`:
    /// a plugin that declares config types and matches none of them is rejected, as in Go.
    pub configuration: Option<Vec<Raw>>,
    /// Deadline for one `capabilities` run.
    pub capabilities_timeout: Duration,
    /// Deadline from spawn to a healthy plugin.
    pub start_timeout: Duration,
    /// How long a plugin may take to exit after SIGTERM before it is killed.
    pub stop_grace: Duration,
    /// Deadline for one call's answer. Default 15 min (our SDK gives up on a request at 10).
    pub call_timeout: Duration,
    /// Failed starts or early crashes in a row after which a plugin is refused fast for a
    /// cool-down instead of being spawned again. Default 3.
    pub restart_limit: u32,
    /// First cool-down; it doubles with each further failure, up to a minute. Default 1 s.
    pub restart_cooldown: Duration,
    /// The transport. `None` (the default): Unix domain sockets, after checking that they work;
    /// if they do not, registration fails with
    /// [`Error::UnixSocketsUnavailable`](crate::Error::UnixSocketsUnavailable), saying why.
    /// The manager never switches to TCP on its own, since any local user can connect to a
    /// loopback port. With `Some(Tcp)`, each launch gets a secret that plugins built with our
    /// SDK require on every request; Go plugins on TCP accept anyone.
    pub connection: Option<ConnectionType>,
    /// Where the capabilities of probed plugins are kept, so that an unchanged binary is not
    /// spawned again. Default: the user's cache directory.
    pub cache: CapabilityCache,
    /// Most `capabilities` probes running at once. Default: twice the number of cores, at
    /// least 4 and at most 32.
    pub probe_concurrency: usize,
    /// Which binaries may run, checked against a lock file (see [`Trust`]). Default: the plugin
    /// directory's `ocm-plugins.lock` when it has one. Whatever this says, binaries that other
    /// users could change are refused.
    pub trust: Trust,
    /// With a lock file, register plugins it does not list (with a warning in the report)
    /// instead of rejecting them. Default: `false`.
    pub allow_unlisted: bool,
}

impl Default for RegistrationOptions {
    fn default() -> Self {
        Self {
            idle_timeout: Some(Duration::from_secs(3600)),
            configuration: None,
            capabilities_timeout: Duration::from_secs(10),
            start_timeout: Duration::from_secs(30),
            stop_grace: Duration::from_secs(5),
            call_timeout: SupervisorConfig::DEFAULT_CALL_TIMEOUT,
            restart_limit: SupervisorConfig::DEFAULT_RESTART_LIMIT,
            restart_cooldown: SupervisorConfig::DEFAULT_RESTART_COOLDOWN,
            connection: None,
            cache: CapabilityCache::default(),
            probe_concurrency: std::thread::available_parallelism()
                .map_or(4, |n| n.get() * 2)
                .clamp(4, 32),
            trust: Trust::default(),
            allow_unlisted: false,
        }
    }
}

impl RegistrationOptions {
    /// How to run one plugin under these options.
    pub(crate) fn supervisor_config(
        &self,
        plugin_id: String,
        path: std::path::PathBuf,
        config: PluginConfig,
    ) -> SupervisorConfig {
        let mut sup = SupervisorConfig::new(plugin_id, path, config);
        sup.start_timeout = self.start_timeout;
        sup.stop_grace = self.stop_grace;
        sup.call_timeout = self.call_timeout;
        sup.restart_limit = self.restart_limit;
        sup.restart_cooldown = self.restart_cooldown;
        sup
    }
}

/// The configuration entries of a config document: a `generic.config.ocm.software/v1` document
/// yields its `configurations` (nested generic documents are flattened); any other typed object
/// is one entry.
pub fn flatten_generic_config(document: &Raw) -> Vec<Raw> {
    let is_generic = document
        .type_()
        .is_some_and(|t| t.name() == "generic.config.ocm.software");
    if !is_generic {
        return vec![document.clone()];
    }
    document
        .get("configurations")
        .and_then(|v| v.as_array())
        .into_iter()
        .flatten()
        .filter_map(|v| Raw::new(v.clone()).ok())
        .flat_map(|entry| flatten_generic_config(&entry))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flattens_nested_generic_configs() {
        let doc = Raw::from_json(
            r#"{"type":"generic.config.ocm.software/v1","configurations":[{"type":"custom.config/v1","maximumNumberOfPotatoes":"100"},{"type":"generic.config.ocm.software/v1","configurations":[{"type":"other/v1"}]}]}"#,
        )
        .unwrap();
        let entries = flatten_generic_config(&doc);
        let types: Vec<String> = entries
            .iter()
            .map(|e| e.type_().unwrap().to_string())
            .collect();
        assert_eq!(types, ["custom.config/v1", "other/v1"]);
        let single = Raw::from_json(r#"{"type":"custom.config/v1"}"#).unwrap();
        assert_eq!(flatten_generic_config(&single).len(), 1);
    }
}
