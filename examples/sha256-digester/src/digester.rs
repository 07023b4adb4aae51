//! [`Sha256Digester`]: the [`DigestProcessor`] implementation.

use ocm_plugin_contracts::{
    Error, Result, async_trait,
    digest_processor::v1::{
        DigestProcessor, GetIdentityRequest, GetIdentityResponse, ProcessResourceDigestRequest,
        ProcessResourceDigestResponse,
    },
};
use ocm_plugin_types::{Credentials, Digest, Identity};

use crate::{HASH_ALGORITHM, IDENTITY_TYPE, access::LocalFileAccess, hash};

/// The SHA-256 digest processor for `localFile/v1` accesses.
///
/// Stateless: every request names its file. Credentials are accepted and ignored: a local file
/// needs none.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sha256Digester;

impl Sha256Digester {
    /// A new digest processor.
    pub fn new() -> Self {
        Self
    }
}

/// The digest to answer with, given the one the resource declares (if any) and the computed
/// hex value.
///
/// No declared digest (or an all-empty one): the computed digest. A declared `SHA-256` digest
/// (the algorithm compared ignoring ASCII case) must have the computed value (hex compared
/// ignoring case), otherwise the resource's content is not what it claims: `InvalidArgument`
/// `digest mismatch: declared X, computed Y`. A digest of another algorithm cannot be checked,
/// and is not silently replaced: `InvalidArgument` too.
pub(crate) fn reconcile(declared: Option<&Digest>, computed: String) -> Result<Digest> {
    if let Some(d) = declared.filter(|d| *d != &Digest::default()) {
        if !d.hash_algorithm.eq_ignore_ascii_case(HASH_ALGORITHM) {
            return Err(Error::InvalidArgument(format!(
                "the resource declares a digest with hashAlgorithm {:?}; \
                 this digest processor computes only {HASH_ALGORITHM}",
                d.hash_algorithm
            )));
        }
        if !d.value.eq_ignore_ascii_case(&computed) {
            return Err(Error::InvalidArgument(format!(
                "digest mismatch: declared {}, computed {computed}",
                d.value
            )));
        }
    }
    Ok(Digest::generic_blob_sha256(computed))
}

#[async_trait]
impl DigestProcessor for Sha256Digester {
    /// Hashes the file the resource's `localFile/v1` access names and fills in `digest`; the
    /// rest of the resource is returned unchanged.
    async fn process_resource_digest(
        &self,
        request: ProcessResourceDigestRequest,
        _credentials: &Credentials,
    ) -> Result<ProcessResourceDigestResponse> {
        let mut resource = request.resource;
        let access = resource.access.as_ref().ok_or_else(|| {
            Error::InvalidArgument(format!(
                "the resource {} has no access to digest",
                resource.name
            ))
        })?;
        let path = LocalFileAccess::from_raw(access)?.path;
        let computed = {
            let path = path.clone();
            tokio::task::spawn_blocking(move || hash::sha256_file(&path))
                .await
                .map_err(|e| Error::internal_with("the hashing task failed", e))??
        };
        tracing::info!(path = %path.display(), sha256 = %computed, "digest computed");
        resource.digest = Some(reconcile(resource.digest.as_ref(), computed)?);
        Ok(ProcessResourceDigestResponse { resource })
    }

    /// `{"type":"localFile","path":<the access's path>}`.
    async fn get_identity(&self, request: GetIdentityRequest) -> Result<GetIdentityResponse> {
        let access = LocalFileAccess::from_raw(&request.typ)?;
        let identity: Identity = [
            ("type".to_owned(), IDENTITY_TYPE.to_owned()),
            (
                "path".to_owned(),
                access.path.to_string_lossy().into_owned(),
            ),
        ]
        .into();
        Ok(GetIdentityResponse { identity })
    }
}
