//! The other five capabilities of the test plugin (file name keyword `multi`): small but real
//! implementations, so one binary serves six capabilities from one process.

use std::{
    io::Write,
    path::{Path, PathBuf},
};

use ocm_plugin_contracts::{
    Error, Result, async_trait,
    blob_transformer::v1::{BlobTransformer, TransformBlobRequest, TransformBlobResponse},
    credential_repository::v1::{
        ConsumerIdentityForConfigRequest, CredentialRepository, ResolveRequest,
    },
    digest_processor::v1::{
        DigestProcessor, ProcessResourceDigestRequest, ProcessResourceDigestResponse,
    },
    identity::{GetIdentityRequest, GetIdentityResponse},
    input::v1::{
        InputMethod, ProcessResourceRequest, ProcessResourceResponse, ProcessSourceRequest,
        ProcessSourceResponse,
    },
    resource_repository::v1::{
        AddGlobalResourceRequest, AddGlobalResourceResponse, GetGlobalResourceRequest,
        GetGlobalResourceResponse, ResourceRepository,
    },
};
use ocm_plugin_types::{
    Credentials, Digest, Identity, Location, LocationType, Raw, Resource, Source,
};
use sha2::{Digest as _, Sha256};

fn identity(kind: &str) -> GetIdentityResponse {
    GetIdentityResponse {
        identity: [("type".to_owned(), kind.to_owned())].into(),
    }
}

fn path_of(spec: Option<&Raw>, field: &str) -> Result<PathBuf> {
    spec.and_then(|s| s.get(field))
        .and_then(|v| v.as_str())
        .map(PathBuf::from)
        .ok_or_else(|| Error::InvalidArgument(format!("the spec needs a string `{field}`")))
}

fn local_file(location: &Location) -> Result<&Path> {
    if location.location_type != LocationType::LocalFile {
        return Err(Error::InvalidArgument(format!(
            "unsupported location type: {}",
            location.location_type
        )));
    }
    Ok(Path::new(&location.value))
}

/// A new file in the temp dir (the manager's, through TMPDIR), handed over to the caller.
fn hand_over(bytes: &[u8]) -> Result<Location> {
    let mut file = tempfile::Builder::new()
        .prefix("ocm-test-plugin-")
        .tempfile()
        .map_err(|e| Error::internal_with("creating a temp file", e))?;
    file.write_all(bytes)
        .map_err(|e| Error::internal_with("writing a temp file", e))?;
    let (_, path) = file
        .keep()
        .map_err(|e| Error::internal_with("keeping a temp file", e))?;
    Ok(Location::local_file(path.to_string_lossy()))
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => Error::NotFound(format!("{} not found", path.display())),
        _ => Error::internal_with(format!("reading {}", path.display()), e),
    })
}

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `TestInput/v1`: `{"type":"TestInput/v1","path":"/abs/file"}` -> a copy of the file.
pub(crate) struct Input;

#[async_trait]
impl InputMethod for Input {
    async fn process_resource(
        &self,
        req: ProcessResourceRequest,
        _: &Credentials,
    ) -> Result<ProcessResourceResponse> {
        let bytes = read(&path_of(req.resource.spec(), "path")?)?;
        let r = req.resource;
        Ok(ProcessResourceResponse {
            resource: Resource {
                name: r.name,
                version: r.version,
                resource_type: r.resource_type,
                relation: "local".into(),
                extra_identity: r.extra_identity,
                ..Resource::default()
            },
            location: hand_over(&bytes)?,
        })
    }

    async fn process_source(
        &self,
        req: ProcessSourceRequest,
        _: &Credentials,
    ) -> Result<ProcessSourceResponse> {
        let bytes = read(&path_of(req.source.spec(), "path")?)?;
        let s = req.source;
        Ok(ProcessSourceResponse {
            source: Source {
                name: s.name,
                version: s.version,
                source_type: s.source_type,
                ..Source::default()
            },
            location: hand_over(&bytes)?,
        })
    }

    async fn get_identity(&self, _: GetIdentityRequest) -> Result<GetIdentityResponse> {
        Ok(identity("TestInput"))
    }
}

/// `TestAccess/v1` digests: SHA-256 of the file at `access.path`.
pub(crate) struct Digester;

#[async_trait]
impl DigestProcessor for Digester {
    async fn process_resource_digest(
        &self,
        req: ProcessResourceDigestRequest,
        _: &Credentials,
    ) -> Result<ProcessResourceDigestResponse> {
        let mut resource = req.resource;
        let bytes = read(&path_of(resource.access.as_ref(), "path")?)?;
        resource.digest = Some(Digest {
            hash_algorithm: "SHA-256".into(),
            normalisation_algorithm: "genericBlobDigest/v1".into(),
            value: sha256(&bytes),
            extra: Default::default(),
        });
        Ok(ProcessResourceDigestResponse { resource })
    }

    async fn get_identity(&self, _: GetIdentityRequest) -> Result<GetIdentityResponse> {
        Ok(identity("TestDigester"))
    }
}

/// `TestAccess/v1` resources: files at `access.path`.
pub(crate) struct Resources;

#[async_trait]
impl ResourceRepository for Resources {
    async fn get_global_resource(
        &self,
        req: GetGlobalResourceRequest,
        _: &Credentials,
    ) -> Result<GetGlobalResourceResponse> {
        let bytes = read(&path_of(req.resource.access.as_ref(), "path")?)?;
        Ok(GetGlobalResourceResponse {
            location: hand_over(&bytes)?,
        })
    }

    async fn add_global_resource(
        &self,
        req: AddGlobalResourceRequest,
        _: &Credentials,
    ) -> Result<AddGlobalResourceResponse> {
        let target = path_of(req.resource.access.as_ref(), "path")?;
        let bytes = read(local_file(&req.resource_location)?)?;
        std::fs::write(&target, &bytes)
            .map_err(|e| Error::internal_with(format!("writing {}", target.display()), e))?;
        Ok(AddGlobalResourceResponse {
            resource: req.resource,
        })
    }

    async fn get_identity(&self, _: GetIdentityRequest) -> Result<GetIdentityResponse> {
        Ok(identity("TestResources"))
    }
}

/// `TestTransformer/v1`: reverses the bytes. With `"output":"fifo"` the result streams through a
/// named pipe written by a background thread, never touching a regular file.
pub(crate) struct Transformer;

#[async_trait]
impl BlobTransformer for Transformer {
    async fn transform_blob(
        &self,
        req: TransformBlobRequest,
        _: &Credentials,
    ) -> Result<TransformBlobResponse> {
        let mut bytes = read(local_file(&req.location)?)?;
        bytes.reverse();
        if req.specification.get("output").and_then(|v| v.as_str()) != Some("fifo") {
            return Ok(TransformBlobResponse {
                location: hand_over(&bytes)?,
            });
        }
        let dir = tempfile::Builder::new()
            .prefix("ocm-test-fifo-")
            .tempdir()
            .map_err(|e| Error::internal_with("creating a fifo dir", e))?
            .keep();
        let fifo = dir.join("blob.fifo");
        rustix::fs::mkfifoat(
            rustix::fs::CWD,
            &fifo,
            rustix::fs::Mode::from_raw_mode(0o600),
        )
        .map_err(|e| Error::internal_with("mkfifo", std::io::Error::from(e)))?;
        let path = fifo.clone();
        // Opening a FIFO for writing blocks until the reader opens it.
        std::thread::spawn(move || {
            if let Ok(mut w) = std::fs::OpenOptions::new().write(true).open(&path) {
                let _ = w.write_all(&bytes);
            }
        });
        Ok(TransformBlobResponse {
            location: Location {
                location_type: LocationType::UnixNamedPipe,
                value: fifo.to_string_lossy().into_owned(),
                media_type: None,
            },
        })
    }

    async fn get_identity(&self, _: GetIdentityRequest) -> Result<GetIdentityResponse> {
        Ok(identity("TestTransformer"))
    }
}

/// Consumer `TestIdentity`, config `TestCredentials/v1`: the password is derived from the host.
pub(crate) struct CredentialStore;

#[async_trait]
impl CredentialRepository for CredentialStore {
    async fn consumer_identity_for_config(
        &self,
        req: ConsumerIdentityForConfigRequest,
    ) -> Result<Identity> {
        let name = req
            .config
            .get("name")
            .and_then(|v| v.as_str())
            .unwrap_or("default");
        Ok([
            ("type".to_owned(), "TestCredentials".to_owned()),
            ("name".to_owned(), name.to_owned()),
        ]
        .into())
    }

    async fn resolve(&self, req: ResolveRequest, _: &Credentials) -> Result<Credentials> {
        let host = req
            .identity
            .get("hostname")
            .ok_or_else(|| Error::InvalidArgument("the identity has no hostname".into()))?;
        Ok([
            ("username".to_owned(), "tester".to_owned()),
            ("password".to_owned(), format!("pw-for-{host}")),
        ]
        .into())
    }

    async fn get_identity(&self, _: GetIdentityRequest) -> Result<GetIdentityResponse> {
        Ok(identity("TestCredentials"))
    }
}
