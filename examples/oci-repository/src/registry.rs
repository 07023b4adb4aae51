//! Registry traffic through `oci-client`: one client per registry and credentials (so bearer
//! tokens are fetched once and reused), credentials mapped to registry auth, blobs streamed
//! from and to files, and registry errors mapped to the plugin's error kinds.

use std::{
    collections::HashMap,
    io::{Read as _, Write as _},
    path::{Path, PathBuf},
    sync::{Arc, Mutex},
    time::Duration,
};

use futures_util::StreamExt as _;
use oci_client::{
    Client, Reference,
    client::{BlobResponse, ClientConfig, ClientProtocol},
    errors::{OciDistributionError, OciErrorCode},
    manifest::OciDescriptor as ClientDescriptor,
    secrets::RegistryAuth,
};
use ocm_plugin_contracts::{Error, Result};
use ocm_plugin_sdk::blob::BlobFile;
use ocm_plugin_types::{Credentials, Location};
use sha2::{Digest as _, Sha256};

use crate::{
    layout::{self, OciDescriptor},
    spec::{RepositorySpec, Scheme},
};

/// How long a connection to the registry may take before the request fails.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long the registry may stay silent within one response.
pub(crate) const READ_TIMEOUT: Duration = Duration::from_secs(120);
/// Most clients kept (one per registry and credentials).
const MAX_CLIENTS: usize = 32;
/// Read size when hashing and uploading files.
const CHUNK: usize = 1024 * 1024;

/// Registry auth from OCM credentials (`Credentials/v1`, `OCICredentials/v1`, or a flat map):
/// `username`/`password` (Basic, or the token flow when the registry asks for it),
/// `accessToken` (Bearer as is), `refreshToken` (exchanged for an access token at the
/// registry's token endpoint).
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum Auth {
    /// No credentials.
    Anonymous,
    /// User name and password.
    Basic(String, String),
    /// A bearer token used as is.
    Bearer(String),
    /// An OAuth2 refresh token (Docker's identity token).
    Refresh(String),
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the secrets.
        f.write_str(match self {
            Self::Anonymous => "Anonymous",
            Self::Basic(..) => "Basic(<redacted>)",
            Self::Bearer(_) => "Bearer(<redacted>)",
            Self::Refresh(_) => "Refresh(<redacted>)",
        })
    }
}

impl Auth {
    /// Reads the credentials. An access token wins over a refresh token, which wins over user
    /// name and password; a user name without password (or the reverse) is a 401.
    pub fn from_credentials(credentials: &Credentials) -> Result<Self> {
        let props = credentials.properties();
        let get = |k: &str| props.get(k).filter(|v| !v.is_empty()).cloned();
        if let Some(token) = get("accessToken") {
            return Ok(Self::Bearer(token));
        }
        if let Some(token) = get("refreshToken").or_else(|| get("identityToken")) {
            return Ok(Self::Refresh(token));
        }
        match (get("username"), get("password")) {
            (Some(u), Some(p)) => Ok(Self::Basic(u, p)),
            (None, None) => Ok(Self::Anonymous),
            (Some(_), None) => Err(Error::Unauthorized(
                "the credentials have a `username` but no `password`".into(),
            )),
            (None, Some(_)) => Err(Error::Unauthorized(
                "the credentials have a `password` but no `username`".into(),
            )),
        }
    }

    fn kind(&self) -> u8 {
        match self {
            Self::Anonymous => 0,
            Self::Basic(..) => 1,
            Self::Bearer(_) => 2,
            Self::Refresh(_) => 3,
        }
    }

    /// A fingerprint that tells credentials apart without keeping them as a key.
    fn fingerprint(&self) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update([self.kind()]);
        match self {
            Self::Anonymous => {}
            Self::Basic(u, p) => {
                h.update(u.as_bytes());
                h.update([0]);
                h.update(p.as_bytes());
            }
            Self::Bearer(t) | Self::Refresh(t) => h.update(t.as_bytes()),
        }
        h.finalize().into()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct ClientKey {
    scheme: Scheme,
    registry: String,
    auth: [u8; 32],
}

/// The clients of this plugin process, one per registry and credentials. A client keeps the
/// tokens it fetched, so a second request to the same registry with the same credentials fetches
/// none.
#[derive(Default, Clone)]
pub(crate) struct Clients {
    clients: Arc<Mutex<HashMap<ClientKey, Client>>>,
}

impl std::fmt::Debug for Clients {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.clients.lock().map(|c| c.len()).unwrap_or_default();
        f.debug_struct("Clients").field("clients", &n).finish()
    }
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("spec", &self.spec)
            .field("auth", &self.auth)
            .finish_non_exhaustive()
    }
}

/// A client, its auth, and the repository spec it serves.
#[derive(Clone)]
pub(crate) struct Session {
    client: Client,
    auth: RegistryAuth,
    spec: RepositorySpec,
    auth_kind: Auth,
}

impl Clients {
    /// A session for `spec` with `credentials`.
    pub(crate) fn session(
        &self,
        spec: &RepositorySpec,
        credentials: &Credentials,
    ) -> Result<Session> {
        let auth = Auth::from_credentials(credentials)?;
        let key = ClientKey {
            scheme: spec.scheme,
            registry: spec.registry(),
            auth: auth.fingerprint(),
        };
        let client = {
            let mut clients = self
                .clients
                .lock()
                .map_err(|_| Error::internal("the client table is poisoned"))?;
            if clients.len() >= MAX_CLIENTS && !clients.contains_key(&key) {
                clients.clear();
            }
            clients
                .entry(key)
                .or_insert_with(|| new_client(spec.scheme))
                .clone()
        };
        let registry_auth = match &auth {
            Auth::Anonymous | Auth::Refresh(_) => RegistryAuth::Anonymous,
            Auth::Basic(u, p) => RegistryAuth::Basic(u.clone(), p.clone()),
            Auth::Bearer(t) => RegistryAuth::Bearer(t.clone()),
        };
        Ok(Session {
            client,
            auth: registry_auth,
            spec: spec.clone(),
            auth_kind: auth,
        })
    }
}

fn new_client(scheme: Scheme) -> Client {
    crate::token::ensure_crypto();
    let config = ClientConfig {
        protocol: match scheme {
            Scheme::Http => ClientProtocol::Http,
            Scheme::Https => ClientProtocol::Https,
        },
        use_monolithic_push: true,
        connect_timeout: Some(CONNECT_TIMEOUT),
        read_timeout: Some(READ_TIMEOUT),
        user_agent: concat!("ocm-plugin-rs-oci-repository/", env!("CARGO_PKG_VERSION")),
        ..ClientConfig::default()
    };
    Client::new(config)
}

/// A manifest as read: its JSON (parsed once, here) and its digest.
#[derive(Debug, Clone)]
pub(crate) struct RawManifest {
    /// The manifest as JSON.
    pub(crate) value: serde_json::Value,
    /// Its digest.
    pub(crate) digest: String,
}

impl Session {
    /// The spec this session serves.
    pub(crate) fn spec(&self) -> &RepositorySpec {
        &self.spec
    }

    fn reference(&self, repository: &str, tag: &str) -> Reference {
        Reference::with_tag(self.spec.registry(), repository.to_owned(), tag.to_owned())
    }

    fn digest_reference(&self, repository: &str, digest: &str) -> Reference {
        Reference::with_digest(
            self.spec.registry(),
            repository.to_owned(),
            digest.to_owned(),
        )
    }

    /// `<registry>/<repository>` for messages.
    pub(crate) fn location(&self, repository: &str) -> String {
        format!("{}/{repository}", self.spec.registry())
    }

    /// Makes sure the client has what it needs to authenticate for `repository`: the stored
    /// auth, or a token exchanged for the refresh token.
    async fn prepare(&self, reference: &Reference) -> Result<()> {
        let registry = reference.resolve_registry().to_owned();
        if let Auth::Refresh(refresh) = &self.auth_kind {
            let token = crate::token::exchange(&self.spec, reference.repository(), refresh).await?;
            self.client
                .store_auth_if_needed(&registry, &RegistryAuth::Bearer(token.clone()))
                .await;
            // A bearer auth goes straight to requests, whatever was stored before.
            self.client
                .auth(
                    reference,
                    &RegistryAuth::Bearer(token),
                    oci_client::RegistryOperation::Push,
                )
                .await
                .map_err(|e| self.map_error(e, reference.repository(), "authenticate"))?;
            return Ok(());
        }
        self.client
            .store_auth_if_needed(&registry, &self.auth)
            .await;
        Ok(())
    }

    /// Maps a registry error to the plugin's error kinds, naming the registry and repository
    /// (never a credential).
    pub(crate) fn map_error(&self, e: OciDistributionError, repository: &str, op: &str) -> Error {
        let at = self.location(repository);
        match &e {
            OciDistributionError::UnauthorizedError { .. }
            | OciDistributionError::AuthenticationFailure(_) => Error::Unauthorized(format!(
                "{op} at {at}: the registry refused the credentials ({})",
                redact(&e)
            )),
            OciDistributionError::ImageManifestNotFoundError(_) => {
                Error::NotFound(format!("{op} at {at}: not found"))
            }
            OciDistributionError::RegistryError { envelope, .. } => {
                let codes: Vec<&OciErrorCode> = envelope.errors.iter().map(|e| &e.code).collect();
                let text = redact(&e);
                if codes
                    .iter()
                    .any(|c| matches!(c, OciErrorCode::Unauthorized | OciErrorCode::Denied))
                {
                    Error::Unauthorized(format!("{op} at {at}: access denied ({text})"))
                } else if codes.iter().any(|c| {
                    matches!(
                        c,
                        OciErrorCode::ManifestUnknown
                            | OciErrorCode::NameUnknown
                            | OciErrorCode::BlobUnknown
                            | OciErrorCode::NotFound
                    )
                }) {
                    Error::NotFound(format!("{op} at {at}: not found ({text})"))
                } else {
                    Error::internal(format!("{op} at {at} failed: {text}"))
                }
            }
            OciDistributionError::ServerError { code, .. } => match code {
                401 | 403 => {
                    Error::Unauthorized(format!("{op} at {at}: the registry answered {code}"))
                }
                404 => Error::NotFound(format!("{op} at {at}: not found")),
                _ => Error::internal(format!("{op} at {at} failed: {}", redact(&e))),
            },
            OciDistributionError::RequestError(re) if re.is_connect() || re.is_timeout() => {
                Error::internal(format!(
                    "{op}: cannot reach the registry at {} ({}): {}",
                    self.spec.registry(),
                    self.spec.scheme.as_str(),
                    error_chain(re)
                ))
            }
            _ => Error::internal(format!("{op} at {at} failed: {}", redact(&e))),
        }
    }

    /// The manifest tagged `tag`, or the index's first manifest when the tag names an index.
    /// `Ok(None)` when there is no such tag.
    pub(crate) async fn manifest(
        &self,
        repository: &str,
        tag: &str,
    ) -> Result<Option<RawManifest>> {
        let reference = self.reference(repository, tag);
        self.prepare(&reference).await?;
        let accepted = [
            layout::MANIFEST_MEDIA_TYPE,
            layout::INDEX_MEDIA_TYPE,
            layout::DOCKER_MANIFEST_MEDIA_TYPE,
            layout::DOCKER_LIST_MEDIA_TYPE,
        ];
        let (bytes, digest) = match self
            .client
            .pull_manifest_raw(&reference, &self.auth, &accepted)
            .await
        {
            Ok(found) => found,
            Err(e) => {
                return match self.map_error(e, repository, "read the manifest") {
                    Error::NotFound(_) => Ok(None),
                    other => Err(other),
                };
            }
        };
        let value = self.manifest_json(&bytes, repository, tag)?;
        let is_index = value.get("manifests").is_some()
            && value.get("layers").is_none()
            && value.get("config").is_none();
        if !is_index {
            return Ok(Some(RawManifest { value, digest }));
        }
        let index: layout::Index = serde_json::from_value(value).map_err(|e| {
            Error::internal(format!(
                "the index {}:{tag} cannot be decoded: {e}",
                self.location(repository)
            ))
        })?;
        let Some(first) = index.manifests.first() else {
            return Err(Error::internal(format!(
                "the index {}:{tag} lists no manifest",
                self.location(repository)
            )));
        };
        let reference = self.digest_reference(repository, &first.digest);
        let (bytes, digest) = self
            .client
            .pull_manifest_raw(&reference, &self.auth, &accepted)
            .await
            .map_err(|e| self.map_error(e, repository, "read the index's first manifest"))?;
        let value = self.manifest_json(&bytes, repository, &digest)?;
        Ok(Some(RawManifest { value, digest }))
    }

    /// A manifest's bytes as JSON, refusing one over [`layout::MAX_MANIFEST_SIZE`].
    fn manifest_json(
        &self,
        bytes: &[u8],
        repository: &str,
        reference: &str,
    ) -> Result<serde_json::Value> {
        if bytes.len() as u64 > layout::MAX_MANIFEST_SIZE {
            return Err(Error::internal(format!(
                "the manifest {}:{reference} is larger than {} bytes",
                self.location(repository),
                layout::MAX_MANIFEST_SIZE
            )));
        }
        serde_json::from_slice(bytes).map_err(|e| {
            Error::internal(format!(
                "the manifest {}:{reference} is not JSON: {e}",
                self.location(repository)
            ))
        })
    }

    /// A small blob (config, descriptor), read whole after checking its declared size against
    /// `limit`; its digest is checked.
    pub(crate) async fn small_blob(
        &self,
        repository: &str,
        descriptor: &OciDescriptor,
        limit: u64,
        what: &str,
    ) -> Result<Vec<u8>> {
        if descriptor.size > limit {
            return Err(Error::internal(format!(
                "the {what} {} in {} is {} bytes, more than the {limit} this plugin reads",
                descriptor.digest,
                self.location(repository),
                descriptor.size
            )));
        }
        let reference = self.digest_reference(repository, &descriptor.digest);
        self.prepare(&reference).await?;
        let layer = client_descriptor(descriptor);
        let mut stream = self
            .client
            .pull_blob_stream(&reference, &layer)
            .await
            .map_err(|e| self.map_error(e, repository, &format!("read the {what}")))?;
        let mut out = Vec::with_capacity(usize::try_from(descriptor.size).unwrap_or(0));
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| {
                Error::internal(format!(
                    "reading the {what} {} from {} failed: {e}",
                    descriptor.digest,
                    self.location(repository)
                ))
            })?;
            if (out.len() + chunk.len()) as u64 > limit {
                return Err(Error::internal(format!(
                    "the {what} {} in {} is larger than it declares",
                    descriptor.digest,
                    self.location(repository)
                )));
            }
            out.extend_from_slice(&chunk);
        }
        // Up to MAX_DESCRIPTOR_SIZE bytes: hashed on the blocking pool.
        let (actual, out) =
            ocm_plugin_sdk::spawn_blocking(move || Ok((layout::sha256_digest(&out), out))).await?;
        if actual != descriptor.digest {
            return Err(Error::internal(format!(
                "digest mismatch reading the {what} from {}: expected {}, got {actual}",
                self.location(repository),
                descriptor.digest
            )));
        }
        Ok(out)
    }

    /// Size of a blob in the repository, or `None` when it is not there.
    ///
    /// `oci-client` answers a `HEAD` with yes or no only, so this starts a `GET` and reads the
    /// declared length from its headers, then drops the response unread.
    pub(crate) async fn blob_size(&self, repository: &str, digest: &str) -> Result<Option<u64>> {
        let reference = self.digest_reference(repository, digest);
        self.prepare(&reference).await?;
        let layer = ClientDescriptor {
            digest: digest.to_owned(),
            ..ClientDescriptor::default()
        };
        let stream = match self.client.pull_blob_stream(&reference, &layer).await {
            Ok(stream) => stream,
            Err(e) => {
                return match self.map_error(e, repository, "look up a blob") {
                    Error::NotFound(_) => Ok(None),
                    other => Err(other),
                };
            }
        };
        let size = stream.content_length.ok_or_else(|| {
            Error::internal(format!(
                "the registry at {} gave no size for blob {digest}",
                self.location(repository)
            ))
        })?;
        Ok(Some(size))
    }

    /// Uploads `bytes` unless the repository has them; returns their descriptor.
    pub(crate) async fn push_bytes(
        &self,
        repository: &str,
        media_type: &str,
        bytes: Vec<u8>,
    ) -> Result<OciDescriptor> {
        let descriptor = OciDescriptor::of(media_type, &bytes);
        let reference = self.digest_reference(repository, &descriptor.digest);
        self.prepare(&reference).await?;
        let exists = self
            .client
            .blob_exists(&reference, &descriptor.digest)
            .await
            .map_err(|e| self.map_error(e, repository, "look up a blob"))?;
        if !exists {
            // `push_blob` refuses an empty blob, which is valid (and the streamed monolithic
            // upload sends it); everything else goes in one request as it is.
            let pushed = if bytes.is_empty() {
                self.client
                    .push_blob_stream(
                        &reference,
                        futures_util::stream::empty(),
                        &descriptor.digest,
                        Some(0),
                    )
                    .await
            } else {
                self.client
                    .push_blob(&reference, bytes, &descriptor.digest)
                    .await
            };
            pushed.map_err(|e| self.map_error(e, repository, "upload a blob"))?;
        }
        Ok(descriptor)
    }

    /// Uploads a file: one pass to hash it, then (unless the repository has the blob) one
    /// streamed upload. Never holds more than a chunk in memory. Returns `(digest, size)`.
    pub(crate) async fn push_file(&self, repository: &str, path: &Path) -> Result<(String, u64)> {
        let (digest, size) = hash_file(path.to_owned()).await?;
        let reference = self.digest_reference(repository, &digest);
        self.prepare(&reference).await?;
        let exists = self
            .client
            .blob_exists(&reference, &digest)
            .await
            .map_err(|e| self.map_error(e, repository, "look up a blob"))?;
        if exists {
            tracing::debug!(%digest, size, repository, "blob already in the repository");
            return Ok((digest, size));
        }
        let file = {
            let path = path.to_owned();
            ocm_plugin_sdk::spawn_blocking(move || {
                std::fs::File::open(&path).map_err(|e| {
                    Error::InvalidArgument(format!("cannot open {}: {e}", path.display()))
                })
            })
            .await?
        };
        let stream = file_stream(file, Some(size));
        let pushed = self
            .client
            .push_blob_stream(&reference, stream, &digest, Some(size))
            .await;
        if let Err(e) = pushed {
            let err = self.map_error(e, repository, "upload a blob");
            // The registry checks the digest of what it received: if the file changed since
            // it was hashed, say so with both digests.
            if let Ok((now, _)) = hash_file(path.to_owned()).await
                && now != digest
            {
                return Err(Error::internal(format!(
                    "digest mismatch uploading {}: hashed {digest} before the upload, the file \
                     now hashes to {now} (it changed while it was uploaded); nothing was stored",
                    path.display()
                )));
            }
            return Err(err);
        }
        Ok((digest, size))
    }

    /// Uploads what a named pipe's writer writes, read once: streamed in chunked `PATCH`es
    /// while `oci-client` hashes it on the way, never more than a few chunks in memory.
    /// Returns `(digest, size)`.
    pub(crate) async fn push_pipe(&self, repository: &str, path: &Path) -> Result<(String, u64)> {
        let reference = self.reference(repository, "latest");
        self.prepare(&reference).await?;
        let pipe = {
            let path = path.to_owned();
            tokio::task::spawn_blocking(move || {
                ocm_plugin_sdk::blob::open_named_pipe(
                    &path,
                    ocm_plugin_sdk::blob::NAMED_PIPE_WRITER_WAIT,
                )
                .map_err(|e| {
                    Error::InvalidArgument(format!(
                        "cannot read the named pipe {}: {e}",
                        path.display()
                    ))
                })
            })
            .await
            .map_err(|e| Error::internal_with("the pipe task failed", e))??
        };
        match self
            .client
            .push_blob_stream_chunked(&reference, file_stream(pipe, None))
            .await
        {
            Ok(pushed) => Ok((pushed.blob_digest, pushed.size)),
            // An empty pipe is the empty blob, which the chunked upload refuses to send.
            Err(OciDistributionError::PushNoDataError) => {
                let empty = self
                    .push_bytes(repository, "application/octet-stream", Vec::new())
                    .await?;
                Ok((empty.digest, 0))
            }
            Err(e) => Err(self.map_error(e, repository, "upload a blob from a named pipe")),
        }
    }

    /// Pushes a manifest under `tag`; returns its digest.
    pub(crate) async fn push_manifest(
        &self,
        repository: &str,
        tag: &str,
        bytes: Vec<u8>,
    ) -> Result<()> {
        let reference = self.reference(repository, tag);
        self.prepare(&reference).await?;
        let content_type = http::HeaderValue::from_static(layout::MANIFEST_MEDIA_TYPE);
        self.client
            .push_manifest_raw(&reference, bytes, content_type)
            .await
            .map_err(|e| self.map_error(e, repository, &format!("tag {tag}")))?;
        Ok(())
    }

    /// All tags of a repository (every page); empty when the repository does not exist.
    pub(crate) async fn tags(&self, repository: &str) -> Result<Vec<String>> {
        const PAGE: usize = 1000;
        let reference = self.reference(repository, "latest");
        self.prepare(&reference).await?;
        let mut tags: Vec<String> = Vec::new();
        loop {
            let last = tags.last().cloned();
            let page = match self
                .client
                .list_tags(&reference, &self.auth, Some(PAGE), last.as_deref())
                .await
            {
                Ok(page) => page,
                Err(e) => match self.map_error(e, repository, "list tags") {
                    Error::NotFound(_) => return Ok(Vec::new()),
                    other => return Err(other),
                },
            };
            let n = page.tags.len();
            // A registry that ignores `last` would repeat the first page forever.
            let before = tags.len();
            for tag in page.tags {
                if !tags.contains(&tag) {
                    tags.push(tag);
                }
            }
            if n < PAGE || tags.len() == before {
                return Ok(tags);
            }
        }
    }

    /// Downloads a blob to a new blob file ([`BlobFile`], mode `0600`) in the system temp
    /// directory, hashing it on the way, and returns its `localFile` location with
    /// `media_type`; on a digest or size mismatch the file is removed and the error names both
    /// digests. The caller owns the file.
    pub(crate) async fn pull_to_file(
        &self,
        repository: &str,
        blob: &OciDescriptor,
        media_type: Option<&str>,
    ) -> Result<Location> {
        let reference = self.digest_reference(repository, &blob.digest);
        self.prepare(&reference).await?;
        let layer = client_descriptor(blob);
        // A ranged read from 0 (`Range: bytes=0-`) is the whole blob, but `oci-client` then
        // leaves the digest to us: the writer thread checks it, so the blob is hashed once, off
        // the request thread. A registry that ignores the range answers 200, and the client
        // verifies that stream itself as well.
        // An empty blob has no byte 0 to range from (416): it is read whole.
        let pulled = if blob.size == 0 {
            self.client.pull_blob_stream(&reference, &layer).await
        } else {
            self.client
                .pull_blob_stream_partial(&reference, &layer, 0, None)
                .await
                .map(|response| match response {
                    BlobResponse::Full(stream) | BlobResponse::Partial(stream) => stream,
                })
        };
        let mut stream = pulled.map_err(|e| self.map_error(e, repository, "read a local blob"))?;
        // The writer runs on a thread of its own, so creating the file, hashing and disk writes
        // never stall the plugin's request thread; at most 8 chunks wait in the channel, and a
        // full channel suspends this task instead of blocking the thread.
        let (tx, rx) = tokio::sync::mpsc::channel::<bytes::Bytes>(8);
        let writer = tokio::task::spawn_blocking(move || write_and_hash(BlobFile::create()?, rx));
        let mut failure = None;
        while let Some(chunk) = stream.next().await {
            match chunk {
                Ok(chunk) => {
                    if tx.send(chunk).await.is_err() {
                        break;
                    }
                }
                Err(e) => {
                    failure = Some(e.to_string());
                    break;
                }
            }
        }
        drop(tx);
        let written = writer
            .await
            .map_err(|e| Error::internal_with("the blob writer failed", e))?;
        let (file, digest, size) = written?;
        let at = self.location(repository);
        if let Some(why) = failure {
            return Err(Error::internal(format!(
                "reading blob {} from {at} failed: {why}; nothing was handed over",
                blob.digest
            )));
        }
        if digest != blob.digest || size != blob.size {
            return Err(Error::internal(format!(
                "digest mismatch reading blob from {at}: expected {} ({} bytes), got {digest} \
                 ({size} bytes); nothing was handed over",
                blob.digest, blob.size
            )));
        }
        file.finish(media_type)
    }
}

fn client_descriptor(d: &OciDescriptor) -> ClientDescriptor {
    ClientDescriptor {
        media_type: d.media_type.clone(),
        digest: d.digest.clone(),
        size: i64::try_from(d.size).unwrap_or(i64::MAX),
        ..ClientDescriptor::default()
    }
}

fn write_and_hash(
    mut file: BlobFile,
    mut rx: tokio::sync::mpsc::Receiver<bytes::Bytes>,
) -> Result<(BlobFile, String, u64)> {
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    {
        let mut out = std::io::BufWriter::with_capacity(CHUNK, &mut file);
        while let Some(chunk) = rx.blocking_recv() {
            hasher.update(&chunk);
            size += chunk.len() as u64;
            out.write_all(&chunk)
                .map_err(|e| Error::internal_with("cannot write the downloaded blob", e))?;
        }
        out.flush()
            .map_err(|e| Error::internal_with("cannot write the downloaded blob", e))?;
    }
    Ok((
        file,
        format!("sha256:{}", hex::encode(hasher.finalize())),
        size,
    ))
}

/// SHA-256 and size of a file, on the blocking pool.
async fn hash_file(path: PathBuf) -> Result<(String, u64)> {
    tokio::task::spawn_blocking(move || {
        let mut file = std::fs::File::open(&path)
            .map_err(|e| Error::InvalidArgument(format!("cannot open {}: {e}", path.display())))?;
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; CHUNK];
        let mut size = 0u64;
        loop {
            let n = file.read(&mut buf).map_err(|e| {
                Error::InvalidArgument(format!("cannot read {}: {e}", path.display()))
            })?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            size += n as u64;
        }
        Ok((format!("sha256:{}", hex::encode(hasher.finalize())), size))
    })
    .await
    .map_err(|e| Error::internal_with("the hashing task failed", e))?
}

/// The file as a stream of chunks, read on a thread of its own (bounded channel). With a
/// `size`, exactly that many bytes (so an upload matches its declared length, and a file that
/// shrank is an error); without, up to the end (a pipe).
fn file_stream(
    mut file: std::fs::File,
    size: Option<u64>,
) -> impl futures_util::Stream<Item = oci_client::errors::Result<bytes::Bytes>> + Send + 'static {
    let (tx, rx) = tokio::sync::mpsc::channel::<oci_client::errors::Result<bytes::Bytes>>(4);
    std::thread::spawn(move || {
        let mut left = size.unwrap_or(u64::MAX);
        while left > 0 {
            let want = usize::try_from(left.min(CHUNK as u64)).unwrap_or(CHUNK);
            let mut buf = vec![0u8; want];
            match read_full(&mut file, &mut buf) {
                Ok(0) if size.is_none() => return,
                Ok(0) => {
                    let _ =
                        tx.blocking_send(Err(OciDistributionError::IoError(std::io::Error::new(
                            std::io::ErrorKind::UnexpectedEof,
                            "the file shrank while it was uploaded",
                        ))));
                    return;
                }
                Ok(n) => {
                    buf.truncate(n);
                    left -= n as u64;
                    if tx.blocking_send(Ok(bytes::Bytes::from(buf))).is_err() {
                        return;
                    }
                }
                Err(e) => {
                    let _ = tx.blocking_send(Err(OciDistributionError::IoError(e)));
                    return;
                }
            }
        }
    });
    futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    })
}

/// Reads until `buf` is full or the input ends (a pipe hands over its buffer a piece at a time;
/// full chunks mean fewer, larger requests).
fn read_full(input: &mut std::fs::File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match input.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// An error's text with URLs' query strings removed (they may carry tokens in some registries'
/// redirects).
fn redact(e: &dyn std::fmt::Display) -> String {
    let text = e.to_string();
    text.split_whitespace()
        .map(|word| match word.find('?') {
            Some(i) if word.contains("://") => format!("{}?…", &word[..i]),
            _ => word.to_owned(),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    redact(&text)
}
