//! [`OciRepository`]: the typed [`ComponentVersionRepository`] over an OCI registry.

use std::{cmp::Ordering, path::Path};

use futures_util::{StreamExt as _, stream};
use ocm_plugin_contracts::{Error, Result, async_trait};
use ocm_plugin_sdk::component_version_repository::{
    AddComponentVersionRequest, AddLocalResourceRequest, AddLocalSourceRequest, CheckHealthRequest,
    ComponentVersionRepository, GetComponentVersionRequest, GetLocalResourceRequest,
    GetLocalResourceResponse, GetLocalSourceRequest, GetLocalSourceResponse,
    ListComponentVersionsRequest,
};
use ocm_plugin_types::{
    Credentials, Descriptor, Digest, Identity, Location, LocationType, Raw, Resource, Source,
};
use serde::Deserialize as _;

use crate::{
    BASE_URL_ENV, CONFIG_TYPE, OciConfig, SUB_PATH_ENV,
    layout::{self, Manifest, OciDescriptor},
    registry::{Clients, Session},
    spec::{self, OciRepositorySpec, RepositorySpec},
};

/// How many manifests `list` reads at once.
const LIST_CONCURRENCY: usize = 8;

/// A component version repository in an OCI registry, laid out as OCM's Go code lays it out.
///
/// The registry comes from each request's repository spec, or, for requests that carry none (Go
/// managers send none on reads), from the configured fallback ([`OciConfig`], else the
/// environment variables [`BASE_URL_ENV`] and [`SUB_PATH_ENV`]).
#[derive(Debug, Clone, Default)]
pub struct OciRepository {
    fallback: Option<RepositorySpec>,
    clients: Clients,
}

impl OciRepository {
    /// A repository with an optional fallback for requests without a spec.
    pub fn new(fallback: Option<RepositorySpec>) -> Self {
        Self {
            fallback,
            clients: Clients::default(),
        }
    }

    /// The fallback from the plugin configuration, else from the environment.
    pub fn from_config(config: Option<OciConfig>) -> Result<Self> {
        let from_config = config.and_then(|c| c.base_url.map(|b| (b, c.sub_path)));
        let from_env = || {
            std::env::var(BASE_URL_ENV)
                .ok()
                .filter(|v| !v.is_empty())
                .map(|b| (b, std::env::var(SUB_PATH_ENV).ok()))
        };
        let fallback = match from_config.or_else(from_env) {
            Some((base, sub)) => Some(RepositorySpec::parse(&base, sub.as_deref().unwrap_or(""))?),
            None => None,
        };
        Ok(Self::new(fallback))
    }

    /// The fallback spec, if any.
    pub fn fallback(&self) -> Option<&RepositorySpec> {
        self.fallback.as_ref()
    }

    /// The spec a request addresses: its own, else the fallback; neither is a 400 naming both
    /// ways to set one.
    pub fn resolve(&self, spec: Option<&OciRepositorySpec>) -> Result<RepositorySpec> {
        match spec {
            Some(spec) if !spec.base_url.is_empty() || self.fallback.is_none() => {
                RepositorySpec::from_spec(spec)
            }
            Some(spec) => {
                // A spec without `baseUrl` (Go managers send the empty prototype on
                // `/identity`): its type must still be one of ours; the registry is the fallback.
                spec::check_type(spec)?;
                self.fallback.clone().ok_or_else(no_spec)
            }
            None => self.fallback.clone().ok_or_else(no_spec),
        }
    }

    fn session(
        &self,
        spec: Option<&OciRepositorySpec>,
        credentials: &Credentials,
    ) -> Result<Session> {
        let spec = self.resolve(spec)?;
        self.clients.session(&spec, credentials)
    }
}

fn no_spec() -> Error {
    Error::InvalidArgument(format!(
        "no registry: the request carries no OCIRepository/v1 spec with a `baseUrl`, the plugin \
         configuration (config type {CONFIG_TYPE}) sets no `baseUrl`, and the environment \
         variable {BASE_URL_ENV} is not set"
    ))
}

/// A component version as read: its manifest and descriptor.
struct Read {
    manifest: Manifest,
    descriptor: Descriptor,
    reference: String,
}

impl OciRepository {
    async fn read(&self, session: &Session, name: &str, version: &str) -> Result<Read> {
        let repository = session.spec().repository_of(name)?;
        let tag = spec::tag_of(version)?;
        let reference = format!("{}:{tag}", session.location(&repository));
        let Some(raw) = session.manifest(&repository, &tag).await? else {
            return Err(Error::NotFound(format!(
                "component version {name}:{version} not found in {} (no tag {tag} in repository {repository})",
                session.spec()
            )));
        };
        let manifest: Manifest = Manifest::deserialize(&raw.value).map_err(|e| {
            Error::internal(format!(
                "{reference} ({}) is not an OCI image manifest: {e}",
                raw.digest
            ))
        })?;
        let layer = descriptor_layer(session, &repository, &manifest, &reference).await?;
        let encoding = layout::encoding_of(&layer.media_type).ok_or_else(|| {
            Error::internal(format!(
                "{reference} is not an OCM component version: its descriptor layer has media type {:?}",
                layer.media_type
            ))
        })?;
        if layer.size > layout::MAX_DESCRIPTOR_SIZE {
            return Err(Error::internal(format!(
                "the component descriptor of {reference} is {} bytes; this plugin reads at most {}",
                layer.size,
                layout::MAX_DESCRIPTOR_SIZE
            )));
        }
        let bytes = session
            .small_blob(
                &repository,
                &layer,
                layout::MAX_DESCRIPTOR_SIZE,
                "component descriptor",
            )
            .await?;
        let descriptor = tokio::task::spawn_blocking({
            let reference = reference.clone();
            move || layout::decode_descriptor(&bytes, encoding, &reference)
        })
        .await
        .map_err(|e| Error::internal_with("the decoding task failed", e))??;
        Ok(Read {
            manifest,
            descriptor,
            reference,
        })
    }
}

/// The descriptor layer: what the config names, else `layers[0]`. A manifest that is not a
/// component version is an error naming the reference.
async fn descriptor_layer(
    session: &Session,
    repository: &str,
    manifest: &Manifest,
    reference: &str,
) -> Result<OciDescriptor> {
    if !layout::is_component_manifest(manifest) {
        return Err(Error::internal(format!(
            "{reference} is not an OCM component version (artifact type {:?}, config media type {:?})",
            manifest.artifact_type.as_deref().unwrap_or(""),
            manifest.config.media_type
        )));
    }
    let config_bytes = session
        .small_blob(
            repository,
            &manifest.config,
            layout::MAX_MANIFEST_SIZE,
            "config",
        )
        .await?;
    let config: layout::Config = serde_json::from_slice(&config_bytes).map_err(|e| {
        Error::internal(format!("the config of {reference} cannot be decoded: {e}"))
    })?;
    match config.component_descriptor_layer {
        Some(layer) if !layer.digest.is_empty() => {
            // The layer must be one of the manifest's, with its size.
            match manifest.layers.iter().find(|l| l.digest == layer.digest) {
                Some(found) => Ok(OciDescriptor {
                    media_type: if layer.media_type.is_empty() {
                        found.media_type.clone()
                    } else {
                        layer.media_type
                    },
                    ..found.clone()
                }),
                None => Err(Error::internal(format!(
                    "the config of {reference} names descriptor layer {} which the manifest does not list",
                    layer.digest
                ))),
            }
        }
        _ => manifest.layers.first().cloned().ok_or_else(|| {
            Error::internal(format!(
                "{reference} has no layers, so no component descriptor"
            ))
        }),
    }
}

/// The entries of a kind that match `identity` (every attribute it names equal); with no
/// identity, every local entry.
fn select<'a, T>(
    items: &'a [T],
    identity: Option<&Identity>,
    identity_of: impl Fn(&T) -> Identity,
    what: &str,
    reference: &str,
) -> Result<&'a T> {
    let matches: Vec<&T> = items
        .iter()
        .filter(|item| match identity {
            Some(wanted) => {
                let have = identity_of(item);
                wanted.iter().all(|(k, v)| have.get(k) == Some(v))
            }
            None => true,
        })
        .collect();
    match matches.as_slice() {
        [one] => Ok(one),
        [] => Err(Error::NotFound(format!(
            "no {what} with identity {} in {reference}",
            identity_text(identity)
        ))),
        many => Err(Error::InvalidArgument(format!(
            "{} {what}s of {reference} match identity {}: {}; give more identity attributes",
            many.len(),
            identity_text(identity),
            many.iter()
                .map(|m| identity_text(Some(&identity_of(m))))
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

fn identity_text(identity: Option<&Identity>) -> String {
    identity.map_or_else(
        || "{}".to_owned(),
        |i| serde_json::to_string(i).unwrap_or_default(),
    )
}

/// A blob location this plugin reads: an absolute `localFile` or `unixNamedPipe` path, and
/// whether it is a pipe.
fn check_local_location(location: &Location) -> Result<(&Path, bool)> {
    let is_pipe = match location.location_type {
        LocationType::LocalFile => false,
        LocationType::UnixNamedPipe => true,
        ref other => {
            return Err(Error::InvalidArgument(format!(
                "blob location type {other} is not supported by this plugin; send a localFile \
                 or a unixNamedPipe"
            )));
        }
    };
    let path = Path::new(&location.value);
    if !path.is_absolute() {
        return Err(Error::InvalidArgument(format!(
            "the blob location {:?} is not an absolute path",
            location.value
        )));
    }
    Ok((path, is_pipe))
}

impl OciRepository {
    /// Pushes a local blob and returns the access and digest to record. The media type is the
    /// location's, else the one the artifact's current access names, else
    /// `application/octet-stream`.
    async fn add_blob(
        &self,
        request_spec: &OciRepositorySpec,
        credentials: &Credentials,
        (name, version): (&str, &str),
        location: &Location,
        current_access: Option<&Raw>,
    ) -> Result<(Raw, String)> {
        let session = self.session(Some(request_spec), credentials)?;
        let repository = session.spec().repository_of(name)?;
        spec::tag_of(version)?;
        let (path, is_pipe) = check_local_location(location)?;
        let (digest, size) = if is_pipe {
            session.push_pipe(&repository, path).await?
        } else {
            session.push_file(&repository, path).await?
        };
        let media_type = location
            .media_type
            .clone()
            .filter(|m| !m.is_empty())
            .or_else(|| media_type_of(current_access))
            .unwrap_or_else(|| "application/octet-stream".to_owned());
        tracing::info!(%digest, size, repository, "local blob stored");
        let access = Raw::new(serde_json::json!({
            "type": layout::LOCAL_BLOB_TYPE,
            "localReference": digest,
            "mediaType": media_type,
        }))
        .map_err(|e| Error::internal_with("cannot build the access", e))?;
        Ok((access, digest))
    }
}

fn media_type_of(access: Option<&Raw>) -> Option<String> {
    access
        .and_then(|a| a.get("mediaType"))
        .and_then(serde_json::Value::as_str)
        .filter(|m| !m.is_empty())
        .map(str::to_owned)
}

/// Semver precedence, descending; versions that are not semver follow, lexically descending.
fn by_version_desc(a: &str, b: &str) -> Ordering {
    let parse = |v: &str| semver::Version::parse(v.strip_prefix('v').unwrap_or(v)).ok();
    match (parse(a), parse(b)) {
        (Some(x), Some(y)) => y.cmp(&x).then_with(|| b.cmp(a)),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => b.cmp(a),
    }
}

#[async_trait]
impl ComponentVersionRepository for OciRepository {
    type Spec = OciRepositorySpec;

    async fn get_component_version(
        &self,
        spec: Option<OciRepositorySpec>,
        request: GetComponentVersionRequest,
        credentials: &Credentials,
    ) -> Result<Descriptor> {
        let session = self.session(spec.as_ref(), credentials)?;
        Ok(self
            .read(&session, &request.name, &request.version)
            .await?
            .descriptor)
    }

    async fn list_component_versions(
        &self,
        spec: Option<OciRepositorySpec>,
        request: ListComponentVersionsRequest,
        credentials: &Credentials,
    ) -> Result<Vec<String>> {
        let session = self.session(spec.as_ref(), credentials)?;
        let repository = session.spec().repository_of(&request.name)?;
        let tags = session.tags(&repository).await?;
        let prefix = format!("{}:", request.name);
        let versions: Vec<Result<Option<String>>> = stream::iter(tags)
            .map(|tag| {
                let (session, repository, prefix) = (&session, &repository, &prefix);
                async move {
                    let Some(raw) = session.manifest(repository, &tag).await? else {
                        return Ok(None);
                    };
                    let Ok(manifest) = Manifest::deserialize(&raw.value) else {
                        return Ok(None);
                    };
                    if !layout::is_component_manifest(&manifest) {
                        return Ok(None);
                    }
                    let annotated = manifest
                        .annotations
                        .as_ref()
                        .and_then(|a| a.get(layout::COMPONENT_VERSION_ANNOTATION))
                        .and_then(|cv| cv.strip_prefix(prefix.as_str()))
                        .map(str::to_owned);
                    Ok(Some(
                        annotated.unwrap_or_else(|| spec::version_of_tag(&tag)),
                    ))
                }
            })
            .buffer_unordered(LIST_CONCURRENCY)
            .collect()
            .await;
        let mut out = Vec::new();
        for v in versions {
            if let Some(v) = v? {
                out.push(v);
            }
        }
        out.sort_by(|a, b| by_version_desc(a, b));
        out.dedup();
        Ok(out)
    }

    /// Uploads the descriptor and config blobs, checks that every local blob the descriptor
    /// names is in the repository, then writes the manifest under the version's tag: the tag
    /// is the last thing written, so a failure leaves no half component version visible.
    async fn add_component_version(
        &self,
        spec: OciRepositorySpec,
        request: AddComponentVersionRequest,
        credentials: &Credentials,
    ) -> Result<()> {
        let session = self.session(Some(&spec), credentials)?;
        let descriptor = request.descriptor;
        let (name, version) = (&descriptor.component.name, &descriptor.component.version);
        let repository = session.spec().repository_of(name)?;
        let tag = spec::tag_of(version)?;
        let blobs = layout::local_blobs(&descriptor)?;
        let mut layers = Vec::with_capacity(blobs.len());
        for blob in &blobs {
            let size = session
                .blob_size(&repository, &blob.digest)
                .await?
                .ok_or_else(|| {
                    Error::InvalidArgument(format!(
                        "local blob {} of {} is not in {}: add it with add-local-resource (or \
                     add-local-source) first; nothing was tagged",
                        blob.digest,
                        blob.artifacts
                            .iter()
                            .map(|a| format!("{} {}", a.kind, identity_text(Some(&a.identity))))
                            .collect::<Vec<_>>()
                            .join(", "),
                        session.location(&repository)
                    ))
                })?;
            layers.push(layout::blob_layer(blob, size)?);
        }
        let encoded = layout::encode(&descriptor, layers)?;
        session
            .push_bytes(
                &repository,
                layout::DESCRIPTOR_JSON_MEDIA_TYPE,
                encoded.descriptor,
            )
            .await?;
        session
            .push_bytes(&repository, layout::CONFIG_MEDIA_TYPE, encoded.config)
            .await?;
        session
            .push_manifest(&repository, &tag, encoded.manifest)
            .await?;
        tracing::info!(component = %name, %version, %tag, repository, "component version stored");
        Ok(())
    }

    async fn get_local_resource(
        &self,
        spec: Option<OciRepositorySpec>,
        request: GetLocalResourceRequest,
        credentials: &Credentials,
    ) -> Result<GetLocalResourceResponse> {
        let session = self.session(spec.as_ref(), credentials)?;
        let read = self.read(&session, &request.name, &request.version).await?;
        let resources = read
            .descriptor
            .component
            .resources
            .as_deref()
            .unwrap_or_default();
        let (resource, location) = fetch_artifact(
            resources,
            &session,
            &read,
            &request.name,
            request.identity.as_ref(),
        )
        .await?;
        Ok(GetLocalResourceResponse { location, resource })
    }

    async fn get_local_source(
        &self,
        spec: Option<OciRepositorySpec>,
        request: GetLocalSourceRequest,
        credentials: &Credentials,
    ) -> Result<GetLocalSourceResponse> {
        let session = self.session(spec.as_ref(), credentials)?;
        let read = self.read(&session, &request.name, &request.version).await?;
        let sources = read
            .descriptor
            .component
            .sources
            .as_deref()
            .unwrap_or_default();
        let (source, location) = fetch_artifact(
            sources,
            &session,
            &read,
            &request.name,
            request.identity.as_ref(),
        )
        .await?;
        Ok(GetLocalSourceResponse { location, source })
    }

    async fn add_local_resource(
        &self,
        spec: OciRepositorySpec,
        request: AddLocalResourceRequest,
        credentials: &Credentials,
    ) -> Result<Resource> {
        let mut resource = request.resource;
        let (access, digest) = self
            .add_blob(
                &spec,
                credentials,
                (&request.name, &request.version),
                &request.resource_location,
                resource.access.as_ref(),
            )
            .await?;
        resource.access = Some(access);
        if resource.digest.is_none() {
            let hex = digest.trim_start_matches("sha256:");
            resource.digest = Some(Digest::generic_blob_sha256(hex));
        }
        Ok(resource)
    }

    async fn add_local_source(
        &self,
        spec: OciRepositorySpec,
        request: AddLocalSourceRequest,
        credentials: &Credentials,
    ) -> Result<Source> {
        let mut source = request.source;
        let (access, _) = self
            .add_blob(
                &spec,
                credentials,
                (&request.name, &request.version),
                &request.source_location,
                source.access.as_ref(),
            )
            .await?;
        source.access = Some(access);
        Ok(source)
    }

    async fn identity(&self, spec: OciRepositorySpec) -> Result<Identity> {
        Ok(self.resolve(Some(&spec))?.identity())
    }

    /// Succeeds when the registry answers `/v2/` tags of a probe repository: it is reachable
    /// and the credentials are accepted.
    async fn check_health(
        &self,
        spec: OciRepositorySpec,
        _request: CheckHealthRequest,
        credentials: &Credentials,
    ) -> Result<()> {
        let session = self.session(Some(&spec), credentials)?;
        let repository = session.spec().repository_of("ocm.software/health-check")?;
        session.tags(&repository).await.map(|_| ())
    }
}

/// What `get-local-*` needs of a resource or a source.
trait Artifact: Clone {
    const KIND: &'static str;
    fn identity(&self) -> Identity;
    fn access(&self) -> Option<&Raw>;
    fn name(&self) -> &str;
}

impl Artifact for Resource {
    const KIND: &'static str = "resource";
    fn identity(&self) -> Identity {
        Self::identity(self)
    }
    fn access(&self) -> Option<&Raw> {
        self.access.as_ref()
    }
    fn name(&self) -> &str {
        &self.name
    }
}

impl Artifact for Source {
    const KIND: &'static str = "source";
    fn identity(&self) -> Identity {
        Self::identity(self)
    }
    fn access(&self) -> Option<&Raw> {
        self.access.as_ref()
    }
    fn name(&self) -> &str {
        &self.name
    }
}

/// Selects the local artifact `identity` names among `items` and downloads its blob.
async fn fetch_artifact<T: Artifact>(
    items: &[T],
    session: &Session,
    read: &Read,
    component: &str,
    identity: Option<&Identity>,
) -> Result<(T, Location)> {
    let local: Vec<T> = items
        .iter()
        .filter(|item| {
            item.access()
                .and_then(|a| a.get("type"))
                .and_then(serde_json::Value::as_str)
                .is_some_and(layout::is_local_blob_type)
        })
        .cloned()
        .collect();
    let what = format!("local {}", T::KIND);
    let item = select(&local, identity, T::identity, &what, &read.reference)?.clone();
    let what = format!("{} {:?}", T::KIND, item.name());
    let location = fetch_local(session, read, component, item.access(), &what).await?;
    Ok((item, location))
}

/// Downloads the local blob an access names, after checking the manifest lists it.
async fn fetch_local(
    session: &Session,
    read: &Read,
    component: &str,
    access: Option<&Raw>,
    what: &str,
) -> Result<Location> {
    let (digest, media_type) = layout::local_blob_of(access, what)?.ok_or_else(|| {
        Error::InvalidArgument(format!("{what} of {} is not a local blob", read.reference))
    })?;
    let layer = read
        .manifest
        .layers
        .iter()
        .find(|l| l.digest == digest)
        .cloned()
        .ok_or_else(|| {
            Error::internal(format!(
                "{what} of {} names blob {digest}, which the manifest does not list",
                read.reference
            ))
        })?;
    let repository = session.spec().repository_of(component)?;
    session
        .pull_to_file(&repository, &layer, Some(&media_type))
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_sort_by_semver_descending() {
        let mut v = vec![
            "1.0.0",
            "v2.0.0",
            "1.10.0",
            "1.2.0-rc.1",
            "1.2.0",
            "latest",
            "abc",
        ];
        v.sort_by(|a, b| by_version_desc(a, b));
        assert_eq!(
            v,
            [
                "v2.0.0",
                "1.10.0",
                "1.2.0",
                "1.2.0-rc.1",
                "1.0.0",
                "latest",
                "abc"
            ]
        );
    }

    #[test]
    fn identity_selection() {
        let id = |pairs: &[(&str, &str)]| -> Identity {
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect()
        };
        let items = vec![
            id(&[("name", "a"), ("os", "linux")]),
            id(&[("name", "a"), ("os", "darwin")]),
        ];
        let got = select(
            &items,
            Some(&id(&[("name", "a"), ("os", "linux")])),
            Clone::clone,
            "x",
            "r",
        );
        assert!(matches!(got, Ok(i) if i.get("os").map(String::as_str) == Some("linux")));
        assert!(matches!(
            select(&items, Some(&id(&[("name", "a")])), Clone::clone, "x", "r"),
            Err(Error::InvalidArgument(_))
        ));
        assert!(matches!(
            select(&items, Some(&id(&[("name", "b")])), Clone::clone, "x", "r"),
            Err(Error::NotFound(_))
        ));
    }

    #[test]
    fn requests_without_a_spec_use_the_fallback_or_say_how_to_set_one() {
        let repo = OciRepository::new(None);
        match repo.resolve(None) {
            Err(Error::InvalidArgument(m)) => {
                assert!(m.contains(CONFIG_TYPE) && m.contains(BASE_URL_ENV), "{m}")
            }
            other => panic!("{other:?}"),
        }
        let fallback = RepositorySpec::parse("http://127.0.0.1:5000", "x").ok();
        let repo = OciRepository::new(fallback.clone());
        assert_eq!(repo.resolve(None).ok(), fallback);
    }
}

#[cfg(test)]
mod served_tests {
    use ocm_plugin_sdk::{endpoints::component_version_repository as routes, testing};
    use serde_json::{Value, json};

    /// Over the protocol: `/identity` names the spec's registry, and for a spec without
    /// `baseUrl` (a prototype; the SDK checks no schema on `/identity`) the configured one.
    #[test]
    fn identity_over_the_protocol() {
        let fallback = json!({"type": crate::CONFIG_TYPE, "baseUrl": "http://127.0.0.1:5000"});
        let entries = vec![ocm_plugin_types::Raw::new(fallback).unwrap_or_else(|e| panic!("{e}"))];
        let plugin = crate::plugin().unwrap_or_else(|e| panic!("{e}"));
        let client = testing::TestClient::new(plugin, entries).unwrap_or_else(|e| panic!("{e}"));
        let cases = [
            (
                json!({"type": "OCI", "baseUrl": "ghcr.io", "subPath": "a"}),
                json!({"type": "OCIRegistry", "hostname": "ghcr.io", "path": "a", "scheme": "https"}),
            ),
            (
                json!({"type": "OCIRepository/v1"}),
                json!({"type": "OCIRegistry", "hostname": "127.0.0.1", "port": "5000", "scheme": "http"}),
            ),
        ];
        testing::block_on(async {
            for (spec, identity) in cases {
                let body = json!({ "type": spec });
                let answer = client
                    .call(&routes::GET_IDENTITY, &[], None, Some(&body))
                    .await
                    .unwrap_or_else(|e| panic!("{e}"));
                assert_eq!(answer.status, 200, "{spec}: {}", answer.body);
                let got: Value = answer.json().unwrap_or_else(|e| panic!("{e}"));
                assert_eq!(got["identity"], identity, "{spec}");
            }
        })
        .unwrap_or_else(|e| panic!("{e}"));
    }
}
