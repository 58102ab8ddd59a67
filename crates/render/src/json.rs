//! JSON (one document) and JSONL (one object per line), written by `serde_json`.
//!
//! The document is written in one pass into the caller's buffered writer. JSONL lines are
//! independent: a batch of them is rendered on every core into buffers of their own, then
//! written in order, so a large case's lines keep both cores busy without holding the whole
//! output in memory.

use std::io::{self, Write};

use konseki_model::{AutostartReport, CaseReport, ServiceReport, TaskReport, Warning};
use rayon::prelude::*;
use serde::Serialize;

use crate::Selection;

pub(crate) fn render(report: &CaseReport, out: &mut impl Write) -> io::Result<()> {
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
    /// The host's label (`CaseReport.hosts[].host.label`); absent for warnings of no one host.
    #[serde(skip_serializing_if = "Option::is_none")]
    host: Option<&'a str>,
    #[serde(flatten)]
    item: &'a T,
}

/// One JSONL line: its host and item.
struct HostLine<'a>(Option<&'a str>, LineItem<'a>);

/// One JSONL line's item.
enum LineItem<'a> {
    Service(&'a ServiceReport),
    Autostart(&'a AutostartReport),
    Task(&'a TaskReport),
    Warning(&'a Warning),
}

impl HostLine<'_> {
    /// The line, `record_type` and `host` first, and its newline.
    fn write(&self, buffer: &mut Vec<u8>) -> serde_json::Result<()> {
        let host = self.0;
        match self.1 {
            LineItem::Service(item) => line(buffer, "service", host, item),
            LineItem::Autostart(item) => line(buffer, "autostart", host, item),
            LineItem::Task(item) => line(buffer, "task", host, item),
            LineItem::Warning(item) => line(buffer, "warning", host, item),
        }
    }
}

fn line<T: Serialize>(
    buffer: &mut Vec<u8>,
    record_type: &str,
    host: Option<&str>,
    item: &T,
) -> serde_json::Result<()> {
    serde_json::to_writer(
        &mut *buffer,
        &Line {
            record_type,
            host,
            item,
        },
    )?;
    buffer.push(b'\n');
    Ok(())
}

/// Host by host, each selected service, autostart entry and task (the table's rows), then
/// each warning, a line each, with its host; then the warnings of no one host.
pub(crate) fn render_lines(
    case: &CaseReport,
    selection: Selection,
    out: &mut impl Write,
) -> io::Result<()> {
    let mut lines: Vec<HostLine<'_>> = Vec::new();
    for report in &case.hosts {
        let host = Some(report.host.label.as_str());
        let services = report.services.iter().filter(|s| selection.includes(s));
        let autostarts = report
            .autostarts
            .iter()
            .filter(|a| selection.shows(a.notable));
        let tasks = report.tasks.iter().filter(|t| selection.shows(t.notable));
        lines.extend(
            services
                .map(LineItem::Service)
                .chain(autostarts.map(LineItem::Autostart))
                .chain(tasks.map(LineItem::Task))
                .chain(report.warnings.iter().map(LineItem::Warning))
                .map(|item| HostLine(host, item)),
        );
    }
    lines.extend(
        case.warnings
            .iter()
            .map(|w| HostLine(None, LineItem::Warning(w))),
    );
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
