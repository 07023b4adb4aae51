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
//! # A plugin in 30 lines
//!
//! An input method that turns `{"type":"Text/v1","text":"hello"}` into a blob
//! (`examples/text.rs`, with its test). The spec is a Rust type: the SDK derives its JSON schema
//! for the capabilities document, checks every incoming spec against it (a bad one is a 400
//! naming the field), and hands the implementation the decoded value. Its doc comments become
//! the schema's descriptions, which OCM's Go manager prints to users: write them for users.
//! It depends on this crate and `serde` only.
//!
//! ```no_run
#![doc = include_str!("../examples/text.rs")]
//! ```
//!
//! The same shape for every capability: a module per kind ([`input`],
//! [`component_version_repository`], [`credential_repository`], [`digest_processor`],
//! [`resource_repository`], [`blob_transformer`], [`component_lister`], [`signing_handler`],
//! [`credential_plugin`]) holds the typed trait, the request and response types, and the
//! registration functions that [`Plugin::register`] takes. The [`guide`] walks through each
//! kind: what the manager sends, what to answer, which errors to use.
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
//! A plugin registers one or more capabilities, each for one or more spec types; one server
//! serves all their routes (the route tables of `ocm-plugin-endpoints`), and each request goes
//! to the implementation registered for the declared type of the spec it carries. When a
//! request carries no typed spec, the capability's only implementation answers, if it has
//! exactly one; otherwise the answer is a 400 naming the served types.
//!
//! Each registration is one value made by the capability's module and handed to
//! [`Plugin::register`]:
//!
//! * `<kind>::typed(factory)`: a typed implementation ([`input::InputMethod`] and its peers),
//!   whose spec type is a [`TypedSpec`]; the schema is derived and the spec arrives decoded;
//! * `<kind>::untyped(typ, schema, factory)`: an implementation of the raw contract trait
//!   ([`contracts`]), with a hand-written schema, for authors who want the raw JSON;
//! * `typed_async` and `untyped_async`: the same with an async factory.
//!
//! A factory runs once, when serving starts (never for `capabilities`); its error stops the
//! plugin with exit code 1. [`Registration::aliases`] (or [`TypedSpec::ALIASES`]) adds other
//! names of the type. The credential repository registers a consumer identity type besides its
//! config type and may be registered once per plugin; the credential plugin uses the credential
//! repository's paths with other bodies, so a plugin registering both fails to start with
//! [`Error::ConflictingCapabilities`].
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
//! it to one. [`Registration::aliases`] declares other names of a type.
//!
//! # Testing a plugin without a process
//!
//! [`testing::TestClient`] calls a plugin's routes in process, as a manager would, with no socket
//! and no process, and checks every answer against the rules managers rely on (debug builds of
//! a plugin check them too); [`Plugin::into_router`] returns the bare `axum::Router` for other
//! harnesses. The `testing` module is behind the `testing` feature, so that no plugin binary
//! carries it: enable it for tests only,
//!
//! ```toml
//! [dev-dependencies]
//! ocm-plugin-sdk = { path = "…", features = ["testing"] }
//! ```

#![warn(missing_docs)]

mod argv;
pub mod blob;
mod capability;
mod error;
pub mod guide;
mod idle;
mod kinds;
mod launch;
mod listener;
mod local_blob;
mod log;
mod middleware;
mod registration;
mod request;
mod response;
mod router;
mod serve;
mod shutdown;
#[cfg(any(feature = "testing", doc))]
pub mod testing;
mod trim;
mod typed;

pub use kinds::{
    blob_transformer, component_lister, component_version_repository, credential_plugin,
    credential_repository, digest_processor, input, resource_repository, signing_handler,
};
pub use registration::Registration;

use std::{collections::HashSet, fmt, io::Write as _, panic::AssertUnwindSafe, process::ExitCode};

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
/// Serialization: [`TypedSpec`] types derive `serde::Deserialize` (with
/// `#[serde(crate = "ocm_plugin_sdk::serde")]` a plugin needs no serde dependency of its own).
pub use serde;
/// The runtime the SDK serves on: re-exported so that a plugin spawning tasks in a factory or
/// handing [`blob::from_stream`] a `tokio::io::AsyncRead` uses the same version.
pub use tokio;
pub use typed::{SpecExt, TypedSpec};

use ocm_plugin_endpoints::{CapabilitiesBuilder, SchemaValidator};
use ocm_plugin_types::{
    CapabilitiesFormat, CapabilityKind, DeclaredType, JsonSchema, PluginConfig, Type,
};
use serde::de::DeserializeOwned;

use crate::{
    capability::{Building, Served},
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
    /// use ocm_plugin_sdk::{Plugin, component_version_repository, types::JsonSchema};
    /// # struct Repo;
    /// # impl ocm_plugin_sdk::contracts::component_version_repository::v1::ComponentVersionRepository for Repo {}
    /// let plugin = Plugin::new("flushes").register(component_version_repository::untyped(
    ///     "Flushing/v1",
    ///     JsonSchema::permissive(),
    ///     |ctx| {
    ///         let stopping = ctx.shutdown_signal();
    ///         tokio::spawn(async move {
    ///             stopping.await;
    ///             // write out what must survive the process
    ///         });
    ///         Ok(Repo)
    ///     },
    /// ));
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
    registrations: Vec<capability::Registration>,
    custom_credential_types: Vec<(Type, Option<JsonSchema>)>,
    format: CapabilitiesFormat,
    /// Typed specs whose declaration failed (spec, reason): an error at `run`.
    declaration_errors: Vec<registration::Failure>,
    /// Give freed memory back to the system after large requests (see `trim_memory`).
    trim_memory: bool,
    /// Whether answers are checked against the rules managers rely on; `None`: the default
    /// (debug builds, and always under `TestClient`).
    check_answers: Option<bool>,
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
            declaration_errors: Vec::new(),
            trim_memory: true,
            check_answers: None,
        }
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

    /// Whether to check each answer against the rules managers rely on without checking them
    /// (an access that is not a typed object, a local blob referred to by path, a digest without
    /// an algorithm, a relative location), turning a broken one into a 500 that names the field.
    /// By default on in debug builds and always under [`testing::TestClient`]; off in release
    /// builds, where the check would cost every answer. Turn it off for a harness that replays
    /// another implementation's answers as they are.
    #[must_use]
    pub fn check_answers(mut self, on: bool) -> Self {
        self.check_answers = Some(on);
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
    /// entries in `--config` (see [`PluginContext::config_entry`]). `typ` is a [`Type`] or its
    /// text (`"MyConfig/v1"`); text that is not a type makes the plugin refuse to start,
    /// naming it.
    #[must_use]
    pub fn config_type<T>(mut self, typ: T) -> Self
    where
        T: TryInto<Type, Error: fmt::Display>,
    {
        match registration::parse_type(typ, || "a config type".to_owned()) {
            Ok(typ) => self.config_types.push(typ),
            Err(failure) => self.declaration_errors.push(failure),
        }
        self
    }

    /// Registers one capability for one spec type: the one way in for every capability.
    ///
    /// Each capability's module makes the [`Registration`]: [`input::typed`] for a typed
    /// implementation ([`input::InputMethod`]) whose spec type is a Rust type with a derived
    /// schema, [`input::untyped`] for one of the raw contract with a hand-written schema, and
    /// `_async` twins of both for factories that must await something first. Factories run
    /// once, when the plugin starts serving (never for `capabilities`); an error stops the
    /// plugin with exit code 1. A plugin may register several capabilities and several types
    /// of each; requests are dispatched by the type of the spec they carry.
    ///
    /// ```
    /// use ocm_plugin_sdk::{Plugin, component_version_repository, input, types::JsonSchema};
    /// # struct Repo;
    /// # impl ocm_plugin_sdk::contracts::component_version_repository::v1::ComponentVersionRepository for Repo {}
    /// # struct Files;
    /// # impl ocm_plugin_sdk::contracts::input::v1::InputMethod for Files {}
    /// let plugin = Plugin::new("both")
    ///     .register(component_version_repository::untyped("Mine/v1", JsonSchema::permissive(), |_| Ok(Repo)))
    ///     .register(input::untyped("files/v1", JsonSchema::permissive(), |_| Ok(Files)));
    /// assert!(plugin.capabilities_json().contains(r#""type":"files/v1""#));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn register(mut self, registration: Registration) -> Self {
        let Registration {
            kind,
            declared,
            aliases,
            consumer_identity_type,
            factory,
        } = registration;
        match declared {
            registration::Declared::Type { typ, schema } => {
                self.registrations.push(capability::Registration {
                    kind,
                    typ,
                    aliases,
                    schema,
                    consumer_identity_type,
                    factory,
                });
            }
            registration::Declared::Failed(failure) => self.declaration_errors.push(failure),
        }
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
    /// Answers are checked against the rules managers rely on in debug builds (see
    /// [`testing`]).
    ///
    /// An async factory (`*_async` registrations) is awaited on a runtime of its own; inside a
    /// tokio runtime, use [`router`](Self::router) instead, which this refuses with
    /// [`Error::AsyncFactoryInRuntime`] rather than block that runtime.
    pub fn into_router(self, config: PluginConfig) -> Result<axum::Router> {
        self.router_checked(config, cfg!(debug_assertions))
    }

    /// [`into_router`](Self::into_router) for async code: awaits async factories on the
    /// caller's runtime.
    pub async fn router(self, config: PluginConfig) -> Result<axum::Router> {
        self.router_with(config, cfg!(debug_assertions)).await
    }

    /// [`router`](Self::router), checking answers or not.
    pub(crate) async fn router_with(
        self,
        config: PluginConfig,
        check_answers: bool,
    ) -> Result<axum::Router> {
        let app = self.build(config, check_answers)?.finish().await?;
        for declared in &app.schemas {
            declared.precompile()?;
        }
        Ok(app.router)
    }

    /// [`into_router`](Self::into_router), checking answers or not.
    pub(crate) fn router_checked(
        self,
        config: PluginConfig,
        check_answers: bool,
    ) -> Result<axum::Router> {
        let assembly = self.build(config, check_answers)?;
        let app = if assembly.is_ready() {
            assembly.finish_ready()?
        } else if tokio::runtime::Handle::try_current().is_ok() {
            return Err(Error::AsyncFactoryInRuntime);
        } else {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(Error::io(
                    "failed to start a runtime for the async factories",
                ))?
                .block_on(assembly.finish())?
        };
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

    /// [`run`](Self::run) for a plugin that brings its own tokio runtime (a multi-thread one,
    /// or one shared with other work): parses the command line, then prints the capabilities
    /// or serves on the caller's runtime until shutdown. It sets up the JSON log on stderr
    /// unless a `tracing` subscriber is installed already, and installs no panic hook.
    ///
    /// ```no_run
    /// # use ocm_plugin_sdk::Plugin;
    /// #[tokio::main(flavor = "current_thread")]
    /// async fn main() -> std::process::ExitCode {
    ///     match Plugin::new("mine").serve().await {
    ///         Ok(()) => std::process::ExitCode::SUCCESS,
    ///         Err(e) => {
    ///             eprintln!("{e}");
    ///             std::process::ExitCode::FAILURE
    ///         }
    ///     }
    /// }
    /// ```
    pub async fn serve(self) -> Result<()> {
        log::init();
        self.check()?;
        match argv::parse(std::env::args_os().skip(1))? {
            argv::Command::Help => print_stdout(&argv::usage(&self.name)),
            argv::Command::Capabilities => {
                print_stdout(&format!("{}\n", self.capabilities_document()?))
            }
            argv::Command::Serve(config) => serve::serve(self, config).await,
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
        if let Some(failure) = self.declaration_errors.first() {
            return Err(failure.to_error());
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

    /// Runs the factories; async ones are awaited by [`Assembly::finish`].
    fn build(self, config: PluginConfig, check_answers: bool) -> Result<Assembly> {
        self.check()?;
        let shutdown = Shutdown::new();
        let ctx = PluginContext {
            config,
            shutdown: shutdown.clone(),
        };
        let mut started = Vec::with_capacity(self.registrations.len());
        for r in self.registrations {
            // A panicking factory fails like an erroring one: logged, exit code 1.
            let building = std::panic::catch_unwind(AssertUnwindSafe(|| (r.factory)(&ctx)))
                .unwrap_or_else(|_| Building::Ready(Err("the factory panicked".into())));
            started.push(Started {
                kind: r.kind,
                typ: r.typ,
                aliases: r.aliases,
                schema: r.schema,
                building,
            });
        }
        Ok(Assembly {
            started,
            ctx,
            shutdown,
            trim_memory: self.trim_memory,
            check_answers: self.check_answers.unwrap_or(check_answers),
        })
    }
}

/// An installer that installs nothing: a placeholder while a pending one is awaited.
fn noop() -> capability::Installer {
    Box::new(|_, _, _, _| {})
}

/// A registration whose factory has run (or, async, is running).
struct Started {
    kind: CapabilityKind,
    typ: Type,
    aliases: Vec<Type>,
    schema: JsonSchema,
    building: Building,
}

/// The factories' results on the way to an [`App`].
struct Assembly {
    started: Vec<Started>,
    ctx: PluginContext,
    shutdown: Shutdown,
    trim_memory: bool,
    check_answers: bool,
}

impl Assembly {
    /// No async factory is still running.
    fn is_ready(&self) -> bool {
        self.started
            .iter()
            .all(|s| matches!(s.building, Building::Ready(_)))
    }

    /// Awaits the async factories, in registration order, and assembles the router.
    async fn finish(mut self) -> Result<App> {
        for started in &mut self.started {
            let building = std::mem::replace(&mut started.building, Building::Ready(Ok(noop())));
            started.building = match building {
                // On a task of its own, so that a panicking factory fails like an erroring one.
                Building::Pending(future) => Building::Ready(
                    tokio::spawn(future)
                        .await
                        .unwrap_or_else(|_| Err("the factory panicked".into())),
                ),
                ready => ready,
            };
        }
        self.finish_ready()
    }

    /// Assembles the router from factories that have all finished.
    fn finish_ready(self) -> Result<App> {
        let mut served = Served::new(self.check_answers);
        let mut schemas = Vec::new();
        for s in self.started {
            let install = match s.building {
                Building::Ready(result) => result,
                Building::Pending(_) => Err("the async factory was not awaited".into()),
            }
            .map_err(|source| Error::Factory {
                kind: s.kind.clone(),
                typ: s.typ.clone(),
                source,
            })?;
            // Compiled on first use, or ahead of it by `serve` on another thread: a schema
            // outside the light engine's subset costs about 2 ms the first time in a process
            // (see `SchemaValidator`), which would otherwise delay the location line.
            // `capabilities` has compiled every schema already, so a broken one is reported
            // there.
            let schema = SchemaValidator::deferred(&s.schema.0);
            schemas.push(DeclaredSchema {
                kind: s.kind,
                typ: s.typ.clone(),
                schema: schema.clone(),
            });
            install(&mut served, s.typ, &s.aliases, schema);
        }
        let mounts = served.into_mounts();
        let idle = IdleTracker::new(idle::effective_timeout(self.ctx.config.idle_timeout));
        let router = router::build(
            mounts,
            self.shutdown.clone(),
            idle.clone(),
            launch::launch_token_from_env(),
            self.trim_memory,
        );
        Ok(App {
            router,
            shutdown: self.shutdown,
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
