use std::collections::BTreeMap;

use ocm_plugin_types::{Capabilities, CapabilityKind, JsonSchema, Type, TypeEntry};

/// Builds the `capabilities` document a plugin prints (v0.0.1 format, which every Go manager up
/// to v0.0.10 reads). The output is byte-equal to a Go SDK plugin's for the same types and
/// schemas.
///
/// ```
/// use ocm_plugin_endpoints::CapabilitiesBuilder;
/// use ocm_plugin_types::{CapabilityKind, JsonSchema};
///
/// let json = CapabilitiesBuilder::new()
///     .capability(CapabilityKind::ComponentVersionRepository, "DirectoryRepository/v1".parse()?, JsonSchema::permissive())
///     .config_type("directory.config/v1".parse()?)
///     .to_json();
/// assert_eq!(json, r#"{"types":{"componentVersionRepository":[{"type":"DirectoryRepository/v1","jsonSchema":"e30="}]},"configTypes":["directory.config/v1"]}"#);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct CapabilitiesBuilder {
    types: BTreeMap<String, Vec<TypeEntry>>,
    config_types: Vec<Type>,
}

impl CapabilitiesBuilder {
    /// An empty document.
    pub fn new() -> Self {
        Self::default()
    }

    /// Declares that the plugin serves `typ` for `kind`, validated by `schema`.
    #[must_use]
    pub fn capability(mut self, kind: CapabilityKind, typ: Type, schema: JsonSchema) -> Self {
        self.add(kind, typ, schema);
        self
    }

    /// In-place form of [`capability`](Self::capability).
    pub fn add(&mut self, kind: CapabilityKind, typ: Type, schema: JsonSchema) {
        self.types
            .entry(kind.key().to_owned())
            .or_default()
            .push(TypeEntry {
                typ,
                json_schema: Some(schema),
            });
    }

    /// Declares a configuration type the plugin wants to receive in `--config`.
    #[must_use]
    pub fn config_type(mut self, typ: Type) -> Self {
        self.config_types.push(typ);
        self
    }

    /// The document as a value.
    pub fn build(&self) -> Capabilities {
        Capabilities {
            types: if self.types.is_empty() {
                None
            } else {
                Some(self.types.clone())
            },
            config_types: self.config_types.clone(),
        }
    }

    /// The document as compact JSON, without a trailing newline.
    pub fn to_json(&self) -> String {
        // A map of plain data always serialises.
        serde_json::to_string(&self.build()).unwrap_or_default()
    }
}
