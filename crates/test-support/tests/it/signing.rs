//! Signing and verifying component versions end to end: `ocm-plugin sign`, `verify` and
//! `digest` over a directory repository plugin and the RSA signing-handler plugin, and the
//! manager's refusal to store a descriptor OCM cannot read.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use ocm_plugin_manager::PluginManager;
use ocm_plugin_manager::contracts::component_version_repository::v1::{
    AddComponentVersionRequest, GetComponentVersionRequest,
};
use ocm_plugin_test_support::PluginDir;
use ocm_plugin_types::{Credentials, Descriptor};
use serde_json::{Value, json};

use crate::{cli, directory_repository, options, rsa_signing_handler, spec};

const PRIVATE_KEY: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../examples/rsa-signing-handler/testdata/signer-a.pem"
);
const PUBLIC_KEY: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../examples/rsa-signing-handler/testdata/signer-a.pub.pem"
);

/// A plugin directory with the directory repository and the RSA handler, a store, and
/// credential files for the private and the public key.
pub(crate) struct Setup {
    pub(crate) plugins: PluginDir,
    pub(crate) store: tempfile::TempDir,
    pub(crate) private: PathBuf,
    pub(crate) public: PathBuf,
}

impl Setup {
    pub(crate) fn new() -> Self {
        Self::with_keys(Path::new(PRIVATE_KEY), Path::new(PUBLIC_KEY))
    }

    pub(crate) fn with_keys(private_key: &Path, public_key: &Path) -> Self {
        let plugins = PluginDir::new().unwrap();
        plugins
            .add("directory-repository", &directory_repository())
            .unwrap();
        plugins
            .add("rsa-signing-handler", &rsa_signing_handler())
            .unwrap();
        let store = tempfile::tempdir().unwrap();
        let private = store.path().join("private.json");
        std::fs::write(
            &private,
            json!({"privateKeyPEMFile": private_key}).to_string(),
        )
        .unwrap();
        let public = store.path().join("public.json");
        std::fs::write(&public, json!({"publicKeyPEMFile": public_key}).to_string()).unwrap();
        Self {
            plugins,
            store,
            private,
            public,
        }
    }

    pub(crate) fn repository(&self) -> String {
        json!({"type": "DirectoryRepository/v1", "path": self.store.path().join("repo")})
            .to_string()
    }

    /// `ocm-plugin <verb> <plugins> --repository … --component … --version …`.
    pub(crate) fn cmd(&self, verb: &str, component: &str, version: &str) -> Command {
        let mut c = Command::new(cli());
        c.arg(verb)
            .arg(self.plugins.path())
            .args(["--repository", &self.repository()])
            .args(["--component", component, "--version", version])
            .arg("--no-cache")
            .env_remove("OCM_PLUGIN_CREDENTIALS");
        c
    }

    /// Stores a descriptor through the repository plugin.
    pub(crate) fn store(&self, descriptor: &Value) {
        Command::new(cli())
            .arg("call")
            .arg(self.plugins.path())
            .args(["component-version-repository", "add-component-version"])
            .args(["--spec", &self.repository()])
            .args(["--descriptor", &descriptor.to_string()])
            .arg("--no-cache")
            .assert()
            .success();
    }

    /// Reads a descriptor back through the repository plugin.
    pub(crate) fn read(&self, component: &str, version: &str) -> Value {
        let out = Command::new(cli())
            .arg("call")
            .arg(self.plugins.path())
            .args(["component-version-repository", "get-component-version"])
            .args(["--spec", &self.repository(), "--json"])
            .args(["--name", component, "--version", version])
            .arg("--no-cache")
            .assert()
            .success();
        serde_json::from_slice(&out.get_output().stdout).unwrap()
    }
}

fn descriptor(name: &str) -> Value {
    json!({
        "meta": {"schemaVersion": "v2"},
        "component": {
            "name": name,
            "version": "1.0.0",
            "provider": "acme.org",
            "labels": [
                {"name": "tier", "value": "gold", "signing": true},
                {"name": "note", "value": "unsigned"}
            ],
            "repositoryContexts": [],
            "resources": [{
                "name": "image", "version": "1.0.0", "type": "ociImage", "relation": "external",
                "access": {"type": "ociArtifact", "imageReference": "ghcr.io/acme/image:1.0.0"},
                "digest": {"hashAlgorithm": "SHA-256", "normalisationAlgorithm": "ociArtifactDigest/v1",
                           "value": "1111111111111111111111111111111111111111111111111111111111111111"}
            }],
            "sources": [],
            "componentReferences": []
        }
    })
}

fn stderr(out: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&out.get_output().stderr).into_owned()
}

#[test]
fn sign_and_verify_through_the_cli_and_see_tampering_refused() {
    let s = Setup::new();
    s.store(&descriptor("acme.org/signed"));

    let signed = s
        .cmd("sign", "acme.org/signed", "1.0.0")
        .args(["--signature", "release", "--json"])
        .arg("--credentials-file")
        .arg(&s.private)
        .assert()
        .success();
    let entry: Value = serde_json::from_slice(&signed.get_output().stdout).unwrap();
    assert_eq!(entry["name"], "release");
    assert_eq!(
        entry["digest"]["normalisationAlgorithm"],
        "jsonNormalisation/v4alpha1"
    );
    assert_eq!(entry["signature"]["algorithm"], "RSASSA-PSS");
    let stored = s.read("acme.org/signed", "1.0.0");
    assert_eq!(
        stored["signatures"][0], entry,
        "the entry is stored as printed"
    );

    // Verified with the public key only.
    let verified = s
        .cmd("verify", "acme.org/signed", "1.0.0")
        .args(["--json"])
        .arg("--credentials-file")
        .arg(&s.public)
        .assert()
        .success();
    let verified: Value = serde_json::from_slice(&verified.get_output().stdout).unwrap();
    assert_eq!(verified[0]["name"], "release");
    assert_eq!(verified[0]["verified"], true);

    // The same name again: refused without --force, replaced with it.
    let again = s
        .cmd("sign", "acme.org/signed", "1.0.0")
        .args(["--signature", "release"])
        .arg("--credentials-file")
        .arg(&s.private)
        .assert()
        .code(1);
    assert!(
        stderr(&again).contains("already exists"),
        "{}",
        stderr(&again)
    );
    s.cmd("sign", "acme.org/signed", "1.0.0")
        .args(["--signature", "release", "--force", "--hash", "SHA-512"])
        .arg("--credentials-file")
        .arg(&s.private)
        .assert()
        .success();
    let stored = s.read("acme.org/signed", "1.0.0");
    let signatures = stored["signatures"].as_array().unwrap();
    assert_eq!(signatures.len(), 1);
    assert_eq!(signatures[0]["digest"]["hashAlgorithm"], "SHA-512");

    // An unknown name lists the names there are (exit 4).
    let missing = s
        .cmd("verify", "acme.org/signed", "1.0.0")
        .args(["--signature", "nope"])
        .arg("--credentials-file")
        .arg(&s.public)
        .assert()
        .code(4);
    assert!(stderr(&missing).contains("release"), "{}", stderr(&missing));

    // Excluded fields change: still verified.
    let mut changed = stored.clone();
    changed["component"]["repositoryContexts"] =
        json!([{"type": "OCIRepository/v1", "baseUrl": "ghcr.io"}]);
    changed["component"]["labels"]
        .as_array_mut()
        .unwrap()
        .push(json!({"name": "added", "value": 1}));
    changed["component"]["resources"][0]["access"]["imageReference"] =
        "other.io/acme/image:1.0.0".into();
    s.store(&changed);
    s.cmd("verify", "acme.org/signed", "1.0.0")
        .arg("--credentials-file")
        .arg(&s.public)
        .assert()
        .success();

    // Signed fields change: refused with both digests (exit 4).
    for tamper in [
        json!({"resourceDigest": "2222222222222222222222222222222222222222222222222222222222222222"}),
        json!({"signedLabel": {"name": "tier", "value": "silver", "signing": true}}),
    ] {
        let mut changed = stored.clone();
        if let Some(value) = tamper.get("resourceDigest") {
            changed["component"]["resources"][0]["digest"]["value"] = value.clone();
        }
        if let Some(label) = tamper.get("signedLabel") {
            changed["component"]["labels"][0] = label.clone();
        }
        s.store(&changed);
        let refused = s
            .cmd("verify", "acme.org/signed", "1.0.0")
            .arg("--credentials-file")
            .arg(&s.public)
            .assert()
            .code(4);
        let err = stderr(&refused);
        assert!(
            err.contains("digest mismatch: descriptor") && err.contains(" vs signature "),
            "{tamper}: {err}"
        );
    }

    // The wrong public key: the digest matches, the handler refuses (exit 4).
    s.store(&stored);
    let other = s.store.path().join("other.json");
    let other_key = s.store.path().join("other.pub.pem");
    let private_b = Path::new(PRIVATE_KEY).with_file_name("signer-b.pem");
    std::fs::write(&other_key, std::fs::read(private_b).unwrap()).unwrap();
    std::fs::write(&other, json!({"privateKeyPEMFile": other_key}).to_string()).unwrap();
    let wrong = s
        .cmd("verify", "acme.org/signed", "1.0.0")
        .arg("--credentials-file")
        .arg(&other)
        .assert()
        .code(4);
    assert!(stderr(&wrong).contains("is invalid"), "{}", stderr(&wrong));
}

#[test]
fn signing_refuses_a_descriptor_that_is_not_safely_digestible() {
    let s = Setup::new();
    let mut d = descriptor("acme.org/unsafe");
    d["component"]["resources"][0]
        .as_object_mut()
        .unwrap()
        .remove("digest");
    s.store(&d);
    let out = s
        .cmd("sign", "acme.org/unsafe", "1.0.0")
        .arg("--credentials-file")
        .arg(&s.private)
        .assert()
        .code(1);
    assert!(
        stderr(&out).contains("missing digest in resource for image:1.0.0"),
        "{}",
        stderr(&out)
    );
    // Nothing was stored: the descriptor has no signature.
    assert!(
        s.read("acme.org/unsafe", "1.0.0")
            .get("signatures")
            .is_none()
    );
}

#[test]
fn digest_prints_the_spec_or_the_normalised_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("cd.yaml");
    std::fs::write(
        &file,
        "meta: {schemaVersion: v2}\ncomponent:\n  name: acme.org/app\n  version: 1.0.0\n  \
         provider: acme.org\n  labels:\n  - {name: ok, value: yes, signing: true}\n",
    )
    .unwrap();
    let normalised = Command::new(cli())
        .args(["digest", "--print-normalised", "--descriptor"])
        .arg(&file)
        .assert()
        .success();
    let bytes = normalised.get_output().stdout.clone();
    assert_eq!(
        String::from_utf8(bytes.clone()).unwrap(),
        r#"{"component":{"componentReferences":[],"labels":[{"name":"ok","signing":true,"value":true}],"name":"acme.org/app","provider":{"name":"acme.org"},"resources":[],"sources":[],"version":"1.0.0"}}"#
    );
    let spec = Command::new(cli())
        .args(["digest", "--hash", "sha-512", "--descriptor"])
        .arg(&file)
        .assert()
        .success();
    let spec: Value = serde_json::from_slice(&spec.get_output().stdout).unwrap();
    assert_eq!(spec["hashAlgorithm"], "SHA-512");
    assert_eq!(spec["normalisationAlgorithm"], "jsonNormalisation/v4alpha1");
    use sha2::Digest as _;
    assert_eq!(spec["value"], hex::encode(sha2::Sha512::digest(&bytes)));

    for verb in ["sign", "verify", "digest"] {
        let help = Command::new(cli())
            .args([verb, "--help"])
            .assert()
            .success();
        let help = String::from_utf8_lossy(&help.get_output().stdout).into_owned();
        assert!(
            help.contains("Exit status:") && help.contains("4 `verify`"),
            "{verb}: {help}"
        );
    }
    let bad = Command::new(cli())
        .args(["digest", "--hash", "SHA256", "--descriptor"])
        .arg(&file)
        .assert()
        .code(1);
    assert!(stderr(&bad).contains("unsupported hash algorithm \"SHA256\""));
}

/// A descriptor OCM cannot read is refused on write by the manager, and by the SDK's server
/// for a client that does not check (here: a raw HTTP body through the CLI's call).
#[tokio::test]
async fn a_descriptor_ocm_cannot_read_is_never_stored() {
    let plugins = PluginDir::new().unwrap();
    plugins
        .add("directory-repository", &directory_repository())
        .unwrap();
    let store = tempfile::tempdir().unwrap();
    let manager = PluginManager::new().unwrap();
    manager
        .register_plugins(plugins.path(), options())
        .await
        .unwrap();
    let repo_spec =
        spec(&json!({"type": "DirectoryRepository/v1", "path": store.path()}).to_string());
    let repo = manager
        .component_version_repositories()
        .get(&repo_spec)
        .await
        .unwrap();
    for (field, bad) in [
        ("component.provider", json!({"name": "acme.org"})),
        ("component.labels[0].signing", json!("acme.org")),
    ] {
        let mut d = descriptor("acme.org/bad");
        if field == "component.provider" {
            d["component"]["provider"] = bad;
        } else {
            d["component"]["labels"][0]["signing"] = json!("true");
        }
        // Our struct keeps the string `"true"` out (it is a bool), so send the raw JSON value
        // where the struct cannot carry it.
        let Ok(descriptor) = serde_json::from_value::<Descriptor>(d.clone()) else {
            let out = Command::new(cli())
                .arg("call")
                .arg(plugins.path())
                .args(["component-version-repository", "add-component-version"])
                .args(["--spec", &repo_spec.to_value().to_string()])
                .args(["--descriptor", &d.to_string()])
                .arg("--no-cache")
                .assert()
                .failure();
            assert!(stderr(&out).contains("signing"), "{}", stderr(&out));
            continue;
        };
        let err = repo
            .add_component_version(
                AddComponentVersionRequest {
                    repository: repo_spec.clone(),
                    descriptor,
                },
                &Credentials::new(),
            )
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains(field), "{field}: {err}");
    }
    let mut no_name = descriptor("");
    no_name["component"]["name"] = "".into();
    let err = repo
        .add_component_version(
            AddComponentVersionRequest {
                repository: repo_spec.clone(),
                descriptor: serde_json::from_value(no_name).unwrap(),
            },
            &Credentials::new(),
        )
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("component.name"), "{err}");
    // Nothing reached the store.
    let read = repo
        .get_component_version(
            GetComponentVersionRequest {
                repository: Some(repo_spec.clone()),
                name: "acme.org/bad".into(),
                version: "1.0.0".into(),
            },
            &Credentials::new(),
        )
        .await;
    assert!(read.is_err(), "nothing was stored: {read:?}");
    manager.shutdown().await.unwrap();
}
