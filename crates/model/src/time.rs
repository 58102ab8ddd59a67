//! Time: one crate (`jiff`), UTC, ISO 8601 out, and the meaning of each timestamp stated.

use serde::Serialize;

/// A UTC instant; serialises as ISO 8601 (`2021-11-03T08:15:15.2269567Z`).
pub use jiff::Timestamp;

/// What a timestamp means. Renderers print it next to the time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum TimeRole {
    /// `TimeCreated/@SystemTime` of an event record.
    EventLogged,
    /// Last-write time of a registry key (any value or the key itself changed then, or later
    /// writes were made and this is the latest).
    KeyLastWritten,
    /// $STANDARD_INFORMATION creation time of a file (can be set by any program: timestomping).
    FileCreated,
    /// $STANDARD_INFORMATION last modification time of a file's content.
    FileModified,
    /// $FILE_NAME creation time (set by the file system, rarely forged).
    FileNameCreated,
    /// A program run recorded by Prefetch (one of its last run times).
    ProgramRun,
    /// When a scheduled task was registered, as the task itself records it (TaskCache
    /// `DynamicInfo`, or a task file's `<Date>` converted from local time).
    TaskRegistered,
    /// A task's last launch as the Task Scheduler records it (TaskCache `DynamicInfo`, or a
    /// `.job` file's last run converted from local time).
    TaskLaunched,
}

/// A moment known exactly, or only within bounds. A service program that timed out ran for *at
/// most* the timeout: the start of its window is a range, and the type says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TimeBound {
    /// Known to the precision of the artifact.
    Exact {
        /// The instant.
        #[serde(serialize_with = "crate::time::seven::one")]
        at: Timestamp,
    },
    /// Somewhere between `from` and `to` (inclusive).
    Range {
        /// Earliest possible.
        #[serde(serialize_with = "crate::time::seven::one")]
        from: Timestamp,
        /// Latest possible.
        #[serde(serialize_with = "crate::time::seven::one")]
        to: Timestamp,
    },
    /// After `from`, with no upper bound in the evidence (e.g. still running when the log ends).
    NotBefore {
        /// Earliest possible.
        #[serde(serialize_with = "crate::time::seven::one")]
        from: Timestamp,
    },
    /// Before `to`, with no lower bound in the evidence (e.g. stopped, but its start is not in
    /// the logs).
    NotAfter {
        /// Latest possible.
        #[serde(serialize_with = "crate::time::seven::one")]
        to: Timestamp,
    },
}

impl TimeBound {
    /// The earliest instant the bound allows.
    pub fn earliest(&self) -> Option<Timestamp> {
        match *self {
            TimeBound::Exact { at } => Some(at),
            TimeBound::Range { from, .. } | TimeBound::NotBefore { from } => Some(from),
            TimeBound::NotAfter { .. } => None,
        }
    }

    /// The latest instant the bound allows, when there is one.
    pub fn latest(&self) -> Option<Timestamp> {
        match *self {
            TimeBound::Exact { at } => Some(at),
            TimeBound::Range { to, .. } | TimeBound::NotAfter { to } => Some(to),
            TimeBound::NotBefore { .. } => None,
        }
    }
}

/// Timestamps as every export writes them: UTC, ISO 8601, always seven fractional digits
/// (a FILETIME's 100 ns resolution) and `Z`, so that rows line up and sort as text, and a
/// time's precision is never mistaken for its accuracy (`…:31Z` and `…:31.0000000Z` are the
/// same instant). Used with `#[serde(serialize_with = …)]` on every time of the model.
pub mod seven {
    use serde::Serializer;

    use super::Timestamp;

    /// `2026-01-05T08:00:31.1234567Z`.
    pub fn text(t: &Timestamp) -> String {
        format!("{t:.7}")
    }

    /// One time.
    pub fn one<S: Serializer>(t: &Timestamp, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&format_args!("{t:.7}"))
    }

    /// A time that may be absent (absent is `null`, or left out where the field says so).
    pub fn option<S: Serializer>(t: &Option<Timestamp>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => one(t, s),
            None => s.serialize_none(),
        }
    }

    /// Several times.
    pub fn all<S: Serializer>(times: &[Timestamp], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(times.iter().map(text))
    }
}
