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

fn main() -> ExitCode {
    Plugin::new("memory")
        .component_version_repository_for::<MemorySpec, _, _>(|_| Ok(Memory::default()))
        .run()
}
