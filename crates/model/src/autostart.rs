//! Persistence entries other than services: Run keys, Winlogon, IFEO… (locations defined as
//! data in `data/autostart/`), each with its execution verdict.

use serde::Serialize;

use crate::evidence::{NtfsTimes, Provenance};
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
    #[serde(serialize_with = "crate::time::seven::option")]
    pub key_last_written: Option<Timestamp>,
    /// What that time means for this entry.
    pub times: String,
    /// For an entry seen in a registry change event (Sysmon 12/13/14): the change
    /// (`SetValue`…) and the process that made it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub changed_by: Option<String>,
    /// When that change was logged.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[serde(serialize_with = "crate::time::seven::option")]
    pub changed_at: Option<Timestamp>,
    /// For a file in an autostart folder: the file (times, shortcut contents).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<AutostartFile>,
    /// Windows' default for this value (the location's definition says it), when the value is
    /// something else: a replaced Winlogon Shell, a moved Startup folder.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_default: Option<String>,
    /// For a per-user entry that shadows a machine-wide one (a per-user COM class): the
    /// machine's value it replaces, when the SOFTWARE hive has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shadows: Option<String>,
    /// For a per-user location that stands in for a machine-wide key (UsrClass.dat's `CLSID`
    /// for SOFTWARE's `Classes`): that key, from the location's definition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stands_in_for: Option<String>,
    /// The key and value, the file (or the event that logged the change).
    pub source: Provenance,
}

/// A file in an autostart folder, from the collected tree and/or the $MFT.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct AutostartFile {
    /// Its Windows path (`C:\Users\bob\…\Startup\upd.lnk`).
    pub path: String,
    /// The collected copy, when the collection holds one.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "crate::path_text::optional"
    )]
    pub collected: Option<std::path::PathBuf>,
    /// Size in bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// `false` when its $MFT entry is no longer in use: the file was deleted (the entry is
    /// what remains of it).
    pub in_use: bool,
    /// $STANDARD_INFORMATION times from the $MFT (UTC; settable from user mode).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub si: Option<NtfsTimes>,
    /// $FILE_NAME times from the $MFT (UTC; set by the kernel).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fn_times: Option<NtfsTimes>,
    /// The collected copy's last-modified time on the examiner's file system (UTC): the
    /// original's only when the collector kept it (KAPE does; a plain copy does not).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[serde(serialize_with = "crate::time::seven::option")]
    pub copy_modified: Option<Timestamp>,
    /// The shortcut's contents, for a `.lnk` whose bytes are in the collection.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shortcut: Option<ShortcutInfo>,
}

/// What a shortcut (`.lnk`) starts, and what it recorded about its target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ShortcutInfo {
    /// The target path, when recorded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// Where the target came from: `LinkInfo`, `environment block` (unexpanded) or
    /// `relative path`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_from: Option<String>,
    /// Command-line arguments.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arguments: Option<String>,
    /// Working directory.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub working_dir: Option<String>,
    /// Description (tooltip).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Icon location.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub icon_location: Option<String>,
    /// The target's creation time when the shortcut was made (UTC).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[serde(serialize_with = "crate::time::seven::option")]
    pub target_created: Option<Timestamp>,
    /// The target's last write time when the shortcut was made (UTC).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[serde(serialize_with = "crate::time::seven::option")]
    pub target_modified: Option<Timestamp>,
    /// The target's last access time when the shortcut was made (UTC).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[serde(serialize_with = "crate::time::seven::option")]
    pub target_accessed: Option<Timestamp>,
    /// The target's size when the shortcut was made.
    pub target_size: u32,
    /// NetBIOS name of the machine the shortcut was made on (link tracker block).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub machine_id: Option<String>,
    /// Serial number of the target's volume (`1234-ABCD`), when recorded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub volume_serial: Option<String>,
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
    /// Worth showing without `--all` (decided by correlation): every entry but a per-user COM
    /// class whose only flag is a program in the profile (every OneDrive install registers a
    /// dozen) overriding nothing.
    pub notable: bool,
    /// Its severity, and the rules that set it.
    #[serde(flatten)]
    pub ranking: crate::Ranking,
}

/// What a scheduled task runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TaskAction {
    /// A program (`<Exec>`).
    Exec {
        /// `<Command>`.
        command: String,
        /// `<Arguments>`.
        #[serde(skip_serializing_if = "String::is_empty")]
        arguments: String,
        /// `<WorkingDirectory>`.
        #[serde(skip_serializing_if = "String::is_empty")]
        working_directory: String,
    },
    /// A COM object (`<ComHandler>`).
    ComHandler {
        /// `<ClassId>`.
        class_id: String,
        /// `<Data>`.
        #[serde(skip_serializing_if = "String::is_empty")]
        data: String,
    },
}

/// A task's actions on one line: `C:\TMP\mim.exe sekurlsa::… ; COM handler {CLSID}`.
pub fn actions_line(actions: &[TaskAction]) -> String {
    actions
        .iter()
        .map(|a| match a {
            TaskAction::Exec {
                command, arguments, ..
            } => format!("{command} {arguments}").trim().to_string(),
            TaskAction::ComHandler { class_id, .. } => format!("COM handler {class_id}"),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// A scheduled task definition (a file under `Windows\System32\Tasks`, or the XML a 4698/4702
/// event carries).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ScheduledTask {
    /// Task path (`\GameOver`, `\Microsoft\Windows\…`): `<URI>`, else the file's place.
    pub name: String,
    /// `<Author>`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// `<Date>` as written: **local time** of the machine (no zone is stored).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date_local: Option<String>,
    /// `<Date>` in UTC, converted with the SYSTEM hive's time zone (current control set) when
    /// the hive is in the evidence; see `time_zone` in the control sets.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[serde(serialize_with = "crate::time::seven::option")]
    pub date_utc: Option<Timestamp>,
    /// `<Description>`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// What it runs.
    pub actions: Vec<TaskAction>,
    /// When it runs, one line each (start boundaries are local time, as written).
    pub triggers: Vec<String>,
    /// Account (`<UserId>` or `<GroupId>`), logon type and run level.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub principal: Option<String>,
    /// `<Settings><Hidden>`.
    pub hidden: bool,
    /// `<Settings><Enabled>` (true when absent).
    pub enabled: bool,
    /// A Task Scheduler 1.0 `.job` file (`Windows\Tasks`), rather than 2.0 XML.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub legacy_job: bool,
    /// The last run's start as a `.job` records it: **local time**, as written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_run_local: Option<String>,
    /// That last run in UTC, converted like `date_utc`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[serde(serialize_with = "crate::time::seven::option")]
    pub last_run_utc: Option<Timestamp>,
    /// The file or event it was read from.
    pub source: Provenance,
}

/// A task as the Task Scheduler registers it in the SOFTWARE hive
/// (`Microsoft\Windows NT\CurrentVersion\Schedule\TaskCache`): the `Tree` key naming it and the
/// `Tasks\{GUID}` key describing it. This is what the service runs from: a task whose file was
/// deleted still runs while it is registered here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct TaskCacheEntry {
    /// Task path (`\GameOver`), from the `Tree` key's place.
    pub path: String,
    /// `Id`: the task's GUID, its key under `Tasks`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The `Tree` key has its `SD` (security descriptor) value. Without it, the task is hidden
    /// from `schtasks /query` and the Task Scheduler console, yet still runs (the "Tarrask"
    /// technique).
    pub has_security_descriptor: bool,
    /// The `Tree` key's last-write time.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[serde(serialize_with = "crate::time::seven::option")]
    pub tree_key_written: Option<Timestamp>,
    /// What it runs, decoded from the `Tasks\{GUID}\Actions` value.
    pub actions: Vec<TaskAction>,
    /// `Author`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// `DynamicInfo`: when the task was (last) registered (UTC).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[serde(serialize_with = "crate::time::seven::option")]
    pub registered: Option<Timestamp>,
    /// `DynamicInfo`: when the Task Scheduler last launched it (UTC); absent when never.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[serde(serialize_with = "crate::time::seven::option")]
    pub last_launched: Option<Timestamp>,
    /// `Tasks\{GUID}` is missing although `Tree` names it.
    pub definition_missing: bool,
    /// The `Tree` key.
    pub source: Provenance,
}

/// What a task event says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum TaskEventKind {
    /// 4698, TaskScheduler 106.
    Registered,
    /// 4702, TaskScheduler 140.
    Updated,
    /// 4699, TaskScheduler 141.
    Deleted,
    /// 4700.
    Enabled,
    /// 4701.
    Disabled,
    /// TaskScheduler 200: an action started.
    ActionStarted,
    /// TaskScheduler 201: an action completed.
    ActionCompleted,
    /// TaskScheduler 129: the task's process was created.
    ProcessCreated,
}

/// A Security or TaskScheduler event about a task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct TaskEvent {
    /// When it was logged.
    #[serde(serialize_with = "crate::time::seven::one")]
    pub time: Timestamp,
    /// What it says.
    pub kind: TaskEventKind,
    /// The task path as logged (shared: a log repeats the same few task names).
    pub task: std::sync::Arc<str>,
    /// The definition the event carries (4698/4702 `TaskContent`), when it does (boxed: most
    /// task events carry none, and a case holds hundreds of thousands).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<Box<ScheduledTask>>,
    /// Other detail (action name, user, process id, result code), shared likewise.
    #[serde(skip_serializing_if = "str::is_empty")]
    pub detail: std::sync::Arc<str>,
    /// The record.
    pub source: Provenance,
}

/// A scheduled task with its life in the evidence and its execution verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct TaskReport {
    /// Task path.
    pub name: String,
    /// The definition on disk, when the file is in the evidence.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<ScheduledTask>,
    /// The registration in the SOFTWARE hive's TaskCache, when the hive is in the evidence.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache: Option<TaskCacheEntry>,
    /// What it runs (the file's, else the last definition an event carried).
    pub actions: Vec<TaskAction>,
    /// `present`, `persisted then removed`, `removed`, or `present (no registration event)`.
    pub status: crate::TaskStatus,
    /// Evidence of execution of its program.
    pub execution: Execution,
    /// One line.
    pub summary: String,
    /// Events, creation evidence and execution evidence, in time order.
    pub evidence: Vec<EvidenceItem>,
    /// Reasons to look closer.
    pub attention: Vec<Attention>,
    /// Worth showing without `--all` (decided by correlation): every task but Windows' own
    /// (`\Microsoft\…`) present with no registration in the logs.
    pub notable: bool,
    /// Its severity, and the rules that set it.
    #[serde(flatten)]
    pub ranking: crate::Ranking,
}

impl TaskReport {
    /// The programs its Exec actions run, without quotes.
    pub fn programs(&self) -> Vec<&str> {
        self.actions
            .iter()
            .filter_map(|a| match a {
                TaskAction::Exec { command, .. } => Some(command.trim_matches('"')),
                _ => None,
            })
            .collect()
    }
}

/// A registry change logged by Sysmon (12 key/value created or deleted, 13 value set, 14
/// renamed): who wrote an autostart location, and when, even when the hive is not in the
/// evidence or the value was removed later.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct RegistryEvent {
    /// When it was logged.
    #[serde(serialize_with = "crate::time::seven::one")]
    pub time: Timestamp,
    /// Sysmon's `EventType` (`SetValue`, `CreateKey`, `DeleteValue`, `RenameKey`…).
    pub event_type: String,
    /// `TargetObject` as logged (`HKLM\SOFTWARE\…\Run\name`, `HKU\<SID>\…`).
    pub target: String,
    /// `Details` (the data set), when logged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<String>,
    /// The process that made the change (`Image`).
    pub image: String,
    /// Its process id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pid: Option<u64>,
    /// The service whose key the change is under (`…\Services\<name>\…`, any spelling of
    /// the path), when it is one: a service installed or changed through the registry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// The record.
    pub source: Provenance,
}
