//! `call <dir> credential-plugin <operation>`. `--spec` is the credential spec; its type
//! selects the plugin.

use anyhow::Result;
use ocm_plugin_manager::contracts::credential_plugin::v1::{
    ConsumerIdentityRequest, ResolveRequest,
};
use serde_json::{Value, json};

use crate::common::{Ctx, unknown_operation};

pub(crate) const OPERATIONS: &[&str] = &["consumer-identity", "resolve"];

pub(crate) async fn call(ctx: &Ctx<'_>, operation: &str) -> Result<Value> {
    if !OPERATIONS.contains(&operation) {
        return unknown_operation(operation, OPERATIONS);
    }
    let spec = ctx.spec()?;
    let credentials = ctx.credentials()?;
    let plugin = ctx.manager.credential_plugins().get(&spec).await?;
    // `resolve` takes `--identity`, or the spec's own consumer identity.
    let identity = match ctx.identity()? {
        Some(identity) if operation == "resolve" => identity,
        _ => {
            plugin
                .consumer_identity(ConsumerIdentityRequest { credential: spec })
                .await?
        }
    };
    Ok(if operation == "consumer-identity" {
        json!(identity)
    } else {
        json!(
            plugin
                .resolve(ResolveRequest { identity }, &credentials)
                .await?
        )
    })
}
