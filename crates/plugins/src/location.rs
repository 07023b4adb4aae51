use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::PathBuf;

/// Where a plugin listens, parsed from its location line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// A Unix domain socket at this path.
    Unix(PathBuf),
    /// A TCP address, `host:port` (IPv6 hosts in brackets), never an all-interfaces address.
    Tcp(String),
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Unix(p) => write!(f, "http+unix://{}", p.display()),
            Self::Tcp(a) => write!(f, "http://{a}"),
        }
    }
}

const UNIX_SCHEME: &str = "http+unix://";
const HTTP_SCHEME: &str = "http://";

/// Parses one line a plugin printed while starting (spec §4.3).
///
/// * `http+unix://<path>` → [`Endpoint::Unix`] (what Go and Rust SDKs print for `unix`);
/// * `http://host:port`, with an optional trailing `/` → [`Endpoint::Tcp`] (Rust SDK, `tcp`);
/// * a bare `host:port` or `[::]:port` → [`Endpoint::Tcp`]: the Go SDK prints its listener
///   address without a scheme (W2), which the Go manager cannot read but we can;
/// * the all-interfaces hosts `[::]` and `0.0.0.0` (and an empty host) are mapped to loopback,
///   `[::1]` and `127.0.0.1`, because that is where the manager can reach the plugin;
/// * anything else (log lines, banners, a path after the address) → `None`.
///
/// Trailing `\r`, `\n` and spaces are ignored.
pub fn parse_location_line(line: &str) -> Option<Endpoint> {
    let line = line.trim_end_matches(['\r', '\n', ' ', '\t']);
    if let Some(path) = line.strip_prefix(UNIX_SCHEME) {
        if path.is_empty() || path.contains('\0') {
            return None;
        }
        return Some(Endpoint::Unix(PathBuf::from(path)));
    }
    if let Some(rest) = line.strip_prefix(HTTP_SCHEME) {
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        return host_port(rest, true).map(Endpoint::Tcp);
    }
    host_port(line, false).map(Endpoint::Tcp)
}

/// Validates `host:port` and maps unspecified hosts to loopback. With `default_port`, a bare
/// host means port 80 (what a URL without a port means).
fn host_port(s: &str, default_port: bool) -> Option<String> {
    if s.is_empty() {
        return None;
    }
    let (host, port) = if let Some(after_bracket) = s.strip_prefix('[') {
        let (inner, after) = after_bracket.split_once(']')?;
        let port = match after.strip_prefix(':') {
            Some(p) => p,
            None if after.is_empty() && default_port => "80",
            None => return None,
        };
        let ip: Ipv6Addr = inner.parse().ok()?;
        let host = if ip.is_unspecified() {
            "[::1]".to_owned()
        } else {
            format!("[{ip}]")
        };
        (host, port)
    } else {
        let (host, port) = match s.rsplit_once(':') {
            Some((h, p)) => (h, p),
            None if default_port => (s, "80"),
            None => return None,
        };
        if !host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-' || b == b'_')
        {
            return None;
        }
        let host = match host.parse::<Ipv4Addr>() {
            Ok(ip) if ip.is_unspecified() => "127.0.0.1".to_owned(),
            Ok(ip) => ip.to_string(),
            Err(_) if host.is_empty() => "127.0.0.1".to_owned(),
            // A host name must not look like a number (`1.2.3`) and must start sensibly.
            Err(_)
                if host.starts_with(['.', '-'])
                    || host.bytes().all(|b| b.is_ascii_digit() || b == b'.') =>
            {
                return None;
            }
            Err(_) => host.to_owned(),
        };
        (host, port)
    };
    if port.is_empty() || port.len() > 5 || !port.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let port: u16 = port.parse().ok()?;
    if port == 0 {
        return None;
    }
    Some(format!("{host}:{port}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tcp(s: &str) -> Option<Endpoint> {
        Some(Endpoint::Tcp(s.to_owned()))
    }

    fn unix(s: &str) -> Option<Endpoint> {
        Some(Endpoint::Unix(PathBuf::from(s)))
    }

    #[test]
    fn location_lines() {
        let table: &[(&str, Option<Endpoint>)] = &[
            // What the Go SDK prints for unix (golden transcript).
            (
                "http+unix:///tmp/testplugin-component-version-real-plugin.socket\n",
                unix("/tmp/testplugin-component-version-real-plugin.socket"),
            ),
            ("http+unix:///tmp/a b.sock\r\n", unix("/tmp/a b.sock")),
            (
                "http+unix:///tmp/2026-01-01T00:00:00Z-plugin.socket",
                unix("/tmp/2026-01-01T00:00:00Z-plugin.socket"),
            ),
            ("http+unix://", None),
            // Rust SDK TCP.
            ("http://127.0.0.1:39421", tcp("127.0.0.1:39421")),
            ("http://127.0.0.1:1/", tcp("127.0.0.1:1")),
            ("http://localhost:8080 \n", tcp("localhost:8080")),
            ("http://[::1]:8080", tcp("[::1]:8080")),
            ("http://0.0.0.0:8080", tcp("127.0.0.1:8080")),
            ("http://localhost", tcp("localhost:80")),
            ("http://127.0.0.1:1/healthz", None),
            ("http://127.0.0.1:99999", None),
            ("http://127.0.0.1:0", None),
            ("http://", None),
            // Go SDK TCP (W2): bare listener address, all interfaces.
            ("[::]:37337\n", tcp("[::1]:37337")),
            ("[::]:37337", tcp("[::1]:37337")),
            ("0.0.0.0:4000", tcp("127.0.0.1:4000")),
            ("127.0.0.1:4000", tcp("127.0.0.1:4000")),
            ("[fe80::1]:4000", tcp("[fe80::1]:4000")),
            (":4000", tcp("127.0.0.1:4000")),
            ("plugin-host:4000", tcp("plugin-host:4000")),
            // Garbage.
            ("", None),
            ("\n", None),
            ("hello world", None),
            ("starting: 1234", None),
            ("time=12:30", None),
            ("1.2.3:80", None),
            ("[::]", None),
            ("[zz]:80", None),
            ("[::]:", None),
            ("[::]:-1", None),
            ("127.0.0.1:+80", None),
            (r#"{"level":"INFO","msg":"x:1"}"#, None),
            ("https://127.0.0.1:443", None),
            ("unix:///tmp/x", None),
            ("/tmp/x.sock", None),
        ];
        for (line, want) in table {
            assert_eq!(&parse_location_line(line), want, "line {line:?}");
        }
    }

    #[test]
    fn display_round_trips() {
        for e in [unix("/tmp/x.sock"), tcp("127.0.0.1:1"), tcp("[::1]:2")] {
            let e = e.unwrap();
            assert_eq!(parse_location_line(&e.to_string()), Some(e));
        }
    }
}
