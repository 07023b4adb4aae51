//! The README's two programs: the plugin (`plugin-sdk/examples/memory.rs`) and the host
//! (`crates/manager/examples/host.rs`) run together, and the README shows them verbatim.

use std::process::Command;

use ocm_plugin_test_support::PluginDir;

const README: &str = include_str!("../../../../README.md");
const PLUGIN: &str = include_str!("../../../../plugin-sdk/examples/memory.rs");
const HOST: &str = include_str!("../../../../crates/manager/examples/host.rs");

#[test]
fn the_readme_shows_the_examples_the_suite_runs() {
    for (what, text) in [("plugin", PLUGIN), ("host", HOST)] {
        let block = format!("```rust,no_run\n{text}```");
        assert!(
            README.contains(&block),
            "the README's {what} example differs from the file"
        );
    }
}

#[test]
fn the_readme_host_stores_and_reads_through_the_readme_plugin() {
    let dir = PluginDir::new().unwrap();
    dir.add(
        "memory",
        std::path::Path::new(env!("CARGO_BIN_EXE_it-memory-plugin")),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_it-small-host"))
        .arg(dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        stdout,
        "memory: registered: componentVersionRepository [Memory/v1]\nstored acme.org/app:1.0.0\n"
    );
}
