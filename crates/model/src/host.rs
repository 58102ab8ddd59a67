//! Hosts: which machine a report is about, how its files were told apart from other
//! machines', and the case that holds them.
//!
//! A case folder holds several machines' collections. Each is reported on its own: nothing of
//! one host is correlated with another's evidence (a service's events with another machine's
//! registry, a boot with another machine's shutdown).

use std::path::PathBuf;

use serde::Serialize;

use crate::evidence::{Provenance, Warning};
use crate::report::HostReport;
use crate::time::Timestamp;

/// Where a name of the host was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum NameSource {
    /// SYSTEM hive, `ControlSetNNN\Control\ComputerName\ComputerName` value `ComputerName`
    /// (the NetBIOS name the machine had when the set was last saved).
    ComputerName,
    /// SYSTEM hive, `ControlSetNNN\Services\Tcpip\Parameters` values `Hostname` and `Domain`.
    TcpipHostname,
    /// The `Computer` field of the host's event records.
    EventLogs,
    /// The name of the folder the collection lies in (the examiner's or the collector's
    /// choice: the weakest source).
    Folder,
}

/// One name of the host, from one source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct HostName {
    /// The name as recorded.
    pub name: String,
    /// Where it was read.
    pub source: NameSource,
    /// Which control set, or which log files, said it.
    pub detail: String,
    /// The key or file it rests on (none for a folder name).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<Provenance>,
}

/// How the host's files were told apart from other hosts'.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Grouping {
    /// Everything below one folder: a KAPE target folder, a Velociraptor collection or a
    /// mounted volume (the folder above its drive folder, or the folder holding `Windows`).
    CollectionFolder,
    /// Files given or found outside any collection's volume tree: the logs of one machine
    /// (the names in one of its own logs are one machine renamed) and the SYSTEM hive naming
    /// it; all of them when they record one machine only.
    LooseFiles,
    /// Loose files that record no machine (Prefetch, $MFT, tasks, hives other than SYSTEM,
    /// logs of several machines) while the other loose files record several: tied to none.
    UnattributedLooseFiles,
}

/// Which machine a report is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct HostIdentity {
    /// The host's label, unique in the case: its name, with its folder when two hosts have
    /// one name. Every exported row carries it.
    pub label: String,
    /// The computer name chosen: the current control set's `ComputerName`, else the Tcpip
    /// host name, else the name in its event logs (the latest), else none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// How its files were grouped.
    pub grouping: Grouping,
    /// The folder its files lie in (for a collection).
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "crate::path_text::optional"
    )]
    pub folder: Option<PathBuf>,
    /// Every name found, by source.
    pub names: Vec<HostName>,
    /// Sources that disagree, or a host's files that record more than one machine: said, not
    /// silently resolved.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub disagreements: Vec<String>,
}

/// The case: every host found under the paths given, each reported on its own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct CaseReport {
    /// konseki's version.
    pub konseki_version: String,
    /// The schema version of this document.
    pub schema_version: u32,
    /// The paths given to the scan.
    #[serde(serialize_with = "crate::path_text::all")]
    pub roots: Vec<PathBuf>,
    /// One line per host: what was found and missing, what the logs cover.
    pub summary: Vec<HostSummary>,
    /// Notes on the case as a whole (two collections of one machine, …).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// The hosts' reports.
    pub hosts: Vec<HostReport>,
    /// What could not be read outside any host's files.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<Warning>,
}

impl CaseReport {
    /// The case's own fields (version, schema, roots), with no host, summary, note or warning.
    pub fn clone_header(&self) -> CaseReport {
        CaseReport {
            konseki_version: self.konseki_version.clone(),
            schema_version: self.schema_version,
            roots: self.roots.clone(),
            summary: Vec::new(),
            notes: Vec::new(),
            hosts: Vec::new(),
            warnings: Vec::new(),
        }
    }
}

/// A host at a glance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct HostSummary {
    /// The host's label.
    pub host: String,
    /// Artifacts found, by kind (`hive: 3`, …).
    pub found: Vec<(String, usize)>,
    /// What is missing.
    pub missing: Vec<String>,
    /// The earliest record of its event logs (event logged).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[serde(serialize_with = "crate::time::seven::option")]
    pub logs_from: Option<Timestamp>,
    /// The latest record of its event logs (event logged).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[serde(serialize_with = "crate::time::seven::option")]
    pub logs_to: Option<Timestamp>,
    /// Services, autostart entries and tasks worth a look (`notable`).
    pub notable: usize,
    /// Services, autostart entries and tasks in all.
    pub entities: usize,
    /// Warnings.
    pub warnings: usize,
}

/// A computer name as compared between sources: its first DNS label, upper-cased, cut to the
/// 15 characters of a NetBIOS name (`ComputerName` is one; the events' `Computer` field and
/// the Tcpip host name are DNS names, which may be longer).
pub fn comparable_computer_name(name: &str) -> String {
    let label = name.split('.').next().unwrap_or(name).to_uppercase();
    label.chars().take(15).collect()
}
