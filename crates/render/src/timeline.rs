//! The merged timeline as JSONL (one entry per line) or CSV (one row per entry, formulas
//! neutralised: summaries quote attacker-written names and command lines).

use std::io::{self, Write};

use konseki_model::{Provenance, TimelineEntry};

use crate::csv::write_row;

/// Timeline formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimelineFormat {
    /// One JSON object per line.
    Jsonl,
    /// Comma-separated values with a header row.
    Csv,
}

/// Writes the timeline.
pub fn render_timeline(
    entries: &[TimelineEntry],
    format: TimelineFormat,
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut out = io::BufWriter::with_capacity(1 << 16, out);
    match format {
        TimelineFormat::Jsonl => {
            for e in entries {
                serde_json::to_writer(&mut out, e)?;
                out.write_all(b"\n")?;
            }
        }
        TimelineFormat::Csv => {
            let header = [
                "time",
                "time_means",
                "artifact",
                "service",
                "summary",
                "file",
                "where",
            ];
            write_row(&mut out, header.iter().map(|s| s.to_string()))?;
            for e in entries {
                write_row(&mut out, row(e).into_iter())?;
            }
        }
    }
    out.flush()
}

fn label<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn row(e: &TimelineEntry) -> Vec<String> {
    let (file, at) = match &e.source {
        Provenance::EventRecord {
            file,
            record_id,
            event_id,
        } => (file, format!("record {record_id} (event {event_id})")),
        Provenance::MftEntry { file, entry } => (file, format!("entry {entry}")),
        Provenance::File { file } => (file, String::new()),
        Provenance::RegistryKey { file, at } => (
            file,
            match &at.value {
                Some(v) => format!("{} value {v}", at.key),
                None => at.key.clone(),
            },
        ),
    };
    vec![
        e.time.to_string(),
        label(&e.role),
        label(&e.artifact),
        e.service.clone().unwrap_or_default(),
        e.summary.to_string(),
        file.display().to_string(),
        at,
    ]
}
