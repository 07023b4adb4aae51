//! The newer plugin kinds together, and component-version signing as OCM does it: list the
//! components a directory repository holds (component lister), resolve a signing key and a
//! registry token through the credential plugin (from a private credentials file and from the
//! environment), then sign a component version of the directory store through the manager
//! (jsonNormalisation/v4alpha1, SHA-256, the RSA signing handler), verify it with the public
//! key alone, and tamper with the stored descriptor: signed fields changed are refused with a
//! digest mismatch, excluded fields changed still verify.

use std::{os::unix::fs::PermissionsExt, path::PathBuf};

use anyhow::{Context, Result, bail, ensure};
use ocm_plugin_contracts::{
    component_lister::v1::ListComponentsRequest,
    component_version_repository::v1 as cvr,
    credential_plugin::v1::{ConsumerIdentityRequest, ResolveRequest},
    signing_handler::v1::SignIdentityRequest,
};
use ocm_plugin_manager::{
    Error as ManagerError,
    signing::{
        self, ComponentVersionRef, DescriptorError, HashAlgorithm, NormalisationAlgorithm,
        SigningCredentials,
    },
};
use ocm_plugin_types::{Credentials, Descriptor, Label, Location, Raw, Resource};
use serde_json::json;

use crate::e2e::shut_down_cleanly;
use crate::sign::{self, Expect, rsa_config};
use crate::util::{raw, register_needing, step};

/// The name of the signature the scenario writes.
const SIGNATURE: &str = "acme-release";

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
    std::fs::write(&key_file, sign::PRIVATE_KEY)?;
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

    let target = ComponentVersionRef {
        repository: repo_spec.clone(),
        component: "acme.org/signed".into(),
        version: "1.1.0".into(),
    };
    let config = rsa_config()?;
    step(
        &mut n,
        "directory repository: add a local resource (the store digests it) and two labels to acme.org/signed 1.1.0",
    );
    let blob = std::path::absolute(work.join("signed-config.json"))?;
    std::fs::write(&blob, br#"{"replicas":3}"#)?;
    let resource = Resource {
        name: "config".into(),
        version: "1.1.0".into(),
        resource_type: "blob".into(),
        relation: "local".into(),
        ..Resource::default()
    };
    let mut location = Location::local_file(blob.to_string_lossy());
    location.media_type = Some("application/json".into());
    let added = repo
        .add_local_resource(
            cvr::AddLocalResourceRequest {
                repository: repo_spec.clone(),
                name: target.component.clone(),
                version: target.version.clone(),
                resource_location: location,
                resource,
            },
            &Credentials::new(),
        )
        .await?;
    let resource_digest = added
        .digest
        .clone()
        .context("the directory store must digest a local resource")?;
    println!(
        "     resource {:?}: access {}, digest {}:{}",
        added.name,
        added.access.as_ref().map(Raw::to_json).unwrap_or_default(),
        resource_digest.hash_algorithm,
        resource_digest.value
    );
    let mut stored = sign::get(&manager, &target, &Credentials::new()).await?;
    stored.component.labels = Some(vec![
        Label {
            name: "acme.org/channel".into(),
            value: json!("stable"),
            signing: true,
            ..Label::default()
        },
        Label {
            name: "acme.org/build-host".into(),
            value: json!("ci-7"),
            ..Label::default()
        },
    ]);
    ensure!(
        stored
            .component
            .resources
            .as_deref()
            .is_some_and(|r| r.len() == 1 && r[0].digest.is_some() && r[0].access.is_some()),
        "the descriptor must list the local resource with access and digest: {:?}",
        stored.component.resources
    );
    sign::put(&manager, &target, &Credentials::new(), stored.clone()).await?;
    println!("     labels acme.org/channel (signing: true), acme.org/build-host (not signed)");

    step(
        &mut n,
        "signing handler (RSASigningConfiguration/v1alpha1): the signing identity for the descriptor's digest",
    );
    let expected_digest = signing::digest(
        &serde_json::to_value(&stored)?,
        NormalisationAlgorithm::JsonV4Alpha1,
        HashAlgorithm::Sha256,
    )
    .context("digesting the stored descriptor")?;
    let signer = manager.signing_handlers().get(&config).await?;
    let signer_identity = signer
        .get_signing_identity(SignIdentityRequest {
            digest: expected_digest.clone(),
            config: config.clone(),
            name: SIGNATURE.into(),
        })
        .await?;
    println!(
        "     signing credentials belong to {:?}",
        signer_identity.identity
    );

    step(
        &mut n,
        &format!(
            "manager: sign acme.org/signed 1.1.0 as {SIGNATURE:?} (jsonNormalisation/v4alpha1, SHA-256) with the resolved key"
        ),
    );
    let sign_credentials = SigningCredentials {
        repository: Credentials::new(),
        signer: signing_credentials,
    };
    let signature = manager
        .sign_component_version(
            &target,
            &config,
            &sign_credentials,
            &sign::options(SIGNATURE, false),
        )
        .await
        .context("signing acme.org/signed 1.1.0")?;
    sign::print_signed(&signature);
    ensure!(
        signature.digest.normalisation_algorithm == "jsonNormalisation/v4alpha1"
            && signature.digest.hash_algorithm == "SHA-256"
            && signature.digest.value == expected_digest.value,
        "the signed digest {:?} differs from the one computed here {expected_digest:?}",
        signature.digest
    );
    let signed = sign::get(&manager, &target, &Credentials::new()).await?;
    ensure!(
        sign::signatures_named(&signed, SIGNATURE) == 1
            && signed.signatures.as_ref().map(Vec::len) == Some(1),
        "the stored descriptor must carry exactly the one signature, has {:?}",
        signed.signatures
    );

    step(
        &mut n,
        "manager: verify it with the PUBLIC key only, then with another key",
    );
    let public = sign::public_key_only(sign::PUBLIC_KEY);
    ensure!(
        public.signer.keys().all(|k| !k.contains("private")),
        "the verifier must hold no private key"
    );
    let checked = sign::Signed {
        manager: &manager,
        target: &target,
        verifier: &config,
        credentials: &public,
        name: SIGNATURE,
    };
    let verified = checked.verify().await?;
    sign::print_verified(&verified);
    ensure!(
        verified
            .iter()
            .all(|v| v.digest == signature.digest && v.algorithm == "RSASSA-PSS"),
        "verified {verified:?}, signed {signature:?}"
    );
    let other = manager
        .verify_component_version(
            &target,
            &config,
            &sign::public_key_only(sign::OTHER_PUBLIC_KEY),
            Some(SIGNATURE),
        )
        .await;
    match other {
        Err(ManagerError::SignatureInvalid { source, .. }) => {
            println!(
                "     another public key: refused, signature invalid: {}",
                source.to_string().trim_end()
            );
        }
        Ok(v) => bail!("another key's public key verified the signature: {v:?}"),
        Err(e) => bail!("another public key: expected SignatureInvalid, got: {e}"),
    }

    step(
        &mut n,
        &format!("sign again as {SIGNATURE:?}: refused without force, replaced with force"),
    );
    match manager
        .sign_component_version(
            &target,
            &config,
            &sign_credentials,
            &sign::options(SIGNATURE, false),
        )
        .await
    {
        Err(e @ ManagerError::SignatureExists { .. }) => println!("     without force: {e}"),
        Ok(s) => bail!("signing twice as {SIGNATURE:?} without force succeeded: {s:?}"),
        Err(e) => bail!("signing twice without force: expected SignatureExists, got: {e}"),
    }
    let replaced = manager
        .sign_component_version(
            &target,
            &config,
            &sign_credentials,
            &sign::options(SIGNATURE, true),
        )
        .await
        .context("signing again with force")?;
    let resigned = sign::get(&manager, &target, &Credentials::new()).await?;
    let count = sign::signatures_named(&resigned, SIGNATURE);
    println!(
        "     with force: {count} signature named {SIGNATURE:?}, same digest, new RSASSA-PSS value"
    );
    ensure!(
        count == 1 && resigned.signatures.as_ref().map(Vec::len) == Some(1),
        "after force the descriptor must hold one signature, has {:?}",
        resigned.signatures
    );
    ensure!(
        replaced.digest == signature.digest
            && replaced.signature.value != signature.signature.value,
        "force must replace the signature value (PSS is randomised) over the same digest"
    );
    checked.verify().await?;

    step(
        &mut n,
        "tamper (a): change the resource's digest value, store it back, verify",
    );
    checked
        .tamper(
            "resource digest changed",
            Expect::DigestMismatch,
            sign::zero_resource_digest,
        )
        .await?;

    step(
        &mut n,
        "tamper (b): alter the signing label, then add another signing label, verify each",
    );
    checked
        .tamper("signing label altered", Expect::DigestMismatch, |d| {
            let label = d
                .component
                .labels
                .iter_mut()
                .flatten()
                .find(|l| l.signing)
                .context("no signing label")?;
            label.value = json!("beta");
            Ok(())
        })
        .await?;
    checked
        .tamper(
            "signing label added",
            Expect::DigestMismatch,
            sign::add_signing_label,
        )
        .await?;

    step(
        &mut n,
        "tamper (c): add a repositoryContexts entry (excluded from the digest), verify",
    );
    checked
        .tamper(
            "repositoryContexts entry added",
            Expect::StillVerifies,
            |d| {
                d.component
                    .repository_contexts
                    .get_or_insert_with(Vec::new)
                    .push(raw(
                        json!({"type": "OCIRegistry", "baseUrl": "ghcr.io", "subPath": "acme"}),
                    )?);
                Ok(())
            },
        )
        .await?;

    step(
        &mut n,
        "tamper (d): add a label without signing, alter the unsigned one, verify",
    );
    checked
        .tamper("unsigned label added", Expect::StillVerifies, |d| {
            sign::add_label(d, "acme.org/note", "rebuilt", false);
            Ok(())
        })
        .await?;
    checked
        .tamper("unsigned label altered", Expect::StillVerifies, |d| {
            let label = d
                .component
                .labels
                .iter_mut()
                .flatten()
                .find(|l| !l.signing)
                .context("no unsigned label")?;
            label.value = json!("ci-8");
            Ok(())
        })
        .await?;

    step(
        &mut n,
        "a resource with access but no digest: acme.org/other 2.0.0 refused as not safely digestible",
    );
    let unsafe_target = ComponentVersionRef {
        repository: repo_spec.clone(),
        component: "acme.org/other".into(),
        version: "2.0.0".into(),
    };
    let mut undigested = sign::get(&manager, &unsafe_target, &Credentials::new()).await?;
    let image = Resource {
        name: "image".into(),
        version: "2.0.0".into(),
        resource_type: "ociImage".into(),
        relation: "external".into(),
        access: Some(raw(
            json!({"type": "ociArtifact/v1", "imageReference": "ghcr.io/acme/other:2.0.0"}),
        )?),
        ..Resource::default()
    };
    undigested.component.resources = Some(vec![image]);
    sign::put(&manager, &unsafe_target, &Credentials::new(), undigested).await?;
    match manager
        .sign_component_version(
            &unsafe_target,
            &config,
            &sign_credentials,
            &sign::options(SIGNATURE, false),
        )
        .await
    {
        Err(ManagerError::Descriptor {
            source: source @ DescriptorError::NotSafelyDigestible(_),
            ..
        }) => println!("     refused: {source}"),
        Ok(s) => bail!("a resource without digest was signed: {s:?}"),
        Err(e) => bail!("expected NotSafelyDigestible, got: {e}"),
    }
    let left = sign::get(&manager, &unsafe_target, &Credentials::new()).await?;
    ensure!(
        left.signatures.as_ref().is_none_or(Vec::is_empty),
        "a refused signing must store nothing"
    );

    step(&mut n, "shut down: no plugin process, no temp file left");
    shut_down_cleanly(&manager, &plugins).await?;
    println!("signing: all {n} steps passed");
    Ok(())
}
