//! In-process tests of the SDK: the router from `Plugin::into_router`, called with
//! `tower::ServiceExt::oneshot`, against an in-memory repository.

// Test helpers outside `#[test]` functions unwrap too; a failure there is a test failure.
#![allow(clippy::unwrap_used)]

mod capabilities;
mod dispatch;
mod errors;
mod routes;
mod support;
