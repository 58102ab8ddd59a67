//! The reading loop: open, stream every record, decide by event id, render only the matches.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use evtx::binxml::value_variant::BinXmlValue;
use evtx::err::EvtxError as RawError;
use evtx::{EvtxParser, EvtxRecord, ParserSettings};
use jiff::Timestamp;

use crate::event::Event;

/// Size of the EVTX file header and of each chunk (MS-EVEN6 / libevtx documentation).
const FILE_HEADER_SIZE: u64 = 0x1000;
const CHUNK_SIZE: u64 = 0x1_0000;

/// A record header time of FILETIME 0 (1601-01-01) means "not set" and must not widen a span.
const UNSET_TIME: Timestamp = Timestamp::constant(-11_644_473_600, 0);

/// The set of event ids to render; all others are only counted.
#[derive(Clone)]
pub struct EventIdFilter {
    bits: Arc<[u64; 1024]>,
}

impl EventIdFilter {
    /// A filter that keeps the given ids.
    pub fn new(ids: impl IntoIterator<Item = u16>) -> Self {
        let mut bits = [0u64; 1024];
        for id in ids {
            bits[usize::from(id / 64)] |= 1 << (id % 64);
        }
        EventIdFilter {
            bits: Arc::new(bits),
        }
    }

    /// Whether the id is kept.
    pub fn contains(&self, id: u16) -> bool {
        self.bits[usize::from(id / 64)] & (1 << (id % 64)) != 0
    }
}

/// What reading one log established about it, beside the events.
#[derive(Debug, Clone, PartialEq)]
pub struct LogSummary {
    /// The file read.
    pub path: PathBuf,
    /// Chunk count claimed by the file header (dirty logs undercount).
    pub header_chunk_count: u16,
    /// Header flag bit 0: the log was not closed cleanly.
    pub dirty: bool,
    /// Records read successfully.
    pub records: u64,
    /// Records or chunks that could not be read (each also gives a warning).
    pub errors: u64,
    /// Earliest record write time (record header), the start of what this log covers.
    pub first: Option<Timestamp>,
    /// Latest record write time.
    pub last: Option<Timestamp>,
    /// Channel of the first rendered record, when any record was rendered.
    pub channel: Option<String>,
    /// Damaged records and chunks, each with its position.
    pub warnings: Vec<ReadWarning>,
}

/// A record or chunk that could not be read; reading went on past it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadWarning {
    /// File offset of the damaged chunk or record, when known.
    pub offset: Option<u64>,
    /// What went wrong, with the parser's cause chain.
    pub message: String,
}

/// Why a file could not be read at all.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EvtxError {
    /// The file is empty.
    #[error("{path}: empty file, not an EVTX log")]
    Empty {
        /// The file.
        path: PathBuf,
    },
    /// The file does not start with an `ElfFile` header or cannot be opened.
    #[error("{path}: not a readable EVTX log: {reason}")]
    NotEvtx {
        /// The file.
        path: PathBuf,
        /// The parser's explanation.
        reason: String,
    },
}

/// What the per-record closure hands back to the consuming loop.
struct RecordOutcome {
    time: Timestamp,
    event: Option<Event>,
}

/// Reads every record of `path`, calls `sink` for each whose event id is in `filter`, and returns
/// the log's summary. Opens the file read-only; never panics on damaged input.
pub fn read_events(
    path: &Path,
    filter: &EventIdFilter,
    mut sink: impl FnMut(Event),
) -> Result<LogSummary, EvtxError> {
    if std::fs::metadata(path).is_ok_and(|m| m.len() == 0) {
        return Err(EvtxError::Empty {
            path: path.to_path_buf(),
        });
    }
    let parser = EvtxParser::from_path(path).map_err(|e| EvtxError::NotEvtx {
        path: path.to_path_buf(),
        reason: error_chain(&e),
    })?;
    // One thread per file: konseki parallelises across files, which measured faster than
    // threads inside one file (CRATES.md, speed facts).
    let mut parser = parser.with_configuration(ParserSettings::new().num_threads(1));
    let header = parser.header();
    let mut summary = LogSummary {
        path: path.to_path_buf(),
        header_chunk_count: header.chunk_count,
        dirty: header.flags.bits() & 1 != 0,
        records: 0,
        errors: 0,
        first: None,
        last: None,
        channel: None,
        warnings: Vec::new(),
    };
    let wanted = filter.clone();
    for outcome in parser.serialized_records(move |record| decode(record?, &wanted)) {
        match outcome {
            Ok(RecordOutcome { time, event }) => {
                summary.records += 1;
                if time > UNSET_TIME {
                    summary.first = Some(summary.first.map_or(time, |t| t.min(time)));
                    summary.last = Some(summary.last.map_or(time, |t| t.max(time)));
                }
                if let Some(event) = event {
                    // Re-serialised logs can carry header times that differ from TimeCreated.
                    let t = event.time;
                    if t > UNSET_TIME {
                        summary.first = Some(summary.first.map_or(t, |f| f.min(t)));
                        summary.last = Some(summary.last.map_or(t, |l| l.max(t)));
                    }
                    if summary.channel.is_none() && !event.channel.is_empty() {
                        summary.channel = Some(event.channel.clone());
                    }
                    sink(event);
                }
            }
            Err(e) => {
                summary.errors += 1;
                summary.warnings.push(ReadWarning {
                    offset: error_offset(&e),
                    message: error_chain(&e),
                });
            }
        }
    }
    if summary.channel.is_none() && summary.records > 0 {
        summary.channel = first_channel(path);
    }
    Ok(summary)
}

/// The channel of the first readable record: says what a log is when none of its events matched.
fn first_channel(path: &Path) -> Option<String> {
    let mut parser = EvtxParser::from_path(path)
        .ok()?
        .with_configuration(ParserSettings::new().num_threads(1));
    let first = parser.records_json_value().find_map(Result::ok)?;
    Event::from_json(0, first.timestamp, false, &first.data)
        .map(|e| e.channel)
        .filter(|c| !c.is_empty())
}

fn decode(record: EvtxRecord<'_>, filter: &EventIdFilter) -> evtx::err::Result<RecordOutcome> {
    let time = record.timestamp;
    let record_id = record.event_record_id;
    let recovered = record.recovered;
    match templated_event_id(&record) {
        Some(id) if !filter.contains(id) => Ok(RecordOutcome { time, event: None }),
        _ => {
            // Either a wanted id, or a record without the standard template: render to decide.
            let rendered = record.into_json_value()?;
            let event = Event::from_json(record_id, time, recovered, &rendered.data)
                .filter(|e| filter.contains(e.event_id));
            Ok(RecordOutcome { time, event })
        }
    }
}

/// In Windows' standard `System` template the EventID is substitution slot 3 (a `UInt16`).
/// Verified against rendered XML on 23,374 templated records (CRATES.md); records without a
/// template, or with another layout, fall back to rendering.
fn templated_event_id(record: &EvtxRecord<'_>) -> Option<u16> {
    let instances = record.template_instances().ok()?;
    match instances.first()?.values.get(3)? {
        BinXmlValue::UInt16Type(id) => Some(*id),
        _ => None,
    }
}

fn error_offset(error: &RawError) -> Option<u64> {
    match error {
        RawError::FailedToParseChunk { chunk_id, .. } => {
            Some(FILE_HEADER_SIZE + chunk_id * CHUNK_SIZE)
        }
        RawError::FailedToReadRecordAt { chunk, offset, .. } => {
            Some(FILE_HEADER_SIZE + chunk.unwrap_or(0) * CHUNK_SIZE + offset)
        }
        _ => None,
    }
}

/// The error and its causes on one line, so a warning says why, not only "failed".
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let _ = write!(text, ": {cause}");
        source = cause.source();
    }
    text
}
