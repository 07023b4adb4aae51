use serde::{Deserialize, Serialize};

/// Where a blob lives. Blobs travel by reference, never in HTTP bodies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    /// How to read `value`.
    #[serde(rename = "type")]
    pub location_type: LocationType,
    /// A path or URL, depending on the type.
    pub value: String,
    /// Media type of the blob (v0.0.4+; omitted when empty).
    #[serde(rename = "mediaType", default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
}

impl Location {
    /// A `localFile` location.
    pub fn local_file(path: impl Into<String>) -> Self {
        Self {
            location_type: LocationType::LocalFile,
            value: path.into(),
            media_type: None,
        }
    }
}

/// The kinds of [`Location`]. Unknown kinds are kept, so a newer peer does not break decoding.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum LocationType {
    /// An absolute path to a regular file.
    #[serde(rename = "localFile")]
    LocalFile,
    /// An absolute path to a FIFO.
    #[serde(rename = "unixNamedPipe")]
    UnixNamedPipe,
    /// A URL reachable by the reader.
    #[serde(rename = "remoteURL")]
    RemoteUrl,
    /// Anything else.
    #[serde(untagged)]
    Other(String),
}

impl std::fmt::Display for LocationType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::LocalFile => "localFile",
            Self::UnixNamedPipe => "unixNamedPipe",
            Self::RemoteUrl => "remoteURL",
            Self::Other(s) => s,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_form() {
        let l = Location::local_file("/tmp/x");
        assert_eq!(
            serde_json::to_string(&l).unwrap(),
            r#"{"type":"localFile","value":"/tmp/x"}"#
        );
        let l: Location =
            serde_json::from_str(r#"{"type":"ftp","value":"x","mediaType":"a/b"}"#).unwrap();
        assert_eq!(l.location_type, LocationType::Other("ftp".into()));
        assert_eq!(l.media_type.as_deref(), Some("a/b"));
    }
}
