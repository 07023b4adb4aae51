//! The storage mapping of OCM's Go code (OCM specification, OCI storage backend): which bytes a
//! component version becomes in a registry, and how those bytes are read back.
//!
//! Everything here is pure: bytes in, bytes out. The registry traffic is in `registry.rs`.

use std::collections::BTreeMap;

use ocm_plugin_contracts::{Error, Result};
use ocm_plugin_types::{Descriptor, Identity, Raw};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest as _, Sha256};

/// Media type of the OCI image manifest.
pub const MANIFEST_MEDIA_TYPE: &str = "application/vnd.oci.image.manifest.v1+json";
/// Media type of the OCI image index.
pub const INDEX_MEDIA_TYPE: &str = "application/vnd.oci.image.index.v1+json";
/// Docker's manifest list and manifest, accepted on read.
pub const DOCKER_LIST_MEDIA_TYPE: &str =
    "application/vnd.docker.distribution.manifest.list.v2+json";
/// Docker's schema 2 manifest, accepted on read.
pub const DOCKER_MANIFEST_MEDIA_TYPE: &str = "application/vnd.docker.distribution.manifest.v2+json";
/// `artifactType` of a component version manifest.
pub const ARTIFACT_TYPE: &str = "application/vnd.ocm.software.component-descriptor.v2";
/// Media type of the config blob.
pub const CONFIG_MEDIA_TYPE: &str = "application/vnd.ocm.software.component.config.v1+json";
/// The config media type written by older OCM (gardener) tooling; accepted on read.
pub const LEGACY_CONFIG_MEDIA_TYPE: &str =
    "application/vnd.gardener.cloud.cnudie.component.config.v1+json";
/// Media type of the descriptor layer as this plugin writes it (compact JSON, sorted keys).
pub const DESCRIPTOR_JSON_MEDIA_TYPE: &str =
    "application/vnd.ocm.software.component-descriptor.v2+json";
/// Media type prefix shared by every descriptor encoding (`+json`, `+yaml`, `+yaml+tar`).
const DESCRIPTOR_MEDIA_PREFIX: &str = "application/vnd.ocm.software.component-descriptor.v2";
/// The legacy (gardener) descriptor media type prefix, accepted on read.
const LEGACY_DESCRIPTOR_MEDIA_PREFIX: &str =
    "application/vnd.gardener.cloud.cnudie.component-descriptor.v2";
/// Annotation on a local blob layer: which artifacts of the descriptor it holds.
pub const ARTIFACT_ANNOTATION: &str = "software.ocm.artifact";
/// Manifest annotation naming the component version, `<name>:<version>`.
pub const COMPONENT_VERSION_ANNOTATION: &str = "software.ocm.componentversion";
/// Who wrote the manifest: this project (OCM's Go code writes its own name here).
pub const CREATOR: &str = "ocm-plugin-rs/examples/oci-repository";
/// Largest descriptor layer read; larger ones are refused before any byte is read.
pub const MAX_DESCRIPTOR_SIZE: u64 = 64 * 1024 * 1024;
/// Largest manifest or config blob read.
pub const MAX_MANIFEST_SIZE: u64 = 4 * 1024 * 1024;
/// The access type of a local blob as OCM's Go code writes it.
pub const LOCAL_BLOB_TYPE: &str = "LocalBlob/v1";

/// An OCI content descriptor, with the field order OCM's Go code writes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OciDescriptor {
    /// Media type of the referenced content.
    #[serde(rename = "mediaType", default)]
    pub media_type: String,
    /// `sha256:<hex>`.
    pub digest: String,
    /// Size in bytes.
    pub size: u64,
    /// Annotations, when any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<BTreeMap<String, String>>,
}

impl OciDescriptor {
    /// The descriptor of `bytes` with `media_type`.
    pub fn of(media_type: &str, bytes: &[u8]) -> Self {
        Self {
            media_type: media_type.to_owned(),
            digest: sha256_digest(bytes),
            size: bytes.len() as u64,
            annotations: None,
        }
    }
}

/// An OCI image manifest, with the field order OCM's Go code writes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    /// Always 2.
    #[serde(rename = "schemaVersion")]
    pub schema_version: u32,
    /// [`MANIFEST_MEDIA_TYPE`] (may be absent in manifests written by others).
    #[serde(rename = "mediaType", default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    /// [`ARTIFACT_TYPE`].
    #[serde(
        rename = "artifactType",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub artifact_type: Option<String>,
    /// The config blob.
    pub config: OciDescriptor,
    /// The descriptor layer first, then one layer per local blob.
    #[serde(default)]
    pub layers: Vec<OciDescriptor>,
    /// Manifest annotations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<BTreeMap<String, String>>,
}

/// An OCI image index (read only: its first manifest is the component version's).
#[derive(Debug, Clone, Deserialize)]
pub struct Index {
    /// The manifests it lists.
    #[serde(default)]
    pub manifests: Vec<OciDescriptor>,
}

/// The config blob: `{"componentDescriptorLayer": <descriptor of layers[0]>}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Config {
    /// Descriptor of the component descriptor layer.
    #[serde(rename = "componentDescriptorLayer", default)]
    pub component_descriptor_layer: Option<OciDescriptor>,
}

/// `sha256:<hex>` of `bytes`.
pub fn sha256_digest(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// JSON as Go's `encoding/json` writes a generic value: compact, object keys sorted, and `<`, `>`,
/// `&`, U+2028 and U+2029 escaped. This is how OCM's Go code writes the descriptor layer, so the
/// same descriptor gives the same bytes (and the same digest) from either implementation.
pub fn go_json<T: Serialize>(value: &T) -> Result<Vec<u8>> {
    let value = serde_json::to_value(value)
        .map_err(|e| Error::internal_with("cannot encode as JSON", e))?;
    let sorted = sort_keys(value);
    let text = serde_json::to_string(&sorted)
        .map_err(|e| Error::internal_with("cannot encode as JSON", e))?;
    Ok(go_escape(&text).into_bytes())
}

fn sort_keys(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let sorted: BTreeMap<String, Value> =
                map.into_iter().map(|(k, v)| (k, sort_keys(v))).collect();
            Value::Object(sorted.into_iter().collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sort_keys).collect()),
        other => other,
    }
}

/// Go's HTML-safe escaping. The characters only occur inside JSON strings, so replacing them in
/// the encoded text is exact.
fn go_escape(text: &str) -> String {
    if !text.contains(['<', '>', '&', '\u{2028}', '\u{2029}']) {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

/// Compact JSON with keys in struct order (how Go writes its typed structs), Go-escaped.
pub fn go_struct_json<T: Serialize>(value: &T) -> Result<Vec<u8>> {
    let text = serde_json::to_string(value)
        .map_err(|e| Error::internal_with("cannot encode as JSON", e))?;
    Ok(go_escape(&text).into_bytes())
}

/// One artifact of the descriptor stored in a local blob layer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ArtifactRef {
    /// Its identity (name, version when set, extra identity).
    pub identity: Identity,
    /// `resource` or `source`.
    pub kind: &'static str,
}

/// A local blob the descriptor refers to: digest, media type, and who refers to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalBlobRef {
    /// `sha256:<hex>`.
    pub digest: String,
    /// The access's media type, or `application/octet-stream`.
    pub media_type: String,
    /// The artifacts whose access is this blob, in descriptor order.
    pub artifacts: Vec<ArtifactRef>,
}

/// Whether an access type names a local blob (`localBlob`, `LocalBlob`, any version).
pub fn is_local_blob_type(access_type: &str) -> bool {
    let name = access_type.split('/').next().unwrap_or_default();
    name.eq_ignore_ascii_case("localBlob")
}

/// The local blob of an access, if it is one: `(digest, media type)`.
///
/// A local blob access whose `localReference` is not a `sha256:<64 hex>` digest is refused:
/// this repository stores local blobs by digest and nothing else.
pub fn local_blob_of(access: Option<&Raw>, what: &str) -> Result<Option<(String, String)>> {
    let Some(access) = access else {
        return Ok(None);
    };
    let Some(access_type) = access.get("type").and_then(Value::as_str) else {
        return Ok(None);
    };
    if !is_local_blob_type(access_type) {
        return Ok(None);
    }
    let reference = access
        .get("localReference")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if !is_sha256_digest(reference) {
        return Err(Error::InvalidArgument(format!(
            "{what} has a local blob access whose localReference {reference:?} is not a \
             sha256:<hex> digest of a blob in this repository"
        )));
    }
    let media_type = access
        .get("mediaType")
        .and_then(Value::as_str)
        .filter(|m| !m.is_empty())
        .unwrap_or("application/octet-stream");
    Ok(Some((reference.to_owned(), media_type.to_owned())))
}

/// `sha256:` and 64 lower-case hex digits.
pub fn is_sha256_digest(s: &str) -> bool {
    s.strip_prefix("sha256:").is_some_and(|hex| {
        hex.len() == 64
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

/// The local blobs a descriptor refers to, one per digest, resources first, in descriptor order.
pub fn local_blobs(descriptor: &Descriptor) -> Result<Vec<LocalBlobRef>> {
    let mut blobs: Vec<LocalBlobRef> = Vec::new();
    let mut add = |digest: String, media_type: String, artifact: ArtifactRef| match blobs
        .iter_mut()
        .find(|b| b.digest == digest)
    {
        Some(blob) => blob.artifacts.push(artifact),
        None => blobs.push(LocalBlobRef {
            digest,
            media_type,
            artifacts: vec![artifact],
        }),
    };
    for resource in descriptor.component.resources.iter().flatten() {
        let what = format!("resource {:?}", resource.name);
        if let Some((digest, media_type)) = local_blob_of(resource.access.as_ref(), &what)? {
            let identity = resource.identity();
            add(
                digest,
                media_type,
                ArtifactRef {
                    identity,
                    kind: "resource",
                },
            );
        }
    }
    for source in descriptor.component.sources.iter().flatten() {
        let what = format!("source {:?}", source.name);
        if let Some((digest, media_type)) = local_blob_of(source.access.as_ref(), &what)? {
            let identity = source.identity();
            add(
                digest,
                media_type,
                ArtifactRef {
                    identity,
                    kind: "source",
                },
            );
        }
    }
    Ok(blobs)
}

/// The manifest annotations OCM's Go code writes, with [`CREATOR`] as creator and author.
pub fn manifest_annotations(name: &str, version: &str) -> BTreeMap<String, String> {
    let pairs = [
        ("org.opencontainers.image.authors", CREATOR.to_owned()),
        (
            "org.opencontainers.image.description",
            format!(
                "This is an OCM OCI Artifact Manifest that contains the component descriptor for \
                 the component {name}.\nIt is used to store the component descriptor in an OCI \
                 registry and can be referrenced by the official OCM Binding Library."
            ),
        ),
        (
            "org.opencontainers.image.documentation",
            "https://ocm.software".to_owned(),
        ),
        (
            "org.opencontainers.image.source",
            "https://github.com/open-component-model/open-component-model".to_owned(),
        ),
        (
            "org.opencontainers.image.title",
            format!(
                "OCM Component Descriptor OCI Artifact Manifest for {name} in version {version}"
            ),
        ),
        (
            "org.opencontainers.image.url",
            "https://ocm.software".to_owned(),
        ),
        ("org.opencontainers.image.version", version.to_owned()),
        (COMPONENT_VERSION_ANNOTATION, format!("{name}:{version}")),
        ("software.ocm.creator", CREATOR.to_owned()),
    ];
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

/// The three documents of a component version, in upload order: descriptor layer, config,
/// manifest. `blob_layers` are the local blob layers (with sizes), in layer order.
#[derive(Debug, Clone)]
pub struct Encoded {
    /// `layers[0]`: the descriptor, compact JSON, sorted keys.
    pub descriptor: Vec<u8>,
    /// The config blob.
    pub config: Vec<u8>,
    /// The manifest.
    pub manifest: Vec<u8>,
}

/// Encodes a component version as OCM's Go code does.
pub fn encode(descriptor: &Descriptor, blob_layers: Vec<OciDescriptor>) -> Result<Encoded> {
    let descriptor_bytes = go_json(descriptor)?;
    let layer = OciDescriptor::of(DESCRIPTOR_JSON_MEDIA_TYPE, &descriptor_bytes);
    let config = go_struct_json(&Config {
        component_descriptor_layer: Some(layer.clone()),
    })?;
    let mut layers = Vec::with_capacity(blob_layers.len() + 1);
    layers.push(layer);
    layers.extend(blob_layers);
    let manifest = Manifest {
        schema_version: 2,
        media_type: Some(MANIFEST_MEDIA_TYPE.to_owned()),
        artifact_type: Some(ARTIFACT_TYPE.to_owned()),
        config: OciDescriptor::of(CONFIG_MEDIA_TYPE, &config),
        layers,
        annotations: Some(manifest_annotations(
            &descriptor.component.name,
            &descriptor.component.version,
        )),
    };
    Ok(Encoded {
        descriptor: descriptor_bytes,
        config,
        manifest: go_struct_json(&manifest)?,
    })
}

/// The layer annotation of a local blob: `software.ocm.artifact` = the artifacts, as JSON.
pub fn blob_layer(blob: &LocalBlobRef, size: u64) -> Result<OciDescriptor> {
    let artifacts = String::from_utf8(go_json(&blob.artifacts)?)
        .map_err(|e| Error::internal_with("artifact annotation is not UTF-8", e))?;
    Ok(OciDescriptor {
        media_type: blob.media_type.clone(),
        digest: blob.digest.clone(),
        size,
        annotations: Some([(ARTIFACT_ANNOTATION.to_owned(), artifacts)].into()),
    })
}

/// How a descriptor layer is encoded, from its media type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// JSON.
    Json,
    /// YAML.
    Yaml,
    /// A tar holding `component-descriptor.yaml`.
    Tar,
}

/// The encoding of a descriptor layer media type (current and legacy), or `None` for a layer
/// that is no component descriptor.
pub fn encoding_of(media_type: &str) -> Option<Encoding> {
    let suffix = media_type
        .strip_prefix(DESCRIPTOR_MEDIA_PREFIX)
        .or_else(|| media_type.strip_prefix(LEGACY_DESCRIPTOR_MEDIA_PREFIX))?;
    match suffix {
        "+json" => Some(Encoding::Json),
        "+yaml" | "" => Some(Encoding::Yaml),
        "+yaml+tar" | "+tar" | ".tar" | "+tar+yaml" => Some(Encoding::Tar),
        _ => None,
    }
}

/// Whether a manifest is an OCM component version: its artifact type or config media type say
/// so (current or legacy).
pub fn is_component_manifest(manifest: &Manifest) -> bool {
    manifest.artifact_type.as_deref() == Some(ARTIFACT_TYPE)
        || manifest.config.media_type == CONFIG_MEDIA_TYPE
        || manifest.config.media_type == LEGACY_CONFIG_MEDIA_TYPE
}

/// The name of the descriptor inside a tar layer.
pub const TAR_DESCRIPTOR_NAME: &str = "component-descriptor.yaml";

/// Decodes a descriptor layer. `reference` names the artifact in errors.
pub fn decode_descriptor(bytes: &[u8], encoding: Encoding, reference: &str) -> Result<Descriptor> {
    let undecodable = |why: String| {
        Error::internal(format!(
            "the component descriptor in {reference} cannot be decoded: {why}"
        ))
    };
    match encoding {
        Encoding::Json => serde_json::from_slice(bytes).map_err(|e| undecodable(e.to_string())),
        Encoding::Yaml => serde_saphyr::from_slice(bytes).map_err(|e| undecodable(e.to_string())),
        Encoding::Tar => {
            let yaml = descriptor_from_tar(bytes).map_err(undecodable)?;
            serde_saphyr::from_slice(&yaml).map_err(|e| undecodable(e.to_string()))
        }
    }
}

fn descriptor_from_tar(bytes: &[u8]) -> std::result::Result<Vec<u8>, String> {
    let mut archive = tar::Archive::new(bytes);
    let entries = archive
        .entries()
        .map_err(|e| format!("not a tar archive: {e}"))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| format!("not a tar archive: {e}"))?;
        let path = entry
            .path()
            .map_err(|e| format!("bad tar entry name: {e}"))?;
        let name = path.to_string_lossy().trim_start_matches("./").to_owned();
        if name == TAR_DESCRIPTOR_NAME {
            let mut out = Vec::new();
            std::io::Read::read_to_end(&mut entry, &mut out)
                .map_err(|e| format!("cannot read {TAR_DESCRIPTOR_NAME}: {e}"))?;
            return Ok(out);
        }
    }
    Err(format!("the tar archive holds no {TAR_DESCRIPTOR_NAME}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn descriptor(json: &str) -> Descriptor {
        match serde_json::from_str(json) {
            Ok(d) => d,
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn go_json_sorts_keys_and_escapes_like_go() -> Result<()> {
        let v =
            serde_json::json!({"b": 1, "a": {"d": "<x&y>", "c": [{"z": null, "y": "\u{2028}"}]}});
        let text = String::from_utf8(go_json(&v)?).map_err(|e| Error::internal(e.to_string()))?;
        assert_eq!(
            text,
            r#"{"a":{"c":[{"y":"\u2028","z":null}],"d":"\u003cx\u0026y\u003e"},"b":1}"#
        );
        Ok(())
    }

    #[test]
    fn local_blobs_group_by_digest_and_refuse_foreign_references() -> Result<()> {
        let hex = "f6a3ccd729f24fe3bd0f58097de36bec5256ad47d4b255414c8c08e3001aaaca";
        let d = descriptor(&format!(
            r#"{{"meta":{{"schemaVersion":"v2"}},"component":{{"name":"a.org/x","version":"1.0.0","provider":"a",
            "resources":[
              {{"name":"r1","version":"1.0.0","type":"t","relation":"local","access":{{"type":"LocalBlob/v1","localReference":"sha256:{hex}","mediaType":"text/plain"}}}},
              {{"name":"r2","type":"t","relation":"local","extraIdentity":{{"os":"linux"}},"access":{{"type":"localBlob","localReference":"sha256:{hex}"}}}},
              {{"name":"r3","type":"t","relation":"external","access":{{"type":"ociArtifact","imageReference":"x"}}}}],
            "sources":[{{"name":"s","type":"git","access":{{"type":"localBlob/v1","localReference":"sha256:{}"}}}}]}}}}"#,
            "0".repeat(64)
        ));
        let blobs = local_blobs(&d)?;
        assert_eq!(blobs.len(), 2);
        assert_eq!(blobs[0].media_type, "text/plain");
        assert_eq!(blobs[0].artifacts.len(), 2);
        let layer = blob_layer(&blobs[0], 10)?;
        assert_eq!(
            layer
                .annotations
                .as_ref()
                .and_then(|a| a.get(ARTIFACT_ANNOTATION))
                .map(String::as_str),
            Some(
                r#"[{"identity":{"name":"r1","version":"1.0.0"},"kind":"resource"},{"identity":{"name":"r2","os":"linux"},"kind":"resource"}]"#
            )
        );
        assert_eq!(blobs[1].artifacts[0].kind, "source");
        assert_eq!(blobs[1].media_type, "application/octet-stream");

        let bad = descriptor(
            r#"{"meta":{"schemaVersion":"v2"},"component":{"name":"a.org/x","version":"1","provider":"a",
            "resources":[{"name":"r","type":"t","relation":"local","access":{"type":"LocalBlob/v1","localReference":"blob-1"}}]}}"#,
        );
        match local_blobs(&bad) {
            Err(Error::InvalidArgument(m)) => assert!(m.contains("blob-1"), "{m}"),
            other => panic!("{other:?}"),
        }
        Ok(())
    }

    #[test]
    fn encodings_by_media_type() {
        assert_eq!(
            encoding_of(DESCRIPTOR_JSON_MEDIA_TYPE),
            Some(Encoding::Json)
        );
        assert_eq!(
            encoding_of("application/vnd.ocm.software.component-descriptor.v2+yaml"),
            Some(Encoding::Yaml)
        );
        assert_eq!(
            encoding_of("application/vnd.ocm.software.component-descriptor.v2+yaml+tar"),
            Some(Encoding::Tar)
        );
        assert_eq!(
            encoding_of("application/vnd.gardener.cloud.cnudie.component-descriptor.v2+json"),
            Some(Encoding::Json)
        );
        assert_eq!(
            encoding_of("application/vnd.gardener.cloud.cnudie.component-descriptor.v2+yaml+tar"),
            Some(Encoding::Tar)
        );
        assert_eq!(encoding_of("text/plain"), None);
    }

    #[test]
    fn manifest_field_order_is_gos() -> Result<()> {
        let d = descriptor(
            r#"{"meta":{"schemaVersion":"v2"},"component":{"name":"a.org/x","version":"1.0.0","provider":"a"}}"#,
        );
        let encoded = encode(&d, Vec::new())?;
        let text =
            String::from_utf8(encoded.manifest).map_err(|e| Error::internal(e.to_string()))?;
        assert!(text.starts_with(
            r#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType":"application/vnd.ocm.software.component-descriptor.v2","config":{"mediaType":"application/vnd.ocm.software.component.config.v1+json","digest":"sha256:"#
        ), "{text}");
        let config =
            String::from_utf8(encoded.config).map_err(|e| Error::internal(e.to_string()))?;
        assert!(config.starts_with(r#"{"componentDescriptorLayer":{"mediaType":"application/vnd.ocm.software.component-descriptor.v2+json","digest":"sha256:"#));
        Ok(())
    }
}
