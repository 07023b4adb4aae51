//! Signing and verifying a stored component version through the manager, as the signing and
//! the oci scenarios both do: the RSA signing handler's configuration, the published test keys,
//! and the tamper check (change the stored descriptor, verify, put the signed one back).

use anyhow::{Context, Result, bail, ensure};
use ocm_plugin_contracts::component_version_repository::v1 as cvr;
use ocm_plugin_manager::{
    Error as ManagerError, PluginManager,
    signing::{
        ComponentVersionRef, DescriptorError, HashAlgorithm, NormalisationAlgorithm, SignOptions,
        SigningCredentials, Verified,
    },
};
use ocm_plugin_types::{Credentials, Descriptor, Raw, Signature};
use serde_json::json;

use crate::util::raw;

/// A published test key of the RSA example plugin (not a secret anywhere).
pub(crate) const PRIVATE_KEY: &str =
    include_str!("../../rsa-signing-handler/testdata/signer-a.pem");
/// The public half of [`PRIVATE_KEY`] (`openssl pkey -pubout`).
pub(crate) const PUBLIC_KEY: &str =
    include_str!("../../rsa-signing-handler/testdata/signer-a.pub.pem");
/// The public key of another test key (`signer-b.pem`), which verifies nothing signed here.
pub(crate) const OTHER_PUBLIC_KEY: &str =
    include_str!("../../rsa-signing-handler/testdata/signer-b.pub.pem");

/// The signing handler's configuration: `RSASigningConfiguration/v1alpha1`, RSASSA-PSS.
pub(crate) fn rsa_config() -> Result<Raw> {
    raw(json!({"type": "RSASigningConfiguration/v1alpha1", "signatureAlgorithm": "RSASSA-PSS"}))
}

/// Signing handler credentials holding a public key (inline PEM) and nothing else.
pub(crate) fn public_key_only(pem: &str) -> SigningCredentials {
    let mut signer = Credentials::new();
    signer.insert("publicKeyPEM".into(), pem.into());
    SigningCredentials {
        repository: Credentials::new(),
        signer,
    }
}

/// jsonNormalisation/v4alpha1 and SHA-256, as OCM signs by default.
pub(crate) fn options(name: &str, force: bool) -> SignOptions {
    SignOptions {
        name: name.into(),
        normalisation: NormalisationAlgorithm::JsonV4Alpha1,
        hash: HashAlgorithm::Sha256,
        force,
    }
}

/// The stored descriptor of `target`.
pub(crate) async fn get(
    manager: &PluginManager,
    target: &ComponentVersionRef,
    credentials: &Credentials,
) -> Result<Descriptor> {
    let repo = manager
        .component_version_repositories()
        .get(&target.repository)
        .await?;
    repo.get_component_version(
        cvr::GetComponentVersionRequest {
            repository: Some(target.repository.clone()),
            name: target.component.clone(),
            version: target.version.clone(),
        },
        credentials,
    )
    .await
    .with_context(|| format!("reading {}:{}", target.component, target.version))
}

/// Stores `descriptor` over `target` through the repository plugin.
pub(crate) async fn put(
    manager: &PluginManager,
    target: &ComponentVersionRef,
    credentials: &Credentials,
    descriptor: Descriptor,
) -> Result<()> {
    let repo = manager
        .component_version_repositories()
        .get(&target.repository)
        .await?;
    repo.add_component_version(
        cvr::AddComponentVersionRequest {
            repository: target.repository.clone(),
            descriptor,
        },
        credentials,
    )
    .await
    .with_context(|| format!("storing {}:{}", target.component, target.version))
}

/// The signatures named `name` in `descriptor`.
pub(crate) fn signatures_named(descriptor: &Descriptor, name: &str) -> usize {
    descriptor
        .signatures
        .iter()
        .flatten()
        .filter(|s| s.get("name").and_then(serde_json::Value::as_str) == Some(name))
        .count()
}

/// Prints a new signature entry: its name, the digest it signs and the algorithm.
pub(crate) fn print_signed(signature: &Signature) {
    println!(
        "     signature {:?}: digest {} {} {}, {} ({})",
        signature.name,
        signature.digest.normalisation_algorithm,
        signature.digest.hash_algorithm,
        signature.digest.value,
        signature.signature.algorithm,
        signature.signature.media_type
    );
}

/// Prints what was verified, a line per signature.
pub(crate) fn print_verified(verified: &[Verified]) {
    for v in verified {
        println!(
            "     verified signature {:?}: {} {} {}, {}",
            v.name,
            v.digest.normalisation_algorithm,
            v.digest.hash_algorithm,
            v.digest.value,
            v.algorithm
        );
    }
}

/// What a tampered descriptor must do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Expect {
    /// The field is signed: verification fails with a digest mismatch.
    DigestMismatch,
    /// The field is excluded from the digest: the signature still verifies.
    StillVerifies,
}

/// A signed component version and how to verify it.
pub(crate) struct Signed<'a> {
    pub(crate) manager: &'a PluginManager,
    pub(crate) target: &'a ComponentVersionRef,
    pub(crate) verifier: &'a Raw,
    /// Repository credentials and the public key.
    pub(crate) credentials: &'a SigningCredentials,
    /// The signature's name.
    pub(crate) name: &'a str,
}

impl Signed<'_> {
    /// Verifies the signature as stored now.
    pub(crate) async fn verify(&self) -> Result<Vec<Verified>> {
        let verified = self
            .manager
            .verify_component_version(
                self.target,
                self.verifier,
                self.credentials,
                Some(self.name),
            )
            .await
            .with_context(|| {
                format!(
                    "verifying signature {:?} of {}:{}",
                    self.name, self.target.component, self.target.version
                )
            })?;
        ensure!(
            verified.len() == 1 && verified.iter().all(|v| v.name == self.name),
            "expected signature {:?} verified once, got {verified:?}",
            self.name
        );
        Ok(verified)
    }

    /// Reads the stored descriptor, applies `change`, stores it back through the repository
    /// plugin, verifies and checks the outcome is `expect`; then stores the signed descriptor
    /// back and checks it verifies again.
    pub(crate) async fn tamper(
        &self,
        what: &str,
        expect: Expect,
        change: impl FnOnce(&mut Descriptor) -> Result<()>,
    ) -> Result<()> {
        let repo_credentials = &self.credentials.repository;
        let original = get(self.manager, self.target, repo_credentials).await?;
        let mut changed = original.clone();
        change(&mut changed).with_context(|| format!("{what}: changing the descriptor"))?;
        ensure!(changed != original, "{what}: the change changed nothing");
        put(self.manager, self.target, repo_credentials, changed).await?;
        let outcome = self
            .manager
            .verify_component_version(
                self.target,
                self.verifier,
                self.credentials,
                Some(self.name),
            )
            .await;
        match (expect, outcome) {
            (
                Expect::DigestMismatch,
                Err(ManagerError::Descriptor {
                    source: DescriptorError::DigestMismatch { computed, recorded },
                    ..
                }),
            ) => {
                ensure!(
                    computed != recorded,
                    "{what}: a digest mismatch with equal digests {computed}"
                );
                println!(
                    "     {what}: refused, digest mismatch: descriptor {computed} vs signature {recorded}"
                );
            }
            (Expect::DigestMismatch, Ok(verified)) => {
                bail!("{what}: the field is signed, yet the signature verified: {verified:?}")
            }
            (Expect::DigestMismatch, Err(e)) => {
                bail!("{what}: expected a digest mismatch, got: {e}")
            }
            (Expect::StillVerifies, Ok(verified)) => {
                let digests: Vec<&str> = verified.iter().map(|v| v.digest.value.as_str()).collect();
                println!("     {what}: not signed, still verifies (digest {digests:?})");
            }
            (Expect::StillVerifies, Err(e)) => {
                return Err(anyhow::Error::new(e).context(format!(
                    "{what}: the field is excluded from the digest, verification must succeed"
                )));
            }
        }
        put(self.manager, self.target, repo_credentials, original)
            .await
            .with_context(|| format!("{what}: restoring the signed descriptor"))?;
        self.verify()
            .await
            .with_context(|| format!("{what}: the restored descriptor must verify"))?;
        Ok(())
    }
}

/// A tamper: a signing label `acme.org/approved-by` added (part of the digest).
pub(crate) fn add_signing_label(d: &mut Descriptor) -> Result<()> {
    add_label(d, "acme.org/approved-by", "mallory", true);
    Ok(())
}

/// A tamper: the first resource's digest value zeroed (part of the digest).
pub(crate) fn zero_resource_digest(d: &mut Descriptor) -> Result<()> {
    let digest = d
        .component
        .resources
        .as_mut()
        .and_then(|r| r.first_mut())
        .and_then(|r| r.digest.as_mut())
        .context("no resource digest")?;
    digest.value = "00".repeat(32);
    Ok(())
}

/// Adds a label; one without `signing` is left out of the digest.
pub(crate) fn add_label(d: &mut Descriptor, name: &str, value: &str, signing: bool) {
    d.component
        .labels
        .get_or_insert_with(Vec::new)
        .push(ocm_plugin_manager::types::Label {
            name: name.into(),
            value: value.into(),
            signing,
            ..Default::default()
        });
}
