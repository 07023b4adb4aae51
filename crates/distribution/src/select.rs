//! Choosing what to install: the highest semantic version of a component, and the `ocmPlugin`
//! resource for a platform by OCM's identity matching.

use ocm_plugin_manager::types::{Descriptor, Identity, Resource};

use crate::{Error, Platform, Result};

/// The resource type of a plugin binary, as OCM's Go CLI (`ocm download plugin`) looks for it.
pub const PLUGIN_RESOURCE_TYPE: &str = "ocmPlugin";
/// The resource type (and name) of the plugin's metadata: a JSON blob with its description and
/// capabilities, so that search reads no binary.
pub const METADATA_RESOURCE_TYPE: &str = "plugin-metadata";
/// The name of the metadata resource.
pub const METADATA_RESOURCE_NAME: &str = "plugin-metadata";
/// The identity attribute of the operating system (Go's `GOOS`).
pub const OS_ATTRIBUTE: &str = "os";
/// The identity attribute of the architecture (Go's `GOARCH`).
pub const ARCHITECTURE_ATTRIBUTE: &str = "architecture";

/// The highest semantic version among `versions` (a leading `v` is allowed). Releases win over
/// pre-releases; a pre-release is chosen only when there is no release. Versions that are not
/// semantic versions are ignored.
///
/// ```
/// use ocm_plugin_distribution::select::highest_semver;
/// assert_eq!(highest_semver(["1.2.0", "1.10.0", "latest", "2.0.0-rc.1"]), Some("1.10.0"));
/// assert_eq!(highest_semver(["2.0.0-rc.1", "2.0.0-rc.2"]), Some("2.0.0-rc.2"));
/// assert_eq!(highest_semver(["latest"]), None);
/// ```
pub fn highest_semver<'a>(versions: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    versions
        .into_iter()
        .filter_map(|v| {
            semver::Version::parse(v.strip_prefix('v').unwrap_or(v))
                .ok()
                .map(|parsed| (parsed.pre.is_empty(), parsed, v))
        })
        .max_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)))
        .map(|(_, _, v)| v)
}

/// The identity OCM's Go CLI looks for: `name`, `version` (the component version), `os` and
/// `architecture`.
pub fn plugin_identity(name: &str, version: &str, platform: &Platform) -> Identity {
    Identity::from([
        ("name".to_owned(), name.to_owned()),
        ("version".to_owned(), version.to_owned()),
        (OS_ATTRIBUTE.to_owned(), platform.os.clone()),
        (
            ARCHITECTURE_ATTRIBUTE.to_owned(),
            platform.architecture.clone(),
        ),
    ])
}

/// OCM's identity match: every attribute of `selector` is in the resource's identity (`name`,
/// `version` when set, and every `extraIdentity` entry) with the same value.
pub fn matches(selector: &Identity, resource: &Resource) -> bool {
    let identity = resource.identity();
    selector
        .iter()
        .all(|(k, v)| identity.get(k).is_some_and(|have| have == v))
}

/// `name os/architecture` of a plugin resource, for messages.
pub fn describe(resource: &Resource) -> String {
    let extra = resource.extra_identity.clone().unwrap_or_default();
    let attr = |k: &str| extra.get(k).map_or("?", String::as_str).to_owned();
    format!(
        "{} {}/{}",
        resource.name,
        attr(OS_ATTRIBUTE),
        attr(ARCHITECTURE_ATTRIBUTE)
    )
}

/// The `ocmPlugin` resource of `descriptor` for `platform`, as OCM's Go CLI selects it: each
/// resource of that type is matched against `{name: <its name, or resource_name>, version:
/// <component version>, os, architecture}`; exactly one must match.
pub fn select_plugin_resource<'d>(
    descriptor: &'d Descriptor,
    platform: &Platform,
    resource_name: Option<&str>,
) -> Result<&'d Resource> {
    let component = &descriptor.component;
    let plugins: Vec<&Resource> = component
        .resources
        .iter()
        .flatten()
        .filter(|r| r.resource_type == PLUGIN_RESOURCE_TYPE)
        .collect();
    let candidates: Vec<&Resource> = plugins
        .iter()
        .copied()
        .filter(|r| resource_name.is_none_or(|n| n == r.name))
        .filter(|r| {
            let name = resource_name.unwrap_or(&r.name);
            matches(&plugin_identity(name, &component.version, platform), r)
        })
        .collect();
    let wanted = match resource_name {
        Some(name) => format!("{name} on {platform}"),
        None => platform.to_string(),
    };
    match candidates.as_slice() {
        [one] => Ok(one),
        [] => Err(Error::NoMatchingResource {
            component: component.name.clone(),
            version: component.version.clone(),
            wanted,
            available: plugins.iter().map(|r| describe(r)).collect(),
        }),
        several => Err(Error::AmbiguousResource {
            component: component.name.clone(),
            version: component.version.clone(),
            wanted,
            candidates: several
                .iter()
                .map(|r| serde_json::to_string(&r.identity()).unwrap_or_default())
                .collect(),
        }),
    }
}

/// The SHA-256 (hex) a resource's digest names, if it is a blob digest OCM computes over the
/// bytes (`genericBlobDigest/v1`, or an empty normalisation as older descriptors have).
pub fn blob_sha256(resource: &Resource) -> std::result::Result<String, String> {
    match &resource.digest {
        None => Err("no digest".to_owned()),
        Some(d)
            if d.hash_algorithm.eq_ignore_ascii_case("SHA-256")
                && (d.normalisation_algorithm == "genericBlobDigest/v1"
                    || d.normalisation_algorithm.is_empty())
                && d.value.len() == 64
                && d.value.bytes().all(|b| b.is_ascii_hexdigit()) =>
        {
            Ok(d.value.to_ascii_lowercase())
        }
        Some(d) => Err(format!(
            "{} {} {}",
            d.hash_algorithm, d.normalisation_algorithm, d.value
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resource(name: &str, version: &str, os: &str, arch: &str) -> Resource {
        Resource {
            name: name.into(),
            version: version.into(),
            resource_type: PLUGIN_RESOURCE_TYPE.into(),
            relation: "local".into(),
            extra_identity: Some(Identity::from([
                ("os".to_owned(), os.to_owned()),
                ("architecture".to_owned(), arch.to_owned()),
            ])),
            ..Resource::default()
        }
    }

    fn descriptor(resources: Vec<Resource>) -> Descriptor {
        let mut d = Descriptor::default();
        d.component.name = "acme.org/plugins/hello".into();
        d.component.version = "1.0.0".into();
        d.component.resources = Some(resources);
        d
    }

    fn platform(text: &str) -> Platform {
        text.parse().unwrap()
    }

    #[test]
    fn semver_selection() {
        assert_eq!(highest_semver(["1.0.0", "v1.2.0", "1.1.9"]), Some("v1.2.0"));
        assert_eq!(highest_semver(["0.9.0", "1.0.0-alpha"]), Some("0.9.0"));
        assert_eq!(highest_semver(Vec::<&str>::new()), None);
        assert_eq!(highest_semver(["1.0", "main"]), None);
        assert_eq!(highest_semver(["1.0.0+build.2", "1.0.1"]), Some("1.0.1"));
    }

    #[test]
    fn selects_by_platform_as_ocm_does() {
        let mut other_type = resource("hello", "1.0.0", "linux", "amd64");
        other_type.resource_type = "blob".into();
        let d = descriptor(vec![
            other_type,
            resource("hello", "1.0.0", "linux", "amd64"),
            resource("hello", "1.0.0", "linux", "arm64"),
            // No version: its identity has none, so it never matches.
            resource("hello", "", "darwin", "arm64"),
        ]);
        let r = select_plugin_resource(&d, &platform("linux/arm64"), None).unwrap();
        assert_eq!(describe(r), "hello linux/arm64");
        let r = select_plugin_resource(&d, &platform("linux/amd64"), Some("hello")).unwrap();
        assert_eq!(r.resource_type, PLUGIN_RESOURCE_TYPE);

        let e = select_plugin_resource(&d, &platform("darwin/arm64"), None)
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "acme.org/plugins/hello:1.0.0 has no ocmPlugin resource for darwin/arm64; it has: \
             hello linux/amd64, hello linux/arm64, hello darwin/arm64"
        );
        let e = select_plugin_resource(&d, &platform("linux/amd64"), Some("bye"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("for bye on linux/amd64"), "{e}");
        assert!(
            select_plugin_resource(&descriptor(vec![]), &platform("linux/amd64"), None)
                .unwrap_err()
                .to_string()
                .contains("no ocmPlugin resources at all")
        );
    }

    #[test]
    fn several_matches_are_refused() {
        let d = descriptor(vec![
            resource("hello", "1.0.0", "linux", "amd64"),
            resource("hello-debug", "1.0.0", "linux", "amd64"),
        ]);
        let e = select_plugin_resource(&d, &platform("linux/amd64"), None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("several ocmPlugin resources"), "{e}");
        assert!(e.contains("hello-debug"), "{e}");
        assert!(select_plugin_resource(&d, &platform("linux/amd64"), Some("hello-debug")).is_ok());
    }

    #[test]
    fn identity_match_is_a_subset_match() {
        let mut r = resource("hello", "1.0.0", "linux", "amd64");
        r.extra_identity
            .as_mut()
            .unwrap()
            .insert("variant".into(), "musl".into());
        let host = platform("linux/amd64");
        assert!(matches(&plugin_identity("hello", "1.0.0", &host), &r));
        assert!(!matches(&plugin_identity("hello", "1.0.1", &host), &r));
    }

    #[test]
    fn digests() {
        let mut r = resource("hello", "1.0.0", "linux", "amd64");
        assert_eq!(blob_sha256(&r).unwrap_err(), "no digest");
        r.digest = Some(ocm_plugin_manager::types::Digest::generic_blob_sha256(
            "AB".repeat(32),
        ));
        assert_eq!(blob_sha256(&r).unwrap(), "ab".repeat(32));
        r.digest = Some(ocm_plugin_manager::types::Digest::generic_blob_sha256("ab"));
        assert!(blob_sha256(&r).is_err());
    }
}
