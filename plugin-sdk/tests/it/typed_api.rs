//! The typed registration API: decoded specs reach the implementation, answers that break a
//! rule managers rely on fail loudly, async factories are awaited.

use std::sync::{Arc, Mutex};

use ocm_plugin_sdk::{
    Error, Plugin, TypedSpec, async_trait,
    contracts::{self, Error as ContractError, input::v1::InputMethod as _},
    credential_repository, digest_processor, input, schemars,
    testing::{TestClient, block_on},
    types::{Credentials, Digest, Identity, Location, Raw},
};

/// `{"type":"Note/v1","text":…}`
#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
#[schemars(crate = "ocm_plugin_sdk::schemars")]
struct NoteSpec {
    text: String,
}

impl TypedSpec for NoteSpec {
    const TYPE: &'static str = "Note/v1";
    const ALIASES: &'static [&'static str] = &["Note"];
}

/// How the note method answers.
#[derive(Clone, Copy)]
enum Answer {
    Good,
    PathAsReference,
    DigestWithoutAlgorithm,
    RelativeLocation,
}

struct Notes {
    answer: Answer,
    seen: Arc<Mutex<Vec<String>>>,
}

#[async_trait]
impl input::InputMethod for Notes {
    type Spec = NoteSpec;

    async fn process_resource(
        &self,
        spec: NoteSpec,
        request: input::ProcessResourceRequest,
        _: &Credentials,
    ) -> contracts::Result<input::ProcessResourceResponse> {
        self.seen.lock().unwrap().push(spec.text.clone());
        let blob = input::LocalBlob::from_bytes(spec.text, None).await?;
        let mut answer = input::resource_answer(request.resource, blob)?;
        match self.answer {
            Answer::Good => {}
            Answer::PathAsReference => {
                answer.resource.access = Some(Raw::from_json(&format!(
                    r#"{{"type":"localBlob/v1","localReference":"{}"}}"#,
                    answer.location.value
                ))?);
            }
            Answer::DigestWithoutAlgorithm => {
                answer.resource.digest = Some(Digest {
                    value: "00".into(),
                    ..Digest::default()
                });
            }
            Answer::RelativeLocation => answer.location = Location::local_file("blob"),
        }
        Ok(answer)
    }

    async fn identity(&self, spec: NoteSpec) -> contracts::Result<Identity> {
        Ok([
            ("type".to_owned(), "note".to_owned()),
            ("text".to_owned(), spec.text),
        ]
        .into())
    }
}

fn notes(answer: Answer) -> (Plugin, Arc<Mutex<Vec<String>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let notes = Notes {
        answer,
        seen: seen.clone(),
    };
    let plugin = Plugin::new("notes").register(input::typed(move |_| Ok(notes)));
    (plugin, seen)
}

fn request(spec: &str) -> input::ProcessResourceRequest {
    input::ProcessResourceRequest {
        resource: input::ConstructorResource {
            name: "n".into(),
            version: "1".into(),
            resource_type: "plainText".into(),
            relation: "external".into(),
            input: Some(Raw::from_json(spec).unwrap()),
            ..Default::default()
        },
    }
}

#[test]
fn the_implementation_gets_the_decoded_spec_and_the_answer_carries_the_request_over() {
    let (plugin, seen) = notes(Answer::Good);
    let json = plugin.capabilities_document().unwrap();
    assert!(json.contains(r#""aliases":["Note"]"#), "{json}");
    let client = TestClient::new(plugin, Vec::new()).unwrap().traits();
    // By the alias, as v0.0.1 managers send it (`access` instead of `input`).
    let mut by_alias = request(r#"{"type":"Note","text":"hi"}"#);
    by_alias.resource.access = by_alias.resource.input.take();
    for req in [request(r#"{"type":"Note/v1","text":"hello"}"#), by_alias] {
        let answer = block_on(client.process_resource(req, &Credentials::new()))
            .unwrap()
            .unwrap();
        let r = &answer.resource;
        assert_eq!((r.name.as_str(), r.version.as_str()), ("n", "1"));
        assert_eq!(r.resource_type, "plainText");
        assert_eq!(r.relation, "external", "the request's relation is kept");
        let digest = r.digest.as_ref().unwrap();
        assert_eq!(digest.normalisation_algorithm, "genericBlobDigest/v1");
        let access = r.access.as_ref().unwrap();
        assert_eq!(
            access.get("localReference").and_then(|v| v.as_str()),
            Some(format!("sha256:{}", digest.value).as_str())
        );
        std::fs::remove_file(&answer.location.value).unwrap();
    }
    assert_eq!(*seen.lock().unwrap(), ["hello", "hi"]);
}

#[test]
fn the_typed_identity_gets_the_decoded_spec() {
    let (plugin, _) = notes(Answer::Good);
    let client = TestClient::new(plugin, Vec::new()).unwrap().traits();
    let request = input::GetIdentityRequest {
        typ: Raw::from_json(r#"{"type":"Note/v1","text":"x"}"#).unwrap(),
    };
    let answer = block_on(client.get_identity(request)).unwrap().unwrap();
    assert_eq!(answer.identity.get("text").map(String::as_str), Some("x"));
}

/// Each broken answer is a 500 naming the field, before a manager stores it.
#[test]
fn answers_that_break_a_rule_fail_loudly_under_the_test_client() {
    for (answer, names) in [
        (Answer::PathAsReference, "resource.access.localReference"),
        (
            Answer::DigestWithoutAlgorithm,
            "resource.digest.hashAlgorithm",
        ),
        (Answer::RelativeLocation, "not an absolute path"),
    ] {
        let (plugin, _) = notes(answer);
        let client = TestClient::new(plugin, Vec::new()).unwrap().traits();
        let result = block_on(client.process_resource(
            request(r#"{"type":"Note/v1","text":"x"}"#),
            &Credentials::new(),
        ))
        .unwrap();
        let Err(e) = result else {
            panic!("an answer breaking {names} passed");
        };
        assert!(matches!(e, ContractError::Internal { .. }), "{e:?}");
        let text = e.to_string();
        assert!(text.contains("breaks a rule managers rely on"), "{text}");
        assert!(text.contains(names), "{names} in {text}");
    }
}

/// A digest processor, typed by its access.
#[derive(serde::Deserialize, schemars::JsonSchema)]
#[schemars(crate = "ocm_plugin_sdk::schemars")]
struct BlobAccess {
    #[serde(rename = "imageReference")]
    image_reference: String,
}

impl TypedSpec for BlobAccess {
    const TYPE: &'static str = "Blob/v1";
}

struct Digester;

#[async_trait]
impl digest_processor::DigestProcessor for Digester {
    type Spec = BlobAccess;

    async fn process_resource_digest(
        &self,
        spec: BlobAccess,
        mut request: digest_processor::ProcessResourceDigestRequest,
        _: &Credentials,
    ) -> contracts::Result<digest_processor::ProcessResourceDigestResponse> {
        request.resource.digest = Some(Digest {
            hash_algorithm: "SHA-256".into(),
            normalisation_algorithm: "ociArtifactDigest/v1".into(),
            value: spec.image_reference,
            ..Digest::default()
        });
        Ok(digest_processor::ProcessResourceDigestResponse {
            resource: request.resource,
        })
    }
}

/// A credential repository, typed by its config, with its consumer identity type.
#[derive(serde::Deserialize, schemars::JsonSchema)]
#[schemars(crate = "ocm_plugin_sdk::schemars")]
struct VaultConfig {
    url: String,
}

impl TypedSpec for VaultConfig {
    const TYPE: &'static str = "Vault/v1";
}

struct Vault;

#[async_trait]
impl credential_repository::CredentialRepository for Vault {
    type Spec = VaultConfig;

    async fn resolve(
        &self,
        spec: VaultConfig,
        _: credential_repository::ResolveRequest,
        _: &Credentials,
    ) -> contracts::Result<Credentials> {
        Ok([("url".to_owned(), spec.url)].into_iter().collect())
    }
}

#[test]
fn other_kinds_get_their_specs_decoded_too() {
    use ocm_plugin_sdk::contracts::{
        credential_repository::v1::CredentialRepository as _,
        digest_processor::v1::DigestProcessor as _,
    };
    let plugin = Plugin::new("kinds")
        .register(digest_processor::typed(|_| Ok(Digester)))
        .register(credential_repository::typed("VaultIdentity/v1", |_| {
            Ok(Vault)
        }));
    let json = plugin.capabilities_document().unwrap();
    assert!(json.contains(r#""type":"VaultIdentity/v1""#), "{json}");
    let client = TestClient::new(plugin, Vec::new()).unwrap();
    let digests = client.clone().traits();
    let resource = ocm_plugin_sdk::types::Resource {
        name: "r".into(),
        access: Some(Raw::from_json(r#"{"type":"Blob/v1","imageReference":"abc"}"#).unwrap()),
        ..Default::default()
    };
    let answer = block_on(digests.process_resource_digest(
        digest_processor::ProcessResourceDigestRequest { resource },
        &Credentials::new(),
    ))
    .unwrap()
    .unwrap();
    assert_eq!(answer.resource.digest.unwrap().value, "abc");
    let vault = client.traits();
    let resolved = block_on(vault.resolve(
        credential_repository::ResolveRequest {
            config: Raw::from_json(r#"{"type":"Vault/v1","url":"https://v"}"#).unwrap(),
            identity: Identity::new(),
        },
        &Credentials::new(),
    ))
    .unwrap()
    .unwrap();
    assert_eq!(resolved.get("url").map(String::as_str), Some("https://v"));
}

/// An async factory is awaited before the plugin serves; inside a runtime `into_router`
/// refuses it instead of blocking, and `TestClient::start` awaits it.
#[tokio::test]
async fn async_factories_are_awaited() {
    let plugin = || {
        Plugin::new("async").register(input::typed_async(|ctx| async move {
            tokio::task::yield_now().await;
            assert_eq!(ctx.config.id, "async");
            Ok(Notes {
                answer: Answer::Good,
                seen: Arc::default(),
            })
        }))
    };
    let Err(e) = plugin().into_router(crate::support::config()) else {
        panic!("into_router blocked inside a runtime");
    };
    assert!(matches!(e, Error::AsyncFactoryInRuntime), "{e}");
    let client = TestClient::start(plugin(), Vec::new())
        .await
        .unwrap()
        .traits();
    let answer = client
        .process_resource(
            request(r#"{"type":"Note/v1","text":"late"}"#),
            &Credentials::new(),
        )
        .await
        .unwrap();
    std::fs::remove_file(&answer.location.value).unwrap();

    let failing = Plugin::new("async").register(input::typed_async(|_| async {
        Err::<Notes, _>("the store is unreachable".into())
    }));
    let Err(e) = TestClient::start(failing, Vec::new()).await else {
        panic!("a failing async factory started");
    };
    let text = e.to_string();
    assert!(
        text.contains("Note/v1") && text.contains("the store is unreachable"),
        "{text}"
    );
}

/// Outside a runtime, `TestClient::new` runs async factories on one of its own.
#[test]
fn async_factories_outside_a_runtime() {
    let plugin = Plugin::new("async").register(input::typed_async(|_| async {
        Ok(Notes {
            answer: Answer::Good,
            seen: Arc::default(),
        })
    }));
    assert!(TestClient::new(plugin, Vec::new()).is_ok());
}

/// Types may be given as text; text that is not a type stops the plugin naming it, instead of
/// needing a `parse` (and an `expect`) at every call.
#[test]
fn types_as_text_are_checked_at_declaration() {
    struct Raw;
    impl ocm_plugin_sdk::contracts::input::v1::InputMethod for Raw {}
    let good = Plugin::new("text-types")
        .config_type("TextConfig/v1")
        .register(
            input::untyped(
                "files/v1",
                ocm_plugin_sdk::types::JsonSchema::permissive(),
                |_| Ok(Raw),
            )
            .aliases(["files", "Files/v1"]),
        );
    let json = good.capabilities_document().unwrap();
    assert!(json.contains(r#""aliases":["files","Files/v1"]"#), "{json}");
    assert!(json.contains("TextConfig/v1"), "{json}");

    let schema = ocm_plugin_sdk::types::JsonSchema::permissive;
    for (plugin, names) in [
        (
            Plugin::new("p").config_type("a/b/c"),
            "a config type: invalid type \"a/b/c\"",
        ),
        (
            Plugin::new("p").register(input::untyped("x/y/z", schema(), |_| Ok(Raw))),
            "the input method type: invalid type \"x/y/z\"",
        ),
        (
            Plugin::new("p")
                .register(input::untyped("ok/v1", schema(), |_| Ok(Raw)).aliases(["/v1"])),
            "an alias of inputRepository type ok/v1: invalid type \"/v1\", missing name",
        ),
        (
            Plugin::new("p").register(credential_repository::typed("1/2/3", |_| Ok(Vault))),
            "the consumer identity type of a credential repository: invalid type \"1/2/3\"",
        ),
    ] {
        let Err(e) = plugin.capabilities_document() else {
            panic!("{names}: accepted");
        };
        assert!(matches!(e, Error::InvalidType { .. }), "{e:?}");
        assert!(e.to_string().starts_with(names), "{names} in {e}");
    }
}
