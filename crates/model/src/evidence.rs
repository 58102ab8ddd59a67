//! What evidence was found, what was expected and missing, and what could not be read.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;

use crate::autostart::{AutostartEntry, RegistryEvent, ScheduledTask, TaskCacheEntry, TaskEvent};
use crate::events::{BootMarker, ClockStep, ProcessEvent, ScmEvent};
use crate::program::{AmcacheEntry, PrefetchEntry, ProgramFile};
use crate::service::{ControlSet, ServiceConfig};
use crate::time::Timestamp;

/// Everything extracted from the evidence, before correlation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Evidence {
    /// What was found and missing.
    pub inventory: Inventory,
    /// Hives opened.
    pub hives: Vec<HiveState>,
    /// Event log coverage.
    pub logs: Vec<LogCoverage>,
    /// Control sets of the SYSTEM hive(s).
    pub control_sets: Vec<ControlSet>,
    /// Service configurations, per control set.
    pub services: Vec<ServiceConfig>,
    /// Service lifecycle events, one vector per log (or part of a log), in the order read,
    /// each tied to its service key (`link` says how); correlation groups them by service.
    pub events: Vec<Vec<ScmEvent>>,
    /// Boot, shutdown and log-cleared markers, sorted by time.
    pub markers: Vec<BootMarker>,
    /// Changes of the system clock (Kernel-General 1), in record order.
    pub clock_steps: Vec<ClockStep>,
    /// Files from $MFT(s).
    pub files: Vec<FileEntry>,
    /// Process starts and ends (Security 4688/4689, Sysmon 1/5), sorted by time.
    pub processes: Vec<ProcessEvent>,
    /// Registry changes logged by Sysmon (12/13/14), by time.
    pub registry_events: Vec<RegistryEvent>,
    /// Scheduled task definitions found on disk.
    pub tasks: Vec<ScheduledTask>,
    /// Tasks registered in the SOFTWARE hive's `Schedule\TaskCache`.
    pub task_cache: Vec<TaskCacheEntry>,
    /// Task events (Security 4698-4702, TaskScheduler 106/140/141/200/201/129), by time.
    pub task_events: Vec<TaskEvent>,
    /// Autostart entries other than services (Run keys, Winlogon, IFEO…).
    pub autostarts: Vec<AutostartEntry>,
    /// Amcache.hve file entries: program files Windows inventoried.
    pub amcache: Vec<AmcacheEntry>,
    /// Prefetch files: programs' recorded runs.
    pub prefetch: Vec<PrefetchEntry>,
    /// Service programs (ImagePath, ServiceDll) found in the evidence and checked.
    pub programs: Vec<ProgramFile>,
    /// %SystemRoot% and the Program Files folders of the evidence (SOFTWARE hive, else Windows'
    /// defaults): a service program outside them is unusual.
    pub standard_roots: Vec<String>,
    /// What could not be read.
    pub warnings: Vec<Warning>,
    /// The collection folder these files were found in; `None` for loose files.
    pub collection: Option<PathBuf>,
    /// Loose files that record no machine, while the other loose files record several: not
    /// tied to any of them.
    pub unattributed: bool,
}

/// Where a fact comes from, precise enough to re-check it by hand. The file is shared (`Arc`):
/// a large log yields hundreds of thousands of facts from one path.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Provenance {
    /// An event record.
    EventRecord {
        /// The log file.
        #[serde(serialize_with = "crate::path_text::one")]
        file: Arc<Path>,
        /// `EventRecordID`.
        record_id: u64,
        /// The event id.
        event_id: u16,
    },
    /// An $MFT entry.
    MftEntry {
        /// The $MFT file.
        #[serde(serialize_with = "crate::path_text::one")]
        file: Arc<Path>,
        /// Entry number.
        entry: u64,
    },
    /// A file in the evidence, as a whole (a program's imports and hashes).
    File {
        /// The file.
        #[serde(serialize_with = "crate::path_text::one")]
        file: Arc<Path>,
    },
    /// A registry key (and value, when one value is meant).
    RegistryKey {
        /// The hive file.
        #[serde(serialize_with = "crate::path_text::one")]
        file: Arc<Path>,
        /// The key and value, boxed: the other kinds, hundreds of thousands in a large case,
        /// need not be as large as two strings (a `Provenance` is 32 bytes, not 64). Written
        /// as two fields of the source, `key` and `value`.
        #[serde(flatten)]
        at: Box<KeyAt>,
    },
}

/// Where in a hive a fact is.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct KeyAt {
    /// Key path inside the hive.
    pub key: String,
    /// The value, when the fact is one value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

impl Provenance {
    /// A registry key of `file` (and one of its values).
    pub fn registry_key(file: Arc<Path>, key: String, value: Option<String>) -> Provenance {
        Provenance::RegistryKey {
            file,
            at: Box::new(KeyAt { key, value }),
        }
    }
}

/// Something that went wrong while reading evidence; the run went on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Warning {
    /// The file concerned.
    #[serde(serialize_with = "crate::path_text::one")]
    pub file: PathBuf,
    /// Byte offset in the file, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
    /// What happened and what it means for the results.
    pub message: String,
}

/// The kinds of artifact konseki recognises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum ArtifactKind {
    /// A registry hive (`regf`).
    Hive,
    /// A registry transaction log (`.LOG1`/`.LOG2`).
    HiveLog,
    /// A Windows XML event log (`ElfFile`).
    EventLog,
    /// An NTFS master file table (`FILE0` records).
    Mft,
    /// A Prefetch file (`SCCA`, or `MAM` compressed).
    Prefetch,
    /// A scheduled task definition (XML, UTF-16 with a byte-order mark, or a legacy `.job`).
    Task,
}

impl ArtifactKind {
    /// Its name, as in JSON.
    pub fn label(self) -> &'static str {
        match self {
            ArtifactKind::Hive => "hive",
            ArtifactKind::HiveLog => "hive_log",
            ArtifactKind::EventLog => "event_log",
            ArtifactKind::Mft => "mft",
            ArtifactKind::Prefetch => "prefetch",
            ArtifactKind::Task => "task",
        }
    }
}

/// An artifact discovered under the scanned path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct FoundArtifact {
    /// Its kind, decided by signature.
    pub kind: ArtifactKind,
    /// The file.
    #[serde(serialize_with = "crate::path_text::one")]
    pub path: PathBuf,
    /// For hives: which hive it is (`SYSTEM`, `SOFTWARE`, …) when the content or name says so.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// For hives: the transaction logs found beside it.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        serialize_with = "crate::path_text::all"
    )]
    pub logs: Vec<PathBuf>,
}

/// An artifact konseki looked for and did not find, and what that costs the analysis.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Missing {
    /// What was expected (e.g. `Security.evtx`).
    pub what: String,
    /// What cannot be known without it.
    pub consequence: String,
}

/// The evidence found under a scanned path.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Inventory {
    /// The paths given to the scan.
    #[serde(serialize_with = "crate::path_text::all")]
    pub roots: Vec<PathBuf>,
    /// Artifacts recognised, by signature.
    pub found: Vec<FoundArtifact>,
    /// Artifacts expected but absent.
    pub missing: Vec<Missing>,
}

/// The state of a hive as opened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct HiveState {
    /// The hive file.
    #[serde(serialize_with = "crate::path_text::one")]
    pub path: PathBuf,
    /// Primary ≠ secondary sequence number.
    pub dirty: bool,
    /// The transaction logs that were offered.
    #[serde(serialize_with = "crate::path_text::all")]
    pub logs: Vec<PathBuf>,
    /// Whether logs were replayed onto it.
    pub logs_replayed: bool,
}

/// What one event log covers: absence of an event outside this span says nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct LogCoverage {
    /// The log file.
    #[serde(serialize_with = "crate::path_text::one")]
    pub file: PathBuf,
    /// Its channel (`System`, `Security`, …) as recorded in its events.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// Records read.
    pub records: u64,
    /// Records or chunks that could not be read.
    pub unreadable: u64,
    /// The header's chunk count; fewer than present when the log is dirty.
    pub header_chunk_count: u16,
    /// The log was not closed cleanly.
    pub dirty: bool,
    /// Earliest record time (event logged).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[serde(serialize_with = "crate::time::seven::option")]
    pub first: Option<Timestamp>,
    /// Latest record time (event logged).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[serde(serialize_with = "crate::time::seven::option")]
    pub last: Option<Timestamp>,
    /// Its oldest and newest record by EventRecordID (Windows numbers a channel's records one
    /// after another), with their write times: the log's extent whatever the clock said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record_ids: Option<RecordRange>,
    /// Record ids missing between the oldest and the newest: the file is a filtered or partial
    /// export, or a partly overwritten log. Absence of an event says less then.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub missing_records: u64,
    /// An exported copy (Event Viewer's "Save selected events", a filtered `wevtutil epl`):
    /// its records are numbered afresh, their original ids are in `EventRecordID`. Its gaps
    /// are counted from the ids of the records konseki reads: a lower bound.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub exported_copy: bool,
    /// When records are missing: the runs of consecutive record ids (the largest by records,
    /// in id order), the spans the log really covers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub runs: Vec<RecordRange>,
    /// Further runs not listed in `runs` (single records, mostly).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub runs_not_listed: u64,
    /// When the file holds records of more than one channel (an export or a merge of several
    /// logs), each channel with its records: every record counts for its own channel.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub channels: Vec<ChannelRecords>,
    /// Wanted records (service, process, task, boot events) this file holds that were already
    /// read from another file (a copy of the same log: a shadow copy, a second collection) or
    /// earlier in this one; each record is counted once, cited to the first file holding it.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub duplicates: u64,
    /// The files those records were counted in (when not this one).
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        serialize_with = "crate::path_text::all"
    )]
    pub duplicates_counted_in: Vec<PathBuf>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// Consecutive record ids of a log, with the write times of the first and last record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct RecordRange {
    /// The first EventRecordID.
    pub first_id: u64,
    /// The last EventRecordID.
    pub last_id: u64,
    /// Records counted.
    pub records: u64,
    /// When the first was written (event logged).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[serde(serialize_with = "crate::time::seven::option")]
    pub first_time: Option<Timestamp>,
    /// When the last was written.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[serde(serialize_with = "crate::time::seven::option")]
    pub last_time: Option<Timestamp>,
}

/// The records of one channel in a log file holding several.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ChannelRecords {
    /// The channel (`System`, `Security`, …).
    pub channel: String,
    /// Records of it konseki reads (service, process, task, boot events).
    pub records: u64,
    /// The earliest of them (event logged).
    #[serde(serialize_with = "crate::time::seven::one")]
    pub first: Timestamp,
    /// The latest of them (event logged).
    #[serde(serialize_with = "crate::time::seven::one")]
    pub last: Timestamp,
}

impl LogCoverage {
    /// Whether the file holds records of `channel` (compared case-insensitively).
    pub fn holds_channel(&self, channel: &str) -> bool {
        self.channel
            .as_deref()
            .is_some_and(|c| c.eq_ignore_ascii_case(channel))
            || self
                .channels
                .iter()
                .any(|c| c.channel.eq_ignore_ascii_case(channel))
    }

    /// The span the file covers for `channel`: the whole file's when it holds one channel,
    /// else that channel's records' (so a merged file's other records do not stretch it).
    pub fn span_of(&self, channel: &str) -> Option<(Timestamp, Timestamp)> {
        if self.channels.is_empty() {
            return self
                .holds_channel(channel)
                .then_some((self.first?, self.last?));
        }
        self.channels
            .iter()
            .find(|c| c.channel.eq_ignore_ascii_case(channel))
            .map(|c| (c.first, c.last))
    }
}

/// The four NTFS times of one attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct NtfsTimes {
    /// Created.
    #[serde(serialize_with = "crate::time::seven::one")]
    pub created: Timestamp,
    /// Content modified.
    #[serde(serialize_with = "crate::time::seven::one")]
    pub modified: Timestamp,
    /// MFT record modified.
    #[serde(serialize_with = "crate::time::seven::one")]
    pub mft_modified: Timestamp,
    /// Accessed.
    #[serde(serialize_with = "crate::time::seven::one")]
    pub accessed: Timestamp,
}

/// A file or directory from an $MFT.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct FileEntry {
    /// Full Windows path with its drive (`C:\tmp\test.txt`).
    pub path: String,
    /// The entry is allocated.
    pub in_use: bool,
    /// A directory.
    pub is_dir: bool,
    /// Logical size, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// $STANDARD_INFORMATION times (settable from user mode).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub si: Option<NtfsTimes>,
    /// $FILE_NAME times (set by the kernel).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fn_times: Option<NtfsTimes>,
    /// The entry.
    pub source: Provenance,
}
