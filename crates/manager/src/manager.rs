use std::{
    collections::{BTreeMap, HashMap},
    path::{Path, PathBuf},
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
};

use futures_util::future::join_all;
use ocm_plugin_registries::{
    Blob, ExternalPlugin, RequestFile, blob_transformer, component_lister,
    component_version_repository, credential_plugin, credential_repository, digest_processor,
    input, resource_repository, signing_handler,
};
use ocm_plugin_runtime::{
    CredentialsForm, SchemaValidator, Supervisor, SupervisorConfig, probe_capabilities,
};
use ocm_plugin_types::{
    CapabilityKind, ConnectionType, DeclaredType, Location, PluginCapabilities, PluginConfig, Raw,
    Type,
};

use crate::host_dir::HostDir;
use crate::{
    Candidate, Error, Outcome, RegistrationOptions, RegistrationReport, Result,
    discovery::{discover, is_pending},
};

/// Distinguishes managers within one process; with the pid it makes instance ids unique.
static INSTANCES: AtomicU64 = AtomicU64::new(0);

/// Discovers, registers, starts on demand, supervises and stops plugins.
///
/// Cheap to clone; clones share the same plugins and registries.
#[derive(Clone, Debug)]
pub struct PluginManager {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    instance: u64,
    temp_path: PathBuf,
    temp: Mutex<Option<HostDir>>,
    plugins: Mutex<BTreeMap<String, Arc<Supervisor>>>,
    component_version_repositories: component_version_repository::Registry,
    credential_repositories: credential_repository::Registry,
    inputs: input::Registry,
    digest_processors: digest_processor::Registry,
    resource_repositories: resource_repository::Registry,
    blob_transformers: blob_transformer::Registry,
    component_listers: component_lister::Registry,
    signing_handlers: signing_handler::Registry,
    credential_plugins: credential_plugin::Registry,
    registering: tokio::sync::Mutex<()>,
    shut_down: AtomicBool,
}

impl PluginManager {
    /// A manager with no plugins. Creates the manager's private temporary directory, which holds
    /// every temporary file of the manager and of the plugins it starts (they get it as
    /// `TMPDIR`), and which [`shutdown`](Self::shutdown) removes.
    ///
    /// The directory is created in the system temp dir (`TMPDIR`). It is locked while the
    /// manager lives; directories left behind by managers that died (killed, crashed) are
    /// removed here, see [`new_in`](Self::new_in).
    pub fn new() -> Result<Self> {
        Self::new_in(std::env::temp_dir())
    }

    /// [`new`](Self::new), with the manager's directory created in `root`.
    ///
    /// Choose a short `root` when `TMPDIR` is long: plugins put their Unix sockets under it
    /// and a socket path is limited to 107 bytes. Creating a manager first removes the
    /// directories in `root` that dead managers of the same user left behind (their lock is
    /// free), and nothing else.
    ///
    /// ```
    /// # fn main() -> Result<(), ocm_plugin_manager::Error> {
    /// let root = std::env::temp_dir();
    /// let manager = ocm_plugin_manager::PluginManager::new_in(&root)?;
    /// assert!(manager.temp_dir().starts_with(&root));
    /// # Ok(()) }
    /// ```
    pub fn new_in(root: impl AsRef<Path>) -> Result<Self> {
        let temp = HostDir::create_in(root.as_ref())?;
        Ok(Self {
            inner: Arc::new(Inner {
                instance: INSTANCES.fetch_add(1, Ordering::Relaxed),
                temp_path: temp.path().to_owned(),
                temp: Mutex::new(Some(temp)),
                plugins: Mutex::new(BTreeMap::new()),
                component_version_repositories: component_version_repository::Registry::new(),
                credential_repositories: credential_repository::Registry::new(),
                inputs: input::Registry::new(),
                digest_processors: digest_processor::Registry::new(),
                resource_repositories: resource_repository::Registry::new(),
                blob_transformers: blob_transformer::Registry::new(),
                component_listers: component_lister::Registry::new(),
                signing_handlers: signing_handler::Registry::new(),
                credential_plugins: credential_plugin::Registry::new(),
                registering: tokio::sync::Mutex::new(()),
                shut_down: AtomicBool::new(false),
            }),
        })
    }

    /// The registry of component version repositories.
    pub fn component_version_repositories(&self) -> &component_version_repository::Registry {
        &self.inner.component_version_repositories
    }

    /// The registry of credential repositories (by repository config type and by consumer
    /// identity type).
    pub fn credential_repositories(&self) -> &credential_repository::Registry {
        &self.inner.credential_repositories
    }

    /// The registry of input methods (by input type).
    pub fn input_methods(&self) -> &input::Registry {
        &self.inner.inputs
    }

    /// The registry of digest processors (by access type).
    pub fn digest_processors(&self) -> &digest_processor::Registry {
        &self.inner.digest_processors
    }

    /// The registry of resource repositories (by access type).
    pub fn resource_repositories(&self) -> &resource_repository::Registry {
        &self.inner.resource_repositories
    }

    /// The registry of blob transformers (by transformer spec type).
    pub fn blob_transformers(&self) -> &blob_transformer::Registry {
        &self.inner.blob_transformers
    }

    /// The registry of component listers (by repository spec type).
    pub fn component_listers(&self) -> &component_lister::Registry {
        &self.inner.component_listers
    }

    /// The registry of signing handlers (by signing config type).
    pub fn signing_handlers(&self) -> &signing_handler::Registry {
        &self.inner.signing_handlers
    }

    /// The registry of credential plugins (by credential spec type).
    pub fn credential_plugins(&self) -> &credential_plugin::Registry {
        &self.inner.credential_plugins
    }

    /// The blob a plugin answered with. A file or FIFO inside the manager's temp dir (where
    /// every plugin it starts writes, as `TMPDIR`) is handed over to the caller and deleted
    /// when the [`Blob`] is dropped; anything else is only read. See
    /// [`ocm_plugin_registries::blob`].
    pub fn blob(&self, location: &Location) -> Result<Blob> {
        Ok(Blob::from_location(location, Some(&self.inner.temp_path))?)
    }

    /// A blob as a `localFile` for a request (e.g. a blob transformer's input or an upload's
    /// `resourceLocation`). A regular file is passed by its path; a FIFO is streamed into a
    /// file in the manager's temp dir, deleted when the returned value is dropped.
    pub async fn request_file(&self, blob: Blob) -> Result<RequestFile> {
        Ok(blob.into_request_file(&self.inner.temp_path).await?)
    }

    /// `bytes` as a `localFile` for a request, in the manager's temp dir, deleted when the
    /// returned value is dropped.
    pub async fn request_file_from_bytes(&self, bytes: &[u8]) -> Result<RequestFile> {
        Ok(RequestFile::from_bytes(&self.inner.temp_path, bytes).await?)
    }

    /// The supervisor of a registered plugin, by display id (file name).
    pub fn plugin(&self, id: &str) -> Option<Arc<Supervisor>> {
        self.lock_plugins().get(id).cloned()
    }

    /// All registered plugins, by display id.
    pub fn plugins(&self) -> Vec<Arc<Supervisor>> {
        self.lock_plugins().values().cloned().collect()
    }

    /// The manager's temporary directory (removed by [`shutdown`](Self::shutdown)).
    pub fn temp_dir(&self) -> &Path {
        &self.inner.temp_path
    }

    fn lock_plugins(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Arc<Supervisor>>> {
        self.inner.plugins.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Discovers the plugins under `dir` (recursively; a file works too), asks each for its
    /// capabilities concurrently, and registers them. Nothing is started.
    ///
    /// Fails only if `dir` is missing, unreadable or holds no candidates; every per-plugin
    /// problem is reported in the returned report instead.
    pub async fn register_plugins(
        &self,
        dir: impl AsRef<Path>,
        options: RegistrationOptions,
    ) -> Result<RegistrationReport> {
        if self.inner.shut_down.load(Ordering::Acquire) {
            return Err(Error::ShutDown);
        }
        let dir = dir.as_ref().to_owned();
        let _serialised = self.inner.registering.lock().await;
        let mut candidates = {
            let walk_dir = dir.clone();
            tokio::task::spawn_blocking(move || discover(&walk_dir))
                .await
                .map_err(|e| Error::Discovery {
                    path: dir.clone(),
                    source: std::io::Error::other(e),
                })??
        };
        {
            let plugins = self.lock_plugins();
            for c in candidates.iter_mut().filter(|c| is_pending(c)) {
                if plugins.contains_key(&c.id) {
                    c.outcome = Outcome::Rejected(format!(
                        "a plugin with id {:?} is already registered in this manager",
                        c.id
                    ));
                }
            }
        }
        let connection = match options.connection {
            Some(c) => c,
            None => self.check_unix_sockets()?,
        };

        let probes = candidates.iter().filter(|c| is_pending(c)).map(|c| {
            let (id, path) = (c.id.clone(), c.path.clone());
            let timeout = options.capabilities_timeout;
            async move { probe_capabilities(&id, &path, timeout).await }
        });
        let mut results = join_all(probes).await.into_iter();

        for c in candidates.iter_mut().filter(|c| is_pending(c)) {
            let Some(probed) = results.next() else { break };
            c.outcome = match probed {
                Err(e) => Outcome::Rejected(e.to_string()),
                Ok(caps) => {
                    let declared = caps.clone();
                    let outcome = self.add_plugin(c, caps, connection, &options);
                    if let Outcome::Rejected(why) = &outcome {
                        self.note_rejected(&c.id, &declared, why);
                    }
                    outcome
                }
            };
            match &c.outcome {
                Outcome::Rejected(why) => {
                    tracing::warn!(plugin_id = %c.id, path = %c.path.display(), "plugin rejected: {why}");
                }
                _ => tracing::info!(plugin_id = %c.id, path = %c.path.display(), "{}", c.outcome),
            }
        }
        Ok(RegistrationReport { candidates })
    }

    /// Registers one probed plugin in every registry its capabilities name.
    fn add_plugin(
        &self,
        c: &Candidate,
        capabilities: PluginCapabilities,
        connection: ConnectionType,
        options: &RegistrationOptions,
    ) -> Outcome {
        let mut warnings = Vec::new();

        // Configuration filtering (spec §3.3).
        let config_types = match (&options.configuration, capabilities.config_types.is_empty()) {
            (_, true) => Vec::new(),
            (None, false) => {
                warnings.push(format!(
                    "declares configuration types {} but the manager was given no configuration",
                    type_list(&capabilities.config_types)
                ));
                Vec::new()
            }
            (Some(entries), false) => {
                let matched: Vec<Raw> = entries
                    .iter()
                    .filter(|e| {
                        e.type_()
                            .is_some_and(|t| capabilities.config_types.contains(t))
                    })
                    .cloned()
                    .collect();
                if matched.is_empty() {
                    return Outcome::Rejected(format!(
                        "no configuration found for plugin {}; requested configuration types: {}",
                        c.id,
                        type_list(&capabilities.config_types)
                    ));
                }
                matched
            }
        };

        let declared = group(&capabilities);
        for d in declared.iter().filter(|d| !d.is_known()) {
            warnings.push(format!(
                "capability {} is not supported by this manager",
                d.kind
            ));
        }
        let known: Vec<&Declared<'_>> = declared.iter().filter(|d| d.is_known()).collect();
        let Some(first) = known.first() else {
            // W24: a plugin in a format we do not read would otherwise register nothing silently.
            let keys: Vec<String> = capabilities
                .capabilities
                .iter()
                .map(|c| c.kind.to_string())
                .collect();
            return Outcome::Rejected(format!(
                "declares no capability this manager understands (declared: [{}])",
                keys.join(", ")
            ));
        };

        // Kinds that share paths with different bodies cannot come from one server.
        for (i, a) in known.iter().enumerate() {
            for b in &known[..i] {
                let paths = ocm_plugin_endpoints::conflicting_paths(a.kind, b.kind);
                if !paths.is_empty() {
                    return Outcome::Rejected(format!(
                        "declares both {} and {}, which use the same paths ({}) with different request bodies: one plugin binary cannot be both",
                        b.kind,
                        a.kind,
                        paths.join(", ")
                    ));
                }
            }
        }

        // One supervisor per binary, shared by every registry that names it (W5).
        let config = PluginConfig {
            id: self.instance_id(&c.id),
            connection,
            plugin_type: first.kind.key().to_owned(),
            idle_timeout: options.idle_timeout,
            config_types,
        };
        let mut sup_config = SupervisorConfig::new(c.id.clone(), c.path.clone(), config);
        sup_config.env.push((
            "TMPDIR".into(),
            self.inner.temp_path.clone().into_os_string(),
        ));
        sup_config.start_timeout = options.start_timeout;
        sup_config.stop_grace = options.stop_grace;
        sup_config.call_timeout = options.call_timeout;
        sup_config.restart_limit = options.restart_limit;
        sup_config.restart_cooldown = options.restart_cooldown;
        // Flat credentials to plugins of the v0.0.1 format, typed to the others (spec §10.6).
        sup_config.credentials_form = if capabilities.format.has_current() {
            CredentialsForm::Typed
        } else {
            CredentialsForm::Flat
        };
        let supervisor = Supervisor::new(sup_config);

        let mut registered = 0;
        let mut failures = Vec::new();
        for d in known {
            match self.register_capability(&c.id, &supervisor, d, &mut warnings) {
                Ok(()) => registered += 1,
                Err(e) => failures.push(e),
            }
        }
        if registered == 0 {
            return Outcome::Rejected(failures.join("; "));
        }
        warnings.extend(failures);
        self.lock_plugins().insert(c.id.clone(), supervisor);
        Outcome::Registered {
            capabilities,
            warnings,
        }
    }

    /// Registers one capability of a plugin in its registry, with one compiled schema per
    /// declared type (W6). Returns why it could not be registered.
    fn register_capability(
        &self,
        id: &str,
        supervisor: &Arc<Supervisor>,
        declared: &Declared<'_>,
        warnings: &mut Vec<String>,
    ) -> std::result::Result<(), String> {
        let kind = declared.kind;
        let mut schemas: HashMap<Type, Option<SchemaValidator>> = HashMap::new();
        for t in &declared.types {
            let validator = compile(t).map_err(|e| format!("{kind}: {e}"))?;
            if validator.is_none() {
                warnings.push(format!(
                    "type {} has no JSON schema; specs are not validated",
                    t.typ
                ));
            }
            // Aliases (v0.0.11+ documents) find the plugin too, validated by the same schema.
            for alias in &t.aliases {
                schemas.insert(alias.clone(), validator.clone());
            }
            schemas.insert(t.typ.clone(), validator);
        }
        if schemas.is_empty() {
            return Err(format!("declares {kind} without any type"));
        }
        let plugin = ExternalPlugin::new(Arc::clone(supervisor), schemas);
        let inner = &self.inner;
        let result = match kind {
            CapabilityKind::ComponentVersionRepository => inner
                .component_version_repositories
                .register_external(&plugin),
            CapabilityKind::CredentialRepository => {
                let consumers: Vec<Type> = declared
                    .consumer_identity_types
                    .iter()
                    .map(|t| t.typ.clone())
                    .collect();
                if consumers.is_empty() {
                    warnings.push(format!(
                        "{kind} declares no consumer identity types; it is found only by repository config type"
                    ));
                }
                inner
                    .credential_repositories
                    .register_external(&plugin, &consumers)
            }
            CapabilityKind::InputRepository => inner.inputs.register_external(&plugin),
            CapabilityKind::DigestProcessorRepository => {
                inner.digest_processors.register_external(&plugin)
            }
            CapabilityKind::ResourceRepository => {
                inner.resource_repositories.register_external(&plugin)
            }
            CapabilityKind::BlobTransformer => inner.blob_transformers.register_external(&plugin),
            CapabilityKind::ComponentLister => inner.component_listers.register_external(&plugin),
            CapabilityKind::SigningHandler => inner.signing_handlers.register_external(&plugin),
            CapabilityKind::CredentialPlugin => inner.credential_plugins.register_external(&plugin),
            CapabilityKind::Other(_) => {
                return Err(format!(
                    "capability {kind} is not supported by this manager"
                ));
            }
        };
        result.map_err(|e| format!("failed to register plugin {id}: {e}"))
    }

    /// Tells each registry the types a rejected plugin declared, so that looking one up says
    /// which plugin declared it and why it was rejected.
    fn note_rejected(&self, id: &str, declared: &PluginCapabilities, why: &str) {
        let inner = &self.inner;
        for cap in &declared.capabilities {
            for t in &cap.types {
                for typ in std::iter::once(&t.typ).chain(&t.aliases) {
                    let typ = typ.clone();
                    match cap.kind {
                        CapabilityKind::ComponentVersionRepository => inner
                            .component_version_repositories
                            .note_rejected(typ, id, why),
                        CapabilityKind::CredentialRepository => {
                            inner.credential_repositories.note_rejected(typ, id, why);
                        }
                        CapabilityKind::InputRepository => inner.inputs.note_rejected(typ, id, why),
                        CapabilityKind::DigestProcessorRepository => {
                            inner.digest_processors.note_rejected(typ, id, why);
                        }
                        CapabilityKind::ResourceRepository => {
                            inner.resource_repositories.note_rejected(typ, id, why);
                        }
                        CapabilityKind::BlobTransformer => {
                            inner.blob_transformers.note_rejected(typ, id, why);
                        }
                        CapabilityKind::ComponentLister => {
                            inner.component_listers.note_rejected(typ, id, why);
                        }
                        CapabilityKind::SigningHandler => {
                            inner.signing_handlers.note_rejected(typ, id, why);
                        }
                        CapabilityKind::CredentialPlugin => {
                            inner.credential_plugins.note_rejected(typ, id, why);
                        }
                        CapabilityKind::Other(_) => {}
                    }
                }
            }
        }
    }

    /// A per-manager-instance id, so two managers (or two processes) starting the same plugin do
    /// not share a socket (W16). Go plugins derive `/tmp/<id>-plugin.socket` from it, so it is
    /// kept short enough for the 108-byte socket path limit.
    fn instance_id(&self, id: &str) -> String {
        let short: String = id.chars().take(48).collect();
        format!("{short}-{}-{}", std::process::id(), self.inner.instance)
    }

    /// Checks that plugins can listen on Unix domain sockets, where they will put them: our
    /// SDK in the plugins' `TMPDIR` (our temp dir) when the path fits, else in `/tmp`; Go
    /// plugins in `/tmp`. Unlike the Go manager (spec §4.1) this never falls back to TCP: an
    /// error says why and what to do.
    fn check_unix_sockets(&self) -> Result<ConnectionType> {
        let mut tried = Vec::new();
        if ocm_plugin_endpoints::sdk_socket_fits(&self.inner.temp_path) {
            let probe = self.inner.temp_path.join("probe.sock");
            match bind_probe(&probe) {
                Ok(()) => return Ok(ConnectionType::Unix),
                Err(e) => tried.push((probe, e.to_string())),
            }
        } else {
            tried.push((
                self.inner.temp_path.clone(),
                "too long for a socket path; plugins fall back to /tmp".to_owned(),
            ));
        }
        let probe = tempfile::Builder::new()
            .prefix("ocm-plugin-probe-")
            .tempdir_in("/tmp")
            .and_then(|dir| bind_probe(&dir.path().join("probe.sock")));
        match probe {
            Ok(()) => Ok(ConnectionType::Unix),
            Err(e) => {
                tried.push((PathBuf::from("/tmp"), e.to_string()));
                Err(Error::UnixSocketsUnavailable { tried })
            }
        }
    }

    /// Stops every plugin (SIGTERM, grace period, SIGKILL, reap), removes the files Go plugins
    /// leave behind, and removes the manager's temporary directory. Later calls to start a
    /// plugin fail. Every plugin is attempted even if some fail.
    pub async fn shutdown(&self) -> Result<()> {
        self.inner.shut_down.store(true, Ordering::Release);
        let plugins = self.plugins();
        let results = join_all(plugins.iter().map(|p| p.shutdown())).await;
        let errors: Vec<_> = results.into_iter().filter_map(Result::err).collect();
        for p in &plugins {
            // A Go plugin keeps its `.lock` (and, if killed, its socket) under /tmp.
            let id = self.instance_id(p.plugin_id());
            for suffix in ["-plugin.socket", "-plugin.socket.lock"] {
                let _ = std::fs::remove_file(format!("/tmp/{id}{suffix}"));
            }
        }
        let temp = self
            .inner
            .temp
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(temp) = temp {
            temp.close()?;
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(Error::Shutdown(errors))
        }
    }
}

/// Binds and removes a Unix socket at `path`.
fn bind_probe(path: &Path) -> std::io::Result<()> {
    let listener = std::os::unix::net::UnixListener::bind(path);
    let _ = std::fs::remove_file(path);
    listener.map(drop)
}

/// One capability kind of a plugin, merged over all its entries of that kind (the v0.0.11+
/// format has one entry per `Register…` call), in declaration order.
struct Declared<'a> {
    kind: &'a CapabilityKind,
    types: Vec<&'a DeclaredType>,
    consumer_identity_types: Vec<&'a DeclaredType>,
}

impl Declared<'_> {
    fn is_known(&self) -> bool {
        !matches!(self.kind, CapabilityKind::Other(_))
    }
}

fn group(capabilities: &PluginCapabilities) -> Vec<Declared<'_>> {
    let mut out: Vec<Declared<'_>> = Vec::new();
    for cap in &capabilities.capabilities {
        let i = match out.iter().position(|d| *d.kind == cap.kind) {
            Some(i) => i,
            None => {
                out.push(Declared {
                    kind: &cap.kind,
                    types: Vec::new(),
                    consumer_identity_types: Vec::new(),
                });
                out.len() - 1
            }
        };
        let d = &mut out[i];
        for t in &cap.types {
            if !d.types.iter().any(|x| x.typ == t.typ) {
                d.types.push(t);
            }
        }
        for t in &cap.consumer_identity_types {
            if !d.consumer_identity_types.iter().any(|x| x.typ == t.typ) {
                d.consumer_identity_types.push(t);
            }
        }
    }
    out
}

fn compile(declared: &DeclaredType) -> std::result::Result<Option<SchemaValidator>, String> {
    match &declared.schema {
        None => Ok(None),
        Some(s) if s.0.is_empty() => Ok(None),
        Some(s) => SchemaValidator::compile(&s.0)
            .map(Some)
            .map_err(|e| format!("invalid JSON schema for type {}: {e}", declared.typ)),
    }
}

/// Go's `%s` of a slice of types: `[a/v1 b/v1]`.
fn type_list(types: &[Type]) -> String {
    let names: Vec<String> = types.iter().map(ToString::to_string).collect();
    format!("[{}]", names.join(" "))
}

#[cfg(test)]
mod tests;
