//! JSON (one document) and JSONL (one object per line).
//!
//! The document is what `serde_json::to_writer` makes of the report (tested), written field by
//! field so that the services, most of it, can be written on two cores: in batches, the first
//! half of each straight out while another thread writes the second half into memory.

use std::io::{self, Write};

use konseki_model::{ScanReport, ServiceReport};
use serde::Serialize;

use crate::Selection;

pub(crate) fn render(report: &ScanReport, out: &mut impl Write) -> io::Result<()> {
    // Compact: reports of large cases run to hundreds of MB, and `jq .` pretty-prints.
    // The report's fields in its order. Destructured without `..`: a field added to
    // `ScanReport` fails to compile here until it is written.
    let ScanReport {
        konseki_version,
        schema_version,
        inventory,
        hives,
        logs,
        control_sets,
        control_set_diffs,
        boot_markers,
        boot_sessions,
        services,
        autostarts,
        tasks,
        warnings,
    } = report;
    out.write_all(b"{")?;
    field(out, "konseki_version", konseki_version, true)?;
    field(out, "schema_version", schema_version, false)?;
    field(out, "inventory", inventory, false)?;
    field(out, "hives", hives, false)?;
    field(out, "logs", logs, false)?;
    field(out, "control_sets", control_sets, false)?;
    field(out, "control_set_diffs", control_set_diffs, false)?;
    field(out, "boot_markers", boot_markers, false)?;
    field(out, "boot_sessions", boot_sessions, false)?;
    out.write_all(b",\"services\":[")?;
    write_services(out, services, BATCH_WEIGHT)?;
    out.write_all(b"]")?;
    field(out, "autostarts", autostarts, false)?;
    field(out, "tasks", tasks, false)?;
    field(out, "warnings", warnings, false)?;
    out.write_all(b"}\n")
}

/// `"name":value`, after a comma unless it is the first field.
fn field<T: Serialize + ?Sized>(
    out: &mut impl Write,
    name: &str,
    value: &T,
    first: bool,
) -> io::Result<()> {
    if !first {
        out.write_all(b",")?;
    }
    serde_json::to_writer(&mut *out, name)?;
    out.write_all(b":")?;
    serde_json::to_writer(&mut *out, value)?;
    Ok(())
}

/// The services, comma-separated, in batches of about `batch_weight` (see [`weight`]).
fn write_services(
    out: &mut impl Write,
    services: &[ServiceReport],
    batch_weight: usize,
) -> io::Result<()> {
    let mut rest = services;
    let mut any = false;
    while !rest.is_empty() {
        let (batch, after) = rest.split_at(batch_end(rest, batch_weight));
        let (first, last) = batch.split_at(halfway(batch));
        // The services are most of a report: the last half of each batch is written into
        // memory on another core while this one writes the first half straight out.
        let (written, rendered) = std::thread::scope(|scope| {
            let helper = scope.spawn(|| -> io::Result<Vec<u8>> {
                let mut buffer = Vec::new();
                elements(&mut buffer, last, false)?;
                Ok(buffer)
            });
            let written = elements(out, first, any);
            let rendered = helper
                .join()
                .unwrap_or_else(|_| Err(io::Error::other("writing the services failed")));
            (written, rendered)
        });
        written?;
        any |= !first.is_empty();
        if any && !last.is_empty() {
            out.write_all(b",")?;
        }
        out.write_all(&rendered?)?;
        any |= !last.is_empty();
        rest = after;
    }
    Ok(())
}

/// How much writing a service takes, roughly: its events and runs.
fn weight(service: &ServiceReport) -> usize {
    service.events.len() + service.runs.len() + 1
}

/// Services written per batch, by weight: half a batch is held in memory while it is written.
const BATCH_WEIGHT: usize = 1 << 16;

/// Where the batch that starts `services` ends (at least one service).
fn batch_end(services: &[ServiceReport], batch_weight: usize) -> usize {
    let mut total = 0;
    let end = services
        .iter()
        .position(|s| {
            total += weight(s);
            total > batch_weight
        })
        .unwrap_or(services.len());
    end.max(1)
}

/// Where the first half of `batch`, by weight, ends.
fn halfway(batch: &[ServiceReport]) -> usize {
    let total: usize = batch.iter().map(weight).sum();
    let mut first = 0;
    batch
        .iter()
        .position(|s| {
            first += weight(s);
            first * 2 >= total
        })
        .map_or(batch.len(), |i| i + 1)
}

/// Array elements, comma-separated (and preceded by one when `after_others`).
fn elements<T: Serialize>(out: &mut impl Write, items: &[T], after_others: bool) -> io::Result<()> {
    for (i, item) in items.iter().enumerate() {
        if i > 0 || after_others {
            out.write_all(b",")?;
        }
        serde_json::to_writer(&mut *out, item)?;
    }
    out.flush()
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

#[cfg(test)]
mod tests {
    use konseki_model::{Execution, Inventory, Residency, Verdict};

    use super::*;

    fn service(name: &str) -> ServiceReport {
        ServiceReport {
            name: name.to_string(),
            display_names: vec![format!("{name} \"display\"")],
            configs: Vec::new(),
            events: Vec::new(),
            programs: Vec::new(),
            runs: Vec::new(),
            verdict: Verdict {
                execution: Execution::NoEvidence,
                longest_run_ms: None,
                runs: 0,
                residency: Residency::Unknown,
                summary: "no evidence".to_string(),
                rationale: Vec::new(),
                evidence: Vec::new(),
                evidence_omitted: 0,
            },
            attention: Vec::new(),
        }
    }

    /// However the services are cut into batches and halves (one service a batch, halves of
    /// one, uneven halves, one batch), the document is what serde_json writes of the report.
    #[test]
    fn the_document_is_serde_jsons_however_it_is_cut() {
        for count in [0, 1, 2, 7] {
            let report = ScanReport {
                konseki_version: "0".to_string(),
                schema_version: 1,
                inventory: Inventory {
                    roots: Vec::new(),
                    found: Vec::new(),
                    missing: Vec::new(),
                },
                hives: Vec::new(),
                logs: Vec::new(),
                control_sets: Vec::new(),
                control_set_diffs: Vec::new(),
                boot_markers: Vec::new(),
                boot_sessions: Vec::new(),
                services: (0..count).map(|i| service(&format!("svc{i}"))).collect(),
                autostarts: Vec::new(),
                tasks: Vec::new(),
                warnings: Vec::new(),
            };
            let mut expected = serde_json::to_vec(&report.services).unwrap();
            expected.push(b'#');
            for batch_weight in [1, 2, 3, BATCH_WEIGHT] {
                let mut written = b"[".to_vec();
                write_services(&mut written, &report.services, batch_weight).unwrap();
                written.extend_from_slice(b"]#");
                assert_eq!(
                    String::from_utf8(written).unwrap(),
                    String::from_utf8(expected.clone()).unwrap(),
                    "{count} services in batches of {batch_weight}"
                );
            }
            let mut document = Vec::new();
            render(&report, &mut document).unwrap();
            let mut whole = serde_json::to_vec(&report).unwrap();
            whole.push(b'\n');
            assert_eq!(document, whole, "{count} services");
        }
    }
}
