//! The README's two programs: the plugin (`plugin-sdk/examples/memory.rs`) and the host
//! (`crates/manager/examples/host.rs`) run together, and the README shows them verbatim.

use std::process::Command;

use ocm_plugin_test_support::PluginDir;

const README: &str = include_str!("../../../../README.md");
const PLUGIN: &str = include_str!("../../../../plugin-sdk/examples/memory.rs");
const TEXT_PLUGIN: &str = include_str!("../../../../plugin-sdk/examples/text.rs");
const HOST: &str = include_str!("../../../../crates/manager/examples/host.rs");

#[test]
fn the_readme_shows_the_examples_the_suite_runs() {
    for (what, text) in [
        ("plugin", PLUGIN),
        ("text plugin", TEXT_PLUGIN),
        ("host", HOST),
    ] {
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

/// An operation the README's plugin does not implement answers 501, which reaches the host as
/// the same `Unsupported` error an in-process implementation gives, with the operation's name.
#[tokio::test]
async fn an_unimplemented_operation_is_unsupported_as_in_process() {
    use ocm_plugin_manager::contracts::{
        Error as ContractError, component_version_repository::v1::ListComponentVersionsRequest,
    };
    let (_dir, manager) = manager_with("memory", env!("CARGO_BIN_EXE_it-memory-plugin")).await;
    let spec = crate::spec(r#"{"type":"Memory/v1"}"#);
    let repo = manager
        .component_version_repositories()
        .get(&spec)
        .await
        .unwrap();
    let err = repo
        .list_component_versions(
            ListComponentVersionsRequest {
                repository: Some(spec.clone()),
                name: "acme.org/app".into(),
            },
            &ocm_plugin_manager::types::Credentials::new(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, ContractError::Unsupported("list-component-versions")),
        "{err:?}"
    );
    manager.shutdown().await.unwrap();
}

/// The 30-line input method of the README and the SDK docs, under our manager: registered by
/// its derived schema, a spec failing it refused before it is sent, a good one answered with
/// the blob and its local blob access and digest.
#[tokio::test]
async fn the_readme_text_plugin_works_under_the_manager() {
    use ocm_plugin_manager::contracts::input::v1::{ConstructorResource, ProcessResourceRequest};
    let (_dir, manager) = manager_with("text", env!("CARGO_BIN_EXE_it-text-plugin")).await;
    let request = |spec: &str| ProcessResourceRequest {
        resource: ConstructorResource {
            name: "greeting".into(),
            version: "1.0.0".into(),
            resource_type: "plainText".into(),
            input: Some(crate::spec(spec)),
            ..ConstructorResource::default()
        },
    };
    let spec = crate::spec(r#"{"type":"Text/v1","text":"hello"}"#);
    let input = manager.input_methods().get(&spec).await.unwrap();
    let credentials = ocm_plugin_manager::types::Credentials::new();
    let refused = input
        .process_resource(request(r#"{"type":"Text/v1","txt":"hello"}"#), &credentials)
        .await
        .unwrap_err();
    assert!(refused.to_string().contains("text"), "{refused}");
    let answer = input
        .process_resource(
            request(r#"{"type":"Text/v1","text":"hello"}"#),
            &credentials,
        )
        .await
        .unwrap();
    assert_eq!(answer.resource.name, "greeting");
    let digest = answer.resource.digest.clone().unwrap();
    assert_eq!(digest.hash_algorithm, "SHA-256");
    let bytes = manager
        .blob(&answer.location)
        .unwrap()
        .read_to_vec()
        .await
        .unwrap();
    assert_eq!(bytes, b"hello");
    manager.shutdown().await.unwrap();
}

/// A manager with the plugin `exe` registered as `id` (the directory lives as long as it).
async fn manager_with(id: &str, exe: &str) -> (PluginDir, ocm_plugin_manager::PluginManager) {
    let dir = PluginDir::new().unwrap();
    dir.add(id, std::path::Path::new(exe)).unwrap();
    let manager = ocm_plugin_manager::PluginManager::new().unwrap();
    manager
        .register_plugins(dir.path(), crate::options())
        .await
        .unwrap();
    (dir, manager)
}
