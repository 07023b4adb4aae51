//! What a host hands a plugin besides `--config`, for plugins built with our SDK. Both travel in
//! the environment: `--config` keeps exactly the bytes the Go manager writes (Go plugins ignore
//! the variables), and the environment, unlike argv, is not readable by other local users.

/// Names the inherited descriptor that is the read end of the plugin's lifeline pipe. The host
/// holds the only write end; end-of-file on the read end means the host is gone and the plugin
/// should shut down.
pub const LIFELINE_ENV: &str = "OCM_PLUGIN_LIFELINE_FD";

/// A per-launch secret for plugins listening on TCP, where anyone on the machine can connect.
/// The host sends it in [`LAUNCH_TOKEN_HEADER`] on every request, and the SDK refuses requests
/// without it.
pub const LAUNCH_TOKEN_ENV: &str = "OCM_PLUGIN_LAUNCH_TOKEN";

/// The request header that carries the [`LAUNCH_TOKEN_ENV`] secret.
pub const LAUNCH_TOKEN_HEADER: &str = "ocm-plugin-launch-token";

/// Where the `ocm-plugin` CLI reads credentials from. A host never passes it on: plugins are
/// started without it in their environment.
pub const CREDENTIALS_ENV: &str = "OCM_PLUGIN_CREDENTIALS";
