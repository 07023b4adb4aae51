//! `call <dir> credential-repository <operation>`. `--spec` is the repository config; its type
//! selects the plugin.

use anyhow::{Context, Result};
use ocm_plugin_manager::contracts::credential_repository::v1::{
    ConsumerIdentityForConfigRequest, GetIdentityRequest, ResolveRequest,
};
use serde_json::{Value, json};

use crate::common::{Ctx, unknown_operation};

pub(crate) const OPERATIONS: &[&str] = &["consumer-identity-for-config", "resolve", "get-identity"];

pub(crate) async fn call(ctx: &Ctx<'_>, operation: &str) -> Result<Value> {
    if !OPERATIONS.contains(&operation) {
        return unknown_operation(operation, OPERATIONS);
    }
    let config = ctx.spec()?;
    let credentials = ctx.credentials()?;
    let identity = ctx.identity()?;
    let repo = ctx.manager.credential_repositories().get(&config).await?;
    Ok(match operation {
        "consumer-identity-for-config" => {
            let identity = repo
                .consumer_identity_for_config(ConsumerIdentityForConfigRequest { config })
                .await?;
            json!(identity)
        }
        "resolve" => {
            let identity = identity.context("resolve needs --identity")?;
            let resolved = repo
                .resolve(ResolveRequest { config, identity }, &credentials)
                .await?;
            json!(resolved)
        }
        _ => serde_json::to_value(
            repo.get_identity(GetIdentityRequest { typ: config })
                .await?,
        )?,
    })
}
