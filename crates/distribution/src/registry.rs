//! Plugin registries, after OCM's ADR 0009: a registry is a component version (e.g.
//! `acme.org/plugin-registry:1.0.3`) whose `componentReferences` point at plugin components,
//! `{"name": <plugin name>, "componentName": <component>, "version": <version>}`. The referenced
//! components live in the registry's repository.
//!
//! The registries a user knows are kept in a JSON file ([`RegistryConfig`]):
//!
//! ```json
//! {"schemaVersion": 1, "registries": [{"name": "acme", "reference": "http://127.0.0.1:5000//acme.org/plugin-registry"}]}
//! ```
//!
//! A reference without a version means the registry's highest semantic version.

use std::{
    io::Write as _,
    path::{Path, PathBuf},
};

use ocm_plugin_manager::{
    PluginManager,
    contracts::component_version_repository::v1::{
        AddComponentVersionRequest, ComponentVersionRepository, GetLocalResourceRequest,
    },
    signing::{HashAlgorithm, NormalisationAlgorithm},
    types::{Credentials, Descriptor, Reference as ComponentReference},
};
use serde::{Deserialize, Serialize};
use tokio::io::AsyncReadExt as _;

use crate::{
    Error, Reference, Result,
    install::{fetch_descriptor, list_versions, read_descriptor, repository_for},
    publish::{DEFAULT_PROVIDER, PluginMetadata},
    select::{METADATA_RESOURCE_TYPE, highest_semver},
};

/// The environment variable naming the registry config file.
pub const CONFIG_ENV: &str = "OCM_PLUGIN_REGISTRIES";
/// The largest metadata blob search reads.
pub const MAX_METADATA: u64 = 1024 * 1024;

/// The registries a user knows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistryConfig {
    /// Always 1.
    #[serde(rename = "schemaVersion")]
    pub schema_version: u32,
    /// The registries, in the order they are searched.
    pub registries: Vec<RegistryEntry>,
}

impl Default for RegistryConfig {
    fn default() -> Self {
        Self {
            schema_version: 1,
            registries: Vec::new(),
        }
    }
}

/// One registry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistryEntry {
    /// The name the user gave it.
    pub name: String,
    /// `<repository>//<component>[:<version>]`.
    pub reference: String,
}

impl RegistryConfig {
    /// `$OCM_PLUGIN_REGISTRIES`, else `$XDG_CONFIG_HOME/ocm-plugin/registries.json`, else
    /// `~/.config/ocm-plugin/registries.json`.
    pub fn default_path() -> Option<PathBuf> {
        let env = |k: &str| {
            std::env::var_os(k)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        env(CONFIG_ENV).or_else(|| {
            env("XDG_CONFIG_HOME")
                .or_else(|| env("HOME").map(|h| h.join(".config")))
                .map(|d| d.join("ocm-plugin").join("registries.json"))
        })
    }

    /// Reads the config; a missing file is an empty config, a corrupt one an error.
    pub fn load(path: &Path) -> Result<Self> {
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(e) => return Err(Error::io("reading", path, e)),
        };
        let corrupt = |problem: String| Error::CorruptRegistryConfig {
            path: path.to_owned(),
            problem,
        };
        let config: Self = serde_json::from_slice(&bytes).map_err(|e| corrupt(e.to_string()))?;
        if config.schema_version != 1 {
            return Err(corrupt(format!(
                "schemaVersion {} is not supported (this version reads 1)",
                config.schema_version
            )));
        }
        Ok(config)
    }

    /// Writes the config atomically (temporary file, fsync, rename).
    pub fn save(&self, path: &Path) -> Result<()> {
        let dir = path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(|e| Error::io("creating", dir, e))?;
        let mut temp = tempfile::Builder::new()
            .prefix(".registries-")
            .tempfile_in(dir)
            .map_err(|e| Error::io("creating a temporary file in", dir, e))?;
        let mut bytes = serde_json::to_vec_pretty(self).unwrap_or_default();
        bytes.push(b'\n');
        temp.as_file_mut()
            .write_all(&bytes)
            .and_then(|()| temp.as_file().sync_all())
            .map_err(|e| Error::io("writing", temp.path().to_owned(), e))?;
        temp.persist(path)
            .map_err(|e| Error::io("renaming into place", path, e.error))?;
        Ok(())
    }

    /// Adds a registry (the reference must parse; the name must be new).
    pub fn add(&mut self, name: &str, reference: &str) -> Result<()> {
        if name.is_empty() || name.contains(char::is_whitespace) {
            return Err(Error::Invalid(format!("{name:?} is not a registry name")));
        }
        Reference::parse(reference)?;
        if self.registries.iter().any(|r| r.name == name) {
            return Err(Error::Invalid(format!(
                "a registry named {name:?} exists already; remove it first"
            )));
        }
        self.registries.push(RegistryEntry {
            name: name.to_owned(),
            reference: reference.to_owned(),
        });
        Ok(())
    }

    /// Removes a registry by name.
    pub fn remove(&mut self, name: &str) -> Result<()> {
        let before = self.registries.len();
        self.registries.retain(|r| r.name != name);
        if before == self.registries.len() {
            return Err(Error::Invalid(format!(
                "no registry named {name:?} (known: {})",
                self.names()
            )));
        }
        Ok(())
    }

    fn names(&self) -> String {
        if self.registries.is_empty() {
            return "none".to_owned();
        }
        self.registries
            .iter()
            .map(|r| r.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// One plugin found by [`search`].
#[derive(Debug, Clone, Serialize)]
pub struct SearchHit {
    /// The plugin's name in the registry.
    pub name: String,
    /// Its component.
    pub component: String,
    /// Its version.
    pub version: String,
    /// Its description.
    pub description: String,
    /// Its capabilities, `kind: types`.
    pub capabilities: Vec<String>,
    /// The registry's name.
    pub registry: String,
}

/// A registry's component version, read.
async fn read_registry(
    manager: &PluginManager,
    entry: &RegistryEntry,
    credentials: &Credentials,
) -> Result<(
    Reference,
    std::sync::Arc<dyn ComponentVersionRepository>,
    Descriptor,
)> {
    let mut reference = Reference::parse(&entry.reference)?;
    let (version, repo, descriptor) = fetch_descriptor(manager, &reference, credentials).await?;
    reference.version = Some(version);
    Ok((reference, repo, descriptor))
}

/// Lists the plugins of every registry whose name, component, description or capabilities
/// contain `term` (case-insensitive; every plugin without one), reading each plugin's
/// `plugin-metadata` resource and no binary.
pub async fn search(
    manager: &PluginManager,
    config: &RegistryConfig,
    term: Option<&str>,
    credentials: &Credentials,
) -> Result<Vec<SearchHit>> {
    let term = term.map(str::to_lowercase);
    let mut hits = Vec::new();
    for entry in &config.registries {
        let (registry, repo, descriptor) = read_registry(manager, entry, credentials).await?;
        for reference in descriptor.component.component_references.iter().flatten() {
            let plugin = read_descriptor(
                repo.as_ref(),
                &registry.repository,
                &reference.component_name,
                &reference.version,
                credentials,
            )
            .await?;
            let metadata =
                read_metadata(manager, repo.as_ref(), &registry, &plugin, credentials).await?;
            let capabilities = metadata
                .as_ref()
                .and_then(|m| {
                    ocm_plugin_manager::types::PluginCapabilities::parse(
                        m.capabilities.to_string().as_bytes(),
                    )
                    .ok()
                })
                .map(|c| crate::install::kinds(&c))
                .unwrap_or_default();
            let hit = SearchHit {
                name: reference.name.clone(),
                component: reference.component_name.clone(),
                version: reference.version.clone(),
                description: metadata.map(|m| m.description).unwrap_or_default(),
                capabilities,
                registry: entry.name.clone(),
            };
            let matches = term.as_deref().is_none_or(|t| {
                [&hit.name, &hit.component, &hit.description]
                    .into_iter()
                    .chain(hit.capabilities.iter())
                    .any(|s| s.to_lowercase().contains(t))
            });
            if matches {
                hits.push(hit);
            }
        }
    }
    Ok(hits)
}

/// The `plugin-metadata` of a plugin component version, if it has one.
async fn read_metadata(
    manager: &PluginManager,
    repo: &dyn ComponentVersionRepository,
    registry: &Reference,
    plugin: &Descriptor,
    credentials: &Credentials,
) -> Result<Option<PluginMetadata>> {
    let Some(resource) = plugin
        .component
        .resources
        .iter()
        .flatten()
        .find(|r| r.resource_type == METADATA_RESOURCE_TYPE)
    else {
        return Ok(None);
    };
    let (component, version) = (&plugin.component.name, &plugin.component.version);
    let answer = repo
        .get_local_resource(
            GetLocalResourceRequest {
                repository: Some(registry.repository.clone()),
                name: component.clone(),
                version: version.clone(),
                identity: Some(resource.identity()),
            },
            credentials,
        )
        .await
        .map_err(|e| Error::repository("reading the plugin metadata of", component, version, e))?;
    let blob_err = |source: ocm_plugin_manager::Error| Error::Blob {
        operation: "reading the plugin metadata of",
        component: component.clone(),
        version: version.clone(),
        cause: Box::new(source),
    };
    let mut blob = manager.blob(&answer.location).map_err(blob_err)?;
    let mut bytes = Vec::new();
    blob.reader()
        .await
        .map_err(|e| blob_err(e.into()))?
        .take(MAX_METADATA + 1)
        .read_to_end(&mut bytes)
        .await
        .map_err(|e| Error::io("reading", blob.path(), e))?;
    if bytes.len() as u64 > MAX_METADATA {
        return Err(Error::Registry(format!(
            "the plugin metadata of {component}:{version} is larger than {MAX_METADATA} bytes"
        )));
    }
    serde_json::from_slice(&bytes).map(Some).map_err(|e| {
        Error::Registry(format!(
            "the plugin metadata of {component}:{version} is not valid: {e}"
        ))
    })
}

/// Resolves `NAME[@VERSION]` through the registries, in order: the first registry that lists
/// the name gives its component (in the registry's repository) and version (`@VERSION` wins).
pub async fn resolve(
    manager: &PluginManager,
    config: &RegistryConfig,
    name_at_version: &str,
    credentials: &Credentials,
) -> Result<Reference> {
    let (name, version) = match name_at_version.split_once('@') {
        Some((n, v)) => (n, Some(v)),
        None => (name_at_version, None),
    };
    if config.registries.is_empty() {
        return Err(Error::Registry(format!(
            "{name:?} is not a reference (<repository>//<component>[:<version>]) and no plugin \
             registry is configured to look it up in (ocm-plugin registry add NAME REFERENCE)"
        )));
    }
    for entry in &config.registries {
        let (registry, _, descriptor) = read_registry(manager, entry, credentials).await?;
        if let Some(found) = descriptor
            .component
            .component_references
            .iter()
            .flatten()
            .find(|r| r.name == name)
        {
            return Ok(Reference {
                repository: registry.repository,
                component: found.component_name.clone(),
                version: Some(version.map_or_else(|| found.version.clone(), str::to_owned)),
            });
        }
    }
    Err(Error::Registry(format!(
        "no plugin named {name:?} in the registries {}",
        config.names()
    )))
}

/// Adds (or updates) the reference `name` → `component:version` in a new version of the
/// registry component: the next patch version after the highest one, or `1.0.0` when there is
/// none. The reference carries the digest of the plugin component's descriptor (as OCM
/// computes it: jsonNormalisation/v4alpha1, SHA-256), so the registry can be signed. Returns
/// the new registry version.
pub async fn add_to_registry(
    manager: &PluginManager,
    registry: &Reference,
    name: &str,
    plugin: &Reference,
    credentials: &Credentials,
) -> Result<String> {
    let plugin_version = plugin
        .version
        .clone()
        .ok_or_else(|| Error::Invalid("the plugin reference needs a version".to_owned()))?;
    if plugin.repository != registry.repository {
        return Err(Error::Registry(format!(
            "the registry {} and the plugin {} are in different repositories; a registry's \
             references are looked up in its own repository",
            registry.component, plugin.component
        )));
    }
    let plugin_repo = repository_for(manager, &plugin.repository).await?;
    let plugin_descriptor = read_descriptor(
        plugin_repo.as_ref(),
        &plugin.repository,
        &plugin.component,
        &plugin_version,
        credentials,
    )
    .await?;
    let value = serde_json::to_value(&plugin_descriptor)
        .map_err(|e| Error::Invalid(format!("encoding the descriptor: {e}")))?;
    let digest = ocm_plugin_manager::signing::digest(
        &value,
        NormalisationAlgorithm::JsonV4Alpha1,
        HashAlgorithm::Sha256,
    )
    .map_err(|e| {
        Error::Registry(format!(
            "digest of {}:{plugin_version}: {e}",
            plugin.component
        ))
    })?;

    let repo = repository_for(manager, &registry.repository).await?;
    let versions = list_versions(repo.as_ref(), registry, credentials).await?;
    let (mut descriptor, new_version) = match highest_semver(versions.iter().map(String::as_str)) {
        Some(current) => {
            let descriptor = read_descriptor(
                repo.as_ref(),
                &registry.repository,
                &registry.component,
                current,
                credentials,
            )
            .await?;
            let mut next = semver::Version::parse(current.strip_prefix('v').unwrap_or(current))
                .map_err(|e| Error::Registry(format!("{current}: {e}")))?;
            next.patch += 1;
            next.pre = semver::Prerelease::EMPTY;
            next.build = semver::BuildMetadata::EMPTY;
            let prefix = if current.starts_with('v') { "v" } else { "" };
            (descriptor, format!("{prefix}{next}"))
        }
        None => {
            let mut d = Descriptor::default();
            d.meta.schema_version = "v2".to_owned();
            registry.component.clone_into(&mut d.component.name);
            d.component.provider = DEFAULT_PROVIDER.to_owned();
            d.component.repository_contexts = Some(Vec::new());
            d.component.resources = Some(Vec::new());
            d.component.sources = Some(Vec::new());
            (d, "1.0.0".to_owned())
        }
    };
    descriptor.component.version.clone_from(&new_version);
    // Signatures sign the old version; the new one is unsigned until signed again.
    descriptor.signatures = None;
    let references = descriptor
        .component
        .component_references
        .get_or_insert_with(Vec::new);
    references.retain(|r| r.name != name);
    references.push(ComponentReference {
        name: name.to_owned(),
        version: plugin_version.clone(),
        component_name: plugin.component.clone(),
        digest,
        ..ComponentReference::default()
    });
    references.sort_by(|a, b| a.name.cmp(&b.name));
    repo.add_component_version(
        AddComponentVersionRequest {
            repository: registry.repository.clone(),
            descriptor,
        },
        credentials,
    )
    .await
    .map_err(|e| Error::repository("storing", &registry.component, &new_version, e))?;
    tracing::info!(registry = %registry.component, version = %new_version, plugin = name, "registry updated");
    Ok(new_version)
}
