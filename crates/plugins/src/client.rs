//! The pooled HTTP/1.1 client to one plugin, and the connector that dials its socket or port.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use bytes::Bytes;
use http::header::{ACCEPT, CONTENT_TYPE, HOST, HeaderValue};
use http::{Request, StatusCode, Uri};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::{Connected, Connection};
use hyper_util::rt::{TokioExecutor, TokioIo};
use ocm_plugin_endpoints::{AUTHORIZATION, LAUNCH_TOKEN_HEADER, Route, builtin};
use ocm_plugin_types::Credentials;
use serde::de::DeserializeOwned;
use tokio::net::{TcpStream, UnixStream};

use crate::error::render_chain;
use crate::{Endpoint, Error, Result};

const APPLICATION_JSON: HeaderValue = HeaderValue::from_static("application/json");

/// Pooled HTTP/1.1 client to one plugin process.
///
/// Requests follow the Go manager's conventions (spec §4.7, §4.8) so that Go-SDK plugins accept
/// them, and connections are kept alive and reused: a new connection per call costs more than
/// the call itself. Cloning is cheap and clones share the pool.
#[derive(Clone)]
pub struct PluginClient {
    inner: Arc<ClientInner>,
}

struct ClientInner {
    plugin_id: String,
    /// Send typed credentials (v0.0.11+ plugins) rather than the flat map; cleared for good
    /// when a plugin refused typed credentials and accepted the flat map (v0.0.11 to v0.0.15).
    typed_credentials: AtomicBool,
    endpoint: Endpoint,
    /// `http://unix` for sockets (so `Host: unix`, as Go sends), `http://host:port` for TCP.
    base: String,
    /// The `Host` header, written first like Go does.
    host: HeaderValue,
    /// The per-launch secret of a TCP plugin started by us (marked sensitive: never logged).
    launch_token: Option<HeaderValue>,
    http: Client<Connector, Full<Bytes>>,
}

impl std::fmt::Debug for PluginClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PluginClient")
            .field("plugin_id", &self.inner.plugin_id)
            .field("endpoint", &self.inner.endpoint)
            .finish_non_exhaustive()
    }
}

/// How long an idle pooled connection is kept: shorter than the SDK's 10 s idle close.
const POOL_IDLE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// How credentials travel in the `Authorization` header to one plugin (spec §10.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CredentialsForm {
    /// A flat string map: what plugins of the v0.0.1 capabilities format read.
    #[default]
    Flat,
    /// Typed credentials (`{"type":"Credentials/v1","properties":{…}}`): what plugins of the
    /// v0.0.11+ format read from v0.0.16 on. A plugin that answers 401 with one of the Go
    /// messages for an unreadable header (`incorrect authentication header format`, `failed to
    /// marshal credentials`) gets the same request once more with the flat map (v0.0.11 to
    /// v0.0.15 plugins), and the flat map from then on.
    Typed,
}

/// Bodies of the 401 answers with which Go plugins refuse an `Authorization` value they cannot
/// decode.
const UNREADABLE_CREDENTIALS: [&str; 2] = [
    "incorrect authentication header format",
    "failed to marshal credentials",
];

impl PluginClient {
    /// A client for the plugin listening at `endpoint`, sending flat credentials. No
    /// connection is made until the first call.
    pub fn new(plugin_id: impl Into<String>, endpoint: Endpoint) -> Self {
        Self::with_credentials_form(plugin_id, endpoint, CredentialsForm::Flat)
    }

    /// [`new`](Self::new), sending credentials in `form`.
    pub fn with_credentials_form(
        plugin_id: impl Into<String>,
        endpoint: Endpoint,
        form: CredentialsForm,
    ) -> Self {
        Self::build(plugin_id.into(), endpoint, form, None)
    }

    /// A client that also sends `token` in the launch-token header on every request: what a
    /// plugin that our supervisor started on TCP requires.
    pub(crate) fn with_launch_token(
        plugin_id: &str,
        endpoint: Endpoint,
        form: CredentialsForm,
        token: Option<&str>,
    ) -> Self {
        let token = token
            .and_then(|t| HeaderValue::from_str(t).ok())
            .map(|mut v| {
                v.set_sensitive(true);
                v
            });
        Self::build(plugin_id.to_owned(), endpoint, form, token)
    }

    fn build(
        plugin_id: String,
        endpoint: Endpoint,
        form: CredentialsForm,
        launch_token: Option<HeaderValue>,
    ) -> Self {
        let authority = match &endpoint {
            Endpoint::Unix(_) => "unix",
            Endpoint::Tcp(addr) => addr.as_str(),
        };
        let base = format!("http://{authority}");
        // A Tcp endpoint is validated `host:port`; the fallback is never used in practice.
        let host = HeaderValue::from_str(authority).unwrap_or(HeaderValue::from_static("unix"));
        let connector = Connector {
            endpoint: Arc::new(endpoint.clone()),
        };
        let http = Client::builder(TokioExecutor::new())
            // Go writes canonical header names; some hand-written plugins compare bytes.
            .http1_title_case_headers(true)
            .pool_max_idle_per_host(64)
            // Our SDK closes a connection idle for 10 s (its header-read timeout); dropping
            // idle connections sooner means a request never lands on one being closed.
            .pool_timer(hyper_util::rt::TokioTimer::new())
            .pool_idle_timeout(POOL_IDLE_TIMEOUT)
            .build(connector);
        Self {
            inner: Arc::new(ClientInner {
                plugin_id,
                typed_credentials: AtomicBool::new(form == CredentialsForm::Typed),
                endpoint,
                base,
                host,
                launch_token,
                http,
            }),
        }
    }

    /// Where the plugin listens.
    pub fn endpoint(&self) -> &Endpoint {
        &self.inner.endpoint
    }

    /// How credentials are sent now (a typed client may have fallen back to flat).
    pub fn credentials_form(&self) -> CredentialsForm {
        if self.inner.typed_credentials.load(Ordering::Relaxed) {
            CredentialsForm::Typed
        } else {
            CredentialsForm::Flat
        }
    }

    /// The display id used in errors and logs.
    pub fn plugin_id(&self) -> &str {
        &self.inner.plugin_id
    }

    /// `true` if both handles share one connection pool (one is a clone of the other).
    pub fn same_as(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    /// Sends one request for `route` and returns the body of a `200` answer (possibly empty).
    ///
    /// The URI is `route.uri(query)` (keys sorted, Go encoding); `Content-Type` and `Accept` are
    /// `application/json` on every request, even a GET, as Go sends them; `Authorization`
    /// carries the credentials in the client's [`CredentialsForm`] (`{}` when there are none) on
    /// every route whose [`Auth`](ocm_plugin_endpoints::Auth) is not `None`. Any status but 200 is an [`Error::Status`]
    /// carrying the text body.
    pub async fn call(
        &self,
        route: &Route,
        query: &[(&str, &str)],
        credentials: Option<&Credentials>,
        body: Option<Vec<u8>>,
    ) -> Result<Bytes> {
        self.call_bytes(route, query, credentials, body.map(Bytes::from))
            .await
    }

    /// [`call`](Self::call), then decodes the first JSON value of the body (trailing data is
    /// ignored, like Go's streaming decoder). An empty `200` body is [`Error::EmptyBody`].
    pub async fn call_json<T: DeserializeOwned>(
        &self,
        route: &Route,
        query: &[(&str, &str)],
        credentials: Option<&Credentials>,
        body: Option<Vec<u8>>,
    ) -> Result<T> {
        let bytes = self.call(route, query, credentials, body).await?;
        self.decode(route, &bytes)
    }

    /// `GET /healthz`; only `200` counts as healthy (the Go manager accepted any status, W13).
    pub async fn health(&self) -> Result<()> {
        self.call_bytes(&builtin::HEALTHZ, &[], None, None)
            .await
            .map(drop)
    }

    pub(crate) fn decode<T: DeserializeOwned>(&self, route: &Route, bytes: &[u8]) -> Result<T> {
        match serde_json::Deserializer::from_slice(bytes)
            .into_iter::<T>()
            .next()
        {
            Some(Ok(v)) => Ok(v),
            Some(Err(cause)) => Err(Error::Decode {
                plugin_id: self.inner.plugin_id.clone(),
                operation: route.operation.to_owned(),
                cause: std::sync::Arc::new(cause),
            }),
            None => Err(Error::EmptyBody {
                plugin_id: self.inner.plugin_id.clone(),
                operation: route.operation.to_owned(),
            }),
        }
    }

    /// [`call`](Self::call) with a shareable body, so that a retry does not copy it.
    pub(crate) async fn call_bytes(
        &self,
        route: &Route,
        query: &[(&str, &str)],
        credentials: Option<&Credentials>,
        body: Option<Bytes>,
    ) -> Result<Bytes> {
        let payload = body.unwrap_or_default();
        let credentials = credentials.filter(|c| !c.is_none());
        let typed = self.inner.typed_credentials.load(Ordering::Relaxed);
        let header = |typed: bool| ocm_plugin_endpoints::authorization(route, credentials, typed);
        let first = self
            .send(route, query, header(typed), payload.clone())
            .await;
        match first {
            Err(Error::Status {
                status: 401,
                ref body,
                ..
            }) if typed
                && credentials.is_some()
                && UNREADABLE_CREDENTIALS.iter().any(|m| body.contains(m)) =>
            {
                tracing::debug!(
                    plugin_id = %self.inner.plugin_id,
                    operation = route.operation,
                    "the plugin cannot read typed credentials; retrying with the flat map"
                );
                let retried = self.send(route, query, header(false), payload).await;
                if !matches!(retried, Err(Error::Status { status: 401, .. })) {
                    self.inner.typed_credentials.store(false, Ordering::Relaxed);
                }
                retried
            }
            other => other,
        }
    }

    /// One request; `authorization` is the header value, if the route sends one.
    async fn send(
        &self,
        route: &Route,
        query: &[(&str, &str)],
        authorization: Option<String>,
        body: Bytes,
    ) -> Result<Bytes> {
        let inner = &*self.inner;
        let transport = |message: String| Error::Transport {
            plugin_id: inner.plugin_id.clone(),
            operation: route.operation.to_owned(),
            message,
        };
        let uri = format!("{}{}", inner.base, route.uri(query));
        let mut builder = Request::builder()
            .method(route.method.clone())
            .uri(&uri)
            .header(HOST, inner.host.clone())
            .header(ACCEPT, APPLICATION_JSON);
        if let Some(token) = &inner.launch_token {
            builder = builder.header(LAUNCH_TOKEN_HEADER, token.clone());
        }
        if let Some(json) = authorization {
            // from_bytes, not from_str: credentials may hold non-ASCII UTF-8, which Go sends raw.
            // serde_json escapes every control character, so this cannot fail in practice. The
            // error names no value: credentials never reach an error.
            let value = HeaderValue::from_bytes(json.as_bytes())
                .map_err(|_| transport("credentials cannot travel in a header".to_owned()))?;
            builder = builder.header(AUTHORIZATION, value);
        }
        let request = builder
            .header(CONTENT_TYPE, APPLICATION_JSON)
            .body(Full::new(body))
            .map_err(|e| transport(format!("invalid request {uri}: {e}")))?;

        let response = inner.http.request(request).await.map_err(|e| {
            let message = render_chain(&e);
            if e.is_connect() {
                Error::Connect {
                    plugin_id: inner.plugin_id.clone(),
                    operation: route.operation.to_owned(),
                    message,
                }
            } else {
                transport(message)
            }
        })?;
        let status = response.status();
        let bytes = response
            .into_body()
            .collect()
            .await
            .map_err(|e| transport(format!("reading response body: {}", render_chain(&e))))?
            .to_bytes();
        if status != StatusCode::OK {
            return Err(Error::Status {
                plugin_id: inner.plugin_id.clone(),
                operation: route.operation.to_owned(),
                status: status.as_u16(),
                body: String::from_utf8_lossy(&bytes).into_owned(),
            });
        }
        Ok(bytes)
    }
}

/// Dials the plugin's endpoint; the request URI is ignored (it only carries `Host`).
#[derive(Clone)]
struct Connector {
    endpoint: Arc<Endpoint>,
}

type ConnectFuture = Pin<Box<dyn Future<Output = io::Result<PluginStream>> + Send>>;

impl tower::Service<Uri> for Connector {
    type Response = PluginStream;
    type Error = io::Error;
    // hyper-util requires an Unpin future.
    type Future = ConnectFuture;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _uri: Uri) -> Self::Future {
        let endpoint = Arc::clone(&self.endpoint);
        Box::pin(async move {
            match &*endpoint {
                Endpoint::Unix(path) => UnixStream::connect(path)
                    .await
                    .map(|s| PluginStream::Unix(TokioIo::new(s)))
                    .map_err(|e| {
                        io::Error::new(e.kind(), format!("dial unix {}: {e}", path.display()))
                    }),
                Endpoint::Tcp(addr) => {
                    let s = TcpStream::connect(addr.as_str())
                        .await
                        .map_err(|e| io::Error::new(e.kind(), format!("dial tcp {addr}: {e}")))?;
                    // Small JSON requests must not wait for Nagle.
                    s.set_nodelay(true)?;
                    Ok(PluginStream::Tcp(TokioIo::new(s)))
                }
            }
        })
    }
}

/// One connection to a plugin, over either transport.
enum PluginStream {
    Unix(TokioIo<UnixStream>),
    Tcp(TokioIo<TcpStream>),
}

impl Connection for PluginStream {
    fn connected(&self) -> Connected {
        Connected::new()
    }
}

impl hyper::rt::Read for PluginStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: hyper::rt::ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Unix(s) => Pin::new(s).poll_read(cx, buf),
            Self::Tcp(s) => Pin::new(s).poll_read(cx, buf),
        }
    }
}

impl hyper::rt::Write for PluginStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Self::Unix(s) => Pin::new(s).poll_write(cx, buf),
            Self::Tcp(s) => Pin::new(s).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Unix(s) => Pin::new(s).poll_flush(cx),
            Self::Tcp(s) => Pin::new(s).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Unix(s) => Pin::new(s).poll_shutdown(cx),
            Self::Tcp(s) => Pin::new(s).poll_shutdown(cx),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            Self::Unix(s) => s.is_write_vectored(),
            Self::Tcp(s) => s.is_write_vectored(),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Self::Unix(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            Self::Tcp(s) => Pin::new(s).poll_write_vectored(cx, bufs),
        }
    }
}
