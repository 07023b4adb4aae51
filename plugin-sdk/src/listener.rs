//! The listening socket and the location line the manager reads from stdout (spec §4.3).
//!
//! Unix: a fresh private directory (mode 0700) under the temp dir, holding `<id>.sock`; both are
//! removed on shutdown. A per-process directory means two instances with the same id never
//! collide, so no lock files are needed. TCP: loopback only, never all interfaces.

use std::{
    fs::Permissions,
    os::unix::fs::PermissionsExt as _,
    path::{Path, PathBuf},
};

use ocm_plugin_endpoints::{MAX_SOCKET_PATH, MAX_SOCKET_STEM, SOCKET_DIR_PREFIX};
use ocm_plugin_types::ConnectionType;
use tempfile::TempDir;
use tokio::net::{TcpListener, UnixListener};

use crate::{Error, Result};

/// Where to put the socket directory when the temp dir's path is too long.
const FALLBACK_DIR: &str = "/tmp";

/// A bound listener and what it needs cleaned up.
#[derive(Debug)]
pub(crate) enum Bound {
    /// A Unix socket inside its private directory.
    Unix {
        listener: UnixListener,
        socket: PathBuf,
        dir: TempDir,
    },
    /// A loopback TCP socket.
    Tcp { listener: TcpListener, port: u16 },
}

impl Bound {
    /// Binds the transport the manager asked for.
    pub(crate) async fn bind(connection: ConnectionType, id: &str) -> Result<Self> {
        match connection {
            ConnectionType::Unix => bind_unix(&std::env::temp_dir(), id),
            ConnectionType::Tcp => bind_tcp().await,
        }
    }

    /// The line to print on stdout, without the newline.
    pub(crate) fn location(&self) -> String {
        match self {
            Self::Unix { socket, .. } => format!("http+unix://{}", socket.display()),
            Self::Tcp { port, .. } => format!("http://127.0.0.1:{port}"),
        }
    }
}

/// Removes the socket file and its directory.
pub(crate) fn remove_socket(socket: &Path, dir: TempDir) -> std::io::Result<()> {
    match std::fs::remove_file(socket) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    dir.close()
}

/// Whether a socket path fits into `sun_path`.
pub(crate) fn fits(path: &Path) -> bool {
    path.as_os_str().len() <= MAX_SOCKET_PATH
}

/// The socket file name for an instance id: safe characters only, bounded length.
pub(crate) fn socket_file_name(id: &str) -> String {
    let stem: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .take(MAX_SOCKET_STEM)
        .collect();
    let stem = stem.trim_start_matches('.');
    if stem.is_empty() {
        "plugin.sock".to_owned()
    } else {
        format!("{stem}.sock")
    }
}

fn private_dir(base: &Path) -> Result<TempDir> {
    tempfile::Builder::new()
        .prefix(SOCKET_DIR_PREFIX)
        .permissions(Permissions::from_mode(0o700))
        .tempdir_in(base)
        .map_err(|source| Error::Bind {
            address: format!("{}/{SOCKET_DIR_PREFIX}*", base.display()),
            source,
        })
}

/// Binds `<private dir in base>/<id>.sock`, falling back to a directory under `/tmp` when that
/// path is too long for a Unix socket or the directory cannot be created in `base`.
pub(crate) fn bind_unix(base: &Path, id: &str) -> Result<Bound> {
    let name = socket_file_name(id);
    // Dropping a TempDir that does not fit removes it.
    let dir = match private_dir(base) {
        Ok(dir) if fits(&dir.path().join(&name)) => dir,
        Ok(_) => private_dir(Path::new(FALLBACK_DIR))?,
        Err(e) => {
            tracing::debug!(error = %e, "falling back to {FALLBACK_DIR}");
            private_dir(Path::new(FALLBACK_DIR))?
        }
    };
    let socket = dir.path().join(&name);
    let listener = UnixListener::bind(&socket).map_err(|source| Error::Bind {
        address: socket.display().to_string(),
        source,
    })?;
    Ok(Bound::Unix {
        listener,
        socket,
        dir,
    })
}

async fn bind_tcp() -> Result<Bound> {
    let address = "127.0.0.1:0";
    let bind_error = |source| Error::Bind {
        address: address.to_owned(),
        source,
    };
    let listener = TcpListener::bind(address).await.map_err(bind_error)?;
    let port = listener.local_addr().map_err(bind_error)?.port();
    Ok(Bound::Tcp { listener, port })
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::{FileTypeExt as _, MetadataExt as _};

    use super::*;

    #[test]
    fn length_rule() {
        let ok = format!("/{}", "a".repeat(MAX_SOCKET_PATH - 1));
        assert!(fits(Path::new(&ok)));
        let long = format!("/{}", "a".repeat(MAX_SOCKET_PATH));
        assert!(!fits(Path::new(&long)));
    }

    #[test]
    fn file_names_are_safe_and_short() {
        assert_eq!(socket_file_name("test-plugin_1.2"), "test-plugin_1.2.sock");
        assert_eq!(socket_file_name("a/b c"), "a_b_c.sock");
        assert_eq!(socket_file_name(""), "plugin.sock");
        assert_eq!(socket_file_name(".."), "plugin.sock");
        assert_eq!(
            socket_file_name(&"x".repeat(200)).len(),
            MAX_SOCKET_STEM + ".sock".len()
        );
        // The /tmp fallback therefore always fits.
        let worst = format!(
            "{FALLBACK_DIR}/{SOCKET_DIR_PREFIX}XXXXXX/{}",
            socket_file_name(&"x".repeat(200))
        );
        assert!(fits(Path::new(&worst)));
    }

    #[tokio::test]
    async fn unix_socket_in_private_dir_and_cleanup() {
        let base = tempfile::tempdir().unwrap();
        let Bound::Unix {
            listener,
            socket,
            dir,
        } = bind_unix(base.path(), "my plugin").unwrap()
        else {
            panic!("not unix");
        };
        assert_eq!(socket.parent(), Some(dir.path()));
        assert!(socket.starts_with(base.path()));
        assert_eq!(socket.file_name().unwrap(), "my_plugin.sock");
        assert!(
            dir.path()
                .file_name()
                .unwrap()
                .to_str()
                .unwrap()
                .starts_with(SOCKET_DIR_PREFIX)
        );
        assert_eq!(std::fs::metadata(dir.path()).unwrap().mode() & 0o777, 0o700);
        assert!(std::fs::metadata(&socket).unwrap().file_type().is_socket());
        let dir_path = dir.path().to_owned();
        drop(listener);
        remove_socket(&socket, dir).unwrap();
        assert!(!socket.exists() && !dir_path.exists());
    }

    #[tokio::test]
    async fn too_long_temp_dir_falls_back_to_tmp() {
        let base = tempfile::tempdir().unwrap();
        let deep = base.path().join("d".repeat(100));
        std::fs::create_dir(&deep).unwrap();
        let bound = bind_unix(&deep, "plugin").unwrap();
        let Bound::Unix { socket, dir, .. } = &bound else {
            panic!("not unix")
        };
        assert!(socket.starts_with(FALLBACK_DIR), "{}", socket.display());
        assert!(fits(socket));
        // The too-long attempt left nothing behind.
        assert_eq!(std::fs::read_dir(&deep).unwrap().count(), 0);
        assert!(bound.location().starts_with("http+unix:///tmp/ocm-plugin-"));
        let _ = dir;
    }

    #[tokio::test]
    async fn unusable_temp_dir_falls_back_to_tmp() {
        let bound = bind_unix(Path::new("/nonexistent/ocm-sdk-test"), "plugin").unwrap();
        assert!(bound.location().starts_with("http+unix:///tmp/ocm-plugin-"));
    }

    #[tokio::test]
    async fn tcp_binds_loopback_only() {
        let bound = bind_tcp().await.unwrap();
        let Bound::Tcp { listener, port } = &bound else {
            panic!("not tcp")
        };
        let addr = listener.local_addr().unwrap();
        assert!(addr.ip().is_loopback());
        assert_eq!(addr.port(), *port);
        assert_eq!(bound.location(), format!("http://127.0.0.1:{port}"));
    }
}
