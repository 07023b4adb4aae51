//! Signing and verifying component versions: a component version repository plugin holds the
//! descriptor, [`ocm_plugin_signing`] computes its digest exactly as OCM's Go code does, and a
//! signing-handler plugin signs or verifies that digest.
//!
//! The signatures are the ones OCM's `ocm sign cv` writes: a `signatures[]` entry with the
//! signature's name, the digest spec (`jsonNormalisation/v4alpha1`, SHA-256 by default) and
//! the handler's signature. A component version signed here verifies with OCM's tools and the
//! other way round.

use ocm_plugin_contracts::{
    component_version_repository::v1::{
        AddComponentVersionRequest, ComponentVersionRepository, GetComponentVersionRequest,
    },
    signing_handler::v1::{SignRequest, VerifyRequest},
};
use ocm_plugin_types::{Credentials, Descriptor, Digest, Raw, Signature};
use serde_json::Value;

pub use ocm_plugin_signing::{
    Digestible, Error as DescriptorError, HashAlgorithm, NormalisationAlgorithm, Unsafe,
    check_safely_digestible, check_v2, digest, jcs, normalise, read_descriptor, verify_digest,
};

use crate::{Error, PluginManager, Result};

/// A component version in a repository.
#[derive(Debug, Clone, PartialEq)]
pub struct ComponentVersionRef {
    /// The repository spec; its `type` selects the component version repository plugin.
    pub repository: Raw,
    /// The component name, e.g. `acme.org/app`.
    pub component: String,
    /// The version.
    pub version: String,
}

/// How to sign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignOptions {
    /// The signature's name (`default` unless set).
    pub name: String,
    /// The normalisation algorithm (`jsonNormalisation/v4alpha1`).
    pub normalisation: NormalisationAlgorithm,
    /// The hash algorithm (`SHA-256`).
    pub hash: HashAlgorithm,
    /// Replace a signature of the same name instead of failing.
    pub force: bool,
}

impl Default for SignOptions {
    fn default() -> Self {
        Self {
            name: "default".to_owned(),
            normalisation: NormalisationAlgorithm::JsonV4Alpha1,
            hash: HashAlgorithm::Sha256,
            force: false,
        }
    }
}

/// Credentials for one signing operation: for the repository that holds the component version
/// and for the signing handler (a private key to sign, a public key or trust anchor to verify).
#[derive(Debug, Clone, Default)]
pub struct SigningCredentials {
    /// Passed to the component version repository plugin.
    pub repository: Credentials,
    /// Passed to the signing-handler plugin.
    pub signer: Credentials,
}

/// A verified signature.
#[derive(Debug, Clone, PartialEq)]
pub struct Verified {
    /// The signature's name.
    pub name: String,
    /// The digest it signs, which the descriptor's own digest equals.
    pub digest: Digest,
    /// The signature algorithm, e.g. `RSASSA-PSS`.
    pub algorithm: String,
}

impl PluginManager {
    /// Signs a component version held by a component version repository plugin and stores it
    /// back through the same plugin.
    ///
    /// Steps: read the descriptor; check that it is safely digestible (every reference and
    /// every resource with access carries a complete digest); compute its digest; ask the
    /// signing handler that serves `signer`'s type to sign it; append the `signatures[]` entry
    /// (replacing one of the same name only with [`SignOptions::force`]); store the
    /// descriptor. Returns the new entry.
    ///
    /// ```no_run
    /// use ocm_plugin_manager::signing::{ComponentVersionRef, SignOptions, SigningCredentials};
    /// use ocm_plugin_manager::types::{Credentials, Raw};
    /// # async fn run(manager: &ocm_plugin_manager::PluginManager) -> Result<(), Box<dyn std::error::Error>> {
    /// let target = ComponentVersionRef {
    ///     repository: Raw::from_json(r#"{"type":"DirectoryRepository/v1","path":"/srv/ocm"}"#)?,
    ///     component: "acme.org/app".into(),
    ///     version: "1.0.0".into(),
    /// };
    /// let signer = Raw::from_json(r#"{"type":"RSASigningConfiguration/v1alpha1"}"#)?;
    /// let mut credentials = SigningCredentials::default();
    /// credentials.signer.insert("private_key_pem_file".into(), "/etc/ocm/signing.pem".into());
    /// let signature = manager
    ///     .sign_component_version(&target, &signer, &credentials, &SignOptions::default())
    ///     .await?;
    /// println!("signed {} ({})", signature.name, signature.digest.value);
    /// # Ok(()) }
    /// ```
    pub async fn sign_component_version(
        &self,
        target: &ComponentVersionRef,
        signer: &Raw,
        credentials: &SigningCredentials,
        options: &SignOptions,
    ) -> Result<Signature> {
        let (repository, mut descriptor) = self.read(target, &credentials.repository).await?;
        let signature = self
            .sign_descriptor(&mut descriptor, signer, &credentials.signer, options)
            .await?;
        repository
            .add_component_version(
                AddComponentVersionRequest {
                    repository: target.repository.clone(),
                    descriptor,
                },
                &credentials.repository,
            )
            .await
            .map_err(|source| Error::component_version("storing the signed", target, source))?;
        tracing::info!(
            component = %target.component,
            version = %target.version,
            signature = %signature.name,
            digest = %signature.digest.value,
            "component version signed"
        );
        Ok(signature)
    }

    /// Signs a descriptor the host holds (see
    /// [`sign_component_version`](Self::sign_component_version) for the steps) and adds the
    /// signature to it. Nothing is stored.
    pub async fn sign_descriptor(
        &self,
        descriptor: &mut Descriptor,
        signer: &Raw,
        credentials: &Credentials,
        options: &SignOptions,
    ) -> Result<Signature> {
        let value = descriptor_value(descriptor)?;
        let existing = signature_index(descriptor, &options.name);
        if existing.is_some() && !options.force {
            return Err(Error::SignatureExists {
                name: options.name.clone(),
                component: component_label(descriptor),
            });
        }
        let digest = Digestible::new(&value, options.normalisation)
            .map_err(|source| Error::Descriptor {
                component: component_label(descriptor),
                source,
            })?
            .digest(options.hash);
        let handler = self.signing_handler(signer).await?;
        let answer = handler
            .sign(
                SignRequest {
                    digest: digest.clone(),
                    config: signer.clone(),
                },
                credentials,
            )
            .await
            .map_err(|source| Error::Signer {
                name: options.name.clone(),
                component: component_label(descriptor),
                source,
            })?;
        let signature = Signature {
            name: options.name.clone(),
            digest,
            signature: answer.signature,
            extra: Default::default(),
        };
        let entry = serde_json::to_value(&signature).map_err(|e| Error::Encode(e.to_string()))?;
        let signatures = descriptor.signatures.get_or_insert_with(Vec::new);
        match existing {
            Some(i) => signatures[i] = entry,
            None => signatures.push(entry),
        }
        Ok(signature)
    }

    /// Verifies one named signature of a component version (or, with `name` `None`, every
    /// signature it has) through the signing handler that serves `verifier`'s type.
    ///
    /// For each signature: the descriptor's digest is recomputed with the signature's own
    /// normalisation and hash algorithms and compared with the digest it signed
    /// ([`Error::Descriptor`] with [`ocm_plugin_signing::Error::DigestMismatch`] shows both);
    /// then the handler checks the signature with the public key or trust anchor in the
    /// credentials ([`Error::SignatureInvalid`]). A descriptor that is not safely digestible
    /// is refused before either, and a name the descriptor has no signature of is
    /// [`Error::SignatureNotFound`], listing the names it has.
    pub async fn verify_component_version(
        &self,
        target: &ComponentVersionRef,
        verifier: &Raw,
        credentials: &SigningCredentials,
        name: Option<&str>,
    ) -> Result<Vec<Verified>> {
        let (_, descriptor) = self.read(target, &credentials.repository).await?;
        self.verify_descriptor(&descriptor, verifier, &credentials.signer, name)
            .await
    }

    /// Verifies the signatures of a descriptor the host holds; see
    /// [`verify_component_version`](Self::verify_component_version).
    pub async fn verify_descriptor(
        &self,
        descriptor: &Descriptor,
        verifier: &Raw,
        credentials: &Credentials,
        name: Option<&str>,
    ) -> Result<Vec<Verified>> {
        let value = descriptor_value(descriptor)?;
        let component = component_label(descriptor);
        let all = signatures(descriptor)?;
        let selected: Vec<&Signature> = match name {
            Some(name) => all.iter().filter(|s| s.name == name).collect(),
            None => all.iter().collect(),
        };
        if selected.is_empty() {
            return Err(Error::SignatureNotFound {
                name: name.map(str::to_owned),
                component,
                available: all.iter().map(|s| s.name.clone()).collect(),
            });
        }
        // Read and normalised once for every signature (one algorithm exists; a signature that
        // names another is refused by `verify`).
        let digestible =
            Digestible::new(&value, NormalisationAlgorithm::JsonV4Alpha1).map_err(|source| {
                Error::Descriptor {
                    component: component.clone(),
                    source,
                }
            })?;
        let handler = self.signing_handler(verifier).await?;
        let mut verified = Vec::with_capacity(selected.len());
        for signature in selected {
            digestible
                .verify(&signature.digest)
                .map_err(|source| Error::Descriptor {
                    component: format!("{component}, signature {:?}", signature.name),
                    source,
                })?;
            handler
                .verify(
                    VerifyRequest {
                        signature: signature.clone(),
                        config: verifier.clone(),
                    },
                    credentials,
                )
                .await
                .map_err(|source| Error::SignatureInvalid {
                    name: signature.name.clone(),
                    component: component.clone(),
                    source,
                })?;
            tracing::debug!(%component, signature = %signature.name, "signature verified");
            verified.push(Verified {
                name: signature.name.clone(),
                digest: signature.digest.clone(),
                algorithm: signature.signature.algorithm.clone(),
            });
        }
        Ok(verified)
    }
}

impl PluginManager {
    /// The signing handler for `spec`'s type.
    async fn signing_handler(
        &self,
        spec: &Raw,
    ) -> Result<std::sync::Arc<dyn ocm_plugin_contracts::signing_handler::v1::SigningHandler>> {
        self.signing_handlers()
            .get(spec)
            .await
            .map_err(|source| Error::plugin("signing handler", source))
    }

    /// The repository plugin of `target` and the descriptor it holds.
    async fn read(
        &self,
        target: &ComponentVersionRef,
        credentials: &Credentials,
    ) -> Result<(std::sync::Arc<dyn ComponentVersionRepository>, Descriptor)> {
        let repository = self
            .component_version_repositories()
            .get(&target.repository)
            .await
            .map_err(|source| Error::plugin("component version repository", source))?;
        let descriptor = repository
            .get_component_version(
                GetComponentVersionRequest {
                    repository: Some(target.repository.clone()),
                    name: target.component.clone(),
                    version: target.version.clone(),
                },
                credentials,
            )
            .await
            .map_err(|source| Error::component_version("reading", target, source))?;
        Ok((repository, descriptor))
    }
}

/// The descriptor as the JSON value the normalisation reads.
fn descriptor_value(descriptor: &Descriptor) -> Result<Value> {
    serde_json::to_value(descriptor).map_err(|e| Error::Encode(e.to_string()))
}

/// `name:version`, for messages.
fn component_label(descriptor: &Descriptor) -> String {
    format!(
        "{}:{}",
        descriptor.component.name, descriptor.component.version
    )
}

/// The descriptor's signatures, typed.
fn signatures(descriptor: &Descriptor) -> Result<Vec<Signature>> {
    descriptor
        .signatures
        .iter()
        .flatten()
        .enumerate()
        .map(|(i, raw)| {
            serde_json::from_value(raw.clone()).map_err(|e| Error::Descriptor {
                component: component_label(descriptor),
                source: ocm_plugin_signing::Error::NotV2 {
                    path: format!("signatures[{i}]"),
                    problem: e.to_string(),
                },
            })
        })
        .collect()
}

/// Where the signature named `name` is, if the descriptor has one.
fn signature_index(descriptor: &Descriptor, name: &str) -> Option<usize> {
    descriptor
        .signatures
        .iter()
        .flatten()
        .position(|s| s.get("name").and_then(Value::as_str) == Some(name))
}
