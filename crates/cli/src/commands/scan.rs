//! `konseki scan` and `konseki services`: extract, correlate, render.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use konseki_extract::autostart::defs::Location;
use konseki_model::{CaseReport, Evidence};
use konseki_render::{render, Format, Selection};

use crate::args::OutputArgs;
use crate::progress::Bar;

pub fn run(
    paths: &[PathBuf],
    output: &OutputArgs,
    all: bool,
    per_host: Option<&std::path::Path>,
    locations: &[Location],
) -> anyhow::Result<ExitCode> {
    let mut report = build_report(paths, output.quiet, locations)?;
    // The stack beside the per-host files, made before the severity filter: a host whose entry
    // ranks lower still holds it.
    let mut stack_rows = per_host.map(|_| {
        let items = report
            .hosts
            .iter()
            .flat_map(konseki_correlate::stack::stack_items)
            .collect();
        konseki_correlate::stack::stack(items, report.hosts.len())
    });
    if let Some(min) = output.min_severity {
        keep_severity(&mut report, min);
        if let Some(rows) = &mut stack_rows {
            rows.retain(|r| r.severity >= min);
        }
    }
    let format = Format::from(output.format);
    let selection = if all {
        Selection::All
    } else {
        Selection::Notable
    };
    let started = std::time::Instant::now();
    let evidence: Vec<&std::path::Path> = report
        .hosts
        .iter()
        .flat_map(|h| evidence_files(&h.inventory))
        .collect();
    if format == Format::Table && output.output.is_none() {
        konseki_render::fit_tables_to_terminal();
    }
    if let (Some(dir), Some(rows)) = (per_host, &stack_rows) {
        write_per_host(&report, dir, paths, &evidence, format, selection)?;
        let path = dir.join(format!("stack.{}", extension(format)));
        let mut out = crate::output::open(Some(&path), paths, &evidence)?;
        konseki_render::render_stack(rows, report.hosts.len(), format, &mut out)
            .and_then(|()| out.flush())
            .with_context(|| format!("writing {}", path.display()))?;
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

/// Each host's report, alone, to `dir/<label>.<format>`: the file name made of the label's
/// letters, digits, `.`, `-` and `_` only (a label comes from the evidence: no separator, no
/// `..`, no leading dot), numbered when two labels give one name (`stack.<format>`, the
/// case's stack, is taken first: a host named `stack` is `stack-2`).
fn write_per_host(
    report: &CaseReport,
    dir: &std::path::Path,
    paths: &[PathBuf],
    evidence: &[&std::path::Path],
    format: Format,
    selection: Selection,
) -> anyhow::Result<()> {
    crate::output::refuse_evidence(dir, paths, evidence)?;
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let extension = extension(format);
    let mut used = std::collections::HashSet::from([format!("stack.{extension}")]);
    for (host, summary) in report.hosts.iter().zip(&report.summary) {
        let mut stem: String = host
            .host
            .label
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .take(100)
            .collect();
        if stem.is_empty() || stem.starts_with('.') {
            stem.insert(0, '_');
        }
        let mut name = format!("{stem}.{extension}");
        let mut n = 1;
        while !used.insert(name.to_lowercase()) {
            n += 1;
            name = format!("{stem}-{n}.{extension}");
        }
        let one = CaseReport {
            hosts: vec![host.clone()],
            summary: vec![summary.clone()],
            notes: Vec::new(),
            warnings: Vec::new(),
            ..report.clone_header()
        };
        let path = dir.join(name);
        let mut out = crate::output::open(Some(&path), paths, evidence)?;
        render(&one, format, selection, &mut out)
            .and_then(|()| out.flush())
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

fn extension(format: Format) -> &'static str {
    match format {
        Format::Table => "txt",
        Format::Json => "json",
        Format::Jsonl => "jsonl",
        Format::Csv => "csv",
    }
}

/// Drops every entity below `min`, host by host: the same rows leave every format.
fn keep_severity(case: &mut CaseReport, min: konseki_model::Severity) {
    for host in &mut case.hosts {
        host.services.retain(|s| s.ranking.severity >= min);
        host.autostarts.retain(|a| a.ranking.severity >= min);
        host.tasks.retain(|t| t.ranking.severity >= min);
    }
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

/// Reads the evidence and correlates it, host by host (each host's evidence dropped once its
/// report is made). Fails when nothing readable was found at all.
pub fn build_report(
    paths: &[PathBuf],
    quiet: bool,
    locations: &[Location],
) -> anyhow::Result<CaseReport> {
    super::require_paths(paths)?;
    let bar = Bar::new(quiet);
    let started = std::time::Instant::now();
    // Each host correlated as soon as it is read; one that held nothing readable gives its
    // warnings, to say why.
    let (results, case_warnings) =
        konseki_extract::extract_hosts(paths, &bar, locations, |evidence| {
            if holds_nothing(&evidence) {
                Err(evidence.warnings)
            } else {
                Ok(konseki_correlate::analyse(evidence))
            }
        });
    let mut hosts = Vec::new();
    let mut reasons = Vec::new();
    for result in results {
        match result {
            Ok(report) => hosts.push(report),
            Err(warnings) => reasons.extend(warnings),
        }
    }
    timing("extract and correlate", started);
    if hosts.is_empty() {
        reasons.extend(case_warnings);
        return Err(nothing_found(paths, &reasons));
    }
    Ok(konseki_correlate::case_report(
        paths.to_vec(),
        hosts,
        case_warnings,
    ))
}

/// No artifact of this host could be read.
pub fn holds_nothing(evidence: &Evidence) -> bool {
    evidence.hives.is_empty()
        && evidence.logs.is_empty()
        && evidence.autostarts.is_empty()
        && evidence.prefetch.is_empty()
        && evidence.amcache.is_empty()
        && evidence.tasks.is_empty()
        && evidence.files.is_empty()
}

/// Disk images were opened and none holds a Windows system volume (exit code 5): not "nothing
/// readable", which would read as "the image could not be opened".
#[derive(Debug)]
pub struct NoWindowsVolume(String);

impl std::fmt::Display for NoWindowsVolume {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for NoWindowsVolume {}

/// The images opened, their tables and volumes, when none held anything konseki reads.
fn no_windows_volume(images: &[std::sync::Arc<konseki_source::Mounted>]) -> NoWindowsVolume {
    let mut text = String::from(
        "no Windows artifacts: the disk images were opened and hold no Windows system volume (no Windows\\System32 on any readable volume)",
    );
    for image in images {
        text.push_str(&format!(
            "\n  {}: {}, {}",
            konseki_render::terminal_path(&image.image),
            image.kind.label(),
            image.table.label()
        ));
        if let Some(md5) = &image.stored_md5 {
            text.push_str(&format!(", acquisition MD5 {md5}"));
        }
        for v in &image.volumes {
            text.push_str(&format!(
                "\n    {}: {}, {} bytes at offset {}",
                konseki_render::terminal_path(&v.path),
                v.kind.label(),
                v.size,
                v.offset
            ));
        }
        for p in &image.problems {
            text.push_str(&format!("\n    {}", konseki_render::terminal_safe(p)));
        }
    }
    NoWindowsVolume(text)
}

/// The error when nothing could be read: what was looked for, and why each file found could
/// not be read.
pub fn nothing_found(paths: &[PathBuf], warnings: &[konseki_model::Warning]) -> anyhow::Error {
    let images = konseki_source::mounted_images();
    if !images.is_empty() {
        return no_windows_volume(&images).into();
    }
    let reasons: Vec<String> = warnings
        .iter()
        .map(|w| {
            format!(
                "{}: {}",
                konseki_render::terminal_path(&w.file),
                konseki_render::terminal_safe(&w.message)
            )
        })
        .collect();
    anyhow::anyhow!(
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
    )
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
