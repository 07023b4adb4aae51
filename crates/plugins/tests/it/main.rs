//! Integration tests of `ocm-plugin-runtime`, as one test binary.
//!
//! * `client`: `PluginClient` against in-test HTTP servers on a Unix socket and on TCP loopback;
//! * `probe`: `probe_capabilities` against `/bin/sh` scripts;
//! * `start_failures`: supervisor start failures with `/bin/sh` scripts;
//! * `fake_plugin`: the success, restart and stop paths against this very test binary,
//!   re-executed as a small plugin.

// `allow-unwrap-in-tests` covers `#[test]` functions only; helpers here are test code too.
#![allow(clippy::unwrap_used)]

mod client;
mod fake_plugin;
mod probe;
mod start_failures;
mod util;
