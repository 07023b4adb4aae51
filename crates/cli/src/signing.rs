//! `ocm-plugin sign`, `verify` and `digest`: component-version signatures as OCM makes them.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::Args;
use ocm_plugin_manager::{
    Error as ManagerError, PluginManager,
    signing::{
        self, ComponentVersionRef, DescriptorError, HashAlgorithm, NormalisationAlgorithm,
        SignOptions, SigningCredentials,
    },
    types::Raw,
};
use serde_json::{Value, json};

use crate::{Common, common::load_credentials};

/// What `sign` and `verify` address, and with what.
#[derive(Args)]
pub(crate) struct Target {
    /// The repository spec, as JSON; its `type` selects the component version repository
    /// plugin, e.g. '{"type":"DirectoryRepository/v1","path":"/srv/ocm"}'.
    #[arg(long, value_name = "JSON")]
    repository: String,
    /// The component name, e.g. acme.org/app.
    #[arg(long)]
    component: String,
    /// The component version.
    #[arg(long)]
    version: String,
    /// The signing handler's config, as JSON; its `type` selects the signing-handler plugin.
    #[arg(
        long,
        value_name = "JSON",
        default_value = r#"{"type":"RSASigningConfiguration/v1alpha1"}"#
    )]
    signer: String,
    /// The signing handler's credentials (a private key to sign; a public key, or for PEM
    /// signatures the trust anchor certificate, to verify), as a JSON file: a string map or
    /// typed `{"type":…,"properties":{…}}`; `-` reads stdin. Else OCM_PLUGIN_CREDENTIALS.
    #[arg(long, value_name = "PATH")]
    credentials_file: Option<PathBuf>,
    /// Credentials for the repository plugin (a registry login), as a JSON file like
    /// --credentials-file.
    #[arg(long, value_name = "PATH")]
    repository_credentials_file: Option<PathBuf>,
}

/// `sign`'s own options.
#[derive(Args)]
pub(crate) struct SignArgs {
    /// The signature's name.
    #[arg(long = "signature", value_name = "NAME", default_value = "default")]
    name: String,
    /// The hash algorithm: SHA-256 or SHA-512.
    #[arg(long, value_name = "ALGO", default_value = "SHA-256")]
    hash: String,
    /// The normalisation algorithm (jsonNormalisation/v3 is computed and recorded as
    /// jsonNormalisation/v4alpha1, as OCM does).
    #[arg(
        long,
        value_name = "ALGO",
        default_value = "jsonNormalisation/v4alpha1"
    )]
    normalisation: String,
    /// Replace an existing signature of the same name.
    #[arg(long)]
    force: bool,
}

/// `digest`'s options.
#[derive(Args)]
pub(crate) struct DigestArgs {
    /// The descriptor file, JSON or YAML (`-`: stdin).
    #[arg(long, value_name = "FILE")]
    descriptor: PathBuf,
    /// The normalisation algorithm.
    #[arg(
        long,
        value_name = "ALGO",
        default_value = "jsonNormalisation/v4alpha1"
    )]
    normalisation: String,
    /// The hash algorithm: SHA-256 or SHA-512.
    #[arg(long, value_name = "ALGO", default_value = "SHA-256")]
    hash: String,
    /// Print the exact normalised bytes (the input of the hash) instead of the digest spec.
    #[arg(long)]
    print_normalised: bool,
    /// Also check OCM's safely-digestible rules (every reference and every resource with
    /// access has a digest) and fail when they do not hold, as signing would.
    #[arg(long)]
    check_safe: bool,
}

/// A failure that means "the signature does not hold", as opposed to "could not check".
/// `main` maps it to its own exit status ([`crate::EXIT_REFUSED`]).
#[derive(Debug)]
pub(crate) struct Refused(pub(crate) anyhow::Error);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&crate::chain(self.0.as_ref()))
    }
}

impl std::error::Error for Refused {}

impl SignArgs {
    /// The sign options these arguments ask for.
    pub(crate) fn options(&self) -> Result<SignOptions> {
        Ok(SignOptions {
            name: self.name.clone(),
            normalisation: NormalisationAlgorithm::resolve(&self.normalisation)?,
            hash: HashAlgorithm::resolve(&self.hash)?,
            force: self.force,
        })
    }
}

impl Target {
    fn parts(&self) -> Result<(ComponentVersionRef, Raw, SigningCredentials)> {
        let repository = Raw::from_json(&self.repository)
            .context("--repository must be a JSON object with a type")?;
        let signer =
            Raw::from_json(&self.signer).context("--signer must be a JSON object with a type")?;
        let credentials = SigningCredentials {
            signer: load_credentials(
                None,
                self.credentials_file
                    .as_deref()
                    .map(|path| ("--credentials-file", path)),
                true,
            )?,
            repository: load_credentials(
                None,
                self.repository_credentials_file
                    .as_deref()
                    .map(|path| ("--repository-credentials-file", path)),
                false,
            )?,
        };
        let target = ComponentVersionRef {
            repository,
            component: self.component.clone(),
            version: self.version.clone(),
        };
        Ok((target, signer, credentials))
    }
}

/// Whether a manager error says the signature does not hold (exit status 4) rather than that
/// it could not be checked.
fn is_refusal(e: &ManagerError) -> bool {
    match e {
        ManagerError::SignatureInvalid { .. } | ManagerError::SignatureNotFound { .. } => true,
        ManagerError::Descriptor { source, .. } => matches!(
            source,
            DescriptorError::DigestMismatch { .. } | DescriptorError::NotSafelyDigestible(_)
        ),
        _ => false,
    }
}

pub(crate) async fn sign(
    manager: &PluginManager,
    dir: &Path,
    target: &Target,
    args: &SignArgs,
    common: &Common,
) -> Result<Value> {
    let _registration = manager
        .start_registration(dir, crate::options(common)?)
        .await?;
    let (cv, signer, credentials) = target.parts()?;
    let options = args.options()?;
    let signature = manager
        .sign_component_version(&cv, &signer, &credentials, &options)
        .await?;
    Ok(serde_json::to_value(&signature)?)
}

pub(crate) async fn verify(
    manager: &PluginManager,
    dir: &Path,
    target: &Target,
    name: Option<&str>,
    common: &Common,
) -> Result<Value> {
    let _registration = manager
        .start_registration(dir, crate::options(common)?)
        .await?;
    let (cv, verifier, credentials) = target.parts()?;
    match manager
        .verify_component_version(&cv, &verifier, &credentials, name)
        .await
    {
        Ok(verified) => Ok(verified
            .iter()
            .map(|v| {
                json!({
                    "name": v.name,
                    "algorithm": v.algorithm,
                    "digest": v.digest,
                    "verified": true,
                })
            })
            .collect()),
        Err(e) if is_refusal(&e) => Err(Refused(e.into()).into()),
        Err(e) => Err(e.into()),
    }
}

/// `digest`: the digest spec, or the normalised bytes, of a descriptor file.
pub(crate) fn digest(args: &DigestArgs) -> Result<Vec<u8>> {
    let bytes = if args.descriptor.as_os_str() == "-" {
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut buf).context("reading stdin")?;
        buf
    } else {
        std::fs::read(&args.descriptor)
            .with_context(|| format!("reading {}", args.descriptor.display()))?
    };
    let descriptor = signing::read_descriptor(&bytes)?;
    let normalisation = NormalisationAlgorithm::resolve(&args.normalisation)?;
    if args.check_safe {
        signing::check_safely_digestible(&descriptor).map_err(|e| Refused(e.into()))?;
    }
    if args.print_normalised {
        return Ok(signing::normalise(&descriptor, normalisation)?);
    }
    let hash = HashAlgorithm::resolve(&args.hash)?;
    let spec = signing::digest(&descriptor, normalisation, hash)?;
    let mut out = serde_json::to_vec(&spec)?;
    out.push(b'\n');
    Ok(out)
}
