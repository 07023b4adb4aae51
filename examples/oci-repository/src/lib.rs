//! An example OCM plugin: a **component version repository** (`componentVersionRepository`)
//! that keeps component versions in an **OCI registry**, laid out byte for byte as OCM's Go
//! code lays them out, so OCM's Go tooling reads what this plugin writes and the reverse.
//!
//! All logic lives in this library; the `oci-repository` binary only calls [`main`]. Registry
//! traffic goes through the `oci-client` crate (rustls with the `ring` provider).
//!
//! # Repository spec
//!
//! ```json
//! {"type":"OCIRepository/v1","baseUrl":"http://127.0.0.1:5000","subPath":"acme"}
//! ```
//!
//! The type is [`REPOSITORY_TYPE`]; every name OCM accepts for it is served too
//! ([`ACCEPTED_TYPES`]: `OCIRepository`, `OCI/v1`, `OCI`, `oci/v1`, `oci`, `OCIRegistry/v1`,
//! `OCIRegistry`, `ociRegistry/v1`, `ociRegistry`). Fields: `type`, `baseUrl` (required) and
//! `subPath` (optional), nothing else: the schema is derived from [`spec::OciRepositorySpec`],
//! which the plugin receives decoded.
//!
//! * `baseUrl` is `host[:port][/path]` with an optional scheme: none, `https://` or `oci://`
//!   use TLS, verified against the system's trust store (`SSL_CERT_FILE` and `SSL_CERT_DIR`
//!   are honoured), never falling back to plain HTTP; `http://` is plain HTTP (for local
//!   registries).
//! * A path in `baseUrl` is a sub path; `subPath` is appended to it.
//! * Requests that carry no spec (Go managers send none on reads) use the plugin configuration
//!   ([`CONFIG_TYPE`], [`OciConfig`]), then the environment variables [`BASE_URL_ENV`] and
//!   [`SUB_PATH_ENV`]; with neither, the answer is a 400 that names both.
//!
//! # Using it from OCM's `ocm` command line
//!
//! The head `ocm` CLI registers this plugin, as it does all nine example plugins in its plugin
//! directory, but for `oci::` references its debug log shows its built-in OCI code at work even
//! with this plugin declaring `OCIRepository/v1`: `ocm`'s own OCI commands do not reach it.
//! Otherwise the rules for plugin-provided repositories apply: `ocm` passes plugins no
//! configuration and sends no spec on reads (a read would address the registry of
//! [`BASE_URL_ENV`] and [`SUB_PATH_ENV`]), takes a plugin's repository type only through a
//! resolver entry in its config (for components referenced from a CTF or OCI root), never as
//! `TYPE::location` on the command line, and `ocm transfer` cannot copy local blobs out of a
//! plugin-provided repository. What this plugin writes, `ocm` reads with its built-in code, as
//! the layout is OCM's.
//!
//! # Storage mapping (OCM's OCI storage backend)
//!
//! * A component lives in the OCI repository `[<subPath>/]component-descriptors/<name>`; a
//!   version is the tag of the version with its first `+` replaced by `.build-`
//!   (`1.0.0+build.1` → `1.0.0.build-build.1`).
//! * A local resource or source is pushed as a blob into that repository; the returned access
//!   is `{"type":"LocalBlob/v1","localReference":"sha256:<hex>","mediaType":…}`, and a resource
//!   without a digest gets `{"hashAlgorithm":"SHA-256","normalisationAlgorithm":"genericBlobDigest/v1","value":<hex>}`.
//! * A component version is an OCI image manifest (artifact type
//!   `application/vnd.ocm.software.component-descriptor.v2`) whose config blob
//!   (`application/vnd.ocm.software.component.config.v1+json`) is
//!   `{"componentDescriptorLayer": <descriptor of layers[0]>}`; `layers[0]` is the descriptor as
//!   compact JSON with sorted keys; then one layer per local blob, annotated
//!   `software.ocm.artifact` with the identities and kinds of the artifacts stored in it. The
//!   manifest carries the annotations of OCM's Go code, with this project
//!   ([`layout::CREATOR`]) as creator and author. The tag is written last.
//! * Reading accepts descriptor layers in JSON, YAML and tar (`component-descriptor.yaml`)
//!   encodings, the legacy `application/vnd.gardener.cloud.cnudie.*` media types, and an image
//!   index whose first manifest is the component version. Listing reads the tags, takes each
//!   version from the `software.ocm.componentversion` annotation, skips what is not a component
//!   version, and sorts by semver, highest first.
//!
//! # Credentials
//!
//! `Credentials/v1`, `OCICredentials/v1` or a flat map, with `username`/`password` (HTTP Basic,
//! or the registry's token flow when it answers with a bearer challenge), `accessToken` (a
//! bearer token used as is) or `refreshToken` (exchanged at the registry's token endpoint).
//! Tokens are kept per registry and credentials and reused. The consumer identity
//! (`/identity`) is `{"type":"OCIRegistry","hostname","port","scheme","path"}`. No secret is
//! ever logged or put in an error.
//!
//! # Streaming
//!
//! No blob is held whole in memory: a file is hashed in one pass and uploaded in one streamed
//! `PUT` (skipped when the registry has the blob already); a download streams into a new `0600`
//! file in the system temp directory, hashed on the way, and is removed on a digest or size
//! mismatch, with an error naming both digests. A `unixNamedPipe` blob, which can be read only
//! once, is uploaded in chunks as its writer writes and hashed on the way (the writer has
//! [`NAMED_PIPE_WRITER_WAIT`](ocm_plugin_sdk::blob::NAMED_PIPE_WRITER_WAIT) to open it).
//! Descriptor layers over [`layout::MAX_DESCRIPTOR_SIZE`] (64 MiB) are refused
//! before a byte of them is read.
//!
//! # Errors
//!
//! Invalid spec, component name or version: 400 naming the value. Unknown component version:
//! 404 naming registry and repository. A descriptor naming a local blob the repository lacks:
//! 400, and nothing is tagged. An identity matching no local artifact: 404; several: 400 listing
//! them. Registry 401/403: 401. Registry unreachable: 500 naming `host:port`, after at most
//! [`CONNECT_TIMEOUT`]. A manifest that is no component version, or a descriptor that does not
//! decode: 500 naming the reference.
//!
//! # Example
//!
//! The storage mapping without a registry: the documents one component version becomes.
//!
//! ```
//! use ocm_example_oci_repository::{layout, spec};
//! use ocm_plugin_types::Descriptor;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let mut descriptor = Descriptor::default();
//! descriptor.component.name = "acme.org/app".into();
//! descriptor.component.version = "1.0.0+build.7".into();
//! descriptor.component.provider = "acme.org".into();
//!
//! let spec = spec::RepositorySpec::parse("http://127.0.0.1:5000", "team")?;
//! assert_eq!(spec.repository_of("acme.org/app")?, "team/component-descriptors/acme.org/app");
//! assert_eq!(spec::tag_of("1.0.0+build.7")?, "1.0.0.build-build.7");
//!
//! let encoded = layout::encode(&descriptor, Vec::new())?;
//! let manifest: serde_json::Value = serde_json::from_slice(&encoded.manifest)?;
//! assert_eq!(manifest["artifactType"], layout::ARTIFACT_TYPE);
//! assert_eq!(
//!     manifest["annotations"]["software.ocm.componentversion"],
//!     "acme.org/app:1.0.0+build.7"
//! );
//! assert_eq!(manifest["layers"][0]["digest"], layout::sha256_digest(&encoded.descriptor));
//! # Ok(())
//! # }
//! ```

pub mod layout;
mod registry;
mod repository;
pub mod spec;
mod token;

use std::process::ExitCode;

use ocm_plugin_sdk::{BoxError, Plugin, PluginContext, component_version_repository};
use ocm_plugin_types::Type;
use serde::{Deserialize, Serialize};

pub use registry::{Auth, CONNECT_TIMEOUT};
pub use repository::OciRepository;

/// Name under which the plugin registers.
pub const PLUGIN_NAME: &str = "oci-repository";

/// The repository spec type this plugin serves.
pub const REPOSITORY_TYPE: &str = "OCIRepository/v1";

/// Every spec type served: [`REPOSITORY_TYPE`] and the other names OCM accepts for it.
pub const ACCEPTED_TYPES: [&str; 10] = [
    "OCIRepository/v1",
    "OCIRepository",
    "OCI/v1",
    "OCI",
    "oci/v1",
    "oci",
    "OCIRegistry/v1",
    "OCIRegistry",
    "ociRegistry/v1",
    "ociRegistry",
];

/// The `type` of the consumer identity returned by `/identity`.
pub const IDENTITY_TYPE: &str = "OCIRegistry";

/// The configuration type this plugin declares.
pub const CONFIG_TYPE: &str = "oci-repository.config.ocm.software/v1";

/// Environment variable with the fallback `baseUrl` for requests without a spec.
pub const BASE_URL_ENV: &str = "OCM_OCI_REPOSITORY_BASE_URL";

/// Environment variable with the fallback `subPath` (used with [`BASE_URL_ENV`]).
pub const SUB_PATH_ENV: &str = "OCM_OCI_REPOSITORY_SUB_PATH";

/// The configuration entry of type [`CONFIG_TYPE`]: the registry used by requests that carry
/// no spec.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OciConfig {
    /// Fallback `baseUrl`.
    #[serde(rename = "baseUrl", default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    /// Fallback `subPath`.
    #[serde(rename = "subPath", default, skip_serializing_if = "Option::is_none")]
    pub sub_path: Option<String>,
}

/// The plugin's `main`: declares the capability (with every accepted type name) and the config
/// type, then runs the plugin.
pub fn main() -> ExitCode {
    match plugin() {
        Ok(plugin) => plugin.run(),
        Err(e) => {
            eprintln!("{PLUGIN_NAME}: invalid built-in declaration: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The plugin with its declarations: the repository for [`REPOSITORY_TYPE`] with the other
/// [`ACCEPTED_TYPES`] as aliases (declared by [`spec::OciRepositorySpec`]), and the config type.
pub fn plugin() -> Result<Plugin, BoxError> {
    let config_type: Type = CONFIG_TYPE.parse()?;
    let entry_type = config_type.clone();
    Ok(Plugin::new(PLUGIN_NAME).config_type(config_type).register(
        component_version_repository::typed(move |ctx| factory(ctx, &entry_type)),
    ))
}

fn factory(ctx: &PluginContext, config_type: &Type) -> Result<OciRepository, BoxError> {
    let config = ctx.config_entry::<OciConfig>(config_type)?;
    let repository = OciRepository::from_config(config)?;
    match repository.fallback() {
        Some(spec) => tracing::info!(registry = %spec, "OCI repository ready"),
        None => tracing::info!(
            "OCI repository ready without a fallback registry: requests must carry a spec"
        ),
    }
    Ok(repository)
}
