use std::{collections::HashMap, sync::Arc};

use ocm_plugin_contracts::{Error as ContractError, Result as ContractResult};
use ocm_plugin_endpoints::{Answer, AnswerError, Encoded, Operation, RequestError};
use ocm_plugin_runtime::{Error as RuntimeError, SchemaValidator, Supervisor};
use ocm_plugin_types::{Credentials, Raw, Type};

use crate::{
    Error, Result,
    remote_error::{call_error, to_contract_error},
};

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
            let mut served: Vec<Type> = self.schemas.keys().cloned().collect();
            served.sort_by_key(ToString::to_string);
            return Err(Error::NotRegistered {
                capability,
                key: "type",
                typ: typ.clone(),
                served,
                rejected: None,
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

/// The one call every remote client makes, for any operation.
impl ExternalPlugin {
    /// Sends `request` for operation `Op` and reads the answer as `Op` says, after validating
    /// the request's spec against the schema the plugin declared for its type (a request
    /// without a spec gets `bound`, the spec the handle was looked up with, where the operation
    /// allows it; one that still has none is refused, since nothing could route or validate
    /// it). The bound spec itself was validated when the handle was made.
    pub(crate) async fn call<Op: Operation>(
        &self,
        capability: &'static str,
        bound: Option<&Raw>,
        mut request: Op::Request,
        credentials: &Credentials,
    ) -> ContractResult<Op::Response> {
        if Op::spec(&request).is_none()
            && let Some(bound) = bound
        {
            Op::bind(&mut request, bound);
        }
        match Op::spec(&request) {
            Some(spec) if bound != Some(spec) => {
                self.validate(capability, spec).map_err(to_contract_error)?
            }
            Some(_) => {}
            None if Op::SPEC_REQUIRED => {
                return Err(to_contract_error(Error::MissingType {
                    capability,
                    spec: serde_json::to_string(&request).unwrap_or_default(),
                }));
            }
            None => {}
        }
        Op::check(&request).map_err(ContractError::InvalidArgument)?;
        let route = Op::ROUTE;
        let mut encoded = Encoded::of::<Op>(&request).map_err(|e| match e {
            RequestError::Body(e) => ContractError::internal_with("failed to marshal payload", e),
            e => ContractError::internal_with("failed to encode the request", e),
        })?;
        let body = encoded.body.take();
        let sent = self
            .supervisor
            .call(route, &encoded.query_pairs(), Some(credentials), body)
            .await;
        let body = sent.map_err(|e| call_error(e.into(), route.operation))?;
        Op::Response::from_body(&body).map_err(|e| {
            let (plugin_id, operation) = (self.id().to_owned(), route.operation);
            to_contract_error(match e {
                AnswerError::Empty => RuntimeError::EmptyBody {
                    plugin_id,
                    operation: operation.to_owned(),
                }
                .into(),
                AnswerError::Decode(cause) => RuntimeError::Decode {
                    plugin_id,
                    operation: operation.to_owned(),
                    cause: std::sync::Arc::new(cause),
                }
                .into(),
                other => Error::InvalidResponse {
                    capability,
                    plugin_id,
                    operation,
                    problem: other.to_string(),
                },
            })
        })
    }
}
