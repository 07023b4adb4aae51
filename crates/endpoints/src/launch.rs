//! What a host hands a plugin besides `--config`, for plugins built with our SDK. Both travel in
//! the environment: `--config` keeps exactly the bytes the Go manager writes (Go plugins ignore
//! the variables), and the environment, unlike argv, is not readable by other local users.

/// Names the inherited descriptor that is the read end of the plugin's lifeline pipe (our
/// manager passes it as the plugin's stdin, `0`). The host holds the only write end;
/// end-of-file on the read end means the host is gone and the plugin should shut down.
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

/// Longest Unix socket path Linux accepts: `sun_path` holds 108 bytes including the NUL.
pub const MAX_SOCKET_PATH: usize = 107;

/// Our SDK listens on `<TMPDIR>/<SOCKET_DIR_PREFIX>XXXXXX/<stem>.sock`, in a private directory
/// (six random characters) made for the process.
pub const SOCKET_DIR_PREFIX: &str = "ocm-plugin-";

/// Longest socket file stem our SDK takes from the instance id.
pub const MAX_SOCKET_STEM: usize = 40;

/// Whether our SDK's longest socket path under `base` fits into [`MAX_SOCKET_PATH`]. When it
/// does not, the SDK puts its socket directory under `/tmp` instead. Shared by the SDK and the
/// manager, which checks before any plugin starts that sockets will work where they will go.
pub fn sdk_socket_fits(base: &std::path::Path) -> bool {
    let longest = base.join(format!(
        "{SOCKET_DIR_PREFIX}XXXXXX/{}.sock",
        "x".repeat(MAX_SOCKET_STEM)
    ));
    longest.as_os_str().len() <= MAX_SOCKET_PATH
}
