//! The merged timeline as JSONL (one entry per line), CSV (one row per entry, formulas
//! neutralised: summaries quote attacker-written names and command lines), or JSONL in the
//! shape Timesketch imports.
//!
//! Timesketch (`timesketch/lib/utils.py`, `read_and_validate_jsonl`) needs `message`,
//! `datetime` and `timestamp_desc` on every line (a missing one aborts the import); `datetime`
//! must carry its offset (without one the server's zone is assumed) and `timestamp` is
//! integer microseconds (given here, so the importer does not have to parse `datetime`); a
//! UTF-8 byte-order mark makes the import fail, so none is written, and field values are kept
//! under OpenSearch's 32,766-byte term limit.

use std::io::{self, Write};

use konseki_model::{Provenance, TimelineEntry};

use konseki_model::time::seven;

use crate::csv::write_row;
use crate::text::label;

/// Timeline formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimelineFormat {
    /// One JSON object per line.
    Jsonl,
    /// Comma-separated values with a header row.
    Csv,
    /// JSONL with Timesketch's fields (`message`, `datetime`, `timestamp`, `timestamp_desc`).
    Timesketch,
}

/// One JSONL timeline line: the entry with its host.
#[derive(serde::Serialize)]
struct HostEntry<'a> {
    host: &'a str,
    #[serde(flatten)]
    entry: &'a TimelineEntry,
}

/// Writes the timeline of every host of the case (`(host label, its entries)`), merged in
/// time order, each row with its host. Hosts' clocks are their own: rows of two hosts side by
/// side are as each host's clock showed them.
pub fn render_timeline(
    hosts: &[(String, Vec<TimelineEntry>)],
    format: TimelineFormat,
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut merged: Vec<(&str, &TimelineEntry)> = hosts
        .iter()
        .flat_map(|(host, entries)| entries.iter().map(move |e| (host.as_str(), e)))
        .collect();
    if hosts.len() > 1 {
        // Each host's entries are in order already: a stable sort keeps their order on ties.
        merged.sort_by_key(|(_, e)| e.time);
    }
    let mut out = io::BufWriter::with_capacity(1 << 16, out);
    match format {
        TimelineFormat::Jsonl => {
            for (host, entry) in merged {
                serde_json::to_writer(&mut out, &HostEntry { host, entry })?;
                out.write_all(b"\n")?;
            }
        }
        TimelineFormat::Timesketch => {
            for (host, e) in merged {
                serde_json::to_writer(&mut out, &timesketch_line(host, e))?;
                out.write_all(b"\n")?;
            }
        }
        TimelineFormat::Csv => {
            let header = [
                "host",
                "time",
                "time_means",
                "artifact",
                "service",
                "severity",
                "summary",
                "file",
                "where",
            ];
            write_row(&mut out, header.iter().map(|s| s.to_string()))?;
            for (host, e) in merged {
                write_row(&mut out, std::iter::once(host.to_string()).chain(row(e)))?;
            }
        }
    }
    out.flush()
}

fn row(e: &TimelineEntry) -> Vec<String> {
    let (file, at) = source_columns(&e.source);
    vec![
        seven::text(&e.time),
        label(&e.role),
        label(&e.artifact),
        e.service.clone().unwrap_or_default(),
        e.severity
            .map(|s| s.label().to_string())
            .unwrap_or_default(),
        e.summary.to_string(),
        file,
        at,
    ]
}

/// The file a fact was read from, and where in it (record, entry, key and value).
fn source_columns(source: &Provenance) -> (String, String) {
    let (file, at) = match source {
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
    (file.display().to_string(), at)
}

/// The longest text a Timesketch field is given: OpenSearch refuses a keyword term over 32,766
/// bytes, and an attacker-written command line can be longer.
const TIMESKETCH_MAX_TEXT: usize = 32_000;

/// One Timesketch event: its required fields, then konseki's (the host, what the time means,
/// the artifact, the service, where to re-check it). `hostname` is the field plaso gives the
/// host, so konseki's rows and plaso's of one machine filter together.
fn timesketch_line(host: &str, e: &TimelineEntry) -> serde_json::Value {
    let (file, at) = source_columns(&e.source);
    let mut line = serde_json::json!({
        "message": bounded(&e.summary),
        "hostname": bounded(host),
        "datetime": seven::text(&e.time).replace('Z', "+00:00"),
        "timestamp": e.time.as_microsecond(),
        "timestamp_desc": timestamp_desc(e.role),
        "data_type": "konseki:timeline",
        "time_means": label(&e.role),
        "artifact": label(&e.artifact),
        "source_file": bounded(&file),
    });
    if !at.is_empty() {
        line["source_where"] = bounded(&at).into();
    }
    if let Some(service) = &e.service {
        line["service"] = bounded(service).into();
        line["entity"] = format!("service {}", bounded(service)).into();
    }
    if let Some(severity) = e.severity {
        line["severity"] = severity.label().into();
    }
    line
}

/// `text`, cut at a character boundary below [`TIMESKETCH_MAX_TEXT`] bytes (with `…`).
fn bounded(text: &str) -> String {
    if text.len() <= TIMESKETCH_MAX_TEXT {
        return text.to_string();
    }
    let mut end = TIMESKETCH_MAX_TEXT;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

/// What the time means, in the words Timesketch shows in its `timestamp_desc` column (plaso's
/// style: "Creation Time", "Last Written Time").
fn timestamp_desc(role: konseki_model::TimeRole) -> &'static str {
    use konseki_model::TimeRole;
    match role {
        TimeRole::EventLogged => "Event Logged",
        TimeRole::KeyLastWritten => "Key Last Written Time",
        TimeRole::FileCreated => "Creation Time ($SI)",
        TimeRole::FileModified => "Content Modification Time ($SI)",
        TimeRole::FileNameCreated => "Creation Time ($FN)",
        TimeRole::ProgramRun => "Last Run Time (Prefetch)",
        TimeRole::TaskRegistered => "Task Registration Time",
        TimeRole::TaskLaunched => "Task Last Launch Time",
    }
}
