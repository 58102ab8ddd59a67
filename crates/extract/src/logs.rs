//! Reading every event log of a collection, each record once.
//!
//! A collection often holds one log several times: the live `System.evtx` beside its copy from a
//! volume shadow copy, or two collections of one machine side by side. Read naively, every
//! service event and run would be counted once per copy ("executed ×2" for one start). So the
//! logs are read in two passes ([`konseki_evtx::index_log`], then
//! [`konseki_evtx::LogIndex::read_part`]): the first indexes every log in parallel, then each
//! record (same id, write time and bytes: [`konseki_evtx::RecordKey`]) is given to the first
//! log, in path order, that holds it; the second reads, again in parallel, only the records
//! each log owns (a large log in one part per core). A record only a shadow copy still holds
//! (cleared from the live log) is kept, cited to that copy. Each log's coverage says how many of
//! its records were counted in another file.
//!
//! The two passes also keep memory low: between them a scan holds some forty bytes per wanted
//! record, not the records.

use std::cmp::Reverse;
use std::collections::hash_map::Entry;
use std::collections::{BTreeSet, HashMap};
use std::hash::BuildHasherDefault;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;

use konseki_evtx::{
    index_log, EventIdFilter, LogIndex, LogSummary, RecordKey, RecordKeyHasher, RecordRun,
    RecordRuns,
};
use konseki_model::{
    BootMarker, ChannelRecords, ClockStep, LogCoverage, ProcessEvent, RecordRange, RegistryEvent,
    ScmEvent, TaskEvent, Warning,
};

use crate::progress::Progress;
use crate::service_events::{self, classify, push_per_driver};
use crate::shared_text::SharedText;

/// What one event log yields: its coverage, and its events in one batch per part read (a large
/// log is read on several cores).
pub(crate) struct LogResult {
    pub coverage: LogCoverage,
    pub parts: Vec<LogEvents>,
    pub warnings: Vec<Warning>,
}

/// The events of one part of a log, by kind.
#[derive(Default)]
pub(crate) struct LogEvents {
    pub events: Vec<ScmEvent>,
    pub markers: Vec<BootMarker>,
    pub processes: Vec<ProcessEvent>,
    pub task_events: Vec<TaskEvent>,
    pub registry_events: Vec<RegistryEvent>,
    pub clock_steps: Vec<ClockStep>,
}

impl LogEvents {
    fn take(&mut self, extracted: Option<service_events::Extracted>) {
        match extracted {
            Some(service_events::Extracted::Service(e)) => push_per_driver(&mut self.events, e),
            Some(service_events::Extracted::Marker(m)) => self.markers.push(m),
            Some(service_events::Extracted::Process(p)) => self.processes.push(p),
            Some(service_events::Extracted::Task(t)) => self.task_events.push(t),
            Some(service_events::Extracted::Registry(r)) => self.registry_events.push(r),
            Some(service_events::Extracted::Clock(c)) => self.clock_steps.push(c),
            None => {}
        }
    }
}

/// Records a log must hold before its second pass is split across cores: below this, the
/// parts' own caches and buffers cost more than they save.
const RECORDS_PER_PART: usize = 32_768;

/// Which of a log's indexed records it reads, and where the others were counted.
struct Ownership {
    owned: Vec<bool>,
    /// How many records are owned (to be read in the second pass).
    to_read: usize,
    duplicates: u64,
    counted_in: BTreeSet<usize>,
}

/// Reads the logs at `paths` (in this order of precedence for records held twice).
pub(crate) fn read_logs(
    paths: &[&Path],
    filter: &EventIdFilter,
    progress: &dyn Progress,
) -> Vec<Result<LogResult, Warning>> {
    let sized = paths
        .iter()
        .map(|path| (*path, crate::discover::file_size(path)))
        .collect();
    let indexes = largest_first(
        sized,
        |&(_, size)| size,
        |(path, size)| {
            let index = index_log(path, filter).map_err(|e| Warning {
                file: path.to_path_buf(),
                offset: None,
                message: e.to_string(),
            });
            progress.advance(size, &path.to_string_lossy());
            index
        },
    );
    progress.step("logs indexed (first pass)");
    let ownership = assign_records(&indexes);
    progress.step("records assigned to logs");
    let jobs = indexes.into_iter().zip(ownership).collect();
    let results = largest_first(
        jobs,
        |(_, ownership)| ownership.to_read as u64,
        |(index, ownership)| index.map(|index| read_log(index, ownership, filter, paths)),
    );
    progress.step("wanted records read (second pass)");
    results
}

/// `job` of every item, on all cores, the largest items (by `size`) first; the results in the
/// items' order (which decides which copy of a record counts). The last job to finish sets the
/// time, so the largest start first, and they are handed out one at a time (`par_bridge`): a
/// core that is free takes the largest left. `into_par_iter` halves the list up front, and one
/// core read the three largest logs of corpus/evtx in turn while the other, done with all the
/// small ones, waited (second pass 22 ms where 15 would do).
fn largest_first<T: Send, R: Send>(
    items: Vec<T>,
    size: impl Fn(&T) -> u64,
    job: impl Fn(T) -> R + Sync + Send,
) -> Vec<R> {
    let mut items: Vec<(usize, T)> = items.into_iter().enumerate().collect();
    items.sort_by_key(|(_, item)| Reverse(size(item)));
    let mut results: Vec<(usize, R)> = items
        .into_iter()
        .par_bridge()
        .map(|(i, item)| (i, job(item)))
        .collect();
    results.sort_by_key(|&(i, _)| i);
    results.into_iter().map(|(_, result)| result).collect()
}

/// Gives each record to the first log that holds it (and, within a log, to its first copy: a
/// damaged log can repeat a chunk).
///
/// The keys are cut into one shard per core by bits of their digest (not the low bits the map
/// uses for its buckets), each shard's map filled on its own core: on 1 GB of logs this map
/// holds 660,000 keys and was an eighth of the scan on one core.
fn assign_records<E: Sync>(indexes: &[Result<LogIndex, E>]) -> Vec<Ownership> {
    let total: usize = indexes.iter().flatten().map(LogIndex::len).sum();
    let shards = rayon::current_num_threads().max(1) as u64;
    // Per shard, the records held before: (log, position in its keys, first log holding it).
    // Positions and log numbers fit in u32: 2^32 records take over 100 GB of log.
    let copies: Vec<Vec<(u32, u32, u32)>> = (0..shards)
        .into_par_iter()
        .map(|shard| {
            let mut first_log: HashMap<RecordKey, u32, BuildHasherDefault<RecordKeyHasher>> =
                HashMap::with_capacity_and_hasher(
                    total / shards as usize + 1,
                    BuildHasherDefault::default(),
                );
            let mut copies = Vec::new();
            for (log, index) in indexes.iter().enumerate() {
                for (i, key) in index.iter().flat_map(LogIndex::keys).enumerate() {
                    if (key.digest >> 32) % shards != shard {
                        continue;
                    }
                    match first_log.entry(key) {
                        Entry::Vacant(slot) => {
                            slot.insert(log as u32);
                        }
                        Entry::Occupied(first) => copies.push((log as u32, i as u32, *first.get())),
                    }
                }
            }
            copies
        })
        .collect();
    let mut all: Vec<Ownership> = indexes
        .iter()
        .map(|index| {
            let len = index.as_ref().map_or(0, LogIndex::len);
            Ownership {
                owned: vec![true; len],
                to_read: len,
                duplicates: 0,
                counted_in: BTreeSet::new(),
            }
        })
        .collect();
    for (log, i, first) in copies.into_iter().flatten() {
        let ownership = &mut all[log as usize];
        ownership.owned[i as usize] = false;
        ownership.to_read -= 1;
        ownership.duplicates += 1;
        if first != log {
            ownership.counted_in.insert(first as usize);
        }
    }
    all
}

/// Runs of consecutive record ids listed for a log with gaps.
const LISTED_RUNS: usize = 20;

fn range(run: &RecordRun) -> RecordRange {
    RecordRange {
        first_id: run.first_id,
        last_id: run.last_id,
        records: run.records,
        first_time: run.first_time,
        last_time: run.last_time,
    }
}

/// What a log's record ids say of its extent and gaps.
struct IdExtent {
    record_ids: Option<RecordRange>,
    missing: u64,
    runs: Vec<RecordRange>,
    not_listed: u64,
}

impl IdExtent {
    fn of(summary: &LogSummary) -> IdExtent {
        if summary.renumbered {
            // An exported copy: its header ids run 1..N, the original ids are in EventRecordID.
            // Only the wanted records' are read, so the gaps are a lower bound and unplaced.
            let record_ids =
                summary
                    .event_ids
                    .map(|((low, at_low), (high, at_high))| RecordRange {
                        first_id: low,
                        last_id: high,
                        records: summary.records,
                        first_time: Some(at_low),
                        last_time: Some(at_high),
                    });
            let missing = record_ids.map_or(0, |r| {
                (r.last_id - r.first_id + 1).saturating_sub(summary.records)
            });
            return IdExtent {
                record_ids,
                missing,
                runs: Vec::new(),
                not_listed: 0,
            };
        }
        let ids = &summary.ids;
        let runs = listed_runs(ids);
        IdExtent {
            record_ids: record_ids(ids),
            missing: ids.missing(),
            not_listed: if runs.is_empty() {
                0
            } else {
                (ids.runs().len() - runs.len()) as u64
            },
            runs,
        }
    }
}

/// The whole id range: the oldest record to the newest.
fn record_ids(ids: &RecordRuns) -> Option<RecordRange> {
    let (first, last) = (ids.runs().first()?, ids.runs().last()?);
    Some(RecordRange {
        first_id: first.first_id,
        last_id: last.last_id,
        records: ids.runs().iter().map(|r| r.records).sum(),
        first_time: first.first_time,
        last_time: last.last_time,
    })
}

/// For a log with gaps, its largest runs in id order.
fn listed_runs(ids: &RecordRuns) -> Vec<RecordRange> {
    if ids.missing() == 0 {
        return Vec::new();
    }
    let mut runs: Vec<&RecordRun> = ids.runs().iter().collect();
    runs.sort_by_key(|r| std::cmp::Reverse(r.records));
    runs.truncate(LISTED_RUNS);
    runs.sort_by_key(|r| r.first_id);
    runs.into_iter().map(range).collect()
}

fn read_log(
    index: LogIndex,
    ownership: Ownership,
    filter: &EventIdFilter,
    paths: &[&Path],
) -> LogResult {
    let path = index.summary().path.clone();
    let file: Arc<Path> = Arc::from(path.as_path());
    let owned = &ownership.owned;
    let keep = |i: usize| owned[i];
    let parts = index.len() / RECORDS_PER_PART + 1;
    let read_part = |range: Range<usize>| {
        // Process and SCM events sized for the most the part can give: pages never written cost no
        // memory, while a vector grown by doubling is copied as it grows (measured: 97 → 73 MB
        // peak on a 365 MB Security log of 250,000 process starts).
        let most = index.records_in(range.clone());
        let mut part = LogEvents {
            processes: Vec::with_capacity(most),
            events: Vec::with_capacity(most),
            ..LogEvents::default()
        };
        let mut text = SharedText::default();
        let summary = index.read_part(range, &keep, filter, |event| {
            part.take(classify(&file, event, &mut text))
        });
        // Give back what was not used before the scan holds them to the end.
        part.processes.shrink_to_fit();
        part.events.shrink_to_fit();
        part.markers.shrink_to_fit();
        (summary, part)
    };
    let (summaries, parts): (Vec<_>, Vec<_>) = if parts == 1 {
        index.parts(1).into_iter().map(read_part).unzip()
    } else {
        // One part per core, no more: the parts' events are copied into one vector afterwards,
        // and each part more is more of them held twice while that happens.
        let threads = rayon::current_num_threads();
        index
            .parts(parts.min(threads))
            .into_par_iter()
            .map(read_part)
            .unzip()
    };
    let summary = index.finish(summaries);
    let warnings = summary
        .warnings
        .iter()
        .map(|w| Warning {
            file: path.clone(),
            offset: w.offset,
            message: format!("unreadable record or chunk skipped: {}", w.message),
        })
        .collect();
    let coverage = coverage_of(path, summary, ownership, paths);
    LogResult {
        coverage,
        parts,
        warnings,
    }
}

/// What a log covers: records, ids and their gaps, channels, span, records held elsewhere.
fn coverage_of(
    path: PathBuf,
    summary: LogSummary,
    ownership: Ownership,
    paths: &[&Path],
) -> LogCoverage {
    let id_extent = IdExtent::of(&summary);
    LogCoverage {
        file: path,
        record_ids: id_extent.record_ids,
        missing_records: id_extent.missing,
        runs: id_extent.runs,
        runs_not_listed: id_extent.not_listed,
        exported_copy: summary.renumbered,
        channel: summary.channel,
        // Listed only for a file of several channels (a single log's one channel is `channel`).
        channels: if summary.channels.len() > 1 {
            summary
                .channels
                .into_iter()
                .map(|c| ChannelRecords {
                    channel: c.name,
                    records: c.records,
                    first: c.first,
                    last: c.last,
                })
                .collect()
        } else {
            Vec::new()
        },
        records: summary.records,
        unreadable: summary.errors,
        header_chunk_count: summary.header_chunk_count,
        dirty: summary.dirty,
        first: summary.first,
        last: summary.last,
        duplicates: ownership.duplicates,
        duplicates_counted_in: ownership
            .counted_in
            .into_iter()
            .map(|i| PathBuf::from(paths[i]))
            .collect(),
    }
}
