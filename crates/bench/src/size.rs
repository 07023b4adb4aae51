//! The size of each example plugin as shipped (issue 21, "Budgets"): the stripped binary of the
//! distribution profile (`[profile.dist]`, built by `cargo xtask dist` and by the full
//! `cargo xtask bench`), next to a stripped OCM Go plugin.

use std::path::Path;

use anyhow::{Context as _, Result};

use crate::{
    distribution::EXAMPLES,
    report::{Results, Row, Unit},
};

const GROUP: &str = "size (dist profile, stripped)";

/// Size of a stripped OCM Go test plugin (`bindings/go` plugin manager's test plugin, built
/// with `-ldflags "-s -w"`), measured when the distribution issue was filed.
const GO_PLUGIN_MB: f64 = 12.0;

/// The budgets of issue 21, in MB: an SDK example plugin and the OCI repository plugin.
const BUDGETS: [(&str, f64); 2] = [("file-input", 6.0), ("oci-repository", 9.0)];

/// One row per example plugin found in `dir` (a dist build), each against the Go plugin.
/// `note` follows each name (for binaries of an earlier build).
pub(crate) fn sizes(dir: &Path, note: &str, results: &mut Results) -> Result<()> {
    for name in EXAMPLES {
        let path = dir.join(name);
        let bytes = std::fs::metadata(&path)
            .with_context(|| format!("the dist build of {name} ({})", path.display()))?
            .len();
        #[allow(clippy::cast_precision_loss)]
        let mb = bytes as f64 / 1e6;
        let mut row = Row::value(GROUP, format!("{name}{note}"), Unit::Megabytes, mb)
            .against("OCM Go plugin, stripped (12 MB)", GO_PLUGIN_MB);
        if let Some((_, budget)) = BUDGETS.iter().find(|(n, _)| *n == name) {
            row = row.budget(format!("<= {budget:.0} MB"), mb <= *budget);
        }
        results.push(row);
    }
    Ok(())
}
