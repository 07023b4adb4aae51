//! `call <dir> digest-processor <operation>`. The type of the resource's `access` (or of
//! `--spec` for get-identity) selects the plugin.

use anyhow::{Context, Result};
use ocm_plugin_manager::contracts::digest_processor::v1::{
    DigestProcessor, GetIdentityRequest, ProcessResourceDigestRequest,
};
use ocm_plugin_manager::types::{Raw, Resource};
use serde_json::Value;

use crate::common::{Ctx, unknown_operation};

pub(crate) const OPERATIONS: &[&str] = &["process-resource-digest", "get-identity"];

async fn processor(
    ctx: &Ctx<'_>,
    access: Option<&Raw>,
) -> Result<std::sync::Arc<dyn DigestProcessor>> {
    let access = access.context("--resource needs an `access` with a type")?;
    Ok(ctx.manager.digest_processors().get(access).await?)
}

pub(crate) async fn call(ctx: &Ctx<'_>, operation: &str) -> Result<Value> {
    Ok(match operation {
        "process-resource-digest" => {
            let credentials = ctx.credentials()?;
            let resource: Resource = ctx.resource()?;
            let processor = processor(ctx, resource.access.as_ref()).await?;
            let r = processor
                .process_resource_digest(ProcessResourceDigestRequest { resource }, &credentials)
                .await?;
            serde_json::to_value(r)?
        }
        "get-identity" => {
            let spec = ctx.spec()?;
            let processor = processor(ctx, Some(&spec)).await?;
            serde_json::to_value(
                processor
                    .get_identity(GetIdentityRequest { typ: spec })
                    .await?,
            )?
        }
        other => return unknown_operation(other, OPERATIONS),
    })
}
