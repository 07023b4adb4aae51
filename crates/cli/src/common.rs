//! What every capability's `call` needs: the parsed arguments, the plugin lookup context, and
//! blob handling.

use std::{io::Read as _, path::Path};

use anyhow::{Context, Result, anyhow, bail};
use ocm_plugin_manager::types::{Credentials, Identity, Location, LocationType, Raw};
use ocm_plugin_manager::{Blob, PluginManager, RequestFile};
use serde_json::{Value, error::Category, json};

use crate::{CREDENTIALS_ENV, CallArgs};

/// One `call` invocation: the manager with the directory registered, and the arguments.
pub(crate) struct Ctx<'a> {
    pub(crate) manager: &'a PluginManager,
    pub(crate) args: &'a CallArgs,
}

impl Ctx<'_> {
    /// `--spec` as a typed object.
    pub(crate) fn spec(&self) -> Result<Raw> {
        Raw::from_json(required("spec", &self.args.spec)?)
            .context("--spec must be a JSON object with a type")
    }

    /// The credentials of `--credentials`, `--credentials-file` or `OCM_PLUGIN_CREDENTIALS`
    /// (at most one is given; `main` checks), or none.
    pub(crate) fn credentials(&self) -> Result<Credentials> {
        load_credentials(
            self.args.credentials.as_deref(),
            self.args
                .credentials_file
                .as_deref()
                .map(|path| ("--credentials-file", path)),
            true,
        )
    }

    /// `--identity`, if given.
    pub(crate) fn identity(&self) -> Result<Option<Identity>> {
        self.args
            .identity
            .as_deref()
            .map(|i| parse_json("identity", i))
            .transpose()
    }

    /// `--resource`, decoded.
    pub(crate) fn resource<T: serde::de::DeserializeOwned>(&self) -> Result<T> {
        parse_json("resource", required("resource", &self.args.resource)?)
    }

    /// `--resource-file` as a request file (passed by its path; never deleted).
    pub(crate) async fn request_file(&self) -> Result<RequestFile> {
        let file = self
            .args
            .resource_file
            .as_ref()
            .context("this operation needs --resource-file")?;
        let abs = std::fs::canonicalize(file)
            .with_context(|| format!("--resource-file {}", file.display()))?;
        let blob = Blob::from_path(abs)?;
        Ok(self.manager.request_file(blob).await?)
    }

    /// A blob a plugin answered with is handed over to us: write it to `--output` (if given)
    /// and report its size. A file in the manager's temp dir is deleted afterwards, and a FIFO
    /// can be read once: the plugin's location is reported only while it still names the blob
    /// (a file of the plugin's own, outside the temp dir); otherwise the report says the blob
    /// was discarded, and how to keep it.
    pub(crate) async fn take_blob(&self, location: &Location) -> Result<Value> {
        let output = self.args.output.as_deref();
        let mut blob = self.manager.blob(location)?;
        let size = match output {
            Some(out) => blob
                .copy_to(out)
                .await
                .with_context(|| format!("writing {}", out.display()))?,
            // Read it anyway: a FIFO's writer waits for us.
            None => tokio::io::copy(&mut blob.reader().await?, &mut tokio::io::sink())
                .await
                .with_context(|| format!("reading {}", blob.path().display()))?,
        };
        drop(blob);
        let still_there = location.location_type == LocationType::LocalFile
            && Path::new(&location.value).is_file();
        let mut report = json!({"size": size, "output": output});
        if still_there {
            report["location"] = json!(location);
        }
        if output.is_none() && !still_there {
            report["discarded"] = json!(true);
            eprintln!(
                "note: the blob ({size} bytes) was read and discarded; give --output FILE to keep it"
            );
        }
        Ok(report)
    }
}

/// Credentials from the first of: inline JSON (`--credentials`), a file given with the option
/// `file.0` (`-`: stdin), and, when `env`, `OCM_PLUGIN_CREDENTIALS`; none otherwise.
pub(crate) fn load_credentials(
    inline: Option<&str>,
    file: Option<(&str, &Path)>,
    env: bool,
) -> Result<Credentials> {
    let (source, text) = if let Some(text) = inline {
        ("--credentials", text.to_owned())
    } else if let Some((option, path)) = file {
        (option, read_credentials_file(option, path)?)
    } else {
        match std::env::var_os(CREDENTIALS_ENV).filter(|v| env && !v.is_empty()) {
            Some(value) => (
                CREDENTIALS_ENV,
                value
                    .into_string()
                    .map_err(|_| anyhow!("{CREDENTIALS_ENV} is not valid UTF-8"))?,
            ),
            None => return Ok(Credentials::new()),
        }
    };
    Ok(parse_secret_json::<Option<Credentials>>(source, &text)?.unwrap_or_default())
}

/// Reads the credentials file of `option`, or stdin for `-`. Errors name the path, never the
/// content.
fn read_credentials_file(option: &str, path: &Path) -> Result<String> {
    if path == Path::new("-") {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .context("reading the credentials from stdin")?;
        return Ok(text);
    }
    std::fs::read_to_string(path).with_context(|| format!("reading {option} {}", path.display()))
}

/// Like [`parse_json`] for secrets: serde's messages quote offending values ("invalid type:
/// string \"hunter2\""), so the error keeps only the position and the kind of problem.
pub(crate) fn parse_secret_json<T: serde::de::DeserializeOwned>(
    source: &str,
    text: &str,
) -> Result<T> {
    serde_json::from_str(text).map_err(|e| {
        let kind = match e.classify() {
            Category::Io => "unreadable",
            Category::Syntax => "invalid JSON",
            Category::Data => "JSON of the wrong shape",
            Category::Eof => "truncated JSON",
        };
        anyhow!(
            "{source}: {kind} at line {}, column {} (expected a string map or typed \
             credentials; the content is not shown)",
            e.line(),
            e.column()
        )
    })
}

pub(crate) fn parse_json<T: serde::de::DeserializeOwned>(what: &str, text: &str) -> Result<T> {
    serde_json::from_str(text)
        .with_context(|| format!("--{what} is not valid JSON of the expected shape"))
}

pub(crate) fn required<'a>(what: &str, v: &'a Option<String>) -> Result<&'a str> {
    v.as_deref()
        .with_context(|| format!("this operation needs --{what}"))
}

/// The error for an operation a capability does not have.
pub(crate) fn unknown_operation(operation: &str, known: &[&str]) -> Result<Value> {
    bail!(
        "unknown operation {operation:?}; one of: {}",
        known.join(", ")
    )
}
