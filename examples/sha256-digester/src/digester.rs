//! [`Sha256Digester`]: the `localFile/v1` [`DigestProcessor`].

use ocm_plugin_sdk::{
    async_trait,
    contracts::{Error, Result},
    digest_processor::{
        Credentials, DigestProcessor, Identity, ProcessResourceDigestRequest,
        ProcessResourceDigestResponse,
    },
    types::Digest,
};

use crate::{HASH_ALGORITHM, IDENTITY_TYPE, access::LocalFileAccess, hash};

/// The SHA-256 digest processor for `localFile/v1` accesses.
///
/// Stateless: every request names its file. Credentials are accepted and ignored: a local file
/// needs none.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sha256Digester;

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
    type Spec = LocalFileAccess;

    /// Hashes the file the resource's `localFile/v1` access names (on the blocking pool) and
    /// fills in `digest`; the rest of the resource is returned unchanged.
    async fn process_resource_digest(
        &self,
        access: LocalFileAccess,
        request: ProcessResourceDigestRequest,
        _credentials: &Credentials,
    ) -> Result<ProcessResourceDigestResponse> {
        let path = access.absolute_path()?.to_owned();
        let computed = {
            let path = path.clone();
            ocm_plugin_sdk::spawn_blocking(move || hash::sha256_file(&path)).await?
        };
        tracing::info!(path = %path.display(), sha256 = %computed, "digest computed");
        let mut resource = request.resource;
        resource.digest = Some(reconcile(resource.digest.as_ref(), computed)?);
        Ok(ProcessResourceDigestResponse { resource })
    }

    /// `{"type":"localFile","path":<the access's path>}`.
    async fn identity(&self, access: LocalFileAccess) -> Result<Identity> {
        access.absolute_path()?;
        Ok(Identity::from([
            ("type".to_owned(), IDENTITY_TYPE.to_owned()),
            ("path".to_owned(), access.path),
        ]))
    }
}
