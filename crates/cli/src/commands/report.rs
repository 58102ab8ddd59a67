//! `konseki report PATH… -o report.html`: the case as one self-contained HTML file.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use konseki_extract::autostart::defs::Location;
use konseki_render::Selection;

pub fn run(
    paths: &[PathBuf],
    output: Option<&Path>,
    all: bool,
    quiet: bool,
    locations: &[Location],
) -> anyhow::Result<ExitCode> {
    let report = super::scan::build_report(paths, quiet, locations)?;
    let read: Vec<&Path> = report
        .hosts
        .iter()
        .flat_map(|h| super::scan::evidence_files(&h.inventory))
        .collect();
    let selection = if all {
        Selection::All
    } else {
        Selection::Notable
    };
    let mut out = crate::output::open(output, paths, &read)?;
    konseki_render::render_html(&report, selection, &mut out).context("writing the report")?;
    out.flush().context("writing the report")?;
    Ok(ExitCode::SUCCESS)
}
