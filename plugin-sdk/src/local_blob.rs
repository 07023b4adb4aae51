//! An input method's blob and the answer that hands it over: [`LocalBlob`],
//! [`resource_answer`], [`source_answer`] (re-exported by [`input`](crate::input)).

use std::io::{self, Read};

use ocm_plugin_contracts::{
    Error, Result,
    input::v1::{
        ConstructorResource, ConstructorSource, ProcessResourceResponse, ProcessSourceResponse,
    },
};
use ocm_plugin_types::{Digest, Location, Raw, Resource, Source};
use sha2::{Digest as _, Sha256};

use crate::blob::BlobFile;

/// The access type OCM gives a blob stored with its component version.
pub const LOCAL_BLOB_ACCESS_TYPE: &str = "localBlob/v1";

/// A blob an input method produced: a uniquely named `0600` file in the manager's temp
/// directory, its SHA-256 and media type. [`resource_answer`] and [`source_answer`] turn it into
/// the answer, with the `localBlob/v1` access and the digest that OCM gives a local blob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalBlob {
    location: Location,
    sha256: String,
}

impl LocalBlob {
    /// `bytes` as a blob, hashed as they are written, on the blocking pool.
    ///
    /// ```
    /// # async fn demo() -> ocm_plugin_sdk::contracts::Result<()> {
    /// use ocm_plugin_sdk::input::LocalBlob;
    /// let blob = LocalBlob::from_bytes("hello", Some("text/plain")).await?;
    /// assert_eq!(blob.digest().value, "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
    /// assert_eq!(std::fs::read(&blob.location().value)?, b"hello");
    /// # std::fs::remove_file(&blob.location().value)?;
    /// # Ok(()) }
    /// # tokio::runtime::Builder::new_current_thread().build().map_err(|e| e.to_string())?
    /// #     .block_on(demo()).map_err(|e| e.to_string())?;
    /// # Ok::<(), String>(())
    /// ```
    pub async fn from_bytes(
        bytes: impl AsRef<[u8]> + Send + 'static,
        media_type: Option<&str>,
    ) -> Result<Self> {
        let media_type = media_type.map(str::to_owned);
        crate::spawn_blocking(move || {
            write(&mut io::Cursor::new(bytes.as_ref()), media_type.as_deref())
        })
        .await
    }

    /// Everything `reader` yields as a blob, hashed as it is copied, on the blocking pool. A
    /// read error fails the call and leaves no file behind; an [`std::io::ErrorKind::InvalidData`]
    /// error (a decoder's corrupt input) is `InvalidArgument`, any other is internal.
    pub async fn from_reader(
        mut reader: impl Read + Send + 'static,
        media_type: Option<&str>,
    ) -> Result<Self> {
        let media_type = media_type.map(str::to_owned);
        crate::spawn_blocking(move || write(&mut reader, media_type.as_deref())).await
    }

    /// A blob written otherwise (a [`BlobFile`] of your own), with the SHA-256 of its bytes
    /// as lowercase hex.
    pub fn from_parts(location: Location, sha256_hex: impl Into<String>) -> Self {
        Self {
            location,
            sha256: sha256_hex.into(),
        }
    }

    /// Where the blob is; the manager takes the file over.
    pub fn location(&self) -> &Location {
        &self.location
    }

    /// `SHA-256` over the bytes, normalisation `genericBlobDigest/v1`: the digest OCM gives a
    /// local blob.
    pub fn digest(&self) -> Digest {
        Digest::generic_blob_sha256(self.sha256.clone())
    }

    /// `{"type":"localBlob/v1","localReference":"sha256:<hex>","mediaType":…}`: the blob by
    /// its digest (never by a path, which means nothing once the manager stored it).
    pub fn access(&self) -> Result<Raw> {
        let mut access = serde_json::json!({
            "type": LOCAL_BLOB_ACCESS_TYPE,
            "localReference": format!("sha256:{}", self.sha256),
        });
        if let Some(media_type) = &self.location.media_type {
            access["mediaType"] = serde_json::Value::String(media_type.clone());
        }
        Raw::new(access).map_err(|e| Error::internal_with("building the localBlob access", e))
    }
}

/// Copies `reader` into a new blob file, hashing on the way.
fn write(reader: &mut dyn Read, media_type: Option<&str>) -> Result<LocalBlob> {
    let mut file = BlobFile::create()?;
    let mut hasher = Sha256::new();
    crate::blob::copy_into(reader, &mut file, |chunk| hasher.update(chunk))?;
    let location = file.finish(media_type)?;
    Ok(LocalBlob {
        location,
        sha256: hex::encode(hasher.finalize()),
    })
}

/// The answer to `process_resource`: the request's resource (name, version, type, relation,
/// labels, extra identity carried over; relation `local` when it names none), the blob's `localBlob/v1` access and
/// `genericBlobDigest/v1` SHA-256 digest, and the blob's location.
///
/// ```
/// # async fn demo() -> ocm_plugin_sdk::contracts::Result<()> {
/// use ocm_plugin_sdk::input::{ConstructorResource, LocalBlob, resource_answer};
/// let requested = ConstructorResource { name: "notes".into(), version: "1.0.0".into(), resource_type: "plainText".into(), ..Default::default() };
/// let answer = resource_answer(requested, LocalBlob::from_bytes("hi", Some("text/plain")).await?)?;
/// assert_eq!(answer.resource.name, "notes");
/// assert_eq!(answer.resource.relation, "local");
/// assert_eq!(answer.resource.digest.as_ref().map(|d| d.hash_algorithm.as_str()), Some("SHA-256"));
/// # std::fs::remove_file(&answer.location.value)?;
/// # Ok(()) }
/// # tokio::runtime::Builder::new_current_thread().build().map_err(|e| e.to_string())?
/// #     .block_on(demo()).map_err(|e| e.to_string())?;
/// # Ok::<(), String>(())
/// ```
pub fn resource_answer(
    resource: ConstructorResource,
    blob: LocalBlob,
) -> Result<ProcessResourceResponse> {
    let resource = Resource {
        name: resource.name,
        version: resource.version,
        labels: resource.labels,
        extra_identity: resource.extra_identity,
        resource_type: resource.resource_type,
        relation: if resource.relation.is_empty() {
            "local".to_owned()
        } else {
            resource.relation
        },
        access: Some(blob.access()?),
        digest: Some(blob.digest()),
        ..Resource::default()
    };
    Ok(ProcessResourceResponse {
        resource,
        location: blob.location,
    })
}

/// The answer to `process_source`: like [`resource_answer`], without a digest (sources carry
/// none).
pub fn source_answer(source: ConstructorSource, blob: LocalBlob) -> Result<ProcessSourceResponse> {
    let source = Source {
        name: source.name,
        version: source.version,
        labels: source.labels,
        extra_identity: source.extra_identity,
        source_type: source.source_type,
        access: Some(blob.access()?),
        extra: Default::default(),
    };
    Ok(ProcessSourceResponse {
        source,
        location: blob.location,
    })
}
