use std::{
    collections::{BTreeMap, HashMap},
    path::{Path, PathBuf},
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::Duration,
};

use futures_util::{StreamExt as _, future::join_all};
use ocm_plugin_registries::Pending;
use ocm_plugin_registries::{
    Blob, ExternalPlugin, RequestFile, blob_transformer, component_lister,
    component_version_repository, credential_plugin, credential_repository, digest_processor,
    input, resource_repository, signing_handler,
};
use ocm_plugin_runtime::{
    CredentialsForm, SchemaValidator, Supervisor, SupervisorConfig, probe_capabilities_document,
};
use ocm_plugin_types::{
    CapabilityKind, ConnectionType, DeclaredType, Location, PluginCapabilities, PluginConfig, Raw,
    Type,
};

use crate::cache::{self, Loaded, Looked};
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
    /// One registration at a time (held by its background task until its probes are done).
    registering: Arc<tokio::sync::Mutex<()>>,
    /// Registrations in progress, for look-ups of types not registered yet.
    pending: Pending,
    /// Background registrations, aborted by shutdown.
    background: Mutex<Vec<Background>>,
    /// Capability cache writes in flight (`true` once done): shutdown waits for them.
    cache_writes: Mutex<Vec<tokio::sync::watch::Receiver<bool>>>,
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
        // Schemas of cached plugins are compiled on first use; make that use cheap.
        SchemaValidator::warm_up();
        let pending = Pending::new();
        Ok(Self {
            inner: Arc::new(Inner {
                instance: INSTANCES.fetch_add(1, Ordering::Relaxed),
                temp_path: temp.path().to_owned(),
                temp: Mutex::new(Some(temp)),
                plugins: Mutex::new(BTreeMap::new()),
                component_version_repositories:
                    component_version_repository::Registry::with_pending(pending.clone()),
                credential_repositories: credential_repository::Registry::with_pending(
                    pending.clone(),
                ),
                inputs: input::Registry::with_pending(pending.clone()),
                digest_processors: digest_processor::Registry::with_pending(pending.clone()),
                resource_repositories: resource_repository::Registry::with_pending(pending.clone()),
                blob_transformers: blob_transformer::Registry::with_pending(pending.clone()),
                component_listers: component_lister::Registry::with_pending(pending.clone()),
                signing_handlers: signing_handler::Registry::with_pending(pending.clone()),
                credential_plugins: credential_plugin::Registry::with_pending(pending.clone()),
                registering: Arc::new(tokio::sync::Mutex::new(())),
                pending,
                background: Mutex::new(Vec::new()),
                cache_writes: Mutex::new(Vec::new()),
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

    /// Discovers the plugins under `dir` (recursively; a file works too) and registers what
    /// each declared. Nothing is started.
    ///
    /// A binary whose `capabilities` are in the capability cache
    /// ([`RegistrationOptions::cache`]) and that has not changed since is not run; the others
    /// are probed, at most [`RegistrationOptions::probe_concurrency`] at once, and their
    /// answers cached. `ocm-plugin list` and [`Outcome::Registered`] say which came from the
    /// cache.
    ///
    /// Fails only if `dir` is missing, unreadable or holds no candidates; every per-plugin
    /// problem is reported in the returned report instead.
    pub async fn register_plugins(
        &self,
        dir: impl AsRef<Path>,
        options: RegistrationOptions,
    ) -> Result<RegistrationReport> {
        self.start_registration(dir, options).await?.finish().await
    }

    /// [`register_plugins`](Self::register_plugins) without waiting for the probes: returns
    /// once the plugins found in the capability cache are registered, and probes the others
    /// in the background. [`Registration::finish`] waits for them and gives the report.
    ///
    /// Meanwhile a look-up (`get`) of a type answers as soon as any plugin declaring it has been
    /// probed (or at once for a cached one), so a call to one plugin never waits for another
    /// plugin's probe. A look-up of a type nobody has declared yet waits until a plugin does or
    /// the probes are over (each bounded by [`RegistrationOptions::capabilities_timeout`]), then
    /// fails as usual. Plugins register in discovery order, cached ones first: when two
    /// plugins declare the same type, the one discovered first serves it and the other is
    /// reported as a duplicate, as in Go, whatever order their probes finish in. (Until the
    /// earlier one's probe is done, the later one serves the type; see
    /// [`ocm_plugin_registries::Pending`].) `credential_repositories().for_consumer` does not
    /// wait.
    ///
    /// ```no_run
    /// # use ocm_plugin_manager::{PluginManager, RegistrationOptions, types::Raw};
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// let manager = PluginManager::new()?;
    /// let registration = manager
    ///     .start_registration("/usr/lib/ocm/plugins", RegistrationOptions::default())
    ///     .await?;
    /// let spec = Raw::from_json(r#"{"type":"DirectoryRepository/v1","path":"/srv/ocm"}"#)?;
    /// let repo = manager.component_version_repositories().get(&spec).await?;
    /// // ... use `repo`; later, the full report:
    /// let report = registration.finish().await?;
    /// # Ok(()) }
    /// ```
    pub async fn start_registration(
        &self,
        dir: impl AsRef<Path>,
        options: RegistrationOptions,
    ) -> Result<Registration> {
        if self.inner.shut_down.load(Ordering::Acquire) {
            return Err(Error::ShutDown);
        }
        let dir = dir.as_ref().to_owned();
        let serialised = Arc::clone(&self.inner.registering).lock_owned().await;
        if self.inner.shut_down.load(Ordering::Acquire) {
            return Err(Error::ShutDown);
        }
        let cache_dir = options.cache.dir();
        let (mut candidates, looked) = {
            let (walk_dir, cache_dir) = (dir.clone(), cache_dir.clone());
            tokio::task::spawn_blocking(move || {
                let candidates = discover(&walk_dir)?;
                let loaded = cache_dir.as_deref().map(Loaded::read);
                let looked: Vec<Option<Looked>> = candidates
                    .iter()
                    .map(|c| {
                        let loaded = loaded.as_ref().filter(|_| is_pending(c))?;
                        Some(loaded.look(&c.path))
                    })
                    .collect();
                Ok::<_, Error>((candidates, looked))
            })
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

        // Cached plugins now, in discovery order; the others are probed below.
        let mut updates = Vec::new();
        let mut to_probe = Vec::new();
        for (i, looked) in looked.into_iter().enumerate() {
            if !is_pending(&candidates[i]) {
                continue;
            }
            match looked {
                Some(Looked::Hit { document, refresh }) => {
                    match PluginCapabilities::parse(document.as_bytes()) {
                        Ok(capabilities) => {
                            updates.extend(refresh);
                            self.settle(
                                &mut candidates[i],
                                capabilities,
                                connection,
                                &options,
                                true,
                            );
                        }
                        Err(_) => to_probe.push((i, None)),
                    }
                }
                Some(Looked::Miss { entry }) => to_probe.push((i, entry)),
                None => to_probe.push((i, None)),
            }
        }
        if !to_probe.is_empty() {
            self.inner.pending.registered();
        }

        let limit = options.probe_concurrency.max(1);
        let rounds = u32::try_from(to_probe.len().div_ceil(limit)).unwrap_or(u32::MAX);
        let deadline = (options.capabilities_timeout + Duration::from_secs(1))
            .saturating_mul(rounds)
            + Duration::from_secs(5);
        let guard = self.inner.pending.begin(deadline);
        let manager = self.clone();
        let (finished, done) = Finished::new();
        let task = tokio::spawn(async move {
            let _finished = finished;
            let _serialised = serialised;
            let _guard = guard;
            let timeout = options.capabilities_timeout;
            let probes: Vec<_> = to_probe
                .into_iter()
                .map(|(i, entry)| {
                    let (id, path) = (candidates[i].id.clone(), candidates[i].path.clone());
                    let probe = async move {
                        let probed = probe_capabilities_document(&id, &path, timeout).await;
                        (i, entry, probed)
                    };
                    (i, probe)
                })
                .collect();
            // Probes finish in any order; plugins register in discovery order (so that which of
            // two plugins declaring one type wins does not depend on timing), and their cache
            // entries are written as they come, one write at a time, so that a plugin probed
            // fine is cached even if this host stops before a slow probe ends.
            let mut order: std::collections::VecDeque<usize> =
                probes.iter().map(|(i, _)| *i).collect();
            let mut probes = futures_util::stream::iter(probes.into_iter().map(|(_, probe)| probe))
                .buffer_unordered(limit);
            let mut finished = BTreeMap::new();
            let mut writing: Option<CacheWrite> = None;
            while let Some((i, entry, probed)) = probes.next().await {
                if let (Some(entry), Ok((capabilities, document))) = (entry, &probed)
                    && let Ok(document) = std::str::from_utf8(document)
                    && schemas_compile(capabilities)
                {
                    updates.push(entry.into_entry(document.to_owned()));
                }
                // Ahead of an earlier probe: usable now, registered in its turn.
                if order.front() != Some(&i)
                    && let Ok((capabilities, _)) = &probed
                {
                    manager.provide(&candidates[i], capabilities.clone(), connection, &options);
                }
                finished.insert(i, probed);
                while let Some(next) = order.front().copied() {
                    let Some(probed) = finished.remove(&next) else {
                        break;
                    };
                    order.pop_front();
                    let c = &mut candidates[next];
                    match probed {
                        Err(e) => {
                            c.outcome = Outcome::Rejected(e.to_string());
                            tracing::warn!(plugin_id = %c.id, path = %c.path.display(), "plugin rejected: {e}");
                        }
                        Ok((capabilities, _)) => {
                            manager.settle(c, capabilities, connection, &options, false);
                        }
                    }
                    manager.inner.pending.registered();
                }
                if let Some(dir) = &cache_dir
                    && !updates.is_empty()
                    && writing.as_ref().is_none_or(CacheWrite::is_done)
                {
                    writing = Some(manager.write_cache(dir.clone(), std::mem::take(&mut updates)));
                }
            }
            if let Some(writing) = writing {
                writing.finish().await;
            }
            if let Some(dir) = cache_dir
                && !updates.is_empty()
            {
                manager.write_cache(dir, updates).finish().await;
            }
            RegistrationReport { candidates }
        });
        self.track(Some(task.abort_handle()), done);
        Ok(Registration { task })
    }

    /// Starts writing cache entries; [`shutdown`](Self::shutdown) waits for the write.
    fn write_cache(&self, dir: PathBuf, updates: Vec<(PathBuf, cache::Entry)>) -> CacheWrite {
        let write = CacheWrite::start(dir, updates);
        let mut writes = self
            .inner
            .cache_writes
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        writes.retain(|w| !*w.borrow());
        writes.push(write.done.clone());
        write
    }

    /// Registers a plugin whose capabilities are known and records (and logs) the outcome.
    fn settle(
        &self,
        c: &mut Candidate,
        capabilities: PluginCapabilities,
        connection: ConnectionType,
        options: &RegistrationOptions,
        cached: bool,
    ) {
        let declared = capabilities.clone();
        c.outcome = self.add_plugin(c, capabilities, connection, options, cached, Mode::Register);
        self.inner.pending.withdraw(&c.id);
        match &c.outcome {
            Outcome::Rejected(why) => {
                // Provided ahead of its turn and then rejected (an earlier plugin declared its
                // types): it serves nothing, so it must not keep running.
                let provided = self.lock_plugins().remove(&c.id);
                if let Some(supervisor) = provided {
                    let (finished, done) = Finished::new();
                    // Waited for by `shutdown`, never aborted: a stop must not stop halfway.
                    tokio::spawn(async move {
                        let _finished = finished;
                        let _ = supervisor.shutdown().await;
                    });
                    self.track(None, done);
                }
                self.note_rejected(&c.id, &declared, why);
                tracing::warn!(plugin_id = %c.id, path = %c.path.display(), "plugin rejected: {why}");
            }
            outcome => {
                tracing::info!(plugin_id = %c.id, path = %c.path.display(), cached, "{outcome}");
            }
        }
    }

    /// Offers a plugin whose probe finished before an earlier one's to look-ups meanwhile (see
    /// [`ocm_plugin_registries::Pending`]); it is registered for real in its turn.
    fn provide(
        &self,
        c: &Candidate,
        capabilities: PluginCapabilities,
        connection: ConnectionType,
        options: &RegistrationOptions,
    ) {
        let outcome = self.add_plugin(c, capabilities, connection, options, false, Mode::Provide);
        tracing::debug!(plugin_id = %c.id, "provided ahead of its turn: {outcome}");
    }

    fn lock_background(&self) -> std::sync::MutexGuard<'_, Vec<Background>> {
        let mut background = self
            .inner
            .background
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        background.retain(|task| !*task.done.borrow());
        background
    }

    /// Keeps a background task for [`shutdown`](Self::shutdown) to wait for, and to end first
    /// if it has an `abort` handle; one started after the shutdown began is ended at once.
    fn track(
        &self,
        abort: Option<tokio::task::AbortHandle>,
        done: tokio::sync::watch::Receiver<bool>,
    ) {
        let mut background = self.lock_background();
        if self.inner.shut_down.load(Ordering::Acquire)
            && let Some(abort) = &abort
        {
            abort.abort();
        }
        background.push(Background { abort, done });
    }

    /// Registers one probed plugin in every registry its capabilities name.
    fn add_plugin(
        &self,
        c: &Candidate,
        capabilities: PluginCapabilities,
        connection: ConnectionType,
        options: &RegistrationOptions,
        cached: bool,
        mode: Mode,
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
        // A plugin provided ahead of its turn keeps its supervisor (it may be running).
        let supervisor = self
            .plugin(&c.id)
            .unwrap_or_else(|| Supervisor::new(sup_config));
        {
            // In the map before any registry can hand it out, under the lock `shutdown` sets
            // its flag under: a supervisor is either stopped by `shutdown`, or never reachable.
            let mut plugins = self.lock_plugins();
            if self.inner.shut_down.load(Ordering::Acquire) {
                supervisor.close();
                return Outcome::Rejected("the plugin manager was shut down".to_owned());
            }
            plugins.insert(c.id.clone(), Arc::clone(&supervisor));
        }

        let mut registered = 0;
        let mut failures = Vec::new();
        for d in known {
            match self.register_capability(&c.id, &supervisor, d, cached, mode, &mut warnings) {
                Ok(()) => registered += 1,
                Err(e) => failures.push(e),
            }
        }
        if registered == 0 {
            // Reachable through no registry: only a supervisor provided ahead of its turn may
            // be running, and `settle` stops that one.
            if mode == Mode::Register && supervisor.spawn_count() == 0 {
                self.lock_plugins().remove(&c.id);
            }
            return Outcome::Rejected(failures.join("; "));
        }
        warnings.extend(failures);
        Outcome::Registered {
            capabilities,
            warnings,
            cached,
        }
    }

    /// Registers one capability of a plugin in its registry, with one compiled schema per
    /// declared type (W6). Returns why it could not be registered.
    fn register_capability(
        &self,
        id: &str,
        supervisor: &Arc<Supervisor>,
        declared: &Declared<'_>,
        cached: bool,
        mode: Mode,
        warnings: &mut Vec<String>,
    ) -> std::result::Result<(), String> {
        let kind = declared.kind;
        let mut schemas: HashMap<Type, Option<SchemaValidator>> = HashMap::new();
        for t in &declared.types {
            // A cached document's schemas compiled when it was probed (only such documents are
            // cached): compiling them waits for the first spec that needs one.
            let validator = if cached {
                Ok(schema_bytes(t).map(SchemaValidator::deferred))
            } else {
                compile(t)
            }
            .map_err(|e| format!("{kind}: {e}"))?;
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
        if mode == Mode::Provide {
            inner.pending.provide(kind.key(), &plugin);
            return Ok(());
        }
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
        {
            // Set under the plugins lock: a registration inserting a supervisor either did so
            // before (and it is stopped below) or sees the flag and closes it.
            let _plugins = self.lock_plugins();
            self.inner.shut_down.store(true, Ordering::Release);
        }
        // Probes still running end with their tasks (the probe's child is killed on drop); the
        // tasks are waited for, not only aborted, so nothing of this manager runs afterwards.
        let background: Vec<Background> = self.lock_background().drain(..).collect();
        for abort in background.iter().filter_map(|task| task.abort.as_ref()) {
            abort.abort();
        }
        for mut task in background {
            let _ = tokio::time::timeout(BACKGROUND_WAIT, task.done.wait_for(|done| *done)).await;
        }
        // What was probed is kept: cache writes in flight finish (each bounded).
        let writes: Vec<_> = self
            .inner
            .cache_writes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .drain(..)
            .collect();
        for mut written in writes {
            let _ = tokio::time::timeout(CACHE_WRITE_WAIT, written.wait_for(|done| *done)).await;
        }
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

/// How long [`PluginManager::shutdown`] waits for each aborted background task to end (an
/// aborted task ends at its next await; this only bounds a task stuck in blocking code).
const BACKGROUND_WAIT: Duration = Duration::from_secs(5);

/// A background task of the manager: how to end it (none for a task that stops a plugin: it
/// is waited for, never cut short) and how to see that it ended.
#[derive(Debug)]
struct Background {
    abort: Option<tokio::task::AbortHandle>,
    done: tokio::sync::watch::Receiver<bool>,
}

/// Moved into a background task: says the task ended (finished, failed or aborted) when the
/// task's future is dropped.
struct Finished(tokio::sync::watch::Sender<bool>);

impl Finished {
    fn new() -> (Self, tokio::sync::watch::Receiver<bool>) {
        let (tx, rx) = tokio::sync::watch::channel(false);
        (Self(tx), rx)
    }
}

impl Drop for Finished {
    fn drop(&mut self) {
        self.0.send_replace(true);
    }
}

/// Binds and removes a Unix socket at `path`.
fn bind_probe(path: &Path) -> std::io::Result<()> {
    let listener = std::os::unix::net::UnixListener::bind(path);
    let _ = std::fs::remove_file(path);
    listener.map(drop)
}

/// What [`PluginManager::add_plugin`] does with a plugin's capabilities.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Registers them (in discovery order).
    Register,
    /// Only offers them to look-ups until the plugin's turn to register comes.
    Provide,
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

fn schema_bytes(declared: &DeclaredType) -> Option<&[u8]> {
    declared
        .schema
        .as_ref()
        .map(|s| s.0.as_slice())
        .filter(|s| !s.is_empty())
}

fn compile(declared: &DeclaredType) -> std::result::Result<Option<SchemaValidator>, String> {
    schema_bytes(declared)
        .map(|s| {
            SchemaValidator::compile(s)
                .map_err(|e| format!("invalid JSON schema for type {}: {e}", declared.typ))
        })
        .transpose()
}

/// Whether every schema of a document compiles: only such documents are cached, so that a
/// cached plugin's schemas can be compiled on first use.
fn schemas_compile(capabilities: &PluginCapabilities) -> bool {
    capabilities
        .capabilities
        .iter()
        .flat_map(|c| c.types.iter().chain(&c.consumer_identity_types))
        .all(|t| compile(t).is_ok())
}

/// Cache entries being written on a thread of its own, which logs a failure itself. `done`
/// turns `true` when the write is over; registration and shutdown wait for it at most
/// [`CACHE_WRITE_WAIT`]: a cache that another process holds locked for longer is not worth
/// delaying them for (the entries are written when that process lets go, or next time).
struct CacheWrite {
    dir: PathBuf,
    done: tokio::sync::watch::Receiver<bool>,
}

impl CacheWrite {
    fn start(dir: PathBuf, updates: Vec<(PathBuf, cache::Entry)>) -> Self {
        let (over, done) = tokio::sync::watch::channel(false);
        let thread_dir = dir.clone();
        let spawned = std::thread::Builder::new()
            .name("ocm-plugin-cache".into())
            .spawn(move || {
                if let Err(e) = cache::write(&thread_dir, updates) {
                    tracing::warn!(path = %thread_dir.display(), "capability cache not written: {e}");
                }
                over.send_replace(true);
            });
        if let Err(e) = spawned {
            tracing::warn!(path = %dir.display(), "capability cache not written: {e}");
            return Self {
                dir,
                done: tokio::sync::watch::channel(true).1,
            };
        }
        Self { dir, done }
    }

    fn is_done(&self) -> bool {
        *self.done.borrow()
    }

    async fn finish(mut self) {
        let waited = tokio::time::timeout(CACHE_WRITE_WAIT, self.done.wait_for(|done| *done)).await;
        if waited.is_err() {
            tracing::warn!(path = %self.dir.display(), "capability cache: still waiting for its lock after {CACHE_WRITE_WAIT:?}; going on without");
        }
    }
}

/// How long registration waits for the capability cache to be written.
const CACHE_WRITE_WAIT: Duration = Duration::from_secs(5);

/// A registration whose probes may still be running; see
/// [`PluginManager::start_registration`]. Dropping it lets them finish in the background.
#[derive(Debug)]
pub struct Registration {
    task: tokio::task::JoinHandle<RegistrationReport>,
}

impl Registration {
    /// Waits for every probe and returns the report, in discovery order.
    pub async fn finish(self) -> Result<RegistrationReport> {
        self.task.await.map_err(|e| {
            if e.is_cancelled() {
                Error::ShutDown
            } else {
                Error::Registration(e.to_string())
            }
        })
    }

    /// Whether every probe is done.
    pub fn is_finished(&self) -> bool {
        self.task.is_finished()
    }
}

/// Go's `%s` of a slice of types: `[a/v1 b/v1]`.
fn type_list(types: &[Type]) -> String {
    let names: Vec<String> = types.iter().map(ToString::to_string).collect();
    format!("[{}]", names.join(" "))
}

#[cfg(test)]
mod tests;
