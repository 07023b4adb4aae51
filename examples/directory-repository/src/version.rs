//! Ordering of version strings for listing.
//!
//! Versions that parse as semantic versions (2.0.0, with an optional leading `v`) are ordered by
//! semver precedence and come first; all others follow, ordered lexically. Comparing a semver
//! with a non-semver string lexically would not be a total order (`2.0.0 < 10.0.0 < 1.x < 2.0.0`),
//! which sorting needs.

use std::cmp::Ordering;

#[derive(Debug, PartialEq, Eq)]
struct SemVer<'a> {
    major: u64,
    minor: u64,
    patch: u64,
    pre: Vec<&'a str>,
}

fn parse_number(s: &str) -> Option<u64> {
    let leading_zero = s.len() > 1 && s.starts_with('0');
    if s.is_empty() || leading_zero || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn valid_identifier(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

fn parse(version: &str) -> Option<SemVer<'_>> {
    let v = version.strip_prefix('v').unwrap_or(version);
    let (v, build) = match v.split_once('+') {
        Some((v, b)) => (v, Some(b)),
        None => (v, None),
    };
    if let Some(build) = build
        && !build.split('.').all(valid_identifier)
    {
        return None;
    }
    let (core, pre) = match v.split_once('-') {
        Some((c, p)) => (c, Some(p)),
        None => (v, None),
    };
    let mut parts = core.split('.');
    let major = parse_number(parts.next()?)?;
    let minor = parse_number(parts.next()?)?;
    let patch = parse_number(parts.next()?)?;
    if parts.next().is_some() {
        return None;
    }
    let pre = match pre {
        None => Vec::new(),
        Some(p) => {
            let ids: Vec<&str> = p.split('.').collect();
            let ok = ids.iter().all(|id| {
                valid_identifier(id)
                    && !(id.len() > 1
                        && id.starts_with('0')
                        && id.bytes().all(|b| b.is_ascii_digit()))
            });
            if !ok {
                return None;
            }
            ids
        }
    };
    Some(SemVer {
        major,
        minor,
        patch,
        pre,
    })
}

fn compare_pre(a: &[&str], b: &[&str]) -> Ordering {
    match (a.is_empty(), b.is_empty()) {
        (true, true) => return Ordering::Equal,
        // A release has higher precedence than any of its pre-releases.
        (true, false) => return Ordering::Greater,
        (false, true) => return Ordering::Less,
        (false, false) => {}
    }
    for (x, y) in a.iter().zip(b) {
        let ord = match (x.parse::<u64>(), y.parse::<u64>()) {
            (Ok(x), Ok(y)) => x.cmp(&y),
            (Ok(_), Err(_)) => Ordering::Less,
            (Err(_), Ok(_)) => Ordering::Greater,
            (Err(_), Err(_)) => x.cmp(y),
        };
        if ord != Ordering::Equal {
            return ord;
        }
    }
    a.len().cmp(&b.len())
}

/// A total order on version strings: semvers by precedence first, then the rest lexically.
/// Ties in precedence (build metadata, a `v` prefix) are broken lexically.
pub(crate) fn compare(a: &str, b: &str) -> Ordering {
    match (parse(a), parse(b)) {
        (Some(x), Some(y)) => x
            .major
            .cmp(&y.major)
            .then(x.minor.cmp(&y.minor))
            .then(x.patch.cmp(&y.patch))
            .then_with(|| compare_pre(&x.pre, &y.pre))
            .then_with(|| a.cmp(b)),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => a.cmp(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn semver_precedence() {
        let mut v = vec![
            "1.0.0",
            "1.0.0-rc.1",
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-alpha.beta",
            "1.0.0-beta.11",
            "1.0.0-beta.2",
            "1.0.0-beta",
            "10.0.0",
            "2.0.0",
            "v1.10.0",
            "1.9.0",
        ];
        v.sort_by(|a, b| compare(a, b));
        assert_eq!(
            v,
            [
                "1.0.0-alpha",
                "1.0.0-alpha.1",
                "1.0.0-alpha.beta",
                "1.0.0-beta",
                "1.0.0-beta.2",
                "1.0.0-beta.11",
                "1.0.0-rc.1",
                "1.0.0",
                "1.9.0",
                "v1.10.0",
                "2.0.0",
                "10.0.0",
            ]
        );
    }

    #[test]
    fn non_semver_after_semver_lexically() {
        let mut v = vec![
            "latest", "1.x", "2.0.0", "10.0.0", "01.0.0", "1.0", "1.0.0+b",
        ];
        v.sort_by(|a, b| compare(a, b));
        assert_eq!(
            v,
            [
                "1.0.0+b", "2.0.0", "10.0.0", "01.0.0", "1.0", "1.x", "latest"
            ]
        );
    }
}
