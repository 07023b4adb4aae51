//! `call <dir> input <operation>`. `--resource` is a constructor resource or source; the type
//! of its `input` (or, v0.0.1, its `access`) selects the plugin.

use anyhow::{Context, Result};
use ocm_plugin_manager::contracts::input::v1::{
    ConstructorResource, ConstructorSource, GetIdentityRequest, InputMethod,
    ProcessResourceRequest, ProcessSourceRequest,
};
use ocm_plugin_manager::types::Raw;
use serde_json::{Value, json};

use crate::common::{Ctx, unknown_operation};

pub(crate) const OPERATIONS: &[&str] = &["process-resource", "process-source", "get-identity"];

async fn method(ctx: &Ctx<'_>, spec: Option<&Raw>) -> Result<std::sync::Arc<dyn InputMethod>> {
    let spec = spec.context("--resource needs an `input` (or `access`) with a type")?;
    Ok(ctx.manager.input_methods().get(spec).await?)
}

pub(crate) async fn call(ctx: &Ctx<'_>, operation: &str) -> Result<Value> {
    let credentials = ctx.credentials()?;
    Ok(match operation {
        "process-resource" => {
            let resource: ConstructorResource = ctx.resource()?;
            let method = method(ctx, resource.spec()).await?;
            let r = method
                .process_resource(ProcessResourceRequest { resource }, &credentials)
                .await?;
            let blob = ctx.take_blob(&r.location).await?;
            json!({"resource": r.resource, "blob": blob})
        }
        "process-source" => {
            let source: ConstructorSource = ctx.resource()?;
            let method = method(ctx, source.spec()).await?;
            let r = method
                .process_source(ProcessSourceRequest { source }, &credentials)
                .await?;
            let blob = ctx.take_blob(&r.location).await?;
            json!({"source": r.source, "blob": blob})
        }
        "get-identity" => {
            let spec = ctx.spec()?;
            let method = method(ctx, Some(&spec)).await?;
            serde_json::to_value(
                method
                    .get_identity(GetIdentityRequest { typ: spec })
                    .await?,
            )?
        }
        other => return unknown_operation(other, OPERATIONS),
    })
}
