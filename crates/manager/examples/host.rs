//! A host: store a component version through whatever plugin serves `Memory/v1`, read it back.
use std::process::ExitCode;

use ocm_plugin_manager::contracts::component_version_repository::v1::*;
use ocm_plugin_manager::types::{Credentials, Descriptor, Raw};
use ocm_plugin_manager::{PluginManager, RegistrationOptions};

async fn run(plugins: &str) -> Result<(), Box<dyn std::error::Error>> {
    let manager = PluginManager::new()?;
    let report = manager
        .register_plugins(plugins, RegistrationOptions::default())
        .await?;
    for candidate in &report.candidates {
        println!("{}: {}", candidate.id, candidate.outcome);
    }
    let spec = Raw::from_json(r#"{"type":"Memory/v1"}"#)?;
    let repo = manager.component_version_repositories().get(&spec).await?; // starts the plugin
    let mut descriptor = Descriptor::default();
    (descriptor.component.name, descriptor.component.version) =
        ("acme.org/app".into(), "1.0.0".into());
    let add = AddComponentVersionRequest {
        repository: spec.clone(),
        descriptor,
    };
    repo.add_component_version(add, &Credentials::new()).await?;
    let get = GetComponentVersionRequest {
        repository: Some(spec),
        name: "acme.org/app".into(),
        version: "1.0.0".into(),
    };
    let stored = repo.get_component_version(get, &Credentials::new()).await?;
    println!(
        "stored {}:{}",
        stored.component.name, stored.component.version
    );
    manager.shutdown().await?; // stops every plugin, removes every temporary file
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    let plugins = std::env::args().nth(1).unwrap_or_else(|| "plugins".into());
    match run(&plugins).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
