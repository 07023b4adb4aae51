//! The capabilities document, against fixtures written from the spec (§2.4 for the v0.0.1
//! half, §10.2 for the v0.0.11+ half). The byte comparison with the Go test plugins themselves
//! is in the golden suite.

use ocm_plugin_sdk::{
    Plugin,
    types::{CapabilitiesFormat, JsonSchema, PluginCapabilities},
};

use crate::support::dual;

fn like_the_go_test_plugin() -> Plugin {
    Plugin::new("testplugin-component-version")
        .register(ocm_plugin_sdk::component_version_repository::untyped(
            "DummyRepository/v1",
            JsonSchema::permissive(),
            |_| Ok(crate::support::Nothing),
        ))
        .config_type("custom.config/v1")
}

const V1: &str = r#"{"types":{"componentVersionRepository":[{"type":"DummyRepository/v1","jsonSchema":"e30="}]},"configTypes":["custom.config/v1"]}"#;
const CURRENT: &str = r#"{"capabilities":[{"supportedRepositorySpecTypes":[{"aliases":null,"jsonSchema":"e30=","type":"DummyRepository/v1"}],"type":"componentVersionRepository"}],"supportedConfigTypes":["custom.config/v1"]}"#;

/// What the Go test plugin for the component version repository prints in each generation,
/// for a schema `{}`; ours prints both by default, and either on request.
#[test]
fn shaped_like_the_go_test_plugin_in_every_generation() {
    assert_eq!(
        like_the_go_test_plugin().capabilities_json(),
        dual(V1, CURRENT)
    );
    let only = |format| {
        like_the_go_test_plugin()
            .capabilities_format(format)
            .capabilities_json()
    };
    assert_eq!(only(CapabilitiesFormat::V1), V1);
    assert_eq!(only(CapabilitiesFormat::Current), CURRENT);
    assert_eq!(only(CapabilitiesFormat::Dual), dual(V1, CURRENT));
}

/// A manager reads each form into the same model; the dual document from its v0.0.11+ half.
#[test]
fn every_form_reads_back_into_the_same_model() {
    let plugin = like_the_go_test_plugin();
    let dual = PluginCapabilities::parse(plugin.capabilities_json().as_bytes()).unwrap();
    let v1 = PluginCapabilities::parse(V1.as_bytes()).unwrap();
    let current = PluginCapabilities::parse(CURRENT.as_bytes()).unwrap();
    assert_eq!(
        (dual.format, v1.format, current.format),
        (
            CapabilitiesFormat::Dual,
            CapabilitiesFormat::V1,
            CapabilitiesFormat::Current
        )
    );
    for doc in [&v1, &current] {
        assert_eq!(doc.capabilities, dual.capabilities);
        assert_eq!(doc.config_types, dual.config_types);
    }
}

#[test]
fn several_types_and_no_capabilities() {
    let plugin = Plugin::new("p")
        .register(ocm_plugin_sdk::component_version_repository::untyped(
            "A/v1",
            JsonSchema::permissive(),
            |_| Ok(crate::support::Nothing),
        ))
        .register(ocm_plugin_sdk::component_version_repository::untyped(
            "B/v1",
            JsonSchema::permissive(),
            |_| Ok(crate::support::Nothing),
        ));
    assert_eq!(
        plugin.capabilities_json(),
        dual(
            r#"{"types":{"componentVersionRepository":[{"type":"A/v1","jsonSchema":"e30="},{"type":"B/v1","jsonSchema":"e30="}]}}"#,
            // One entry per capability kind, listing all its types.
            r#"{"capabilities":[{"supportedRepositorySpecTypes":[{"aliases":null,"jsonSchema":"e30=","type":"A/v1"},{"aliases":null,"jsonSchema":"e30=","type":"B/v1"}],"type":"componentVersionRepository"}]}"#,
        )
    );
    assert_eq!(
        Plugin::new("none").capabilities_json(),
        r#"{"types":null,"capabilities":[]}"#
    );
}

#[test]
fn aliases_are_listed_in_both_halves() {
    let plugin = Plugin::new("p").register(
        ocm_plugin_sdk::component_version_repository::untyped(
            "A/v1",
            JsonSchema::permissive(),
            |_| Ok(crate::support::Nothing),
        )
        .aliases(["A", "Alpha/v1"]),
    );
    assert_eq!(
        plugin.capabilities_json(),
        dual(
            // v0.0.1 managers know no aliases: each is an entry of its own.
            r#"{"types":{"componentVersionRepository":[{"type":"A/v1","jsonSchema":"e30="},{"type":"A","jsonSchema":"e30="},{"type":"Alpha/v1","jsonSchema":"e30="}]}}"#,
            r#"{"capabilities":[{"supportedRepositorySpecTypes":[{"aliases":["A","Alpha/v1"],"jsonSchema":"e30=","type":"A/v1"}],"type":"componentVersionRepository"}]}"#,
        )
    );
}

/// A request whose spec carries an alias goes to the type's implementation; two types stay
/// apart; the identity route answers for aliases too.
#[tokio::test]
async fn an_alias_dispatches_to_its_type() {
    use crate::{fakes::Fake, support::*};
    use ocm_plugin_endpoints::component_version_repository as routes;
    let (a, b) = (Fake::new("a"), Fake::new("b"));
    let (fa, fb) = (a.clone(), b.clone());
    let router = Plugin::new("p")
        .register(
            ocm_plugin_sdk::component_version_repository::untyped(
                "A/v1",
                JsonSchema::permissive(),
                |_| Ok(fa),
            )
            .aliases(["A"]),
        )
        .register(ocm_plugin_sdk::component_version_repository::untyped(
            "B/v1",
            JsonSchema::permissive(),
            |_| Ok(fb),
        ))
        .into_router(config())
        .unwrap();
    for (spec, tag) in [("A", "a"), ("A/v1", "a"), ("B/v1", "b")] {
        let body = format!(r#"{{"type":{{"type":"{spec}"}}}}"#);
        let answer = send(&router, request(&routes::GET_IDENTITY, &[], &body)).await;
        assert!(
            answer.assert_json().contains(&format!(r#""tag":"{tag}""#)),
            "{spec}: {}",
            answer.body
        );
    }
    let body = r#"{"repository":{"type":"A"},"descriptor":{"meta":{"schemaVersion":"v2"},"component":{"name":"c","version":"1","provider":"p"}}}"#;
    send(&router, request(&routes::ADD_COMPONENT_VERSION, &[], body))
        .await
        .assert_empty_ok();
    assert_eq!(a.calls().last().unwrap().op, "add_component_version");
    assert!(b.calls().iter().all(|c| c.op != "add_component_version"));
    // An unknown name is still a 400 naming what is served.
    let answer = send(
        &router,
        request(&routes::GET_IDENTITY, &[], r#"{"type":{"type":"C"}}"#),
    )
    .await;
    assert_eq!(answer.status.as_u16(), 400, "{}", answer.body);
}

/// A schema that does not compile stops the plugin at `capabilities` (and at start), naming the
/// type, instead of a manager rejecting it later.
#[test]
fn a_broken_schema_fails_at_capabilities_and_at_start() {
    let broken = || {
        Plugin::new("broken").register(ocm_plugin_sdk::component_version_repository::untyped(
            "Broken/v1",
            JsonSchema(br#"{"type": 7}"#.to_vec()),
            |_| Ok(crate::support::Nothing),
        ))
    };
    let err = broken().capabilities_document().unwrap_err();
    let text = err.to_string();
    assert!(
        text.starts_with(
            "the JSON schema declared for componentVersionRepository type Broken/v1 is broken: invalid JSON schema"
        ),
        "{text}"
    );
    let err = broken().into_router(crate::support::config()).unwrap_err();
    assert!(err.to_string().contains("Broken/v1 is broken"), "{err}");
    let empty =
        Plugin::new("empty").register(ocm_plugin_sdk::component_version_repository::untyped(
            "Empty/v1",
            JsonSchema(Vec::new()),
            |_| Ok(crate::support::Nothing),
        ));
    assert!(empty.capabilities_document().is_err());
}

/// A typed spec: its schema is derived, checked on every request, and a spec that fails it is
/// a 400 naming the field before the implementation runs.
#[tokio::test]
async fn a_typed_spec_is_declared_checked_and_decoded() {
    use ocm_plugin_endpoints::component_version_repository as cvr;
    use ocm_plugin_sdk::{TypedSpec, schemars};

    /// `{"type":"Typed/v1","path":"/x"}`
    #[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
    #[schemars(crate = "ocm_plugin_sdk::schemars")]
    #[serde(deny_unknown_fields)]
    struct PathSpec {
        #[serde(rename = "type")]
        _type: String,
        path: String,
    }
    impl TypedSpec for PathSpec {
        const TYPE: &'static str = "Typed/v1";
    }

    /// Receives the decoded spec, records its path and stores through the untyped memory.
    struct Typed {
        memory: crate::support::Memory,
        paths: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    }
    #[ocm_plugin_sdk::async_trait]
    impl ocm_plugin_sdk::component_version_repository::ComponentVersionRepository for Typed {
        type Spec = PathSpec;
        async fn add_component_version(
            &self,
            spec: PathSpec,
            request: cvr_contract::AddComponentVersionRequest,
            credentials: &ocm_plugin_sdk::types::Credentials,
        ) -> ocm_plugin_sdk::contracts::Result<()> {
            self.paths.lock().unwrap().push(spec.path);
            cvr_contract::ComponentVersionRepository::add_component_version(
                &self.memory,
                request,
                credentials,
            )
            .await
        }
    }
    use ocm_plugin_sdk::contracts::component_version_repository::v1 as cvr_contract;

    let memory = crate::support::Memory::tagged("typed");
    let seen = memory.clone();
    let paths = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let typed = Typed {
        memory,
        paths: paths.clone(),
    };
    let plugin = Plugin::new("typed").register(
        ocm_plugin_sdk::component_version_repository::typed(move |_| Ok(typed)),
    );
    let doc = plugin.capabilities_document().unwrap();
    assert!(doc.contains(r#""type":"Typed/v1""#), "{doc}");
    let router = plugin.into_router(crate::support::config()).unwrap();
    let descriptor = crate::support::DESCRIPTOR;
    // Missing `path`: refused, naming it; the implementation never sees the request.
    for (repository, names) in [
        (r#"{"type":"Typed/v1"}"#, r#""path" is a required property"#),
        (
            r#"{"type":"Typed/v1","path":"/x","extra":1}"#,
            "Additional properties are not allowed ('extra' was unexpected)",
        ),
        (r#"{"type":"Typed/v1","path":7}"#, "at '/path'"),
    ] {
        let body = format!(r#"{{"repository":{repository},"descriptor":{descriptor}}}"#);
        let answer = crate::support::send(
            &router,
            crate::support::request(&cvr::ADD_COMPONENT_VERSION, &[], &body),
        )
        .await;
        assert_eq!(answer.status.as_u16(), 400, "{repository}: {}", answer.body);
        assert!(
            answer
                .body
                .starts_with("invalid component version repository spec of type Typed/v1: jsonschema validation failed"),
            "{}",
            answer.body
        );
        assert!(answer.body.contains(names), "{names} in {}", answer.body);
    }
    assert!(seen.seen.lock().unwrap().repositories.is_empty());
    let good =
        format!(r#"{{"repository":{{"type":"Typed/v1","path":"/x"}},"descriptor":{descriptor}}}"#);
    let answer = crate::support::send(
        &router,
        crate::support::request(&cvr::ADD_COMPONENT_VERSION, &[], &good),
    )
    .await;
    assert_eq!(answer.status.as_u16(), 200, "{}", answer.body);
    // The implementation got the spec decoded.
    assert_eq!(*paths.lock().unwrap(), ["/x"]);

    // Decoding for the implementation.
    use ocm_plugin_sdk::SpecExt;
    let raw = ocm_plugin_sdk::types::Raw::from_json(r#"{"type":"Typed/v1","path":"/x"}"#).unwrap();
    let typed: PathSpec = raw.decode_spec().unwrap();
    assert_eq!(typed.path, "/x");
    let none: Option<ocm_plugin_sdk::types::Raw> = None;
    let err = none.decode_spec::<PathSpec>().unwrap_err();
    assert!(
        err.to_string()
            .contains("the request carries no Typed/v1 spec"),
        "{err}"
    );
}

/// A typed spec whose `TYPE` is not a type is an error at `run`, not a panic.
#[test]
fn a_typed_spec_with_a_bad_type_is_an_error() {
    use ocm_plugin_sdk::{TypedSpec, schemars};
    #[derive(serde::Deserialize, schemars::JsonSchema)]
    #[schemars(crate = "ocm_plugin_sdk::schemars")]
    struct Bad {}
    impl TypedSpec for Bad {
        const TYPE: &'static str = "a/b/c";
    }
    struct BadRepo;
    #[ocm_plugin_sdk::async_trait]
    impl ocm_plugin_sdk::component_version_repository::ComponentVersionRepository for BadRepo {
        type Spec = Bad;
    }
    let plugin =
        Plugin::new("bad").register(ocm_plugin_sdk::component_version_repository::typed(|_| {
            Ok(BadRepo)
        }));
    let err = plugin.capabilities_document().unwrap_err();
    assert!(
        err.to_string()
            .starts_with("typed spec a/b/c: `TYPE` is not a type"),
        "{err}"
    );
}

/// The trait-level harness: the plugin's methods through the whole SDK stack, with the
/// contract's errors, e.g. a spec failing its schema as `InvalidArgument` naming the field.
#[test]
fn the_plugin_through_its_traits() {
    use ocm_plugin_sdk::contracts::{Error, component_version_repository::v1::*};
    use ocm_plugin_sdk::testing::{TestClient, block_on};
    use ocm_plugin_sdk::types::{Credentials, Raw};

    let schema = JsonSchema(
        br#"{"type":"object","properties":{"type":{"type":"string"},"path":{"type":"string"}},"required":["type","path"]}"#
            .to_vec(),
    );
    let memory = crate::support::Memory::tagged("traits");
    let plugin = Plugin::new("traits").register(
        ocm_plugin_sdk::component_version_repository::untyped("Mem/v1", schema, move |_| {
            Ok(memory)
        }),
    );
    let repo = TestClient::new(plugin, Vec::new()).unwrap().traits();
    block_on(async {
        let creds = Credentials::typed("Credentials/v1", [("username", "u")]);
        let good = Raw::from_json(r#"{"type":"Mem/v1","path":"/x"}"#).unwrap();
        let versions = repo
            .list_component_versions(
                ListComponentVersionsRequest {
                    repository: Some(good.clone()),
                    name: "component".into(),
                },
                &creds,
            )
            .await
            .unwrap();
        assert_eq!(versions, ["1.0.0"]);
        let bad = Raw::from_json(r#"{"type":"Mem/v1"}"#).unwrap();
        let err = repo
            .get_component_version(
                GetComponentVersionRequest {
                    repository: Some(bad),
                    name: "component".into(),
                    version: "1.0.0".into(),
                },
                &creds,
            )
            .await
            .unwrap_err();
        assert!(
            matches!(&err, Error::InvalidArgument(m) if m.contains(r#""path" is a required property"#)),
            "{err}"
        );
        let err = repo
            .get_component_version(
                GetComponentVersionRequest {
                    repository: Some(good),
                    name: "component".into(),
                    version: "9.9.9".into(),
                },
                &creds,
            )
            .await
            .unwrap_err();
        assert!(matches!(err, Error::NotFound(_)), "{err}");
    })
    .unwrap();
}
