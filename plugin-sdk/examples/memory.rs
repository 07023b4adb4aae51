//! A component version repository that keeps descriptors in memory: a whole plugin.
use std::{collections::BTreeMap, process::ExitCode, sync::Mutex};

use ocm_plugin_sdk::contracts::{Error, Result, component_version_repository::v1::*};
use ocm_plugin_sdk::{
    Plugin, TypedSpec, async_trait, schemars,
    types::{Credentials, Descriptor},
};

/// The repository spec, `{"type":"Memory/v1"}`; its JSON schema is derived from this type.
#[derive(serde::Deserialize, schemars::JsonSchema)]
#[schemars(crate = "ocm_plugin_sdk::schemars")]
#[serde(deny_unknown_fields)]
struct MemorySpec {
    #[serde(rename = "type")]
    _type: String,
}

impl TypedSpec for MemorySpec {
    const TYPE: &'static str = "Memory/v1";
}

#[derive(Default)]
struct Memory(Mutex<BTreeMap<(String, String), Descriptor>>);

#[async_trait]
impl ComponentVersionRepository for Memory {
    async fn add_component_version(
        &self,
        r: AddComponentVersionRequest,
        _: &Credentials,
    ) -> Result<()> {
        let key = (
            r.descriptor.component.name.clone(),
            r.descriptor.component.version.clone(),
        );
        self.0
            .lock()
            .map_err(|_| Error::internal("poisoned"))?
            .insert(key, r.descriptor);
        Ok(())
    }

    async fn get_component_version(
        &self,
        r: GetComponentVersionRequest,
        _: &Credentials,
    ) -> Result<Descriptor> {
        let store = self.0.lock().map_err(|_| Error::internal("poisoned"))?;
        store
            .get(&(r.name.clone(), r.version.clone()))
            .cloned()
            .ok_or_else(|| Error::NotFound(format!("{}:{} is not stored", r.name, r.version)))
    }
}

fn plugin() -> Plugin {
    Plugin::new("memory")
        .component_version_repository_for::<MemorySpec, _, _>(|_| Ok(Memory::default()))
}

fn main() -> ExitCode {
    plugin().run()
}

/// Called in process as a manager calls it: specs checked, errors as the manager sees them.
#[cfg(test)]
mod tests {
    use super::*;
    use ocm_plugin_sdk::testing::{TestClient, block_on};
    use ocm_plugin_sdk::types::Raw;

    #[test]
    fn stores_and_reads_back() -> std::result::Result<(), Box<dyn std::error::Error>> {
        let repo = TestClient::new(plugin(), Vec::new())?.traits();
        let spec = Raw::from_json(r#"{"type":"Memory/v1"}"#)?;
        let mut descriptor = Descriptor::default();
        (descriptor.component.name, descriptor.component.version) =
            ("acme.org/app".into(), "1.0.0".into());
        let add = AddComponentVersionRequest {
            repository: spec.clone(),
            descriptor,
        };
        block_on(repo.add_component_version(add, &Credentials::new()))??;
        let get = |version: &str| GetComponentVersionRequest {
            repository: Some(spec.clone()),
            name: "acme.org/app".into(),
            version: version.into(),
        };
        let stored = block_on(repo.get_component_version(get("1.0.0"), &Credentials::new()))??;
        assert_eq!(stored.component.version, "1.0.0");
        let missing = block_on(repo.get_component_version(get("2.0.0"), &Credentials::new()))?;
        assert!(matches!(missing, Err(Error::NotFound(_))));
        Ok(())
    }
}
