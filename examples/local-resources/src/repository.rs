//! [`LocalResources`]: the `localFile/v1` [`ResourceRepository`].

use std::path::PathBuf;

use ocm_plugin_sdk::{
    async_trait,
    contracts::{Error, Result},
    resource_repository::{
        AddGlobalResourceRequest, AddGlobalResourceResponse, Credentials, GetGlobalResourceRequest,
        GetGlobalResourceResponse, Identity, ResourceRepository,
    },
    spawn_blocking,
    types::{Digest, LocationType},
};

use crate::{access::LocalFileAccess, files};

/// The hash algorithm of the digests this plugin computes.
pub const HASH_ALGORITHM: &str = "SHA-256";

/// The normalisation algorithm of the digests this plugin computes.
pub const NORMALISATION_ALGORITHM: &str = "genericBlobDigest/v1";

/// A resource repository for `localFile/v1` accesses: the access's `path` is where the
/// resource's bytes live on the local file system.
///
/// Downloads are copied into new files in a temporary directory: by default the system's
/// ([`std::env::temp_dir`], read on every call; the plugin manager points `TMPDIR` at its own
/// directory and removes it at shutdown). Credentials are accepted and ignored.
#[derive(Debug, Clone, Default)]
pub struct LocalResources {
    temp_dir: Option<PathBuf>,
}

impl LocalResources {
    /// A repository that hands downloads out in the system temp directory.
    pub fn new() -> Self {
        Self::default()
    }

    /// A repository that hands downloads out in `dir` instead.
    pub fn with_temp_dir(dir: impl Into<PathBuf>) -> Self {
        Self {
            temp_dir: Some(dir.into()),
        }
    }

    /// The directory downloads are handed out in.
    pub fn temp_dir(&self) -> PathBuf {
        self.temp_dir.clone().unwrap_or_else(std::env::temp_dir)
    }
}

#[async_trait]
impl ResourceRepository for LocalResources {
    type Spec = LocalFileAccess;

    /// Copies the file at the access's `path` into a **new** file in the temp directory and
    /// hands that file over: the caller owns and deletes it. The location's `mediaType` is the
    /// access's, if it names one. A missing file is [`Error::NotFound`].
    async fn get_global_resource(
        &self,
        access: LocalFileAccess,
        request: GetGlobalResourceRequest,
        _credentials: &Credentials,
    ) -> Result<GetGlobalResourceResponse> {
        let resource = request.resource;
        let source = access.absolute_path()?.to_owned();
        let temp_dir = self.temp_dir();
        let media_type = access.media_type().map(str::to_owned);
        let location = spawn_blocking(move || {
            let mut input = files::open_regular(&source, |p| {
                Error::NotFound(format!("resource file {} does not exist", p.display()))
            })?;
            files::copy_to_new_blob(&mut input, &source, &temp_dir, media_type.as_deref())
        })
        .await?;
        tracing::info!(resource = %resource.name, path = %access.path, "resource read");
        Ok(GetGlobalResourceResponse { location })
    }

    /// Writes the bytes of `resource_location` (a `localFile` location, which stays the
    /// caller's and is only read) to the access's `path`, atomically, creating missing parent
    /// directories and **overwriting** an existing file. Returns the resource with its access
    /// unchanged and `digest` set to the SHA-256 of the bytes (`genericBlobDigest/v1`).
    async fn add_global_resource(
        &self,
        access: LocalFileAccess,
        request: AddGlobalResourceRequest,
        _credentials: &Credentials,
    ) -> Result<AddGlobalResourceResponse> {
        let mut resource = request.resource;
        let location = request.resource_location;
        if location.location_type != LocationType::LocalFile {
            return Err(Error::InvalidArgument(format!(
                "unsupported resource location type {}: only localFile is supported",
                location.location_type
            )));
        }
        let source = PathBuf::from(&location.value);
        if !source.is_absolute() {
            return Err(Error::InvalidArgument(format!(
                "the resource location {} is not an absolute path",
                location.value
            )));
        }
        let target = access.absolute_path()?.to_owned();
        let hex = spawn_blocking(move || {
            let mut input = files::open_regular(&source, |p| {
                Error::InvalidArgument(format!(
                    "the resource location {} does not exist",
                    p.display()
                ))
            })?;
            files::write_atomically(&mut input, &source, &target)
        })
        .await?;
        if let Some(declared) = &resource.digest
            && declared.hash_algorithm == HASH_ALGORITHM
            && declared.normalisation_algorithm == NORMALISATION_ALGORITHM
            && !declared.value.eq_ignore_ascii_case(&hex)
        {
            tracing::warn!(
                resource = %resource.name,
                declared = %declared.value,
                actual = %hex,
                "the declared digest does not match the stored bytes; replacing it"
            );
        }
        resource.digest = Some(Digest::generic_blob_sha256(hex));
        tracing::info!(resource = %resource.name, path = %access.path, "resource stored");
        Ok(AddGlobalResourceResponse { resource })
    }

    /// `{"type":"localFile","path":<path>}` for a `localFile/v1` access.
    async fn identity(&self, access: LocalFileAccess) -> Result<Identity> {
        access.identity()
    }
}
