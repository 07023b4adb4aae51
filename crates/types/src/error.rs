/// Errors raised while parsing wire data.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// A type string is empty or has no name (`""`, `"/v1"`).
    #[error("invalid type {0:?}, missing name")]
    MissingTypeName(String),
    /// A type string has more than two `/`-separated segments.
    #[error("invalid type {0:?}, too many segments")]
    TooManySegments(String),
    /// A typed object is not a JSON object.
    #[error("typed object must be a JSON object, got {0}")]
    NotAnObject(&'static str),
    /// A `jsonSchema` value is not valid padded standard base64.
    #[error("invalid base64 in jsonSchema: {0}")]
    Base64(String),
    /// The `capabilities` document is neither the v0.0.1 (`types`) nor the v0.0.11
    /// (`capabilities`) format, or it is malformed.
    #[error("invalid capabilities document: {0}")]
    Capabilities(String),
    /// JSON (de)serialisation failed.
    #[error("{0}")]
    Json(String),
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Self {
        Self::Json(e.to_string())
    }
}
