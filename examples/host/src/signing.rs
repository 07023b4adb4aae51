//! The newer plugin kinds together: list the components a directory repository holds
//! (component lister), resolve a signing key and a registry token through the credential plugin
//! (from a private credentials file and from the environment), sign a stored component
//! version's digest with the RSA signing handler, verify the signature, and see a tampered
//! digest refused.

use std::{os::unix::fs::PermissionsExt, path::PathBuf};

use anyhow::{Context, Result, ensure};
use ocm_plugin_contracts::{
    component_lister::v1::ListComponentsRequest,
    component_version_repository::v1 as cvr,
    credential_plugin::v1::{ConsumerIdentityRequest, ResolveRequest},
    signing_handler::v1::{SignIdentityRequest, SignRequest, VerifyRequest},
};

use ocm_plugin_types::{Credentials, Descriptor, Digest, Signature};
use serde_json::json;
use sha2::{Digest as _, Sha256};

use crate::e2e::shut_down_cleanly;
use crate::util::{raw, register_needing, step};

/// A published test key of the RSA example plugin (not a secret anywhere).
const SIGNING_KEY: &str = include_str!("../../rsa-signing-handler/testdata/signer-a.pem");

/// The prefix of the environment variables `cargo xtask e2e` gives the host (and so its
/// plugins) for the environment credential source.
pub(crate) const ENV_PREFIX: &str = "OCM_E2E_REGISTRY_";
pub(crate) async fn run(plugins: PathBuf, work: PathBuf) -> Result<()> {
    let mut n = 0;
    let store = work.join("signing-store");
    std::fs::create_dir_all(&store)?;

    step(
        &mut n,
        &format!("register every plugin in {}", plugins.display()),
    );
    let manager = register_needing(
        &plugins,
        &[
            "directory-repository",
            "rsa-signing-handler",
            "local-credentials",
        ],
    )
    .await?;

    step(
        &mut n,
        "store three component versions, then list the components",
    );
    let repo_spec = raw(json!({"type": "DirectoryRepository/v1", "path": store}))?;
    let repo = manager
        .component_version_repositories()
        .get(&repo_spec)
        .await?;
    for (name, version) in [
        ("acme.org/signed", "1.0.0"),
        ("acme.org/other", "2.0.0"),
        ("acme.org/signed", "1.1.0"),
    ] {
        let mut d = Descriptor::default();
        d.meta.schema_version = "v2".into();
        d.component.name = name.into();
        d.component.version = version.into();
        d.component.provider = "acme.org".into();
        repo.add_component_version(
            cvr::AddComponentVersionRequest {
                repository: repo_spec.clone(),
                descriptor: d,
            },
            &Credentials::new(),
        )
        .await?;
    }
    let lister = manager.component_listers().get(&repo_spec).await?;
    let page = lister
        .list_components(
            ListComponentsRequest {
                repository: repo_spec.clone(),
                last: String::new(),
            },
            &Credentials::new(),
        )
        .await?;
    println!(
        "     components: {:?} (more pages: {})",
        page.list,
        page.header.is_some()
    );
    ensure!(
        page.list == ["acme.org/other", "acme.org/signed"] && page.header.is_none(),
        "unexpected listing {page:?}"
    );
    ensure!(
        manager
            .plugin("directory-repository")
            .map(|p| p.spawn_count())
            == Some(1),
        "the repository and the lister share one process"
    );

    step(
        &mut n,
        "credential plugin (CredentialsFile/v1): resolve the signing key from a 0600 file",
    );
    let key_file = work.join("signer.pem");
    std::fs::write(&key_file, SIGNING_KEY)?;
    std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o600))?;
    let credentials_file = work.join("credentials.json");
    std::fs::write(
        &credentials_file,
        serde_json::to_vec(&json!({"signing": {"privateKeyPEMFile": key_file}}))?,
    )?;
    std::fs::set_permissions(&credentials_file, std::fs::Permissions::from_mode(0o600))?;
    let file_spec =
        raw(json!({"type": "CredentialsFile/v1", "path": credentials_file, "entry": "signing"}))?;
    let credential_plugin = manager.credential_plugins().get(&file_spec).await?;
    let identity = credential_plugin
        .consumer_identity(ConsumerIdentityRequest {
            credential: file_spec,
        })
        .await?;
    println!("     consumer identity {identity:?}");
    let signing_credentials = credential_plugin
        .resolve(ResolveRequest { identity }, &Credentials::new())
        .await?;
    println!(
        "     resolved {} credentials with {:?}",
        signing_credentials.credential_type().unwrap_or("untyped"),
        signing_credentials.keys().collect::<Vec<_>>()
    );
    ensure!(
        signing_credentials.contains_key("privateKeyPEMFile"),
        "the key file was not resolved"
    );

    step(
        &mut n,
        &format!("credential plugin (EnvironmentCredentials/v1): resolve {ENV_PREFIX}* variables"),
    );
    let env_spec = raw(json!({"type": "EnvironmentCredentials/v1", "prefix": ENV_PREFIX}))?;
    let env_plugin = manager.credential_plugins().get(&env_spec).await?;
    let identity = env_plugin
        .consumer_identity(ConsumerIdentityRequest {
            credential: env_spec,
        })
        .await?;
    let token = env_plugin
        .resolve(ResolveRequest { identity }, &Credentials::new())
        .await?;
    println!(
        "     resolved properties {:?} (values not shown)",
        token.keys().collect::<Vec<_>>()
    );
    ensure!(
        token.contains_key("token"),
        "no token resolved from the environment"
    );

    step(
        &mut n,
        "signing handler (RSASigningConfiguration/v1alpha1): sign the stored descriptor's SHA-256",
    );
    let stored = repo
        .get_component_version(
            cvr::GetComponentVersionRequest {
                repository: Some(repo_spec.clone()),
                name: "acme.org/signed".into(),
                version: "1.1.0".into(),
            },
            &Credentials::new(),
        )
        .await?;
    // The digest of the descriptor as stored (compact JSON); OCM's normalisation is not
    // implemented here, so the normalisation is named for what it is.
    let digest = Digest {
        hash_algorithm: "SHA-256".into(),
        normalisation_algorithm: "none".into(),
        value: Sha256::digest(serde_json::to_vec(&stored)?)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect(),
        extra: Default::default(),
    };
    let config = raw(
        json!({"type": "RSASigningConfiguration/v1alpha1", "signatureAlgorithm": "RSASSA-PSS"}),
    )?;
    let signer = manager.signing_handlers().get(&config).await?;
    let signer_identity = signer
        .get_signing_identity(SignIdentityRequest {
            digest: digest.clone(),
            config: config.clone(),
            name: "acme-release".into(),
        })
        .await?;
    println!(
        "     signing credentials belong to {:?}",
        signer_identity.identity
    );
    let signed = signer
        .sign(
            SignRequest {
                digest: digest.clone(),
                config: config.clone(),
            },
            &signing_credentials,
        )
        .await?;
    println!(
        "     {} signature, {} ({} hex digits)",
        signed.signature.algorithm,
        signed.signature.media_type,
        signed.signature.value.len()
    );

    step(&mut n, "verify the signature, then a tampered digest");
    let signature = Signature {
        name: "acme-release".into(),
        digest: digest.clone(),
        signature: signed.signature.clone(),
        extra: Default::default(),
    };
    signer
        .verify(
            VerifyRequest {
                signature: signature.clone(),
                config: config.clone(),
            },
            &signing_credentials,
        )
        .await
        .context("the signature must verify")?;
    let mut tampered = signature;
    tampered.digest.value = "00".repeat(32);
    let refused = signer
        .verify(
            VerifyRequest {
                signature: tampered,
                config,
            },
            &signing_credentials,
        )
        .await;
    let err = refused.err().context("a tampered digest must not verify")?;
    println!("     verified; tampered digest refused: {err}");
    ensure!(
        err.to_string().contains("signature verification failed"),
        "unexpected refusal {err}"
    );

    step(&mut n, "shut down: no plugin process, no temp file left");
    shut_down_cleanly(&manager, &plugins).await?;
    println!("signing: all {n} steps passed");
    Ok(())
}
