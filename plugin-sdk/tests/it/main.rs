//! In-process tests of the SDK: the router from `Plugin::into_router`, called with
//! `tower::ServiceExt::oneshot`, against in-memory fakes.

// Test helpers outside `#[test]` functions unwrap too; a failure there is a test failure.
#![allow(clippy::unwrap_used)]

mod capabilities;
mod capabilities_more;
mod credential_repository;
mod digest_resource_blob;
mod dispatch;
mod early_replies;
mod errors;
mod fakes;
mod golden;
mod input;
/// The README's plugin, with its own test (`cargo test` builds the example binary as well, which
/// the early-reply tests run).
#[allow(dead_code)]
#[path = "../../examples/memory.rs"]
mod memory_example;
mod multi;
mod newer_kinds;
mod query_utf8;
mod request_props;
mod routes;
mod statuses;
mod support;
/// The 30-line input method of the crate docs, with its test.
#[allow(dead_code)]
#[path = "../../examples/text.rs"]
mod text_example;
mod typed_api;
