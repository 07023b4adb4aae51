//! The registry of capability implementations: what a plugin registered (kind, types, schema,
//! factory), what the factories built, and how both turn into routes.
//!
//! Each capability module turns its built implementations into operation [`Mount`]s. The
//! `/identity` route is shared by every capability: [`Served`] collects one identity entry per
//! registration, in registration order, and the router merges them into one handler that
//! dispatches on the declared type of the body.

pub(crate) mod blob_transformer;
pub(crate) mod component_version_repository;
pub(crate) mod credential_repository;
pub(crate) mod digest_processor;
pub(crate) mod dispatch;
pub(crate) mod identity;
pub(crate) mod input;
pub(crate) mod operation;
pub(crate) mod resource_repository;

use std::{fmt, sync::Arc};

use axum::routing::MethodRouter;
use ocm_plugin_contracts::{
    BoxError, blob_transformer::v1::BlobTransformer, component_version_repository::v1::Repository,
    credential_repository::v1::CredentialRepository, digest_processor::v1::DigestProcessor,
    input::v1::InputMethod, resource_repository::v1::ResourceRepository,
};
use ocm_plugin_endpoints::{self as endpoints, Route};
use ocm_plugin_types::{CapabilityKind, JsonSchema, Type};

use crate::PluginContext;

use self::identity::{Entry, Identified};

/// An implementation a factory produced, by capability.
pub(crate) enum Built {
    /// A component version repository.
    ComponentVersionRepository(Arc<dyn Repository>),
    /// A credential repository.
    CredentialRepository(Arc<dyn CredentialRepository>),
    /// An input method.
    Input(Arc<dyn InputMethod>),
    /// A digest processor.
    DigestProcessor(Arc<dyn DigestProcessor>),
    /// A resource repository.
    ResourceRepository(Arc<dyn ResourceRepository>),
    /// A blob transformer.
    BlobTransformer(Arc<dyn BlobTransformer>),
}

/// Builds an implementation once the configuration is known.
pub(crate) type Factory = Box<dyn FnOnce(&PluginContext) -> Result<Built, BoxError> + Send>;

/// One registration of one capability.
pub(crate) struct Registration {
    pub(crate) kind: CapabilityKind,
    /// The type requests are dispatched by (for a credential repository: the config type).
    pub(crate) typ: Type,
    /// Other names of `typ`, dispatched to the same implementation.
    pub(crate) aliases: Vec<Type>,
    /// The schema of `typ` in the capabilities document.
    pub(crate) schema: JsonSchema,
    /// Credential repositories only: the consumer identity type.
    pub(crate) consumer_identity_type: Option<Type>,
    pub(crate) factory: Factory,
}

impl fmt::Debug for Registration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registration")
            .field("kind", &self.kind)
            .field("typ", &self.typ)
            .field("aliases", &self.aliases)
            .field("consumer_identity_type", &self.consumer_identity_type)
            .finish_non_exhaustive()
    }
}

/// Something to put into the router.
pub(crate) enum Mount {
    /// A route served by exactly one capability.
    Operation(&'static Route, MethodRouter),
    /// An identity route; all entries with the same path share one handler, and the first
    /// entry of a type answers.
    Identity(&'static Route, Entry),
}

/// Each capability's identity route, as `'static` references (the route table's constants are
/// built by a `const fn`, so a plain `&CONST` would be a temporary).
mod identity_route {
    use super::{Route, endpoints};

    pub(super) const COMPONENT_VERSION_REPOSITORY: &Route =
        &endpoints::component_version_repository::GET_IDENTITY;
    pub(super) const CREDENTIAL_REPOSITORY: &Route =
        &endpoints::credential_repository::GET_IDENTITY;
    pub(super) const INPUT: &Route = &endpoints::input::GET_IDENTITY;
    pub(super) const DIGEST_PROCESSOR: &Route = &endpoints::digest_processor::GET_IDENTITY;
    pub(super) const RESOURCE_REPOSITORY: &Route = &endpoints::resource_repository::GET_IDENTITY;
    pub(super) const BLOB_TRANSFORMER: &Route = &endpoints::blob_transformer::GET_IDENTITY;
}

/// Everything the factories built, by capability, and the identity entries in registration
/// order.
pub(crate) struct Served {
    component_version_repositories: component_version_repository::Repositories,
    credential_repositories: credential_repository::CredentialRepositories,
    input_methods: input::InputMethods,
    digest_processors: digest_processor::DigestProcessors,
    resource_repositories: resource_repository::ResourceRepositories,
    blob_transformers: blob_transformer::BlobTransformers,
    identities: Vec<Mount>,
}

impl Served {
    pub(crate) fn new() -> Self {
        Self {
            component_version_repositories: component_version_repository::dispatch(),
            credential_repositories: credential_repository::dispatch(),
            input_methods: input::dispatch(),
            digest_processors: digest_processor::dispatch(),
            resource_repositories: resource_repository::dispatch(),
            blob_transformers: blob_transformer::dispatch(),
            identities: Vec::new(),
        }
    }

    /// Adds what a registration's factory built for `typ` and its `aliases`.
    pub(crate) fn add(&mut self, typ: Type, aliases: &[Type], built: Built) {
        let (kind, route, provider): (_, _, Arc<dyn identity::IdentityProvider>) = match built {
            Built::ComponentVersionRepository(r) => {
                self.component_version_repositories
                    .insert(typ.clone(), Arc::clone(&r));
                for alias in aliases {
                    self.component_version_repositories
                        .alias(alias.clone(), typ.clone());
                }
                (
                    CapabilityKind::ComponentVersionRepository,
                    identity_route::COMPONENT_VERSION_REPOSITORY,
                    Arc::new(Identified(r)),
                )
            }
            Built::CredentialRepository(r) => {
                self.credential_repositories
                    .insert(typ.clone(), Arc::clone(&r));
                for alias in aliases {
                    self.credential_repositories
                        .alias(alias.clone(), typ.clone());
                }
                (
                    CapabilityKind::CredentialRepository,
                    identity_route::CREDENTIAL_REPOSITORY,
                    Arc::new(Identified(r)),
                )
            }
            Built::Input(r) => {
                self.input_methods.insert(typ.clone(), Arc::clone(&r));
                for alias in aliases {
                    self.input_methods.alias(alias.clone(), typ.clone());
                }
                (
                    CapabilityKind::InputRepository,
                    identity_route::INPUT,
                    Arc::new(Identified(r)),
                )
            }
            Built::DigestProcessor(r) => {
                self.digest_processors.insert(typ.clone(), Arc::clone(&r));
                for alias in aliases {
                    self.digest_processors.alias(alias.clone(), typ.clone());
                }
                (
                    CapabilityKind::DigestProcessorRepository,
                    identity_route::DIGEST_PROCESSOR,
                    Arc::new(Identified(r)),
                )
            }
            Built::ResourceRepository(r) => {
                self.resource_repositories
                    .insert(typ.clone(), Arc::clone(&r));
                for alias in aliases {
                    self.resource_repositories.alias(alias.clone(), typ.clone());
                }
                (
                    CapabilityKind::ResourceRepository,
                    identity_route::RESOURCE_REPOSITORY,
                    Arc::new(Identified(r)),
                )
            }
            Built::BlobTransformer(r) => {
                self.blob_transformers.insert(typ.clone(), Arc::clone(&r));
                for alias in aliases {
                    self.blob_transformers.alias(alias.clone(), typ.clone());
                }
                (
                    CapabilityKind::BlobTransformer,
                    identity_route::BLOB_TRANSFORMER,
                    Arc::new(Identified(r)),
                )
            }
        };
        for typ in aliases.iter().cloned().chain([typ]) {
            self.identities.push(Mount::Identity(
                route,
                Entry {
                    kind: kind.clone(),
                    typ,
                    provider: Arc::clone(&provider),
                },
            ));
        }
    }

    /// The mounts of every capability that has an implementation: operation routes first, then
    /// the identity entries in registration order.
    pub(crate) fn into_mounts(self) -> Vec<Mount> {
        let mut mounts = Vec::new();
        if !self.component_version_repositories.is_empty() {
            mounts.extend(component_version_repository::mounts(
                self.component_version_repositories,
            ));
        }
        if !self.credential_repositories.is_empty() {
            mounts.extend(credential_repository::mounts(self.credential_repositories));
        }
        if !self.input_methods.is_empty() {
            mounts.extend(input::mounts(self.input_methods));
        }
        if !self.digest_processors.is_empty() {
            mounts.extend(digest_processor::mounts(self.digest_processors));
        }
        if !self.resource_repositories.is_empty() {
            mounts.extend(resource_repository::mounts(self.resource_repositories));
        }
        if !self.blob_transformers.is_empty() {
            mounts.extend(blob_transformer::mounts(self.blob_transformers));
        }
        mounts.extend(self.identities);
        mounts
    }
}
