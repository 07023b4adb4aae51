use http::Method;

use crate::encode_query;

/// Whether a route carries the `Authorization` header (spec §4.8, §10.4).
///
/// The two credentialed variants differ in what a plugin does when the header is missing or
/// empty, and in what a manager sends when there are no credentials: v0.0.1 managers send `{}`
/// on every credentialed route; v0.0.11+ managers send `{}` on [`Auth::Required`] routes and
/// leave the header out on [`Auth::Optional`] ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    /// A missing header is a 401: the component version repository routes, at every Go
    /// generation.
    Required,
    /// A missing or empty header means no credentials: every other credentialed route, as Go
    /// plugins from v0.0.17 on read it (v0.0.1 managers always send the header, so nothing
    /// changes for them).
    Optional,
    /// Like [`Auth::Optional`] for plugins, but managers of every generation send `{}` when
    /// there are no credentials (the signing handler's `/sign` and `/verify`).
    OptionalAlwaysSent,
    /// Never sent.
    None,
}

/// How a route's parameters travel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Params {
    /// No parameters.
    None,
    /// Query parameters, each named after the request field it carries.
    Query(&'static [Param]),
    /// A JSON request body.
    JsonBody,
}

/// One query parameter of a [`Params::Query`] route, named after the request field it carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Param {
    /// A string, as it is (an absent field reads as the empty string, as Go reads it).
    Text(&'static str),
    /// A JSON value as standard padded base64 of its compact JSON; left out when absent.
    Json(&'static str),
    /// Like [`Param::Json`], but an absent value is sent as base64 of `null`, as the Go manager
    /// sends a nil identity.
    JsonOrNull(&'static str),
}

impl Param {
    /// The parameter's (and the request field's) name.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Text(n) | Self::Json(n) | Self::JsonOrNull(n) => n,
        }
    }
}

/// One endpoint of the protocol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// Operation name in kebab-case, as used on command lines and in errors.
    pub operation: &'static str,
    /// The method managers send. Go SDK plugins accept any method on capability paths.
    pub method: Method,
    /// Exact path, with a leading `/`.
    pub path: &'static str,
    /// Whether credentials are sent.
    pub auth: Auth,
    /// How parameters travel.
    pub params: Params,
}

impl Route {
    /// Path and query for this route. Pairs with an empty value are dropped; the rest are sorted
    /// by key and encoded like Go's `url.Values.Encode`.
    pub fn uri(&self, query: &[(&str, &str)]) -> String {
        let q = encode_query(query.iter().copied().filter(|(_, v)| !v.is_empty()));
        if q.is_empty() {
            self.path.to_owned()
        } else {
            format!("{}?{q}", self.path)
        }
    }
}
