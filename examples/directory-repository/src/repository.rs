//! [`DirectoryRepository`]: the typed [`ComponentVersionRepository`] and [`ComponentLister`]
//! implementation for [`DirectorySpec`].

use std::path::{Path, PathBuf};

use ocm_plugin_contracts::{Error, Result, async_trait};
use ocm_plugin_sdk::{
    component_lister::{
        ComponentLister, ListComponentsHeader, ListComponentsRequest, ListComponentsResponse,
    },
    component_version_repository::{
        AddComponentVersionRequest, AddLocalResourceRequest, AddLocalSourceRequest,
        CheckHealthRequest, ComponentVersionRepository, GetComponentVersionRequest,
        GetLocalResourceRequest, GetLocalResourceResponse, GetLocalSourceRequest,
        GetLocalSourceResponse, ListComponentVersionsRequest,
    },
    spawn_blocking,
};
use ocm_plugin_types::{Credentials, Descriptor, Identity, Resource, Source, Type};

use crate::{
    DEFAULT_PAGE_SIZE, DirectoryConfig, DirectorySpec, IDENTITY_TYPE, REPOSITORY_TYPE_NAME,
    store::Store,
};

/// A component version repository in a directory.
///
/// The directory comes from each request's repository spec (`path`), or, when a request carries
/// no spec, from the configured root (see [`DirectoryConfig`]). Credentials are accepted and
/// ignored: a local directory needs none.
#[derive(Debug, Clone)]
pub struct DirectoryRepository {
    config_root: Option<PathBuf>,
    page_size: usize,
}

impl Default for DirectoryRepository {
    fn default() -> Self {
        Self {
            config_root: None,
            page_size: DEFAULT_PAGE_SIZE,
        }
    }
}

impl DirectoryRepository {
    /// A repository with an optional fallback root, used when a request carries no spec.
    ///
    /// Fails with [`Error::InvalidArgument`] when `config_root` is relative.
    pub fn new(config_root: Option<PathBuf>) -> Result<Self> {
        if let Some(root) = &config_root {
            check_absolute(root, "the configured root")?;
        }
        Ok(Self {
            config_root,
            page_size: DEFAULT_PAGE_SIZE,
        })
    }

    /// The same repository, listing `page_size` component names per page (at least 1).
    pub fn with_page_size(self, page_size: usize) -> Result<Self> {
        if page_size == 0 {
            return Err(Error::InvalidArgument(
                "the component lister's page size must be at least 1".into(),
            ));
        }
        Ok(Self { page_size, ..self })
    }

    /// A repository from the plugin's configuration entry, if there is one.
    pub fn from_config(config: Option<DirectoryConfig>) -> Result<Self> {
        let config = config.unwrap_or_default();
        let repository = Self::new(config.root)?;
        match config.page_size {
            Some(size) => repository.with_page_size(size),
            None => Ok(repository),
        }
    }

    /// The configured fallback root.
    pub fn config_root(&self) -> Option<&Path> {
        self.config_root.as_deref()
    }

    /// The directory a request addresses: the spec's `path` if the request has a spec with a
    /// path, else the configured root.
    ///
    /// A spec of another type, a relative path, or having neither a path nor a configured root
    /// fail with [`Error::InvalidArgument`]. An empty `path` counts as absent: a Go manager
    /// sends the empty spec prototype (`{"type":"","path":""}`) on `/identity`.
    pub fn resolve_root(&self, spec: Option<&DirectorySpec>) -> Result<PathBuf> {
        let from_spec = match spec {
            Some(spec) => spec_path(spec)?,
            None => None,
        };
        let root = from_spec.or_else(|| self.config_root.clone()).ok_or_else(|| {
            Error::InvalidArgument(format!(
                "no repository directory: the request's {REPOSITORY_TYPE_NAME} spec has no `path`, \
                 and the plugin configuration sets no `root` (config type {})",
                crate::CONFIG_TYPE
            ))
        })?;
        check_absolute(&root, "the repository path")?;
        Ok(root)
    }

    fn store(&self, spec: Option<&DirectorySpec>) -> Result<Store> {
        Ok(Store::new(self.resolve_root(spec)?))
    }
}

fn check_absolute(path: &Path, what: &str) -> Result<()> {
    if path.is_absolute() {
        Ok(())
    } else {
        Err(Error::InvalidArgument(format!(
            "{what} {} is relative; an absolute path is required",
            path.display()
        )))
    }
}

/// The `path` of a spec, after checking its type (the schema only says it is a string: the
/// empty prototype has an empty one). `None` when the path is empty.
fn spec_path(spec: &DirectorySpec) -> Result<Option<PathBuf>> {
    if !spec.typ.is_empty() {
        let t: Type = spec
            .typ
            .parse()
            .map_err(|e| Error::InvalidArgument(format!("invalid repository type: {e}")))?;
        if t.name() != REPOSITORY_TYPE_NAME || !matches!(t.version(), None | Some("v1")) {
            return Err(Error::InvalidArgument(format!(
                "unsupported repository type {t}: this plugin serves {}",
                crate::REPOSITORY_TYPE
            )));
        }
    }
    Ok((!spec.path.as_os_str().is_empty()).then(|| spec.path.clone()))
}

#[async_trait]
impl ComponentVersionRepository for DirectoryRepository {
    type Spec = DirectorySpec;

    async fn get_component_version(
        &self,
        spec: Option<DirectorySpec>,
        request: GetComponentVersionRequest,
        _credentials: &Credentials,
    ) -> Result<Descriptor> {
        let store = self.store(spec.as_ref())?;
        spawn_blocking(move || store.get_descriptor(&request.name, &request.version)).await
    }

    async fn list_component_versions(
        &self,
        spec: Option<DirectorySpec>,
        request: ListComponentVersionsRequest,
        _credentials: &Credentials,
    ) -> Result<Vec<String>> {
        let store = self.store(spec.as_ref())?;
        spawn_blocking(move || store.list_versions(&request.name)).await
    }

    /// Stores the descriptor. An existing descriptor of the same component version is
    /// overwritten.
    async fn add_component_version(
        &self,
        spec: DirectorySpec,
        request: AddComponentVersionRequest,
        _credentials: &Credentials,
    ) -> Result<()> {
        let store = self.store(Some(&spec))?;
        spawn_blocking(move || store.put_descriptor(&request.descriptor)).await
    }

    async fn get_local_resource(
        &self,
        spec: Option<DirectorySpec>,
        request: GetLocalResourceRequest,
        _credentials: &Credentials,
    ) -> Result<GetLocalResourceResponse> {
        let store = self.store(spec.as_ref())?;
        let (location, resource) = spawn_blocking(move || {
            store.get_local::<Resource>(&request.name, &request.version, request.identity.as_ref())
        })
        .await?;
        Ok(GetLocalResourceResponse { location, resource })
    }

    async fn get_local_source(
        &self,
        spec: Option<DirectorySpec>,
        request: GetLocalSourceRequest,
        _credentials: &Credentials,
    ) -> Result<GetLocalSourceResponse> {
        let store = self.store(spec.as_ref())?;
        let (location, source) = spawn_blocking(move || {
            store.get_local::<Source>(&request.name, &request.version, request.identity.as_ref())
        })
        .await?;
        Ok(GetLocalSourceResponse { location, source })
    }

    async fn add_local_resource(
        &self,
        spec: DirectorySpec,
        request: AddLocalResourceRequest,
        _credentials: &Credentials,
    ) -> Result<Resource> {
        let store = self.store(Some(&spec))?;
        spawn_blocking(move || {
            store.add_local(
                &request.name,
                &request.version,
                &request.resource_location,
                request.resource,
            )
        })
        .await
    }

    async fn add_local_source(
        &self,
        spec: DirectorySpec,
        request: AddLocalSourceRequest,
        _credentials: &Credentials,
    ) -> Result<Source> {
        let store = self.store(Some(&spec))?;
        spawn_blocking(move || {
            store.add_local(
                &request.name,
                &request.version,
                &request.source_location,
                request.source,
            )
        })
        .await
    }

    /// `{"type":"DirectoryRepository","path":<the directory>}`.
    async fn identity(&self, spec: DirectorySpec) -> Result<Identity> {
        let root = self.resolve_root(Some(&spec))?;
        Ok([
            ("type".to_owned(), IDENTITY_TYPE.to_owned()),
            ("path".to_owned(), root.to_string_lossy().into_owned()),
        ]
        .into())
    }

    async fn check_health(
        &self,
        spec: DirectorySpec,
        _request: CheckHealthRequest,
        _credentials: &Credentials,
    ) -> Result<()> {
        let store = self.store(Some(&spec))?;
        spawn_blocking(move || store.check_health()).await
    }
}

/// The component lister over the same store: the names of the components that have a stored
/// version, sorted, a page of [`DirectoryRepository::with_page_size`] names at a time. A page
/// holds the names after `last`; `header.last` is set only when more follow.
#[async_trait]
impl ComponentLister for DirectoryRepository {
    type Spec = DirectorySpec;

    async fn list_components(
        &self,
        spec: DirectorySpec,
        request: ListComponentsRequest,
        _credentials: &Credentials,
    ) -> Result<ListComponentsResponse> {
        let store = self.store(Some(&spec))?;
        let names = spawn_blocking(move || store.list_components()).await?;
        let start = names.partition_point(|n| n.as_str() <= request.last.as_str());
        let rest = &names[start..];
        let page: Vec<String> = rest.iter().take(self.page_size).cloned().collect();
        let header = (rest.len() > page.len())
            .then(|| page.last().cloned())
            .flatten()
            .map(|last| ListComponentsHeader { last });
        Ok(ListComponentsResponse { list: page, header })
    }

    async fn identity(&self, spec: DirectorySpec) -> Result<Identity> {
        ComponentVersionRepository::identity(self, spec).await
    }
}
