//! JSON (one document) and JSONL (one object per line).

use std::io::{self, Write};

use konseki_model::ScanReport;
use serde::Serialize;

use crate::Selection;

pub(crate) fn render(report: &ScanReport, out: &mut impl Write) -> io::Result<()> {
    // Compact: reports of large cases run to hundreds of MB, and `jq .` pretty-prints.
    serde_json::to_writer(&mut *out, report)?;
    writeln!(out)
}

#[derive(Serialize)]
struct Line<'a, T: Serialize> {
    record_type: &'a str,
    #[serde(flatten)]
    item: &'a T,
}

pub(crate) fn render_lines(
    report: &ScanReport,
    selection: Selection,
    out: &mut impl Write,
) -> io::Result<()> {
    for service in report.services.iter().filter(|s| selection.includes(s)) {
        serde_json::to_writer(
            &mut *out,
            &Line {
                record_type: "service",
                item: service,
            },
        )?;
        writeln!(out)?;
    }
    for warning in &report.warnings {
        serde_json::to_writer(
            &mut *out,
            &Line {
                record_type: "warning",
                item: warning,
            },
        )?;
        writeln!(out)?;
    }
    Ok(())
}
