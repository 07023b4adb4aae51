//! [`FileInput`]: the `file/v1` [`InputMethod`].

use std::{fs::File, io, path::Path};

use flate2::{Compression, read::GzEncoder};
use ocm_plugin_sdk::{
    async_trait,
    contracts::{Error, Result},
    input::{
        self, Credentials, Identity, InputMethod, LocalBlob, ProcessResourceRequest,
        ProcessResourceResponse, ProcessSourceRequest, ProcessSourceResponse,
    },
};

use crate::{IDENTITY_TYPE, spec::FileSpec};

/// The `file/v1` input method.
///
/// Stateless: every request names its file. Credentials are accepted and ignored: a local file
/// needs none.
#[derive(Debug, Clone, Copy, Default)]
pub struct FileInput;

#[async_trait]
impl InputMethod for FileInput {
    type Spec = FileSpec;

    /// Turns the file into a local blob; the resource gets a `localBlob/v1` access and a
    /// `genericBlobDigest/v1` SHA-256 digest of the blob, and relation `local`.
    async fn process_resource(
        &self,
        spec: FileSpec,
        request: ProcessResourceRequest,
        _credentials: &Credentials,
    ) -> Result<ProcessResourceResponse> {
        let mut answer = input::resource_answer(request.resource, blob(&spec).await?)?;
        // The blob is stored with the component version, whatever the constructor said.
        answer.resource.relation = "local".to_owned();
        Ok(answer)
    }

    /// Like [`process_resource`](Self::process_resource); sources carry no digest.
    async fn process_source(
        &self,
        spec: FileSpec,
        request: ProcessSourceRequest,
        _credentials: &Credentials,
    ) -> Result<ProcessSourceResponse> {
        input::source_answer(request.source, blob(&spec).await?)
    }

    /// `{"type":"file","path":<the spec's path>}`.
    async fn identity(&self, spec: FileSpec) -> Result<Identity> {
        spec.absolute_path()?;
        Ok(Identity::from([
            ("type".to_owned(), IDENTITY_TYPE.to_owned()),
            ("path".to_owned(), spec.path),
        ]))
    }
}

/// The spec's file as a new blob file, gzip-compressed (default level, no name or time in the
/// header, so the same file always gives the same blob) when the spec says so. The file is
/// only read; opening, reading and hashing run on the blocking pool.
async fn blob(spec: &FileSpec) -> Result<LocalBlob> {
    let path = spec.absolute_path()?.to_owned();
    let media_type = spec.blob_media_type();
    let file = {
        let path = path.clone();
        ocm_plugin_sdk::spawn_blocking(move || open_regular(&path)).await?
    };
    let blob = if spec.compress {
        let gzip = GzEncoder::new(file, Compression::default());
        LocalBlob::from_reader(gzip, Some(&media_type)).await
    } else {
        LocalBlob::from_reader(file, Some(&media_type)).await
    }
    .map_err(|e| Error::internal_with(format!("copying {}", path.display()), e))?;
    tracing::info!(path = %blob.location().value, sha256 = %blob.digest().value, "input processed");
    Ok(blob)
}

/// Opens the input file: a missing file is `NotFound`, one that is not a regular file
/// `InvalidArgument`, other failures internal errors; every message names the path.
fn open_regular(path: &Path) -> Result<File> {
    let io_error = |action: &str, e: io::Error| match e.kind() {
        io::ErrorKind::NotFound => Error::NotFound(format!("{action} {}: {e}", path.display())),
        _ => Error::internal_with(format!("{action} {}", path.display()), e),
    };
    let file = File::open(path).map_err(|e| io_error("opening input file", e))?;
    let metadata = file
        .metadata()
        .map_err(|e| io_error("reading input file", e))?;
    if !metadata.is_file() {
        return Err(Error::InvalidArgument(format!(
            "the input path {} is not a regular file",
            path.display()
        )));
    }
    Ok(file)
}
