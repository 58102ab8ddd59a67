//! The terminal view: the case's hosts at a glance, then each host: what was read, one line
//! per service, autostart entry and task, then warnings.

use std::io::{self, Write};

use konseki_model::{ArtifactKind, CaseReport, HostReport, ServiceReport};

use crate::text::{clean, flag_ids, image_path, terminal_path};
use crate::Selection;

pub(crate) fn render(
    case: &CaseReport,
    selection: Selection,
    out: &mut dyn Write,
) -> io::Result<()> {
    summary(case, out)?;
    for report in &case.hosts {
        host(report, selection, out)?;
    }
    if !case.warnings.is_empty() {
        writeln!(out)?;
        writeln!(out, "Warnings of no one host ({})", case.warnings.len())?;
        warning_lines(&case.warnings, out)?;
    }
    Ok(())
}

/// One line per host: what was found, what is missing, what its logs cover.
fn summary(case: &CaseReport, out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "Case: {} host{} under {}",
        case.hosts.len(),
        if case.hosts.len() == 1 { "" } else { "s" },
        case.roots
            .iter()
            .map(|r| terminal_path(r))
            .collect::<Vec<_>>()
            .join(", ")
    )?;
    let rows: Vec<[String; 5]> = case
        .summary
        .iter()
        .map(|h| {
            let found = h
                .found
                .iter()
                .map(|(kind, n)| format!("{n} {kind}"))
                .collect::<Vec<_>>()
                .join(", ");
            let logs = match (h.logs_from, h.logs_to) {
                (Some(from), Some(to)) => format!(
                    "{} – {}",
                    konseki_model::time::seven::text(&from),
                    konseki_model::time::seven::text(&to)
                ),
                _ => "no event log".to_string(),
            };
            [
                clean(&h.host, 60),
                found,
                if h.missing.is_empty() {
                    "-".into()
                } else {
                    h.missing.join(", ")
                },
                logs,
                format!("{} of {}", h.notable, h.entities),
            ]
        })
        .collect();
    write_columns(
        out,
        [
            "HOST",
            "FOUND",
            "MISSING",
            "LOGS COVER (event logged)",
            "NOTABLE",
        ],
        &rows,
    )?;
    for note in &case.notes {
        writeln!(out, "  note: {}", clean(note, 400))?;
    }
    Ok(())
}

/// One host's sections.
fn host(report: &HostReport, selection: Selection, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out)?;
    identity(report, out)?;
    crate::findings::findings(report, out)?;
    evidence(report, out)?;
    logs(report, out)?;
    control_sets(report, out)?;
    services(report, selection, out)?;
    autostarts(report, selection, out)?;
    tasks(report, selection, out)?;
    boot_sessions(report, out)?;
    clock_steps(report, out)?;
    control_set_diffs(report, out)?;
    warnings(report, out)?;
    Ok(())
}

/// The host's label, its names by source, and what does not agree.
fn identity(report: &HostReport, out: &mut dyn Write) -> io::Result<()> {
    let host = &report.host;
    writeln!(out, "Host {}", clean(&host.label, 200))?;
    let grouping = match (&host.grouping, &host.folder) {
        (konseki_model::Grouping::CollectionFolder, Some(folder)) => {
            format!("the files under {}", terminal_path(folder))
        }
        (konseki_model::Grouping::UnattributedLooseFiles, _) => {
            "loose files that record no machine (in no collection's volume tree)".to_string()
        }
        _ => "loose files (in no collection's volume tree)".to_string(),
    };
    writeln!(out, "  files     {grouping}")?;
    for name in &host.names {
        writeln!(
            out,
            "  name      {} ({}: {})",
            clean(&name.name, 100),
            crate::text::label(&name.source),
            clean(&name.detail, 200)
        )?;
    }
    for d in &host.disagreements {
        writeln!(out, "  disagree  {}", clean(d, 400))?;
    }
    Ok(())
}

/// What was read and what is missing; each hive's state.
fn evidence(report: &HostReport, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "Evidence")?;
    for a in &report.inventory.found {
        let kind = match a.kind {
            ArtifactKind::Hive => "hive",
            ArtifactKind::HiveLog => "hive log",
            ArtifactKind::EventLog => "event log",
            ArtifactKind::Mft => "$MFT",
            ArtifactKind::Prefetch => "prefetch",
            ArtifactKind::Task => "task",
        };
        writeln!(out, "  {kind:<9} {}", terminal_path(&a.path))?;
    }
    for m in &report.inventory.missing {
        writeln!(out, "  missing   {}: {}", m.what, m.consequence)?;
    }
    for h in &report.hives {
        writeln!(
            out,
            "  hive      {}: {}{}",
            terminal_path(&h.path),
            if h.dirty { "dirty" } else { "clean" },
            if h.dirty {
                if h.logs_replayed {
                    ", transaction logs replayed"
                } else {
                    ", NOT replayed (no usable logs)"
                }
            } else {
                ""
            }
        )?;
    }
    Ok(())
}

/// Each event log: channel, records, the span it covers, and what it lacks.
fn logs(report: &HostReport, out: &mut dyn Write) -> io::Result<()> {
    for l in &report.logs {
        writeln!(
            out,
            "  log       {} [{}]: {} records, {} – {} (event logged){}",
            terminal_path(&l.file),
            clean(l.channel.as_deref().unwrap_or("?"), 120),
            l.records,
            l.first.map_or("?".into(), |t| t.to_string()),
            l.last.map_or("?".into(), |t| t.to_string()),
            if l.unreadable > 0 {
                format!(", {} unreadable", l.unreadable)
            } else {
                String::new()
            }
        )?;
        if l.missing_records > 0 {
            let ids = l
                .record_ids
                .map(|r| format!(" of record ids {}–{}", r.first_id, r.last_id))
                .unwrap_or_default();
            writeln!(
                out,
                "            {}{} missing{ids}: it covers only what it holds",
                if l.exported_copy {
                    "an exported copy: at least "
                } else {
                    "gaps: "
                },
                l.missing_records
            )?;
        }
        if l.duplicates > 0 {
            let elsewhere: Vec<String> = l
                .duplicates_counted_in
                .iter()
                .map(|f| terminal_path(f))
                .collect();
            writeln!(
                out,
                "            {} records also read from {}: counted once, there",
                l.duplicates,
                if elsewhere.is_empty() {
                    "earlier in this file".to_string()
                } else {
                    elsewhere.join(", ")
                }
            )?;
        }
    }
    Ok(())
}

/// Each control set: roles, ServicesPipeTimeout, time zone.
fn control_sets(report: &HostReport, out: &mut dyn Write) -> io::Result<()> {
    for c in &report.control_sets {
        writeln!(
            out,
            "  {} [{}]: {} services, ServicesPipeTimeout {} ms{}{}",
            clean(&c.name, 60),
            c.roles.join(","),
            c.service_count,
            c.effective_pipe_timeout_ms,
            if c.pipe_timeout_is_default {
                " (default: value absent)"
            } else {
                " (SET IN REGISTRY)"
            },
            c.time_zone
                .as_ref()
                .map(|z| format!(
                    ", time zone {} (UTC{:+}h{})",
                    clean(&z.name, 80),
                    -f64::from(z.rules.bias_minutes) / 60.0,
                    if z.rules.daylight_start.is_some() && !z.daylight_disabled {
                        ", with daylight time"
                    } else {
                        ""
                    }
                ))
                .unwrap_or_default()
        )?;
    }
    Ok(())
}

/// One row per service shown.
fn services(report: &HostReport, selection: Selection, out: &mut dyn Write) -> io::Result<()> {
    let shown: Vec<&ServiceReport> = report
        .services
        .iter()
        .filter(|s| selection.includes(s))
        .collect();
    writeln!(out)?;
    writeln!(
        out,
        "Services ({} shown of {}{})",
        shown.len(),
        report.services.len(),
        if selection == Selection::Notable {
            "; those with events or attention flags, --all for every key"
        } else {
            ""
        }
    )?;
    let rows: Vec<[String; 5]> = shown.iter().map(|s| row(s)).collect();
    let header = ["SERVICE", "START", "IMAGE", "VERDICT", "ATTENTION"];
    write_columns(out, header, &rows)?;
    Ok(())
}

/// One row per autostart entry shown.
fn autostarts(report: &HostReport, selection: Selection, out: &mut dyn Write) -> io::Result<()> {
    let autostarts: Vec<&konseki_model::AutostartReport> = report
        .autostarts
        .iter()
        .filter(|a| selection.shows(a.notable))
        .collect();
    if !report.autostarts.is_empty() {
        writeln!(out)?;
        writeln!(
            out,
            "Autostart entries ({} shown of {}; Run keys, Winlogon, IFEO, Startup folders, COM… from data/autostart{})",
            autostarts.len(),
            report.autostarts.len(),
            if autostarts.len() < report.autostarts.len() {
                "; per-user COM classes overriding nothing are left out, --all for every entry"
            } else {
                ""
            }
        )?;
        let rows: Vec<[String; 5]> = autostarts
            .iter()
            .map(|a| {
                let e = &a.entry;
                let state = match e.enabled {
                    Some(false) => " (disabled)",
                    _ => "",
                };
                [
                    format!(
                        "{}{}",
                        e.location,
                        e.user
                            .as_ref()
                            .map(|u| format!(" [{}]", clean(u, 80)))
                            .unwrap_or_default()
                    ),
                    clean(&e.name, 32),
                    clean(&format!("{}{state}", e.command), 60),
                    clean(&a.summary, 70),
                    flag_ids(&a.attention, ","),
                ]
            })
            .collect();
        write_columns(
            out,
            ["LOCATION", "NAME", "COMMAND", "VERDICT", "ATTENTION"],
            &rows,
        )?;
    }
    Ok(())
}

/// One row per scheduled task shown.
fn tasks(report: &HostReport, selection: Selection, out: &mut dyn Write) -> io::Result<()> {
    let tasks: Vec<&konseki_model::TaskReport> = report
        .tasks
        .iter()
        .filter(|t| selection.shows(t.notable))
        .collect();
    if !tasks.is_empty() {
        writeln!(out)?;
        writeln!(
            out,
            "Scheduled tasks ({} shown of {}; outside \\Microsoft\\ or with task events, --all for every task)",
            tasks.len(),
            report.tasks.len()
        )?;
        let rows: Vec<[String; 5]> = tasks
            .iter()
            .map(|t| {
                [
                    clean(&t.name, 40),
                    clean(t.status.label(), 30),
                    clean(&konseki_model::actions_line(&t.actions), 60),
                    clean(&t.summary, 90),
                    flag_ids(&t.attention, ","),
                ]
            })
            .collect();
        write_columns(
            out,
            ["TASK", "STATUS", "RUNS", "VERDICT", "ATTENTION"],
            &rows,
        )?;
    }
    Ok(())
}

/// The boot sessions the markers delimit.
fn boot_sessions(report: &HostReport, out: &mut dyn Write) -> io::Result<()> {
    if !report.boot_sessions.is_empty() {
        writeln!(out)?;
        writeln!(out, "Boot sessions ({}; from 6005/6009/12 boot and 6006/13 shutdown markers, 6008 unexpected)", report.boot_sessions.len())?;
        let rows: Vec<[String; 5]> = report
            .boot_sessions
            .iter()
            .map(|b| {
                let time = |t: Option<konseki_model::Timestamp>| {
                    t.map_or("?".to_string(), |t| t.to_string())
                };
                [
                    clean(&b.computer, 32),
                    time(b.start),
                    match (b.end, b.ended_before) {
                        (Some(end), _) => end.to_string(),
                        (None, Some(next)) => format!("before {next}"),
                        _ => "-".into(),
                    },
                    if b.clock_steps.is_empty() {
                        b.ended_by.clone()
                    } else {
                        format!(
                            "{} ({} clock change(s) inside)",
                            b.ended_by,
                            b.clock_steps.len()
                        )
                    },
                    b.evidence.len().to_string(),
                ]
            })
            .collect();
        write_columns(
            out,
            ["COMPUTER", "BOOT", "END", "ENDED BY", "MARKERS"],
            &rows,
        )?;
    }
    Ok(())
}

/// The system clock changes the logs record.
fn clock_steps(report: &HostReport, out: &mut dyn Write) -> io::Result<()> {
    if !report.clock_steps.is_empty() {
        writeln!(out)?;
        writeln!(
            out,
            "Clock changes ({}; System Kernel-General 1, of a second or more: records after one carry the new clock, and konseki measures across it)",
            report.clock_steps.len()
        )?;
        let rows: Vec<[String; 5]> = report
            .clock_steps
            .iter()
            .map(|c| {
                [
                    clean(&c.computer, 32),
                    c.old_time.to_string(),
                    c.new_time.to_string(),
                    format!("{:+.1} s", c.delta_ms as f64 / 1000.0),
                    clean(c.process.as_deref().unwrap_or("-"), 60),
                ]
            })
            .collect();
        write_columns(out, ["COMPUTER", "FROM", "TO", "CHANGE", "BY"], &rows)?;
    }
    Ok(())
}

/// How the set in use differs from the older control sets.
fn control_set_diffs(report: &HostReport, out: &mut dyn Write) -> io::Result<()> {
    if !report.control_set_diffs.is_empty() {
        writeln!(out)?;
        writeln!(
            out,
            "Control set differences (from the older set, e.g. LastKnownGood, to the set in use)"
        )?;
        for d in &report.control_set_diffs {
            writeln!(
                out,
                "  {} {} → {}: {}{}",
                clean(&d.service, 40),
                clean(&d.from, 40),
                clean(&d.to, 40),
                d.change,
                if d.details.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", clean(&d.details.join("; "), 200))
                }
            )?;
        }
    }
    Ok(())
}

/// What could not be read.
fn warnings(report: &HostReport, out: &mut dyn Write) -> io::Result<()> {
    if !report.warnings.is_empty() {
        writeln!(out)?;
        writeln!(out, "Warnings ({})", report.warnings.len())?;
        warning_lines(&report.warnings, out)?;
    }
    Ok(())
}

fn warning_lines(warnings: &[konseki_model::Warning], out: &mut dyn Write) -> io::Result<()> {
    for w in warnings {
        writeln!(
            out,
            "  {}{}: {}",
            terminal_path(&w.file),
            w.offset.map(|o| format!(" @0x{o:x}")).unwrap_or_default(),
            clean(&w.message, 300)
        )?;
    }
    Ok(())
}

/// The terminal's width when the table goes to one (set by the caller; no limit otherwise:
/// a table written to a file or a pipe keeps whole lines).
static WIDTH: std::sync::OnceLock<u16> = std::sync::OnceLock::new();

/// Whether severities are coloured: only on a terminal, and not when `NO_COLOR` is set to a
/// non-empty value (<https://no-color.org>). Unset: plain.
static COLOUR: std::sync::OnceLock<bool> = std::sync::OnceLock::new();

/// Whether the tables are coloured.
pub(crate) fn colour() -> bool {
    COLOUR.get().copied().unwrap_or(false)
}

/// Fits every table from now on to the terminal standard output is, if it is one (cells
/// wrapped; whole values in JSON). The caller says whether the table goes there.
pub fn fit_tables_to_terminal() {
    use std::io::IsTerminal;
    if !std::io::stdout().is_terminal() {
        return;
    }
    // A width below any useful table (a pseudo-terminal that reports 0) is no limit.
    if let Some(columns) = comfy_table::Table::new().width().filter(|&c| c >= 40) {
        let _ = WIDTH.set(columns.saturating_sub(1));
    }
    let no_colour = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let _ = COLOUR.set(!no_colour);
}

/// Left-aligned columns (comfy-table), wrapped to the terminal's width when one is set.
pub(crate) fn write_columns<const N: usize>(
    out: &mut dyn Write,
    header: [&str; N],
    rows: &[[String; N]],
) -> io::Result<()> {
    let rows = rows
        .iter()
        .map(|row| row.iter().map(comfy_table::Cell::new).collect());
    write_cells(out, &header, rows)
}

/// [`write_columns`] of cells that may carry a style (written only when [`colour`] says so).
pub(crate) fn write_cells(
    out: &mut dyn Write,
    header: &[&str],
    rows: impl Iterator<Item = Vec<comfy_table::Cell>>,
) -> io::Result<()> {
    let mut table = comfy_table::Table::new();
    table
        .load_preset(comfy_table::presets::NOTHING)
        .force_no_tty()
        .set_header(header);
    if colour() {
        table.enforce_styling();
    }
    if let Some(&width) = WIDTH.get() {
        table
            .set_width(width)
            .set_content_arrangement(comfy_table::ContentArrangement::Dynamic);
    }
    for row in rows {
        table.add_row(row);
    }
    for line in table.lines() {
        writeln!(out, " {}", line.trim_end())?;
    }
    Ok(())
}

fn row(s: &ServiceReport) -> [String; 5] {
    let config = s.configs.first();
    let image = image_path(s);
    [
        clean(&s.name, 32),
        config
            .and_then(|c| c.start)
            .map(|st| st.label())
            .unwrap_or_else(|| "-".into()),
        clean(&image, 48),
        clean(&s.verdict.summary, 70),
        flag_ids(&s.attention, ","),
    ]
}
