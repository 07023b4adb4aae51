//! `call <dir> component-version-repository <operation>`.

use anyhow::{Context, Result};
use ocm_plugin_manager::contracts::component_version_repository::v1 as cvr;
use ocm_plugin_manager::types::{Descriptor, Resource, Source};
use serde_json::{Value, json};

use crate::common::{Ctx, parse_json, required, unknown_operation};

pub(crate) const OPERATIONS: &[&str] = &[
    "get-component-version",
    "list-component-versions",
    "add-component-version",
    "get-local-resource",
    "get-local-source",
    "add-local-resource",
    "add-local-source",
    "get-identity",
    "check-health",
];

pub(crate) async fn call(ctx: &Ctx<'_>, operation: &str) -> Result<Value> {
    let args = ctx.args;
    let spec = ctx.spec()?;
    let credentials = ctx.credentials()?;
    let repo = ctx
        .manager
        .component_version_repositories()
        .get(&spec)
        .await?;
    let name = || required("name", &args.name).map(str::to_owned);
    let version = || required("version", &args.version).map(str::to_owned);
    Ok(match operation {
        "get-component-version" => {
            let d = repo
                .get_component_version(
                    cvr::GetComponentVersionRequest {
                        repository: Some(spec),
                        name: name()?,
                        version: version()?,
                    },
                    &credentials,
                )
                .await?;
            serde_json::to_value(d)?
        }
        "list-component-versions" => {
            let v = repo
                .list_component_versions(
                    cvr::ListComponentVersionsRequest {
                        repository: Some(spec),
                        name: name()?,
                    },
                    &credentials,
                )
                .await?;
            json!(v)
        }
        "add-component-version" => {
            let text = required("descriptor", &args.descriptor)?;
            let text = if text.trim_start().starts_with('{') {
                text.to_owned()
            } else {
                std::fs::read_to_string(text)
                    .with_context(|| format!("reading descriptor {text}"))?
            };
            // The field OCM could not read, named, before the wire struct's own (shorter) error.
            let value: serde_json::Value = parse_json("descriptor", &text)?;
            ocm_plugin_manager::signing::check_v2(&value).context("--descriptor")?;
            let descriptor: Descriptor = serde_json::from_value(value)
                .context("--descriptor is not valid JSON of the expected shape")?;
            let stored = format!(
                "{}:{}",
                descriptor.component.name, descriptor.component.version
            );
            repo.add_component_version(
                cvr::AddComponentVersionRequest {
                    repository: spec,
                    descriptor,
                },
                &credentials,
            )
            .await?;
            json!({ "stored": stored })
        }
        "add-local-resource" => {
            let resource: Resource = ctx.resource()?;
            let file = ctx.request_file().await?;
            let r = repo
                .add_local_resource(
                    cvr::AddLocalResourceRequest {
                        repository: spec,
                        name: name()?,
                        version: version()?,
                        resource_location: file.location().clone(),
                        resource,
                    },
                    &credentials,
                )
                .await?;
            serde_json::to_value(r)?
        }
        "add-local-source" => {
            let source: Source = ctx.resource()?;
            let file = ctx.request_file().await?;
            let s = repo
                .add_local_source(
                    cvr::AddLocalSourceRequest {
                        repository: spec,
                        name: name()?,
                        version: version()?,
                        source_location: file.location().clone(),
                        source,
                    },
                    &credentials,
                )
                .await?;
            serde_json::to_value(s)?
        }
        "get-local-resource" => {
            let r = repo
                .get_local_resource(
                    cvr::GetLocalResourceRequest {
                        repository: Some(spec),
                        name: name()?,
                        version: version()?,
                        identity: ctx.identity()?,
                    },
                    &credentials,
                )
                .await?;
            let saved = ctx.take_blob(&r.location).await?;
            json!({"resource": r.resource, "blob": saved})
        }
        "get-local-source" => {
            let r = repo
                .get_local_source(
                    cvr::GetLocalSourceRequest {
                        repository: Some(spec),
                        name: name()?,
                        version: version()?,
                        identity: ctx.identity()?,
                    },
                    &credentials,
                )
                .await?;
            let saved = ctx.take_blob(&r.location).await?;
            json!({"source": r.source, "blob": saved})
        }
        "get-identity" => {
            let r = repo
                .get_identity(cvr::GetIdentityRequest { typ: spec })
                .await?;
            serde_json::to_value(r)?
        }
        "check-health" => {
            repo.check_health(cvr::CheckHealthRequest { repository: spec }, &credentials)
                .await?;
            json!({"healthy": true})
        }
        other => return unknown_operation(other, OPERATIONS),
    })
}
