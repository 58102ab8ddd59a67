//! Each host's findings: the entities worth a look first, most severe first then by time, with
//! the reasons that set their severity; responder tools apart. Severities are coloured on a
//! terminal only (`NO_COLOR` honoured).

use std::io::{self, Write};

use comfy_table::{Attribute, Cell, Color};
use konseki_model::{HostReport, Ranking, Severity};

use crate::table::{colour, write_cells, write_columns};
use crate::text::clean;

/// One ranked entity.
struct Finding<'a> {
    kind: &'static str,
    name: &'a str,
    ranking: &'a Ranking,
    time: Option<konseki_model::Timestamp>,
}

/// The entities worth a look first: severity low and above, the most severe first, then by
/// time; with the reason that set each one's severity.
pub(crate) fn findings(report: &HostReport, out: &mut dyn Write) -> io::Result<()> {
    let mut found: Vec<Finding> = Vec::new();
    for s in &report.services {
        found.push(Finding {
            kind: "service",
            name: &s.name,
            ranking: &s.ranking,
            time: s.events.first().map(|e| e.time),
        });
    }
    for a in &report.autostarts {
        found.push(Finding {
            kind: "autostart",
            name: &a.entry.name,
            ranking: &a.ranking,
            time: a.entry.key_last_written,
        });
    }
    for t in &report.tasks {
        found.push(Finding {
            kind: "task",
            name: &t.name,
            ranking: &t.ranking,
            time: t.evidence.iter().filter_map(|e| e.time).min(),
        });
    }
    let total = found.len();
    let tools: Vec<&Finding> = found
        .iter()
        .filter(|f| f.ranking.responder_tool.is_some())
        .collect();
    let tool_rows: Vec<[String; 4]> = tools
        .iter()
        .map(|f| {
            [
                f.kind.to_string(),
                clean(f.name, 40),
                clean(f.ranking.responder_tool.as_deref().unwrap_or(""), 120),
                String::new(),
            ]
        })
        .collect();
    let mut ranked: Vec<&Finding> = found
        .iter()
        .filter(|f| f.ranking.severity > Severity::Info)
        .collect();
    ranked.sort_by(|a, b| {
        b.ranking
            .severity
            .cmp(&a.ranking.severity)
            .then(a.time.cmp(&b.time))
            .then(a.name.cmp(b.name))
    });
    writeln!(out)?;
    writeln!(
        out,
        "Findings ({} ranked low or above; {} of {} entities unremarkable, `info`)",
        ranked.len(),
        total - ranked.len(),
        total
    )?;
    let rows: Vec<Vec<Cell>> = ranked
        .iter()
        .map(|f| {
            // The reasons that set the severity; the lower ones by id (JSON has them all).
            let (top, lower): (Vec<_>, Vec<_>) = f
                .ranking
                .severity_reasons
                .iter()
                .partition(|r| r.severity == f.ranking.severity);
            let mut why = top
                .iter()
                .map(|r| format!("{} ({})", r.why, r.attack))
                .collect::<Vec<_>>()
                .join("; ");
            if !lower.is_empty() {
                let ids: Vec<&str> = lower.iter().map(|r| r.rule.as_str()).collect();
                why.push_str(&format!("; also {}", ids.join(", ")));
            }
            vec![
                severity_cell(f.ranking.severity),
                Cell::new(f.kind),
                Cell::new(clean(f.name, 40)),
                Cell::new(
                    f.time
                        .map(|t| konseki_model::time::seven::text(&t))
                        .unwrap_or_default(),
                ),
                Cell::new(clean(&why, 300)),
            ]
        })
        .collect();
    if !rows.is_empty() {
        write_cells(
            out,
            &["SEVERITY", "KIND", "NAME", "FIRST SEEN", "WHY"],
            rows.into_iter(),
        )?;
    }
    if !tool_rows.is_empty() {
        writeln!(
            out,
            "  Responder tools ({}; ranked info, not hidden: check them against the acquisition notes)",
            tool_rows.len()
        )?;
        write_columns(out, ["KIND", "NAME", "TOOL", ""], &tool_rows)?;
    }
    writeln!(out)?;
    Ok(())
}

/// The severity's cell: coloured when the table is.
fn severity_cell(severity: Severity) -> Cell {
    let cell = Cell::new(severity.label().to_uppercase());
    if !colour() {
        return cell;
    }
    match severity {
        Severity::Critical => cell.fg(Color::Red).add_attribute(Attribute::Bold),
        Severity::High => cell.fg(Color::Red),
        Severity::Medium => cell.fg(Color::Yellow),
        Severity::Low => cell.fg(Color::Cyan),
        Severity::Info => cell,
    }
}
