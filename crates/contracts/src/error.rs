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
    /// The boxed error is the caller's own rich error type and can be downcast.
    #[error(transparent)]
    Remote(BoxError),
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
            Self::Internal { .. } | Self::Remote(_) => 500,
        }
    }
}
