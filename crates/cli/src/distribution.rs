//! `ocm-plugin publish`, `install`, `uninstall`, `trust`, `registry` and `search`: plugins
//! shipped as OCM component versions. Every decision is made in `ocm-plugin-distribution`;
//! this module parses arguments and prints.

use std::{
    path::{Path, PathBuf},
    time::Duration,
};

use anyhow::{Context, Result, anyhow};
use clap::{Args, Subcommand};
use ocm_plugin_distribution::{
    self as distribution, Error as DistributionError, InstallOptions, Platform, Reference,
    VerifyWith,
    install::{DEFAULT_PROBE_TIMEOUT, DEFAULT_VERIFIER},
    lockfile::DEFAULT_LOCK_WAIT,
    publish::{Binary, PublishRequest, SignWith},
    registry::RegistryConfig,
};
use ocm_plugin_manager::{PluginManager, types::Raw};
use serde_json::{Value, json};

use crate::{Common, common::load_credentials, signing};

/// `publish`'s arguments.
#[derive(Args)]
pub(crate) struct PublishArgs {
    /// The plugin directory holding the repository plugin (and the signing handler, to sign).
    dir: PathBuf,
    /// The binaries, each `PATH[=os/arch]` (Go's names; --platform without `=`).
    #[arg(required = true, value_name = "BINARY[=os/arch]")]
    binaries: Vec<String>,
    /// The platform of the binaries given without `=os/arch` [default: this host's].
    #[arg(long, value_name = "OS/ARCH")]
    platform: Option<String>,
    /// Where to publish: a repository spec as JSON, a repository (`http://127.0.0.1:5000`,
    /// `/srv/ocm`) or a whole reference `<repository>//<component>[:<version>]`.
    #[arg(long, value_name = "SPEC|REFERENCE")]
    repository: String,
    /// The component name, e.g. acme.org/plugins/hello (installed as its last element).
    #[arg(long)]
    component: Option<String>,
    /// The component version.
    #[arg(long)]
    version: Option<String>,
    /// The provider.
    #[arg(long, default_value = distribution::publish::DEFAULT_PROVIDER)]
    provider: String,
    /// The resource name of the binaries [default: each binary's file name].
    #[arg(long = "name", value_name = "NAME")]
    resource_name: Option<String>,
    /// A description, shown by `search`.
    #[arg(long, default_value = "")]
    description: String,
    /// Credentials for the repository plugin (a registry login), as a JSON file.
    #[arg(long, value_name = "PATH")]
    repository_credentials_file: Option<PathBuf>,
    /// Also add the plugin to this plugin registry (`<repository>//<component>`, in the
    /// plugin's repository), in a new version of it.
    #[arg(long, value_name = "REFERENCE")]
    registry: Option<String>,
    /// The plugin's name in the registry [default: the last element of the component name].
    #[arg(long, value_name = "NAME", requires = "registry")]
    registry_name: Option<String>,
    /// Sign the component version after publishing it (as `ocm-plugin sign`).
    #[arg(long)]
    sign: bool,
    /// The signing handler's config, as JSON.
    #[arg(long, value_name = "JSON", default_value = DEFAULT_VERIFIER, requires = "sign")]
    signer: String,
    /// The signing handler's credentials (a private key), as a JSON file; `-` reads stdin.
    /// Else OCM_PLUGIN_CREDENTIALS.
    #[arg(long, value_name = "PATH", requires = "sign")]
    credentials_file: Option<PathBuf>,
    #[command(flatten)]
    signing: signing::SignArgs,
}

/// `install`'s arguments.
#[derive(Args)]
pub(crate) struct InstallArgs {
    /// `<repository>//<component>[:<version>]`, or `NAME[@VERSION]` of a plugin registry;
    /// none: install what the plugin directory's lock file lists.
    reference: Option<String>,
    /// The plugin directory to install into [default: $HOME/.config/ocm/plugins].
    #[arg(long, value_name = "DIR")]
    plugin_dir: Option<PathBuf>,
    /// The plugin directory whose repository (and signing) plugins are used [default: the
    /// target plugin directory].
    #[arg(long, value_name = "DIR")]
    with: Option<PathBuf>,
    /// The repository, as a spec (JSON) or repository, instead of a reference.
    #[arg(long, value_name = "SPEC", conflicts_with = "reference")]
    repository: Option<String>,
    /// The component (with --repository).
    #[arg(long, requires = "repository")]
    component: Option<String>,
    /// The version (with --repository) [default: the highest semantic version].
    #[arg(long, requires = "repository")]
    version: Option<String>,
    /// The platform, `os/arch` with Go's names [default: this host's].
    #[arg(long, value_name = "OS/ARCH")]
    platform: Option<String>,
    /// Install the ocmPlugin resource of this name.
    #[arg(long, value_name = "NAME")]
    resource_name: Option<String>,
    /// Verify the component version's signature with this public key (PEM) first.
    #[arg(long, value_name = "KEY.pem")]
    verify_with: Option<PathBuf>,
    /// The signature to verify.
    #[arg(
        long,
        value_name = "NAME",
        default_value = "default",
        requires = "verify_with"
    )]
    signature: String,
    /// The signing handler's config for verifying, as JSON.
    #[arg(long, value_name = "JSON", default_value = DEFAULT_VERIFIER, requires = "verify_with")]
    verifier: String,
    /// Replace a different plugin of the same file name.
    #[arg(long)]
    force: bool,
    /// Credentials for the repository plugin, as a JSON file.
    #[arg(long, value_name = "PATH")]
    repository_credentials_file: Option<PathBuf>,
    #[command(flatten)]
    registries: RegistriesFile,
    #[command(flatten)]
    lock: LockArgs,
}

/// Where the plugin registries are configured.
#[derive(Args)]
pub(crate) struct RegistriesFile {
    /// The registry config file [default: $OCM_PLUGIN_REGISTRIES, else
    /// $XDG_CONFIG_HOME/ocm-plugin/registries.json, else ~/.config/ocm-plugin/registries.json].
    #[arg(long, value_name = "PATH")]
    config_file: Option<PathBuf>,
}

impl RegistriesFile {
    fn path(&self) -> Result<PathBuf> {
        self.config_file
            .clone()
            .or_else(RegistryConfig::default_path)
            .context(
                "no registry config file: give --config-file, or set HOME or OCM_PLUGIN_REGISTRIES",
            )
    }

    fn load(&self) -> Result<(PathBuf, RegistryConfig)> {
        let path = self.path()?;
        let config = RegistryConfig::load(&path)?;
        Ok((path, config))
    }
}

/// The plugin directory's lock.
#[derive(Args)]
pub(crate) struct LockArgs {
    /// How long to wait for another install in the same plugin directory, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = DEFAULT_LOCK_WAIT.as_secs_f64())]
    lock_wait: f64,
    /// Deadline of the `capabilities` check of a downloaded binary, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = DEFAULT_PROBE_TIMEOUT.as_secs_f64())]
    check_timeout: f64,
}

impl LockArgs {
    fn durations(&self) -> Result<(Duration, Duration)> {
        let secs = |name: &str, v: f64| {
            Duration::try_from_secs_f64(v)
                .map_err(|_| anyhow!("--{name} must be a non-negative number of seconds"))
        };
        Ok((
            secs("lock-wait", self.lock_wait)?,
            secs("check-timeout", self.check_timeout)?,
        ))
    }
}

/// `uninstall` and `trust`'s plugin directory.
#[derive(Args)]
pub(crate) struct TargetArgs {
    /// The plugin directory [default: $HOME/.config/ocm/plugins].
    #[arg(long, value_name = "DIR")]
    plugin_dir: Option<PathBuf>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub(crate) json: bool,
    #[command(flatten)]
    lock: LockArgs,
}

/// `registry`'s subcommands.
#[derive(Subcommand)]
pub(crate) enum RegistryCommand {
    /// Add a plugin registry: a component version whose componentReferences name plugins.
    Add {
        /// The name to know it by.
        name: String,
        /// `<repository>//<component>[:<version>]` (no version: its highest).
        reference: String,
        #[command(flatten)]
        file: RegistriesFile,
    },
    /// List the plugin registries.
    List {
        #[command(flatten)]
        file: RegistriesFile,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Remove a plugin registry.
    Remove {
        /// Its name.
        name: String,
        #[command(flatten)]
        file: RegistriesFile,
    },
}

/// `search`'s arguments.
#[derive(Args)]
pub(crate) struct SearchArgs {
    /// Only plugins whose name, component, description or capabilities contain this.
    term: Option<String>,
    /// The plugin directory whose repository plugins reach the registries [default:
    /// $HOME/.config/ocm/plugins].
    #[arg(long, value_name = "DIR")]
    with: Option<PathBuf>,
    /// Credentials for the repository plugin, as a JSON file.
    #[arg(long, value_name = "PATH")]
    repository_credentials_file: Option<PathBuf>,
    #[command(flatten)]
    registries: RegistriesFile,
}

fn plugin_dir(given: Option<&Path>) -> Result<PathBuf> {
    given
        .map(Path::to_path_buf)
        .or_else(distribution::default_plugin_dir)
        .context("no plugin directory: give --plugin-dir (HOME is not set)")
}

fn repository_credentials(file: Option<&Path>) -> Result<ocm_plugin_manager::types::Credentials> {
    load_credentials(
        None,
        file.map(|p| ("--repository-credentials-file", p)),
        false,
    )
}

/// A verification failure is exit status 4, as for `verify`.
fn refusal(e: DistributionError) -> anyhow::Error {
    match e {
        DistributionError::Verification { .. } => signing::Refused(e.into()).into(),
        other => other.into(),
    }
}

pub(crate) async fn publish(
    manager: &PluginManager,
    args: &PublishArgs,
    common: &Common,
) -> Result<Value> {
    let _registration = manager
        .start_registration(&args.dir, crate::options(common)?)
        .await?;
    let reference = Reference::from_parts(
        &args.repository,
        args.component.as_deref(),
        args.version.as_deref(),
    )?;
    let version = reference
        .version
        .clone()
        .context("publish needs a version: --version or <repository>//<component>:<version>")?;
    let sign = if args.sign {
        Some(SignWith {
            signer: Raw::from_json(&args.signer)
                .context("--signer must be a JSON object with a type")?,
            credentials: load_credentials(
                None,
                args.credentials_file
                    .as_deref()
                    .map(|p| ("--credentials-file", p)),
                true,
            )?,
            options: args.signing.options()?,
        })
    } else {
        None
    };
    let platform = match &args.platform {
        Some(p) => p.parse::<Platform>()?,
        None => Platform::host(),
    };
    let credentials = repository_credentials(args.repository_credentials_file.as_deref())?;
    let request = PublishRequest {
        repository: reference.repository.clone(),
        component: reference.component.clone(),
        version: version.clone(),
        provider: Some(args.provider.clone()),
        name: args.resource_name.clone(),
        description: args.description.clone(),
        binaries: args
            .binaries
            .iter()
            .map(|b| Binary::parse_or(b, platform.clone()))
            .collect(),
        credentials: credentials.clone(),
        probe_timeout: crate::options(common)?
            .capabilities_timeout
            .max(DEFAULT_PROBE_TIMEOUT),
        sign,
    };
    let report = distribution::publish(manager, &request).await?;
    let mut out = json!({
        "component": report.component,
        "version": report.version,
        "binaries": report.binaries,
        "capabilities": report.capabilities,
        "signature": report.signature,
        "warnings": report.warnings,
    });
    if let Some(registry) = &args.registry {
        let registry = Reference::parse(registry)?;
        let name = args.registry_name.clone().unwrap_or_else(|| {
            distribution::reference::plugin_file_name(&reference.component).to_owned()
        });
        let plugin = Reference {
            version: Some(version),
            ..reference
        };
        let registry_version = distribution::registry::add_to_registry(
            manager,
            &registry,
            &name,
            &plugin,
            &credentials,
        )
        .await?;
        out["registry"] =
            json!({"component": registry.component, "version": registry_version, "name": name});
    }
    Ok(out)
}

pub(crate) async fn install(
    manager: &PluginManager,
    args: &InstallArgs,
    common: &Common,
) -> Result<Value> {
    let target = plugin_dir(args.plugin_dir.as_deref())?;
    let with = args.with.clone().unwrap_or_else(|| target.clone());
    let (lock_wait, probe_timeout) = args.lock.durations()?;
    let verify = match &args.verify_with {
        Some(key) => Some(VerifyWith {
            public_key: key.clone(),
            signature: args.signature.clone(),
            verifier: Raw::from_json(&args.verifier)
                .context("--verifier must be a JSON object with a type")?,
        }),
        None => None,
    };
    let options = InstallOptions {
        target: target.clone(),
        platform: match &args.platform {
            Some(p) => p.parse::<Platform>()?,
            None => Platform::host(),
        },
        resource_name: args.resource_name.clone(),
        verify,
        force: args.force,
        repository_credentials: repository_credentials(
            args.repository_credentials_file.as_deref(),
        )?,
        probe_timeout,
        lock_wait,
    };
    // The lock file is read first: a corrupt one stops everything before a plugin starts.
    distribution::LockFile::read(&target)?;
    let _registration = manager
        .start_registration(&with, crate::options(common)?)
        .await?;
    let reference = match (&args.reference, &args.repository) {
        (None, None) => {
            let outcomes = distribution::install_locked(manager, &options)
                .await
                .map_err(refusal)?;
            return Ok(json!({"plugins": outcomes}));
        }
        (_, Some(repository)) => Reference::from_parts(
            repository,
            args.component.as_deref(),
            args.version.as_deref(),
        )?,
        // A plugin name has no `/`: anything with one is a (maybe malformed) reference.
        (Some(text), None) if text.contains('/') => Reference::parse(text)?,
        (Some(name), None) => {
            let (_, config) = args.registries.load()?;
            distribution::registry::resolve(manager, &config, name, &options.repository_credentials)
                .await?
        }
    };
    let report = distribution::install(manager, &reference, &options)
        .await
        .map_err(refusal)?;
    Ok(json!({
        "file": report.path,
        "change": report.change,
        "component": report.entry.component,
        "version": report.entry.version,
        "resource": report.entry.resource,
        "sha256": report.entry.sha256,
        "size": report.entry.size,
        "signature": report.entry.signature,
        "capabilities": report.capabilities,
        "warnings": report.warnings,
    }))
}

pub(crate) fn uninstall(name: &str, args: &TargetArgs) -> Result<Value> {
    let target = plugin_dir(args.plugin_dir.as_deref())?;
    let (lock_wait, _) = args.lock.durations()?;
    let report = distribution::uninstall(&target, name, lock_wait)?;
    Ok(serde_json::to_value(report)?)
}

/// `policy`'s arguments.
#[derive(Args)]
pub(crate) struct PolicyArgs {
    /// From now on, every install into the directory must verify the component version's
    /// signature with one of these public keys (PEM); repeat for several.
    #[arg(long, value_name = "KEY.pem", conflicts_with = "clear")]
    require_signature: Vec<PathBuf>,
    /// With --require-signature: the signature's name installs must verify.
    #[arg(long, value_name = "NAME", requires = "require_signature")]
    signature: Option<String>,
    /// Remove the signature requirement.
    #[arg(long)]
    clear: bool,
    #[command(flatten)]
    pub(crate) target: TargetArgs,
}

/// Shows, sets or clears the install policy of a plugin directory.
pub(crate) fn policy(args: &PolicyArgs) -> Result<Value> {
    let target = plugin_dir(args.target.plugin_dir.as_deref())?;
    let (lock_wait, _) = args.target.lock.durations()?;
    if args.clear || !args.require_signature.is_empty() {
        distribution::require_signature(
            &target,
            &args.require_signature,
            args.signature.clone(),
            lock_wait,
        )?;
    }
    let policy = distribution::LockFile::read(&target)?.and_then(|lock| lock.policy);
    Ok(json!({"dir": target, "policy": policy}))
}

pub(crate) async fn trust(path: &Path, force: bool, args: &TargetArgs) -> Result<Value> {
    let target = plugin_dir(args.plugin_dir.as_deref())?;
    let (lock_wait, probe_timeout) = args.lock.durations()?;
    let options = InstallOptions {
        force,
        probe_timeout,
        lock_wait,
        ..InstallOptions::new(target)
    };
    let report = distribution::trust(path, &options).await?;
    Ok(json!({
        "file": report.path,
        "change": report.change,
        "sha256": report.entry.sha256,
        "size": report.entry.size,
        "source": report.entry.source,
        "capabilities": report.capabilities,
        "warnings": report.warnings,
    }))
}

pub(crate) fn registry(command: &RegistryCommand) -> Result<Value> {
    match command {
        RegistryCommand::Add {
            name,
            reference,
            file,
        } => {
            let (path, mut config) = file.load()?;
            config.add(name, reference)?;
            config.save(&path)?;
            Ok(json!({"added": name, "config": path}))
        }
        RegistryCommand::List { file, .. } => {
            let (_, config) = file.load()?;
            Ok(config
                .registries
                .iter()
                .map(|r| Value::String(format!("{}\t{}", r.name, r.reference)))
                .collect())
        }
        RegistryCommand::Remove { name, file } => {
            let (path, mut config) = file.load()?;
            config.remove(name)?;
            config.save(&path)?;
            Ok(json!({"removed": name, "config": path}))
        }
    }
}

pub(crate) async fn search(
    manager: &PluginManager,
    args: &SearchArgs,
    common: &Common,
) -> Result<Value> {
    let (path, config) = args.registries.load()?;
    if config.registries.is_empty() {
        return Err(anyhow!(
            "no plugin registries in {} (ocm-plugin registry add NAME REFERENCE)",
            path.display()
        ));
    }
    let with = plugin_dir(args.with.as_deref())?;
    let _registration = manager
        .start_registration(&with, crate::options(common)?)
        .await?;
    let credentials = repository_credentials(args.repository_credentials_file.as_deref())?;
    let hits = distribution::registry::search(manager, &config, args.term.as_deref(), &credentials)
        .await?;
    if common.json {
        return Ok(serde_json::to_value(hits)?);
    }
    Ok(hits
        .iter()
        .map(|h| {
            Value::String(format!(
                "{}\t{}\t{}:{}\t{}\t{}\t(registry {})",
                h.name,
                h.version,
                h.component,
                h.version,
                h.description,
                h.capabilities.join("; "),
                h.registry
            ))
        })
        .collect())
}
