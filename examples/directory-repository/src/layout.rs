//! The on-disk layout of a directory repository, and the escaping of names into path segments.
//!
//! ```text
//! <root>/components/<escaped component name>/<escaped version>/descriptor.json
//! <root>/components/<escaped component name>/<escaped version>/resources/<identity digest>.blob
//! <root>/components/<escaped component name>/<escaped version>/resources/<identity digest>.json
//! <root>/components/<escaped component name>/<escaped version>/sources/<identity digest>.blob
//! <root>/components/<escaped component name>/<escaped version>/sources/<identity digest>.json
//! <root>/components/<escaped component name>/<escaped version>/.lock
//! ```
//!
//! Names that start with `.` are reserved for the store itself (the lock file and temporary
//! files); [`escape_segment`] never produces one.

use std::path::{Path, PathBuf};

use ocm_plugin_types::Identity;
use sha2::{Digest as _, Sha256};

/// Directory under the root that holds all components.
pub const COMPONENTS_DIR: &str = "components";
/// File name of a stored descriptor.
pub const DESCRIPTOR_FILE: &str = "descriptor.json";
/// Directory of a version that holds local resources.
pub const RESOURCES_DIR: &str = "resources";
/// Directory of a version that holds local sources.
pub const SOURCES_DIR: &str = "sources";
/// Extension of a stored blob.
pub const BLOB_EXTENSION: &str = "blob";
/// Extension of a stored resource or source (its JSON).
pub const METADATA_EXTENSION: &str = "json";
/// Lock file of a version directory, held while the version is written.
pub const LOCK_FILE: &str = ".lock";

/// Escapes a component name or version into a single, safe path segment.
///
/// Every byte outside `[A-Za-z0-9._-]` becomes `%XX` (upper-case hex), and so does a leading
/// `.`, so the result never contains a separator, is never `.` or `..`, never starts with `.`
/// (a namespace reserved for the store) and is never empty for a non-empty input. The mapping is
/// injective and [`unescape_segment`] reverses it.
///
/// ```
/// use ocm_example_directory_repository::layout::{escape_segment, unescape_segment};
///
/// assert_eq!(escape_segment("acme.org/app"), "acme.org%2Fapp");
/// assert_eq!(escape_segment(".."), "%2E.");
/// assert_eq!(unescape_segment("acme.org%2Fapp").as_deref(), Some("acme.org/app"));
/// ```
pub fn escape_segment(s: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(s.len());
    for (i, b) in s.bytes().enumerate() {
        let plain = b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || (b == b'.' && i > 0);
        if plain {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0x0f)]));
        }
    }
    out
}

/// Reverses [`escape_segment`]. Returns `None` for a segment `escape_segment` cannot have
/// produced (a malformed escape, a plain byte that should have been escaped, or invalid UTF-8).
pub fn unescape_segment(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%' {
            let hi = hex_value(*bytes.get(i + 1)?)?;
            let lo = hex_value(*bytes.get(i + 2)?)?;
            out.push(hi << 4 | lo);
            i += 3;
        } else if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || (b == b'.' && i > 0) {
            out.push(b);
            i += 1;
        } else {
            return None;
        }
    }
    let decoded = String::from_utf8(out).ok()?;
    // Only the canonical form is accepted, so a name maps to exactly one directory.
    (escape_segment(&decoded) == s).then_some(decoded)
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Lower-case hex SHA-256 of some bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Lower-case hex of a byte slice.
pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        // Writing to a String cannot fail.
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// The file stem of a stored resource or source: the lower-case hex SHA-256 of the canonical
/// JSON of its identity (compact, keys sorted, as [`Identity`] serialises).
pub fn identity_digest(identity: &Identity) -> String {
    // A map of strings always serialises.
    let json = serde_json::to_vec(identity).unwrap_or_default();
    sha256_hex(&json)
}

/// `<root>/components/<escaped name>`.
pub fn component_dir(root: &Path, name: &str) -> PathBuf {
    root.join(COMPONENTS_DIR).join(escape_segment(name))
}

/// `<root>/components/<escaped name>/<escaped version>`.
pub fn version_dir(root: &Path, name: &str, version: &str) -> PathBuf {
    component_dir(root, name).join(escape_segment(version))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_is_safe_and_reversible() {
        for s in [
            "acme.org/app",
            "..",
            ".",
            ".hidden",
            "../x",
            "a/b",
            "a\\b",
            "1.0.0+build.1",
            "v1.2.3-rc.1",
            "ünïcode ✓",
            "%41",
            "a..b",
            "x\0y",
        ] {
            let e = escape_segment(s);
            assert!(!e.is_empty());
            assert!(!e.starts_with('.'), "{e}");
            assert!(
                !e.contains('/') && !e.contains('\\') && !e.contains('\0'),
                "{e}"
            );
            assert!(
                e.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.%".contains(&b))
            );
            assert_eq!(unescape_segment(&e).as_deref(), Some(s), "{e}");
        }
        assert_eq!(escape_segment("acme.org/app"), "acme.org%2Fapp");
        assert_eq!(escape_segment(".hidden"), "%2Ehidden");
        assert_eq!(escape_segment("1.0.0"), "1.0.0");
    }

    #[test]
    fn unescape_rejects_non_canonical() {
        for s in ["%2", "%zz", "%2f", ".x", "a/b", "%41", "%FF", ""] {
            if s.is_empty() {
                assert_eq!(unescape_segment(s).as_deref(), Some(""));
                continue;
            }
            assert_eq!(unescape_segment(s), None, "{s}");
        }
    }

    #[test]
    fn identity_digest_is_sha256_of_sorted_json() {
        let id: Identity = [
            ("version".to_owned(), "1.0.0".to_owned()),
            ("name".to_owned(), "r".to_owned()),
        ]
        .into();
        assert_eq!(
            identity_digest(&id),
            sha256_hex(br#"{"name":"r","version":"1.0.0"}"#)
        );
        // Known vector: SHA-256 of the empty string.
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
