//! Platforms as OCM names them: Go's `GOOS`/`GOARCH`, since OCM's Go CLI selects a plugin
//! binary by `{"os": GOOS, "architecture": GOARCH}`.

use std::{fmt, str::FromStr};

use serde::{Deserialize, Serialize};

use crate::Error;

/// An operating system and architecture with Go's names (`linux/amd64`, `darwin/arm64`).
///
/// ```
/// use ocm_plugin_distribution::Platform;
/// let p: Platform = "linux/arm64".parse()?;
/// assert_eq!((p.os.as_str(), p.architecture.as_str()), ("linux", "arm64"));
/// assert_eq!(p.to_string(), "linux/arm64");
/// assert!(Platform::host().os == "linux" || Platform::host().os == "darwin");
/// # Ok::<(), ocm_plugin_distribution::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Platform {
    /// Go's `GOOS`: `linux`, `darwin`, `windows`, ….
    pub os: String,
    /// Go's `GOARCH`: `amd64`, `arm64`, ….
    pub architecture: String,
}

impl Platform {
    /// The platform this process runs on, with Go's names.
    pub fn host() -> Self {
        Self {
            os: go_os(std::env::consts::OS).to_owned(),
            architecture: go_arch(std::env::consts::ARCH).to_owned(),
        }
    }
}

/// Go's `GOOS` for Rust's `std::env::consts::OS`.
pub fn go_os(rust: &str) -> &str {
    match rust {
        "macos" => "darwin",
        other => other,
    }
}

/// Go's `GOARCH` for Rust's `std::env::consts::ARCH`.
pub fn go_arch(rust: &str) -> &str {
    match rust {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        "powerpc64" => "ppc64",
        "loongarch64" => "loong64",
        other => other,
    }
}

impl FromStr for Platform {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self, Error> {
        let valid = |s: &str| {
            !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        };
        match text.split_once('/') {
            Some((os, arch)) if valid(os) && valid(arch) => Ok(Self {
                os: os.to_owned(),
                architecture: arch.to_owned(),
            }),
            _ => Err(Error::Platform(text.to_owned())),
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_maps_rust_names() {
        assert_eq!(
            "darwin/arm64".parse::<Platform>().unwrap(),
            Platform {
                os: "darwin".into(),
                architecture: "arm64".into()
            }
        );
        for bad in [
            "linux",
            "linux/",
            "/amd64",
            "linux/arm/v7",
            "Linux/amd64",
            "",
        ] {
            let e = bad.parse::<Platform>().unwrap_err().to_string();
            assert!(e.contains("expected <os>/<architecture>"), "{bad}: {e}");
        }
        assert_eq!(go_arch("x86_64"), "amd64");
        assert_eq!(go_arch("aarch64"), "arm64");
        assert_eq!(go_os("macos"), "darwin");
        assert_eq!(go_os("linux"), "linux");
        let host = Platform::host();
        assert_eq!(host.to_string().parse::<Platform>().unwrap(), host);
    }
}
