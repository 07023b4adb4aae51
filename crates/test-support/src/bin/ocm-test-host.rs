//! A host for the host-death tests: starts every plugin of a directory through a
//! `PluginManager`, prints one `pid <id> <pid>` line per plugin (and, for TCP plugins,
//! `endpoint <id> <endpoint>`), then `ready`, and waits to be killed. It installs no signal
//! handler, so every signal kills it the way it kills an unprepared host.
//!
//! Usage: `ocm-test-host <plugin dir> <temp root> [unix|tcp]`
//!
//! `ocm-test-host probe <endpoint>` instead sends `GET /healthz` to a plugin endpoint (as
//! printed) without any credentials or token and prints the status line, or `connect error:
//! <cause>` with exit status 2: what another local user would get.

use std::process::ExitCode;

use ocm_plugin_manager::{PluginManager, RegistrationOptions, types::ConnectionType};

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ocm-test-host: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1).peekable();
    if args.peek().map(String::as_str) == Some("probe") {
        let endpoint = args.nth(1).ok_or("usage: ocm-test-host probe <endpoint>")?;
        return probe(&endpoint);
    }
    let (Some(dir), Some(root)) = (args.next(), args.next()) else {
        return Err("usage: ocm-test-host <plugin dir> <temp root> [unix|tcp]".into());
    };
    let connection = match args.next().as_deref() {
        None | Some("unix") => ConnectionType::Unix,
        Some("tcp") => ConnectionType::Tcp,
        Some(other) => return Err(format!("unknown transport {other:?}").into()),
    };
    let manager = PluginManager::new_in(&root)?;
    let options = RegistrationOptions {
        connection: Some(connection),
        ..RegistrationOptions::default()
    };
    let report = manager.register_plugins(&dir, options).await?;
    if report.rejected().next().is_some() {
        return Err(format!("plugins rejected: {report:?}").into());
    }
    println!("temp {}", manager.temp_dir().display());
    for plugin in manager.plugins() {
        let endpoint = plugin.start().await?;
        let pid = plugin.pid().ok_or("a started plugin has no pid")?;
        println!("pid {} {pid}", plugin.id());
        println!("endpoint {} {endpoint}", plugin.id());
    }
    println!("ready");
    // Wait to be killed; the test that started this host bounds its own waits.
    std::future::pending::<()>().await;
    Ok(())
}

fn probe(endpoint: &str) -> Result<(), Box<dyn std::error::Error>> {
    use std::io::{Read as _, Write as _};
    use std::time::Duration;

    let timeout = Some(Duration::from_secs(5));
    let connected: std::io::Result<Box<dyn ReadWrite>> =
        if let Some(path) = endpoint.strip_prefix("http+unix://") {
            std::os::unix::net::UnixStream::connect(path).and_then(|s| {
                s.set_read_timeout(timeout)?;
                Ok(Box::new(s) as Box<dyn ReadWrite>)
            })
        } else if let Some(addr) = endpoint.strip_prefix("http://") {
            std::net::TcpStream::connect(addr).and_then(|s| {
                s.set_read_timeout(timeout)?;
                Ok(Box::new(s) as Box<dyn ReadWrite>)
            })
        } else {
            return Err(format!("not an endpoint: {endpoint}").into());
        };
    let mut stream = match connected {
        Ok(s) => s,
        Err(e) => {
            println!("connect error: {e}");
            std::process::exit(2);
        }
    };
    stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: probe\r\nConnection: close\r\n\r\n")?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer)?;
    let answer = String::from_utf8_lossy(&answer);
    println!("{}", answer.lines().next().unwrap_or("<no answer>"));
    Ok(())
}

trait ReadWrite: std::io::Read + std::io::Write {}
impl<T: std::io::Read + std::io::Write> ReadWrite for T {}
