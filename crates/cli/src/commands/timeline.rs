//! `konseki timeline`: every dated fact of the evidence, merged.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use konseki_render::{render_timeline, TimelineFormat};

use crate::args::TimelineFormatArg;
use crate::progress::Bar;

pub fn run(
    paths: &[PathBuf],
    format: TimelineFormatArg,
    output: Option<&Path>,
    quiet: bool,
    locations: &[konseki_extract::autostart::defs::Location],
) -> anyhow::Result<ExitCode> {
    super::require_paths(paths)?;
    let evidence = konseki_extract::extract_with(paths, &Bar::new(quiet), locations);
    let entries = konseki_correlate::timeline::timeline(&evidence);
    if entries.is_empty() && evidence.hives.is_empty() && evidence.logs.is_empty() {
        anyhow::bail!(
            "no dated evidence found under {}",
            paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let format = match format {
        TimelineFormatArg::Jsonl => TimelineFormat::Jsonl,
        TimelineFormatArg::Csv => TimelineFormat::Csv,
        TimelineFormatArg::Timesketch => TimelineFormat::Timesketch,
    };
    let read = super::scan::evidence_files(&evidence.inventory);
    let mut out = crate::output::open(output, paths, &read)?;
    render_timeline(&entries, format, &mut out).context("writing the timeline")?;
    out.flush().context("writing the timeline")?;
    Ok(ExitCode::SUCCESS)
}
