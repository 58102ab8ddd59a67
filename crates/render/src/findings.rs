//! Each host's findings: the entities worth a look first, most severe first then by time, with
//! the reasons that set their severity; responder tools apart. Severities are coloured on a
//! terminal only (`NO_COLOR` honoured).

use std::io::{self, Write};

use comfy_table::{Attribute, Cell, Color};
use konseki_model::{HostReport, Severity};

use crate::entity::Entity;
use crate::table::{colour, write_cells, write_columns};
use crate::text::clean;

/// Every entity of `report`, the most severe first, then by the time first seen, then by
/// name: the order of the findings in every view.
pub(crate) fn ranked(report: &HostReport) -> Vec<Entity<'_>> {
    let mut all: Vec<Entity> = Entity::all(report).collect();
    all.sort_by(|a, b| {
        b.ranking()
            .severity
            .cmp(&a.ranking().severity)
            .then(a.first_seen().cmp(&b.first_seen()))
            .then(a.name().cmp(b.name()))
    });
    all
}

/// The entities worth a look first: severity low and above, the most severe first, then by
/// time; with the reason that set each one's severity.
pub(crate) fn findings(report: &HostReport, out: &mut dyn Write) -> io::Result<()> {
    let found = ranked(report);
    let total = found.len();
    let tool_rows: Vec<[String; 4]> = found
        .iter()
        .filter_map(|f| {
            let tool = f.ranking().responder_tool.as_deref()?;
            Some([
                f.kind().to_string(),
                clean(f.name(), 40),
                clean(tool, 120),
                String::new(),
            ])
        })
        .collect();
    let ranked: Vec<&Entity> = found
        .iter()
        .filter(|f| f.ranking().severity > Severity::Info)
        .collect();
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
            let ranking = f.ranking();
            let (top, lower): (Vec<_>, Vec<_>) = ranking
                .severity_reasons
                .iter()
                .partition(|r| r.severity == ranking.severity);
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
                severity_cell(ranking.severity),
                Cell::new(f.kind()),
                Cell::new(clean(f.name(), 40)),
                Cell::new(
                    f.first_seen()
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
