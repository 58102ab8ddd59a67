//! The reading loop: open, stream every record, decide by event id, render only the matches.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use evtx::err::EvtxError as RawError;
use evtx::{EvtxParser, ParserSettings};
use jiff::Timestamp;

use crate::direct::{read_record, Cache};
use crate::event::Event;
use crate::scan::scan_chunk;
use konseki_bytes::filetime;

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

/// Reads every record of `path`, calls `sink` for each whose event id is in `filter`, and returns
/// the log's summary. Opens the file read-only; never panics on damaged input.
///
/// Each chunk is first scanned raw ([`scan_chunk`]): when every record's EventID is known and
/// unwanted, the chunk only counts towards the summary. Otherwise the `evtx` crate parses it and
/// the wanted records (and those whose id the scan could not read) are rendered.
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
    let settings = ParserSettings::new().num_threads(1);
    let mut parser = parser.with_configuration(settings.clone());
    let settings = Arc::new(settings);
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
    let mut cache = Cache::default();
    for chunk in parser.chunks() {
        let mut data = match chunk {
            Ok(data) => data,
            Err(e) => {
                summary.error(&e);
                continue;
            }
        };
        let scanned = scan_chunk(&data.data, data.header.free_space_offset);
        // Records the direct reader could not take, left to the `evtx` crate.
        let mut leftovers = Vec::new();
        if let Some(records) = &scanned {
            cache.start_chunk();
            for r in records {
                summary.note(filetime(r.filetime));
                if r.event_id.is_some_and(|id| !filter.contains(id)) {
                    continue;
                }
                match read_record(&data.data, r.offset as usize, r.size as usize, &mut cache) {
                    Some(event) => summary.keep(event, filter, &mut sink),
                    None => leftovers.push(u64::from(r.offset)),
                }
            }
            if leftovers.is_empty() {
                continue;
            }
        }
        let number = data.number;
        let chunk = match data.parse(settings.clone()) {
            Ok(chunk) => chunk,
            Err(e) => {
                summary.error(&RawError::FailedToParseChunk {
                    chunk_id: number.unwrap_or(0),
                    source: Box::new(e),
                });
                continue;
            }
        };
        let mut chunk = chunk;
        for record in chunk.iter() {
            let record = match record {
                Ok(record) => record,
                Err(e) => {
                    summary.error(&e);
                    continue;
                }
            };
            let time = record.timestamp;
            if scanned.is_some() {
                // Counted by the scan; only the leftovers are rendered here.
                let offset = record.binxml_offset.saturating_sub(24);
                if leftovers.binary_search(&offset).is_err() {
                    continue;
                }
            } else {
                summary.note(Some(time));
            }
            let (record_id, recovered) = (record.event_record_id, record.recovered);
            match record.into_json_value() {
                Ok(rendered) => {
                    if let Some(event) =
                        Event::from_json(record_id, time, recovered, &rendered.data)
                    {
                        summary.keep(event, filter, &mut sink);
                    }
                }
                Err(e) => summary.error(&e),
            }
        }
    }
    if summary.channel.is_none() && summary.records > 0 {
        summary.channel = first_channel(path, &settings);
    }
    Ok(summary)
}

impl LogSummary {
    /// Counts a record and widens the covered span with its write time.
    fn note(&mut self, time: Option<Timestamp>) {
        self.records += 1;
        if let Some(t) = time {
            self.widen(t);
        }
    }

    /// Hands a wanted event to the sink, widening the span with its own time (re-serialised
    /// logs can carry header times unlike TimeCreated).
    fn keep(&mut self, event: Event, filter: &EventIdFilter, sink: &mut impl FnMut(Event)) {
        if !filter.contains(event.event_id) {
            return;
        }
        self.widen(event.time);
        if self.channel.is_none() && !event.channel.is_empty() {
            self.channel = Some(event.channel.to_string());
        }
        sink(event);
    }

    fn widen(&mut self, t: Timestamp) {
        if t > UNSET_TIME {
            self.first = Some(self.first.map_or(t, |f| f.min(t)));
            self.last = Some(self.last.map_or(t, |l| l.max(t)));
        }
    }

    fn error(&mut self, e: &RawError) {
        self.errors += 1;
        self.warnings.push(ReadWarning {
            offset: error_offset(e),
            message: error_chain(e),
        });
    }
}

/// The channel of the first readable record: says what a log is when none of its events matched.
/// Only the first chunk that parses is read.
fn first_channel(path: &Path, settings: &Arc<ParserSettings>) -> Option<String> {
    let mut parser = EvtxParser::from_path(path).ok()?;
    for data in parser.chunks() {
        let Ok(mut data) = data else { continue };
        let Ok(mut chunk) = data.parse(settings.clone()) else {
            continue;
        };
        let first = chunk.iter().find_map(Result::ok)?;
        let time = first.timestamp;
        let rendered = first.into_json_value().ok()?;
        return Event::from_json(0, time, false, &rendered.data)
            .map(|e| e.channel.to_string())
            .filter(|c| !c.is_empty());
    }
    None
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
