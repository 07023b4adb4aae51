use ocm_plugin_sdk::Plugin;
use ocm_plugin_sdk::contracts::component_version_repository::v1::*;
use ocm_plugin_sdk::contracts::{Result, async_trait};
use ocm_plugin_sdk::types::{Credentials, JsonSchema};

struct Repo;
#[async_trait]
impl Repository for Repo {
    async fn list_component_versions(
        &self,
        r: ListComponentVersionsRequest,
        _: &Credentials,
    ) -> Result<Vec<String>> {
        tracing::info!(name = %r.name, "listing");
        Ok(vec!["1.0.0".into()])
    }
}

fn main() -> std::process::ExitCode {
    Plugin::new("smoke")
        .component_version_repository(
            "Smoke/v1".parse().unwrap(),
            JsonSchema::permissive(),
            |_| Ok(Repo),
        )
        .run()
}
