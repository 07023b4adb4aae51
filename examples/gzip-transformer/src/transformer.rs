//! [`GzipTransformer`]: the `GzipTransformer/v1` [`BlobTransformer`].

use std::path::PathBuf;

use ocm_plugin_sdk::{
    async_trait,
    blob_transformer::{
        BlobTransformer, Credentials, Identity, TransformBlobRequest, TransformBlobResponse,
    },
    contracts::{Error, Result},
    types::{Location, LocationType},
};

use crate::{
    GZIP_MEDIA_TYPE, GZIP_MEDIA_TYPE_SUFFIX, IDENTITY_TYPE, gzip,
    spec::{GzipSpec, Mode},
};

/// The `GzipTransformer/v1` blob transformer.
///
/// Stateless: every request carries its blob and spec. Credentials are accepted and ignored.
#[derive(Debug, Clone, Copy, Default)]
pub struct GzipTransformer;

/// The media type of the output: `application/gzip` when compressing; when decompressing, the
/// input's media type without its `+gzip` suffix if it has one, else none.
fn output_media_type(mode: Mode, input: Option<&str>) -> Option<String> {
    match mode {
        Mode::Compress => Some(GZIP_MEDIA_TYPE.to_owned()),
        Mode::Decompress => input
            .and_then(|m| m.strip_suffix(GZIP_MEDIA_TYPE_SUFFIX))
            .filter(|m| !m.is_empty())
            .map(str::to_owned),
    }
}

/// The path of a `localFile` location; other location types and relative paths are
/// `InvalidArgument`.
fn input_path(location: &Location) -> Result<PathBuf> {
    if location.location_type != LocationType::LocalFile {
        return Err(Error::InvalidArgument(format!(
            "unsupported location type {}: this transformer reads only {} locations",
            location.location_type,
            LocationType::LocalFile
        )));
    }
    let path = PathBuf::from(&location.value);
    if !path.is_absolute() {
        return Err(Error::InvalidArgument(format!(
            "the input location {:?} is relative; an absolute path is required",
            location.value
        )));
    }
    Ok(path)
}

#[async_trait]
impl BlobTransformer for GzipTransformer {
    type Spec = GzipSpec;

    /// Compresses or decompresses the request's `localFile` blob into a new file, which is
    /// handed over to the caller. The request's blob is only read.
    async fn transform_blob(
        &self,
        spec: GzipSpec,
        request: TransformBlobRequest,
        _credentials: &Credentials,
    ) -> Result<TransformBlobResponse> {
        let input = input_path(&request.location)?;
        let media_type = output_media_type(spec.mode, request.location.media_type.as_deref());
        let location = {
            let input = input.clone();
            ocm_plugin_sdk::spawn_blocking(move || {
                gzip::transform(&input, spec.mode, spec.level, media_type.as_deref())
            })
            .await?
        };
        tracing::info!(
            mode = ?spec.mode,
            input = %input.display(),
            output = %location.value,
            "blob transformed"
        );
        Ok(TransformBlobResponse { location })
    }

    /// `{"type":"GzipTransformer"}`: the transformer needs no credentials, so one identity
    /// serves every spec.
    async fn identity(&self, _spec: GzipSpec) -> Result<Identity> {
        Ok(Identity::from([(
            "type".to_owned(),
            IDENTITY_TYPE.to_owned(),
        )]))
    }
}
