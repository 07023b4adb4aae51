//! `call <dir> signing-handler <operation>`. `--spec` is the signing config; its type selects
//! the plugin.

use anyhow::Result;
use ocm_plugin_manager::contracts::signing_handler::v1::{
    SignIdentityRequest, SignRequest, VerifyRequest,
};
use ocm_plugin_manager::types::{Digest, Signature};
use serde_json::Value;

use crate::common::{Ctx, parse_json, required, unknown_operation};

pub(crate) const OPERATIONS: &[&str] = &[
    "sign",
    "verify",
    "get-signing-identity",
    "get-verifying-identity",
];

pub(crate) async fn call(ctx: &Ctx<'_>, operation: &str) -> Result<Value> {
    if !OPERATIONS.contains(&operation) {
        return unknown_operation(operation, OPERATIONS);
    }
    let config = ctx.spec()?;
    let credentials = ctx.credentials()?;
    let handler = ctx.manager.signing_handlers().get(&config).await?;
    let digest =
        || -> Result<Digest> { parse_json("digest", required("digest", &ctx.args.digest)?) };
    let signature = || -> Result<Signature> {
        parse_json("signature", required("signature", &ctx.args.signature)?)
    };
    Ok(match operation {
        "sign" => serde_json::to_value(
            handler
                .sign(
                    SignRequest {
                        digest: digest()?,
                        config,
                    },
                    &credentials,
                )
                .await?,
        )?,
        "verify" => serde_json::to_value(
            handler
                .verify(
                    VerifyRequest {
                        signature: signature()?,
                        config,
                    },
                    &credentials,
                )
                .await?,
        )?,
        "get-signing-identity" => serde_json::to_value(
            handler
                .get_signing_identity(SignIdentityRequest {
                    digest: digest()?,
                    config,
                    name: ctx.args.name.clone().unwrap_or_default(),
                })
                .await?,
        )?,
        _ => serde_json::to_value(
            handler
                .get_verifying_identity(VerifyRequest {
                    signature: signature()?,
                    config,
                })
                .await?,
        )?,
    })
}
