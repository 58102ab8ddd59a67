//! CSV: one flat row per service, autostart entry and scheduled task (the rows the table
//! shows, `--all` for every one), under one header; `record_type` says which. Cells that a
//! spreadsheet would run as a formula are prefixed with `'` (OWASP "CSV Injection"), because
//! service names, values and paths are attacker-written. UTF-8 without a byte-order mark, like
//! the JSONL: Timeline Explorer reads both, and tools that take the bytes as they are do not
//! see a stray mark in the first header.

use std::io::{self, Write};

use konseki_model::{AutostartReport, CaseReport, ServiceReport, TaskReport};

use crate::text::{flag_ids, image_path, label};
use crate::Selection;

const HEADER: [&str; 15] = [
    "host",
    "record_type",
    "severity",
    "name",
    "display_name",
    "where",
    "start",
    "program",
    "execution",
    "longest_run_ms",
    "residency",
    "runs",
    "verdict",
    "attention",
    "first_event_time",
];

pub(crate) fn render(
    case: &CaseReport,
    selection: Selection,
    out: &mut dyn Write,
) -> io::Result<()> {
    write_row(out, HEADER.iter().map(|s| s.to_string()))?;
    for report in &case.hosts {
        let host = &report.host.label;
        // host, record_type, severity, then the entity's own cells.
        let with_host = |row: Vec<String>, ranking: &konseki_model::Ranking| {
            let mut cells = row.into_iter();
            let record_type = cells.next().unwrap_or_default();
            [
                host.clone(),
                record_type,
                ranking.severity.label().to_string(),
            ]
            .into_iter()
            .chain(cells)
        };
        for s in report.services.iter().filter(|s| selection.includes(s)) {
            write_row(out, with_host(service_row(s), &s.ranking))?;
        }
        for a in report
            .autostarts
            .iter()
            .filter(|a| selection.shows(a.notable))
        {
            write_row(out, with_host(autostart_row(a), &a.ranking))?;
        }
        for t in report.tasks.iter().filter(|t| selection.shows(t.notable)) {
            write_row(out, with_host(task_row(t), &t.ranking))?;
        }
    }
    Ok(())
}

/// A service: its control sets are where it is.
fn service_row(s: &ServiceReport) -> Vec<String> {
    let config = s.configs.first();
    vec![
        "service".into(),
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
        label(&s.verdict.execution),
        s.verdict
            .longest_run_ms
            .map(|m| m.to_string())
            .unwrap_or_default(),
        label(&s.verdict.residency),
        s.verdict.runs.to_string(),
        s.verdict.summary.clone(),
        flag_ids(&s.attention, ";"),
        s.events
            .first()
            .map(|e| konseki_model::time::seven::text(&e.time))
            .unwrap_or_default(),
    ]
}

/// An autostart entry: its location (and user) is where it is, its command what it runs.
fn autostart_row(a: &AutostartReport) -> Vec<String> {
    let e = &a.entry;
    let place = match &e.user {
        Some(user) => format!("{} [{user}]", e.location),
        None => e.location.clone(),
    };
    EntityRow {
        kind: "autostart",
        name: &e.name,
        place,
        program: e.command.clone(),
        execution: &a.execution,
        summary: &a.summary,
        attention: &a.attention,
        evidence: &a.evidence,
    }
    .cells()
}

/// A task: its status is where it stands, its actions what it runs.
fn task_row(t: &TaskReport) -> Vec<String> {
    EntityRow {
        kind: "task",
        name: &t.name,
        place: t.status.label().to_string(),
        program: konseki_model::actions_line(&t.actions),
        execution: &t.execution,
        summary: &t.summary,
        attention: &t.attention,
        evidence: &t.evidence,
    }
    .cells()
}

/// A row that is not a service: no display name, start type, runs or residency; its first
/// time is its earliest evidence.
struct EntityRow<'a> {
    kind: &'a str,
    name: &'a str,
    place: String,
    program: String,
    execution: &'a konseki_model::Execution,
    summary: &'a str,
    attention: &'a [konseki_model::Attention],
    evidence: &'a [konseki_model::EvidenceItem],
}

impl EntityRow<'_> {
    fn cells(self) -> Vec<String> {
        let first = self.evidence.iter().filter_map(|i| i.time).min();
        vec![
            self.kind.into(),
            self.name.into(),
            String::new(),
            self.place,
            String::new(),
            self.program,
            label(self.execution),
            String::new(),
            String::new(),
            String::new(),
            self.summary.into(),
            flag_ids(self.attention, ";"),
            first
                .map(|t| konseki_model::time::seven::text(&t))
                .unwrap_or_default(),
        ]
    }
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
