use std::{collections::HashMap, sync::Arc};

use ocm_plugin_runtime::{SchemaValidator, Supervisor};
use ocm_plugin_types::{Raw, Type};

use crate::{Error, Result};

/// An external plugin as a registry knows it: the shared supervisor of its process and the
/// compiled schema it declared for each of its types.
#[derive(Clone, Debug)]
pub struct ExternalPlugin {
    supervisor: Arc<Supervisor>,
    schemas: Arc<HashMap<Type, Option<SchemaValidator>>>,
}

impl ExternalPlugin {
    /// `schemas` maps each type the plugin serves for this capability to its compiled schema;
    /// `None` means the plugin declared no schema and specs are not validated.
    pub fn new(
        supervisor: Arc<Supervisor>,
        schemas: HashMap<Type, Option<SchemaValidator>>,
    ) -> Self {
        Self {
            supervisor,
            schemas: Arc::new(schemas),
        }
    }

    /// The process supervisor, shared with every other registry that names this plugin.
    pub fn supervisor(&self) -> &Arc<Supervisor> {
        &self.supervisor
    }

    /// The plugin's display id (its file name).
    pub fn id(&self) -> &str {
        self.supervisor.plugin_id()
    }

    /// The types this plugin serves for the capability.
    pub fn types(&self) -> impl Iterator<Item = &Type> {
        self.schemas.keys()
    }

    /// Validates `spec` against the schema declared for the spec's own type.
    pub(crate) fn validate(&self, capability: &'static str, spec: &Raw) -> Result<()> {
        let Some(typ) = spec.type_() else {
            return Err(Error::MissingType {
                capability,
                spec: spec.to_json(),
            });
        };
        let Some(schema) = self.schemas.get(typ) else {
            return Err(Error::NotRegistered {
                capability,
                typ: typ.clone(),
            });
        };
        if let Some(schema) = schema {
            schema
                .validate(&spec.to_value())
                .map_err(|message| Error::Validation {
                    capability,
                    typ: typ.clone(),
                    plugin_id: self.id().to_owned(),
                    message,
                })?;
        }
        Ok(())
    }
}
