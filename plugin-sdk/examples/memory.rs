//! A component version repository that keeps descriptors in memory: a whole plugin.
use std::{collections::BTreeMap, process::ExitCode, sync::Mutex};

use ocm_plugin_sdk::component_version_repository::{self as cvr, *};
use ocm_plugin_sdk::contracts::{Error, Result};
use ocm_plugin_sdk::{Plugin, TypedSpec, async_trait, schemars};

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
    type Spec = MemorySpec;

    async fn add_component_version(
        &self,
        _: MemorySpec,
        r: AddComponentVersionRequest,
        _: &Credentials,
    ) -> Result<()> {
        let component = &r.descriptor.component;
        let key = (component.name.clone(), component.version.clone());
        let mut store = self.0.lock().map_err(|_| Error::internal("poisoned"))?;
        store.insert(key, r.descriptor);
        Ok(())
    }

    async fn get_component_version(
        &self,
        _: Option<MemorySpec>,
        r: GetComponentVersionRequest,
        _: &Credentials,
    ) -> Result<Descriptor> {
        let store = self.0.lock().map_err(|_| Error::internal("poisoned"))?;
        let key = (r.name.clone(), r.version.clone());
        let found = store.get(&key).cloned();
        found.ok_or_else(|| Error::NotFound(format!("{}:{} is not stored", r.name, r.version)))
    }
}

fn plugin() -> Plugin {
    Plugin::new("memory").register(cvr::typed(|_| Ok(Memory::default())))
}

fn main() -> ExitCode {
    plugin().run()
}

/// Called in process as a manager calls it: specs checked, errors as the manager sees them.
#[cfg(test)]
mod tests {
    use super::*;
    // The test client implements the untyped contract, as a manager calls it.
    use ocm_plugin_sdk::contracts::component_version_repository::v1::ComponentVersionRepository as _;
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
