//! The capability-independent part of a registry: type -> internal implementation or external
//! plugin, with duplicate detection and internal-first lookup.

use std::{collections::HashMap, sync::Arc, sync::RwLock};

use ocm_plugin_types::{Raw, Type};

use crate::{Error, ExternalPlugin, Result};

/// What serves a type.
pub(crate) enum Resolved<T: ?Sized> {
    Internal(Arc<T>),
    External(ExternalPlugin),
}

/// Who serves which type, for one capability.
pub(crate) struct TypeMap<T: ?Sized> {
    capability: &'static str,
    inner: RwLock<Inner<T>>,
}

struct Inner<T: ?Sized> {
    internal: HashMap<Type, Arc<T>>,
    external: HashMap<Type, ExternalPlugin>,
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
        Self {
            capability,
            inner: RwLock::new(Inner {
                internal: HashMap::new(),
                external: HashMap::new(),
            }),
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Inner<T>> {
        // A poisoned lock only means a panic elsewhere while holding it; the maps stay valid.
        self.inner.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Inner<T>> {
        self.inner.write().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn register_internal(&self, typ: Type, implementation: Arc<T>) -> Result<()> {
        let mut inner = self.write();
        if inner.internal.contains_key(&typ) {
            return Err(Error::Duplicate {
                capability: self.capability,
                typ,
                existing: "an internal implementation".into(),
            });
        }
        inner.internal.insert(typ, implementation);
        Ok(())
    }

    /// Registers every type of `plugin`, or none of them if one is taken by another plugin.
    pub(crate) fn register_external(&self, plugin: &ExternalPlugin) -> Result<()> {
        let mut inner = self.write();
        for typ in plugin.types() {
            if let Some(existing) = inner.external.get(typ) {
                return Err(Error::Duplicate {
                    capability: self.capability,
                    typ: typ.clone(),
                    existing: existing.id().to_owned(),
                });
            }
        }
        for typ in plugin.types() {
            if inner.internal.contains_key(typ) {
                tracing::info!(
                    plugin_id = plugin.id(),
                    capability = self.capability,
                    %typ,
                    "an internal implementation serves this type; the plugin is used only if it is removed"
                );
            }
            inner.external.insert(typ.clone(), plugin.clone());
        }
        Ok(())
    }

    /// Internal first, then external. Refuses specs without a type.
    pub(crate) fn resolve(&self, spec: &Raw) -> Result<(Type, Resolved<T>)> {
        let Some(typ) = spec.type_() else {
            return Err(Error::MissingType {
                capability: self.capability,
                spec: spec.to_json(),
            });
        };
        let inner = self.read();
        if let Some(i) = inner.internal.get(typ) {
            return Ok((typ.clone(), Resolved::Internal(Arc::clone(i))));
        }
        if let Some(e) = inner.external.get(typ) {
            return Ok((typ.clone(), Resolved::External(e.clone())));
        }
        Err(Error::NotRegistered {
            capability: self.capability,
            typ: typ.clone(),
        })
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
