//! The capability-independent part of a registry: type -> internal implementation or external
//! plugin, with duplicate detection and internal-first lookup.

use std::{collections::HashMap, sync::Arc, sync::RwLock};

use ocm_plugin_types::{Raw, Type};

use crate::{Error, ExternalPlugin, Pending, Result};

/// What serves a type.
pub(crate) enum Resolved<T: ?Sized> {
    Internal(Arc<T>),
    External(ExternalPlugin),
}

/// Who serves which type, for one capability.
pub(crate) struct TypeMap<T: ?Sized> {
    capability: &'static str,
    /// What the keys are, for messages: `type`, or `consumer identity type`.
    key: &'static str,
    inner: RwLock<Inner<T>>,
    /// Registrations still running: a look-up of a type nobody serves yet waits for them.
    pending: Pending,
}

struct Inner<T: ?Sized> {
    internal: HashMap<Type, Arc<T>>,
    external: HashMap<Type, ExternalPlugin>,
    /// Types declared by plugins that were rejected: (plugin id, why), for error messages.
    rejected: HashMap<Type, (String, String)>,
}

/// Who serves a type, for listings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Provider {
    /// An in-process implementation.
    Internal,
    /// An external plugin, by display id.
    External(String),
}

impl<T: ?Sized> TypeMap<T> {
    pub(crate) fn new(capability: &'static str) -> Self {
        Self::keyed_by(capability, "type")
    }

    /// A map whose keys are not the spec types of the capability (the credential registry's
    /// consumer identity types).
    pub(crate) fn keyed_by(capability: &'static str, key: &'static str) -> Self {
        Self {
            capability,
            key,
            inner: RwLock::new(Inner {
                internal: HashMap::new(),
                external: HashMap::new(),
                rejected: HashMap::new(),
            }),
            pending: Pending::default(),
        }
    }

    /// The same map, with look-ups that wait for `pending` registrations.
    pub(crate) fn with_pending(mut self, pending: Pending) -> Self {
        self.pending = pending;
        self
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Inner<T>> {
        // A poisoned lock only means a panic elsewhere while holding it; the maps stay valid.
        self.inner.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Inner<T>> {
        self.inner.write().unwrap_or_else(|e| e.into_inner())
    }

    fn duplicate(&self, typ: &Type, existing: String) -> Error {
        Error::Duplicate {
            capability: self.capability,
            key: self.key,
            typ: typ.clone(),
            existing,
        }
    }

    pub(crate) fn not_registered(&self, typ: &Type) -> Error {
        let served = self.list().into_iter().map(|(t, _)| t).collect();
        let rejected = self.read().rejected.get(typ).cloned().map(Box::new);
        Error::NotRegistered {
            capability: self.capability,
            key: self.key,
            typ: typ.clone(),
            served,
            rejected,
        }
    }

    /// Remembers that `plugin_id` declared `typ` but was rejected, and why, so that a look-up
    /// of the type says so.
    pub(crate) fn note_rejected(&self, typ: Type, plugin_id: &str, why: &str) {
        self.write()
            .rejected
            .insert(typ, (plugin_id.to_owned(), why.to_owned()));
    }

    pub(crate) fn register_internal(&self, typ: Type, implementation: Arc<T>) -> Result<()> {
        let mut inner = self.write();
        if inner.internal.contains_key(&typ) {
            return Err(self.duplicate(&typ, "an internal implementation".into()));
        }
        inner.internal.insert(typ, implementation);
        Ok(())
    }

    /// Fails if one of `types` already has an internal implementation.
    pub(crate) fn check_internal(&self, types: &[Type]) -> Result<()> {
        let inner = self.read();
        match types.iter().find(|t| inner.internal.contains_key(*t)) {
            Some(t) => Err(self.duplicate(t, "an internal implementation".into())),
            None => Ok(()),
        }
    }

    /// Registers every type of `plugin`, or none of them if one is taken by another plugin.
    pub(crate) fn register_external(&self, plugin: &ExternalPlugin) -> Result<()> {
        let types: Vec<Type> = plugin.types().cloned().collect();
        // Checked and inserted under one write lock: two registrations of one type at once
        // cannot both pass the check.
        let mut inner = self.write();
        self.check_in(&inner, &types)?;
        self.insert_in(&mut inner, plugin, &types);
        Ok(())
    }

    /// Fails if one of `types` is served by another external plugin. Callers that insert
    /// afterwards serialise the two steps themselves (the credential registry holds its lock).
    pub(crate) fn check_external(&self, types: &[Type]) -> Result<()> {
        self.check_in(&self.read(), types)
    }

    fn check_in(&self, inner: &Inner<T>, types: &[Type]) -> Result<()> {
        for typ in types {
            if let Some(existing) = inner.external.get(typ) {
                return Err(self.duplicate(typ, existing.id().to_owned()));
            }
        }
        Ok(())
    }

    /// Maps `types` to `plugin`, without checking for duplicates.
    pub(crate) fn insert_external(&self, plugin: &ExternalPlugin, types: &[Type]) {
        self.insert_in(&mut self.write(), plugin, types);
    }

    fn insert_in(&self, inner: &mut Inner<T>, plugin: &ExternalPlugin, types: &[Type]) {
        for typ in types {
            if inner.internal.contains_key(typ) {
                tracing::info!(
                    plugin_id = plugin.id(),
                    capability = self.capability,
                    %typ,
                    "an internal implementation serves this {}; the plugin is used only if it is removed",
                    self.key,
                );
            }
            inner.external.insert(typ.clone(), plugin.clone());
        }
    }

    /// Internal first, then external. Refuses specs without a type. A type nobody serves yet is
    /// waited for while a registration is running (see [`Pending`]).
    pub(crate) async fn resolve(&self, spec: &Raw) -> Result<(Type, Resolved<T>)> {
        let Some(typ) = spec.type_() else {
            return Err(Error::MissingType {
                capability: self.capability,
                spec: spec.to_json(),
            });
        };
        let look = || {
            self.lookup(typ).or_else(|| {
                self.pending
                    .provided(self.capability, typ)
                    .map(Resolved::External)
            })
        };
        let found = match look() {
            Some(resolved) => Some(resolved),
            None => self.pending.wait_for(look).await,
        };
        match found {
            Some(resolved) => Ok((typ.clone(), resolved)),
            None => Err(self.not_registered(typ)),
        }
    }

    /// The handle for `spec`: the internal implementation, or `remote(plugin)` for an external
    /// plugin, after `spec` passed the plugin's schema for its type and the plugin was started
    /// (or found running).
    pub(crate) async fn get(
        &self,
        spec: &Raw,
        remote: impl FnOnce(ExternalPlugin) -> Arc<T>,
    ) -> Result<Arc<T>> {
        match self.resolve(spec).await? {
            (_, Resolved::Internal(implementation)) => Ok(implementation),
            (_, Resolved::External(plugin)) => {
                plugin.validate(self.capability, spec)?;
                plugin.supervisor().client().await?;
                Ok(remote(plugin))
            }
        }
    }

    /// Internal first, then external.
    pub(crate) fn lookup(&self, typ: &Type) -> Option<Resolved<T>> {
        let inner = self.read();
        if let Some(i) = inner.internal.get(typ) {
            return Some(Resolved::Internal(Arc::clone(i)));
        }
        inner
            .external
            .get(typ)
            .map(|e| Resolved::External(e.clone()))
    }

    /// Every registered type and who serves it (internal shadowing external), sorted by type.
    pub(crate) fn list(&self) -> Vec<(Type, Provider)> {
        let inner = self.read();
        let mut out: Vec<(Type, Provider)> = inner
            .internal
            .keys()
            .map(|t| (t.clone(), Provider::Internal))
            .chain(
                inner
                    .external
                    .iter()
                    .filter(|(t, _)| !inner.internal.contains_key(*t))
                    .map(|(t, p)| (t.clone(), Provider::External(p.id().to_owned()))),
            )
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }
}
