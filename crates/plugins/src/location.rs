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
/// * `http+unix://<path>` → [`Endpoint::Unix`] (what Go and Rust SDKs print for `unix`); the
///   path must be absolute: a relative one would be resolved against the manager's working
///   directory, not the plugin's;
/// * `http://host:port`, with an optional trailing `/` → [`Endpoint::Tcp`] (Rust SDK, `tcp`);
/// * a bare `host:port` or `[::]:port` → [`Endpoint::Tcp`]: the Go SDK prints its listener
///   address without a scheme (W2), which the Go manager cannot read but we can;
/// * the all-interfaces hosts `[::]` and `0.0.0.0` (and an empty host) are mapped to loopback,
///   `[::1]` and `127.0.0.1`, because that is where the manager can reach the plugin; so is
///   `[::ffff:0.0.0.0]`, the IPv4 all-interfaces address in IPv6 form, to `127.0.0.1`;
/// * a host name that a resolver would read as a number (`1.2.3`, `0x0`, `0x7f.1`) → `None`;
/// * anything else (log lines, banners, a path after the address) → `None`.
///
/// Trailing `\r`, `\n` and spaces are ignored.
pub fn parse_location_line(line: &str) -> Option<Endpoint> {
    let line = line.trim_end_matches(['\r', '\n', ' ', '\t']);
    if let Some(path) = line.strip_prefix(UNIX_SCHEME) {
        if !path.starts_with('/') || path.contains('\0') {
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
        } else if ip.to_ipv4_mapped().is_some_and(|v4| v4.is_unspecified()) {
            "127.0.0.1".to_owned()
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
            // A host name must not look like a number (`1.2.3`, or `0x0` and `0x7f.1`, which
            // `inet_aton` reads as `0.0.0.0` and `127.0.0.1`) and must start sensibly.
            Err(_)
                if host.starts_with(['.', '-'])
                    || host.bytes().all(|b| b.is_ascii_digit() || b == b'.')
                    || host.split('.').all(numeric_label) =>
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

/// Whether `inet_aton` reads this dot-separated part as a number: decimal, octal or `0x` hex.
fn numeric_label(label: &str) -> bool {
    let hex = label
        .strip_prefix("0x")
        .or_else(|| label.strip_prefix("0X"))
        .is_some_and(|h| h.bytes().all(|b| b.is_ascii_hexdigit()));
    hex || (!label.is_empty() && label.bytes().all(|b| b.is_ascii_digit()))
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
            ("http+unix://relative.sock", None),
            ("http+unix://0.0.0.0", None),
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
            ("0x0:80", None),
            ("http://0x7f.1:80", None),
            ("[::ffff:0.0.0.0]:80", tcp("127.0.0.1:80")),
            ("0x0.example:80", tcp("0x0.example:80")),
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

/// Property tests: a location line is whatever a plugin printed, so any text must give an
/// endpoint the manager can safely dial, or `None`, never a panic.
#[cfg(test)]
mod props {
    use super::*;
    use proptest::prelude::*;
    use proptest::test_runner::Config;

    fn config() -> Config {
        Config {
            cases: 512,
            failure_persistence: None,
            ..Config::default()
        }
    }

    /// Checks the documented guarantees of an endpoint.
    fn check(ep: &Endpoint) -> Result<(), TestCaseError> {
        match ep {
            Endpoint::Unix(path) => {
                prop_assert!(path.is_absolute(), "relative socket path {path:?}");
                prop_assert!(!path.as_os_str().as_encoded_bytes().contains(&0));
            }
            Endpoint::Tcp(addr) => {
                let (host, port) = addr.rsplit_once(':').expect("host:port");
                let port: u16 = port.parse().expect("numeric port");
                prop_assert!(port != 0);
                if let Some(inner) = host.strip_prefix('[') {
                    let ip: Ipv6Addr = inner.strip_suffix(']').expect("]").parse().expect("ipv6");
                    prop_assert!(!ip.is_unspecified(), "{addr}");
                    prop_assert!(
                        !ip.to_ipv4_mapped().is_some_and(|v4| v4.is_unspecified()),
                        "{addr}"
                    );
                } else if let Ok(ip) = host.parse::<Ipv4Addr>() {
                    prop_assert!(!ip.is_unspecified(), "{addr}");
                } else {
                    prop_assert!(!host.is_empty(), "{addr}");
                    prop_assert!(
                        host.bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b)),
                        "{addr}"
                    );
                    prop_assert!(!host.starts_with(['.', '-']), "{addr}");
                    // Not a number a resolver would read as an IPv4 address (`0x0`, `0.0`).
                    prop_assert!(!host.split('.').all(numeric_label), "{addr}");
                }
            }
        }
        // What the manager prints for an endpoint reads back as the same endpoint.
        let back = parse_location_line(&ep.to_string());
        prop_assert_eq!(back.as_ref(), Some(ep));
        Ok(())
    }

    /// Lines shaped like locations: a scheme, a host of every kind, a port, a suffix.
    fn location_like() -> impl Strategy<Value = String> {
        let host = prop_oneof![
            any::<u32>().prop_map(|n| Ipv4Addr::from(n).to_string()),
            Just("0.0.0.0".to_owned()),
            any::<u128>().prop_map(|n| format!("[{}]", Ipv6Addr::from(n))),
            prop::sample::select(vec![
                "[::]",
                "[::0]",
                "[0:0:0:0:0:0:0:0]",
                "[::ffff:0.0.0.0]",
                "[::ffff:0:0]",
                "[::0.0.0.0]",
                "[::1]",
                "0",
                "0x0",
                "0X00.0",
                "0x7f.1",
                "00",
                "0.0",
                "1.2.3",
                "localhost",
                "",
            ])
            .prop_map(str::to_owned),
            "[a-zA-Z0-9._-]{0,12}",
        ];
        let port = prop_oneof![any::<u16>().prop_map(|p| p.to_string()), "[0-9+-]{0,7}",];
        (
            prop::sample::select(vec!["http+unix://", "http://", "", "https://", "unix://"]),
            host,
            prop::option::of(port),
            prop::sample::select(vec!["", "/", "\n", "\r\n", " ", "/x", ":", "\0"]),
        )
            .prop_map(|(scheme, host, port, suffix)| match port {
                Some(p) => format!("{scheme}{host}:{p}{suffix}"),
                None => format!("{scheme}{host}{suffix}"),
            })
    }

    proptest! {
        #![proptest_config(config())]

        /// Any text: no panic, and every endpoint returned keeps the documented guarantees.
        #[test]
        fn arbitrary_text(s in ".{0,64}") {
            if let Some(ep) = parse_location_line(&s) {
                check(&ep)?;
            }
        }

        /// Any bytes, decoded the way the reader does (lossy or skipped when not UTF-8).
        #[test]
        fn arbitrary_bytes(b in prop::collection::vec(any::<u8>(), 0..64)) {
            if let Some(ep) = parse_location_line(&String::from_utf8_lossy(&b)) {
                check(&ep)?;
            }
        }

        /// Location-shaped lines: the guarantees hold, and well-formed ones are read.
        #[test]
        fn location_shaped(s in location_like()) {
            if let Some(ep) = parse_location_line(&s) {
                check(&ep)?;
            }
        }

        /// A socket path after the unix scheme: read exactly when absolute and NUL-free.
        #[test]
        fn unix_paths(path in "[^\0\r\n]{0,32}", suffix in prop::sample::select(vec!["", "\n", "\r\n", " \t"])) {
            let got = parse_location_line(&format!("http+unix://{path}{suffix}"));
            let path = path.trim_end_matches(['\r', '\n', ' ', '\t']);
            let want = path.starts_with('/').then(|| Endpoint::Unix(PathBuf::from(path)));
            prop_assert_eq!(got, want);
        }

        /// Every loopback or ordinary IP with a valid port is read as itself, in every form.
        #[test]
        fn ip_addresses(v4 in any::<u32>(), v6 in any::<u128>(), port in 1..=u16::MAX) {
            let v4 = Ipv4Addr::from(v4);
            let v6 = Ipv6Addr::from(v6);
            if !v4.is_unspecified() {
                for line in [format!("{v4}:{port}"), format!("http://{v4}:{port}/")] {
                    prop_assert_eq!(parse_location_line(&line), Some(Endpoint::Tcp(format!("{v4}:{port}"))));
                }
            }
            if !v6.is_unspecified() && !v6.to_ipv4_mapped().is_some_and(|a| a.is_unspecified()) {
                for line in [format!("[{v6}]:{port}"), format!("http://[{v6}]:{port}")] {
                    prop_assert_eq!(parse_location_line(&line), Some(Endpoint::Tcp(format!("[{v6}]:{port}"))));
                }
            }
        }
    }
}
