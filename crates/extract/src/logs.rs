//! Reading every event log of a collection, each record once.
//!
//! A collection often holds one log several times: the live `System.evtx` beside its copy from a
//! volume shadow copy, or two collections of one machine side by side. Read naively, every
//! service event and run would be counted once per copy ("executed ×2" for one start). So the
//! logs are read in two passes ([`konseki_evtx::index_log`], then
//! [`konseki_evtx::read_indexed`]): the first indexes every log in parallel, then each record
//! (same id, write time and bytes: [`konseki_evtx::RecordKey`]) is given to the first log, in
//! path order, that holds it; the second reads, again in parallel, only the records each log
//! owns. A record only a shadow copy still holds (cleared from the live log) is kept, cited to
//! that copy. Each log's coverage says how many of its records were counted in another file.
//!
//! The two passes also keep memory low: between them a scan holds some forty bytes per wanted
//! record, not the records.

use std::collections::hash_map::Entry;
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;

use konseki_evtx::{index_log, read_indexed, EventIdFilter, LogIndex, RecordKey};
use konseki_model::{
    BootMarker, LogCoverage, ProcessEvent, RegistryEvent, ScmEvent, TaskEvent, Warning,
};

use crate::progress::Progress;
use crate::service_events::{self, classify, split_drivers};
use crate::shared_text::SharedText;

/// What one event log yields.
pub(crate) struct LogResult {
    pub coverage: LogCoverage,
    pub events: Vec<ScmEvent>,
    pub markers: Vec<BootMarker>,
    pub processes: Vec<ProcessEvent>,
    pub task_events: Vec<TaskEvent>,
    pub registry_events: Vec<RegistryEvent>,
    pub warnings: Vec<Warning>,
}

/// Which of a log's indexed records it reads, and where the others were counted.
struct Ownership {
    owned: Vec<bool>,
    duplicates: u64,
    counted_in: BTreeSet<usize>,
}

/// Reads the logs at `paths` (in this order of precedence for records held twice).
pub(crate) fn read_logs(
    paths: &[&Path],
    filter: &EventIdFilter,
    progress: &dyn Progress,
) -> Vec<Result<LogResult, Warning>> {
    let indexes: Vec<_> = paths
        .par_iter()
        .map(|path| {
            let index = index_log(path, filter).map_err(|e| Warning {
                file: path.to_path_buf(),
                offset: None,
                message: e.to_string(),
            });
            let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
            progress.advance(size, &path.to_string_lossy());
            index
        })
        .collect();
    let ownership = assign_records(&indexes);
    indexes
        .into_par_iter()
        .zip(ownership)
        .map(|(index, ownership)| Ok(read_log(index?, ownership, filter, paths)))
        .collect()
}

/// Gives each record to the first log that holds it (and, within a log, to its first copy: a
/// damaged log can repeat a chunk).
fn assign_records<E>(indexes: &[Result<LogIndex, E>]) -> Vec<Ownership> {
    let total = indexes.iter().flatten().map(LogIndex::len).sum();
    let mut first_log: HashMap<RecordKey, usize> = HashMap::with_capacity(total);
    let mut all = Vec::with_capacity(indexes.len());
    for (log, index) in indexes.iter().enumerate() {
        let mut ownership = Ownership {
            owned: Vec::new(),
            duplicates: 0,
            counted_in: BTreeSet::new(),
        };
        for key in index.iter().flat_map(LogIndex::keys) {
            let owned = match first_log.entry(key) {
                Entry::Vacant(slot) => {
                    slot.insert(log);
                    true
                }
                Entry::Occupied(first) => {
                    if *first.get() != log {
                        ownership.counted_in.insert(*first.get());
                    }
                    ownership.duplicates += 1;
                    false
                }
            };
            ownership.owned.push(owned);
        }
        all.push(ownership);
    }
    all
}

fn read_log(
    index: LogIndex,
    ownership: Ownership,
    filter: &EventIdFilter,
    paths: &[&Path],
) -> LogResult {
    let mut events = Vec::new();
    let mut markers = Vec::new();
    let mut processes = Vec::new();
    let mut task_events = Vec::new();
    let mut registry_events = Vec::new();
    let path = index.summary().path.clone();
    let file: Arc<Path> = Arc::from(path.as_path());
    let mut text = SharedText::default();
    let owned = &ownership.owned;
    let summary = read_indexed(
        index,
        |i| owned[i],
        filter,
        |event| match classify(&file, event, &mut text) {
            Some(service_events::Extracted::Service(e)) => events.extend(split_drivers(e)),
            Some(service_events::Extracted::Marker(m)) => markers.push(m),
            Some(service_events::Extracted::Process(p)) => processes.push(p),
            Some(service_events::Extracted::Task(t)) => task_events.push(t),
            Some(service_events::Extracted::Registry(r)) => registry_events.push(r),
            None => {}
        },
    );
    let warnings = summary
        .warnings
        .iter()
        .map(|w| Warning {
            file: path.clone(),
            offset: w.offset,
            message: format!("unreadable record or chunk skipped: {}", w.message),
        })
        .collect();
    let coverage = LogCoverage {
        file: path,
        channel: summary.channel,
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
    };
    LogResult {
        coverage,
        events,
        markers,
        processes,
        task_events,
        registry_events,
        warnings,
    }
}
