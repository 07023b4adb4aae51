//! What every capability's `call` needs: the parsed arguments, the plugin lookup context, and
//! blob handling.

use anyhow::{Context, Result, bail};
use ocm_plugin_manager::types::{Credentials, Identity, Location, Raw};
use ocm_plugin_manager::{
    PluginManager,
    registries::{Blob, RequestFile},
};
use serde_json::{Value, json};

use crate::CallArgs;

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

    /// `--credentials`, or none.
    pub(crate) fn credentials(&self) -> Result<Credentials> {
        Ok(match &self.args.credentials {
            Some(c) => parse_json::<Option<Credentials>>("credentials", c)?.unwrap_or_default(),
            None => Credentials::new(),
        })
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
    /// and report its size. A file in the manager's temp dir is deleted afterwards.
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
        Ok(json!({"size": size, "output": output}))
    }
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
