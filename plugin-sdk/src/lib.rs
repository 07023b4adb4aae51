//! Write OCM plugins in Rust.
//!
//! A plugin is a binary that an OCM plugin manager (the Go one or ours) runs twice: once as
//! `<plugin> capabilities` to learn what it serves, and later as `<plugin> --config <json>` to
//! serve it over HTTP on a Unix socket or loopback TCP. This crate does all of that; a plugin
//! author implements a capability trait from [`contracts`] and hands it to a [`Plugin`].
//!
//! What [`Plugin::run`] does, wire-compatible with the Go SDK (see the protocol spec):
//!
//! * prints the capabilities document, byte-equal to a Go plugin's for the same declarations;
//! * binds a Unix socket in a private `0700` directory (or `127.0.0.1:0`), prints the location
//!   line `http+unix://<path>` (or `http://127.0.0.1:<port>`) and nothing else on stdout;
//! * serves `/healthz`, `/shutdown` and the capability routes of the route table in
//!   `ocm-plugin-endpoints`, with Go's status codes and plain-text error bodies;
//! * logs slog-style JSON lines on stderr, filtered by `OCM_PLUGIN_LOG` (default `info`);
//! * stops gracefully on SIGINT/SIGTERM, `/shutdown` or the idle timeout, and removes its socket.
//!
//! # A plugin in about 30 lines
//!
//! An in-memory component version repository, with its spec as a Rust type whose JSON schema
//! the SDK derives (this is `examples/memory.rs`; the README's host example drives it). It
//! depends on this crate and `serde` only.
//!
//! ```no_run
#![doc = include_str!("../examples/memory.rs")]
//! ```
//!
//! # The runtime model
//!
//! A plugin serves all its requests on **one current-thread** tokio runtime: requests run
//! concurrently, but on one thread. A handler that blocks (`std::fs`, hashing a large file, a
//! child process) stalls every other request, `/healthz` included, until it returns. Run such
//! work through [`spawn_blocking`]; short, non-blocking work needs nothing.
//!
//! # Blobs
//!
//! Blobs travel by location, never in HTTP bodies. [`blob`] hands bytes, a reader or an async
//! stream back as a blob (a uniquely named `0600` file in the manager's temp directory, or a
//! named pipe), with the location built, and opens an incoming location as a reader:
//! `blob::from_bytes(bytes, Some("text/plain")).await?` is a complete answer's location.
//!
//! # Reads may arrive without the spec
//!
//! Go managers never send the repository spec on the component version repository's reads
//! (`GET /component-version/download`, `/component-versions`, `/local-resource/download`,
//! `/local-source/download`); ours sends it as the `repository` query parameter, but a plugin
//! must not count on it. With one registered type the request still reaches the right
//! implementation, but it must know *which* repository to read without the spec: take it from
//! the plugin configuration ([`Plugin::config_type`], [`PluginContext::config_entry`]; Go's
//! command line passes none), or from an environment variable of the plugin, and answer
//! `InvalidArgument` naming both when neither is there. `examples/directory-repository` does
//! exactly that (`root` in its config, else `OCM_DIRECTORY_REPOSITORY_ROOT`).
//!
//! # Capabilities
//!
//! A plugin registers one or more capabilities, each for one or more types; one server serves
//! all their routes (the route tables of `ocm-plugin-endpoints`), and each request goes to the
//! implementation registered for the declared type of the spec it carries. When a request
//! carries no typed spec, the capability's only implementation answers, if it has exactly one;
//! otherwise the answer is a 400 naming the served types. Every factory has the signature
//! `FnOnce(&PluginContext) -> Result<R, BoxError>` and runs once, when serving starts.
//!
//! **Component version repository** ([`contracts::component_version_repository::v1::ComponentVersionRepository`]):
//! stores and reads component versions and their local blobs; dispatched by the repository spec.
//! `.component_version_repository("MyRepo/v1".parse()?, schema, |ctx| Ok(MyRepo::new(ctx)))`
//!
//! **Credential repository** ([`contracts::credential_repository::v1::CredentialRepository`]):
//! resolves credentials for consumer identities from a store described by a config; dispatched
//! by `config.type`. At most one per plugin: the capabilities document lists the consumer
//! identity type and the config type as entries `[0]` and `[1]`, both with `schema`, which must
//! describe the config (Go managers validate the config against entry `[0]`'s schema).
//! `.credential_repository("Vault/v1".parse()?, "VaultConfig/v1".parse()?, schema, |ctx| Ok(Vault::new(ctx)))`
//!
//! **Input method** ([`contracts::input::v1::InputMethod`]): turns a constructor input into a
//! blob; dispatched by the type of the resource's or source's `input` (or `access`, which is
//! what v0.0.1 managers send instead).
//! `.input_method("file/v1".parse()?, schema, |_| Ok(FileInput))`
//!
//! **Digest processor** ([`contracts::digest_processor::v1::DigestProcessor`]): fills in a
//! resource's digest; dispatched by `resource.access.type`.
//! `.digest_processor("OCIImage/v1".parse()?, schema, |_| Ok(OciDigester))`
//!
//! **Resource repository** ([`contracts::resource_repository::v1::ResourceRepository`]):
//! downloads and uploads resources by access; dispatched by `resource.access.type`; credentials
//! are optional on its routes.
//! `.resource_repository("OCIImage/v1".parse()?, schema, |ctx| Ok(Registry::new(ctx)))`
//!
//! **Blob transformer** ([`contracts::blob_transformer::v1::BlobTransformer`]): transforms one
//! blob into another; dispatched by `specification.type`.
//! `.blob_transformer("gzip/v1".parse()?, schema, |_| Ok(Gzip))`
//!
//! **Component lister** ([`contracts::component_lister::v1::ComponentLister`], plugin module
//! v0.0.8+): lists a repository's component names, a page at a time; dispatched by
//! `repository.type`.
//! `.component_lister("MyRepo/v1".parse()?, schema, |ctx| Ok(MyLister::new(ctx)))`
//!
//! **Signing handler** ([`contracts::signing_handler::v1::SigningHandler`], v0.0.7+): signs
//! digests and verifies signatures; dispatched by `config.type`.
//! `.signing_handler("RSASigningConfiguration/v1alpha1".parse()?, schema, |_| Ok(Rsa))`
//!
//! **Credential plugin** ([`contracts::credential_plugin::v1::CredentialPlugin`], the
//! `bindings/go` generation): names the consumer identity of a credential spec and resolves its
//! credentials; `/consumer-identity` is dispatched by `credential.type`, `/resolve` (which
//! carries only the identity) by the identity's `type`, the spec type's name. It uses the
//! credential repository's paths with other bodies, so a plugin registering both fails to start
//! with [`Error::ConflictingCapabilities`].
//! `.credential_plugin("Vault/v1".parse()?, schema, |ctx| Ok(Vault::new(ctx)))`
//!
//! `POST /identity` is shared by all capabilities: its body `{"type": <spec>}` is dispatched by
//! the spec's declared type across every registered capability, and when two capabilities
//! registered the same type, the one registered first answers. A body without a spec
//! (`{"type":null}` or `{}`, the only bodies Go-SDK digest processors and resource repositories
//! accept, so some callers send them) is a 400: there is no spec to hand to an implementation.
//!
//! Credentials arrive in the `Authorization` header as a flat JSON string map (v0.0.1 managers)
//! or as typed credentials `{"type":"Credentials/v1","properties":{...}}` (v0.0.16+ managers);
//! implementations get one [`types::Credentials`] either way, which reads like a map of the
//! properties and tells the type where there was one. On the component version repository's
//! routes a missing header is a 401 (as in every Go SDK); elsewhere it means no credentials (as
//! from v0.0.17 on), which changes nothing for v0.0.1 managers, since they always send one.
//!
//! # Every manager generation
//!
//! `capabilities` prints one document with both formats side by side (spec §10.2): the v0.0.1
//! keys `types`/`configTypes`, read by Go managers up to v0.0.10, and the v0.0.11+ keys
//! `capabilities`/`supportedConfigTypes`, read by later Go managers (plugin module v0.0.11 to
//! v0.0.17 and the single `bindings/go` module). Every manager ignores the keys it does not
//! know, so the same binary registers everywhere; [`Plugin::capabilities_format`] can restrict
//! it to one. [`Plugin::aliases`] declares other names of a type.
//!
//! # Testing a plugin without a process
//!
//! [`testing::TestClient`] calls a plugin's routes in process, as a manager would, with no socket
//! and no process; [`Plugin::into_router`] returns the bare `axum::Router` for other harnesses.

#![warn(missing_docs)]

mod argv;
pub mod blob;
mod capability;
mod error;
mod idle;
mod launch;
mod listener;
mod log;
mod middleware;
mod request;
mod response;
mod router;
mod serve;
mod shutdown;
pub mod testing;
mod trim;
mod typed;

use std::{
    collections::HashSet, fmt, io::Write as _, panic::AssertUnwindSafe, process::ExitCode,
    sync::Arc,
};

/// The web framework of the SDK's server: [`Plugin::into_router`] returns an [`axum::Router`],
/// re-exported so that a plugin serving it itself needs no axum dependency of its own (nor one
/// of another version).
pub use axum;
pub use error::{Error, Result};
pub use ocm_plugin_contracts as contracts;
pub use ocm_plugin_contracts::{BoxError, async_trait};
/// The route tables, for tests that call a plugin's routes ([`testing::TestClient`]).
pub use ocm_plugin_endpoints as endpoints;
pub use ocm_plugin_types as types;
pub use schemars;
pub use typed::{SpecExt, TypedSpec};

use ocm_plugin_contracts::{
    blob_transformer, component_lister, component_version_repository, credential_plugin,
    credential_repository, digest_processor, input, resource_repository, signing_handler,
};
use ocm_plugin_endpoints::{CapabilitiesBuilder, Capability, SchemaValidator};
use ocm_plugin_types::{
    CapabilitiesFormat, CapabilityKind, DeclaredType, JsonSchema, PluginConfig, Type,
};
use serde::de::DeserializeOwned;

use crate::{
    capability::{Registration, Served},
    idle::IdleTracker,
    shutdown::Shutdown,
};

/// What a capability factory receives: the configuration the manager started the plugin with,
/// and a signal for when the plugin stops.
#[derive(Debug, Clone)]
pub struct PluginContext {
    /// The parsed `--config`, including the `configTypes` entries for the declared config types.
    pub config: PluginConfig,
    /// Triggered when the plugin begins to stop.
    shutdown: Shutdown,
}

/// Two contexts are equal when their configurations are.
impl PartialEq for PluginContext {
    fn eq(&self, other: &Self) -> bool {
        self.config == other.config
    }
}

impl PluginContext {
    /// The context a factory gets for `config` (for tests of factories; the SDK builds its own).
    pub fn new(config: PluginConfig) -> Self {
        Self {
            config,
            shutdown: Shutdown::new(),
        }
    }

    /// Resolves once the plugin begins to stop: SIGTERM or SIGINT, the idle timeout, a
    /// manager's `/shutdown`, the host gone. Requests still in flight are drained after it, so a
    /// factory's background task can flush what it holds (a cache, a buffered log) in time.
    /// `'static`: move it into a spawned task.
    ///
    /// ```
    /// use ocm_plugin_sdk::{Plugin, types::JsonSchema};
    /// # struct Repo;
    /// # impl ocm_plugin_sdk::contracts::component_version_repository::v1::ComponentVersionRepository for Repo {}
    /// let plugin = Plugin::new("flushes").component_version_repository(
    ///     "Flushing/v1".parse()?,
    ///     JsonSchema::permissive(),
    ///     |ctx| {
    ///         let stopping = ctx.shutdown_signal();
    ///         tokio::spawn(async move {
    ///             stopping.await;
    ///             // write out what must survive the process
    ///         });
    ///         Ok(Repo)
    ///     },
    /// );
    /// # drop(plugin);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn shutdown_signal(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        self.shutdown.cancelled_owned()
    }

    /// The first configuration entry of type `typ`, decoded into the plugin's own struct;
    /// `None` when the manager sent none (Go managers often send no configuration at all).
    pub fn config_entry<T: DeserializeOwned>(&self, typ: &Type) -> Result<Option<T>> {
        self.config
            .config_types
            .iter()
            .find(|entry| entry.type_() == Some(typ))
            .map(|entry| {
                entry.decode().map_err(|source| Error::ConfigEntry {
                    typ: typ.clone(),
                    source,
                })
            })
            .transpose()
    }
}

/// A plugin under construction: its name, declared config types and capabilities.
///
/// Registering stores factories only; they run when the plugin is asked to serve, so printing
/// the capabilities never touches the implementation.
pub struct Plugin {
    name: String,
    config_types: Vec<Type>,
    registrations: Vec<Registration>,
    custom_credential_types: Vec<(Type, Option<JsonSchema>)>,
    format: CapabilitiesFormat,
    /// Aliases given before any registration: an error at `run`.
    stray_aliases: Vec<Type>,
    /// Typed specs whose declaration failed (spec, reason): an error at `run`.
    declaration_errors: Vec<(&'static str, String)>,
    /// The last declaration failed: `aliases` that follow belong to it (and go with it), not
    /// to the registration before it.
    last_declaration_failed: bool,
    /// Give freed memory back to the system after large requests (see `trim_memory`).
    trim_memory: bool,
}

impl fmt::Debug for Plugin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Plugin")
            .field("name", &self.name)
            .field("config_types", &self.config_types)
            .field("registrations", &self.registrations)
            .field("format", &self.format)
            .finish()
    }
}

/// What serving needs besides the listener.
pub(crate) struct App {
    router: axum::Router,
    shutdown: Shutdown,
    idle: IdleTracker,
    /// The declared schemas, compiled on first use; `serve` compiles them ahead of it.
    schemas: Vec<DeclaredSchema>,
}

impl Plugin {
    /// A plugin with no capabilities yet. `name` is only a label for its logs and its usage
    /// text: managers know a plugin by its file name, and every type it serves comes from the
    /// builder methods.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            config_types: Vec::new(),
            registrations: Vec::new(),
            custom_credential_types: Vec::new(),
            format: CapabilitiesFormat::Dual,
            stray_aliases: Vec::new(),
            declaration_errors: Vec::new(),
            last_declaration_failed: false,
            trim_memory: true,
        }
    }

    /// Other names for the type registered last: managers that read aliases (ours, and the
    /// v0.0.11+ document) find the implementation under each of them, and requests whose spec
    /// carries an alias are dispatched to it. In the v0.0.1 half of the document each alias is
    /// an entry of its own after the type, so v0.0.1 managers find component version
    /// repositories by alias too. After a typed declaration that failed they belong to that
    /// failed type, never to the one registered before it (`run` reports the failure).
    ///
    /// ```
    /// use ocm_plugin_sdk::{Plugin, types::JsonSchema};
    /// # struct Repo;
    /// # impl ocm_plugin_sdk::contracts::component_version_repository::v1::ComponentVersionRepository for Repo {}
    /// let plugin = Plugin::new("oci")
    ///     .component_version_repository("OCIRepository/v1".parse()?, JsonSchema::permissive(), |_| Ok(Repo))
    ///     .aliases(["OCIRepository".parse()?, "OCI/v1".parse()?]);
    /// assert!(plugin.capabilities_json().contains(r#""aliases":["OCIRepository","OCI/v1"]"#));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn aliases(mut self, aliases: impl IntoIterator<Item = Type>) -> Self {
        if self.last_declaration_failed {
            // They name a type that was not registered; `run` reports its declaration error.
            return self;
        }
        match self.registrations.last_mut() {
            Some(last) => last.aliases.extend(aliases),
            None => self.stray_aliases.extend(aliases),
        }
        self
    }

    /// Whether to give freed heap memory back to the system (glibc's `malloc_trim`) once the
    /// plugin is quiet after large request bodies. On by default: a plugin then idles near its
    /// quiet size instead of its peak. Turn it off for a plugin with its own allocator, or one
    /// that would rather keep the memory for the next burst.
    ///
    /// ```
    /// let plugin = ocm_plugin_sdk::Plugin::new("keeps-its-heap").trim_memory(false);
    /// # drop(plugin);
    /// ```
    #[must_use]
    pub fn trim_memory(mut self, on: bool) -> Self {
        self.trim_memory = on;
        self
    }

    /// Which `capabilities` format to print. The default, [`CapabilitiesFormat::Dual`], writes
    /// both side by side so the plugin registers under every Go manager generation and ours;
    /// choose one format only for a manager that rejects unknown keys.
    #[must_use]
    pub fn capabilities_format(mut self, format: CapabilitiesFormat) -> Self {
        self.format = format;
        self
    }

    /// Declares a credential type this plugin's credential repository defines
    /// (`customCredentialTypes`, read by v0.0.17+ managers, which register it in their
    /// credential-type scheme). `schema` may be `None`, which the document writes as `null`.
    #[must_use]
    pub fn custom_credential_type(mut self, typ: Type, schema: Option<JsonSchema>) -> Self {
        self.custom_credential_types.push((typ, schema));
        self
    }

    /// Declares a configuration type the plugin wants; managers pass matching configuration
    /// entries in `--config` (see [`PluginContext::config_entry`]).
    #[must_use]
    pub fn config_type(mut self, typ: Type) -> Self {
        self.config_types.push(typ);
        self
    }

    /// Registers a component version repository for repository specs of type `typ`.
    ///
    /// `schema` is what managers validate specs against before calling. `factory` runs once,
    /// after `--config` is parsed (never for `capabilities`); its error stops the plugin with
    /// exit code 1. Several types may be registered; requests are dispatched by the type of the
    /// repository spec they carry.
    #[must_use]
    pub fn component_version_repository<R, F>(
        self,
        typ: Type,
        schema: JsonSchema,
        factory: F,
    ) -> Self
    where
        R: component_version_repository::v1::ComponentVersionRepository,
        F: FnOnce(&PluginContext) -> Result<R, BoxError> + Send + 'static,
    {
        self.register::<endpoints::component_version_repository::ComponentVersionRepository>(
            typ,
            schema,
            None,
            move |ctx| {
                Ok(Arc::new(factory(ctx)?)
                    as Arc<
                        dyn component_version_repository::v1::ComponentVersionRepository,
                    >)
            },
        )
    }

    /// Registers the credential repository: it resolves credentials for consumer identities of
    /// type `consumer_identity_type` from stores described by configs of type `config_type`.
    ///
    /// The capabilities document gets two entries, `[0]` the consumer identity type and `[1]`
    /// the config type, both with `schema`: Go managers validate the config against entry
    /// `[0]`'s schema, so `schema` must describe the **config**. Requests are dispatched by
    /// `config.type`; `/identity` answers for `config_type`. The two-entry encoding has room for
    /// one pair only, so a plugin may register one credential repository: a second registration
    /// makes [`into_router`](Self::into_router) and [`run`](Self::run) fail with
    /// [`Error::CapabilityRegisteredTwice`].
    #[must_use]
    pub fn credential_repository<R, F>(
        self,
        consumer_identity_type: Type,
        config_type: Type,
        schema: JsonSchema,
        factory: F,
    ) -> Self
    where
        R: credential_repository::v1::CredentialRepository,
        F: FnOnce(&PluginContext) -> Result<R, BoxError> + Send + 'static,
    {
        self.register::<endpoints::credential_repository::CredentialRepository>(
            config_type,
            schema,
            Some(consumer_identity_type),
            move |ctx| {
                Ok(Arc::new(factory(ctx)?)
                    as Arc<dyn credential_repository::v1::CredentialRepository>)
            },
        )
    }

    /// Registers an input method for constructor inputs of type `typ`.
    ///
    /// Requests are dispatched by the type of the resource's or source's `input` (or, from
    /// v0.0.1 managers, which send no `input`, of its `access`). Several types may be
    /// registered; factories run as for
    /// [`component_version_repository`](Self::component_version_repository).
    #[must_use]
    pub fn input_method<R, F>(self, typ: Type, schema: JsonSchema, factory: F) -> Self
    where
        R: input::v1::InputMethod,
        F: FnOnce(&PluginContext) -> Result<R, BoxError> + Send + 'static,
    {
        self.register::<endpoints::input::Input>(typ, schema, None, move |ctx| {
            Ok(Arc::new(factory(ctx)?) as Arc<dyn input::v1::InputMethod>)
        })
    }

    /// Registers a digest processor for resources whose access is of type `typ`.
    ///
    /// Requests are dispatched by `resource.access.type`. Several types may be registered.
    #[must_use]
    pub fn digest_processor<R, F>(self, typ: Type, schema: JsonSchema, factory: F) -> Self
    where
        R: digest_processor::v1::DigestProcessor,
        F: FnOnce(&PluginContext) -> Result<R, BoxError> + Send + 'static,
    {
        self.register::<endpoints::digest_processor::DigestProcessor>(typ, schema, None, move |ctx| {
            Ok(Arc::new(factory(ctx)?) as Arc<dyn digest_processor::v1::DigestProcessor>)
        })
    }

    /// Registers a resource repository for resources whose access is of type `typ`.
    ///
    /// Requests are dispatched by `resource.access.type`. Credentials are optional on these
    /// routes (no `Authorization` header means none). Several types may be registered.
    #[must_use]
    pub fn resource_repository<R, F>(self, typ: Type, schema: JsonSchema, factory: F) -> Self
    where
        R: resource_repository::v1::ResourceRepository,
        F: FnOnce(&PluginContext) -> Result<R, BoxError> + Send + 'static,
    {
        self.register::<endpoints::resource_repository::ResourceRepository>(
            typ,
            schema,
            None,
            move |ctx| {
                Ok(Arc::new(factory(ctx)?) as Arc<dyn resource_repository::v1::ResourceRepository>)
            },
        )
    }

    /// Registers a blob transformer for transformer specs of type `typ`.
    ///
    /// Requests are dispatched by `specification.type`. Several types may be registered.
    #[must_use]
    pub fn blob_transformer<R, F>(self, typ: Type, schema: JsonSchema, factory: F) -> Self
    where
        R: blob_transformer::v1::BlobTransformer,
        F: FnOnce(&PluginContext) -> Result<R, BoxError> + Send + 'static,
    {
        self.register::<endpoints::blob_transformer::BlobTransformer>(typ, schema, None, move |ctx| {
            Ok(Arc::new(factory(ctx)?) as Arc<dyn blob_transformer::v1::BlobTransformer>)
        })
    }

    /// Registers a component lister (plugin module v0.0.8+) for repository specs of type `typ`:
    /// it lists a repository's component names, a page at a time.
    ///
    /// Requests are dispatched by `repository.type`. Several types may be registered.
    #[must_use]
    pub fn component_lister<R, F>(self, typ: Type, schema: JsonSchema, factory: F) -> Self
    where
        R: component_lister::v1::ComponentLister,
        F: FnOnce(&PluginContext) -> Result<R, BoxError> + Send + 'static,
    {
        self.register::<endpoints::component_lister::ComponentLister>(typ, schema, None, move |ctx| {
            Ok(Arc::new(factory(ctx)?) as Arc<dyn component_lister::v1::ComponentLister>)
        })
    }

    /// Registers a signing handler (plugin module v0.0.7+) for signing configs of type `typ`:
    /// it signs digests and verifies signatures.
    ///
    /// Requests are dispatched by `config.type`. Several types may be registered.
    #[must_use]
    pub fn signing_handler<R, F>(self, typ: Type, schema: JsonSchema, factory: F) -> Self
    where
        R: signing_handler::v1::SigningHandler,
        F: FnOnce(&PluginContext) -> Result<R, BoxError> + Send + 'static,
    {
        self.register::<endpoints::signing_handler::SigningHandler>(typ, schema, None, move |ctx| {
            Ok(Arc::new(factory(ctx)?) as Arc<dyn signing_handler::v1::SigningHandler>)
        })
    }

    /// Registers a credential plugin (the `bindings/go` generation) for credential specs of type
    /// `typ`: it names the consumer identity of a spec and resolves that identity's credentials.
    ///
    /// `/consumer-identity` is dispatched by `credential.type`; `/resolve` carries only the
    /// identity, so it goes to the type the identity's `type` names (the spec type's name, as a
    /// consumer identity usually carries it), or to the only credential plugin. The paths are the
    /// credential repository's: a plugin cannot register both, and [`run`](Self::run) fails with
    /// [`Error::ConflictingCapabilities`] if it tries.
    ///
    /// Go managers of plugin module v0.0.11 to v0.0.17 know no `credentialPlugin` and refuse a
    /// capabilities document that declares one, as they do for Go plugins of this kind; older
    /// managers ignore it. Serve this kind from a binary of its own.
    #[must_use]
    pub fn credential_plugin<R, F>(self, typ: Type, schema: JsonSchema, factory: F) -> Self
    where
        R: credential_plugin::v1::CredentialPlugin,
        F: FnOnce(&PluginContext) -> Result<R, BoxError> + Send + 'static,
    {
        self.register::<endpoints::credential_plugin::CredentialPlugin>(
            typ,
            schema,
            None,
            move |ctx| {
                Ok(Arc::new(factory(ctx)?) as Arc<dyn credential_plugin::v1::CredentialPlugin>)
            },
        )
    }

    /// [`component_version_repository`](Self::component_version_repository) for the typed spec
    /// `S`: its type and derived schema, checked on every request (see [`TypedSpec`]).
    #[must_use]
    pub fn component_version_repository_for<S, R, F>(mut self, factory: F) -> Self
    where
        S: TypedSpec,
        R: component_version_repository::v1::ComponentVersionRepository,
        F: FnOnce(&PluginContext) -> Result<R, BoxError> + Send + 'static,
    {
        match self.declare::<S>() {
            Some((typ, schema)) => self.component_version_repository(typ, schema, factory),
            None => self,
        }
    }

    /// [`credential_repository`](Self::credential_repository) for the typed config spec `S`.
    #[must_use]
    pub fn credential_repository_for<S, R, F>(
        mut self,
        consumer_identity_type: Type,
        factory: F,
    ) -> Self
    where
        S: TypedSpec,
        R: credential_repository::v1::CredentialRepository,
        F: FnOnce(&PluginContext) -> Result<R, BoxError> + Send + 'static,
    {
        match self.declare::<S>() {
            Some((typ, schema)) => {
                self.credential_repository(consumer_identity_type, typ, schema, factory)
            }
            None => self,
        }
    }

    /// [`input_method`](Self::input_method) for the typed spec `S`.
    #[must_use]
    pub fn input_method_for<S, R, F>(mut self, factory: F) -> Self
    where
        S: TypedSpec,
        R: input::v1::InputMethod,
        F: FnOnce(&PluginContext) -> Result<R, BoxError> + Send + 'static,
    {
        match self.declare::<S>() {
            Some((typ, schema)) => self.input_method(typ, schema, factory),
            None => self,
        }
    }

    /// [`digest_processor`](Self::digest_processor) for the typed spec `S`.
    #[must_use]
    pub fn digest_processor_for<S, R, F>(mut self, factory: F) -> Self
    where
        S: TypedSpec,
        R: digest_processor::v1::DigestProcessor,
        F: FnOnce(&PluginContext) -> Result<R, BoxError> + Send + 'static,
    {
        match self.declare::<S>() {
            Some((typ, schema)) => self.digest_processor(typ, schema, factory),
            None => self,
        }
    }

    /// [`resource_repository`](Self::resource_repository) for the typed spec `S`.
    #[must_use]
    pub fn resource_repository_for<S, R, F>(mut self, factory: F) -> Self
    where
        S: TypedSpec,
        R: resource_repository::v1::ResourceRepository,
        F: FnOnce(&PluginContext) -> Result<R, BoxError> + Send + 'static,
    {
        match self.declare::<S>() {
            Some((typ, schema)) => self.resource_repository(typ, schema, factory),
            None => self,
        }
    }

    /// [`blob_transformer`](Self::blob_transformer) for the typed spec `S`.
    #[must_use]
    pub fn blob_transformer_for<S, R, F>(mut self, factory: F) -> Self
    where
        S: TypedSpec,
        R: blob_transformer::v1::BlobTransformer,
        F: FnOnce(&PluginContext) -> Result<R, BoxError> + Send + 'static,
    {
        match self.declare::<S>() {
            Some((typ, schema)) => self.blob_transformer(typ, schema, factory),
            None => self,
        }
    }

    /// [`component_lister`](Self::component_lister) for the typed spec `S`.
    #[must_use]
    pub fn component_lister_for<S, R, F>(mut self, factory: F) -> Self
    where
        S: TypedSpec,
        R: component_lister::v1::ComponentLister,
        F: FnOnce(&PluginContext) -> Result<R, BoxError> + Send + 'static,
    {
        match self.declare::<S>() {
            Some((typ, schema)) => self.component_lister(typ, schema, factory),
            None => self,
        }
    }

    /// [`signing_handler`](Self::signing_handler) for the typed spec `S`.
    #[must_use]
    pub fn signing_handler_for<S, R, F>(mut self, factory: F) -> Self
    where
        S: TypedSpec,
        R: signing_handler::v1::SigningHandler,
        F: FnOnce(&PluginContext) -> Result<R, BoxError> + Send + 'static,
    {
        match self.declare::<S>() {
            Some((typ, schema)) => self.signing_handler(typ, schema, factory),
            None => self,
        }
    }

    /// [`credential_plugin`](Self::credential_plugin) for the typed spec `S`.
    #[must_use]
    pub fn credential_plugin_for<S, R, F>(mut self, factory: F) -> Self
    where
        S: TypedSpec,
        R: credential_plugin::v1::CredentialPlugin,
        F: FnOnce(&PluginContext) -> Result<R, BoxError> + Send + 'static,
    {
        match self.declare::<S>() {
            Some((typ, schema)) => self.credential_plugin(typ, schema, factory),
            None => self,
        }
    }

    /// The type and schema of typed spec `S`; a failure is kept and reported by `run`.
    fn declare<S: TypedSpec>(&mut self) -> Option<(Type, JsonSchema)> {
        match S::declaration() {
            Ok(declaration) => {
                self.last_declaration_failed = false;
                Some(declaration)
            }
            Err(e) => {
                self.last_declaration_failed = true;
                let reason = match e {
                    Error::TypedSpec { reason, .. } => reason,
                    other => other.to_string(),
                };
                self.declaration_errors.push((S::TYPE, reason));
                None
            }
        }
    }

    /// Registers capability `C` for `typ`: the one place every builder method above ends up.
    fn register<C: Capability>(
        mut self,
        typ: Type,
        schema: JsonSchema,
        consumer_identity_type: Option<Type>,
        build: impl FnOnce(&PluginContext) -> Result<Arc<C::Handle>, BoxError> + Send + 'static,
    ) -> Self {
        self.last_declaration_failed = false;
        self.registrations.push(Registration {
            kind: C::KIND,
            typ,
            aliases: Vec::new(),
            schema,
            consumer_identity_type,
            factory: capability::factory::<C>(build),
        });
        self
    }

    /// The capabilities document in the chosen format (by default both formats in one object,
    /// see [`capabilities_format`](Self::capabilities_format)), without a trailing newline.
    pub fn capabilities_json(&self) -> String {
        self.capabilities_builder().to_json_in(self.format)
    }

    /// What `capabilities` prints (without the newline), after compiling every declared schema:
    /// a broken one fails here, loudly, instead of at a manager's registration.
    pub fn capabilities_document(&self) -> Result<String> {
        self.check()?;
        for r in &self.registrations {
            compile(&r.kind, &r.typ, &r.schema)?;
        }
        for (typ, schema) in &self.custom_credential_types {
            if let Some(schema) = schema {
                compile(&CapabilityKind::CredentialRepository, typ, schema)?;
            }
        }
        Ok(self.capabilities_json())
    }

    fn capabilities_builder(&self) -> CapabilitiesBuilder {
        let mut builder = CapabilitiesBuilder::new();
        for r in &self.registrations {
            if let Some(consumer) = &r.consumer_identity_type {
                builder.consumer_identity_type(DeclaredType {
                    typ: consumer.clone(),
                    aliases: Vec::new(),
                    schema: None,
                });
            }
            builder.declare(
                r.kind.clone(),
                DeclaredType {
                    typ: r.typ.clone(),
                    aliases: r.aliases.clone(),
                    schema: Some(r.schema.clone()),
                },
            );
        }
        for (typ, schema) in &self.custom_credential_types {
            builder.custom_credential_type(DeclaredType {
                typ: typ.clone(),
                aliases: Vec::new(),
                schema: schema.clone(),
            });
        }
        self.config_types
            .iter()
            .fold(builder, |b, typ| b.config_type(typ.clone()))
    }

    /// Builds the HTTP router the plugin serves for `config`, running the factories. Meant for
    /// in-process tests: no socket, no process. `/shutdown` answers but stops nothing here.
    pub fn into_router(self, config: PluginConfig) -> Result<axum::Router> {
        let app = self.build(config)?;
        for declared in &app.schemas {
            declared.precompile()?;
        }
        Ok(app.router)
    }

    /// The whole `main` of a plugin: parses the command line, then prints the capabilities or
    /// serves until shutdown. Exit codes: 0 on success, 1 on any error (logged on stderr).
    pub fn run(self) -> ExitCode {
        log::init();
        install_panic_hook();
        let name = self.name.clone();
        match self.dispatch(std::env::args_os().skip(1)) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                tracing::error!(plugin = %name, error = %e, "plugin failed");
                if matches!(e, Error::Usage(_)) {
                    eprint!("\n{}", argv::usage(&name));
                }
                ExitCode::FAILURE
            }
        }
    }

    fn dispatch(self, args: impl IntoIterator<Item = std::ffi::OsString>) -> Result<()> {
        self.check()?;
        match argv::parse(args)? {
            argv::Command::Help => print_stdout(&argv::usage(&self.name)),
            argv::Command::Capabilities => {
                print_stdout(&format!("{}\n", self.capabilities_document()?))
            }
            argv::Command::Serve(config) => serve::run_blocking(self, config),
        }
    }

    /// Rejects registrations that would make dispatch ambiguous or that the capabilities
    /// document cannot express.
    fn check(&self) -> Result<()> {
        if let Some((spec, reason)) = self.declaration_errors.first() {
            return Err(Error::TypedSpec {
                spec,
                reason: reason.clone(),
            });
        }
        if !self.stray_aliases.is_empty() {
            let aliases: Vec<String> = self.stray_aliases.iter().map(ToString::to_string).collect();
            return Err(Error::AliasesWithoutType {
                aliases: aliases.join(", "),
            });
        }
        let mut seen = HashSet::new();
        let mut credential_repository: Option<&Type> = None;
        for (i, a) in self.registrations.iter().enumerate() {
            for b in &self.registrations[..i] {
                let paths = endpoints::conflicting_paths(&a.kind, &b.kind);
                if !paths.is_empty() {
                    return Err(Error::ConflictingCapabilities {
                        first: b.kind.clone(),
                        second: a.kind.clone(),
                        paths: paths.join(", "),
                    });
                }
            }
        }
        for r in &self.registrations {
            if r.kind == CapabilityKind::CredentialRepository {
                if let Some(first) = credential_repository {
                    return Err(Error::CapabilityRegisteredTwice {
                        kind: r.kind.clone(),
                        first: first.clone(),
                        second: r.typ.clone(),
                    });
                }
                credential_repository = Some(&r.typ);
            }
            for typ in std::iter::once(&r.typ).chain(&r.aliases) {
                if !seen.insert((&r.kind, typ)) {
                    return Err(Error::DuplicateType {
                        kind: r.kind.clone(),
                        typ: typ.clone(),
                    });
                }
            }
        }
        Ok(())
    }

    /// Runs the factories and assembles the router.
    fn build(self, config: PluginConfig) -> Result<App> {
        self.check()?;
        let trim_memory = self.trim_memory;
        let shutdown = Shutdown::new();
        let ctx = PluginContext {
            config,
            shutdown: shutdown.clone(),
        };
        let mut served = Served::new();
        let mut schemas = Vec::new();
        for r in self.registrations {
            // A panicking factory fails like an erroring one: logged, exit code 1.
            let install = std::panic::catch_unwind(AssertUnwindSafe(|| (r.factory)(&ctx)))
                .unwrap_or_else(|_| Err("the factory panicked".into()))
                .map_err(|source| Error::Factory {
                    kind: r.kind.clone(),
                    typ: r.typ.clone(),
                    source,
                })?;
            // Compiled on first use, or ahead of it by `serve` on another thread: the first
            // schema compiled in a process costs over a millisecond, which would otherwise
            // delay the location line. `capabilities` has compiled every schema already, so a
            // broken one is reported there.
            let schema = SchemaValidator::deferred(&r.schema.0);
            schemas.push(DeclaredSchema {
                kind: r.kind.clone(),
                typ: r.typ.clone(),
                schema: schema.clone(),
            });
            install(&mut served, r.typ, &r.aliases, schema);
        }
        let mounts = served.into_mounts();
        let idle = IdleTracker::new(idle::effective_timeout(ctx.config.idle_timeout));
        let router = router::build(
            mounts,
            shutdown.clone(),
            idle.clone(),
            launch::launch_token_from_env(),
            trim_memory,
        );
        Ok(App {
            router,
            shutdown,
            idle,
            schemas,
        })
    }
}

/// A declared schema whose validator compiles on first use (or ahead of it, see `serve`).
pub(crate) struct DeclaredSchema {
    kind: CapabilityKind,
    typ: Type,
    schema: SchemaValidator,
}

impl DeclaredSchema {
    /// Compiles it now; a broken one is the error naming its type.
    pub(crate) fn precompile(&self) -> Result<()> {
        self.schema
            .precompile()
            .map_err(|message| Error::InvalidSchema {
                kind: self.kind.clone(),
                typ: self.typ.clone(),
                message,
            })
    }
}

/// Compiles a declared schema; a broken one stops the plugin with a message naming the type.
fn compile(kind: &CapabilityKind, typ: &Type, schema: &JsonSchema) -> Result<SchemaValidator> {
    SchemaValidator::compile(&schema.0).map_err(|message| Error::InvalidSchema {
        kind: kind.clone(),
        typ: typ.clone(),
        message,
    })
}

/// Runs blocking work (`std::fs`, a large hash, a child process) on tokio's blocking thread
/// pool and waits for it.
///
/// Why: a plugin serves every request on **one** current-thread runtime, so a handler that
/// blocks stalls every other request of the plugin, `/healthz` included, until it returns.
/// Short non-blocking work needs nothing; anything that can take milliseconds belongs here.
///
/// ```
/// # async fn demo() -> ocm_plugin_sdk::contracts::Result<()> {
/// let bytes = ocm_plugin_sdk::spawn_blocking(|| Ok(std::fs::read("/etc/hostname")?)).await?;
/// # let _ = bytes; Ok(()) }
/// ```
pub async fn spawn_blocking<T, F>(work: F) -> ocm_plugin_contracts::Result<T>
where
    F: FnOnce() -> ocm_plugin_contracts::Result<T> + Send + 'static,
    T: Send + 'static,
{
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| ocm_plugin_contracts::Error::internal_with("blocking work failed", e))?
}

fn print_stdout(text: &str) -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
        .map_err(Error::io("failed to write to stdout"))
}

/// Panic messages go to the JSON log instead of raw text on stderr.
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        tracing::error!(panic = %info, "panic");
    }));
}
