//! [`FileInput`]: the [`InputMethod`] implementation.

use ocm_plugin_contracts::{
    Error, Result, async_trait,
    input::v1::{
        GetIdentityRequest, GetIdentityResponse, InputMethod, ProcessResourceRequest,
        ProcessResourceResponse, ProcessSourceRequest, ProcessSourceResponse,
    },
};
use ocm_plugin_types::{Credentials, Digest, Identity, Location, Raw, Resource, Source};

use crate::{
    IDENTITY_TYPE, LOCAL_BLOB_ACCESS_TYPE,
    blob::{self, Blob},
    spec::FileSpec,
};

/// The `file/v1` input method.
///
/// Stateless: every request names its file. Credentials are accepted and ignored: a local file
/// needs none.
#[derive(Debug, Clone, Copy, Default)]
pub struct FileInput;

impl FileInput {
    /// A new input method.
    pub fn new() -> Self {
        Self
    }
}

/// What both `process_*` operations produce: the blob, its access and its location.
struct Processed {
    blob: Blob,
    access: Raw,
    location: Location,
}

/// Checks the spec, writes the blob and describes it.
async fn process(spec: Option<&Raw>, what: &str) -> Result<Processed> {
    let spec = spec.ok_or_else(|| {
        Error::InvalidArgument(format!(
            "the {what} carries no input (neither `input` nor `access`)"
        ))
    })?;
    let spec = FileSpec::from_raw(spec)?;
    let blob = ocm_plugin_sdk::spawn_blocking(move || blob::produce(&spec)).await?;
    let access = Raw::new(serde_json::json!({
        "type": LOCAL_BLOB_ACCESS_TYPE,
        "localReference": format!("sha256:{}", blob.sha256),
        "mediaType": blob.location.media_type,
    }))
    .map_err(|e| Error::internal_with("building the localBlob access", e))?;
    let location = blob.location.clone();
    tracing::info!(path = %location.value, sha256 = %blob.sha256, "input processed");
    Ok(Processed {
        blob,
        access,
        location,
    })
}

#[async_trait]
impl InputMethod for FileInput {
    /// Turns the file into a local blob; the resource gets a `localBlob/v1` access and a
    /// `genericBlobDigest/v1` SHA-256 digest of the blob.
    async fn process_resource(
        &self,
        request: ProcessResourceRequest,
        _credentials: &Credentials,
    ) -> Result<ProcessResourceResponse> {
        let Processed {
            blob,
            access,
            location,
        } = process(request.resource.spec(), "resource").await?;
        let r = request.resource;
        let resource = Resource {
            name: r.name,
            version: r.version,
            labels: r.labels,
            extra_identity: r.extra_identity,
            resource_type: r.resource_type,
            relation: "local".to_owned(),
            access: Some(access),
            digest: Some(Digest::generic_blob_sha256(blob.sha256)),
            ..Resource::default()
        };
        Ok(ProcessResourceResponse { resource, location })
    }

    /// Like [`process_resource`](Self::process_resource); sources carry no digest.
    async fn process_source(
        &self,
        request: ProcessSourceRequest,
        _credentials: &Credentials,
    ) -> Result<ProcessSourceResponse> {
        let Processed {
            access, location, ..
        } = process(request.source.spec(), "source").await?;
        let s = request.source;
        let source = Source {
            name: s.name,
            version: s.version,
            labels: s.labels,
            extra_identity: s.extra_identity,
            source_type: s.source_type,
            access: Some(access),
            extra: Default::default(),
        };
        Ok(ProcessSourceResponse { source, location })
    }

    /// `{"type":"file","path":<the spec's path>}`.
    async fn get_identity(&self, request: GetIdentityRequest) -> Result<GetIdentityResponse> {
        let spec = FileSpec::from_raw(&request.typ)?;
        let identity: Identity = [
            ("type".to_owned(), IDENTITY_TYPE.to_owned()),
            ("path".to_owned(), spec.path.to_string_lossy().into_owned()),
        ]
        .into();
        Ok(GetIdentityResponse { identity })
    }
}
