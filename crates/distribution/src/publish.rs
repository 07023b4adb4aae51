//! Publishing plugin binaries as a component version, laid out as OCM's Go CLI
//! (`ocm download plugin`) reads it.

use std::{path::PathBuf, time::Duration};

use ocm_plugin_manager::{
    PluginManager,
    contracts::component_version_repository::v1::{
        AddComponentVersionRequest, AddLocalResourceRequest,
    },
    signing::{ComponentVersionRef, SignOptions, SigningCredentials},
    types::{Credentials, Descriptor, Digest, Identity, Location, Raw, Resource, Signature},
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest as _, Sha256};

use crate::{
    Error, Platform, Result,
    install::{kinds, probe_binary, repository_for, warnings_for},
    lockfile::hash_file,
    reference::{check_component, check_version},
    select::{
        ARCHITECTURE_ATTRIBUTE, METADATA_RESOURCE_NAME, METADATA_RESOURCE_TYPE, OS_ATTRIBUTE,
        PLUGIN_RESOURCE_TYPE,
    },
};

/// The media type of a plugin binary's blob.
pub const BINARY_MEDIA_TYPE: &str = "application/octet-stream";
/// The media type of the metadata blob.
pub const METADATA_MEDIA_TYPE: &str = "application/json";
/// The provider recorded when none is given.
pub const DEFAULT_PROVIDER: &str = "ocm-plugin";

/// One binary to publish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binary {
    /// The file.
    pub path: PathBuf,
    /// The platform it is built for.
    pub platform: Platform,
}

impl Binary {
    /// Parses `PATH[=os/arch]` (the host's platform without `=`). The part after the last `=`
    /// is a platform only when it parses as one, so paths with `=` still work.
    ///
    /// ```
    /// use ocm_plugin_distribution::publish::Binary;
    /// let b = Binary::parse("target/aarch64/hello=linux/arm64");
    /// assert_eq!((b.path.to_str(), b.platform.to_string().as_str()), (Some("target/aarch64/hello"), "linux/arm64"));
    /// assert_eq!(Binary::parse("a=b").path.to_str(), Some("a=b"));
    /// ```
    pub fn parse(text: &str) -> Self {
        Self::parse_or(text, Platform::host())
    }

    /// [`parse`](Self::parse), with `platform` for a binary given without `=os/arch`.
    ///
    /// ```
    /// use ocm_plugin_distribution::{Platform, publish::Binary};
    /// let arm: Platform = "linux/arm64".parse()?;
    /// assert_eq!(Binary::parse_or("hello", arm.clone()).platform, arm);
    /// # Ok::<(), ocm_plugin_distribution::Error>(())
    /// ```
    pub fn parse_or(text: &str, platform: Platform) -> Self {
        if let Some((path, given)) = text.rsplit_once('=')
            && let Ok(given) = given.parse::<Platform>()
        {
            return Self {
                path: path.into(),
                platform: given,
            };
        }
        Self {
            path: text.into(),
            platform,
        }
    }
}

/// How to sign after publishing.
#[derive(Debug, Clone)]
pub struct SignWith {
    /// The signing config; its type selects the signing-handler plugin.
    pub signer: Raw,
    /// The signing handler's credentials (a private key).
    pub credentials: Credentials,
    /// Name, algorithms, force.
    pub options: SignOptions,
}

/// What to publish.
#[derive(Debug, Clone)]
pub struct PublishRequest {
    /// The repository spec.
    pub repository: Raw,
    /// The component name, e.g. `acme.org/plugins/hello`.
    pub component: String,
    /// The version.
    pub version: String,
    /// The provider ([`DEFAULT_PROVIDER`] when `None`).
    pub provider: Option<String>,
    /// The resource name of every binary; each binary's file name when `None`.
    pub name: Option<String>,
    /// The description for search.
    pub description: String,
    /// The binaries.
    pub binaries: Vec<Binary>,
    /// Credentials for the repository plugin.
    pub credentials: Credentials,
    /// Deadline of each `capabilities` probe.
    pub probe_timeout: Duration,
    /// Sign the component version afterwards.
    pub sign: Option<SignWith>,
}

/// The metadata blob of a published plugin: what search shows without a binary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PluginMetadata {
    /// The plugin's (resource) name.
    pub name: String,
    /// What it is for.
    pub description: String,
    /// The `capabilities` document as the plugin printed it.
    pub capabilities: Value,
}

/// One published binary.
#[derive(Debug, Clone, Serialize)]
pub struct Published {
    /// The resource's identity.
    pub identity: Identity,
    /// SHA-256 of the binary.
    pub sha256: String,
    /// Its size.
    pub size: u64,
    /// Whether its `capabilities` were checked (binaries for another platform cannot run here).
    pub probed: bool,
}

/// The outcome of [`publish`].
#[derive(Debug, Clone, Serialize)]
pub struct PublishReport {
    /// The component name.
    pub component: String,
    /// The version.
    pub version: String,
    /// The binaries.
    pub binaries: Vec<Published>,
    /// The capabilities of the probed binary, `kind: types`.
    pub capabilities: Vec<String>,
    /// The signature, when signed.
    pub signature: Option<Signature>,
    /// The stored descriptor.
    #[serde(skip)]
    pub descriptor: Descriptor,
    /// Warnings.
    pub warnings: Vec<String>,
}

/// Publishes plugin binaries as a component version.
///
/// Each binary for this host's platform is probed (`capabilities`; a non-plugin is refused),
/// binaries for other platforms cannot run here and are published unprobed (with a warning);
/// at least one must be probed, for the metadata. Each is hashed (streamed) and uploaded as a
/// local resource: type `ocmPlugin`, name, version = the component version, `extraIdentity`
/// `{"os","architecture"}`, relation `local`, SHA-256 `genericBlobDigest/v1` digest, media
/// type `application/octet-stream` (the plugin sets the `localBlob` access). A
/// `plugin-metadata` resource holds [`PluginMetadata`] as JSON. Then the component version is
/// stored and, when asked, signed.
pub async fn publish(manager: &PluginManager, request: &PublishRequest) -> Result<PublishReport> {
    check_component(&request.component).map_err(Error::Invalid)?;
    check_version(&request.version).map_err(Error::Invalid)?;
    if request.binaries.is_empty() {
        return Err(Error::Invalid("no binary to publish".to_owned()));
    }
    let host = Platform::host();
    let mut warnings = Vec::new();
    let mut metadata: Option<(String, Value, Vec<String>)> = None;
    let mut prepared = Vec::new();
    for binary in &request.binaries {
        let path = std::path::absolute(&binary.path)
            .map_err(|e| Error::io("resolving", &binary.path, e))?;
        let meta = std::fs::metadata(&path).map_err(|e| Error::io("reading", &path, e))?;
        if !meta.is_file() {
            return Err(Error::Invalid(format!("{} is not a file", path.display())));
        }
        let name = match &request.name {
            Some(n) => n.clone(),
            None => path
                .file_name()
                .and_then(|n| n.to_str())
                .ok_or_else(|| Error::Invalid(format!("{} has no file name", path.display())))?
                .to_owned(),
        };
        let mut probed = false;
        if binary.platform == host {
            let (capabilities, printed) =
                probe_binary(&path, &name, "a binary to publish", request.probe_timeout).await?;
            warnings.extend(warnings_for(&name, &capabilities));
            let document: Value = serde_json::from_slice(&printed)
                .map_err(|e| Error::Invalid(format!("{}: capabilities: {e}", path.display())))?;
            if metadata.is_none() {
                metadata = Some((name.clone(), document, kinds(&capabilities)));
            }
            probed = true;
        } else {
            let warning = format!(
                "{} is for {}, not this host ({host}): published without a capabilities check",
                path.display(),
                binary.platform
            );
            tracing::warn!("{warning}");
            warnings.push(warning);
        }
        let (sha256, size) = {
            let p = path.clone();
            tokio::task::spawn_blocking(move || hash_file(&p))
                .await
                .map_err(|e| Error::io("hashing", &path, std::io::Error::other(e)))?
                .map_err(|e| Error::io("hashing", &path, e))?
        };
        let mut identity = Identity::new();
        identity.insert(OS_ATTRIBUTE.to_owned(), binary.platform.os.clone());
        identity.insert(
            ARCHITECTURE_ATTRIBUTE.to_owned(),
            binary.platform.architecture.clone(),
        );
        let resource = Resource {
            name,
            version: request.version.clone(),
            extra_identity: Some(identity),
            resource_type: PLUGIN_RESOURCE_TYPE.to_owned(),
            relation: "local".to_owned(),
            digest: Some(Digest::generic_blob_sha256(sha256.clone())),
            ..Resource::default()
        };
        if prepared
            .iter()
            .any(|(_, r, _): &(PathBuf, Resource, Published)| r.identity() == resource.identity())
        {
            return Err(Error::Invalid(format!(
                "two binaries have the identity {}; give each platform once",
                serde_json::to_string(&resource.identity()).unwrap_or_default()
            )));
        }
        let published = Published {
            identity: resource.identity(),
            sha256,
            size,
            probed,
        };
        prepared.push((path, resource, published));
    }
    let Some((plugin_name, capabilities_document, capability_kinds)) = metadata else {
        return Err(Error::Invalid(format!(
            "no binary is for this host ({host}), so none can be checked with `capabilities`; \
             add the host's build"
        )));
    };

    let repo = repository_for(manager, &request.repository).await?;
    let mut resources = Vec::new();
    let mut binaries = Vec::new();
    for (path, resource, published) in prepared {
        let location = Location {
            media_type: Some(BINARY_MEDIA_TYPE.to_owned()),
            ..Location::local_file(path.to_string_lossy())
        };
        let stored = repo
            .add_local_resource(
                AddLocalResourceRequest {
                    repository: request.repository.clone(),
                    name: request.component.clone(),
                    version: request.version.clone(),
                    resource_location: location,
                    resource,
                },
                &request.credentials,
            )
            .await
            .map_err(|e| {
                Error::repository(
                    "uploading a binary of",
                    &request.component,
                    &request.version,
                    e,
                )
            })?;
        resources.push(stored);
        binaries.push(published);
    }

    let metadata = PluginMetadata {
        name: plugin_name,
        description: request.description.clone(),
        capabilities: capabilities_document,
    };
    let bytes = serde_json::to_vec(&metadata)
        .map_err(|e| Error::Invalid(format!("encoding the plugin metadata: {e}")))?;
    let file = manager
        .request_file_from_bytes(&bytes)
        .await
        .map_err(|e| Error::Blob {
            operation: "writing the plugin metadata of",
            component: request.component.clone(),
            version: request.version.clone(),
            cause: Box::new(e),
        })?;
    let metadata_resource = Resource {
        name: METADATA_RESOURCE_NAME.to_owned(),
        version: request.version.clone(),
        resource_type: METADATA_RESOURCE_TYPE.to_owned(),
        relation: "local".to_owned(),
        digest: Some(Digest::generic_blob_sha256(hex::encode(Sha256::digest(
            &bytes,
        )))),
        ..Resource::default()
    };
    let stored = repo
        .add_local_resource(
            AddLocalResourceRequest {
                repository: request.repository.clone(),
                name: request.component.clone(),
                version: request.version.clone(),
                resource_location: Location {
                    media_type: Some(METADATA_MEDIA_TYPE.to_owned()),
                    ..file.location().clone()
                },
                resource: metadata_resource,
            },
            &request.credentials,
        )
        .await
        .map_err(|e| {
            Error::repository(
                "uploading the metadata of",
                &request.component,
                &request.version,
                e,
            )
        })?;
    drop(file);
    resources.push(stored);

    let mut descriptor = Descriptor::default();
    descriptor.meta.schema_version = "v2".to_owned();
    descriptor.component.name = request.component.clone();
    descriptor.component.version = request.version.clone();
    descriptor.component.provider = request
        .provider
        .clone()
        .unwrap_or_else(|| DEFAULT_PROVIDER.to_owned());
    descriptor.component.repository_contexts = Some(Vec::new());
    descriptor.component.resources = Some(resources);
    descriptor.component.sources = Some(Vec::new());
    descriptor.component.component_references = Some(Vec::new());
    repo.add_component_version(
        AddComponentVersionRequest {
            repository: request.repository.clone(),
            descriptor: descriptor.clone(),
        },
        &request.credentials,
    )
    .await
    .map_err(|e| Error::repository("storing", &request.component, &request.version, e))?;
    tracing::info!(component = %request.component, version = %request.version, "published");

    let signature = match &request.sign {
        Some(sign) => Some(
            manager
                .sign_component_version(
                    &ComponentVersionRef {
                        repository: request.repository.clone(),
                        component: request.component.clone(),
                        version: request.version.clone(),
                    },
                    &sign.signer,
                    &SigningCredentials {
                        repository: request.credentials.clone(),
                        signer: sign.credentials.clone(),
                    },
                    &sign.options,
                )
                .await
                .map_err(|source| Error::Signing {
                    component: request.component.clone(),
                    version: request.version.clone(),
                    cause: Box::new(source),
                })?,
        ),
        None => None,
    };
    Ok(PublishReport {
        component: request.component.clone(),
        version: request.version.clone(),
        binaries,
        capabilities: capability_kinds,
        signature,
        descriptor,
        warnings,
    })
}
