//! Events that matter to a service's lifecycle, tied to the service's key name.

use std::sync::Arc;

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

use crate::evidence::Provenance;
use crate::time::Timestamp;

/// How an event was tied to a service key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum KeyLink {
    /// The key name in the event's `Binary` field (7009, 7000, 7031, 7036 on newer systems).
    Binary,
    /// The key name in a named field (7040 param4, 4697 ServiceName).
    Field,
    /// Only the display name was available; matched through a 7045 or the registry's DisplayName.
    DisplayName,
    /// Not tied to a key; the display name stands in for it.
    Unresolved,
}

/// A service installation as logged (7045, 4697).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Install {
    /// ImagePath / ServiceFileName as logged (unexpanded).
    pub image_path: String,
    /// Start type as logged.
    pub start_type: String,
    /// Service type as logged.
    pub service_type: String,
    /// Account.
    pub account: String,
    /// The program `image_path` names, resolved as a registry ImagePath is (`%SystemRoot%`
    /// from the evidence, `\SystemRoot\`, `\??\`, quotes and arguments split off): the same
    /// rules judge a service whether it is known from its key or only from its install.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub executable: String,
}

impl Install {
    /// The start type logged, decoded (7045's words or 4697's number).
    pub fn start(&self) -> Option<crate::StartType> {
        crate::StartType::from_logged(&self.start_type)
    }

    /// Whether the logged service type is a driver (`None` when it does not say).
    pub fn is_driver(&self) -> Option<bool> {
        crate::service::service_type_from_logged(&self.service_type)
            .map(crate::service::is_driver_type)
    }
}

/// What an SCM or Security event says about a service.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ScmEventKind {
    /// 7045 (System) or 4697 (Security): a service was installed.
    Installed {
        /// What was installed, boxed: the other kinds, most of a log's SCM events, need not
        /// be as large as four strings (an `ScmEventKind` is 56 bytes, not 96). Written as
        /// four fields of the event's `what`.
        #[serde(flatten)]
        install: Box<Install>,
    },
    /// 7009: the SCM waited `timeout_ms` for the service to connect, then gave up.
    ConnectTimeout {
        /// param1: the timeout in force (ServicesPipeTimeout or its default).
        #[serde(skip_serializing_if = "Option::is_none")]
        timeout_ms: Option<u64>,
    },
    /// 7000: the service failed to start.
    StartFailed {
        /// param2 as logged (e.g. `%%1053`).
        error: String,
    },
    /// 7011: a control request timed out.
    TransactionTimeout {
        /// param1.
        #[serde(skip_serializing_if = "Option::is_none")]
        timeout_ms: Option<u64>,
    },
    /// 7022: hung on starting.
    HungOnStart,
    /// 7023 / 7024: terminated with an error.
    TerminatedWithError {
        /// param2.
        error: String,
    },
    /// 7031 / 7034: terminated unexpectedly.
    Crashed {
        /// How many times so far (param2).
        #[serde(skip_serializing_if = "Option::is_none")]
        count: Option<u32>,
        /// Corrective action delay (7031 param3).
        #[serde(skip_serializing_if = "Option::is_none")]
        action_delay_ms: Option<u64>,
        /// Corrective action text (7031 param5); `None` on 7034 (no recovery configured).
        #[serde(skip_serializing_if = "Option::is_none")]
        action: Option<String>,
    },
    /// 7032: a corrective action failed.
    RecoveryFailed {
        /// param1: the action.
        action: String,
        /// param3: the error.
        error: String,
    },
    /// 7036: entered a state (`running`, `stopped`, …).
    StateChanged {
        /// The state, from the Binary suffix (`Name/4`) or param2.
        state: String,
    },
    /// 7040: start type changed.
    StartTypeChanged {
        /// param2.
        from: String,
        /// param3.
        to: String,
    },
    /// 7026: boot/system drivers failed to load.
    DriversFailed {
        /// param1, the list.
        drivers: String,
    },
}

/// One SCM or Security event about a service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ScmEvent {
    /// The event id.
    pub event_id: u16,
    /// When it was logged.
    #[serde(serialize_with = "crate::time::seven::one")]
    pub time: Timestamp,
    /// The service key name (or the display name when it could not be resolved).
    pub service: Arc<str>,
    /// The display name in the event, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<Arc<str>>,
    /// How `service` was established.
    pub link: KeyLink,
    /// What the event says.
    pub what: ScmEventKind,
    /// The computer that logged it.
    pub computer: Arc<str>,
    /// The SID in `System/Security/@UserID`, when present (7040/7045: the actor).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_sid: Option<Arc<str>>,
    /// The record.
    pub source: Provenance,
    /// All event data, as logged.
    #[cfg_attr(
        feature = "schema",
        schemars(with = "std::collections::BTreeMap<String, String>")
    )]
    pub data: EventData,
}

/// An event's named data, sorted by name; serialised as a JSON object.
///
/// A sorted vector rather than a map: a scan holds hundreds of thousands of events, and a
/// `BTreeMap` node costs half a kilobyte even for the two or three values an SCM event has.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventData(Vec<(Arc<str>, Arc<str>)>);

impl EventData {
    /// The value of a named field.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .binary_search_by(|(n, _)| (**n).cmp(name))
            .ok()
            .map(|i| &*self.0[i].1)
    }

    /// The fields, sorted by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(n, v)| (&**n, &**v))
    }
}

impl FromIterator<(Arc<str>, Arc<str>)> for EventData {
    /// Sorts by name; of repeated names the last value is kept, as a map would.
    fn from_iter<I: IntoIterator<Item = (Arc<str>, Arc<str>)>>(iter: I) -> Self {
        let mut fields: Vec<(Arc<str>, Arc<str>)> = iter.into_iter().collect();
        fields.reverse();
        fields.sort_by(|a, b| a.0.cmp(&b.0));
        fields.dedup_by(|later, earlier| later.0 == earlier.0);
        fields.shrink_to_fit();
        EventData(fields)
    }
}

impl Serialize for EventData {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (name, value) in &self.0 {
            map.serialize_entry(&**name, &**value)?;
        }
        map.end()
    }
}

/// Boot, shutdown and log-integrity markers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum BootMarkerKind {
    /// 6005 (event log started) or Kernel-General 12 (OS started): a boot.
    Boot,
    /// 6009: OS version at boot.
    BootInfo,
    /// 6006 (event log stopped), Kernel-General 13 (OS shutdown).
    Shutdown,
    /// 1074: a shutdown or restart was initiated.
    ShutdownInitiated,
    /// 6008: the previous shutdown was unexpected.
    UnexpectedShutdown,
    /// 104 (System) / 1102 (Security): a log was cleared.
    LogCleared,
}

/// A boot, shutdown or log-cleared marker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct BootMarker {
    /// What it marks.
    pub kind: BootMarkerKind,
    /// When it was logged.
    #[serde(serialize_with = "crate::time::seven::one")]
    pub time: Timestamp,
    /// The computer that logged it (runs are only ended by their own host's markers).
    pub computer: Arc<str>,
    /// The record.
    pub source: Provenance,
}

/// A change of the system clock: System, `Microsoft-Windows-Kernel-General` event 1 ("The
/// system time has changed to NewTime from OldTime"). Records written after it carry the new
/// clock: their times are not comparable with earlier ones without the step's delta.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ClockStep {
    /// When it was logged (on the new clock).
    #[serde(serialize_with = "crate::time::seven::one")]
    pub time: Timestamp,
    /// `OldTime`: the clock just before the change.
    #[serde(serialize_with = "crate::time::seven::one")]
    pub old_time: Timestamp,
    /// `NewTime`: the clock just after.
    #[serde(serialize_with = "crate::time::seven::one")]
    pub new_time: Timestamp,
    /// `NewTime − OldTime` in milliseconds: negative when the clock was set back.
    pub delta_ms: i64,
    /// `Reason`, when logged (Windows 8 and later).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// `ProcessName`: the program that changed it, when logged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub process: Option<String>,
    /// The computer that logged it.
    pub computer: Arc<str>,
    /// The record.
    pub source: Provenance,
}

/// Whether a process event records a start or an end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum ProcessEventKind {
    /// Security 4688, Sysmon 1.
    Created,
    /// Security 4689, Sysmon 5.
    Exited,
}

/// A process start or end (Security 4688/4689, Sysmon 1/5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ProcessEvent {
    /// Start or end.
    pub kind: ProcessEventKind,
    /// When it was logged.
    #[serde(serialize_with = "crate::time::seven::one")]
    pub time: Timestamp,
    /// The program (`NewProcessName`, `Image`).
    pub image: Arc<str>,
    /// The command line, when logged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command_line: Option<Arc<str>>,
    /// Process id (4688's hex `0x1a2c` is converted).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pid: Option<u64>,
    /// Parent (creator) process id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_pid: Option<u64>,
    /// Parent program (`ParentProcessName`, `ParentImage`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_image: Option<Arc<str>>,
    /// The computer that logged it.
    pub computer: Arc<str>,
    /// The record.
    pub source: Provenance,
}
