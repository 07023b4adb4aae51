use std::path::Path;
use std::process::ExitStatus;
use std::sync::Arc;

use ocm_plugin_runtime::{Endpoint, State, Supervisor};

/// A registered plugin as a host sees it: its id and binary, its lifecycle [`State`], its
/// process, and a way to stop it. Calls go through the registries, which validate specs and
/// check answers; a handle cannot make raw calls.
///
/// Cheap to clone; every clone, and every registry that names the plugin, share one process.
///
/// ```no_run
/// # use ocm_plugin_manager::{PluginManager, RegistrationOptions, State};
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let manager = PluginManager::new()?;
/// manager.register_plugins("/usr/lib/ocm/plugins", RegistrationOptions::default()).await?;
/// for plugin in manager.plugins() {
///     println!("{} ({}): {:?}, pid {:?}", plugin.id(), plugin.path().display(), plugin.state(), plugin.pid());
/// }
/// if let Some(plugin) = manager.plugin("oci-repository") {
///     plugin.start().await?; // spawn it now rather than on first use
///     assert_eq!(plugin.state(), State::Ready);
///     plugin.stop().await?; // the next use starts it again
/// }
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct PluginHandle {
    supervisor: Arc<Supervisor>,
}

impl std::fmt::Debug for PluginHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.supervisor.fmt(f)
    }
}

/// Two handles are equal when they are the same registered plugin (one supervised process).
impl PartialEq for PluginHandle {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.supervisor, &other.supervisor)
    }
}

impl Eq for PluginHandle {}

impl PluginHandle {
    pub(crate) fn new(supervisor: Arc<Supervisor>) -> Self {
        Self { supervisor }
    }

    /// The plugin id: its file name.
    pub fn id(&self) -> &str {
        self.supervisor.plugin_id()
    }

    /// The plugin binary.
    pub fn path(&self) -> &Path {
        &self.supervisor.config().path
    }

    /// The lifecycle state now.
    pub fn state(&self) -> State {
        self.supervisor.state()
    }

    /// Every state change from now on, to wait for one instead of asking again.
    pub fn watch_state(&self) -> tokio::sync::watch::Receiver<State> {
        self.supervisor.watch_state()
    }

    /// Pid of the running process (also its process group id), if one runs.
    pub fn pid(&self) -> Option<u32> {
        self.supervisor.pid()
    }

    /// How many processes were ever spawned for this plugin (restarts included).
    pub fn spawn_count(&self) -> u64 {
        self.supervisor.spawn_count()
    }

    /// Starts the plugin unless it runs, and says where it listens. Calls start it anyway;
    /// this moves the start (and its failure) to a moment the host chooses.
    pub async fn start(&self) -> Result<Endpoint, ocm_plugin_runtime::Error> {
        Ok(self.supervisor.client().await?.endpoint().clone())
    }

    /// Waits until the running process exits and returns its status, to react to crashes and
    /// idle exits without polling; `None` at once when no process runs.
    pub async fn wait_exit(&self) -> Option<ExitStatus> {
        self.supervisor.wait_exit().await
    }

    /// Stops the running process, if any (SIGTERM to its group, the grace period, SIGKILL;
    /// always reaped). The next use starts it again.
    pub async fn stop(&self) -> Result<(), ocm_plugin_runtime::Error> {
        self.supervisor.stop().await
    }

    /// The supervisor behind the handle, for raw calls that skip the registries' validation
    /// (benchmarks, protocol tests). Only with the `internals` feature.
    #[cfg(feature = "internals")]
    pub fn supervisor(&self) -> &Arc<Supervisor> {
        &self.supervisor
    }
}
