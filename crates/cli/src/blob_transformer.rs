//! `call <dir> blob-transformer <operation>`. `--spec` is the transformer spec; its type
//! selects the plugin.

use anyhow::Result;
use ocm_plugin_manager::contracts::blob_transformer::v1::{
    GetIdentityRequest, TransformBlobRequest,
};
use serde_json::{Value, json};

use crate::common::{Ctx, unknown_operation};

pub(crate) const OPERATIONS: &[&str] = &["transform-blob", "get-identity"];

pub(crate) async fn call(ctx: &Ctx<'_>, operation: &str) -> Result<Value> {
    if !OPERATIONS.contains(&operation) {
        return unknown_operation(operation, OPERATIONS);
    }
    let spec = ctx.spec()?;
    let credentials = ctx.credentials()?;
    let transformer = ctx.manager.blob_transformers().get(&spec).await?;
    Ok(if operation == "transform-blob" {
        // The input stays ours: the plugin reads it before it answers.
        let file = ctx.request_file().await?;
        let r = transformer
            .transform_blob(
                TransformBlobRequest {
                    location: file.location().clone(),
                    specification: spec,
                },
                &credentials,
            )
            .await?;
        drop(file);
        let blob = ctx.take_blob(&r.location).await?;
        json!({"blob": blob})
    } else {
        serde_json::to_value(
            transformer
                .get_identity(GetIdentityRequest { typ: spec })
                .await?,
        )?
    })
}
