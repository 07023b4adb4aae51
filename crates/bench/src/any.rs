//! `ocm-bench plugin`: the cold and warm scenarios against any plugin binary (ours, Go's, or
//! anyone's), with the same floors, so implementations can be compared on one machine.

use std::{
    path::PathBuf,
    process::{Command, Stdio},
    time::Instant,
};

use anyhow::{Context as _, Result, bail, ensure};
use ocm_plugin_endpoints::{
    Encoded, Route, component_version_repository as cvr, encode_request, routes,
};
use ocm_plugin_manager::{
    CapabilityCache, PluginManager, RegistrationOptions,
    types::{CapabilityKind, Credentials, Raw},
};

use crate::{
    floors,
    report::{Results, Row, Samples, Unit},
};

/// Arguments of `ocm-bench plugin`.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// The plugin binary.
    #[arg(long)]
    plugin: PathBuf,
    /// The spec the calls carry (its type must be one the plugin serves).
    #[arg(long)]
    spec: String,
    /// The capability: its wire key (`componentVersionRepository`) or command-line name
    /// (`component-version-repository`).
    #[arg(long, default_value = "componentVersionRepository")]
    capability: String,
    /// The operation, by its kebab-case name.
    #[arg(long, default_value = "list-component-versions")]
    operation: String,
    /// The request, as JSON. Where it names no spec and the operation carries one, the spec is
    /// put in as the manager puts it (the component version repository's reads: the
    /// `repository` query parameter). Default (list-component-versions only):
    /// `{"name": "acme.org/bench"}`.
    #[arg(long)]
    request: Option<String>,
    /// Warm calls.
    #[arg(long, default_value_t = 1000)]
    iterations: usize,
    /// Cold starts (and probes).
    #[arg(long, default_value_t = 50)]
    cold: usize,
    /// Scratch space.
    #[arg(long)]
    work: PathBuf,
    /// Where to write the results as JSON.
    #[arg(long)]
    out: PathBuf,
    /// The git revision, for the results.
    #[arg(long, default_value = "unknown")]
    revision: String,
    /// The build profile, for the results.
    #[arg(long, default_value = "release")]
    profile: String,
}

fn kind_of(name: &str) -> Result<CapabilityKind> {
    let kebab = |key: &str| {
        let mut out = String::new();
        for c in key.chars() {
            if c.is_ascii_uppercase() {
                out.push('-');
                out.push(c.to_ascii_lowercase());
            } else {
                out.push(c);
            }
        }
        out
    };
    CapabilityKind::ALL
        .into_iter()
        .find(|k| {
            let key = k.key();
            let long = kebab(key);
            key == name || long == name || long.strip_suffix("-repository") == Some(name)
        })
        .with_context(|| format!("unknown capability {name:?}"))
}

fn route_of(kind: &CapabilityKind, operation: &str) -> Result<&'static Route> {
    let table = routes(kind);
    table
        .iter()
        .copied()
        .find(|r| r.operation == operation)
        .with_context(|| {
            let names: Vec<&str> = table.iter().map(|r| r.operation).collect();
            format!(
                "{kind} has no operation {operation:?}; it has {}",
                names.join(", ")
            )
        })
}

/// What `--spec`, `--capability`, `--operation` and `--request` call: the capability, the
/// route and the request as the manager sends it through a handle looked up with the spec
/// (where the request names no spec, the operation's own binding puts it in: the component
/// version repository's reads carry it as the `repository` query parameter).
fn call_of(args: &Args) -> Result<(CapabilityKind, &'static Route, Encoded)> {
    let spec = Raw::from_json(&args.spec).context("--spec is not a JSON object")?;
    let kind = kind_of(&args.capability)?;
    let route = route_of(&kind, &args.operation)?;
    let request: serde_json::Value = match &args.request {
        Some(r) => serde_json::from_str(r).context("--request is not JSON")?,
        None if route == &cvr::LIST_COMPONENT_VERSIONS => {
            serde_json::json!({ cvr::NAME_PARAM: "acme.org/bench" })
        }
        None => bail!("--request is needed for {}", route.operation),
    };
    let encoded = encode_request(&kind, route, request, Some(&spec))
        .with_context(|| format!("the {} request", route.operation))?;
    Ok((kind, route, encoded))
}

pub(crate) async fn run(args: Args) -> Result<()> {
    let exe = std::env::current_exe()?;
    let plugin = std::path::absolute(&args.plugin)?;
    let (kind, route, encoded) = call_of(&args)?;
    let (query, body) = (encoded.query_pairs(), encoded.body.clone());

    std::fs::create_dir_all(&args.work)?;
    let mut results = Results::new(args.revision.clone(), args.profile.clone(), false);
    println!(
        "ocm-bench plugin {}: {} {} ({} cold, {} warm)",
        plugin.display(),
        kind,
        route.operation,
        args.cold,
        args.iterations
    );
    crate::report::print_header();

    let spawn = floors::spawn(&exe, args.cold)?;
    results.push(Row::timed(
        "floors",
        "spawn a trivial binary, read one line",
        Unit::Millis,
        &spawn,
    ));
    let raw = floors::raw_round_trip(&exe, &args.work, args.iterations).await?;
    results.push(Row::timed(
        "floors",
        "raw hyper round trip, Unix socket",
        Unit::Micros,
        &raw,
    ));

    // `capabilities`, spawn to exit.
    let mut probes = Vec::new();
    for _ in 0..args.cold {
        let t = Instant::now();
        let status = Command::new(&plugin)
            .arg("capabilities")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()?;
        probes.push(t.elapsed());
        ensure!(
            status.success(),
            "{} capabilities: {status}",
            plugin.display()
        );
    }
    let probes = Samples::new(probes);
    results.push(
        Row::timed(
            "plugin",
            "capabilities (spawn -> exit)",
            Unit::Millis,
            &probes,
        )
        .against("spawn + read a line", Unit::Millis.of(spawn.p50())),
    );

    let dir = args.work.join("plugin-dir");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let id = plugin
        .file_name()
        .context("the plugin path has no file name")?
        .to_string_lossy()
        .into_owned();
    std::os::unix::fs::symlink(&plugin, dir.join(&id))?;
    let manager = PluginManager::new()?;
    let report = manager
        .register_plugins(
            &dir,
            RegistrationOptions {
                cache: CapabilityCache::Disabled,
                ..RegistrationOptions::default()
            },
        )
        .await?;
    if let Some(rejected) = report.rejected().next() {
        bail!("{}: {}", rejected.path.display(), rejected.outcome);
    }
    let supervisor = manager.plugin(&id).context("the plugin did not register")?;
    let credentials = Credentials::new();

    let result = async {
        let mut cold = Vec::new();
        for _ in 0..args.cold {
            supervisor.stop().await?;
            let t = Instant::now();
            supervisor
                .supervisor()
                .call(route, &query, Some(&credentials), body.clone())
                .await?;
            cold.push(t.elapsed());
        }
        let cold = Samples::new(cold);
        results.push(
            Row::timed(
                "plugin",
                format!("cold start: spawn -> {} answered", route.operation),
                Unit::Millis,
                &cold,
            )
            .against("spawn + read a line", Unit::Millis.of(spawn.p50())),
        );

        let client = supervisor.supervisor().client().await?;
        let (mut health, mut warm) = (Vec::new(), Vec::new());
        for i in 0..args.iterations + args.iterations / 10 {
            let t = Instant::now();
            client.health().await?;
            let h = t.elapsed();
            let t = Instant::now();
            supervisor
                .supervisor()
                .call(route, &query, Some(&credentials), body.clone())
                .await?;
            if i >= args.iterations / 10 {
                health.push(h);
                warm.push(t.elapsed());
            }
        }
        let (health, warm) = (Samples::new(health), Samples::new(warm));
        results.push(
            Row::timed("plugin", "GET /healthz", Unit::Micros, &health)
                .against("raw hyper round trip", Unit::Micros.of(raw.p50())),
        );
        results.push(
            Row::timed(
                "plugin",
                format!("warm {}", route.operation),
                Unit::Micros,
                &warm,
            )
            .against("/healthz, same connection", Unit::Micros.of(health.p50())),
        );
        Ok::<_, anyhow::Error>(())
    }
    .await;
    manager.shutdown().await?;
    result?;
    results.print();
    results.write(&args.out)?;
    println!("results: {}", args.out.display());
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::Parser as _;
    use ocm_plugin_endpoints::decode_json_param;

    use super::*;

    #[derive(clap::Parser)]
    struct Cli {
        #[command(flatten)]
        args: Args,
    }

    const SPEC: &str = r#"{"type":"DirectoryRepository/v1","path":"/srv/ocm"}"#;

    fn call(extra: &[&str]) -> (&'static Route, Encoded) {
        let base = [
            "ocm-bench",
            "--plugin",
            "p",
            "--spec",
            SPEC,
            "--work",
            "w",
            "--out",
            "o",
        ];
        let cli = Cli::try_parse_from(base.iter().chain(extra)).unwrap();
        let (kind, route, encoded) = call_of(&cli.args).unwrap();
        assert_eq!(kind, CapabilityKind::ComponentVersionRepository);
        (route, encoded)
    }

    fn repository(encoded: &Encoded) -> Option<serde_json::Value> {
        let carried = encoded
            .query
            .iter()
            .find(|(k, _)| *k == cvr::REPOSITORY_PARAM)
            .map(|(_, v)| v.as_str());
        decode_json_param(cvr::REPOSITORY_PARAM, carried).unwrap()
    }

    #[test]
    fn a_read_given_by_request_carries_the_spec_as_the_manager_sends_it() {
        let spec: serde_json::Value = serde_json::from_str(SPEC).unwrap();
        let (route, encoded) = call(&[
            "--operation",
            "get-component-version",
            "--request",
            r#"{"name":"acme.org/bench","version":"1.0.0"}"#,
        ]);
        assert_eq!(route, &cvr::GET_COMPONENT_VERSION);
        assert_eq!(repository(&encoded), Some(spec.clone()));
        assert_eq!(encoded.body, None);

        let (_, encoded) = call(&["--request", r#"{"name":"acme.org/bench"}"#]);
        assert_eq!(repository(&encoded), Some(spec.clone()));

        // The default request, too.
        let (route, encoded) = call(&[]);
        assert_eq!(route, &cvr::LIST_COMPONENT_VERSIONS);
        assert_eq!(repository(&encoded), Some(spec));
    }

    #[test]
    fn a_spec_the_request_names_is_kept() {
        let (_, encoded) = call(&[
            "--capability",
            "component-version",
            "--request",
            r#"{"name":"acme.org/bench","repository":{"type":"DirectoryRepository/v1","path":"/other"}}"#,
        ]);
        assert_eq!(
            repository(&encoded),
            Some(serde_json::json!({"type": "DirectoryRepository/v1", "path": "/other"}))
        );
    }
}
