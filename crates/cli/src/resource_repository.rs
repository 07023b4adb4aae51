//! `call <dir> resource-repository <operation>`. The type of the resource's `access` (or of
//! `--spec` for get-identity) selects the plugin.

use anyhow::{Context, Result};
use ocm_plugin_manager::contracts::resource_repository::v1::{
    AddGlobalResourceRequest, GetGlobalResourceRequest, GetIdentityRequest, ResourceRepository,
};
use ocm_plugin_manager::types::{Raw, Resource};
use serde_json::{Value, json};

use crate::common::{Ctx, unknown_operation};

pub(crate) const OPERATIONS: &[&str] =
    &["get-global-resource", "add-global-resource", "get-identity"];

async fn repository(
    ctx: &Ctx<'_>,
    access: Option<&Raw>,
) -> Result<std::sync::Arc<dyn ResourceRepository>> {
    let access = access.context("--resource needs an `access` with a type")?;
    Ok(ctx.manager.resource_repositories().get(access).await?)
}

pub(crate) async fn call(ctx: &Ctx<'_>, operation: &str) -> Result<Value> {
    let credentials = ctx.credentials()?;
    Ok(match operation {
        "get-global-resource" => {
            let resource: Resource = ctx.resource()?;
            let repo = repository(ctx, resource.access.as_ref()).await?;
            let r = repo
                .get_global_resource(GetGlobalResourceRequest { resource }, &credentials)
                .await?;
            let blob = ctx.take_blob(&r.location).await?;
            json!({"blob": blob})
        }
        "add-global-resource" => {
            let resource: Resource = ctx.resource()?;
            let file = ctx.request_file().await?;
            let repo = repository(ctx, resource.access.as_ref()).await?;
            let r = repo
                .add_global_resource(
                    AddGlobalResourceRequest {
                        resource_location: file.location().clone(),
                        resource,
                    },
                    &credentials,
                )
                .await?;
            serde_json::to_value(r)?
        }
        "get-identity" => {
            let spec = ctx.spec()?;
            let repo = repository(ctx, Some(&spec)).await?;
            serde_json::to_value(repo.get_identity(GetIdentityRequest { typ: spec }).await?)?
        }
        other => return unknown_operation(other, OPERATIONS),
    })
}
