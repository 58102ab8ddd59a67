//! Persistence entries other than services: Run keys, Winlogon, IFEO… (locations defined as
//! data in `data/autostart/`), each with its execution verdict.

use serde::Serialize;

use crate::evidence::Provenance;
use crate::report::{Attention, EvidenceItem, Execution};
use crate::time::Timestamp;

/// One autostart entry as found in a hive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct AutostartEntry {
    /// The location's id (`user_run`, `winlogon_shell`…).
    pub location: String,
    /// What the location is.
    pub title: String,
    /// MITRE ATT&CK technique.
    pub attack: String,
    /// The user whose hive holds it (profile name), for per-user locations.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// The value name, or the subkey name for per-subkey locations.
    pub name: String,
    /// The command or path as stored.
    pub command: String,
    /// The program it starts (expanded, arguments removed), when one can be told.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub program: Option<String>,
    /// Enabled or disabled in Task Manager's startup list (`StartupApproved`), when recorded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// The key's last-write time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_last_written: Option<Timestamp>,
    /// What that time means for this entry.
    pub times: String,
    /// The key and value.
    pub source: Provenance,
}

/// An autostart entry with what the evidence says about its program.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct AutostartReport {
    /// The entry.
    pub entry: AutostartEntry,
    /// Evidence of execution of its program.
    pub execution: Execution,
    /// One line: executed (and the last run), or no evidence among the artifacts present.
    pub summary: String,
    /// The execution evidence (Prefetch run times, process starts, Amcache).
    pub evidence: Vec<EvidenceItem>,
    /// Reasons to look closer.
    pub attention: Vec<Attention>,
}
