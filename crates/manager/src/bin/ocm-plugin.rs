//! `ocm-plugin`: inspect a plugin directory and call plugin operations from a shell.
//!
//! ```text
//! ocm-plugin list <dir> [--json]
//! ocm-plugin call <dir> component-version-repository <operation> --spec '<json>' [options]
//! ```

use std::{
    path::{Path, PathBuf},
    process::ExitCode,
    time::Duration,
};

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand, ValueEnum};
use ocm_plugin_contracts::component_version_repository::v1 as cvr;
use ocm_plugin_manager::{Outcome, PluginManager, RegistrationOptions, flatten_generic_config};
use ocm_plugin_types::{Credentials, Descriptor, Identity, Location, Raw, Resource, Source};
use serde_json::{Value, json};

#[derive(Parser)]
#[command(
    name = "ocm-plugin",
    version,
    about = "Inspect OCM plugin directories and call plugin operations"
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
        /// Operation, in kebab-case (e.g. get-component-version).
        operation: String,
        #[command(flatten)]
        call: Box<CallArgs>,
        #[command(flatten)]
        common: Common,
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
}

#[derive(Args)]
struct CallArgs {
    /// The repository spec, as JSON (its `type` selects the plugin).
    #[arg(long)]
    spec: String,
    /// Component name.
    #[arg(long)]
    name: Option<String>,
    /// Component version.
    #[arg(long)]
    version: Option<String>,
    /// Credentials, as a JSON string map.
    #[arg(long)]
    credentials: Option<String>,
    /// Descriptor for add-component-version: a file path or inline JSON.
    #[arg(long)]
    descriptor: Option<String>,
    /// Resource (add-local-resource) or source (add-local-source) metadata, as JSON.
    #[arg(long)]
    resource: Option<String>,
    /// The blob to upload with add-local-resource / add-local-source.
    #[arg(long)]
    resource_file: Option<PathBuf>,
    /// Identity of the resource or source to download, as a JSON string map.
    #[arg(long)]
    identity: Option<String>,
    /// Where to write a downloaded blob.
    #[arg(long)]
    output: Option<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum)]
enum Capability {
    ComponentVersionRepository,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
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
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
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
        .with_target(false)
        .init();
}

fn options(common: &Common) -> Result<RegistrationOptions> {
    let mut options = RegistrationOptions {
        idle_timeout: Some(Duration::from_secs(common.idle_timeout)),
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

async fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::List { dir, common } => list(&dir, &common).await,
        Command::Call {
            dir,
            capability,
            operation,
            call: args,
            common,
        } => {
            let manager = PluginManager::new()?;
            let result = call(&manager, &dir, capability, &operation, *args, &common).await;
            let shutdown = manager.shutdown().await;
            let value = result?;
            shutdown.context("shutting down plugins")?;
            print_value(&value, common.json)
        }
    }
}

async fn list(dir: &Path, common: &Common) -> Result<()> {
    let manager = PluginManager::new()?;
    let report = manager.register_plugins(dir, options(common)?).await;
    manager.shutdown().await?;
    let report = report?;
    if common.json {
        let items: Vec<Value> = report
            .candidates
            .iter()
            .map(|c| {
                let mut v = json!({"id": c.id, "path": c.path});
                match &c.outcome {
                    Outcome::Registered { capabilities, warnings } => {
                        v["status"] = "registered".into();
                        v["capabilities"] = capabilities
                            .capabilities
                            .iter()
                            .map(|cap| {
                                json!({
                                    "capability": cap.kind.key(),
                                    "types": cap.types.iter().map(|t| t.typ.to_string()).collect::<Vec<_>>(),
                                    "consumerIdentityTypes": cap.consumer_identity_types.iter().map(|t| t.typ.to_string()).collect::<Vec<_>>(),
                                })
                            })
                            .collect();
                        v["configTypes"] = capabilities.config_types.iter().map(ToString::to_string).collect();
                        v["warnings"] = json!(warnings);
                    }
                    Outcome::Skipped(why) => {
                        v["status"] = "skipped".into();
                        v["reason"] = why.clone().into();
                    }
                    Outcome::Rejected(why) => {
                        v["status"] = "rejected".into();
                        v["reason"] = why.clone().into();
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
            } = &c.outcome
            {
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
    Ok(())
}

fn parse_json<T: serde::de::DeserializeOwned>(what: &str, text: &str) -> Result<T> {
    serde_json::from_str(text)
        .with_context(|| format!("--{what} is not valid JSON of the expected shape"))
}

fn required<'a>(what: &str, v: &'a Option<String>) -> Result<&'a str> {
    v.as_deref()
        .with_context(|| format!("this operation needs --{what}"))
}

async fn call(
    manager: &PluginManager,
    dir: &Path,
    capability: Capability,
    operation: &str,
    args: CallArgs,
    common: &Common,
) -> Result<Value> {
    let Capability::ComponentVersionRepository = capability;
    let spec = Raw::from_json(&args.spec).context("--spec must be a JSON object with a type")?;
    let credentials: Credentials = match &args.credentials {
        Some(c) => parse_json::<Option<Credentials>>("credentials", c)?.unwrap_or_default(),
        None => Credentials::new(),
    };
    let report = manager.register_plugins(dir, options(common)?).await?;
    let repo = manager
        .component_version_repositories()
        .get(&spec)
        .await
        .with_context(|| {
            let rejected: Vec<String> = report
                .rejected()
                .map(|c| format!("{}: {}", c.id, c.outcome))
                .collect();
            if rejected.is_empty() {
                "no plugin serves this spec".to_owned()
            } else {
                format!(
                    "no plugin serves this spec (rejected: {})",
                    rejected.join("; ")
                )
            }
        })?;
    let name = || required("name", &args.name).map(str::to_owned);
    let version = || required("version", &args.version).map(str::to_owned);
    let identity = || -> Result<Option<Identity>> {
        args.identity
            .as_deref()
            .map(|i| parse_json("identity", i))
            .transpose()
    };
    let blob = || -> Result<Location> {
        let file = args
            .resource_file
            .as_ref()
            .context("this operation needs --resource-file")?;
        let abs = std::fs::canonicalize(file)
            .with_context(|| format!("--resource-file {}", file.display()))?;
        Ok(Location::local_file(abs.to_string_lossy()))
    };
    Ok(match operation {
        "get-component-version" => {
            let d = repo
                .get_component_version(
                    cvr::GetComponentVersionRequest {
                        repository: Some(spec),
                        name: name()?,
                        version: version()?,
                    },
                    &credentials,
                )
                .await?;
            serde_json::to_value(d)?
        }
        "list-component-versions" => {
            let v = repo
                .list_component_versions(
                    cvr::ListComponentVersionsRequest {
                        repository: Some(spec),
                        name: name()?,
                    },
                    &credentials,
                )
                .await?;
            json!(v)
        }
        "add-component-version" => {
            let text = required("descriptor", &args.descriptor)?;
            let text = if text.trim_start().starts_with('{') {
                text.to_owned()
            } else {
                std::fs::read_to_string(text)
                    .with_context(|| format!("reading descriptor {text}"))?
            };
            let descriptor: Descriptor = parse_json("descriptor", &text)?;
            repo.add_component_version(
                cvr::AddComponentVersionRequest {
                    repository: spec,
                    descriptor,
                },
                &credentials,
            )
            .await?;
            json!({"stored": true})
        }
        "add-local-resource" => {
            let resource: Resource = parse_json("resource", required("resource", &args.resource)?)?;
            let r = repo
                .add_local_resource(
                    cvr::AddLocalResourceRequest {
                        repository: spec,
                        name: name()?,
                        version: version()?,
                        resource_location: blob()?,
                        resource,
                    },
                    &credentials,
                )
                .await?;
            serde_json::to_value(r)?
        }
        "add-local-source" => {
            let source: Source = parse_json("resource", required("resource", &args.resource)?)?;
            let s = repo
                .add_local_source(
                    cvr::AddLocalSourceRequest {
                        repository: spec,
                        name: name()?,
                        version: version()?,
                        source_location: blob()?,
                        source,
                    },
                    &credentials,
                )
                .await?;
            serde_json::to_value(s)?
        }
        "get-local-resource" => {
            let r = repo
                .get_local_resource(
                    cvr::GetLocalResourceRequest {
                        repository: Some(spec),
                        name: name()?,
                        version: version()?,
                        identity: identity()?,
                    },
                    &credentials,
                )
                .await?;
            let saved = take_blob(manager, &r.location, args.output.as_deref())?;
            json!({"resource": r.resource, "location": r.location, "blob": saved})
        }
        "get-local-source" => {
            let r = repo
                .get_local_source(
                    cvr::GetLocalSourceRequest {
                        repository: Some(spec),
                        name: name()?,
                        version: version()?,
                        identity: identity()?,
                    },
                    &credentials,
                )
                .await?;
            let saved = take_blob(manager, &r.location, args.output.as_deref())?;
            json!({"source": r.source, "location": r.location, "blob": saved})
        }
        "get-identity" => {
            let r = repo
                .get_identity(cvr::GetIdentityRequest { typ: spec })
                .await?;
            serde_json::to_value(r)?
        }
        "check-health" => {
            repo.check_health(cvr::CheckHealthRequest { repository: spec }, &credentials)
                .await?;
            json!({"healthy": true})
        }
        other => bail!(
            "unknown operation {other:?}; one of: get-component-version, list-component-versions, add-component-version, \
             get-local-resource, get-local-source, add-local-resource, add-local-source, get-identity, check-health"
        ),
    })
}

/// A downloaded blob is handed over to us: copy it to `--output` (if given) and report its size.
/// Files inside the manager's temp dir are removed with it at shutdown.
fn take_blob(manager: &PluginManager, location: &Location, output: Option<&Path>) -> Result<Value> {
    if location.location_type != ocm_plugin_types::LocationType::LocalFile {
        bail!("unsupported location type: {}", location.location_type);
    }
    let src = Path::new(&location.value);
    let size = std::fs::metadata(src)
        .with_context(|| format!("blob {}", src.display()))?
        .len();
    if let Some(out) = output {
        std::fs::copy(src, out).with_context(|| format!("writing {}", out.display()))?;
    }
    if src.starts_with(manager.temp_dir()) {
        let _ = std::fs::remove_file(src);
    }
    Ok(json!({"size": size, "output": output}))
}

fn print_value(value: &Value, as_json: bool) -> Result<()> {
    if as_json {
        println!("{}", serde_json::to_string(value)?);
    } else if let Some(list) = value.as_array() {
        for v in list {
            println!(
                "{}",
                v.as_str().map_or_else(|| v.to_string(), str::to_owned)
            );
        }
    } else {
        println!("{}", serde_json::to_string_pretty(value)?);
    }
    Ok(())
}
