//! A request encoded as a manager sends it: by its [`Operation`] when the caller knows it at
//! compile time ([`Encoded::of`]), or by capability kind and route when only a command line
//! names it ([`encode_request`]). Either way the route table says how it travels, and a spec
//! the caller is bound to goes where the operation puts it ([`Operation::bind`]).

use ocm_plugin_contracts::identity::{GetIdentityRequest, GetIdentityResponse};
use ocm_plugin_types::{CapabilityKind, Raw};
use serde_json::Value;

use crate::{
    Capability, Operation, Params, QueryError, Route, Visit, blob_transformer, component_lister,
    component_version_repository, credential_plugin, credential_repository, digest_processor,
    input, request_to_query, resource_repository, signing_handler,
};

/// A request encoded for its route: query pairs for a [`Params::Query`] route, a JSON body for
/// any other.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Encoded {
    /// The query pairs, named after the route's [`Param`](crate::Param)s.
    pub query: Vec<(&'static str, String)>,
    /// The JSON body.
    pub body: Option<Vec<u8>>,
}

impl Encoded {
    /// `request` for operation `Op`, encoded as its route says.
    pub fn of<Op: Operation>(request: &Op::Request) -> Result<Self, RequestError> {
        let route = Op::ROUTE;
        Ok(match route.params {
            Params::Query(_) => Self {
                query: request_to_query(route, request)?,
                body: None,
            },
            Params::JsonBody | Params::None => Self {
                query: Vec::new(),
                body: Some(serde_json::to_vec(request).map_err(RequestError::Body)?),
            },
        })
    }

    /// The query pairs, borrowed, as [`Route::uri`] takes them.
    pub fn query_pairs(&self) -> Vec<(&str, &str)> {
        self.query.iter().map(|(k, v)| (*k, v.as_str())).collect()
    }
}

/// Why a request cannot be sent.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RequestError {
    /// The capability has no operation at this route.
    #[error("{capability} has no operation {operation:?}")]
    UnknownOperation {
        /// The capability's wire key.
        capability: String,
        /// The route's operation name.
        operation: &'static str,
    },
    /// The JSON is not the operation's request.
    #[error("not a {operation} request: {source}")]
    Decode {
        /// The operation.
        operation: &'static str,
        /// Cause.
        source: serde_json::Error,
    },
    /// The request names no spec, the operation needs one, and none could be bound.
    #[error(
        "the {operation} request carries no spec, and the operation does not take the one given"
    )]
    MissingSpec {
        /// The operation.
        operation: &'static str,
    },
    /// The request fails the operation's own check (what a plugin would refuse with 400).
    #[error("invalid {operation} request: {message}")]
    Invalid {
        /// The operation.
        operation: &'static str,
        /// What is wrong, naming the field.
        message: String,
    },
    /// The request cannot be encoded as query parameters.
    #[error(transparent)]
    Query(#[from] QueryError),
    /// The request cannot be encoded as a JSON body.
    #[error("the request cannot be encoded as JSON: {0}")]
    Body(#[source] serde_json::Error),
}

/// `request` for the operation at `route` of capability `kind`, as our manager sends it through
/// a handle looked up with `spec`: decoded as the operation's request, given `spec` where it
/// names none and the operation carries one ([`Operation::bind`]: the component version
/// repository's reads, as the `repository` query parameter), refused if it still lacks a spec
/// the operation needs or fails the operation's check, then encoded ([`Encoded::of`]).
///
/// The spec is not validated against a schema here: that needs the plugin's declaration.
///
/// ```
/// use ocm_plugin_endpoints::{component_version_repository as cvr, encode_request};
/// use ocm_plugin_types::{CapabilityKind, Raw};
///
/// let spec = Raw::from_json(r#"{"type":"DirectoryRepository/v1","path":"/srv/ocm"}"#)?;
/// let request = serde_json::json!({"name": "acme.org/a", "version": "1.0.0"});
/// let encoded = encode_request(
///     &CapabilityKind::ComponentVersionRepository,
///     &cvr::GET_COMPONENT_VERSION,
///     request,
///     Some(&spec),
/// )?;
/// assert!(encoded.query.iter().any(|(k, _)| *k == cvr::REPOSITORY_PARAM));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn encode_request(
    kind: &CapabilityKind,
    route: &Route,
    request: Value,
    spec: Option<&Raw>,
) -> Result<Encoded, RequestError> {
    use CapabilityKind as K;
    let mut encoder = Encoder {
        route,
        request: Some(request),
        spec,
        out: None,
    };
    match kind {
        K::ComponentVersionRepository => {
            component_version_repository::ComponentVersionRepository::operations(&mut encoder);
        }
        K::CredentialRepository => {
            credential_repository::CredentialRepository::operations(&mut encoder);
        }
        K::InputRepository => input::Input::operations(&mut encoder),
        K::DigestProcessorRepository => {
            digest_processor::DigestProcessor::operations(&mut encoder);
        }
        K::ResourceRepository => resource_repository::ResourceRepository::operations(&mut encoder),
        K::BlobTransformer => blob_transformer::BlobTransformer::operations(&mut encoder),
        K::ComponentLister => component_lister::ComponentLister::operations(&mut encoder),
        K::SigningHandler => signing_handler::SigningHandler::operations(&mut encoder),
        K::CredentialPlugin => credential_plugin::CredentialPlugin::operations(&mut encoder),
        K::Other(_) => {}
    }
    encoder.out.unwrap_or_else(|| {
        Err(RequestError::UnknownOperation {
            capability: kind.key().to_owned(),
            operation: route.operation,
        })
    })
}

/// Finds the operation at one route and encodes the request for it.
struct Encoder<'a> {
    route: &'a Route,
    request: Option<Value>,
    spec: Option<&'a Raw>,
    out: Option<Result<Encoded, RequestError>>,
}

impl Encoder<'_> {
    fn visit<Op: Operation>(&mut self) {
        if Op::ROUTE != self.route {
            return;
        }
        if let Some(request) = self.request.take() {
            self.out = Some(encode::<Op>(request, self.spec));
        }
    }
}

impl<H: ?Sized> Visit<H> for Encoder<'_> {
    fn operation<Op: Operation<Handle = H>>(&mut self) {
        self.visit::<Op>();
    }

    fn identity<Op>(&mut self)
    where
        Op: Operation<Handle = H, Request = GetIdentityRequest, Response = GetIdentityResponse>,
    {
        self.visit::<Op>();
    }
}

/// What the manager's remote client does before sending, minus the schema validation.
fn encode<Op: Operation>(request: Value, spec: Option<&Raw>) -> Result<Encoded, RequestError> {
    let operation = Op::ROUTE.operation;
    let mut request: Op::Request = serde_json::from_value(request)
        .map_err(|source| RequestError::Decode { operation, source })?;
    if Op::spec(&request).is_none()
        && let Some(spec) = spec
    {
        Op::bind(&mut request, spec);
    }
    if Op::SPEC_REQUIRED && Op::spec(&request).is_none() {
        return Err(RequestError::MissingSpec { operation });
    }
    Op::check(&request).map_err(|message| RequestError::Invalid { operation, message })?;
    Encoded::of::<Op>(&request)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        component_version_repository as cvr, decode_json_param, input as inp, request_from_query,
    };

    fn spec() -> Raw {
        Raw::from_json(r#"{"type":"DirectoryRepository/v1","path":"/srv/ocm"}"#).unwrap()
    }

    #[test]
    fn component_version_reads_carry_the_spec_as_the_repository_parameter() {
        let spec = spec();
        for (route, request) in [
            (
                &cvr::GET_COMPONENT_VERSION,
                serde_json::json!({"name": "acme.org/a", "version": "1.0.0"}),
            ),
            (
                &cvr::LIST_COMPONENT_VERSIONS,
                serde_json::json!({"name": "acme.org/a"}),
            ),
            (
                &cvr::GET_LOCAL_RESOURCE,
                serde_json::json!({"name": "acme.org/a", "version": "1.0.0", "identity": {"name": "r"}}),
            ),
            (
                &cvr::GET_LOCAL_SOURCE,
                serde_json::json!({"name": "acme.org/a", "version": "1.0.0", "identity": {"name": "s"}}),
            ),
        ] {
            let encoded = encode_request(
                &CapabilityKind::ComponentVersionRepository,
                route,
                request,
                Some(&spec),
            )
            .unwrap();
            assert_eq!(encoded.body, None, "{}", route.operation);
            assert_eq!(
                carried_repository(&encoded),
                Some(spec.to_value()),
                "{}",
                route.operation
            );
            // And the plugin side reads it back from the same route.
            let pairs: Vec<(String, String)> = encoded
                .query
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect();
            let back: Value = request_from_query(route, &pairs).unwrap();
            assert_eq!(back["repository"], spec.to_value(), "{}", route.operation);
        }
    }

    #[test]
    fn a_spec_in_the_request_wins_over_the_bound_one() {
        let other = serde_json::json!({"type": "DirectoryRepository/v1", "path": "/elsewhere"});
        let encoded = encode_request(
            &CapabilityKind::ComponentVersionRepository,
            &cvr::LIST_COMPONENT_VERSIONS,
            serde_json::json!({"name": "acme.org/a", "repository": other}),
            Some(&spec()),
        )
        .unwrap();
        assert_eq!(carried_repository(&encoded), Some(other));
    }

    /// The repository spec an encoded request carries in its query, decoded.
    fn carried_repository(encoded: &Encoded) -> Option<Value> {
        let carried = encoded
            .query
            .iter()
            .find(|(k, _)| *k == cvr::REPOSITORY_PARAM)
            .map(|(_, v)| v.as_str());
        decode_json_param(cvr::REPOSITORY_PARAM, carried).unwrap()
    }

    #[test]
    fn body_routes_are_encoded_as_json_and_refused_without_a_spec() {
        let request = serde_json::json!({
            "repository": spec().to_value(),
            "descriptor": {"meta": {"schemaVersion": "v2"}, "component": {
                "name": "acme.org/a", "version": "1.0.0", "provider": "acme.org",
                "repositoryContexts": [], "resources": [], "sources": [], "componentReferences": []
            }}
        });
        let encoded = encode_request(
            &CapabilityKind::ComponentVersionRepository,
            &cvr::ADD_COMPONENT_VERSION,
            request.clone(),
            None,
        )
        .unwrap();
        assert!(encoded.query.is_empty());
        let body: Value = serde_json::from_slice(&encoded.body.unwrap()).unwrap();
        assert_eq!(body["repository"], request["repository"]);

        // An input method's request has no place for a bound spec: without its own, refused.
        let err = encode_request(
            &CapabilityKind::InputRepository,
            &inp::PROCESS_RESOURCE,
            serde_json::json!({"resource": {"name": "r", "version": "1", "type": "blob"}}),
            Some(&spec()),
        )
        .unwrap_err();
        assert!(matches!(err, RequestError::MissingSpec { .. }), "{err}");
    }

    #[test]
    fn a_route_of_another_capability_is_named() {
        let err = encode_request(
            &CapabilityKind::BlobTransformer,
            &cvr::GET_COMPONENT_VERSION,
            serde_json::json!({}),
            None,
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "blobTransformer has no operation \"get-component-version\""
        );
    }
}
