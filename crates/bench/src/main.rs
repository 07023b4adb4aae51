//! `ocm-bench`: the benchmark harness behind `cargo xtask bench`.
//!
//! Every figure is printed next to the floor it is judged against, measured in the same run on
//! the same machine, so ratios mean something anywhere; the table is also written as JSON (with
//! the core count and the git revision) so two runs can be compared. Timings are never
//! asserted: the short variant (`--quick`) runs in CI only so the harness keeps working.
//!
//! ```text
//! ocm-bench run --plugins <dir> --work <dir> --out <results.json> [--quick] [--revision R]
//! ocm-bench plugin --plugin <binary> --spec <json> [--capability C] [--operation O]
//!                  [--request <json>] --work <dir> --out <results.json>
//! ```
//!
//! `run` measures the example plugins (built by `cargo xtask bench`); `plugin` measures the
//! cold and warm paths of any plugin binary, ours or another implementation's, so that they
//! can be compared on one machine.

mod any;
mod distribution;
mod floors;
mod oci;
mod report;
mod scenarios;
mod signing;
mod size;

use std::{path::PathBuf, process::ExitCode};

use anyhow::{Context as _, Result};
use clap::{Parser, Subcommand};

use crate::report::{Results, Row, Unit};

#[derive(Parser)]
#[command(
    name = "ocm-bench",
    about = "Benchmarks of the OCM plugin manager and SDK"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Every scenario, against the example plugins.
    Run {
        /// The directory holding the example plugin binaries.
        #[arg(long)]
        plugins: PathBuf,
        /// Scratch space (removed by the caller).
        #[arg(long)]
        work: PathBuf,
        /// Where to write the results as JSON.
        #[arg(long)]
        out: PathBuf,
        /// Few iterations and small blobs: checks that the harness works, nothing more.
        #[arg(long)]
        quick: bool,
        /// The git revision, for the results.
        #[arg(long, default_value = "unknown")]
        revision: String,
        /// The build profile, for the results.
        #[arg(long, default_value = "release")]
        profile: String,
        /// The example plugins built with the distribution profile, for the size rows
        /// (without it, they are skipped).
        #[arg(long)]
        dist: Option<PathBuf>,
        /// The `--dist` binaries come from an earlier build (said in each size row).
        #[arg(long, requires = "dist")]
        dist_reused: bool,
    },
    /// Cold and warm scenarios against any plugin binary.
    Plugin(any::Args),
    /// Print one line and exit (the spawn floor).
    #[command(hide = true)]
    Line,
    /// A bare hyper server on a Unix socket (the round-trip floor).
    #[command(hide = true)]
    FloorServer { socket: PathBuf },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Line => {
            floors::line_mode();
            Ok(())
        }
        Command::FloorServer { socket } => floors::floor_server(&socket),
        other => {
            let filter = tracing_subscriber::EnvFilter::try_from_env("OCM_PLUGIN_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("error"));
            tracing_subscriber::fmt()
                .with_env_filter(filter)
                .with_writer(std::io::stderr)
                .init();
            // One current-thread runtime, like the SDK's: floors and figures share it.
            match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(runtime) => runtime.block_on(dispatch(other)),
                Err(e) => Err(e.into()),
            }
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ocm-bench: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn dispatch(command: Command) -> Result<()> {
    match command {
        Command::Run {
            plugins,
            work,
            out,
            quick,
            revision,
            profile,
            dist,
            dist_reused,
        } => {
            let dist = dist.map(|dir| (dir, dist_reused));
            run(plugins, work, out, quick, revision, profile, dist).await
        }
        Command::Plugin(args) => any::run(args).await,
        Command::Line | Command::FloorServer { .. } => Ok(()),
    }
}

async fn run(
    plugins: PathBuf,
    work: PathBuf,
    out: PathBuf,
    quick: bool,
    revision: String,
    profile: String,
    dist: Option<(PathBuf, bool)>,
) -> Result<()> {
    let exe = std::env::current_exe().context("locating ocm-bench")?;
    std::fs::create_dir_all(&work)?;
    let sizes = if quick {
        scenarios::Sizes::quick()
    } else {
        scenarios::Sizes::full()
    };
    let mut results = Results::new(revision, profile, quick);
    println!(
        "ocm-bench: {} cores, {} cold starts, {} warm calls, {} MiB blobs",
        results.cores,
        sizes.cold,
        sizes.warm,
        sizes.blob >> 20
    );
    report::print_header();

    match &dist {
        Some((dir, reused)) => {
            let note = if *reused { " (earlier dist build)" } else { "" };
            size::sizes(dir, note, &mut results)?;
        }
        None => println!("  (sizes skipped: no dist build given)"),
    }

    let spawn = floors::spawn(&exe, sizes.cold)?;
    results.push(Row::timed(
        "floors",
        "spawn a trivial binary, read one line",
        Unit::Millis,
        &spawn,
    ));
    let raw = floors::raw_round_trip(&exe, &work, sizes.warm).await?;
    results.push(Row::timed(
        "floors",
        "raw hyper round trip, Unix socket",
        Unit::Micros,
        &raw,
    ));

    let setup = scenarios::Setup { exe, plugins, work };
    scenarios::discovery(&setup, sizes, &mut results).await?;
    scenarios::calls(&setup, sizes, &spawn, &raw, &mut results).await?;
    oci::oci(&setup, sizes, &mut results).await?;
    distribution::distribution(&setup, sizes, &mut results).await?;
    signing::digest(sizes, &mut results)?;

    results.print();
    results.write(&out)?;
    println!("results: {}", out.display());
    Ok(())
}
