//! `konseki timeline`: every dated fact of the evidence, merged.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use konseki_model::TimelineEntry;
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
    // Each host's timeline, beside the files it was read from (the output must not land on
    // one of them); its evidence is dropped once its entries are made.
    let (results, _) =
        konseki_extract::extract_hosts(paths, &Bar::new(quiet), locations, |evidence| {
            if super::scan::holds_nothing(&evidence) {
                return None;
            }
            let read: Vec<PathBuf> = super::scan::evidence_files(&evidence.inventory)
                .into_iter()
                .map(Path::to_path_buf)
                .collect();
            let mut entries = konseki_correlate::timeline::timeline(&evidence);
            let report = konseki_correlate::analyse(evidence);
            konseki_correlate::timeline::rank_entries(&mut entries, &report);
            Some((report.host, entries, read))
        });
    let mut hosts: Vec<(konseki_model::HostIdentity, Vec<TimelineEntry>)> = Vec::new();
    let mut read: Vec<PathBuf> = Vec::new();
    for (host, entries, files) in results.into_iter().flatten() {
        hosts.push((host, entries));
        read.extend(files);
    }
    if hosts.is_empty() {
        anyhow::bail!(
            "no dated evidence found under {}",
            paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    konseki_correlate::unique_labels(hosts.iter_mut().map(|(h, _)| h).collect());
    let hosts: Vec<(String, Vec<TimelineEntry>)> = hosts
        .into_iter()
        .map(|(identity, entries)| (identity.label, entries))
        .collect();
    let format = match format {
        TimelineFormatArg::Jsonl => TimelineFormat::Jsonl,
        TimelineFormatArg::Csv => TimelineFormat::Csv,
        TimelineFormatArg::Timesketch => TimelineFormat::Timesketch,
    };
    let read: Vec<&Path> = read.iter().map(PathBuf::as_path).collect();
    let mut out = crate::output::open(output, paths, &read)?;
    render_timeline(&hosts, format, &mut out).context("writing the timeline")?;
    out.flush().context("writing the timeline")?;
    Ok(ExitCode::SUCCESS)
}
