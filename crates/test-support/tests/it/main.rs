//! Cross-crate integration tests with real plugin binaries: the manager, runtime, registries and
//! SDK together. One test binary, modules by topic.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

mod cache;
mod capabilities;
mod cli;
mod directory_repository;
mod discovery;
mod distribution;
mod faults;
mod generations;
mod golden;
mod host_death;
mod lifecycle;
mod memory;
mod oci_repository;
mod readme;
mod registry_harness;
mod signing;
mod soak;
mod trust;

use std::{path::PathBuf, time::Duration};

use ocm_plugin_manager::RegistrationOptions;
use ocm_plugin_types::Raw;

pub(crate) fn test_plugin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_ocm-test-plugin"))
}

pub(crate) fn directory_repository() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_it-directory-repository"))
}

pub(crate) fn oci_repository() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_it-oci-repository"))
}

pub(crate) fn rsa_signing_handler() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_it-rsa-signing-handler"))
}

pub(crate) fn file_input() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_it-file-input"))
}

pub(crate) fn sha256_digester() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_it-sha256-digester"))
}

pub(crate) fn cli() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_it-ocm-plugin"))
}

/// Short deadlines so a broken behaviour fails fast instead of hanging the suite.
pub(crate) fn options() -> RegistrationOptions {
    RegistrationOptions {
        capabilities_timeout: Duration::from_secs(5),
        start_timeout: Duration::from_secs(10),
        stop_grace: Duration::from_secs(3),
        ..RegistrationOptions::default()
    }
}

pub(crate) fn spec(json: &str) -> Raw {
    Raw::from_json(json).unwrap()
}

pub(crate) fn test_spec() -> Raw {
    spec(r#"{"type":"TestRepository/v1","baseUrl":"https://example.org"}"#)
}

/// Waits for a supervised plugin's current process to exit, without polling, or fails after
/// `deadline`.
pub(crate) async fn wait_exit(sup: &ocm_plugin_manager::PluginHandle, deadline: Duration) {
    tokio::time::timeout(deadline, sup.wait_exit())
        .await
        .expect("plugin did not exit before the deadline");
}
