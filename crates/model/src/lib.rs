//! konseki's evidence model: what was found, where, when (and what each time means), and what
//! konseki concludes from it. No I/O lives here; extractors fill these types, correlation rules
//! read them, renderers print them.
//!
//! Every fact carries its [`Provenance`] (file + record id or key path) so that a verdict can
//! cite it, and every time is a [`Timestamp`] with its [`TimeRole`].
//!
//! ```
//! use konseki_model::{TimeBound, Timestamp};
//! let t: Timestamp = "2021-11-03T08:15:15.2269567Z".parse().unwrap();
//! let window_start = TimeBound::Range { from: t, to: t };
//! assert_eq!(window_start.earliest(), Some(t));
//! ```
#![deny(missing_docs)]

mod autostart;
mod events;
mod evidence;
mod flags;
mod host;
mod path_text;
mod program;
mod report;
mod service;
mod severity;
mod stack;
pub mod time;
mod time_zone;
mod timeline;

pub use autostart::{
    actions_line, AutostartEntry, AutostartFile, AutostartReport, RegistryEvent, ScheduledTask,
    ShortcutInfo, TaskAction, TaskCacheEntry, TaskEvent, TaskEventKind, TaskReport,
};
pub use events::{
    BootMarker, BootMarkerKind, ClockStep, EventData, Install, KeyLink, ProcessEvent,
    ProcessEventKind, ScmEvent, ScmEventKind,
};
pub use evidence::{
    ArtifactKind, ChannelRecords, Evidence, FileEntry, FoundArtifact, HiveState, Inventory, KeyAt,
    LogCoverage, Missing, NtfsTimes, Provenance, RecordRange, Warning,
};
pub use flags::{Flag, TaskStatus};
pub use host::{
    comparable_computer_name, CaseReport, Grouping, HostIdentity, HostName, HostSummary, NameSource,
};
pub use program::{AmcacheEntry, PrefetchEntry, ProgramFile, ProgramKind};
pub use report::{
    Attention, BootSession, ClockSpan, ControlSetDiff, EvidenceItem, Execution, HostReport,
    Residency, RunOutcome, RunWindow, ServiceReport, Verdict,
};
pub use service::{
    is_driver_type, service_type_from_logged, service_type_words, ConfigOrigin, ControlSet,
    FailureAction, FailureActionType, FailureActions, ImagePath, ServiceConfig, StartType,
};
pub use severity::{Ranking, Severity, SeverityReason};
pub use stack::{EntityKind, StackItem, StackKey, StackRow};
pub use time::{TimeBound, TimeRole, Timestamp};
pub use time_zone::{TimeZone, YearRules, ZoneRule, ZoneRules};
pub use timeline::TimelineEntry;
