//! The reading loop, in two passes. Pass 1 ([`index_log`]) streams every chunk, counts its
//! records and notes where the wanted ones are and what identifies them; pass 2
//! ([`read_indexed`], or [`LogIndex::read_part`] over the ranges of [`LogIndex::parts`] on
//! several cores, joined by [`LogIndex::finish`]) re-reads only the chunks that hold the records
//! the caller keeps and decodes those. Between the two a caller that reads several copies of one
//! log (a volume shadow copy beside the live file, two collections of one machine) keeps each
//! record once.

use std::fmt::Write as _;
use std::hash::{BuildHasher, Hash, Hasher};
use std::io::{Read, Seek, SeekFrom};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use evtx::err::EvtxError as RawError;
use evtx::{EvtxChunkData, EvtxParser, ParserSettings};
use jiff::Timestamp;

use crate::direct::{read_record, Cache};
use crate::event::Event;
use crate::record_runs::RecordRuns;
use crate::scan::templated_event_id;
use crate::walk::walk;
use konseki_bytes::u64_at;

/// Size of the EVTX file header and of each chunk (MS-EVEN6 / libevtx documentation).
pub(crate) const FILE_HEADER_SIZE: u64 = 0x1000;
pub(crate) const CHUNK_SIZE: u64 = 0x1_0000;

/// A record header time of FILETIME 0 (1601-01-01) means "not set" and must not widen a span.
const UNSET_TIME: Timestamp = Timestamp::constant(-11_644_473_600, 0);

/// The set of event ids to render; all others are only counted. Optionally, for some events,
/// the only `EventData` fields the caller reads.
#[derive(Clone)]
pub struct EventIdFilter {
    bits: Arc<[u64; 1024]>,
    fields: Arc<Vec<FieldsKept>>,
}

/// The `EventData` fields kept of one provider's event.
#[derive(Debug, Clone)]
struct FieldsKept {
    provider: Box<str>,
    event_id: u16,
    fields: Box<[Box<str>]>,
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
            fields: Arc::default(),
        }
    }

    /// Of `provider`'s `event_id` events, keep only these `EventData` fields: a Sysmon process
    /// start has over twenty, and turning each into text is most of what reading it costs.
    pub fn keep_only_fields(mut self, provider: &str, event_id: u16, fields: &[&str]) -> Self {
        Arc::make_mut(&mut self.fields).push(FieldsKept {
            provider: provider.into(),
            event_id,
            fields: fields.iter().map(|&f| f.into()).collect(),
        });
        self
    }

    /// Whether the id is kept.
    pub fn contains(&self, id: u16) -> bool {
        self.bits[usize::from(id / 64)] & (1 << (id % 64)) != 0
    }

    /// Drops the fields not kept from an event the `evtx` crate rendered whole (the direct
    /// reader never builds them).
    fn trim(&self, event: &mut Event) {
        if let Some(kept) = self.fields_kept(&event.provider, event.event_id) {
            event
                .data
                .retain(|(name, _)| kept.iter().any(|k| **k == **name));
        }
    }

    /// The fields kept of this event, when not all are.
    pub(crate) fn fields_kept(&self, provider: &str, event_id: u16) -> Option<&[Box<str>]> {
        self.fields
            .iter()
            .find(|f| f.event_id == event_id && f.provider.eq_ignore_ascii_case(provider))
            .map(|f| &*f.fields)
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
    /// The record ids counted, in runs of consecutive ids: gaps say the log is a filtered or
    /// partial copy, and the runs say what spans it really covers.
    pub ids: RecordRuns,
    /// The lowest and highest `EventRecordID` among the wanted records read, with their times.
    pub event_ids: Option<((u64, Timestamp), (u64, Timestamp))>,
    /// Some wanted record's `EventRecordID` differs from its header's id: an exported copy,
    /// whose header ids were numbered afresh (the gaps are then in `event_ids`, not `ids`).
    pub renumbered: bool,
    /// The channels of the wanted records read, with their counts and spans, in the order first
    /// seen: a file exported or merged from several logs names several (each record is labelled
    /// by its own `Channel`, not by the file's first).
    pub channels: Vec<ChannelSpan>,
    /// Damaged records and chunks, each with its position.
    pub warnings: Vec<ReadWarning>,
}

/// The wanted records of one channel in a log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelSpan {
    /// `System/Channel` as logged.
    pub name: String,
    /// Wanted records of that channel read.
    pub records: u64,
    /// Earliest of their times (event logged).
    pub first: Timestamp,
    /// Latest of their times.
    pub last: Timestamp,
}

impl ChannelSpan {
    fn add(
        spans: &mut Vec<ChannelSpan>,
        name: &str,
        records: u64,
        first: Timestamp,
        last: Timestamp,
    ) {
        match spans.iter_mut().find(|c| c.name.eq_ignore_ascii_case(name)) {
            Some(c) => {
                c.records += records;
                c.first = c.first.min(first);
                c.last = c.last.max(last);
            }
            None => spans.push(ChannelSpan {
                name: name.to_string(),
                records,
                first,
                last,
            }),
        }
    }
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
/// The two passes of [`index_log`] and [`read_indexed`], keeping every record: a caller that
/// reads several copies of a log and wants each record once uses them directly.
pub fn read_events(
    path: &Path,
    filter: &EventIdFilter,
    sink: impl FnMut(Event),
) -> Result<LogSummary, EvtxError> {
    let index = index_log(path, filter)?;
    Ok(read_indexed(index, |_| true, filter, sink))
}

/// What identifies one record across files: the same record read from two copies of a log (a
/// volume shadow copy, a second collection) has the same id, write time and bytes. The digest is
/// keyed per process, so a record cannot be crafted to collide with another one: foldhash's
/// seeded hash, which admits no collisions that hold for every seed, and a scan never shows its
/// hashes, the only way to learn a seed. (The standard library's SipHash took four times as
/// long: 2 % of a scan of corpus/evtx.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordKey {
    /// The record header's id.
    pub record_id: u64,
    /// The record header's write time (FILETIME).
    pub filetime: u64,
    /// Keyed digest of the whole record, header included.
    pub digest: u64,
}

/// Hashes the digest alone: it is already a keyed hash of the whole record, so a map of keys can
/// use it as is ([`RecordKeyHasher`]) instead of hashing the three fields again.
impl Hash for RecordKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.digest);
    }
}

/// The hasher for maps keyed by [`RecordKey`]: passes the digest through.
#[derive(Default, Clone, Copy)]
pub struct RecordKeyHasher(u64);

impl Hasher for RecordKeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only reached if something other than a RecordKey is hashed: fold the bytes in.
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// A record the first pass found worth reading: wanted, or of unknown event id.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Candidate {
    pub key: RecordKey,
    pub offset: u32,
    pub size: u32,
}

/// A chunk the second pass visits: its candidates, and the events of a damaged chunk, already
/// read whole by the first pass.
#[derive(Debug)]
pub(crate) struct IndexedChunk {
    pub number: u64,
    pub candidates: Range<usize>,
    pub early: Range<usize>,
}

impl IndexedChunk {
    /// The records the second pass may read here.
    pub(crate) fn records(&self) -> usize {
        self.candidates.len() + self.early.len()
    }
}

/// The first pass over one log: its summary, and where its wanted records are. Small (a few dozen
/// bytes per wanted record): a scan indexes every log before it reads any event.
pub struct LogIndex {
    summary: LogSummary,
    chunks: Vec<IndexedChunk>,
    candidates: Vec<Candidate>,
    early: Vec<(RecordKey, Event)>,
}

impl LogIndex {
    /// The log's summary so far (records counted, span covered, damage found).
    pub fn summary(&self) -> &LogSummary {
        &self.summary
    }

    /// The keys of the records the second pass would read, in order: [`read_indexed`]'s `keep`
    /// is asked about each by its position here. The records of damaged chunks, already read
    /// by the first pass, come last.
    pub fn keys(&self) -> impl Iterator<Item = RecordKey> + '_ {
        let early = self.early.iter().map(|(key, _)| *key);
        self.candidates.iter().map(|c| c.key).chain(early)
    }

    /// How many records [`LogIndex::keys`] gives.
    pub fn len(&self) -> usize {
        self.candidates.len() + self.early.len()
    }

    /// Whether the log holds no wanted record.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn digest(bytes: &[u8]) -> u64 {
    static KEY: OnceLock<foldhash::quality::RandomState> = OnceLock::new();
    KEY.get_or_init(foldhash::quality::RandomState::default)
        .hash_one(bytes)
}

/// The key of a whole record (`2A 2A 00 00`, size, id, FILETIME, BinXML, size copy).
pub(crate) fn record_key(record: &[u8]) -> RecordKey {
    RecordKey {
        record_id: u64_at(record, 8).unwrap_or(0),
        filetime: u64_at(record, 16).unwrap_or(0),
        digest: digest(record),
    }
}

/// Pass 1: scans every chunk of `path` raw (its records' headers and EventIDs), counts its
/// records and span, and notes the records whose event id is in `filter` or unknown. A chunk the
/// scan cannot read is left to the `evtx` crate here, which reports damage precisely; its wanted
/// events are kept. A large log is read on several cores (`walk`); the chunks come out in the
/// crate's order.
pub fn index_log(path: &Path, filter: &EventIdFilter) -> Result<LogIndex, EvtxError> {
    // Opened here (read-only), not by `EvtxParser::from_path`, which canonicalises the path
    // first: a `readlink` per directory above the log, for every log.
    let file = konseki_source::open(path).map_err(|e| EvtxError::NotEvtx {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    let length = file.len().unwrap_or(0);
    if length == 0 {
        return Err(EvtxError::Empty {
            path: path.to_path_buf(),
        });
    }
    let parser = EvtxParser::from_read_seek(file).map_err(|e| EvtxError::NotEvtx {
        path: path.to_path_buf(),
        reason: error_chain(&e),
    })?;
    let header = parser.header();
    let mut index = LogIndex {
        summary: LogSummary::empty(
            path.to_path_buf(),
            header.chunk_count,
            header.flags.bits() & 1 != 0,
        ),
        chunks: Vec::new(),
        candidates: Vec::new(),
        early: Vec::new(),
    };
    // Counted as the crate counts them: the file's length past its header block, not the
    // header's chunk count (dirty logs undercount).
    let chunk_count = length.saturating_sub(u64::from(header.header_block_size)) / CHUNK_SIZE;
    let walked = walk(path, chunk_count, filter, &mut index.summary);
    index.chunks = walked.chunks;
    index.candidates = walked.candidates;
    index.early = walked.early;
    Ok(index)
}

/// Pass 2: reads the candidates of `index` that `keep` accepts (by their position in
/// [`LogIndex::keys`]) straight from their template values, re-reading only the chunks that hold
/// them, and calls `sink` for each whose event id is in `filter`. Records the direct reader
/// declines are rendered by the `evtx` crate. Returns the log's finished summary.
pub fn read_indexed(
    index: LogIndex,
    keep: impl Fn(usize) -> bool,
    filter: &EventIdFilter,
    sink: impl FnMut(Event),
) -> LogSummary {
    let part = index.read_part(0..index.chunks.len(), &keep, filter, sink);
    index.finish([part])
}

impl LogIndex {
    /// At most `parts` consecutive ranges of the indexed chunks, each holding about as many
    /// records to read: one large log's second pass can then run on several cores.
    pub fn parts(&self, parts: usize) -> Vec<Range<usize>> {
        let per_part = self.len().div_ceil(parts.max(1)).max(1);
        let mut ranges = Vec::new();
        let (mut start, mut records) = (0, 0);
        for (i, chunk) in self.chunks.iter().enumerate() {
            records += chunk.records();
            if records >= per_part {
                ranges.push(start..i + 1);
                (start, records) = (i + 1, 0);
            }
        }
        if start < self.chunks.len() || ranges.is_empty() {
            ranges.push(start..self.chunks.len());
        }
        ranges
    }

    /// How many records the second pass may read in these indexed chunks (an upper bound on the
    /// events it gives).
    pub fn records_in(&self, chunks: Range<usize>) -> usize {
        let chunks = self.chunks.get(chunks).unwrap_or_default();
        chunks.iter().map(IndexedChunk::records).sum()
    }

    /// Pass 2 over the indexed chunks in `chunks` (a range from [`LogIndex::parts`]), as
    /// [`read_indexed`] does over all of them. Returns what the part adds to the log's summary,
    /// for [`LogIndex::finish`].
    pub fn read_part(
        &self,
        chunks: Range<usize>,
        keep: &impl Fn(usize) -> bool,
        filter: &EventIdFilter,
        mut sink: impl FnMut(Event),
    ) -> LogSummary {
        let header = &self.summary;
        let mut summary =
            LogSummary::empty(header.path.clone(), header.header_chunk_count, header.dirty);
        let settings = one_thread();
        let mut file = None;
        let mut cache = Cache::for_filter(filter);
        let mut buffer = vec![0u8; CHUNK_SIZE as usize];
        let first_early = self.candidates.len();
        for chunk in self.chunks.get(chunks).unwrap_or_default() {
            for i in chunk.early.clone() {
                if keep(first_early + i) {
                    summary.keep(self.early[i].1.clone(), filter, &mut sink);
                }
            }
            let wanted: Vec<usize> = chunk.candidates.clone().filter(|&i| keep(i)).collect();
            // A log whose records were all read from another copy still says what it is.
            let for_channel = wanted.is_empty() && summary.channel.is_none();
            if wanted.is_empty() && !for_channel || chunk.candidates.is_empty() {
                continue;
            }
            let offset = FILE_HEADER_SIZE + chunk.number * CHUNK_SIZE;
            if let Err(e) = read_chunk(&mut file, &summary.path, offset, &mut buffer) {
                summary.warn(Some(offset), format!("chunk could not be read again: {e}"));
                continue;
            }
            cache.start_chunk();
            if for_channel {
                let c = self.candidates[chunk.candidates.start];
                let event = read_record(&buffer, c.offset as usize, c.size as usize, &mut cache);
                if let Some(event) = event.filter(|e| !e.channel.is_empty()) {
                    summary.channel = Some(event.channel.to_string());
                }
                continue;
            }
            let mut leftovers = Vec::new();
            for i in wanted {
                let c = self.candidates[i];
                match read_record(&buffer, c.offset as usize, c.size as usize, &mut cache) {
                    Some(event) => summary.keep(event, filter, &mut sink),
                    None => leftovers.push(u64::from(c.offset)),
                }
            }
            if leftovers.is_empty() {
                continue;
            }
            match EvtxChunkData::new(buffer.clone(), false) {
                Ok(mut data) => {
                    data.number = Some(chunk.number);
                    render_chunk(
                        &mut data,
                        &settings,
                        filter,
                        &mut summary,
                        Some(&leftovers),
                        &mut cache,
                        |summary, _, event| summary.keep(event, filter, &mut sink),
                    );
                }
                Err(e) => summary.error(&RawError::FailedToParseChunk {
                    chunk_id: chunk.number,
                    source: Box::new(e),
                }),
            }
        }
        summary
    }

    /// The log's summary: the first pass's, with what each part of the second added (in order).
    pub fn finish(self, parts: impl IntoIterator<Item = LogSummary>) -> LogSummary {
        let mut summary = self.summary;
        for part in parts {
            summary.add_counts(&part);
            summary.warnings.extend(part.warnings);
            if summary.channel.is_none() {
                summary.channel = part.channel;
            }
            for c in part.channels {
                ChannelSpan::add(&mut summary.channels, &c.name, c.records, c.first, c.last);
            }
        }
        if summary.channel.is_none() && summary.records > 0 {
            summary.channel = first_channel(&summary.path);
        }
        summary
    }
}

impl LogSummary {
    /// A log's summary before any record is counted.
    pub(crate) fn empty(path: PathBuf, header_chunk_count: u16, dirty: bool) -> LogSummary {
        LogSummary {
            path,
            header_chunk_count,
            dirty,
            records: 0,
            errors: 0,
            first: None,
            last: None,
            channel: None,
            ids: RecordRuns::default(),
            event_ids: None,
            renumbered: false,
            channels: Vec::new(),
            warnings: Vec::new(),
        }
    }

    /// Adds a part's record and error counts, and widens the span with the part's (its warnings
    /// are the caller's to order).
    pub(crate) fn add_counts(&mut self, part: &LogSummary) {
        self.records += part.records;
        self.errors += part.errors;
        for time in [part.first, part.last].into_iter().flatten() {
            self.widen(time);
        }
        self.ids.extend(&part.ids);
        self.renumbered |= part.renumbered;
        if let Some((low, high)) = part.event_ids {
            self.note_event_id(low);
            self.note_event_id(high);
        }
    }

    /// Widens the range of `EventRecordID`s read with one (id, time).
    fn note_event_id(&mut self, at: (u64, Timestamp)) {
        self.event_ids = Some(match self.event_ids {
            None => (at, at),
            Some((low, high)) => (low.min(at), high.max(at)),
        });
    }

    /// Counts record `id` and widens the covered span with its write time.
    pub(crate) fn note(&mut self, id: u64, time: Option<Timestamp>) {
        self.records += 1;
        self.ids.note(id, time.filter(|t| *t > UNSET_TIME));
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
        self.renumbered |= event.record_id != event.header_record_id;
        self.note_event_id((event.record_id, event.time));
        if self.channel.is_none() && !event.channel.is_empty() {
            self.channel = Some(event.channel.to_string());
        }
        if !event.channel.is_empty() {
            ChannelSpan::add(
                &mut self.channels,
                &event.channel,
                1,
                event.time,
                event.time,
            );
        }
        sink(event);
    }

    pub(crate) fn widen(&mut self, t: Timestamp) {
        if t > UNSET_TIME {
            self.first = Some(self.first.map_or(t, |f| f.min(t)));
            self.last = Some(self.last.map_or(t, |l| l.max(t)));
        }
    }

    pub(crate) fn warn(&mut self, offset: Option<u64>, message: String) {
        self.errors += 1;
        self.warnings.push(ReadWarning { offset, message });
    }

    pub(crate) fn error(&mut self, e: &RawError) {
        self.errors += 1;
        self.warnings.push(ReadWarning {
            offset: error_offset(e),
            message: error_chain(e),
        });
    }
}

/// Renders the records of a chunk with the `evtx` crate and hands each event, trimmed to the
/// fields `filter` keeps, to `take`: every record of a chunk the scan could not read (`only:
/// None`; they are counted here), or only those at the given offsets (sorted), which the direct
/// reader declined.
pub(crate) fn render_chunk(
    data: &mut EvtxChunkData,
    settings: &Arc<ParserSettings>,
    filter: &EventIdFilter,
    summary: &mut LogSummary,
    only: Option<&[u64]>,
    cache: &mut Cache,
    mut take: impl FnMut(&mut LogSummary, RecordKey, Event),
) {
    let number = data.number;
    // A whole chunk the raw scan declined: its records are read as in an undamaged one. The
    // records at `only` were declined by the direct reader already: rendered, not read again.
    let whole = only.is_none();
    if whole {
        // Template offsets are relative to this chunk.
        cache.start_chunk();
    }
    let mut chunk = match data.parse(settings.clone()) {
        Ok(chunk) => chunk,
        Err(e) => {
            summary.error(&RawError::FailedToParseChunk {
                chunk_id: number.unwrap_or(0),
                source: Box::new(e),
            });
            return;
        }
    };
    for record in chunk.iter() {
        let record = match record {
            Ok(record) => record,
            Err(e) => {
                summary.error(&e);
                continue;
            }
        };
        let time = record.timestamp;
        match only {
            Some(offsets) => {
                let offset = record.binxml_offset.saturating_sub(24);
                if offsets.binary_search(&offset).is_err() {
                    continue;
                }
            }
            None => summary.note(record.event_record_id, Some(time)),
        }
        let (record_id, recovered) = (record.event_record_id, record.recovered);
        let start = record.binxml_offset.saturating_sub(24) as usize;
        let end = record.binxml_offset as usize + record.binxml_size as usize + 4;
        let key = record.chunk.data.get(start..end).map(record_key);
        // The crate found the record; what is in it is read as in an undamaged chunk: not at
        // all when its EventID is not wanted, straight from its values when the direct reader
        // can. Only what it declines is rendered (the crate's JSON costs ~10 µs a record).
        if let Some(key) = key.filter(|_| whole) {
            let (data, binxml) = (record.chunk.data, record.binxml_offset as usize);
            if templated_event_id(data, binxml, end - 4).is_some_and(|id| !filter.contains(id)) {
                continue;
            }
            if let Some(mut event) = read_record(data, start, end - start, cache) {
                filter.trim(&mut event);
                event.recovered = recovered;
                take(summary, key, event);
                continue;
            }
        }
        match record.into_json_value() {
            Ok(rendered) => {
                if let Some(mut event) =
                    Event::from_json(record_id, time, recovered, &rendered.data)
                {
                    filter.trim(&mut event);
                    // Bounds the crate accepted but we cannot slice: key by the rendering.
                    let key = key.unwrap_or_else(|| RecordKey {
                        record_id,
                        filetime: 0,
                        digest: digest(rendered.data.to_string().as_bytes()),
                    });
                    take(summary, key, event);
                }
            }
            Err(e) => summary.error(&e),
        }
    }
}

/// Reads the chunk at `offset` again, opening the file (read-only) on first use.
fn read_chunk(
    file: &mut Option<konseki_source::Reader>,
    path: &Path,
    offset: u64,
    buffer: &mut [u8],
) -> std::io::Result<()> {
    let file = match file {
        Some(file) => file,
        None => file.insert(konseki_source::open(path)?),
    };
    file.seek(SeekFrom::Start(offset))?;
    file.read_exact(buffer)
}

/// The `evtx` crate's settings for parsing on the calling thread: konseki itself runs logs, and
/// parts of a large log, in parallel.
pub(crate) fn one_thread() -> Arc<ParserSettings> {
    Arc::new(ParserSettings::new().num_threads(1))
}

/// The channel of the first readable record: says what a log is when none of its events matched.
/// Only the first chunk that parses is read. Opened as `index_log` opens a log (read-only, no
/// `EvtxParser::from_path`, which canonicalises the path first).
fn first_channel(path: &Path) -> Option<String> {
    let settings = one_thread();
    let mut parser = EvtxParser::from_read_seek(konseki_source::open(path).ok()?).ok()?;
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
