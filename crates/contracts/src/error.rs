/// A boxed error that can cross threads.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Result alias of the contracts.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What a capability operation can fail with.
///
/// The variants carry the meaning an HTTP status carries on the wire, so a plugin's error
/// arrives at the host with the same kind, and the SDK can pick the status code from it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The request is malformed (HTTP 400).
    #[error("{0}")]
    InvalidArgument(String),
    /// Credentials are missing or malformed (HTTP 401).
    #[error("{0}")]
    Unauthorized(String),
    /// The addressed object does not exist (HTTP 404).
    #[error("{0}")]
    NotFound(String),
    /// The implementation does not offer this operation (HTTP 501).
    #[error("operation {0} is not supported by this implementation")]
    Unsupported(&'static str),
    /// The implementation failed (HTTP 500).
    #[error("{message}")]
    Internal {
        /// What failed.
        message: String,
        /// Why.
        #[source]
        source: Option<BoxError>,
    },
    /// Calling a remote implementation failed (transport, plugin start, validation, status).
    /// The boxed error is the caller's own rich error type and can be downcast; `kind` says
    /// what it means without downcasting.
    #[error("{source}")]
    Remote {
        /// What kind of failure it is.
        kind: ErrorKind,
        /// The remote client's own error.
        #[source]
        source: BoxError,
    },
}

/// What kind of failure an [`Error`] is, wherever the implementation ran: what a caller reacts
/// to (fix the input, fetch credentials, retry later, report a bug) without downcasting.
///
/// ```
/// use ocm_plugin_contracts::{Error, ErrorKind};
/// assert_eq!(Error::NotFound("acme.org/app:1.0.0".into()).kind(), ErrorKind::NotFound);
/// assert_eq!(Error::Unsupported("get-identity").kind(), ErrorKind::Unsupported);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The request or its spec is wrong: fix the input.
    InvalidInput,
    /// Credentials are missing or were refused.
    Unauthorized,
    /// The addressed object does not exist.
    NotFound,
    /// The implementation does not offer the operation.
    Unsupported,
    /// The implementation could not be reached: its plugin failed to start, is cooling down
    /// after crashes, exited, or was shut down. Another attempt later may succeed.
    Unavailable,
    /// No answer within the deadline.
    Timeout,
    /// The implementation failed.
    Internal,
}

impl Error {
    /// An internal error from a message.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::Internal {
            message: message.into(),
            source: None,
        }
    }

    /// An internal error with a cause. The cause's text is appended to the message, so it
    /// reaches the other side of the wire, where only text travels.
    pub fn internal_with(message: impl Into<String>, source: impl Into<BoxError>) -> Self {
        let source = source.into();
        Self::Internal {
            message: format!("{}: {source}", message.into()),
            source: Some(source),
        }
    }

    /// The HTTP status an SDK answers with for this error.
    pub fn status(&self) -> u16 {
        match self {
            Self::InvalidArgument(_) => 400,
            Self::Unauthorized(_) => 401,
            Self::NotFound(_) => 404,
            Self::Unsupported(_) => 501,
            Self::Internal { .. } | Self::Remote { .. } => 500,
        }
    }

    /// What kind of failure this is; the same for a plugin's answer and an in-process error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::InvalidArgument(_) => ErrorKind::InvalidInput,
            Self::Unauthorized(_) => ErrorKind::Unauthorized,
            Self::NotFound(_) => ErrorKind::NotFound,
            Self::Unsupported(_) => ErrorKind::Unsupported,
            Self::Internal { .. } => ErrorKind::Internal,
            Self::Remote { kind, .. } => *kind,
        }
    }
}

/// An I/O failure inside an implementation: `NotFound` stays a 404, `PermissionDenied` becomes a
/// 401, anything else a 500 with the cause in its text. Implementations can use `?` on file and
/// socket operations; add the path or operation with [`Error::internal_with`] where it helps.
impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        match e.kind() {
            std::io::ErrorKind::NotFound => Self::NotFound(e.to_string()),
            std::io::ErrorKind::PermissionDenied => Self::Unauthorized(e.to_string()),
            _ => Self::internal_with("I/O error", e),
        }
    }
}

/// Wire data that does not parse (a type string, a spec, base64) is the caller's: a 400.
impl From<ocm_plugin_types::Error> for Error {
    fn from(e: ocm_plugin_types::Error) -> Self {
        Self::InvalidArgument(e.to_string())
    }
}

/// JSON that does not decode is the caller's (a 400); an I/O failure while reading it is ours
/// (a 500).
impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Self {
        if e.is_io() {
            Self::internal_with("I/O error while reading JSON", e)
        } else {
            Self::InvalidArgument(e.to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions_keep_the_meaning() {
        let not_found: Error = std::io::Error::from(std::io::ErrorKind::NotFound).into();
        assert_eq!(not_found.status(), 404);
        let denied: Error = std::io::Error::from(std::io::ErrorKind::PermissionDenied).into();
        assert_eq!(denied.status(), 401);
        let other: Error = std::io::Error::other("disk on fire").into();
        assert_eq!(
            (other.status(), other.to_string()),
            (500, "I/O error: disk on fire".to_owned())
        );
        let bad_type: Error = "a/b/c"
            .parse::<ocm_plugin_types::Type>()
            .unwrap_err()
            .into();
        assert_eq!(bad_type.status(), 400);
        let bad_json: Error = serde_json::from_str::<u8>("x").unwrap_err().into();
        assert_eq!(bad_json.status(), 400);
    }
}
