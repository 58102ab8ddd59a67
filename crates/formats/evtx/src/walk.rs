//! The first pass's walk over a log's chunks, read straight from the file.
//!
//! Chunks are independent, so a large log is read in parts on several cores (a single
//! Security.evtx of gigabytes is common), each part a read per chunk, in sequence. The chunks
//! are then put in the order the `evtx` crate iterates them, which is the order Windows reads a
//! log: from the chunk whose header names the lowest record id to the end of the file, then from
//! its start (a full log writes over its oldest chunk). What a chunk says follows the crate too:
//! an all-zero chunk is skipped, a header that does not parse is a damaged chunk, the chunk count
//! is the file's length over 64 KiB, not the header's.

use std::io::{Read, Seek, SeekFrom};
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use evtx::err::{ChunkError, EvtxError as RawError};
use evtx::{EvtxChunkData, EvtxChunkHeader, ParserSettings};
use rayon::prelude::*;

use crate::direct::{record_time, Cache};
use crate::event::Event;
use crate::reader::{
    one_thread, record_key, render_chunk, Candidate, EventIdFilter, IndexedChunk, LogSummary,
    RecordKey, CHUNK_SIZE, FILE_HEADER_SIZE,
};
use crate::scan::scan_chunk;
use konseki_bytes::filetime;

/// A log of fewer chunks (16 MiB) is read on one core: konseki already reads logs in parallel.
const CHUNKS_PER_CORE: u64 = 256;

/// What the walk found, in record order.
pub(crate) struct Walked {
    pub chunks: Vec<IndexedChunk>,
    pub candidates: Vec<Candidate>,
    pub early: Vec<(RecordKey, Event)>,
}

/// Walks the `chunk_count` chunks of `path`, counting records into `summary` and noting the
/// wanted ones (`filter`).
pub(crate) fn walk(
    path: &Path,
    chunk_count: u64,
    filter: &EventIdFilter,
    summary: &mut LogSummary,
) -> Walked {
    let cores = rayon::current_num_threads() as u64;
    let parts = (chunk_count / CHUNKS_PER_CORE).clamp(1, cores.max(1));
    walk_in_parts(path, chunk_count, parts, filter, summary)
}

/// [`walk`], in `parts` parts.
fn walk_in_parts(
    path: &Path,
    chunk_count: u64,
    parts: u64,
    filter: &EventIdFilter,
    summary: &mut LogSummary,
) -> Walked {
    let per_part = chunk_count.div_ceil(parts.max(1)).max(1);
    let ranges: Vec<Range<u64>> = (0..parts)
        .map(|p| p * per_part..((p + 1) * per_part).min(chunk_count))
        .filter(|r| !r.is_empty())
        .collect();
    let log = &*summary;
    let parts: Vec<Part> = ranges
        .into_par_iter()
        .map(|range| read_part(path, range, filter, log))
        .collect();
    in_record_order(parts, summary)
}

/// One part's chunks, in file order.
struct Part {
    summary: LogSummary,
    chunks: Vec<Scanned>,
    candidates: Vec<Candidate>,
    early: Vec<Option<(RecordKey, Event)>>,
    /// The lowest record id a chunk header of the part names, and that chunk.
    oldest: Option<(u64, u64)>,
}

/// A chunk that holds wanted records or damage.
struct Scanned {
    number: u64,
    candidates: Range<usize>,
    early: Range<usize>,
    warnings: Range<usize>,
}

fn read_part(path: &Path, range: Range<u64>, filter: &EventIdFilter, log: &LogSummary) -> Part {
    let mut part = Part {
        summary: LogSummary::empty(log.path.clone(), log.header_chunk_count, log.dirty),
        chunks: Vec::new(),
        candidates: Vec::new(),
        early: Vec::new(),
        oldest: None,
    };
    let start = FILE_HEADER_SIZE + range.start * CHUNK_SIZE;
    let mut file = match konseki_source::open(path)
        .and_then(|mut f| f.seek(SeekFrom::Start(start)).map(|_| f))
    {
        Ok(file) => file,
        Err(e) => {
            part.summary
                .warn(Some(start), format!("chunks could not be read: {e}"));
            part.chunks.push(Scanned {
                number: range.start,
                candidates: 0..0,
                early: 0..0,
                warnings: 0..1,
            });
            return part;
        }
    };
    let settings = one_thread();
    let mut cache = Cache::default();
    let mut chunk = vec![0u8; CHUNK_SIZE as usize];
    let mut number = range.start;
    // One read per chunk, in sequence: measured faster than reading several at once, which
    // leaves each chunk out of the cache by the time it is scanned.
    // A read that fails or comes short ends the part like the end of the file.
    while number < range.end && file.read_exact(&mut chunk).is_ok() {
        let warnings = part.summary.warnings.len();
        let (candidates, early) = (part.candidates.len(), part.early.len());
        scan(&chunk, number, filter, &settings, &mut cache, &mut part);
        let scanned = Scanned {
            number,
            candidates: candidates..part.candidates.len(),
            early: early..part.early.len(),
            warnings: warnings..part.summary.warnings.len(),
        };
        if !(scanned.candidates.is_empty()
            && scanned.early.is_empty()
            && scanned.warnings.is_empty())
        {
            part.chunks.push(scanned);
        }
        number += 1;
    }
    // A file that shrank while it was read: each chunk it no longer holds, as the crate
    // reports them.
    for missing in number..range.end {
        let warnings = part.summary.warnings.len();
        part.summary.error(&RawError::FailedToParseChunk {
            chunk_id: missing,
            source: Box::new(ChunkError::IncompleteChunk),
        });
        part.chunks.push(Scanned {
            number: missing,
            candidates: 0..0,
            early: 0..0,
            warnings: warnings..part.summary.warnings.len(),
        });
    }
    part
}

/// One chunk: its records counted, its wanted ones noted (read whole by the crate when the raw
/// scan finds it damaged).
fn scan(
    chunk: &[u8],
    number: u64,
    filter: &EventIdFilter,
    settings: &Arc<ParserSettings>,
    cache: &mut Cache,
    part: &mut Part,
) {
    // A chunk starts with its magic; a zeroed one (free space in a dirty file) is skipped.
    if chunk[..8] == [0; 8] && chunk.iter().fold(0, |any, &b| any | b) == 0 {
        return;
    }
    let header = match EvtxChunkHeader::from_bytes(chunk) {
        Ok(header) => header,
        Err(e) => {
            part.summary.error(&RawError::FailedToParseChunk {
                chunk_id: number,
                source: Box::new(ChunkError::FailedToParseChunkHeader(e)),
            });
            return;
        }
    };
    if header.first_event_record_id <= header.last_event_record_id {
        let here = (header.first_event_record_id, number);
        part.oldest = Some(part.oldest.map_or(here, |o| o.min(here)));
    }
    match scan_chunk(chunk, header.free_space_offset) {
        Some(records) => {
            cache.start_chunk();
            for r in records {
                part.summary.note(r.record_id, filetime(r.filetime));
                if r.event_id.is_some_and(|id| !filter.contains(id)) {
                    continue;
                }
                let (offset, size) = (r.offset as usize, r.size as usize);
                // A wanted event widens the span by its own time (see `LogSummary::keep`).
                if r.event_id.is_some() {
                    if let Some(time) = record_time(chunk, offset, size, cache) {
                        part.summary.widen(time);
                    }
                }
                part.candidates.push(Candidate {
                    key: record_key(&chunk[offset..offset + size]),
                    offset: r.offset,
                    size: r.size,
                });
            }
        }
        None => match EvtxChunkData::new(chunk.to_vec(), false) {
            Ok(mut data) => {
                data.number = Some(number);
                let early = &mut part.early;
                render_chunk(
                    &mut data,
                    settings,
                    filter,
                    &mut part.summary,
                    None,
                    cache,
                    |_, key, event| {
                        if filter.contains(event.event_id) {
                            early.push(Some((key, event)));
                        }
                    },
                );
            }
            Err(e) => part.summary.error(&RawError::FailedToParseChunk {
                chunk_id: number,
                source: Box::new(e),
            }),
        },
    }
}

/// The parts' chunks from the oldest (the lowest record id a header names; the first chunk
/// when none does) to the end of the file, then from its start: the crate's order.
fn in_record_order(mut parts: Vec<Part>, summary: &mut LogSummary) -> Walked {
    let oldest = parts
        .iter()
        .filter_map(|p| p.oldest)
        .min()
        .map_or(0, |(_, number)| number);
    let mut order: Vec<(usize, usize)> = Vec::new();
    for (p, part) in parts.iter().enumerate() {
        order.extend((0..part.chunks.len()).map(|c| (p, c)));
    }
    let wrap = order
        .iter()
        .position(|&(p, c)| parts[p].chunks[c].number >= oldest)
        .unwrap_or(order.len());
    order.rotate_left(wrap);

    let mut walked = Walked {
        chunks: Vec::new(),
        candidates: Vec::new(),
        early: Vec::new(),
    };
    for part in &parts {
        summary.add_counts(&part.summary);
    }
    for (p, c) in order {
        let part = &mut parts[p];
        let scanned = &part.chunks[c];
        summary.warnings.extend(
            part.summary.warnings[scanned.warnings.clone()]
                .iter()
                .cloned(),
        );
        let (candidates, early) = (walked.candidates.len(), walked.early.len());
        walked
            .candidates
            .extend_from_slice(&part.candidates[scanned.candidates.clone()]);
        walked.early.extend(
            part.early[scanned.early.clone()]
                .iter_mut()
                .filter_map(Option::take),
        );
        let chunk = IndexedChunk {
            number: scanned.number,
            candidates: candidates..walked.candidates.len(),
            early: early..walked.early.len(),
        };
        if chunk.records() > 0 {
            walked.chunks.push(chunk);
        }
    }
    walked
}

#[cfg(test)]
mod tests {
    use evtx::EvtxParser;

    use super::*;

    /// A walk's outcome, comparable: the summary, and each indexed chunk with its records' keys.
    type Outcome = (LogSummary, Vec<(u64, Vec<RecordKey>, Vec<RecordKey>)>);

    fn walked(path: &Path, chunk_count: u64, parts: u64, filter: &EventIdFilter) -> Outcome {
        let mut summary = LogSummary::empty(path.to_path_buf(), 0, false);
        let walked = walk_in_parts(path, chunk_count, parts, filter, &mut summary);
        let chunks = walked
            .chunks
            .iter()
            .map(|c| {
                let candidates = walked.candidates[c.candidates.clone()].iter();
                let early = walked.early[c.early.clone()].iter();
                (
                    c.number,
                    candidates.map(|c| c.key).collect(),
                    early.map(|(key, _)| *key).collect(),
                )
            })
            .collect();
        (summary, chunks)
    }

    /// However a log is cut into parts, the walk gives the same records, warnings and span, its
    /// chunks in the order the `evtx` crate iterates them: on a log that wrapped around (its
    /// oldest chunk is its ninth, and two of its chunks are damaged), on dirty logs and on a
    /// clean one.
    #[test]
    fn parts_give_the_whole_in_the_crates_order() {
        let logs = [
            "evtx/corrupt/sample_with_a_bad_chunk_magic.evtx",
            "evtx/corrupt/sample-with-zero-data-size-event.evtx",
            "evtx/corrupt/System2.evtx",
            "evtx/APTSimulatorVM-Win10/Security.evtx",
            "evtx/plaso_System.evtx",
        ];
        // Every record wanted: every chunk that holds one is indexed.
        let filter = EventIdFilter::new(0..=u16::MAX);
        let mut wrapped = false;
        for rel in logs {
            let Some(path) = konseki_testutil::corpus(rel) else {
                return;
            };
            let length = std::fs::metadata(&path).unwrap().len();
            let count = length.saturating_sub(FILE_HEADER_SIZE) / CHUNK_SIZE;
            let whole = walked(&path, count, 1, &filter);
            assert!(whole.0.records > 0, "{rel}");
            for parts in [2, 3, 5, count] {
                assert_eq!(
                    walked(&path, count, parts, &filter),
                    whole,
                    "{rel} in {parts}"
                );
            }
            let crate_order: Vec<u64> = EvtxParser::from_path(&path)
                .unwrap()
                .chunks()
                .filter_map(|c| c.ok()?.number)
                .collect();
            let ours: Vec<u64> = whole.1.iter().map(|c| c.0).collect();
            let mut theirs = crate_order.iter();
            assert!(
                ours.iter().all(|n| theirs.any(|m| m == n)),
                "{rel}: {ours:?} not in the crate's order {crate_order:?}"
            );
            wrapped |= ours.first().is_some_and(|&first| first > 0);
        }
        assert!(wrapped, "no log of the test starts past its first chunk");
    }

    /// Chunks the file no longer holds (it shrank while it was read) are each a warning that
    /// names them, as the crate reports them; what was read stays.
    #[test]
    fn chunks_past_the_end_are_reported_one_by_one() {
        let Some(path) = konseki_testutil::corpus("evtx/APTSimulatorVM-Win10/System.evtx") else {
            return;
        };
        let filter = EventIdFilter::new([7036, 7040, 7045]);
        let count = (std::fs::metadata(&path).unwrap().len() - FILE_HEADER_SIZE) / CHUNK_SIZE;
        let (whole, chunks) = walked(&path, count, 1, &filter);
        for parts in [1, 2] {
            let (longer, longer_chunks) = walked(&path, count + 2, parts, &filter);
            assert_eq!((longer.records, &longer_chunks), (whole.records, &chunks));
            assert_eq!(longer.errors, whole.errors + 2);
            let messages: Vec<&str> = longer.warnings.iter().map(|w| &*w.message).collect();
            assert_eq!(
                messages[messages.len() - 2..],
                [count, count + 1].map(|n| format!(
                    "Failed to parse chunk number {n}: Reached EOF while trying to allocate chunk"
                ))
            );
        }
    }
}
