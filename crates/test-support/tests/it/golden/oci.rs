//! The OCI repository plugin against what OCM's Go code (`bindings/go` v0.0.5, package `oci`)
//! wrote into a registry (`go-oci/`): the plugin writes the same bytes (descriptor layer and
//! config; the manifest differs only in the creator and author annotations), and reads what Go
//! wrote in each descriptor encoding (JSON, YAML, tar).

use ocm_plugin_golden::Corpus;
use ocm_plugin_test_support::registry::{HttpAuth, RegistryAuth};
use ocm_plugin_types::{Credentials, Descriptor, Identity};
use serde_json::{Value, json};

use crate::oci_repository::{COMPONENT, Oci, resource, start_registry};

const VERSION: &str = "1.0.0+build.1";
const TAG: &str = "1.0.0.build-build.1";
const MANIFEST_TYPE: &str = "application/vnd.oci.image.manifest.v1+json";
const GO_CREATOR: &str = "ocm.software/open-component-model/bindings/go/oci";
const OUR_CREATOR: &str = "ocm-plugin-rs/examples/oci-repository";

#[tokio::test]
async fn golden_oci_plugin_writes_the_bytes_go_writes() {
    let Some(corpus) = Corpus::locate(module_path!(), "go-oci: layout written by the plugin")
    else {
        return;
    };
    let Some(registry) = start_registry(RegistryAuth::None) else {
        return;
    };
    let read = |name: &str| corpus.read(&format!("go-oci/{name}")).unwrap();
    let oci = Oci::for_registry(&registry).await;
    let creds = Credentials::new();
    let files = tempfile::tempdir().unwrap();
    let hello = files.path().join("hello.txt");
    std::fs::write(&hello, read("hello.txt")).unwrap();

    let added = oci
        .add_local(
            &creds,
            COMPONENT,
            VERSION,
            &hello,
            resource("hello", VERSION, "text/plain"),
        )
        .await
        .unwrap();
    // What Go's add printed: the access it returned.
    let go_add = String::from_utf8(read("json.add.txt")).unwrap();
    let go_access: Value = serde_json::from_str(
        go_add
            .lines()
            .find_map(|l| l.split_once("access=").map(|(_, a)| a))
            .unwrap(),
    )
    .unwrap();
    assert_eq!(added.access.as_ref().unwrap().to_value(), go_access);

    // The component version Go stored, as its descriptor layer says.
    let go_descriptor: Descriptor = serde_json::from_slice(&read("json.descriptor")).unwrap();
    assert_eq!(
        go_descriptor.component.resources.as_ref().unwrap()[0],
        added,
        "the resource the plugin returned is the one Go recorded"
    );
    oci.add_version(&creds, go_descriptor).await.unwrap();

    let repository = format!("component-descriptors/{COMPONENT}");
    let tags = registry.get_tags(&repository, HttpAuth::Anonymous).unwrap();
    let go_tags: Value = serde_json::from_slice(&read("json.tags.json")).unwrap();
    assert_eq!(json!(tags), go_tags["tags"]);
    let manifest = registry
        .get_manifest(&repository, TAG, MANIFEST_TYPE, HttpAuth::Anonymous)
        .unwrap();
    let ours = String::from_utf8(manifest.body.clone()).unwrap();
    assert_eq!(
        ours.replace(OUR_CREATOR, GO_CREATOR).into_bytes(),
        read("json.manifest.json"),
        "the manifest differs from Go's beyond creator and author:\n{ours}"
    );
    let m: Value = serde_json::from_str(&ours).unwrap();
    let config = registry
        .get_blob(
            &repository,
            m["config"]["digest"].as_str().unwrap(),
            HttpAuth::Anonymous,
        )
        .unwrap();
    assert_eq!(config, read("json.config.json"), "config blob");
    let layer = registry
        .get_blob(
            &repository,
            m["layers"][0]["digest"].as_str().unwrap(),
            HttpAuth::Anonymous,
        )
        .unwrap();
    assert_eq!(layer, read("json.descriptor"), "descriptor layer");
    oci.stop().await;
}

#[tokio::test]
async fn golden_oci_plugin_reads_what_go_wrote_in_every_encoding() {
    let Some(corpus) = Corpus::locate(module_path!(), "go-oci: layouts read by the plugin") else {
        return;
    };
    let Some(registry) = start_registry(RegistryAuth::None) else {
        return;
    };
    let read = |name: &str| corpus.read(&format!("go-oci/{name}")).unwrap();
    let hello = read("hello.txt");
    let creds = Credentials::new();
    for encoding in ["json", "yaml", "tar"] {
        // Push Go's documents over raw HTTP under a sub path of their own.
        let repository = format!("{encoding}/component-descriptors/{COMPONENT}");
        let manifest = read(&format!("{encoding}.manifest.json"));
        let m: Value = serde_json::from_slice(&manifest).unwrap();
        for (bytes, digest) in [
            (
                read(&format!("{encoding}.config.json")),
                &m["config"]["digest"],
            ),
            (
                read(&format!("{encoding}.descriptor")),
                &m["layers"][0]["digest"],
            ),
            (hello.clone(), &m["layers"][1]["digest"]),
        ] {
            let pushed = registry
                .push_blob(&repository, &bytes, HttpAuth::Anonymous)
                .unwrap();
            assert_eq!(json!(pushed), *digest, "{encoding}: a golden blob's digest");
        }
        registry
            .push_manifest(
                &repository,
                TAG,
                MANIFEST_TYPE,
                &manifest,
                HttpAuth::Anonymous,
            )
            .unwrap();

        let oci = Oci::start(
            json!({"type": "OCIRepository/v1", "baseUrl": registry.url(), "subPath": encoding}),
        )
        .await;
        let got = oci.get(&creds, COMPONENT, VERSION).await.unwrap();
        let expected: Descriptor = serde_json::from_slice(&read("json.descriptor")).unwrap();
        assert_eq!(got, expected, "{encoding}: the descriptor read back");
        assert_eq!(
            oci.list(&creds, COMPONENT).await.unwrap(),
            [VERSION],
            "{encoding}"
        );
        let identity: Identity = [("name".to_owned(), "hello".to_owned())].into();
        let (bytes, resource) = oci
            .get_local(&creds, COMPONENT, VERSION, Some(identity))
            .await
            .unwrap();
        assert_eq!(bytes, hello, "{encoding}: the local blob");
        assert_eq!(resource.name, "hello");
        oci.stop().await;
    }
}
