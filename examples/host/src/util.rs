//! What every scenario uses: numbered steps, specs from JSON, hex, reading a blob, registering
//! the plugin directory and checking the plugins a scenario needs are there.

use std::path::Path;

use anyhow::{Result, ensure};
use ocm_plugin_manager::{PluginManager, RegistrationOptions};
use ocm_plugin_types::{Location, Raw};

/// Prints the next numbered step.
pub(crate) fn step(n: &mut u32, what: &str) {
    *n += 1;
    println!("[{n:>2}] {what}");
}

/// A spec or access from JSON.
pub(crate) fn raw(v: serde_json::Value) -> Result<Raw> {
    Ok(Raw::new(v)?)
}

/// Lower-case hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The bytes of a blob a plugin handed over (the manager takes ownership and deletes it).
pub(crate) async fn read(manager: &PluginManager, location: &Location) -> Result<Vec<u8>> {
    let mut blob = manager.blob(location)?;
    Ok(blob.read_to_vec().await?)
}

/// A manager with every plugin of `plugins` registered; fails unless each of `needed`
/// registered, and prints their outcomes.
pub(crate) async fn register_needing(plugins: &Path, needed: &[&str]) -> Result<PluginManager> {
    let manager = PluginManager::new()?;
    let report = manager
        .register_plugins(plugins, RegistrationOptions::default())
        .await?;
    for id in needed {
        let candidate = report.candidates.iter().find(|c| c.id == *id);
        let outcome = candidate.map(|c| c.outcome.to_string()).unwrap_or_default();
        ensure!(outcome.starts_with("registered"), "{id}: {outcome}");
        println!("     {id:<24} {outcome}");
    }
    Ok(manager)
}
