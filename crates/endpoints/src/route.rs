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
    /// Never sent.
    None,
}

/// How a route's parameters travel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Params {
    /// No parameters.
    None,
    /// Query parameters with these names; JSON-valued ones are base64 encoded.
    Query(&'static [&'static str]),
    /// A JSON request body.
    JsonBody,
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
