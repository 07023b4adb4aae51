//! Blob transformers: turn one blob into another (compress, convert, filter) as a transformer
//! spec says. The SDK side is [`crate::blob_transformer`]; the example plugin is
//! `examples/gzip-transformer`.
//!
//! # What the manager sends
//!
//! The spec is the transformer spec, e.g. `{"type":"Upper/v1"}`, in the request's
//! `specification` field. Its `type` picks the implementation.
//!
//! | route | trait method | request | answer |
//! |---|---|---|---|
//! | `POST /blob/transform` | `transform_blob` | `{"location": …, "specification": <spec>}` | `{"location": …}` |
//! | `POST /identity` | `identity` | `{"type": <spec>}` | `{"identity": {…}}` |
//!
//! `location` is the input blob: with Go managers a `localFile` that the manager copied for
//! this call (and does not delete); this project's manager may send a `unixNamedPipe`. Open
//! either with [`blob::open`](crate::blob::open), which waits at most the time you give it for
//! a pipe's writer. Managers validate `specification` against the schema before they call.
//! Credentials arrive in `Authorization` when the manager has some; without the header the
//! method gets empty [`Credentials`](crate::types::Credentials).
//!
//! # What to answer
//!
//! The output blob as a location, written with [`crate::blob`]: a new file in the manager's
//! temporary directory ([`blob::from_bytes`](crate::blob::from_bytes),
//! [`blob::from_reader`](crate::blob::from_reader), or
//! [`blob::BlobFile`](crate::blob::BlobFile) for an encoder that writes as it goes). Never
//! answer the input's location: the manager may delete the output once it has read it. Go
//! managers do not read named pipes, so [`blob::from_stream`](crate::blob::from_stream) is for
//! this project's manager only. The SDK checks (in debug builds and under `TestClient`) that the location is an absolute
//! path of a known type (see the [guide](crate::guide#rules-the-sdk-checks-on-answers)).
//!
//! Reading and transforming a blob is blocking work: run it through
//! [`spawn_blocking`](crate::spawn_blocking).
//!
//! # Errors
//!
//! * `Error::InvalidArgument`: the input is not what the transformer reads (not gzip, not
//!   UTF-8), or the spec is valid by its schema but unusable.
//! * `Error::NotFound`: the input location does not exist (`?` on the `std::io::Error`).
//! * `Error::internal_with`: reading or writing failed otherwise.
//!
//! # Example
//!
//! A blob transformer `Upper/v1` that turns a text blob into upper case, and a test. The
//! plugin's `main` is `fn main() -> std::process::ExitCode { plugin().run() }`.
//!
//! ```
//! use std::io::Read as _;
//!
//! use ocm_plugin_sdk::blob_transformer::{self as transformers, *};
//! use ocm_plugin_sdk::contracts::{Error, Result};
//! use ocm_plugin_sdk::{Plugin, TypedSpec, async_trait, blob, schemars};
//!
//! /// Turns a UTF-8 text blob into upper case.
//! #[derive(serde::Deserialize, schemars::JsonSchema)]
//! #[schemars(crate = "ocm_plugin_sdk::schemars")]
//! #[serde(deny_unknown_fields)]
//! struct UpperSpec {
//!     #[serde(rename = "type")]
//!     _type: String,
//! }
//!
//! impl TypedSpec for UpperSpec {
//!     const TYPE: &'static str = "Upper/v1";
//! }
//!
//! struct Upper;
//!
//! #[async_trait]
//! impl BlobTransformer for Upper {
//!     type Spec = UpperSpec;
//!
//!     async fn transform_blob(
//!         &self,
//!         _spec: UpperSpec,
//!         request: TransformBlobRequest,
//!         _credentials: &Credentials,
//!     ) -> Result<TransformBlobResponse> {
//!         let input = request.location;
//!         let text = ocm_plugin_sdk::spawn_blocking(move || {
//!             let mut text = String::new();
//!             blob::open(&input, blob::NAMED_PIPE_WRITER_WAIT)?
//!                 .read_to_string(&mut text)
//!                 .map_err(|e| Error::InvalidArgument(format!("the blob is not UTF-8 text: {e}")))?;
//!             Ok(text)
//!         })
//!         .await?;
//!         let location = blob::from_bytes(text.to_uppercase(), Some("text/plain")).await?;
//!         Ok(TransformBlobResponse { location })
//!     }
//! }
//!
//! fn plugin() -> Plugin {
//!     Plugin::new("upper").register(transformers::typed(|_| Ok(Upper)))
//! }
//!
//! // The test: the client implements the untyped contract, as the manager calls it.
//! use ocm_plugin_sdk::contracts::blob_transformer::v1::BlobTransformer as _;
//! use ocm_plugin_sdk::testing::{TestClient, block_on};
//! use ocm_plugin_sdk::types::{Credentials, Raw};
//!
//! let client = TestClient::new(plugin(), Vec::new())?.traits();
//! let output = block_on(async {
//!     let input = blob::from_bytes("hello", Some("text/plain")).await?;
//!     let request = TransformBlobRequest {
//!         location: input.clone(),
//!         specification: Raw::from_json(r#"{"type":"Upper/v1"}"#)?,
//!     };
//!     let answer = client.transform_blob(request, &Credentials::new()).await;
//!     std::fs::remove_file(&input.value)?;
//!     Ok::<_, Box<dyn std::error::Error>>(answer?.location)
//! })??;
//! assert_eq!(std::fs::read(&output.value)?, b"HELLO");
//! std::fs::remove_file(&output.value)?; // the manager would take it over
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! To implement the contract's own trait
//! (`ocm_plugin_sdk::contracts::blob_transformer::v1::BlobTransformer`) with a hand-written
//! schema, register it with
//! [`blob_transformer::untyped(typ, schema, factory)`](crate::blob_transformer::untyped);
//! `examples/gzip-transformer` does that.
