//! Guides, one per capability kind: what the manager sends, what to answer, which errors to
//! use, and a runnable plugin on the derived-schema path.
//!
//! This module holds documentation only. Start here, then read the guide of the capability
//! you implement:
//!
//! | capability | guide | example plugin |
//! |---|---|---|
//! | component version repository | [`component_version_repository`] | `examples/directory-repository`, `examples/oci-repository` |
//! | component lister | [`component_lister`] | `examples/directory-repository` |
//! | credential repository | [`credential_repository`] | `examples/docker-credentials` |
//! | credential plugin | [`credential_plugin`] | `examples/local-credentials` |
//! | input method | [`input`] | `examples/file-input` |
//! | digest processor | [`digest_processor`] | `examples/sha256-digester` |
//! | resource repository | [`resource_repository`] | `examples/local-resources` |
//! | blob transformer | [`blob_transformer`] | `examples/gzip-transformer` |
//! | signing handler | [`signing_handler`] | `examples/rsa-signing-handler` |
//!
//! # The plugin model
//!
//! A plugin is an executable in the manager's plugin directory. The manager runs it twice:
//!
//! 1. `<plugin> capabilities`, once, to learn what it serves. The plugin prints a JSON document
//!    that lists, per capability kind, each spec type it handles with that type's JSON schema.
//!    The SDK prints it from the registrations; no implementation runs.
//! 2. `<plugin> --config <json>`, when a spec of one of those types first needs it. The plugin
//!    serves HTTP on a Unix socket (or loopback TCP) until it is idle, told to stop, or killed.
//!
//! Every request names its *spec*: a typed JSON object such as `{"type":"Text/v1","text":"…"}`.
//! Its `type` picks the plugin (the manager looks it up in the capabilities it read) and then
//! the implementation inside the plugin (the SDK dispatches on it). Which field carries the spec
//! differs per kind; each guide says which. Managers check the spec against the declared schema
//! before they call, and the SDK checks it again, so an implementation only ever sees a spec
//! its schema accepts.
//!
//! Blobs never travel in HTTP bodies. Both sides hand them over as a location, a path to a file
//! (or a named pipe) that the other side opens; see [`crate::blob`].
//!
//! # Registering a capability
//!
//! Each capability kind has a module in this crate ([`crate::input`],
//! [`crate::component_version_repository`], …) with a typed trait, named like the contract's
//! trait, and the functions that make a [`Registration`](crate::Registration) of it for
//! [`Plugin::register`](crate::Plugin::register):
//!
//! * `typed(factory)`: the derived-schema path, which the guides use. The spec is a Rust type
//!   that derives `serde::Deserialize` and `schemars::JsonSchema` and implements
//!   [`TypedSpec`](crate::TypedSpec). The SDK derives the schema for the capabilities document,
//!   checks every incoming spec against it and hands the decoded value to each trait method as
//!   its first argument.
//! * `untyped(typ, schema, factory)`: the contract's own trait
//!   (`ocm_plugin_sdk::contracts::<kind>::v1`) with a hand-written schema. The implementation
//!   gets the raw request and decodes the spec itself. Use it when the schema cannot be derived
//!   or one implementation serves several types.
//! * `typed_async` and `untyped_async`: the same with a factory that must await something
//!   (a connection, a file) before the plugin serves.
//!
//! A factory runs once, when the plugin starts serving, never for `capabilities`. It gets a
//! [`PluginContext`](crate::PluginContext): the configuration the manager passed
//! ([`PluginContext::config_entry`](crate::PluginContext::config_entry) decodes an entry of a
//! type declared with [`Plugin::config_type`](crate::Plugin::config_type)) and
//! [`PluginContext::shutdown_signal`](crate::PluginContext::shutdown_signal). A factory error
//! stops the plugin with exit code 1. Other names of a type are declared with
//! [`TypedSpec::ALIASES`](crate::TypedSpec::ALIASES) or
//! [`Registration::aliases`](crate::Registration::aliases).
//!
//! Handlers run on one current-thread runtime. Blocking work (`std::fs`, hashing a large file,
//! a child process) stalls every other request until it returns, so run it through
//! [`spawn_blocking`](crate::spawn_blocking).
//!
//! # Spec doc comments are user documentation
//!
//! The schema derived from a spec type carries the type's and the fields' doc comments as
//! `description`s, and OCM's Go manager prints these descriptions to users. Write them for the
//! person who writes the spec, not for the plugin's maintainer: what the field means, its
//! unit, an example value. Keep implementation notes in `//` comments, which stay out of the
//! schema.
//!
//! ```
//! use ocm_plugin_sdk::{TypedSpec, schemars};
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
//! }
//!
//! impl TypedSpec for TextSpec {
//!     const TYPE: &'static str = "Text/v1";
//! }
//!
//! let (_, schema) = TextSpec::declaration()?;
//! let schema: serde_json::Value = serde_json::from_slice(&schema.0)?;
//! assert_eq!(schema["description"], "Text given inline in the component constructor.");
//! assert_eq!(
//!     schema["properties"]["text"]["description"],
//!     "The text to store as the resource's content, e.g. `hello`."
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Schemas and start time
//!
//! The SDK checks every spec against its schema, and so does our manager before it sends one.
//! A schema made of what `schemars` derives from plain structs and enums (types, properties,
//! `required`, `deny_unknown_fields`, enums, `length`, `range`, simple `regex` patterns,
//! `Option`, nested types through `$ref`) is checked by a small engine that costs tens of
//! microseconds to compile. Anything else (a `pattern` with `.` or `\d`, `patternProperties`
//! from a map with key patterns, `if`/`then`, another draft) goes to the `jsonschema` crate,
//! which first prepares the JSON Schema meta-schema: about 2 ms of CPU on every start of the
//! plugin. Both accept and refuse the same specs, and error messages always come from
//! `jsonschema`. To keep a spec on the fast path, check its schema in a test:
//!
//! ```
//! use ocm_plugin_sdk::{TypedSpec, endpoints::SchemaValidator, schemars};
//!
//! #[derive(serde::Deserialize, schemars::JsonSchema)]
//! #[schemars(crate = "ocm_plugin_sdk::schemars")]
//! struct Spec {
//!     r#type: String,
//!     /// A `[a-z]`-only name: a class of literals and ranges stays on the fast path.
//!     #[schemars(regex(pattern = r"^[a-z]+$"))]
//!     name: String,
//! }
//!
//! impl TypedSpec for Spec {
//!     const TYPE: &'static str = "Names/v1";
//! }
//!
//! let (_, schema) = Spec::declaration()?;
//! assert!(SchemaValidator::compile(&schema.0)?.is_light());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Errors
//!
//! Trait methods return [`contracts::Result`](crate::contracts::Result). The variant of
//! [`contracts::Error`](crate::contracts::Error) picks the HTTP status of the answer, and the
//! manager turns the status back into the same kind of error for its caller:
//!
//! | variant | status | use it when |
//! |---|---|---|
//! | `Error::InvalidArgument(message)` | 400 | the request or its spec is wrong, or information the plugin needs is missing |
//! | `Error::Unauthorized(message)` | 401 | credentials are missing, malformed or refused |
//! | `Error::NotFound(message)` | 404 | the addressed component version, resource or blob does not exist |
//! | `Error::Unsupported(operation)` | 501 | the implementation does not offer the operation (the default of every optional trait method) |
//! | `Error::internal(message)`, `Error::internal_with(message, cause)` | 500 | anything else failed: I/O, a remote service, a bug |
//!
//! The message is the plain-text body of the answer, and Go managers show it to the user as
//! `plugin returned status code <n>: additional information: <message>`. Name the object and
//! the cause in it. `?` on a `std::io::Error` maps `NotFound` to 404, `PermissionDenied` to
//! 401 and the rest to 500; on a `serde_json::Error` it gives 400.
//!
//! # Rules the SDK checks on answers
//!
//! Managers store and forward some parts of an answer without checking them; a wrong value
//! surfaces later, in a user's component version. In debug builds of a plugin, and always
//! under [`testing::TestClient`](crate::testing::TestClient) (release test builds too), the SDK
//! checks the answers of input methods, digest processors, resource repositories, blob
//! transformers and component version repositories (local blobs) and turns a broken rule into
//! a 500 that names the field:
//!
//! * an access is a typed object (it has a `type`);
//! * a `localBlob` access's `localReference` is the blob's digest, `sha256:<hex>`, never a
//!   path: a path means nothing once the manager has stored the blob;
//! * a digest has `hashAlgorithm`, `normalisationAlgorithm` and `value`;
//! * a location's `value` is an absolute path for `localFile` and `unixNamedPipe` (the
//!   manager reads it from another working directory), and its type is one of `localFile`,
//!   `unixNamedPipe` and `remoteURL`;
//! * a returned resource or source has a name.
//!
//! Release builds skip the checks. The answer builders of the SDK
//! ([`input::resource_answer`](crate::input::resource_answer), [`crate::blob`]) keep the rules.
//!
//! # Manager generations
//!
//! Several generations of OCM's Go plugin manager are in use, and this project has its own.
//! The SDK answers all of them from one binary: it prints both capabilities formats, reads
//! credentials flat (v0.0.1 to v0.0.15) or typed (v0.0.16 and later), and accepts the input
//! request shapes of v0.0.1 and of v0.0.2 and later. What differs per kind (a spec that is not
//! sent, a field that changed) is in the guides. Two differences matter everywhere:
//!
//! * Go managers often pass no configuration at all, so a factory must cope with
//!   `config_entry` answering `None`.
//! * Go managers do not read `unixNamedPipe` locations. Hand blobs back as files
//!   ([`blob::from_bytes`](crate::blob::from_bytes),
//!   [`blob::from_reader`](crate::blob::from_reader), [`blob::BlobFile`](crate::blob::BlobFile))
//!   unless only this project's manager calls the plugin.
//!
//! # What OCM's `ocm` command line does with plugins
//!
//! Measured from outside with the head version of OCM's `ocm` command line:
//!
//! * It registers all nine example plugins of this project from its plugin directory
//!   (`--plugin-directory`, default `$HOME/.config/ocm/plugins`), at the start of every command.
//! * It accepts a repository type provided by a plugin only through a resolver entry
//!   (`resolvers.config.ocm.software/v1alpha1`) in its configuration. The entry maps a
//!   component name pattern to a repository spec of the plugin's type, and the component is
//!   then reached as a reference of a component in a CTF or OCI repository. `TYPE::location` on
//!   the command line accepts only OCI and CTF repositories.
//! * It passes no configuration to plugins, and its component version reads carry no
//!   repository spec. `examples/directory-repository` therefore works there only through its
//!   environment variable `OCM_DIRECTORY_REPOSITORY_ROOT`.
//! * `ocm transfer` cannot copy local blobs out of a repository provided by a plugin.
//!
//! A released `ocm` 0.13.0 fails every command when a plugin in its directory declares the
//! credential plugin kind, which it does not know. Descriptors a plugin stores must have
//! `provider` as a string, as Go decodes it. The protocol spec (section 14) has the details.
//!
//! # Testing
//!
//! [`testing::TestClient`](crate::testing::TestClient) runs a plugin's routes in process, as a
//! manager calls them: schema checks, credentials, answer checks (always), error
//! statuses.
//! `TestClient::new(plugin, config_entries)?.traits()` gives a client that implements the
//! *untyped* contract traits; import the one of the capability under test, e.g.
//! `use ocm_plugin_sdk::contracts::input::v1::InputMethod as _;`, and call its methods.
//! [`testing::block_on`](crate::testing::block_on) runs them from a plain `#[test]`. Every guide
//! ends with such a test.

pub mod blob_transformer;
pub mod component_lister;
pub mod component_version_repository;
pub mod credential_plugin;
pub mod credential_repository;
pub mod digest_processor;
pub mod input;
pub mod resource_repository;
pub mod signing_handler;
