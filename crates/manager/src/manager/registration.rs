//! Registration: from a plugin directory to plugins in the registries, in named steps.
//!
//! 1. [`find`]: walk the directory and look each candidate up in the capability cache (on a
//!    blocking thread: both touch the file system).
//! 2. [`PluginManager::reject_taken_ids`]: ids an earlier registration of this manager holds.
//! 3. [`Run::register_cached`]: plugins whose capabilities the cache holds, at once, in
//!    discovery order.
//! 4. [`Run::probe_and_register`], in the background: the others are probed in parallel (with
//!    a bound); each registers in its discovery turn ([`InOrder`]), so which of two plugins
//!    declaring one type wins never depends on timing; one probed ahead of its turn serves
//!    look-ups meanwhile ([`Mode::Provide`]); cache entries are written as they come.
//!
//! Registering one plugin ([`PluginManager::add_plugin`]) is its own sequence: configuration
//! filtering, the declared kinds checked, one supervisor entered into the plugins map, then one
//! registration per kind through the kinds table ([`Registries::of`](super::kinds::Registries::of)).

use std::{
    collections::{BTreeMap, HashMap, VecDeque},
    path::{Path, PathBuf},
    sync::{Arc, atomic::Ordering},
    time::Duration,
};

use futures_util::StreamExt as _;
use ocm_plugin_registries::ExternalPlugin;
use ocm_plugin_runtime::{
    CredentialsForm, Executable, SchemaValidator, Supervisor, probe_executable,
};
use ocm_plugin_types::{
    CapabilityKind, ConnectionType, DeclaredType, PluginCapabilities, PluginConfig, Raw, Type,
};

use super::{Finished, PluginManager};
use crate::cache::{self, Loaded, Looked};
use crate::discovery::{Found, discover};
use crate::report::type_list;
use crate::{
    CREDENTIAL_PLUGIN_WARNING, Candidate, Error, Outcome, RegistrationOptions, RegistrationReport,
    Rejection, Result, TrustState,
};

impl PluginManager {
    /// See [`PluginManager::start_registration`].
    pub(super) async fn begin_registration(
        &self,
        dir: &Path,
        options: RegistrationOptions,
    ) -> Result<Registration> {
        self.refuse_if_shut_down()?;
        let serialised = Arc::clone(&self.inner.registering).lock_owned().await;
        self.refuse_if_shut_down()?;
        let cache_dir = options.cache.dir();
        let Findings {
            mut found,
            looked,
            updates,
        } = find(dir, cache_dir.clone(), &options).await?;
        self.reject_taken_ids(&mut found);
        let connection = match options.connection {
            Some(c) => c,
            None => self.check_unix_sockets()?,
        };
        let mut run = Run {
            manager: self.clone(),
            found,
            connection,
            options,
            cache_dir,
            updates,
            writing: None,
        };
        let to_probe = run.register_cached(looked);
        if !to_probe.is_empty() {
            self.inner.pending.registered();
        }
        let guard = self
            .inner
            .pending
            .begin(probe_deadline(&run.options, to_probe.len()));
        let (finished, done) = Finished::new();
        let task = tokio::spawn(async move {
            let _finished = finished;
            let _serialised = serialised;
            let _guard = guard;
            // A local declared after `_finished`, so that when `shutdown` aborts this task
            // `run` drops first: its drop registers the write of what is not cached yet before
            // `shutdown` sees the task finished and waits for the cache writes.
            let mut run = run;
            run.probe_and_register(to_probe).await;
            run.report()
        });
        self.track(Some(task.abort_handle()), done);
        Ok(Registration { task })
    }

    fn refuse_if_shut_down(&self) -> Result<()> {
        if self.inner.shut_down.load(Ordering::Acquire) {
            Err(Error::ShutDown)
        } else {
            Ok(())
        }
    }

    /// Step 2: a candidate whose id this manager already registered is refused (its socket
    /// path and its entries in the plugins map would collide).
    fn reject_taken_ids(&self, found: &mut [Found]) {
        let plugins = self.lock_plugins();
        for c in found.iter_mut().filter(|c| c.outcome.is_none()) {
            if plugins.contains_key(&c.id) {
                c.outcome = Some(Outcome::Rejected(Rejection::AlreadyRegistered {
                    id: c.id.clone(),
                }));
            }
        }
    }

    /// Registers one plugin whose capabilities are known in every registry they name.
    pub(super) fn add_plugin(
        &self,
        c: &Found,
        capabilities: PluginCapabilities,
        connection: ConnectionType,
        options: &RegistrationOptions,
        cached: bool,
        mode: Mode,
    ) -> Outcome {
        let mut warnings = Vec::new();
        let plan = configuration(c, &capabilities, options, &mut warnings).and_then(|config| {
            let declared = self.declared_kinds(&capabilities, &mut warnings)?;
            Ok((config, declared))
        });
        let (config_types, declared) = match plan {
            Ok(plan) => plan,
            Err(rejection) => return Outcome::Rejected(rejection),
        };
        let supervisor = match self.enter_supervisor(
            c,
            &capabilities,
            &declared,
            config_types,
            connection,
            options,
        ) {
            Ok(supervisor) => supervisor,
            Err(rejection) => return Outcome::Rejected(rejection),
        };

        let mut failures = Vec::new();
        for d in &declared {
            if let Err(why) = self.register_kind(&c.id, &supervisor, d, cached, mode, &mut warnings)
            {
                failures.push(why);
            }
        }
        if failures.len() == declared.len() {
            // Reachable through no registry: only a supervisor provided ahead of its turn may
            // be running, and `settle` stops that one.
            if mode == Mode::Register && supervisor.spawn_count() == 0 {
                self.lock_plugins().remove(&c.id);
            }
            return Outcome::Rejected(match failures.len() {
                1 => failures.remove(0),
                _ => Rejection::EveryCapability(failures),
            });
        }
        warnings.extend(failures.iter().map(ToString::to_string));
        if let TrustState::Unlisted { lock_file } = &c.trust {
            warnings.push(format!(
                "not in the lock file {}; registered because unlisted plugins are allowed",
                lock_file.display()
            ));
        }
        if declared
            .iter()
            .any(|d| *d.kind == CapabilityKind::CredentialPlugin)
        {
            warnings.push(CREDENTIAL_PLUGIN_WARNING.to_owned());
        }
        Outcome::Registered {
            capabilities,
            warnings,
            cached,
            trust: c.trust.clone(),
        }
    }

    /// The kinds a plugin declared that this manager serves, merged per kind; unknown kinds
    /// are warnings, none at all or two that share paths a rejection.
    fn declared_kinds<'a>(
        &self,
        capabilities: &'a PluginCapabilities,
        warnings: &mut Vec<String>,
    ) -> std::result::Result<Vec<Declared<'a>>, Rejection> {
        let (known, unknown): (Vec<_>, Vec<_>) = group(capabilities)
            .into_iter()
            .partition(|d| self.inner.registries.of(d.kind).is_some());
        for d in &unknown {
            warnings.push(format!(
                "capability {} is not supported by this manager",
                d.kind
            ));
        }
        if known.is_empty() {
            return Err(Rejection::NoKnownCapability {
                declared: capabilities
                    .capabilities
                    .iter()
                    .map(|c| c.kind.to_string())
                    .collect(),
            });
        }
        for (i, second) in known.iter().enumerate() {
            for first in &known[..i] {
                let paths = ocm_plugin_endpoints::conflicting_paths(first.kind, second.kind);
                if !paths.is_empty() {
                    return Err(Rejection::ConflictingKinds {
                        first: first.kind.clone(),
                        second: second.kind.clone(),
                        paths,
                    });
                }
            }
        }
        Ok(known)
    }

    /// The plugin's one supervisor (W5: shared by every registry that names it), entered into
    /// the plugins map before any registry can hand it out, under the lock `shutdown` sets its
    /// flag under: a supervisor is either stopped by `shutdown`, or never reachable. A plugin
    /// provided ahead of its turn keeps the supervisor it has (it may be running).
    fn enter_supervisor(
        &self,
        c: &Found,
        capabilities: &PluginCapabilities,
        declared: &[Declared<'_>],
        config_types: Vec<Raw>,
        connection: ConnectionType,
        options: &RegistrationOptions,
    ) -> std::result::Result<Arc<Supervisor>, Rejection> {
        let supervisor = self.supervisor(&c.id).unwrap_or_else(|| {
            let config = PluginConfig {
                id: self.instance_id(&c.id),
                connection,
                // The Go manager's plugin type is one of the declared kinds; any will do.
                plugin_type: declared
                    .first()
                    .map(|d| d.kind.key().to_owned())
                    .unwrap_or_default(),
                idle_timeout: options.idle_timeout,
                config_types,
            };
            let mut sup_config = options.supervisor_config(c.id.clone(), c.path.clone(), config);
            sup_config.env.push((
                "TMPDIR".into(),
                self.inner.temp_path.clone().into_os_string(),
            ));
            // The bytes the trust check verified, if it ran.
            sup_config.executable = c.executable.clone();
            // Flat credentials to plugins of the v0.0.1 format, typed to the others (§10.6).
            sup_config.credentials_form = if capabilities.format.has_current() {
                CredentialsForm::Typed
            } else {
                CredentialsForm::Flat
            };
            Supervisor::new(sup_config)
        });
        let mut plugins = self.lock_plugins();
        if self.inner.shut_down.load(Ordering::Acquire) {
            supervisor.close();
            return Err(Rejection::ShutDown);
        }
        plugins.insert(c.id.clone(), Arc::clone(&supervisor));
        Ok(supervisor)
    }

    /// Registers one kind of a plugin in its registry, with one compiled schema per declared
    /// type and alias (W6).
    fn register_kind(
        &self,
        id: &str,
        supervisor: &Arc<Supervisor>,
        declared: &Declared<'_>,
        cached: bool,
        mode: Mode,
        warnings: &mut Vec<String>,
    ) -> std::result::Result<(), Rejection> {
        let kind = declared.kind;
        let mut schemas: HashMap<Type, Option<SchemaValidator>> = HashMap::new();
        for t in &declared.types {
            // A cached document's schemas compiled when it was probed (only such documents are
            // cached): compiling them waits for the first spec that needs one.
            let validator = if cached {
                schema_bytes(t).map(SchemaValidator::deferred)
            } else {
                compile(kind, t)?
            };
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
            return Err(Rejection::NoTypes { kind: kind.clone() });
        }
        let plugin = ExternalPlugin::new(Arc::clone(supervisor), schemas);
        if mode == Mode::Provide {
            self.inner.pending.provide(kind.key(), &plugin);
            return Ok(());
        }
        let Some(registry) = self.inner.registries.of(kind) else {
            // `declared_kinds` keeps only kinds that have a registry.
            return Err(Rejection::NoKnownCapability {
                declared: vec![kind.to_string()],
            });
        };
        registry
            .register(&plugin, declared, warnings)
            .map_err(|e| Rejection::Registry {
                id: id.to_owned(),
                source: Arc::new(e),
            })
    }

    /// Tells each registry the types a rejected plugin declared, so that looking one up says
    /// which plugin declared it and why it was rejected.
    pub(super) fn note_rejected(&self, id: &str, declared: &PluginCapabilities, why: &Rejection) {
        let why = why.to_string();
        for cap in &declared.capabilities {
            let Some(registry) = self.inner.registries.of(&cap.kind) else {
                continue;
            };
            for t in &cap.types {
                for typ in std::iter::once(&t.typ).chain(&t.aliases) {
                    registry.note_rejected(typ.clone(), id, &why);
                }
            }
        }
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
}

/// What step 1 found.
struct Findings {
    found: Vec<Found>,
    /// Per candidate, what the capability cache holds (`None`: no cache, or not a candidate).
    looked: Vec<Option<Looked>>,
    /// Digests the trust check computed, for the cache.
    updates: Vec<(PathBuf, cache::Entry)>,
}

/// Step 1: the files under `dir`; for each candidate, what the capability cache holds; and,
/// when a lock file applies, the trust check: the binary opened once, hashed (once per change
/// of the file: the cache keeps the digest) and compared with its entry (see [`crate::trust`]).
async fn find(
    dir: &Path,
    cache_dir: Option<PathBuf>,
    options: &RegistrationOptions,
) -> Result<Findings> {
    let walk_dir = dir.to_owned();
    let trust = options.trust.clone();
    let allow_unlisted = options.allow_unlisted;
    tokio::task::spawn_blocking(move || {
        let mut found = discover(&walk_dir)?;
        let lock = trust.load(&walk_dir)?;
        let loaded = cache_dir.as_deref().map(Loaded::read);
        let mut looked = Vec::with_capacity(found.len());
        let mut updates = Vec::new();
        for c in &mut found {
            if c.outcome.is_some() {
                looked.push(None);
                continue;
            }
            let Some(lock) = &lock else {
                looked.push(loaded.as_ref().map(|l| l.look(&c.path, None)));
                continue;
            };
            let executable = match Executable::open(&c.path) {
                Ok(executable) => executable,
                Err(e) => {
                    c.outcome = Some(Outcome::Rejected(Rejection::Unreadable(e.into())));
                    looked.push(None);
                    continue;
                }
            };
            let mut look = loaded.as_ref().map(|l| l.look(&c.path, Some(&executable)));
            let known = look.as_ref().and_then(Looked::digest);
            match lock.check(&c.path, &c.id, executable, known, allow_unlisted) {
                Ok(checked) => {
                    if let (Some(digest), Some(look)) = (&checked.computed, look.as_mut()) {
                        updates.extend(look.record_digest(digest));
                    }
                    c.executable = Some(checked.executable);
                    c.trust = checked.state;
                    looked.push(look);
                }
                Err(rejection) => {
                    tracing::warn!(plugin_id = %c.id, path = %c.path.display(), "plugin rejected: {rejection}");
                    c.outcome = Some(Outcome::Rejected(rejection));
                    looked.push(None);
                }
            }
        }
        Ok::<_, Error>(Findings {
            found,
            looked,
            updates,
        })
    })
    .await
    .map_err(|e| Error::Discovery {
        path: dir.to_owned(),
        source: std::io::Error::other(e),
    })?
}

/// How long look-ups of a type nobody declared wait for the probes: every round of
/// `probe_concurrency` probes at their deadline, and a margin.
fn probe_deadline(options: &RegistrationOptions, probes: usize) -> Duration {
    let limit = options.probe_concurrency.max(1);
    let rounds = u32::try_from(probes.div_ceil(limit)).unwrap_or(u32::MAX);
    (options.capabilities_timeout + Duration::from_secs(1)).saturating_mul(rounds)
        + Duration::from_secs(5)
}

/// One registration in progress: the candidates and what became of them.
struct Run {
    manager: PluginManager,
    found: Vec<Found>,
    connection: ConnectionType,
    options: RegistrationOptions,
    cache_dir: Option<PathBuf>,
    /// Cache entries not written yet.
    updates: Vec<(PathBuf, cache::Entry)>,
    /// The cache write in flight, if any (one at a time).
    writing: Option<CacheWrite>,
}

impl Drop for Run {
    /// A registration stopped halfway (its manager shut down) still caches what it probed.
    fn drop(&mut self) {
        if let Some(dir) = self.cache_dir.take()
            && !self.updates.is_empty()
        {
            let updates = std::mem::take(&mut self.updates);
            drop(self.manager.write_cache(dir, updates));
        }
    }
}

impl Run {
    /// Step 3: registers the candidates the cache answered for, in discovery order, and
    /// returns the others (with what their cache entry needs) to be probed.
    fn register_cached(
        &mut self,
        looked: Vec<Option<Looked>>,
    ) -> Vec<(usize, Option<cache::Pending>)> {
        let mut to_probe = Vec::new();
        for (i, looked) in looked.into_iter().enumerate() {
            if self.found[i].outcome.is_some() {
                continue;
            }
            match looked {
                Some(Looked::Hit {
                    document, refresh, ..
                }) => match PluginCapabilities::parse(document.as_bytes()) {
                    Ok(capabilities) => {
                        self.updates.extend(refresh);
                        self.settle(i, capabilities, true);
                    }
                    Err(_) => to_probe.push((i, None)),
                },
                Some(Looked::Miss { entry }) => to_probe.push((i, entry)),
                None => to_probe.push((i, None)),
            }
        }
        to_probe
    }

    /// Step 4: probes in parallel, registers in discovery order, caches as answers come.
    async fn probe_and_register(&mut self, to_probe: Vec<(usize, Option<cache::Pending>)>) {
        let limit = self.options.probe_concurrency.max(1);
        let timeout = self.options.capabilities_timeout;
        let mut turns = InOrder::new(to_probe.iter().map(|(i, _)| *i));
        let probes: Vec<_> = to_probe
            .into_iter()
            .map(|(i, entry)| {
                let c = &self.found[i];
                let (id, path, executable) = (c.id.clone(), c.path.clone(), c.executable.clone());
                async move {
                    let probed = probe_executable(&id, &path, executable.as_ref(), timeout).await;
                    (i, entry, probed)
                }
            })
            .collect();
        let mut probes = futures_util::stream::iter(probes).buffer_unordered(limit);
        // Probes that answer within `CACHE_BATCH` are cached in one write once the last is
        // done: each write merges and rewrites the whole file on a thread of its own, and one
        // per answer made 50 probes pay for about 20 rewrites. After it, what has answered is
        // written while slower probes go on (one write at a time), so that a host stopped
        // during a hanging probe keeps the rest; `Run`'s drop writes what is left.
        let batch_until = tokio::time::Instant::now() + CACHE_BATCH;
        loop {
            let writable = self.cache_dir.is_some() && !self.updates.is_empty();
            let slot = write_slot(self.writing.as_ref().map(CacheWrite::watch), batch_until);
            let next = tokio::select! {
                next = probes.next() => next,
                () = slot, if writable => {
                    self.start_cache_write();
                    continue;
                }
            };
            let Some((i, entry, probed)) = next else {
                break;
            };
            if let (Some(entry), Ok((capabilities, document))) = (entry, &probed)
                && let Ok(document) = std::str::from_utf8(document)
                && schemas_compile(capabilities)
            {
                self.updates.push(entry.into_entry(document.to_owned()));
            }
            if !turns.is_next(i)
                && let Ok((capabilities, _)) = &probed
            {
                self.provide(i, capabilities.clone());
            }
            for (i, probed) in turns.arrive(i, probed) {
                match probed {
                    Err(e) => self.reject(i, Rejection::Probe(e)),
                    Ok((capabilities, _)) => self.settle(i, capabilities, false),
                }
                self.manager.inner.pending.registered();
            }
        }
        if let Some(writing) = self.writing.take() {
            writing.finish().await;
        }
        if let Some(dir) = self.cache_dir.clone()
            && !self.updates.is_empty()
        {
            let updates = std::mem::take(&mut self.updates);
            self.manager.write_cache(dir, updates).finish().await;
        }
    }

    /// Starts writing the cache entries not written yet, unless a write is in flight.
    fn start_cache_write(&mut self) {
        if let Some(dir) = &self.cache_dir
            && !self.updates.is_empty()
            && self.writing.as_ref().is_none_or(CacheWrite::is_done)
        {
            let updates = std::mem::take(&mut self.updates);
            self.writing = Some(self.manager.write_cache(dir.clone(), updates));
        }
    }

    /// Registers candidate `i` and records (and logs) the outcome.
    fn settle(&mut self, i: usize, capabilities: PluginCapabilities, cached: bool) {
        let declared = capabilities.clone();
        let c = &self.found[i];
        let outcome = self.manager.add_plugin(
            c,
            capabilities,
            self.connection,
            &self.options,
            cached,
            Mode::Register,
        );
        self.manager.inner.pending.withdraw(&c.id);
        match outcome {
            Outcome::Rejected(why) => {
                // Provided ahead of its turn and then rejected (an earlier plugin declared its
                // types): it serves nothing, so it must not keep running.
                if let Some(supervisor) = self.manager.lock_plugins().remove(&c.id) {
                    let (finished, done) = Finished::new();
                    // Waited for by `shutdown`, never aborted: a stop must not stop halfway.
                    tokio::spawn(async move {
                        let _finished = finished;
                        let _ = supervisor.shutdown().await;
                    });
                    self.manager.track(None, done);
                }
                self.manager.note_rejected(&c.id, &declared, &why);
                self.reject(i, why);
            }
            outcome => {
                tracing::info!(plugin_id = %c.id, path = %c.path.display(), cached, "{outcome}");
                self.found[i].outcome = Some(outcome);
            }
        }
    }

    fn reject(&mut self, i: usize, why: Rejection) {
        let c = &mut self.found[i];
        tracing::warn!(plugin_id = %c.id, path = %c.path.display(), "plugin rejected: {why}");
        c.outcome = Some(Outcome::Rejected(why));
    }

    /// Offers candidate `i`, probed before an earlier one, to look-ups meanwhile (the pending
    /// gate of the registries); it is registered for real in its turn.
    fn provide(&self, i: usize, capabilities: PluginCapabilities) {
        let c = &self.found[i];
        let outcome = self.manager.add_plugin(
            c,
            capabilities,
            self.connection,
            &self.options,
            false,
            Mode::Provide,
        );
        tracing::debug!(plugin_id = %c.id, "provided ahead of its turn: {outcome}");
    }

    /// The report, in discovery order.
    fn report(mut self) -> RegistrationReport {
        let candidates = std::mem::take(&mut self.found)
            .into_iter()
            .map(|f| Candidate {
                path: f.path,
                id: f.id,
                // Every candidate got an outcome above; none left means none was cut short.
                outcome: f.outcome.unwrap_or(Outcome::Rejected(Rejection::ShutDown)),
            })
            .collect();
        RegistrationReport { candidates }
    }
}

/// Hands out values in a fixed order of keys, whatever order they arrive in.
#[derive(Debug)]
struct InOrder<T> {
    order: VecDeque<usize>,
    arrived: BTreeMap<usize, T>,
}

impl<T> InOrder<T> {
    fn new(order: impl IntoIterator<Item = usize>) -> Self {
        Self {
            order: order.into_iter().collect(),
            arrived: BTreeMap::new(),
        }
    }

    /// Whether `key` is the one whose turn it is.
    fn is_next(&self, key: usize) -> bool {
        self.order.front() == Some(&key)
    }

    /// Takes the value of `key`; returns every value whose turn has come, in order.
    fn arrive(&mut self, key: usize, value: T) -> Vec<(usize, T)> {
        self.arrived.insert(key, value);
        let mut ready = Vec::new();
        while let Some(next) = self.order.front().copied() {
            let Some(value) = self.arrived.remove(&next) else {
                break;
            };
            self.order.pop_front();
            ready.push((next, value));
        }
        ready
    }
}

/// What [`PluginManager::add_plugin`] does with a plugin's capabilities.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Mode {
    /// Registers them (in discovery order).
    Register,
    /// Only offers them to look-ups until the plugin's turn to register comes.
    Provide,
}

/// One capability kind of a plugin, merged over all its entries of that kind (the v0.0.11+
/// format has one entry per `Register…` call), in declaration order.
pub(super) struct Declared<'a> {
    pub(super) kind: &'a CapabilityKind,
    pub(super) types: Vec<&'a DeclaredType>,
    pub(super) consumer_identity_types: Vec<&'a DeclaredType>,
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

/// Configuration filtering (spec §3.3): the entries of the manager's configuration whose type
/// the plugin declared. A plugin that declares types and is given a configuration without any
/// of them is rejected; one given no configuration at all is registered with a warning.
fn configuration(
    c: &Found,
    capabilities: &PluginCapabilities,
    options: &RegistrationOptions,
    warnings: &mut Vec<String>,
) -> std::result::Result<Vec<Raw>, Rejection> {
    if capabilities.config_types.is_empty() {
        return Ok(Vec::new());
    }
    let Some(entries) = &options.configuration else {
        warnings.push(format!(
            "declares configuration types {} but the manager was given no configuration",
            type_list(&capabilities.config_types)
        ));
        return Ok(Vec::new());
    };
    let matched: Vec<Raw> = entries
        .iter()
        .filter(|e| {
            e.type_()
                .is_some_and(|t| capabilities.config_types.contains(t))
        })
        .cloned()
        .collect();
    if matched.is_empty() {
        return Err(Rejection::NoConfiguration {
            id: c.id.clone(),
            requested: capabilities.config_types.clone(),
        });
    }
    Ok(matched)
}

fn schema_bytes(declared: &DeclaredType) -> Option<&[u8]> {
    declared
        .schema
        .as_ref()
        .map(|s| s.0.as_slice())
        .filter(|s| !s.is_empty())
}

fn compile(
    kind: &CapabilityKind,
    declared: &DeclaredType,
) -> std::result::Result<Option<SchemaValidator>, Rejection> {
    schema_bytes(declared)
        .map(|s| {
            SchemaValidator::compile(s).map_err(|source| Rejection::InvalidSchema {
                kind: kind.clone(),
                typ: declared.typ.clone(),
                source,
            })
        })
        .transpose()
}

/// Whether every schema of a document compiles: only such documents are cached, so that a
/// cached plugin's schemas can be compiled on first use.
fn schemas_compile(capabilities: &PluginCapabilities) -> bool {
    capabilities.capabilities.iter().all(|c| {
        c.types
            .iter()
            .chain(&c.consumer_identity_types)
            .all(|t| compile(&c.kind, t).is_ok())
    })
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

    /// A receiver that sees the write end.
    fn watch(&self) -> tokio::sync::watch::Receiver<bool> {
        self.done.clone()
    }

    async fn finish(mut self) {
        let waited = tokio::time::timeout(CACHE_WRITE_WAIT, self.done.wait_for(|done| *done)).await;
        if waited.is_err() {
            tracing::warn!(path = %self.dir.display(), "capability cache: still waiting for its lock after {CACHE_WRITE_WAIT:?}; going on without");
        }
    }
}

/// Resolves once the cache may be written again: at `from`, and after the write in flight
/// (watched by `writing`) is over.
async fn write_slot(
    writing: Option<tokio::sync::watch::Receiver<bool>>,
    from: tokio::time::Instant,
) {
    tokio::time::sleep_until(from).await;
    if let Some(mut done) = writing {
        // A dropped sender (the thread is gone) counts as over.
        let _ = done.wait_for(|done| *done).await;
    }
}

/// How long after its start a registration caches its probes' answers in one write.
const CACHE_BATCH: Duration = Duration::from_millis(250);

/// How long registration waits for the capability cache to be written.
pub(super) const CACHE_WRITE_WAIT: Duration = Duration::from_secs(5);

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

#[cfg(test)]
mod tests {
    use super::InOrder;

    /// Answers within the batch wait for its end; after it, a write waits for the one in
    /// flight only. On a paused clock, so the hour below passes at once.
    #[tokio::test(start_paused = true)]
    async fn the_cache_is_written_again_after_the_batch_and_the_write_in_flight() {
        use std::time::Duration;
        use tokio::time::timeout;
        let (hour, now) = (Duration::from_secs(3600), tokio::time::Instant::now());
        assert!(
            timeout(hour, super::write_slot(None, now + 2 * hour))
                .await
                .is_err()
        );
        assert!(timeout(hour, super::write_slot(None, now)).await.is_ok());
        let (over, done) = tokio::sync::watch::channel(false);
        let mut slot = std::pin::pin!(super::write_slot(Some(done), now));
        assert!(timeout(hour, &mut slot).await.is_err());
        over.send_replace(true);
        assert!(timeout(hour, slot).await.is_ok());
    }

    #[test]
    fn values_come_out_in_the_order_of_their_keys() {
        let mut turns = InOrder::new([3, 1, 4]);
        assert!(turns.is_next(3));
        assert!(turns.arrive(4, 'd').is_empty());
        assert!(turns.arrive(1, 'a').is_empty());
        assert!(!turns.is_next(1));
        assert_eq!(turns.arrive(3, 'c'), [(3, 'c'), (1, 'a'), (4, 'd')]);
        assert!(!turns.is_next(3));
    }

    #[test]
    fn each_value_is_handed_out_as_soon_as_its_turn_comes() {
        let mut turns = InOrder::new([0, 1, 2]);
        assert_eq!(turns.arrive(0, ()), [(0, ())]);
        assert!(turns.is_next(1));
        assert!(turns.arrive(2, ()).is_empty());
        assert_eq!(turns.arrive(1, ()), [(1, ()), (2, ())]);
    }
}
