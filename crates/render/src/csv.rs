//! CSV: one flat row per service. Cells that a spreadsheet would run as a formula are prefixed
//! with `'` (OWASP "CSV Injection"), because service names and paths are attacker-written.

use std::io::{self, Write};

use konseki_model::{ScanReport, ServiceReport};

use crate::text::{flag_ids, image_path};
use crate::Selection;

const HEADER: [&str; 12] = [
    "service",
    "display_name",
    "control_sets",
    "start",
    "image_path",
    "execution",
    "longest_run_ms",
    "residency",
    "runs",
    "verdict",
    "attention",
    "first_event_time",
];

pub(crate) fn render(
    report: &ScanReport,
    selection: Selection,
    out: &mut dyn Write,
) -> io::Result<()> {
    write_row(out, HEADER.iter().map(|s| s.to_string()))?;
    for s in report.services.iter().filter(|s| selection.includes(s)) {
        write_row(out, row(s).into_iter())?;
    }
    Ok(())
}

fn row(s: &ServiceReport) -> Vec<String> {
    let config = s.configs.first();
    vec![
        s.name.clone(),
        s.display_names.first().cloned().unwrap_or_default(),
        s.configs
            .iter()
            .map(|c| c.control_set.as_str())
            .collect::<Vec<_>>()
            .join(";"),
        config
            .and_then(|c| c.start)
            .map(|st| st.label())
            .unwrap_or_default(),
        image_path(s),
        serde_json::to_value(s.verdict.execution)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default(),
        s.verdict
            .longest_run_ms
            .map(|m| m.to_string())
            .unwrap_or_default(),
        serde_json::to_value(s.verdict.residency)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default(),
        s.verdict.runs.to_string(),
        s.verdict.summary.clone(),
        flag_ids(&s.attention, ";"),
        s.events
            .first()
            .map(|e| konseki_model::time::seven::text(&e.time))
            .unwrap_or_default(),
    ]
}

pub(crate) fn write_row(
    out: &mut dyn Write,
    cells: impl Iterator<Item = String>,
) -> io::Result<()> {
    let line: Vec<String> = cells.map(|c| quote(&neutralise(&c))).collect();
    writeln!(out, "{}", line.join(","))
}

/// A leading `=`, `+`, `-`, `@`, tab or CR makes spreadsheets evaluate the cell.
pub(crate) fn neutralise(cell: &str) -> String {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}"),
        _ => cell.to_string(),
    }
}

fn quote(cell: &str) -> String {
    format!("\"{}\"", cell.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised_and_quotes_doubled() {
        assert_eq!(neutralise("=cmd|' /C calc'!A0"), "'=cmd|' /C calc'!A0");
        assert_eq!(neutralise("-2+3"), "'-2+3");
        assert_eq!(neutralise("C:\\tmp\\x.exe"), "C:\\tmp\\x.exe");
        assert_eq!(quote("a\"b"), "\"a\"\"b\"");
    }
}
