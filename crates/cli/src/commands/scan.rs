//! `konseki scan` and `konseki services`: extract, correlate, render.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use konseki_extract::autostart::defs::Location;
use konseki_model::ScanReport;
use konseki_render::{render, Format, Selection};

use crate::args::{FormatArg, OutputArgs};
use crate::progress::Bar;

pub fn run(
    paths: &[PathBuf],
    output: &OutputArgs,
    all: bool,
    locations: &[Location],
) -> anyhow::Result<ExitCode> {
    let report = build_report(paths, output.quiet, locations)?;
    let format = match output.format {
        FormatArg::Table => Format::Table,
        FormatArg::Json => Format::Json,
        FormatArg::Jsonl => Format::Jsonl,
        FormatArg::Csv => Format::Csv,
    };
    let selection = if all {
        Selection::All
    } else {
        Selection::Notable
    };
    let started = std::time::Instant::now();
    let evidence = evidence_files(&report.inventory);
    if format == Format::Table && output.output.is_none() {
        konseki_render::fit_tables_to_terminal();
    }
    let mut out = crate::output::open(output.output.as_deref(), paths, &evidence)?;
    render(&report, format, selection, &mut out).context("writing the report")?;
    out.flush().context("writing the report")?;
    timing("render", started);
    // The process ends here: freeing a report of a million small allocations one by one takes
    // longer than the OS takes to drop the whole heap.
    std::mem::forget(report);
    Ok(ExitCode::SUCCESS)
}

/// Every file read as evidence: the artifacts found and the transaction logs beside hives.
pub fn evidence_files(inventory: &konseki_model::Inventory) -> Vec<&std::path::Path> {
    inventory
        .found
        .iter()
        .flat_map(|a| std::iter::once(&a.path).chain(&a.logs))
        .map(PathBuf::as_path)
        .collect()
}

/// Reads the evidence and correlates it. Fails when nothing readable was found at all.
pub fn build_report(
    paths: &[PathBuf],
    quiet: bool,
    locations: &[Location],
) -> anyhow::Result<ScanReport> {
    super::require_paths(paths)?;
    let bar = Bar::new(quiet);
    let started = std::time::Instant::now();
    let evidence = konseki_extract::extract_with(paths, &bar, locations);
    timing("extract", started);
    let nothing = evidence.hives.is_empty()
        && evidence.logs.is_empty()
        && evidence.autostarts.is_empty()
        && evidence.prefetch.is_empty()
        && evidence.amcache.is_empty()
        && evidence.tasks.is_empty()
        && evidence.files.is_empty();
    if nothing {
        let reasons: Vec<String> = evidence
            .warnings
            .iter()
            .map(|w| {
                format!(
                    "{}: {}",
                    konseki_render::terminal_path(&w.file),
                    konseki_render::terminal_safe(&w.message)
                )
            })
            .collect();
        anyhow::bail!(
            "no readable evidence (SYSTEM, SOFTWARE or user hive, EVTX log, Prefetch, Amcache, $MFT, task file, Startup folder) found under {}{}",
            paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", "),
            if reasons.is_empty() {
                String::new()
            } else {
                format!("\n  {}", reasons.join("\n  "))
            }
        );
    }
    let started = std::time::Instant::now();
    let report = konseki_correlate::analyse(evidence);
    timing("correlate", started);
    Ok(report)
}

/// With `KONSEKI_TIMINGS` set, says how long a phase took (for `bench/`), on stderr.
fn timing(phase: &str, started: std::time::Instant) {
    if std::env::var_os("KONSEKI_TIMINGS").is_some() {
        // Peak resident memory so far, where the OS tells it (Linux).
        let peak = std::fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("VmHWM:"))
                    .map(str::to_string)
            })
            .map(|l| format!(", {}", l.split_whitespace().collect::<Vec<_>>().join(" ")))
            .unwrap_or_default();
        eprintln!(
            "konseki: {phase} took {:.4} s{peak}",
            started.elapsed().as_secs_f64()
        );
    }
}
