//! What konseki concludes: per-service runs, verdicts, attention flags, each with its evidence.

use std::sync::Arc;

use serde::Serialize;

use crate::program::ProgramFile;

use crate::events::{BootMarker, ScmEvent};
use crate::evidence::{HiveState, Inventory, LogCoverage, Provenance, Warning};
use crate::service::{ControlSet, ServiceConfig};
use crate::time::{TimeBound, Timestamp};

/// One fact in an evidence chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct EvidenceItem {
    /// Where it is.
    pub source: Provenance,
    /// When (the role is given by the source: event logged, key last written).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[serde(serialize_with = "crate::time::seven::option")]
    pub time: Option<Timestamp>,
    /// One line saying what it shows.
    pub summary: Arc<str>,
}

/// How a run of the service's program ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RunOutcome {
    /// The SCM gave up waiting for the program to connect (7009): it was not resident after this.
    TimedOut {
        /// The timeout in force (7009 param1).
        #[serde(skip_serializing_if = "Option::is_none")]
        timeout_ms: Option<u64>,
    },
    /// Start failed (7000) without a timeout; the error says whether the image ran at all.
    StartFailed {
        /// The error as logged.
        error: String,
    },
    /// Terminated unexpectedly (7031/7034).
    Crashed {
        /// The corrective action announced, if any.
        #[serde(skip_serializing_if = "Option::is_none")]
        corrective_action: Option<String>,
    },
    /// Entered the stopped state (7036).
    Stopped,
    /// Stopped with an error (7023/7024).
    TerminatedWithError {
        /// The error.
        error: String,
    },
    /// The system shut down while it ran.
    SystemShutdown,
    /// Still running at the end of what the logs cover.
    StillRunning,
    /// Seen as a process of its own (4688/Sysmon 1 of the service program), which exited
    /// (4689/Sysmon 5) at the end time.
    ProcessExited,
    /// Seen as a process of its own; no exit is recorded (exits may not be audited).
    EndNotRecorded,
}

/// One run of the service's program, with explicit uncertainty.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct RunWindow {
    /// When the program started.
    pub start: TimeBound,
    /// When it ended.
    pub end: TimeBound,
    /// The longest it can have run, in milliseconds, when bounded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_duration_ms: Option<u64>,
    /// How it ended.
    pub outcome: RunOutcome,
    /// The events this window rests on.
    pub evidence: Vec<EvidenceItem>,
    /// Files created or modified inside the window: temporal correlation, not proof that this
    /// program caused them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub activity: Vec<EvidenceItem>,
    /// Changes of the system clock inside the window (Kernel-General 1): `max_duration_ms` is
    /// the time that passed, not the difference of the bounds as logged.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub clock_steps: Vec<EvidenceItem>,
    /// When the clock was stepped inside the window: the lowest and highest clock times the
    /// host showed during it. Files and processes are matched against this span, as their
    /// times were recorded on the clock of their moment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clock_span: Option<ClockSpan>,
}

/// A span of times as a host's clock showed them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ClockSpan {
    /// The lowest.
    #[serde(serialize_with = "crate::time::seven::one")]
    pub from: Timestamp,
    /// The highest.
    #[serde(serialize_with = "crate::time::seven::one")]
    pub to: Timestamp,
}

impl RunWindow {
    /// The clock times to match a file or process time against: the window's bounds, or the
    /// span its clock showed when the clock was stepped inside it.
    pub fn matching_span(&self) -> (Option<Timestamp>, Option<Timestamp>) {
        match self.clock_span {
            Some(span) => (Some(span.from), Some(span.to)),
            None => (self.start.earliest(), self.end.latest()),
        }
    }
}

/// Did the service's program run?
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Execution {
    /// The evidence shows the program was started.
    Executed,
    /// Start attempts exist, but none shows the image ran (e.g. file not found).
    StartAttemptedNotExecuted,
    /// No evidence of execution in the logs present (whose span is stated).
    NoEvidence,
}

/// Did it stay?
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Residency {
    /// Reached the running state and stayed (until shutdown or the end of the logs).
    Resident,
    /// Ended: killed or given up on at the timeout, crashed without restart, stopped.
    NotResident,
    /// Started again and again: restarts after failures are in the evidence.
    SemiResident,
    /// Not known from the evidence.
    Unknown,
}

/// A reason for an examiner to look, with why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Attention {
    /// What deserves a look, by its stable id (e.g. `raised_pipe_timeout`).
    pub id: crate::Flag,
    /// Why it matters here.
    pub reason: String,
    /// What it rests on.
    pub evidence: Vec<EvidenceItem>,
}

/// The verdict for one service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Verdict {
    /// Did the program run.
    pub execution: Execution,
    /// The longest any single run can have lasted, when bounded (ms).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub longest_run_ms: Option<u64>,
    /// Number of runs found.
    pub runs: usize,
    /// Did it stay.
    pub residency: Residency,
    /// One line: the verdict as a table would show it.
    pub summary: String,
    /// The reasoning in words, citing the evidence.
    pub rationale: Vec<String>,
    /// The evidence chain: every item of the first and last runs, installs, failed starts, the
    /// configuration.
    pub evidence: Vec<EvidenceItem>,
    /// Items of the runs in between not repeated here (each run lists its own evidence).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub evidence_omitted: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// Everything konseki knows about one service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ServiceReport {
    /// The key name (or display name when no key could be tied).
    pub name: String,
    /// Display names seen (registry and events).
    pub display_names: Vec<String>,
    /// The configuration in each control set where the key exists.
    pub configs: Vec<ServiceConfig>,
    /// The events about it, in time order.
    pub events: Vec<ScmEvent>,
    /// Its program files found in the evidence (ImagePath, ServiceDll), with the PE check.
    pub programs: Vec<ProgramFile>,
    /// Its runs.
    pub runs: Vec<RunWindow>,
    /// The verdict.
    pub verdict: Verdict,
    /// Reasons to look closer.
    pub attention: Vec<Attention>,
    /// Worth showing without `--all`: it has events or attention flags (decided by
    /// correlation, not by the renderer).
    pub notable: bool,
    /// Its severity, and the rules that set it.
    #[serde(flatten)]
    pub ranking: crate::Ranking,
}

impl ServiceReport {
    /// Its installs as logged (7045/4697), in time order: when, and what was installed.
    pub fn installs(&self) -> impl Iterator<Item = (Timestamp, &crate::Install)> {
        self.events.iter().filter_map(|e| match &e.what {
            crate::ScmEventKind::Installed { install } => Some((e.time, &**install)),
            _ => None,
        })
    }
}

/// A difference between two control sets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ControlSetDiff {
    /// The service key.
    pub service: String,
    /// The control set compared from: the older one (LastKnownGood, or another set not in use).
    pub from: String,
    /// The control set compared to: the one in use (`Select\Current`).
    pub to: String,
    /// `added` (only in `to`: added since `from` was saved), `removed` (only in `from`), or
    /// `changed`.
    pub change: String,
    /// For changes: which values differ, `name: a → b`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<String>,
}

/// Everything konseki concludes about one host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct HostReport {
    /// Which machine this is, and how its files were told apart from other hosts'.
    pub host: crate::host::HostIdentity,
    /// What evidence was found and missing.
    pub inventory: Inventory,
    /// The hives opened.
    pub hives: Vec<HiveState>,
    /// What each event log covers.
    pub logs: Vec<LogCoverage>,
    /// Control sets and their service-wide settings.
    pub control_sets: Vec<ControlSet>,
    /// Differences between control sets.
    pub control_set_diffs: Vec<ControlSetDiff>,
    /// Boot, shutdown and log-cleared markers.
    pub boot_markers: Vec<BootMarker>,
    /// Boot sessions per host, from those markers, ordered on the host's corrected clock.
    pub boot_sessions: Vec<BootSession>,
    /// Changes of a system clock of a second or more (System, Kernel-General 1), in record
    /// order: times on either side of one are on different clocks.
    pub clock_steps: Vec<crate::events::ClockStep>,
    /// Per-service results.
    pub services: Vec<ServiceReport>,
    /// Other autostart entries (Run keys, Winlogon, IFEO…), each with its execution verdict.
    pub autostarts: Vec<crate::autostart::AutostartReport>,
    /// Scheduled tasks (files and events), each with its life and execution verdict.
    pub tasks: Vec<crate::autostart::TaskReport>,
    /// Everything that could not be read, and what it means.
    pub warnings: Vec<Warning>,
}

/// One boot session of a computer: from a boot to its shutdown, as the markers in the System
/// logs show it (6005/6009/Kernel-General 12 at boot; 6006/Kernel-General 13 at shutdown;
/// 6008 at the next boot when the shutdown was unexpected).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct BootSession {
    /// The computer, by the names its markers were logged under (`A → B` when it was renamed
    /// during the session).
    pub computer: String,
    /// The boot (first marker of it); absent when the logs begin inside the session.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[serde(serialize_with = "crate::time::seven::option")]
    pub start: Option<crate::Timestamp>,
    /// The clean shutdown, when one is logged.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[serde(serialize_with = "crate::time::seven::option")]
    pub end: Option<crate::Timestamp>,
    /// How it ended: `shutdown`, `unexpected shutdown`, `no shutdown logged before the next
    /// boot`, or `still running at the end of the logs`.
    pub ended_by: String,
    /// The next boot, when the session has no logged shutdown: it ended before then.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[serde(serialize_with = "crate::time::seven::option")]
    pub ended_before: Option<crate::Timestamp>,
    /// The markers.
    pub evidence: Vec<EvidenceItem>,
    /// Changes of the system clock inside the session (Kernel-General 1, of a second or
    /// more): its end minus its start is not the time it lasted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub clock_steps: Vec<EvidenceItem>,
}
