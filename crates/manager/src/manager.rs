use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::Duration,
};

use futures_util::future::join_all;
use ocm_plugin_registries::{Blob, Pending, RequestFile};
use ocm_plugin_runtime::Supervisor;
use ocm_plugin_types::{ConnectionType, Location};

use self::kinds::Registries;
pub use self::registration::Registration;
use crate::host_dir::HostDir;
use crate::{Error, PluginHandle, RegistrationOptions, RegistrationReport, Result, registry};

mod kinds;
mod registration;

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
    registries: Registries,
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
        let pending = Pending::new();
        Ok(Self {
            inner: Arc::new(Inner {
                instance: INSTANCES.fetch_add(1, Ordering::Relaxed),
                temp_path: temp.path().to_owned(),
                temp: Mutex::new(Some(temp)),
                plugins: Mutex::new(BTreeMap::new()),
                registries: Registries::new(&pending),
                registering: Arc::new(tokio::sync::Mutex::new(())),
                pending,
                background: Mutex::new(Vec::new()),
                cache_writes: Mutex::new(Vec::new()),
                shut_down: AtomicBool::new(false),
            }),
        })
    }

    /// The registry of component version repositories.
    pub fn component_version_repositories(&self) -> &registry::ComponentVersionRepositories {
        &self.inner.registries.component_version_repositories
    }

    /// The registry of credential repositories (by repository config type and by consumer
    /// identity type).
    pub fn credential_repositories(&self) -> &registry::CredentialRepositories {
        &self.inner.registries.credential_repositories
    }

    /// The registry of input methods (by input type).
    pub fn input_methods(&self) -> &registry::InputMethods {
        &self.inner.registries.inputs
    }

    /// The registry of digest processors (by access type).
    pub fn digest_processors(&self) -> &registry::DigestProcessors {
        &self.inner.registries.digest_processors
    }

    /// The registry of resource repositories (by access type).
    pub fn resource_repositories(&self) -> &registry::ResourceRepositories {
        &self.inner.registries.resource_repositories
    }

    /// The registry of blob transformers (by transformer spec type).
    pub fn blob_transformers(&self) -> &registry::BlobTransformers {
        &self.inner.registries.blob_transformers
    }

    /// The registry of component listers (by repository spec type).
    pub fn component_listers(&self) -> &registry::ComponentListers {
        &self.inner.registries.component_listers
    }

    /// The registry of signing handlers (by signing config type).
    pub fn signing_handlers(&self) -> &registry::SigningHandlers {
        &self.inner.registries.signing_handlers
    }

    /// The registry of credential plugins (by credential spec type).
    pub fn credential_plugins(&self) -> &registry::CredentialPlugins {
        &self.inner.registries.credential_plugins
    }

    /// The blob a plugin answered with. A file or FIFO inside the manager's temp dir (where
    /// every plugin it starts writes, as `TMPDIR`) is handed over to the caller and deleted
    /// when the [`Blob`] is dropped; anything else is only read (see the crate docs).
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

    /// A registered plugin, by display id (file name): its state, its process, and a way to
    /// stop it.
    pub fn plugin(&self, id: &str) -> Option<PluginHandle> {
        self.supervisor(id).map(PluginHandle::new)
    }

    /// All registered plugins, in the order of their ids.
    pub fn plugins(&self) -> Vec<PluginHandle> {
        self.supervisors()
            .into_iter()
            .map(PluginHandle::new)
            .collect()
    }

    fn supervisor(&self, id: &str) -> Option<Arc<Supervisor>> {
        self.lock_plugins().get(id).cloned()
    }

    fn supervisors(&self) -> Vec<Arc<Supervisor>> {
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
    /// answers cached. `ocm-plugin list` and [`Outcome::Registered`](crate::Outcome::Registered) say which came from the
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
    /// earlier one's probe is done, the later one serves look-ups of the type.)
    /// `credential_repositories().for_consumer` does not wait.
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
        self.begin_registration(dir.as_ref(), options).await
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
            let _ = tokio::time::timeout(
                registration::CACHE_WRITE_WAIT,
                written.wait_for(|done| *done),
            )
            .await;
        }
        let plugins = self.supervisors();
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

#[cfg(test)]
mod tests;
