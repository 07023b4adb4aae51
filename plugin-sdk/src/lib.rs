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
//! # A minimal plugin
//!
//! ```no_run
//! use ocm_plugin_sdk::{Plugin, PluginContext};
//! use ocm_plugin_sdk::contracts::{Result, async_trait};
//! use ocm_plugin_sdk::contracts::component_version_repository::v1::*;
//! use ocm_plugin_sdk::types::{Credentials, JsonSchema};
//!
//! struct MyRepo {
//!     versions: Vec<String>,
//! }
//!
//! impl From<&PluginContext> for MyRepo {
//!     fn from(_ctx: &PluginContext) -> Self {
//!         Self { versions: vec!["1.0.0".into()] }
//!     }
//! }
//!
//! #[async_trait]
//! impl Repository for MyRepo {
//!     async fn list_component_versions(
//!         &self,
//!         _request: ListComponentVersionsRequest,
//!         _credentials: &Credentials,
//!     ) -> Result<Vec<String>> {
//!         Ok(self.versions.clone())
//!     }
//!     // Every other operation answers "not supported" (HTTP 501) by default.
//! }
//!
//! fn main() -> std::process::ExitCode {
//!     Plugin::new("my-plugin")
//!         .component_version_repository(
//!             "MyRepo/v1".parse().unwrap(),
//!             JsonSchema::permissive(),
//!             |ctx| Ok(MyRepo::from(ctx)),
//!         )
//!         .run()
//! }
//! ```
//!
//! # Testing a plugin without a process
//!
//! [`Plugin::into_router`] returns the `axum::Router` the plugin would serve, so tests can call
//! it with `tower::ServiceExt::oneshot`, with no socket and no process.

#![warn(missing_docs)]

mod argv;
mod capability;
mod error;
mod idle;
mod listener;
mod log;
mod middleware;
mod request;
mod response;
mod router;
mod serve;
mod shutdown;

use std::{
    collections::HashSet, fmt, io::Write as _, panic::AssertUnwindSafe, process::ExitCode,
    sync::Arc,
};

pub use error::{Error, Result};
pub use ocm_plugin_contracts as contracts;
pub use ocm_plugin_contracts::BoxError;
pub use ocm_plugin_types as types;

use ocm_plugin_contracts::component_version_repository;
use ocm_plugin_endpoints::CapabilitiesBuilder;
use ocm_plugin_types::{CapabilityKind, JsonSchema, PluginConfig, Type};
use serde::de::DeserializeOwned;

use crate::{
    capability::{Built, Registration, component_version_repository::Repositories},
    idle::IdleTracker,
    shutdown::Shutdown,
};

/// What a capability factory receives: the configuration the manager started the plugin with.
#[derive(Debug, Clone, PartialEq)]
pub struct PluginContext {
    /// The parsed `--config`, including the `configTypes` entries for the declared config types.
    pub config: PluginConfig,
}

impl PluginContext {
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
}

impl fmt::Debug for Plugin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Plugin")
            .field("name", &self.name)
            .field("config_types", &self.config_types)
            .field("registrations", &self.registrations)
            .finish()
    }
}

/// What serving needs besides the listener.
pub(crate) struct App {
    router: axum::Router,
    shutdown: Shutdown,
    idle: IdleTracker,
}

impl Plugin {
    /// A plugin with no capabilities yet. `name` appears in logs and usage text.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            config_types: Vec::new(),
            registrations: Vec::new(),
        }
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
        R: component_version_repository::v1::Repository,
        F: FnOnce(&PluginContext) -> Result<R, BoxError> + Send + 'static,
    {
        self.register(
            CapabilityKind::ComponentVersionRepository,
            typ,
            schema,
            Box::new(move |ctx| {
                let repository = factory(ctx)?;
                Ok(Built::ComponentVersionRepository(Arc::new(repository)))
            }),
        )
    }

    fn register(
        mut self,
        kind: CapabilityKind,
        typ: Type,
        schema: JsonSchema,
        factory: capability::Factory,
    ) -> Self {
        self.registrations.push(Registration {
            kind,
            typ,
            schema,
            factory,
        });
        self
    }

    /// The capabilities document (v0.0.1 format, read by every Go manager up to v0.0.10 and by
    /// ours), without a trailing newline.
    pub fn capabilities_json(&self) -> String {
        let mut builder = CapabilitiesBuilder::new();
        for r in &self.registrations {
            builder.add(r.kind.clone(), r.typ.clone(), r.schema.clone());
        }
        self.config_types
            .iter()
            .fold(builder, |b, typ| b.config_type(typ.clone()))
            .to_json()
    }

    /// Builds the HTTP router the plugin serves for `config`, running the factories. Meant for
    /// in-process tests: no socket, no process. `/shutdown` answers but stops nothing here.
    pub fn into_router(self, config: PluginConfig) -> Result<axum::Router> {
        Ok(self.build(config)?.router)
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
            argv::Command::Capabilities => print_stdout(&format!("{}\n", self.capabilities_json())),
            argv::Command::Serve(config) => serve::run_blocking(self, config),
        }
    }

    /// Rejects registrations that would make dispatch ambiguous.
    fn check(&self) -> Result<()> {
        let mut seen = HashSet::new();
        for r in &self.registrations {
            if !seen.insert((&r.kind, &r.typ)) {
                return Err(Error::DuplicateType {
                    kind: r.kind.clone(),
                    typ: r.typ.clone(),
                });
            }
        }
        Ok(())
    }

    /// Runs the factories and assembles the router.
    fn build(self, config: PluginConfig) -> Result<App> {
        self.check()?;
        let ctx = PluginContext { config };
        let mut repositories = Repositories::new("component version repository");
        for r in self.registrations {
            // A panicking factory fails like an erroring one: logged, exit code 1.
            let built = std::panic::catch_unwind(AssertUnwindSafe(|| (r.factory)(&ctx)))
                .unwrap_or_else(|_| Err("the factory panicked".into()))
                .map_err(|source| Error::Factory {
                    kind: r.kind.clone(),
                    typ: r.typ.clone(),
                    source,
                })?;
            match built {
                Built::ComponentVersionRepository(repo) => repositories.insert(r.typ, repo),
            }
        }
        let mut mounts = Vec::new();
        if !repositories.is_empty() {
            mounts.extend(capability::component_version_repository::mounts(
                repositories,
            ));
        }
        let shutdown = Shutdown::new();
        let idle = IdleTracker::new(idle::effective_timeout(ctx.config.idle_timeout));
        let router = router::build(mounts, shutdown.clone(), idle.clone());
        Ok(App {
            router,
            shutdown,
            idle,
        })
    }
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
