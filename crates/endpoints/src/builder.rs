use ocm_plugin_types::{
    CapabilitiesFormat, CapabilityKind, DeclaredType, JsonSchema, PluginCapabilities,
    PluginCapability, Type,
};

/// Builds the `capabilities` document a plugin prints.
///
/// By default the document carries both formats side by side (spec §10.2): the v0.0.1 keys
/// (`types`, `configTypes`), which Go managers up to v0.0.10 read, and the v0.0.11+ keys
/// (`capabilities`, `supportedConfigTypes`), which later Go managers read. Each manager ignores
/// the keys it does not know, so one binary registers under every generation. Each half is
/// byte-equal to a Go SDK plugin's document for the same types and schemas.
///
/// ```
/// use ocm_plugin_endpoints::CapabilitiesBuilder;
/// use ocm_plugin_types::{CapabilitiesFormat, CapabilityKind, JsonSchema};
///
/// let builder = CapabilitiesBuilder::new()
///     .capability(CapabilityKind::ComponentVersionRepository, "DirectoryRepository/v1".parse()?, JsonSchema::permissive())
///     .config_type("directory.config/v1".parse()?);
/// assert_eq!(
///     builder.to_json_in(CapabilitiesFormat::V1),
///     r#"{"types":{"componentVersionRepository":[{"type":"DirectoryRepository/v1","jsonSchema":"e30="}]},"configTypes":["directory.config/v1"]}"#
/// );
/// assert_eq!(
///     builder.to_json_in(CapabilitiesFormat::Current),
///     r#"{"capabilities":[{"supportedRepositorySpecTypes":[{"aliases":null,"jsonSchema":"e30=","type":"DirectoryRepository/v1"}],"type":"componentVersionRepository"}],"supportedConfigTypes":["directory.config/v1"]}"#
/// );
/// // Both, in one object: what `to_json` writes.
/// assert_eq!(
///     builder.to_json(),
///     r#"{"types":{"componentVersionRepository":[{"type":"DirectoryRepository/v1","jsonSchema":"e30="}]},"configTypes":["directory.config/v1"],"capabilities":[{"supportedRepositorySpecTypes":[{"aliases":null,"jsonSchema":"e30=","type":"DirectoryRepository/v1"}],"type":"componentVersionRepository"}],"supportedConfigTypes":["directory.config/v1"]}"#
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct CapabilitiesBuilder {
    document: PluginCapabilities,
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
        self.declare(
            kind,
            DeclaredType {
                typ,
                aliases: Vec::new(),
                schema: Some(schema),
            },
        );
    }

    /// Declares a type with its aliases: the v0.0.11+ half lists the aliases with the type, the
    /// v0.0.1 half as entries of their own after it.
    pub fn declare(&mut self, kind: CapabilityKind, declared: DeclaredType) {
        self.entry(kind).types.push(declared);
    }

    /// Declares the credential repository's consumer identity type. In the v0.0.1 half it is
    /// entry `[0]`, before the config type declared with [`declare`](Self::declare); in the
    /// v0.0.11+ half it is listed in `supportedConsumerIdentityTypes`.
    pub fn consumer_identity_type(&mut self, declared: DeclaredType) {
        self.entry(CapabilityKind::CredentialRepository)
            .consumer_identity_types
            .push(declared);
    }

    /// Declares a credential type a credential repository defines (`customCredentialTypes`,
    /// v0.0.11+ half only).
    pub fn custom_credential_type(&mut self, declared: DeclaredType) {
        self.entry(CapabilityKind::CredentialRepository)
            .custom_credential_types
            .push(declared);
    }

    fn entry(&mut self, kind: CapabilityKind) -> &mut PluginCapability {
        let caps = &mut self.document.capabilities;
        let at = match caps.iter().position(|c| c.kind == kind) {
            Some(at) => at,
            None => {
                caps.push(PluginCapability {
                    kind,
                    types: Vec::new(),
                    consumer_identity_types: Vec::new(),
                    custom_credential_types: Vec::new(),
                });
                caps.len() - 1
            }
        };
        &mut caps[at]
    }

    /// Declares a configuration type the plugin wants to receive in `--config`.
    #[must_use]
    pub fn config_type(mut self, typ: Type) -> Self {
        self.document.config_types.push(typ);
        self
    }

    /// The document as the model managers read it into.
    pub fn build(&self) -> &PluginCapabilities {
        &self.document
    }

    /// The dual document (both formats), compact, without a trailing newline.
    pub fn to_json(&self) -> String {
        self.to_json_in(CapabilitiesFormat::Dual)
    }

    /// The document in one format, or both.
    pub fn to_json_in(&self, format: CapabilitiesFormat) -> String {
        self.document.to_json(format)
    }
}
