//! `call <dir> component-lister <operation>`. `--spec` is the repository spec; its type selects
//! the plugin.

use anyhow::{Result, bail};
use ocm_plugin_manager::contracts::component_lister::v1::{
    GetIdentityRequest, ListComponentsRequest,
};
use serde_json::{Value, json};

use crate::common::{Ctx, unknown_operation};

pub(crate) const OPERATIONS: &[&str] = &["list-components", "get-identity"];

/// More pages than any real repository has: a plugin that never stops paging is an error.
const MAX_PAGES: usize = 100_000;

pub(crate) async fn call(ctx: &Ctx<'_>, operation: &str) -> Result<Value> {
    if !OPERATIONS.contains(&operation) {
        return unknown_operation(operation, OPERATIONS);
    }
    let spec = ctx.spec()?;
    let credentials = ctx.credentials()?;
    let lister = ctx.manager.component_listers().get(&spec).await?;
    if operation == "get-identity" {
        return Ok(serde_json::to_value(
            lister
                .get_identity(GetIdentityRequest { typ: spec })
                .await?,
        )?);
    }
    // `--last` asks for the one page after it; without it, every page.
    if let Some(last) = &ctx.args.last {
        let page = lister
            .list_components(
                ListComponentsRequest {
                    repository: spec,
                    last: last.clone(),
                },
                &credentials,
            )
            .await?;
        return Ok(json!(page));
    }
    let mut names = Vec::new();
    let mut last = String::new();
    for _ in 0..MAX_PAGES {
        let page = lister
            .list_components(
                ListComponentsRequest {
                    repository: spec.clone(),
                    last: last.clone(),
                },
                &credentials,
            )
            .await?;
        names.extend(page.list);
        match page.header {
            Some(header) if header.last != last => last = header.last,
            Some(header) => bail!(
                "the plugin answered the page after {:?} with the same page again",
                header.last
            ),
            None => return Ok(json!(names)),
        }
    }
    bail!("the plugin is still paging after {MAX_PAGES} pages")
}
