//! Rules an implementation's answer must keep that managers rely on without checking: what
//! `Operation::check_answer` applies (the SDK runs it in debug builds and under its
//! `TestClient`). Each rule returns the message naming the offending field.

use ocm_plugin_types::{Digest, Location, LocationType, Raw};

/// A location a manager can read: a known type and a value; file and pipe locations are
/// absolute paths (the manager reads them from another working directory).
pub(crate) fn location(location: &Location) -> Result<(), String> {
    if location.value.is_empty() {
        return Err("`location.value` is empty".to_owned());
    }
    match &location.location_type {
        LocationType::LocalFile | LocationType::UnixNamedPipe
            if !location.value.starts_with('/') =>
        {
            Err(format!(
                "`location.value` {:?} is not an absolute path",
                location.value
            ))
        }
        LocationType::Other(other) => Err(format!(
            "`location.type` {other:?} is none of localFile, unixNamedPipe, remoteURL"
        )),
        _ => Ok(()),
    }
}

/// An access is a typed object; a local blob's `localReference` names the blob in its
/// component version (`sha256:<hex>` as OCM writes it), never a path on the plugin's machine.
pub(crate) fn access(field: &str, access: Option<&Raw>) -> Result<(), String> {
    let Some(access) = access else {
        return Ok(());
    };
    let Some(typ) = access.type_() else {
        return Err(format!(
            "`{field}` has no `type`: it must be a typed object"
        ));
    };
    if typ.name().eq_ignore_ascii_case("localBlob") {
        match access.get("localReference").and_then(|v| v.as_str()) {
            None | Some("") => {
                return Err(format!("`{field}` ({typ}) has no `localReference`"));
            }
            Some(reference) if reference.starts_with('/') => {
                return Err(format!(
                    "`{field}.localReference` {reference:?} is a path; a local blob is referred \
                     to by its digest (`sha256:<hex>`)"
                ));
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// A digest names its hash and normalisation algorithms and has a value.
pub(crate) fn digest(field: &str, digest: Option<&Digest>) -> Result<(), String> {
    let Some(digest) = digest else {
        return Ok(());
    };
    for (name, value) in [
        ("hashAlgorithm", &digest.hash_algorithm),
        ("normalisationAlgorithm", &digest.normalisation_algorithm),
        ("value", &digest.value),
    ] {
        if value.is_empty() {
            return Err(format!("`{field}.{name}` is empty"));
        }
    }
    Ok(())
}

/// A returned artifact is named.
pub(crate) fn named(field: &str, name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err(format!("`{field}.name` is empty"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_rule_names_the_field_it_breaks() -> Result<(), Box<dyn std::error::Error>> {
        let relative = Location::local_file("blob");
        assert!(
            location(&relative)
                .unwrap_err()
                .contains("not an absolute path")
        );
        assert!(location(&Location::local_file("/tmp/blob")).is_ok());
        let untyped = Raw::from_json(r#"{"localReference":"sha256:00"}"#)?;
        assert!(
            access("resource.access", Some(&untyped))
                .unwrap_err()
                .contains("no `type`")
        );
        let path = Raw::from_json(r#"{"type":"localBlob/v1","localReference":"/tmp/x"}"#)?;
        let e = access("resource.access", Some(&path)).unwrap_err();
        assert!(e.contains("resource.access.localReference"), "{e}");
        let good = Raw::from_json(r#"{"type":"localBlob/v1","localReference":"sha256:00"}"#)?;
        assert!(access("resource.access", Some(&good)).is_ok());
        let no_algorithm = Digest {
            value: "00".into(),
            ..Digest::default()
        };
        let e = digest("resource.digest", Some(&no_algorithm)).unwrap_err();
        assert!(e.contains("resource.digest.hashAlgorithm"), "{e}");
        assert!(digest("resource.digest", Some(&Digest::generic_blob_sha256("00"))).is_ok());
        Ok(())
    }
}
