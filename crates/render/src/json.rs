//! JSON (one document) and JSONL (one object per line).
//!
//! The document is what `serde_json::to_writer` makes of the report, and each line what it
//! makes of a service or warning with its `record_type` (tested, here and on the corpus),
//! written by our own serialiser ([`writer`]) in small chunks on every core ([`ordered`]) and
//! in order.

use std::io::{self, Write};

use konseki_model::{ScanReport, ServiceReport, Warning};
use serde::Serialize;

use crate::Selection;

mod ordered;
mod pieces;
mod writer;

pub(crate) fn render(report: &ScanReport, out: &mut impl Write) -> io::Result<()> {
    render_cut(report, out, SPLIT_WEIGHT, CHUNK_WEIGHT, helpers())
}

/// The thread pool's other threads, which render beside this one (at least one).
fn helpers() -> usize {
    rayon::current_num_threads().saturating_sub(1).max(1)
}

/// The document, with services heavier than `split_weight` cut into their events and runs,
/// rendered in chunks of about `chunk_weight` (see [`pieces::pieces`]) by this thread and
/// `helpers` others.
fn render_cut(
    report: &ScanReport,
    out: &mut impl Write,
    split_weight: usize,
    chunk_weight: usize,
    helpers: usize,
) -> io::Result<()> {
    // Compact: reports of large cases run to hundreds of MB, and `jq .` pretty-prints.
    let pieces = pieces::pieces(report, split_weight);
    ordered::write_items(
        out,
        &pieces,
        |piece| piece.weight,
        chunk_weight,
        helpers,
        |piece, buffer| Ok(piece.write(buffer)?),
    )
}

/// Services heavier than this are cut into their events and runs.
const SPLIT_WEIGHT: usize = 64;

/// Weight rendered per chunk: ~48 KB of JSON (~750 bytes a unit in the corpus's report).
const CHUNK_WEIGHT: usize = 64;

#[derive(Serialize)]
struct Line<'a, T: Serialize> {
    record_type: &'a str,
    #[serde(flatten)]
    item: &'a T,
}

/// One JSONL line's item.
enum LineItem<'a> {
    Service(&'a ServiceReport),
    Warning(&'a Warning),
}

impl LineItem<'_> {
    fn weight(&self) -> usize {
        match self {
            LineItem::Service(service) => pieces::weight(service),
            LineItem::Warning(_) => 0,
        }
    }

    /// The line, `record_type` first, and its newline.
    fn write(&self, buffer: &mut Vec<u8>) -> io::Result<()> {
        match self {
            LineItem::Service(item) => line(buffer, "service", *item),
            LineItem::Warning(item) => line(buffer, "warning", *item),
        }
    }
}

fn line<T: Serialize>(buffer: &mut Vec<u8>, record_type: &str, item: &T) -> io::Result<()> {
    writer::write(buffer, &Line { record_type, item })?;
    buffer.push(b'\n');
    Ok(())
}

/// Each selected service, then each warning, a line each, rendered in chunks of whole lines
/// on every core as the document is.
pub(crate) fn render_lines(
    report: &ScanReport,
    selection: Selection,
    out: &mut impl Write,
) -> io::Result<()> {
    let services = report.services.iter().filter(|s| selection.includes(s));
    let lines: Vec<LineItem<'_>> = services
        .map(LineItem::Service)
        .chain(report.warnings.iter().map(LineItem::Warning))
        .collect();
    ordered::write_items(
        out,
        &lines,
        LineItem::weight,
        CHUNK_WEIGHT,
        helpers(),
        LineItem::write,
    )
}

#[cfg(test)]
mod tests {
    use konseki_model::{Execution, Inventory, Residency, ServiceReport, Verdict};

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

    /// However the document is cut (services whole or in parts, chunks of one piece or
    /// more) and however many threads write it, it is what serde_json writes of the report.
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
                clock_steps: Vec::new(),
                services: (0..count).map(|i| service(&format!("svc{i}"))).collect(),
                autostarts: Vec::new(),
                tasks: Vec::new(),
                warnings: Vec::new(),
            };
            let mut whole = serde_json::to_vec(&report).unwrap();
            whole.push(b'\n');
            for split_weight in [0, 1, SPLIT_WEIGHT] {
                for chunk_weight in [1, 2, 3, CHUNK_WEIGHT] {
                    for helpers in [0, 1, 2] {
                        let mut document = Vec::new();
                        render_cut(&report, &mut document, split_weight, chunk_weight, helpers)
                            .unwrap();
                        assert_eq!(
                            String::from_utf8(document).unwrap(),
                            String::from_utf8(whole.clone()).unwrap(),
                            "{count} services, split above {split_weight}, chunks of \
                             {chunk_weight}, {helpers} helpers"
                        );
                    }
                }
            }
        }
    }
}
