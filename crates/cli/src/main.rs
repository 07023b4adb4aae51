//! `ocm-plugin`: inspect a plugin directory and call plugin operations from a shell.
//!
//! ```text
//! ocm-plugin list <dir> [--json]
//! ocm-plugin call <dir> component-version-repository <operation> --spec '<json>' [options]
//! ocm-plugin call <dir> credential-repository consumer-identity-for-config --spec '<config>'
//! ocm-plugin call <dir> credential-repository resolve --spec '<config>' --identity '<json>' [--credentials-file F]
//! ocm-plugin call <dir> input process-resource --resource '<constructor resource>' [--output F]
//! ocm-plugin call <dir> input process-source --resource '<constructor source>' [--output F]
//! ocm-plugin call <dir> digest-processor process-resource-digest --resource '<resource>'
//! ocm-plugin call <dir> resource-repository get-global-resource --resource '<resource>' [--output F]
//! ocm-plugin call <dir> resource-repository add-global-resource --resource '<resource>' --resource-file F
//! ocm-plugin call <dir> blob-transformer transform-blob --spec '<spec>' --resource-file F [--output F]
//! ocm-plugin call <dir> component-lister list-components --spec '<repository spec>' [--last NAME]
//! ocm-plugin call <dir> signing-handler sign --spec '<signing config>' --digest '<json>' [--credentials-file F]
//! ocm-plugin call <dir> signing-handler verify --spec '<signing config>' --signature '<json>' [--credentials-file F]
//! ocm-plugin call <dir> signing-handler get-signing-identity --spec '<config>' --digest '<json>' [--name SIGNATURE]
//! ocm-plugin call <dir> signing-handler get-verifying-identity --spec '<config>' --signature '<json>'
//! ocm-plugin call <dir> credential-plugin consumer-identity --spec '<credential spec>'
//! ocm-plugin call <dir> credential-plugin resolve --spec '<credential spec>' [--identity '<json>']
//! ocm-plugin call <dir> <capability> get-identity --spec '<spec>'
//! ocm-plugin sign <dir> --repository '<spec>' --component C --version V [--signer '<config>'] [--signature NAME] [--force] [--credentials-file F]
//! ocm-plugin verify <dir> --repository '<spec>' --component C --version V [--signer '<config>'] [--signature NAME] [--credentials-file F]
//! ocm-plugin digest --descriptor FILE [--normalisation ALGO] [--hash ALGO] [--print-normalised]
//! ocm-plugin publish <dir> --repository SPEC|REFERENCE --component C --version V BINARY[=os/arch]... [--sign …] [--registry REFERENCE]
//! ocm-plugin install [REFERENCE|NAME[@VERSION]] [--plugin-dir DIR] [--with DIR] [--platform OS/ARCH] [--verify-with KEY.pem] [--force]
//! ocm-plugin uninstall NAME [--plugin-dir DIR]
//! ocm-plugin trust PATH [--plugin-dir DIR]
//! ocm-plugin registry add NAME REFERENCE | list | remove NAME
//! ocm-plugin search [TERM] [--with DIR]
//! ```
//!
//! Credentials come from `--credentials-file` (`-`: stdin), `OCM_PLUGIN_CREDENTIALS` or
//! `--credentials`; the last is readable by every local user in the process list, so the
//! others are preferred.
//!
//! Every capability has its own module; this file holds the command line and `list`.

mod blob_transformer;
mod common;
mod component_lister;
mod credential_plugin;
mod credential_repository;
mod cvr;
mod digest_processor;
mod distribution;
mod input;
mod resource_repository;
mod signing;
mod signing_handler;

use std::{
    path::{Path, PathBuf},
    process::ExitCode,
    time::Duration,
};

use anyhow::{Context, Result};
use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use ocm_plugin_manager::types::{ConnectionType, Raw};
use ocm_plugin_manager::{
    CapabilityCache, Outcome, PluginManager, RegistrationOptions, Trust, TrustState,
    flatten_generic_config,
};
use serde_json::{Value, json};

use crate::common::Ctx;

/// The exit statuses, in every `--help`.
const EXIT_STATUS: &str = "Exit status: 0 success; 1 the listing or the operation failed (the \
cause is printed on stderr, once); 2 invalid arguments; 3 `list` only: some plugins were \
rejected (the whole listing is still printed); 4 `verify` and `digest --check-safe` only: the \
signature does not hold (the descriptor's digest differs from the signed one, the signing \
handler refused the signature, no signature of that name) or the descriptor is not safely \
digestible; 130 or 143: ended by SIGINT or SIGTERM, in any phase, after stopping every \
plugin and removing every temporary file. Output: text on stdout, JSON with --json; logs \
and errors on stderr, coloured only on a terminal and never with NO_COLOR set.";

/// `list` found plugins it rejected: a script checking the status notices a broken plugin
/// directory without parsing the listing.
const EXIT_REJECTED: u8 = 3;

/// `verify` found that a signature does not hold.
const EXIT_REFUSED: u8 = 4;

/// Where credentials can come from without being visible in the process list.
const CREDENTIALS_ENV: &str = ocm_plugin_manager::CREDENTIALS_ENV;

/// How to pass credentials, in `call --help`.
const CREDENTIALS_HELP: &str = "Credentials: prefer --credentials-file <path> (`-` reads stdin) \
or the environment variable OCM_PLUGIN_CREDENTIALS (JSON) over --credentials, whose value every \
local user can read in the process list (ps) while the command runs. Only one of the three may \
be given. Credential values are never printed, in errors or logs.";

#[derive(Parser)]
#[command(
    name = "ocm-plugin",
    version,
    about = "Inspect OCM plugin directories and call plugin operations",
    after_help = EXIT_STATUS
)]
struct Cli {
    /// More logging on stderr (-v: info, -vv: debug). `OCM_PLUGIN_LOG` overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Show every candidate in a plugin directory, what it declared, and why any were rejected.
    List {
        /// Plugin directory (or a single plugin file).
        dir: PathBuf,
        #[command(flatten)]
        common: Common,
    },
    /// Call one operation of a capability and print the result.
    Call {
        /// Plugin directory (or a single plugin file).
        dir: PathBuf,
        /// The capability.
        capability: Capability,
        /// Operation, in kebab-case (e.g. get-component-version, resolve, process-resource).
        operation: String,
        #[command(flatten)]
        call: Box<CallArgs>,
        #[command(flatten)]
        common: Common,
    },
    /// Sign a component version held by a component version repository plugin, as OCM's
    /// `ocm sign cv` does (jsonNormalisation/v4alpha1, SHA-256), through a signing-handler
    /// plugin, and store it back. Prints the new signature entry.
    #[command(after_help = EXIT_STATUS)]
    Sign {
        /// Plugin directory (or a single plugin file).
        dir: PathBuf,
        #[command(flatten)]
        target: Box<signing::Target>,
        #[command(flatten)]
        sign: signing::SignArgs,
        #[command(flatten)]
        common: Common,
    },
    /// Verify one signature (--signature) or every signature of a component version: the
    /// descriptor's digest is recomputed and compared, then the signing-handler plugin checks
    /// the signature. Exit status 4 when a signature does not hold.
    #[command(after_help = EXIT_STATUS)]
    Verify {
        /// Plugin directory (or a single plugin file).
        dir: PathBuf,
        #[command(flatten)]
        target: Box<signing::Target>,
        /// The signature to verify [default: every signature].
        #[arg(long, value_name = "NAME")]
        signature: Option<String>,
        #[command(flatten)]
        common: Common,
    },
    /// Print the digest spec of a descriptor file (JSON or YAML) as OCM computes it, or with
    /// --print-normalised the exact normalised bytes; no plugin is involved.
    #[command(after_help = EXIT_STATUS)]
    Digest {
        #[command(flatten)]
        args: signing::DigestArgs,
    },
    /// Publish plugin binaries as a component version, laid out as OCM's `ocm download
    /// plugin` reads it: one `ocmPlugin` resource per binary with its os/architecture, and a
    /// `plugin-metadata` resource for search; optionally signed and added to a plugin registry.
    #[command(after_help = EXIT_STATUS)]
    Publish {
        #[command(flatten)]
        args: Box<distribution::PublishArgs>,
        #[command(flatten)]
        common: Common,
    },
    /// Install a plugin from a component version (or, without a reference, exactly what the
    /// plugin directory's lock file lists): the resource for this platform, signature verified
    /// when asked, size and SHA-256 checked and `capabilities` answered before it lands, then
    /// recorded in `<plugin dir>/ocm-plugins.lock`. Exit status 4 when the signature does not
    /// hold.
    #[command(after_help = EXIT_STATUS)]
    Install {
        #[command(flatten)]
        args: Box<distribution::InstallArgs>,
        #[command(flatten)]
        common: Common,
    },
    /// Remove an installed plugin and its lock file entry.
    Uninstall {
        /// The plugin's file name.
        name: String,
        #[command(flatten)]
        args: distribution::TargetArgs,
    },
    /// Show or set the install policy of a plugin directory (kept in its lock file): with
    /// --require-signature, every install into it must verify the component version's
    /// signature with one of the given keys.
    Policy {
        #[command(flatten)]
        args: distribution::PolicyArgs,
    },
    /// Record a local build in the plugin directory's lock file (copying it in when it is
    /// elsewhere), after checking that it answers `capabilities`.
    Trust {
        /// The plugin binary.
        path: PathBuf,
        /// Replace a different plugin of the same file name.
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        args: distribution::TargetArgs,
    },
    /// Manage plugin registries (OCM ADR 0009): component versions that reference plugins.
    Registry {
        #[command(subcommand)]
        command: distribution::RegistryCommand,
    },
    /// List the plugins of the configured registries: name, version, description,
    /// capabilities and registry (from each plugin's metadata, no binary is downloaded).
    Search {
        #[command(flatten)]
        args: distribution::SearchArgs,
        #[command(flatten)]
        common: Common,
    },
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell) on stdout.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

#[derive(Args)]
struct Common {
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
    /// A config file (a `generic.config.ocm.software/v1` document or one typed entry) whose
    /// entries are offered to plugins that declare their types.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Idle time after which a started plugin stops itself, in seconds.
    #[arg(long, default_value_t = 3600)]
    idle_timeout: u64,
    /// Deadline for each plugin's `capabilities` run, in seconds. Plugins whose binary is
    /// unchanged since their last probe are not run again (see --cache-dir); a call waits for
    /// other plugins' probes only while none has declared the type it needs.
    #[arg(long, value_name = "SECS", default_value_t = 10.0)]
    probe_timeout: f64,
    /// Where the capability cache lives [default: $OCM_PLUGIN_CACHE_DIR, else
    /// $XDG_CACHE_HOME/ocm-plugin, else ~/.cache/ocm-plugin].
    #[arg(long, value_name = "DIR", conflicts_with = "no_cache")]
    cache_dir: Option<PathBuf>,
    /// Probe every plugin, reading and writing no capability cache.
    #[arg(long)]
    no_cache: bool,
    /// Deadline from spawning a plugin to its first healthy answer, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 30.0)]
    start_timeout: f64,
    /// Deadline for the answer of the call, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 900.0)]
    call_timeout: f64,
    /// Check plugin binaries against this lock file [default: the plugin directory's
    /// ocm-plugins.lock, when it has one]: a binary whose SHA-256 differs from its entry, or
    /// that it does not list, is not run.
    #[arg(long, value_name = "PATH", conflicts_with = "no_lock_file")]
    lock_file: Option<PathBuf>,
    /// Do not check binaries against a lock file (binaries that other users could change are
    /// refused all the same).
    #[arg(long)]
    no_lock_file: bool,
    /// With a lock file, also run plugins it does not list (with a warning).
    #[arg(long)]
    allow_unlisted: bool,
    /// Start plugins on loopback TCP instead of Unix domain sockets. Plugins built with our SDK
    /// then require a per-launch secret on every request; Go plugins accept any local user.
    #[arg(long)]
    tcp: bool,
}

#[derive(Args)]
struct CallArgs {
    /// The spec, as JSON (its `type` selects the plugin): a repository spec, a credential
    /// repository config, an input or access spec (get-identity), a transformer spec.
    #[arg(long)]
    spec: Option<String>,
    /// Component name.
    #[arg(long)]
    name: Option<String>,
    /// Component version.
    #[arg(long)]
    version: Option<String>,
    /// Credentials, as JSON: a string map, or typed `{"type":…,"properties":{…}}`. Visible to
    /// every local user (`ps`) while the command runs: prefer --credentials-file or
    /// OCM_PLUGIN_CREDENTIALS.
    #[arg(long, value_name = "JSON", conflicts_with = "credentials_file")]
    credentials: Option<String>,
    /// Reads the credentials JSON (as for --credentials) from a file, or from stdin for `-`;
    /// unlike --credentials, they stay out of the process list.
    #[arg(long, value_name = "PATH")]
    credentials_file: Option<PathBuf>,
    /// Descriptor for add-component-version: a file path or inline JSON.
    #[arg(long)]
    descriptor: Option<String>,
    /// The resource or source, as JSON: descriptor metadata (add-local-resource,
    /// add-local-source, digest and resource repository operations) or a constructor resource
    /// or source with `input` (input operations).
    #[arg(long, alias = "source")]
    resource: Option<String>,
    /// The blob to send: uploaded by add-local-resource / add-local-source /
    /// add-global-resource, transformed by transform-blob.
    #[arg(long)]
    resource_file: Option<PathBuf>,
    /// Identity, as a JSON string map: of the resource or source to download (local
    /// downloads), or of the consumer to resolve credentials for (resolve).
    #[arg(long)]
    identity: Option<String>,
    /// Where to write a blob the plugin answered with.
    #[arg(long)]
    output: Option<PathBuf>,
    /// list-components: the page after this component name only (without it, every page).
    #[arg(long)]
    last: Option<String>,
    /// The digest to sign, as JSON `{"hashAlgorithm","normalisationAlgorithm","value"}`.
    #[arg(long)]
    digest: Option<String>,
    /// The signature to verify, as JSON `{"name","digest":{…},"signature":{…}}`.
    #[arg(long)]
    signature: Option<String>,
}

#[derive(Clone, Copy, ValueEnum)]
enum Capability {
    ComponentVersionRepository,
    CredentialRepository,
    Input,
    DigestProcessor,
    ResourceRepository,
    BlobTransformer,
    ComponentLister,
    SigningHandler,
    CredentialPlugin,
}

/// Every operation of every capability, for `call --help`.
fn operations_help() -> String {
    let table: [(&str, &[&str]); 9] = [
        ("component-version-repository", cvr::OPERATIONS),
        ("credential-repository", credential_repository::OPERATIONS),
        ("input", input::OPERATIONS),
        ("digest-processor", digest_processor::OPERATIONS),
        ("resource-repository", resource_repository::OPERATIONS),
        ("blob-transformer", blob_transformer::OPERATIONS),
        ("component-lister", component_lister::OPERATIONS),
        ("signing-handler", signing_handler::OPERATIONS),
        ("credential-plugin", credential_plugin::OPERATIONS),
    ];
    let mut text = String::from("Operations:\n");
    for (capability, operations) in table {
        text.push_str(&format!("  {capability:<30} {}\n", operations.join(", ")));
    }
    text.push('\n');
    text.push_str(CREDENTIALS_HELP);
    text.push_str("\n\n");
    text.push_str(EXIT_STATUS);
    text
}

fn command() -> clap::Command {
    Cli::command().mut_subcommand("call", |call| call.after_help(operations_help()))
}

/// An error and its causes, `: `-separated, each cause once: one whose text the message so far
/// already holds (libraries put the cause in their message and keep it as `source()` too) is
/// skipped.
pub(crate) fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    for cause in std::iter::successors(error.source(), |e| e.source()) {
        let cause = cause.to_string();
        if !text.contains(&cause) {
            text.push_str(": ");
            text.push_str(&cause);
        }
    }
    text
}

fn main() -> ExitCode {
    let matches = command().get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    if let Command::Call { call, .. } = &cli.command
        && (call.credentials.is_some() || call.credentials_file.is_some())
        && std::env::var_os(CREDENTIALS_ENV).is_some_and(|v| !v.is_empty())
    {
        command()
            .error(
                clap::error::ErrorKind::ArgumentConflict,
                format!(
                    "{CREDENTIALS_ENV} is set: give credentials either there or with \
                     --credentials/--credentials-file, not both"
                ),
            )
            .exit();
    }
    if let Command::Completions { shell } = cli.command {
        // Into memory first: writing straight to a closed pipe would panic inside clap_complete.
        let mut script = Vec::new();
        clap_complete::generate(shell, &mut command(), "ocm-plugin", &mut script);
        use std::io::Write as _;
        return match std::io::stdout().write_all(&script) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: writing the completion script: {e}");
                ExitCode::FAILURE
            }
        };
    }
    init_logging(cli.verbose);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) if e.downcast_ref::<signing::Refused>().is_some() => {
            eprintln!("error: {}", chain(e.as_ref()));
            ExitCode::from(EXIT_REFUSED)
        }
        Err(e) => {
            eprintln!("error: {}", chain(e.as_ref()));
            ExitCode::FAILURE
        }
    }
}

fn init_logging(verbose: u8) {
    use tracing_subscriber::EnvFilter;
    let default = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter =
        EnvFilter::try_from_env("OCM_PLUGIN_LOG").unwrap_or_else(|_| EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(colour())
        .with_target(false)
        .init();
}

/// Colours only for a person: stderr is a terminal and `NO_COLOR` is unset or empty.
fn colour() -> bool {
    use std::io::IsTerminal;
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

fn options(common: &Common) -> Result<RegistrationOptions> {
    let seconds = |name: &str, secs: f64| {
        Duration::try_from_secs_f64(secs)
            .map_err(|_| anyhow::anyhow!("--{name} must be a non-negative number of seconds"))
    };
    let mut options = RegistrationOptions {
        idle_timeout: Some(Duration::from_secs(common.idle_timeout)),
        capabilities_timeout: seconds("probe-timeout", common.probe_timeout)?,
        start_timeout: seconds("start-timeout", common.start_timeout)?,
        call_timeout: seconds("call-timeout", common.call_timeout)?,
        connection: common.tcp.then_some(ConnectionType::Tcp),
        cache: match (&common.cache_dir, common.no_cache) {
            (_, true) => CapabilityCache::Disabled,
            (Some(dir), false) => CapabilityCache::At(dir.clone()),
            (None, false) => CapabilityCache::User,
        },
        trust: match (&common.lock_file, common.no_lock_file) {
            (_, true) => Trust::Off,
            (Some(path), false) => Trust::LockFile(path.clone()),
            (None, false) => Trust::LockFileIfPresent,
        },
        allow_unlisted: common.allow_unlisted,
        ..RegistrationOptions::default()
    };
    if let Some(path) = &common.config {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let doc = Raw::from_json(&text).with_context(|| format!("parsing {}", path.display()))?;
        options.configuration = Some(flatten_generic_config(&doc));
    }
    Ok(options)
}

async fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::List { dir, common } => list(&dir, &common).await,
        // Answered before the runtime starts.
        Command::Completions { .. } => Ok(ExitCode::SUCCESS),
        Command::Digest { args } => {
            use std::io::Write as _;
            let out = signing::digest(&args)?;
            std::io::stdout().write_all(&out)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Sign {
            dir,
            target,
            sign,
            common,
        } => {
            let manager = PluginManager::new()?;
            let work = signing::sign(&manager, &dir, &target, &sign, &common);
            finish(&manager, work, common.json).await
        }
        Command::Verify {
            dir,
            target,
            signature,
            common,
        } => {
            let manager = PluginManager::new()?;
            let work = signing::verify(&manager, &dir, &target, signature.as_deref(), &common);
            finish(&manager, work, common.json).await
        }
        Command::Publish { args, common } => {
            let manager = PluginManager::new()?;
            let work = distribution::publish(&manager, &args, &common);
            finish(&manager, work, common.json).await
        }
        Command::Install { args, common } => {
            let manager = PluginManager::new()?;
            let work = distribution::install(&manager, &args, &common);
            finish(&manager, work, common.json).await
        }
        Command::Search { args, common } => {
            let manager = PluginManager::new()?;
            let work = distribution::search(&manager, &args, &common);
            finish(&manager, work, common.json).await
        }
        Command::Uninstall { name, args } => {
            print_value(&distribution::uninstall(&name, &args)?, args.json)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Policy { args } => {
            print_value(&distribution::policy(&args)?, args.target.json)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Trust { path, force, args } => {
            print_value(&distribution::trust(&path, force, &args).await?, args.json)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Registry { command } => {
            let json = matches!(
                command,
                distribution::RegistryCommand::List { json: true, .. }
            );
            print_value(&distribution::registry(&command)?, json)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Call {
            dir,
            capability,
            operation,
            call: args,
            common,
        } => {
            let manager = PluginManager::new()?;
            let work = call(&manager, &dir, capability, &operation, *args, &common);
            finish(&manager, work, common.json).await
        }
    }
}

/// Runs `work` to its end and prints its value, unless SIGINT or SIGTERM comes first; either
/// way the manager is shut down afterwards (every plugin stopped, every temporary file
/// removed). A signal drops `work`, which cancels a probe, a plugin start or a call in flight,
/// so the command ends at once with the status a shell reports for the signal (130, 143).
async fn finish(
    manager: &PluginManager,
    work: impl std::future::Future<Output = Result<Value>>,
    as_json: bool,
) -> Result<ExitCode> {
    match interruptible(manager, work).await? {
        Ok(value) => {
            print_value(&value, as_json)?;
            Ok(ExitCode::SUCCESS)
        }
        Err(interrupted) => Ok(interrupted),
    }
}

/// `work`, or the exit status of the signal that interrupted it; then the manager's shutdown.
async fn interruptible<T>(
    manager: &PluginManager,
    work: impl std::future::Future<Output = Result<T>>,
) -> Result<Result<T, ExitCode>> {
    let outcome = tokio::select! {
        result = work => Ok(result),
        status = interrupted() => Err(status),
    };
    let shutdown = manager.shutdown().await;
    match outcome {
        Ok(result) => {
            let value = result?;
            shutdown.context("shutting down plugins")?;
            Ok(Ok(value))
        }
        Err(status) => {
            if let Err(e) = shutdown {
                eprintln!("error: shutting down plugins: {}", chain(&e));
            }
            Ok(Err(ExitCode::from(status)))
        }
    }
}

/// Waits for the first SIGINT or SIGTERM, and answers the status a shell reports for it. The
/// handlers are installed even where the signal was ignored (a job started in the background
/// of a script): the command must still end when asked to.
async fn interrupted() -> u8 {
    use tokio::signal::unix::{SignalKind, signal};
    match (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) {
        (Ok(mut int), Ok(mut term)) => tokio::select! {
            _ = int.recv() => {
                eprintln!("interrupted (SIGINT): stopping plugins");
                130
            }
            _ = term.recv() => {
                eprintln!("terminated (SIGTERM): stopping plugins");
                143
            }
        },
        // No handler could be installed: the default action of the signals still applies.
        _ => std::future::pending().await,
    }
}

/// Prints every candidate; [`EXIT_REJECTED`] when any was rejected.
async fn list(dir: &Path, common: &Common) -> Result<ExitCode> {
    let manager = PluginManager::new()?;
    let options = options(common)?;
    let report = match interruptible(&manager, async {
        Ok(manager.register_plugins(dir, options).await?)
    })
    .await?
    {
        Ok(report) => report,
        Err(interrupted) => return Ok(interrupted),
    };
    if common.json {
        let items: Vec<Value> = report
            .candidates
            .iter()
            .map(|c| {
                let mut v = json!({"id": c.id, "path": c.path});
                match &c.outcome {
                    Outcome::Registered { capabilities, warnings, cached, trust } => {
                        v["status"] = "registered".into();
                        v["cached"] = (*cached).into();
                        v["trust"] = match trust {
                            TrustState::Verified { sha256 } => json!({"state": "verified", "sha256": sha256}),
                            TrustState::Unlisted { lock_file } => json!({"state": "unlisted", "lockFile": lock_file}),
                            _ => json!({"state": "unchecked"}),
                        };
                        v["format"] = capabilities.format.to_string().into();
                        v["capabilities"] = capabilities
                            .capabilities
                            .iter()
                            .map(|cap| {
                                json!({
                                    "capability": cap.kind.key(),
                                    "types": cap.types.iter().map(|t| t.typ.to_string()).collect::<Vec<_>>(),
                                    "aliases": cap.types.iter().flat_map(|t| &t.aliases).map(ToString::to_string).collect::<Vec<_>>(),
                                    "consumerIdentityTypes": cap.consumer_identity_types.iter().map(|t| t.typ.to_string()).collect::<Vec<_>>(),
                                    "customCredentialTypes": cap.custom_credential_types.iter().map(|t| t.typ.to_string()).collect::<Vec<_>>(),
                                })
                            })
                            .collect();
                        v["configTypes"] = capabilities.config_types.iter().map(ToString::to_string).collect();
                        v["warnings"] = json!(warnings);
                    }
                    Outcome::Skipped(why) => {
                        v["status"] = "skipped".into();
                        v["reason"] = why.to_string().into();
                    }
                    Outcome::Rejected(why) => {
                        v["status"] = "rejected".into();
                        v["reason"] = why.to_string().into();
                    }
                }
                v
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&items)?);
    } else {
        for c in &report.candidates {
            println!("{}\t{}", c.path.display(), c.outcome);
            if let Outcome::Registered {
                warnings,
                capabilities,
                cached,
                trust,
            } = &c.outcome
            {
                println!("\ttrust: {trust}");
                let source = if *cached {
                    " (from the capability cache)"
                } else {
                    ""
                };
                println!("\tcapabilities format: {}{source}", capabilities.format);
                if !capabilities.config_types.is_empty() {
                    let t: Vec<String> = capabilities
                        .config_types
                        .iter()
                        .map(ToString::to_string)
                        .collect();
                    println!("\tconfig types: {}", t.join(", "));
                }
                for w in warnings {
                    println!("\twarning: {w}");
                }
            }
        }
    }
    let rejected = report
        .candidates
        .iter()
        .any(|c| matches!(c.outcome, Outcome::Rejected(_)));
    Ok(if rejected {
        ExitCode::from(EXIT_REJECTED)
    } else {
        ExitCode::SUCCESS
    })
}

async fn call(
    manager: &PluginManager,
    dir: &Path,
    capability: Capability,
    operation: &str,
    args: CallArgs,
    common: &Common,
) -> Result<Value> {
    // Rejected plugins do not stop a call: a look-up of a type one declared says so. Plugins
    // still being probed do not delay it either, unless one of them may serve its type.
    let _registration = manager.start_registration(dir, options(common)?).await?;
    let ctx = Ctx {
        manager,
        args: &args,
    };
    match capability {
        Capability::ComponentVersionRepository => cvr::call(&ctx, operation).await,
        Capability::CredentialRepository => credential_repository::call(&ctx, operation).await,
        Capability::Input => input::call(&ctx, operation).await,
        Capability::DigestProcessor => digest_processor::call(&ctx, operation).await,
        Capability::ResourceRepository => resource_repository::call(&ctx, operation).await,
        Capability::BlobTransformer => blob_transformer::call(&ctx, operation).await,
        Capability::ComponentLister => component_lister::call(&ctx, operation).await,
        Capability::SigningHandler => signing_handler::call(&ctx, operation).await,
        Capability::CredentialPlugin => credential_plugin::call(&ctx, operation).await,
    }
}

/// Prints a result: compact JSON with `--json`; otherwise text, a line per list entry or per
/// object field (strings as they are, anything else as compact JSON), nothing for `null`, and
/// `(none)` on stderr for an empty list, so a script reading stdout sees no lines.
fn print_value(value: &Value, as_json: bool) -> Result<()> {
    fn text(v: &Value) -> String {
        v.as_str().map_or_else(|| v.to_string(), str::to_owned)
    }
    if as_json {
        println!("{}", serde_json::to_string(value)?);
        return Ok(());
    }
    match value {
        Value::Null => {}
        Value::Array(list) if list.is_empty() => eprintln!("(none)"),
        Value::Array(list) => list.iter().for_each(|v| println!("{}", text(v))),
        Value::Object(fields) => fields
            .iter()
            .for_each(|(k, v)| println!("{k}: {}", text(v))),
        other => println!("{}", text(other)),
    }
    Ok(())
}
