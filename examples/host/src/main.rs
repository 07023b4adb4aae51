//! Drives the example plugins through the plugin manager, the way a host integrator would.
//!
//! Run with `cargo xtask e2e` (which builds the plugins and lays out the plugin directory) or
//! directly: `ocm-example-host e2e <plugin-dir> <work-dir>`, `ocm-example-host pipeline
//! <plugin-dir> <work-dir>` (every v0.0.1 capability together), `ocm-example-host signing
//! <plugin-dir> <work-dir>` (component lister, credential plugin, and signing and verifying a
//! component version through the manager, with tamper checks), `ocm-example-host oci
//! <plugin-dir> <work-dir> <registry-url>` (the pipeline's component version copied into an OCI
//! registry at `http://127.0.0.1:<port>`, read back and signed; run it after `pipeline` with the
//! same work dir). The benchmarks live in `crates/bench` (`cargo xtask bench`).

mod e2e;
mod oci;
mod pipeline;
mod sign;
mod signing;
mod util;

use std::{path::PathBuf, process::ExitCode};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let filter = tracing_subscriber::EnvFilter::try_from_env("OCM_PLUGIN_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = match args.as_slice() {
        [cmd, plugins, work] if cmd == "e2e" => {
            runtime.block_on(e2e::run(PathBuf::from(plugins), PathBuf::from(work)))
        }
        [cmd, plugins, work] if cmd == "pipeline" => {
            runtime.block_on(pipeline::run(PathBuf::from(plugins), PathBuf::from(work)))
        }
        [cmd, plugins, work] if cmd == "signing" => {
            runtime.block_on(signing::run(PathBuf::from(plugins), PathBuf::from(work)))
        }
        [cmd, plugins, work, registry] if cmd == "oci" => runtime.block_on(oci::run(
            PathBuf::from(plugins),
            PathBuf::from(work),
            registry.clone(),
        )),
        _ => {
            eprintln!(
                "usage: ocm-example-host e2e|pipeline|signing <plugin-dir> <work-dir>\n       \
                 ocm-example-host oci <plugin-dir> <work-dir> <registry-url>"
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("FAILED: {e:#}");
            ExitCode::FAILURE
        }
    }
}
