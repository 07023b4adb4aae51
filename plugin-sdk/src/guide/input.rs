//! Input methods: turn the `input` of a resource or source in a component constructor into a
//! blob. The SDK side is [`crate::input`]; the example plugin is `examples/file-input`.
//!
//! # What the manager sends
//!
//! | route | trait method | request |
//! |---|---|---|
//! | `POST /resource/process` | `process_resource` | `{"resource": <constructor resource>}` |
//! | `POST /source/process` | `process_source` | `{"source": <constructor source>}` |
//! | `POST /identity` | `identity` | `{"type": <input spec>}` |
//!
//! The spec is the resource's (or source's) `input`, e.g.
//! `{"name":"notes","version":"1.0.0","type":"plainText","input":{"type":"Text/v1","text":"hello"}}`.
//! Its `type` picks the implementation. The manager generations differ here:
//!
//! * v0.0.2 and later send the constructor resource with its `input`, and validate `input`
//!   against the schema before they call.
//! * v0.0.1 managers convert the constructor resource to a descriptor resource first, which
//!   drops `input`; what arrives is the resource's `access`, and only resources that have one
//!   reach the plugin at all.
//!
//! The typed trait gets whichever is there (`ConstructorResource::spec` picks `input`, else
//! `access`), decoded into [`InputMethod::Spec`](crate::input::InputMethod::Spec). The rest
//! of the request (name, version, type, relation, labels, extra identity) is the resource as
//! the user wrote it, without the blob.
//!
//! Credentials arrive in the `Authorization` header when the manager has some for the input;
//! without the header, the method gets empty [`Credentials`](crate::types::Credentials). Go
//! managers never call `/identity` on input methods; the SDK serves it for callers that ask,
//! and the default answer is 501.
//!
//! # What to answer
//!
//! Write the blob, then build the answer from the request:
//!
//! * [`LocalBlob::from_bytes`](crate::input::LocalBlob::from_bytes) or
//!   [`LocalBlob::from_reader`](crate::input::LocalBlob::from_reader) writes a new `0600` file
//!   in the manager's temporary directory and hashes it on the way;
//! * [`resource_answer`](crate::input::resource_answer) (or
//!   [`source_answer`](crate::input::source_answer)) returns the request's resource with a
//!   `localBlob/v1` access, whose `localReference` is `sha256:<hex>`, the `genericBlobDigest/v1`
//!   SHA-256 digest, relation `local` when the request named none, and the blob's location.
//!
//! The manager takes the file over: it reads it, stores the blob with the component version,
//! and deletes it when it lies in its temporary directory. Answer a location of type
//! `localFile`: Go managers do not read `unixNamedPipe`. If you build the answer yourself, the
//! rules in the [guide](crate::guide#rules-the-sdk-checks-on-answers) apply, and the SDK checks
//! them in debug builds and under `TestClient`: the access is typed, a `localReference` is `sha256:<hex>` and never a
//! path, the digest has all three fields, the location is an absolute path.
//!
//! Reading files named in the spec, hashing and writing are blocking work; `LocalBlob` does its
//! part on the blocking pool, and your own file reads belong in
//! [`spawn_blocking`](crate::spawn_blocking).
//!
//! # Errors
//!
//! * `Error::InvalidArgument`: the spec is valid by its schema but unusable (a relative path
//!   where an absolute one is needed, two fields that exclude each other). A spec that fails
//!   the schema never reaches the method; the SDK answers 400 naming the field.
//! * `Error::NotFound`: a file the spec names does not exist (`?` on the `std::io::Error` does
//!   this).
//! * `Error::Unauthorized`: credentials the input needs are missing or refused.
//! * `Error::internal_with`: reading or writing failed otherwise.
//!
//! # The spec's doc comments
//!
//! The derived schema carries the spec type's doc comments as `description`s, and OCM's Go
//! manager prints them to users. Users write inputs by hand in their constructors, so say in
//! the doc comments what each field means and give an example value; keep notes for the
//! plugin's maintainers in `//` comments.
//!
//! # Example
//!
//! An input method `Text/v1` that stores the text of its spec as the resource's blob, and a
//! test that calls it as a manager does. The plugin's `main` is
//! `fn main() -> std::process::ExitCode { plugin().run() }`.
//!
//! ```
//! use ocm_plugin_sdk::contracts::Result;
//! use ocm_plugin_sdk::input::{self, InputMethod, LocalBlob, ProcessResourceRequest, ProcessResourceResponse};
//! use ocm_plugin_sdk::types::Credentials;
//! use ocm_plugin_sdk::{Plugin, TypedSpec, async_trait, schemars};
//!
//! /// Text given inline in the component constructor.
//! #[derive(serde::Deserialize, schemars::JsonSchema)]
//! #[schemars(crate = "ocm_plugin_sdk::schemars")]
//! #[serde(deny_unknown_fields)]
//! struct TextSpec {
//!     #[serde(rename = "type")]
//!     _type: String,
//!     /// The text to store as the resource's content, e.g. `hello`.
//!     text: String,
//!     /// The media type of the text. Default: `text/plain`.
//!     #[serde(rename = "mediaType", default)]
//!     media_type: Option<String>,
//! }
//!
//! impl TypedSpec for TextSpec {
//!     const TYPE: &'static str = "Text/v1";
//! }
//!
//! struct Text;
//!
//! #[async_trait]
//! impl InputMethod for Text {
//!     type Spec = TextSpec;
//!
//!     async fn process_resource(
//!         &self,
//!         spec: TextSpec,
//!         request: ProcessResourceRequest,
//!         _credentials: &Credentials,
//!     ) -> Result<ProcessResourceResponse> {
//!         let media_type = spec.media_type.as_deref().unwrap_or("text/plain");
//!         let blob = LocalBlob::from_bytes(spec.text, Some(media_type)).await?;
//!         input::resource_answer(request.resource, blob)
//!     }
//! }
//!
//! fn plugin() -> Plugin {
//!     Plugin::new("text-input").register(input::typed(|_| Ok(Text)))
//! }
//!
//! // The test: the client implements the untyped contract, as the manager calls it.
//! use ocm_plugin_sdk::contracts::Error;
//! use ocm_plugin_sdk::contracts::input::v1::InputMethod as _;
//! use ocm_plugin_sdk::input::ConstructorResource;
//! use ocm_plugin_sdk::testing::{TestClient, block_on};
//! use ocm_plugin_sdk::types::Raw;
//!
//! let client = TestClient::new(plugin(), Vec::new())?.traits();
//! let request = |input: &str| -> std::result::Result<_, Box<dyn std::error::Error>> {
//!     Ok(ProcessResourceRequest {
//!         resource: ConstructorResource {
//!             name: "notes".into(),
//!             version: "1.0.0".into(),
//!             resource_type: "plainText".into(),
//!             input: Some(Raw::from_json(input)?),
//!             ..Default::default()
//!         },
//!     })
//! };
//!
//! let answer = block_on(client.process_resource(
//!     request(r#"{"type":"Text/v1","text":"hello"}"#)?,
//!     &Credentials::new(),
//! ))??;
//! assert_eq!(answer.resource.relation, "local");
//! let access = answer.resource.access.as_ref().ok_or("no access")?;
//! assert_eq!(
//!     access.get("localReference").and_then(|r| r.as_str()),
//!     Some("sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824")
//! );
//! assert_eq!(std::fs::read(&answer.location.value)?, b"hello");
//! std::fs::remove_file(&answer.location.value)?; // the manager would take it over
//!
//! // A spec its schema refuses never reaches the method: a 400 naming the field.
//! let refused = block_on(client.process_resource(
//!     request(r#"{"type":"Text/v1"}"#)?,
//!     &Credentials::new(),
//! ))?;
//! assert!(matches!(refused, Err(Error::InvalidArgument(m)) if m.contains("text")));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! To implement the contract's own trait (`ocm_plugin_sdk::contracts::input::v1::InputMethod`)
//! with a hand-written schema, register it with
//! [`input::untyped(typ, schema, factory)`](crate::input::untyped); it then decodes the spec
//! itself ([`SpecExt`](crate::SpecExt)). `examples/file-input` does that.
