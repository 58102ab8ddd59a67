//! JSON (one document) and JSONL (one object per line), written by `serde_json`.
//!
//! The document is written in one pass into the caller's buffered writer. JSONL lines are
//! independent: a batch of them is rendered on every core into buffers of their own, then
//! written in order, so a large case's lines keep both cores busy without holding the whole
//! output in memory.

use std::io::{self, Write};

use konseki_model::{AutostartReport, ScanReport, ServiceReport, TaskReport, Warning};
use rayon::prelude::*;
use serde::Serialize;

use crate::Selection;

pub(crate) fn render(report: &ScanReport, out: &mut impl Write) -> io::Result<()> {
    // Compact: reports of large cases run to hundreds of MB, and `jq .` pretty-prints.
    serde_json::to_writer(&mut *out, report)?;
    out.write_all(b"\n")
}

/// Lines rendered together before they are written: enough for both cores to share, few
/// enough that a batch of a large case's biggest services stays small in memory.
const LINES_PER_BATCH: usize = 256;

#[derive(Serialize)]
struct Line<'a, T: Serialize> {
    record_type: &'a str,
    #[serde(flatten)]
    item: &'a T,
}

/// One JSONL line's item.
enum LineItem<'a> {
    Service(&'a ServiceReport),
    Autostart(&'a AutostartReport),
    Task(&'a TaskReport),
    Warning(&'a Warning),
}

impl LineItem<'_> {
    /// The line, `record_type` first, and its newline.
    fn write(&self, buffer: &mut Vec<u8>) -> serde_json::Result<()> {
        match self {
            LineItem::Service(item) => line(buffer, "service", *item),
            LineItem::Autostart(item) => line(buffer, "autostart", *item),
            LineItem::Task(item) => line(buffer, "task", *item),
            LineItem::Warning(item) => line(buffer, "warning", *item),
        }
    }
}

fn line<T: Serialize>(buffer: &mut Vec<u8>, record_type: &str, item: &T) -> serde_json::Result<()> {
    serde_json::to_writer(&mut *buffer, &Line { record_type, item })?;
    buffer.push(b'\n');
    Ok(())
}

/// Each selected service, autostart entry and task (the table's rows), then each warning, a
/// line each.
pub(crate) fn render_lines(
    report: &ScanReport,
    selection: Selection,
    out: &mut impl Write,
) -> io::Result<()> {
    let services = report.services.iter().filter(|s| selection.includes(s));
    let autostarts = report
        .autostarts
        .iter()
        .filter(|a| selection.shows(a.notable));
    let tasks = report.tasks.iter().filter(|t| selection.shows(t.notable));
    let lines: Vec<LineItem<'_>> = services
        .map(LineItem::Service)
        .chain(autostarts.map(LineItem::Autostart))
        .chain(tasks.map(LineItem::Task))
        .chain(report.warnings.iter().map(LineItem::Warning))
        .collect();
    for batch in lines.chunks(LINES_PER_BATCH) {
        let rendered: Vec<Vec<u8>> = batch
            .par_iter()
            .map(|item| {
                let mut buffer = Vec::new();
                item.write(&mut buffer).map(|()| buffer)
            })
            .collect::<serde_json::Result<_>>()?;
        for buffer in rendered {
            out.write_all(&buffer)?;
        }
    }
    Ok(())
}
