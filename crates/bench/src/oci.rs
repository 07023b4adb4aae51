//! The OCI scenarios: a large local resource added to and fetched from a real registry
//! (`docker-registry` on loopback) through `oci-repository`, timed against `cp` of the same file
//! and with the plugin's peak memory next to the same run with a 1 MiB blob.

use std::{
    path::Path,
    time::{Duration, Instant},
};

use anyhow::{Context as _, Result, ensure};
use ocm_plugin_manager::{
    PluginManager,
    contracts::component_version_repository::v1 as cvr,
    types::{Credentials, Descriptor, Location, Raw, Resource},
};
use ocm_plugin_test_support::registry::{Registry, RegistryAuth};

use crate::{
    floors,
    report::{Results, Row, Unit},
    scenarios::{Setup, Sizes},
};

const PLUGIN: &str = "oci-repository";
const GROUP: &str = "OCI registry";
const COMPONENT: &str = "acme.org/oci-bench";

/// One add + component version + fetch: the two timings.
struct Round {
    added: Duration,
    fetched: Duration,
}

async fn round(
    repo: &dyn cvr::ComponentVersionRepository,
    manager: &PluginManager,
    spec: &Raw,
    version: &str,
    file: &Path,
    size: usize,
) -> Result<Round> {
    let creds = Credentials::new();
    let resource = Resource {
        name: "blob".into(),
        version: version.into(),
        resource_type: "blob".into(),
        relation: "local".into(),
        ..Resource::default()
    };
    floors::settle_disk();
    let t = Instant::now();
    let stored = repo
        .add_local_resource(
            cvr::AddLocalResourceRequest {
                repository: spec.clone(),
                name: COMPONENT.into(),
                version: version.into(),
                resource_location: Location::local_file(file.to_string_lossy()),
                resource,
            },
            &creds,
        )
        .await?;
    let added = t.elapsed();
    let mut descriptor = Descriptor::default();
    descriptor.meta.schema_version = "v2".into();
    descriptor.component.name = COMPONENT.into();
    descriptor.component.version = version.into();
    descriptor.component.provider = "acme.org".into();
    descriptor.component.resources = Some(vec![stored]);
    repo.add_component_version(
        cvr::AddComponentVersionRequest {
            repository: spec.clone(),
            descriptor,
        },
        &creds,
    )
    .await?;
    floors::settle_disk();
    let t = Instant::now();
    let got = repo
        .get_local_resource(
            cvr::GetLocalResourceRequest {
                repository: Some(spec.clone()),
                name: COMPONENT.into(),
                version: version.into(),
                identity: None,
            },
            &creds,
        )
        .await?;
    let fetched = t.elapsed();
    let blob = manager.blob(&got.location)?;
    let len = std::fs::metadata(&got.location.value)?.len();
    drop(blob);
    ensure!(len == size as u64, "fetched {len} bytes, expected {size}");
    Ok(Round { added, fetched })
}

/// The OCI rows. Without `docker-registry` (and outside CI) they are skipped with one line.
pub(crate) async fn oci(setup: &Setup, sizes: Sizes, results: &mut Results) -> Result<()> {
    let Some(registry) = Registry::start("bench: OCI registry scenarios", RegistryAuth::None)?
    else {
        return Ok(());
    };
    let manager = PluginManager::new()?;
    manager
        .register_plugins(&setup.plugins, Default::default())
        .await?;
    let spec =
        Raw::new(serde_json::json!({"type": "OCIRepository/v1", "baseUrl": registry.url()}))?;
    let repo = manager.component_version_repositories().get(&spec).await?;
    let pid = manager
        .plugin(PLUGIN)
        .and_then(|s| s.pid())
        .context("the OCI repository plugin is not running")?;

    let small = floors::blob_file(&setup.work.join("oci-small.bin"), 1 << 20)?;
    floors::reset_peak(pid)?;
    round(repo.as_ref(), &manager, &spec, "1.0.0", &small, 1 << 20).await?;
    let small_peak = floors::memory(pid)?.peak;

    let src = floors::blob_file(&setup.work.join("oci-large.bin"), sizes.blob)?;
    let scratch = setup.work.join("oci-large.cp");
    let cp = floors::cp(&src, &scratch, 3)?;
    floors::reset_peak(pid)?;
    let large = round(repo.as_ref(), &manager, &spec, "2.0.0", &src, sizes.blob).await?;
    let large_peak = floors::memory(pid)?.peak;
    let label = format!("{} MiB", sizes.blob >> 20);
    // The registry alone: one monolithic upload (POST + PUT) streamed from the file and one
    // download into a sink, over raw HTTP, with the kernel copying where it can. No client can
    // push or pull through this registry faster than these.
    let digest = raw::digest(&src)?;
    floors::settle_disk();
    let t = Instant::now();
    raw::put(&registry.host_port(), "floor/raw-http", &src, &digest)?;
    let raw_put = t.elapsed();
    floors::settle_disk();
    let t = Instant::now();
    let got = raw::get(&registry.host_port(), "floor/raw-http", &digest)?;
    let raw_get = t.elapsed();
    ensure!(got == sizes.blob as u64, "the raw GET returned {got} bytes");
    for (name, took) in [
        (format!("registry alone: raw HTTP PUT, {label}"), raw_put),
        (format!("registry alone: raw HTTP GET, {label}"), raw_get),
    ] {
        results.push(
            Row::value(GROUP, name, Unit::Millis, took.as_secs_f64() * 1e3)
                .against("cp of the same file", cp.as_secs_f64() * 1e3),
        );
    }
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    for (name, took, alone, floor) in [
        (
            format!("add-local-resource {label} (push)"),
            large.added,
            raw_put,
            "PUT",
        ),
        (
            format!("get-local-resource {label} (pull)"),
            large.fetched,
            raw_get,
            "GET",
        ),
    ] {
        results.push(
            Row::value(GROUP, name, Unit::Millis, ms(took))
                .against("cp of the same file", ms(cp))
                .budget("<= 3x cp", took <= cp * 3),
        );
        results.push(
            Row::value(GROUP, "  the same", Unit::Millis, ms(took))
                .against(format!("registry alone: raw {floor}"), ms(alone)),
        );
    }
    results.push(
        Row::value(
            GROUP,
            format!("  plugin peak RSS, {label} add + fetch"),
            Unit::Megabytes,
            large_peak,
        )
        .against("the same with 1 MiB", small_peak)
        .budget("<= 1 MiB run + 32 MB", large_peak <= small_peak + 32.0),
    );
    let _ = std::fs::remove_file(&src);
    let _ = std::fs::remove_file(&small);
    let _ = std::fs::remove_file(&scratch);
    manager.shutdown().await?;
    drop(registry);
    Ok(())
}

/// Streaming HTTP/1.1 against the registry, for the floors: no client library, no copies.
pub(crate) mod raw {
    use std::{
        io::{BufRead as _, BufReader, Read as _, Write as _},
        net::TcpStream,
        path::Path,
        time::Duration,
    };

    use anyhow::{Context as _, Result, bail};

    const TIMEOUT: Duration = Duration::from_secs(120);

    fn connect(host_port: &str) -> Result<TcpStream> {
        let stream =
            TcpStream::connect(host_port).with_context(|| format!("connecting to {host_port}"))?;
        stream.set_read_timeout(Some(TIMEOUT))?;
        stream.set_write_timeout(Some(TIMEOUT))?;
        Ok(stream)
    }

    /// Status and headers (names lower-cased) of a response, leaving the body unread.
    fn head(reader: &mut BufReader<&TcpStream>) -> Result<(u16, Vec<(String, String)>)> {
        let mut line = String::new();
        reader.read_line(&mut line)?;
        let status = line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .with_context(|| format!("not an HTTP status line: {line:?}"))?;
        let mut headers = Vec::new();
        loop {
            line.clear();
            reader.read_line(&mut line)?;
            let trimmed = line.trim_end();
            if trimmed.is_empty() {
                return Ok((status, headers));
            }
            if let Some((k, v)) = trimmed.split_once(':') {
                headers.push((k.trim().to_ascii_lowercase(), v.trim().to_owned()));
            }
        }
    }

    fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
        headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Uploads `file` as a blob of `repository`; returns its digest.
    pub(super) fn put(host_port: &str, repository: &str, file: &Path, digest: &str) -> Result<()> {
        let stream = connect(host_port)?;
        write!(
            &stream,
            "POST /v2/{repository}/blobs/uploads/ HTTP/1.1\r\nHost: {host_port}\r\nContent-Length: 0\r\n\r\n"
        )?;
        let mut reader = BufReader::new(&stream);
        let (status, headers) = head(&mut reader)?;
        if status != 202 {
            bail!("POST blobs/uploads answered {status}");
        }
        let location = header(&headers, "location").context("no Location")?;
        let path = location.split_once("://").map_or(location, |(_, rest)| {
            rest.find('/').map_or("/", |i| &rest[i..])
        });
        let sep = if path.contains('?') { '&' } else { '?' };
        let size = std::fs::metadata(file)?.len();
        let mut body = std::fs::File::open(file)?;
        let len = header(&headers, "content-length")
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0);
        std::io::copy(&mut (&mut reader).take(len), &mut std::io::sink())?;
        write!(
            &stream,
            "PUT {path}{sep}digest={digest} HTTP/1.1\r\nHost: {host_port}\r\nContent-Type: application/octet-stream\r\nContent-Length: {size}\r\n\r\n"
        )?;
        std::io::copy(&mut body, &mut &stream)?;
        let (status, _) = head(&mut reader)?;
        if status != 201 {
            bail!("PUT of the blob answered {status}");
        }
        Ok(())
    }

    /// `sha256:<hex>` of a file (outside the timed part).
    pub(super) fn digest(file: &Path) -> Result<String> {
        use sha2::Digest as _;
        let mut hasher = sha2::Sha256::new();
        let mut input = std::fs::File::open(file)?;
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = input.read(&mut buf)?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
        }
        Ok(format!("sha256:{}", hex(&hasher.finalize())))
    }

    /// Downloads a blob into a sink; returns its length.
    pub(crate) fn get(host_port: &str, repository: &str, digest: &str) -> Result<u64> {
        let stream = connect(host_port)?;
        write!(
            &stream,
            "GET /v2/{repository}/blobs/{digest} HTTP/1.1\r\nHost: {host_port}\r\nConnection: close\r\n\r\n"
        )?;
        let mut reader = BufReader::with_capacity(1 << 20, &stream);
        let (status, headers) = head(&mut reader)?;
        if status != 200 {
            bail!("GET of the blob answered {status}");
        }
        let len = header(&headers, "content-length")
            .and_then(|v| v.parse::<u64>().ok())
            .context("no Content-Length")?;
        let copied = std::io::copy(&mut reader.take(len), &mut std::io::sink())?;
        Ok(copied)
    }

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }
}
