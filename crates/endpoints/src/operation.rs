//! One description per operation, read by both sides.
//!
//! An [`Operation`] names its route, its request and response types, which field of the request
//! picks the implementation, and which trait method serves it. A [`Capability`] names its trait
//! object and lists its operations. From these alone the plugin SDK mounts a generic handler per
//! operation, and the registries' remote clients send a generic request per operation; neither
//! side repeats a path, a parameter or a response shape per capability.
//!
//! ```
//! use ocm_plugin_endpoints::{Operation, blob_transformer::TransformBlob};
//!
//! // The route, and the field that picks the implementation.
//! assert_eq!(TransformBlob::ROUTE.path, "/blob/transform");
//! let request: <TransformBlob as Operation>::Request = serde_json::from_str(
//!     r#"{"location":{"type":"localFile","value":"/tmp/b"},"specification":{"type":"Gzip/v1"}}"#,
//! )?;
//! assert_eq!(TransformBlob::spec(&request).and_then(|s| s.type_()).map(|t| t.to_string()).as_deref(), Some("Gzip/v1"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::{future::Future, pin::Pin};

use ocm_plugin_contracts::{
    Result,
    blob_transformer::v1::TransformBlobResponse,
    component_lister::v1::ListComponentsResponse,
    component_version_repository::v1::{GetLocalResourceResponse, GetLocalSourceResponse},
    digest_processor::v1::ProcessResourceDigestResponse,
    identity::{GetIdentityRequest, GetIdentityResponse},
    input::v1::{ProcessResourceResponse, ProcessSourceResponse},
    resource_repository::v1::{AddGlobalResourceResponse, GetGlobalResourceResponse},
    signing_handler::v1::{SignResponse, VerifyResponse},
};
use ocm_plugin_types::{CapabilityKind, Credentials, Descriptor, Identity, Raw, Resource, Source};
use serde::{Serialize, de::DeserializeOwned};
use serde_json::Value;

use crate::Route;

/// A boxed future, as the contract traits' methods return them.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// One operation of one capability.
pub trait Operation: 'static {
    /// The capability's trait object, e.g. `dyn InputMethod`.
    type Handle: ?Sized + Send + Sync + 'static;
    /// What the caller sends (as a JSON body or as query parameters, as [`Self::ROUTE`] says).
    type Request: Serialize + DeserializeOwned + Send + 'static;
    /// What the implementation returns, and how it travels back.
    type Response: Answer;
    /// Path, method, credentials and parameter encoding.
    const ROUTE: &'static Route;
    /// Whether a request must carry a spec: a request without one is refused before anything
    /// is sent, since nothing could validate or route it.
    const SPEC_REQUIRED: bool = true;

    /// The spec in the request that picks the implementation (and is validated against the
    /// plugin's schema for its type).
    fn spec(request: &Self::Request) -> Option<&Raw>;

    /// Puts the spec a client handle is bound to into a request that names none (the component
    /// version repository's reads carry it only as our `repository` query extension).
    fn bind(request: &mut Self::Request, spec: &Raw) {
        let _ = (request, spec);
    }

    /// Checks what a request carries beyond its spec, the same on both sides of the wire: a
    /// client refuses to send what a server would refuse (with 400), and a server refuses it
    /// even from a client that did not check. The message names the offending field.
    fn check(request: &Self::Request) -> std::result::Result<(), String> {
        let _ = request;
        Ok(())
    }

    /// Checks an implementation's answer against the rules managers rely on without checking
    /// them themselves (an access that is not a typed object, a digest without an algorithm):
    /// OCM's Go managers store such an answer as it is, or fail on it far from the plugin.
    /// The message names the offending field.
    fn check_answer(response: &Self::Response) -> std::result::Result<(), String> {
        let _ = response;
        Ok(())
    }

    /// For requests without a spec: a type name that picks the implementation (the credential
    /// plugin's `/resolve` names only an identity, whose `type` is the spec type's name).
    fn type_hint(request: &Self::Request) -> Option<&str> {
        let _ = request;
        None
    }

    /// Calls the implementation.
    fn call<'a>(
        handle: &'a Self::Handle,
        request: Self::Request,
        credentials: &'a Credentials,
    ) -> BoxFuture<'a, Result<Self::Response>>;
}

/// A capability: its trait object, its route table and its operations.
pub trait Capability: 'static {
    /// The capability's trait object.
    type Handle: ?Sized + Send + Sync + 'static;
    /// The wire key.
    const KIND: CapabilityKind;
    /// What it is called in messages, e.g. `input method`.
    const WHAT: &'static str;
    /// What a request carries to pick an implementation, e.g. `repository spec`.
    const SPEC: &'static str;
    /// Every route, in the Go SDK's order.
    const ROUTES: &'static [&'static Route];

    /// Visits every operation, and the capability's `/identity` operation if it has one.
    fn operations<V: Visit<Self::Handle>>(visitor: &mut V);
}

/// What walks a [`Capability`]'s operations.
pub trait Visit<H: ?Sized> {
    /// An ordinary operation.
    fn operation<Op: Operation<Handle = H>>(&mut self);

    /// The `POST /identity` operation, whose path every capability that has one shares.
    fn identity<Op>(&mut self)
    where
        Op: Operation<Handle = H, Request = GetIdentityRequest, Response = GetIdentityResponse>;
}

/// Declares an [`Operation`]: a unit struct and its implementation.
macro_rules! operation {
    (
        $(#[$doc:meta])*
        $name:ident {
            handle: $handle:ty,
            route: $route:path,
            request: $req:ty,
            response: $resp:ty,
            spec: |$r:ident| $spec:expr,
            call: |$h:ident, $q:ident, $c:ident| $call:expr
            $(, bind: |$br:ident, $bs:ident| $bind:expr)?
            $(, check: |$cr:ident| $check:expr)?
            $(, answer: |$ar:ident| $answer:expr)?
            $(,)?
        }
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub struct $name;

        impl $crate::Operation for $name {
            type Handle = $handle;
            type Request = $req;
            type Response = $resp;
            const ROUTE: &'static $crate::Route = &$route;

            fn spec($r: &Self::Request) -> Option<&ocm_plugin_types::Raw> {
                $spec
            }

            $(
                fn bind($br: &mut Self::Request, $bs: &ocm_plugin_types::Raw) {
                    $bind
                }
            )?

            $(
                fn check($cr: &Self::Request) -> std::result::Result<(), String> {
                    $check
                }
            )?

            $(
                fn check_answer($ar: &Self::Response) -> std::result::Result<(), String> {
                    $answer
                }
            )?

            fn call<'a>(
                $h: &'a Self::Handle,
                $q: Self::Request,
                $c: &'a ocm_plugin_types::Credentials,
            ) -> $crate::BoxFuture<'a, ocm_plugin_contracts::Result<Self::Response>> {
                $call
            }
        }
    };
}

pub(crate) use operation;

/// Declares the `GetIdentity` operation of a capability whose trait has `get_identity`: the
/// shared `POST /identity` (the module's `GET_IDENTITY` route), picked by the body's spec.
macro_rules! identity_operation {
    ($handle:ty) => {
        $crate::operation::operation! {
            /// The consumer identity of a spec (the shared `POST /identity`).
            GetIdentity {
                handle: $handle,
                route: GET_IDENTITY,
                request: ocm_plugin_contracts::identity::GetIdentityRequest,
                response: ocm_plugin_contracts::identity::GetIdentityResponse,
                spec: |r| Some(&r.typ),
                call: |h, r, _c| h.get_identity(r),
            }
        }
    };
}

pub(crate) use identity_operation;

/// Why a `200` answer's body is not an operation's response.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AnswerError {
    /// The body is empty.
    #[error("the answer is empty")]
    Empty,
    /// The body is not the expected JSON.
    #[error("the answer cannot be decoded: {0}")]
    Decode(#[source] serde_json::Error),
    /// A field the contract needs is missing or `null` (the Go manager panicked on these, W17).
    #[error("it has no {0} (missing or null)")]
    Missing(&'static str),
    /// Anything else.
    #[error("{0}")]
    Invalid(String),
}

/// How an operation's result travels in a `200` answer, and how it is read back tolerantly.
pub trait Answer: Serialize + Send + Sized + 'static {
    /// `true` when the answer is an empty `200` (results that carry nothing).
    const EMPTY: bool = false;

    /// Reads the body of a `200` answer; only its first JSON value counts, like Go's decoder.
    fn from_body(body: &[u8]) -> std::result::Result<Self, AnswerError>;
}

/// The first JSON value of a body.
fn first_value(body: &[u8]) -> std::result::Result<Value, AnswerError> {
    match serde_json::Deserializer::from_slice(body)
        .into_iter::<Value>()
        .next()
    {
        Some(Ok(v)) => Ok(v),
        Some(Err(e)) => Err(AnswerError::Decode(e)),
        None => Err(AnswerError::Empty),
    }
}

/// The first JSON value of a body, decoded.
fn decode<T: DeserializeOwned>(body: &[u8]) -> std::result::Result<T, AnswerError> {
    match serde_json::Deserializer::from_slice(body)
        .into_iter::<T>()
        .next()
    {
        Some(Ok(v)) => Ok(v),
        Some(Err(e)) => Err(AnswerError::Decode(e)),
        None => Err(AnswerError::Empty),
    }
}

impl Answer for () {
    const EMPTY: bool = true;
    fn from_body(_: &[u8]) -> std::result::Result<Self, AnswerError> {
        Ok(())
    }
}

/// Answers decoded as they are.
macro_rules! plain {
    ($($t:ty),* $(,)?) => {$(
        impl Answer for $t {
            fn from_body(body: &[u8]) -> std::result::Result<Self, AnswerError> {
                decode(body)
            }
        }
    )*};
}

plain!(
    Descriptor,
    GetLocalResourceResponse,
    GetLocalSourceResponse,
    Resource,
    Source,
    SignResponse,
);

/// Answers a Go plugin may send as `null` (a nil list, map or struct pointer): the default.
macro_rules! null_is_default {
    ($($t:ty),* $(,)?) => {$(
        impl Answer for $t {
            fn from_body(body: &[u8]) -> std::result::Result<Self, AnswerError> {
                Ok(decode::<Option<Self>>(body)?.unwrap_or_default())
            }
        }
    )*};
}

null_is_default!(
    Vec<String>,
    Identity,
    GetIdentityResponse,
    VerifyResponse,
    ListComponentsResponse,
);

/// Answers with fields that must be present and not `null`.
macro_rules! required {
    ($($t:ty: [$($field:literal),+]),* $(,)?) => {$(
        impl Answer for $t {
            fn from_body(body: &[u8]) -> std::result::Result<Self, AnswerError> {
                let value = first_value(body)?;
                for field in [$($field),+] {
                    if value.get(field).is_none_or(Value::is_null) {
                        return Err(AnswerError::Missing(field));
                    }
                }
                serde_json::from_value(value).map_err(AnswerError::Decode)
            }
        }
    )*};
}

required!(
    ProcessResourceResponse: ["resource", "location"],
    ProcessSourceResponse: ["source", "location"],
    ProcessResourceDigestResponse: ["resource"],
    GetGlobalResourceResponse: ["location"],
    AddGlobalResourceResponse: ["resource"],
    TransformBlobResponse: ["location"],
);

/// Credentials: a flat string map (v0.0.1 to v0.0.15 plugins) or a typed object (v0.0.16+),
/// kept typed (spec §10.4, §10.6). Non-string values become their JSON text; `null` is none.
impl Answer for Credentials {
    fn from_body(body: &[u8]) -> std::result::Result<Self, AnswerError> {
        let mut object = match first_value(body)? {
            Value::Null => return Ok(Self::new()),
            Value::Object(object) => object,
            other => {
                return Err(AnswerError::Invalid(format!(
                    "expected a credentials object, got {other}"
                )));
            }
        };
        let (typ, entries) = match object.remove("properties") {
            Some(Value::Object(properties)) => {
                let typ = object
                    .get("type")
                    .and_then(Value::as_str)
                    .map(str::to_owned);
                (typ, properties)
            }
            Some(other) => {
                object.insert("properties".into(), other);
                (None, object)
            }
            None => (None, object),
        };
        let properties = entries.into_iter().map(|(k, v)| match v {
            Value::String(s) => (k, s),
            other => (k, other.to_string()),
        });
        Ok(match typ {
            Some(typ) => Self::typed(typ, properties),
            None => properties.collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_read_tolerantly() {
        assert_eq!(
            Vec::<String>::from_body(b"null\n").unwrap(),
            Vec::<String>::new()
        );
        assert_eq!(
            Vec::<String>::from_body(br#"["a"] trailing"#).unwrap(),
            ["a"]
        );
        assert!(matches!(
            Vec::<String>::from_body(b""),
            Err(AnswerError::Empty)
        ));
        assert!(matches!(
            Descriptor::from_body(b"7"),
            Err(AnswerError::Decode(_))
        ));
        let missing = ProcessResourceResponse::from_body(
            br#"{"resource":null,"location":{"type":"localFile","value":"/x"}}"#,
        )
        .unwrap_err();
        assert_eq!(missing.to_string(), "it has no resource (missing or null)");
        assert!(matches!(
            TransformBlobResponse::from_body(b"{}"),
            Err(AnswerError::Missing("location"))
        ));
        assert!(<()>::from_body(b"anything").is_ok());
        assert_eq!(
            GetIdentityResponse::from_body(b"null").unwrap(),
            GetIdentityResponse::default()
        );
    }

    #[test]
    fn credentials_answers_in_both_shapes() {
        let flat = Credentials::from_body(br#"{"username":"u","password":"p"}"#).unwrap();
        assert_eq!(
            (flat["username"].as_str(), flat.credential_type()),
            ("u", None)
        );
        let typed = Credentials::from_body(
            br#"{"type":"Credentials/v1","properties":{"username":"u","port":5}}"#,
        )
        .unwrap();
        assert_eq!(typed.len(), 2);
        assert_eq!(typed["port"], "5");
        assert_eq!(typed.credential_type(), Some("Credentials/v1"));
        // `properties` that is not an object is just a credential.
        let odd = Credentials::from_body(br#"{"properties":"x"}"#).unwrap();
        assert_eq!(odd["properties"], "x");
        assert!(Credentials::from_body(b"null").unwrap().is_empty());
        assert!(Credentials::from_body(br#"["u"]"#).is_err());
    }
}
