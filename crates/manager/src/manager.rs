use std::{
    collections::{BTreeMap, HashMap},
    path::{Path, PathBuf},
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
};

use futures_util::future::join_all;
use ocm_plugin_registries::component_version_repository;
use ocm_plugin_runtime::{SchemaValidator, Supervisor, SupervisorConfig, probe_capabilities};
use ocm_plugin_types::{
    CapabilityKind, ConnectionType, DeclaredType, PluginCapabilities, PluginConfig, Raw, Type,
};

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
    temp: Mutex<Option<tempfile::TempDir>>,
    plugins: Mutex<BTreeMap<String, Arc<Supervisor>>>,
    component_version_repositories: component_version_repository::Registry,
    registering: tokio::sync::Mutex<()>,
    shut_down: AtomicBool,
}

impl PluginManager {
    /// A manager with no plugins. Creates the manager's private temporary directory, which holds
    /// every temporary file of the manager and of the plugins it starts (they get it as
    /// `TMPDIR`), and which [`shutdown`](Self::shutdown) removes.
    pub fn new() -> Result<Self> {
        let temp = tempfile::Builder::new()
            .prefix("ocm-plugins-")
            .tempdir()
            .map_err(|source| Error::TempDir {
                path: std::env::temp_dir(),
                source,
            })?;
        Ok(Self {
            inner: Arc::new(Inner {
                instance: INSTANCES.fetch_add(1, Ordering::Relaxed),
                temp_path: temp.path().to_owned(),
                temp: Mutex::new(Some(temp)),
                plugins: Mutex::new(BTreeMap::new()),
                component_version_repositories: component_version_repository::Registry::new(),
                registering: tokio::sync::Mutex::new(()),
                shut_down: AtomicBool::new(false),
            }),
        })
    }

    /// The registry of component version repositories.
    pub fn component_version_repositories(&self) -> &component_version_repository::Registry {
        &self.inner.component_version_repositories
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
            None => self.probe_connection_type().await,
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
                Ok(caps) => self.add_plugin(c, caps, connection, &options),
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

        let known: Vec<_> = capabilities
            .capabilities
            .iter()
            .filter(|cap| cap.kind == CapabilityKind::ComponentVersionRepository)
            .collect();
        for cap in &capabilities.capabilities {
            if cap.kind != CapabilityKind::ComponentVersionRepository {
                warnings.push(format!(
                    "capability {} is not supported by this manager yet",
                    cap.kind
                ));
            }
        }
        if known.is_empty() {
            let keys: Vec<String> = capabilities
                .capabilities
                .iter()
                .map(|c| c.kind.to_string())
                .collect();
            return Outcome::Rejected(format!(
                "declares no capability this manager understands (declared: [{}])",
                keys.join(", ")
            ));
        }

        let mut schemas: HashMap<Type, Option<SchemaValidator>> = HashMap::new();
        for cap in &known {
            for declared in &cap.types {
                match compile(declared) {
                    Ok(v) => {
                        if v.is_none() {
                            warnings.push(format!(
                                "type {} has no JSON schema; specs are not validated",
                                declared.typ
                            ));
                        }
                        schemas.insert(declared.typ.clone(), v);
                    }
                    Err(e) => return Outcome::Rejected(e),
                }
            }
        }
        if schemas.is_empty() {
            return Outcome::Rejected(
                "declares a component version repository without any type".into(),
            );
        }

        let config = PluginConfig {
            id: self.instance_id(&c.id),
            connection,
            plugin_type: known[0].kind.key().to_owned(),
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
        let supervisor = Supervisor::new(sup_config);

        if let Err(e) = self
            .inner
            .component_version_repositories
            .register_plugin(Arc::clone(&supervisor), schemas)
        {
            return Outcome::Rejected(format!("failed to register plugin {}: {e}", c.id));
        }
        self.lock_plugins().insert(c.id.clone(), supervisor);
        Outcome::Registered {
            capabilities,
            warnings,
        }
    }

    /// A per-manager-instance id, so two managers (or two processes) starting the same plugin do
    /// not share a socket (W16). Go plugins derive `/tmp/<id>-plugin.socket` from it, so it is
    /// kept short enough for the 108-byte socket path limit.
    fn instance_id(&self, id: &str) -> String {
        let short: String = id.chars().take(48).collect();
        format!("{short}-{}-{}", std::process::id(), self.inner.instance)
    }

    /// `unix` if a Unix domain socket can be bound in our temp dir, else `tcp` (spec §4.1).
    async fn probe_connection_type(&self) -> ConnectionType {
        let probe = self.inner.temp_path.join("probe.sock");
        let result = tokio::net::UnixListener::bind(&probe);
        let _ = std::fs::remove_file(&probe);
        match result {
            Ok(_) => ConnectionType::Unix,
            Err(e) => {
                tracing::warn!(
                    "unix domain sockets unavailable ({e}); plugins will use TCP on loopback"
                );
                ConnectionType::Tcp
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
            let path = temp.path().to_owned();
            temp.close()
                .map_err(|source| Error::TempDir { path, source })?;
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(Error::Shutdown(errors))
        }
    }
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
