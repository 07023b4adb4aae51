use std::{collections::HashMap, sync::Arc};

use ocm_plugin_contracts::{
    Error as ContractError, Result as ContractResult,
    identity::{GetIdentityRequest, GetIdentityResponse},
};
use ocm_plugin_endpoints::Route;
use ocm_plugin_runtime::{SchemaValidator, Supervisor};
use ocm_plugin_types::{Credentials, Raw, Type};
use serde::de::DeserializeOwned;

use crate::{Error, Result, remote_error::to_contract_error};

/// An external plugin as a registry knows it: the shared supervisor of its process and the
/// compiled schema it declared for each of its types.
#[derive(Clone, Debug)]
pub struct ExternalPlugin {
    supervisor: Arc<Supervisor>,
    schemas: Arc<HashMap<Type, Option<SchemaValidator>>>,
}

impl ExternalPlugin {
    /// `schemas` maps each type the plugin serves for this capability to its compiled schema;
    /// `None` means the plugin declared no schema and specs are not validated.
    pub fn new(
        supervisor: Arc<Supervisor>,
        schemas: HashMap<Type, Option<SchemaValidator>>,
    ) -> Self {
        Self {
            supervisor,
            schemas: Arc::new(schemas),
        }
    }

    /// The process supervisor, shared with every other registry that names this plugin.
    pub fn supervisor(&self) -> &Arc<Supervisor> {
        &self.supervisor
    }

    /// The plugin's display id (its file name).
    pub fn id(&self) -> &str {
        self.supervisor.plugin_id()
    }

    /// The types this plugin serves for the capability.
    pub fn types(&self) -> impl Iterator<Item = &Type> {
        self.schemas.keys()
    }

    /// Validates `spec` against the schema declared for the spec's own type.
    pub(crate) fn validate(&self, capability: &'static str, spec: &Raw) -> Result<()> {
        let Some(typ) = spec.type_() else {
            return Err(Error::MissingType {
                capability,
                spec: spec.to_json(),
            });
        };
        let Some(schema) = self.schemas.get(typ) else {
            return Err(Error::NotRegistered {
                capability,
                key: "type",
                typ: typ.clone(),
            });
        };
        if let Some(schema) = schema {
            schema
                .validate(&spec.to_value())
                .map_err(|message| Error::Validation {
                    capability,
                    typ: typ.clone(),
                    plugin_id: self.id().to_owned(),
                    message,
                })?;
        }
        Ok(())
    }
}

/// The calls every remote client makes, so each capability's client is only its mapping of
/// operations to routes.
impl ExternalPlugin {
    /// Validates `requested` unless it is the spec the handle was created for (validated then).
    pub(crate) fn check(
        &self,
        capability: &'static str,
        bound: Option<&Raw>,
        requested: &Raw,
    ) -> ContractResult<()> {
        if bound == Some(requested) {
            return Ok(());
        }
        self.validate(capability, requested)
            .map_err(to_contract_error)
    }

    /// [`check`](Self::check) for a spec a request may lack (a resource without `access`): a
    /// missing spec is refused, since nothing could route or validate it.
    pub(crate) fn check_present(
        &self,
        capability: &'static str,
        bound: Option<&Raw>,
        requested: Option<&Raw>,
        what: &impl serde::Serialize,
    ) -> ContractResult<()> {
        match requested {
            Some(spec) => self.check(capability, bound, spec),
            None => Err(to_contract_error(Error::MissingType {
                capability,
                spec: serde_json::to_string(what).unwrap_or_default(),
            })),
        }
    }

    /// `POST`s `body` as JSON to `route` and decodes the first JSON value of the answer.
    pub(crate) async fn post<T: DeserializeOwned>(
        &self,
        route: &Route,
        body: &impl serde::Serialize,
        credentials: Option<&Credentials>,
    ) -> ContractResult<T> {
        let body = serde_json::to_vec(body)
            .map_err(|e| ContractError::internal_with("failed to marshal payload", e))?;
        self.supervisor
            .call_json(route, &[], credentials, Some(body))
            .await
            .map_err(|e| to_contract_error(e.into()))
    }

    /// `POST`s `body` as JSON to `route`; the answer's body is ignored.
    pub(crate) async fn post_no_result(
        &self,
        route: &Route,
        body: &impl serde::Serialize,
        credentials: Option<&Credentials>,
    ) -> ContractResult<()> {
        let body = serde_json::to_vec(body)
            .map_err(|e| ContractError::internal_with("failed to marshal payload", e))?;
        self.supervisor
            .call(route, &[], credentials, Some(body))
            .await
            .map(drop)
            .map_err(|e| to_contract_error(e.into()))
    }

    /// `POST /identity` with `{"type": <spec>}` after validating the spec. No credentials are
    /// sent. A Go plugin whose implementation returns nil answers `null`: an empty identity.
    pub(crate) async fn get_identity(
        &self,
        capability: &'static str,
        route: &Route,
        bound: Option<&Raw>,
        request: &GetIdentityRequest,
    ) -> ContractResult<GetIdentityResponse> {
        self.check(capability, bound, &request.typ)?;
        let response: Option<GetIdentityResponse> = self.post(route, request, None).await?;
        Ok(response.unwrap_or_default())
    }

    /// A field of a response that must be present: `null` or absent is
    /// [`Error::InvalidResponse`] (the Go manager panicked, W17).
    pub(crate) fn required<T>(
        &self,
        capability: &'static str,
        route: &Route,
        field: &'static str,
        value: Option<T>,
    ) -> ContractResult<T> {
        value.ok_or_else(|| {
            self.invalid_response(
                capability,
                route,
                format!("it has no {field} (missing or null)"),
            )
        })
    }

    /// [`Error::InvalidResponse`] as a contract error.
    pub(crate) fn invalid_response(
        &self,
        capability: &'static str,
        route: &Route,
        problem: String,
    ) -> ContractError {
        to_contract_error(Error::InvalidResponse {
            capability,
            plugin_id: self.id().to_owned(),
            operation: route.operation,
            problem,
        })
    }
}
