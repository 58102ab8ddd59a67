//! Scheduled tasks: the definitions found on disk and the task events, grouped by task path,
//! into each task's life (registered, updated, deleted) and what the evidence says about its
//! program running: TaskScheduler action and process events, Prefetch, process starts. The
//! process that created the task (`schtasks /create … /tn NAME`) is attached when logged.

use std::collections::BTreeMap;

use rayon::prelude::*;

use konseki_model::{
    actions_line, Attention, Evidence, EvidenceItem, Execution, Flag, ProcessEvent,
    ProcessEventKind, ScheduledTask, TaskAction, TaskCacheEntry, TaskEvent, TaskEventKind,
    TaskReport, TaskStatus, Timestamp,
};

use crate::attention::{interpreter, lolbin_flag, user_writable_place};
use crate::causality::{earlier_runs_sentence, split_runs, Since};
use crate::describe::record_text;
use crate::describe::shared;
use crate::execution::ExecutionIndex;
use crate::prefetch_activity::expand_system_root;
use crate::process_activity::process_text;

/// Every task with its life and verdict, by task path.
/// `system_root` is the evidence's %SystemRoot% (`C:\Windows`), for `%windir%` commands.
pub fn task_reports(
    evidence: &Evidence,
    execution: &ExecutionIndex<'_>,
    system_root: &str,
) -> Vec<TaskReport> {
    let mut groups: BTreeMap<String, Sources<'_>> = BTreeMap::new();
    for t in &evidence.tasks {
        groups
            .entry(key(&t.name))
            .or_default()
            .file
            .get_or_insert(t);
    }
    for c in &evidence.task_cache {
        groups
            .entry(key(&c.path))
            .or_default()
            .cache
            .get_or_insert(c);
    }
    for e in &evidence.task_events {
        groups.entry(key(&e.task)).or_default().events.push(e);
    }
    let collected = Collected {
        // `.job` files live elsewhere (`Windows\Tasks`): only XML task files say the
        // `System32\Tasks` folder was collected.
        task_files: evidence.tasks.iter().any(|t| !t.legacy_job),
        task_cache: !evidence.task_cache.is_empty(),
    };
    // Task-creating processes, found once: a case holds a few among hundreds of thousands.
    let creators: Vec<(&ProcessEvent, String)> = evidence
        .processes
        .par_iter()
        .filter(|p| p.kind == ProcessEventKind::Created)
        .filter_map(|p| {
            // Tested before lower-casing: one allocation per creator, not per process.
            let line = p.command_line.as_deref()?;
            (contains_ascii_ci(line, "schtasks") && contains_ascii_ci(line, "/create"))
                .then(|| (p, line.to_lowercase()))
        })
        .collect();
    // Tasks are independent: on all cores, in task-path order.
    let groups: Vec<Sources<'_>> = groups.into_values().collect();
    groups
        .par_iter()
        .map(|g| report(g, collected, &creators, execution, system_root))
        .collect()
}

/// What the evidence holds about one task.
#[derive(Default)]
struct Sources<'a> {
    file: Option<&'a ScheduledTask>,
    cache: Option<&'a TaskCacheEntry>,
    events: Vec<&'a TaskEvent>,
}

/// Which task stores the evidence holds at all: a task missing from one is only telling when
/// the store was collected.
#[derive(Clone, Copy)]
struct Collected {
    task_files: bool,
    task_cache: bool,
}

/// `\GameOver` and `GameOver` are the same task; names compare without case.
fn key(name: &str) -> String {
    format!("\\{}", name.trim_start_matches('\\')).to_lowercase()
}

fn report(
    sources: &Sources<'_>,
    collected: Collected,
    creators: &[(&ProcessEvent, String)],
    execution: &ExecutionIndex<'_>,
    system_root: &str,
) -> TaskReport {
    let (file, cache, events) = (sources.file, sources.cache, &sources.events[..]);
    let name = file
        .map(|f| f.name.clone())
        .or_else(|| cache.map(|c| c.path.clone()))
        .or_else(|| events.first().map(|e| e.task.to_string()))
        .unwrap_or_default();
    let actions = sources.actions();
    let status = sources.status();
    let mut evidence_items: Vec<EvidenceItem> = events.iter().map(|e| event_item(e)).collect();
    evidence_items.extend(cache.map(cache_item));
    let launched = cache.and_then(|c| Some((c, c.last_launched?)));
    evidence_items.extend(launched.map(|(c, at)| launch_item(c, at)));
    evidence_items.extend(creation_items(&name, creators));
    let ran_events = events
        .iter()
        .filter(|e| {
            matches!(
                e.kind,
                TaskEventKind::ActionStarted | TaskEventKind::ProcessCreated
            )
        })
        .count();
    let since = sources.registered_since();
    let runs = ActionRuns::gather(&actions, execution, system_root, since.as_ref());
    let earlier_sentence = since
        .as_ref()
        .and_then(|s| earlier_runs_sentence(&runs.earlier, s));
    // A `.job` records its last run itself, in local time: on the timeline only once the
    // SYSTEM hive's zone has converted it.
    let job_run = file.and_then(|f| Some((f, f.last_run_local.as_deref()?)));
    let executed = ran_events > 0 || runs.count > 0 || job_run.is_some() || launched.is_some();
    let mut summary = sources.status_line(status);
    summary.push_str(&execution_clause(
        job_run.map(|(_, at)| at),
        launched.map(|(_, at)| at),
        ran_events,
        &runs,
    ));
    evidence_items.extend(runs.items);
    evidence_items.extend(runs.earlier);
    evidence_items.extend(job_run.map(|(f, at)| job_run_item(f, at)));
    evidence_items.sort_by_key(|i| i.time);
    if let Some(sentence) = &earlier_sentence {
        summary.push_str(&format!(". {sentence}"));
    }
    // Windows' own tasks, present as every install has them, are not shown without --all.
    let notable = !(status == TaskStatus::PresentUnlogged
        && name.to_ascii_lowercase().starts_with("\\microsoft\\"));
    let content = events
        .iter()
        .rev()
        .find(|e| e.content.is_some())
        .map(|e| event_item(e));
    let mut flags = attention(file, &actions, content);
    flags.extend(store_flags(file, cache, collected));
    TaskReport {
        notable,
        ranking: konseki_model::Ranking::default(),
        attention: flags,
        name,
        file: file.cloned(),
        cache: cache.cloned(),
        actions,
        status,
        execution: if executed {
            Execution::Executed
        } else {
            Execution::NoEvidence
        },
        summary,
        evidence: evidence_items,
    }
}

/// How the summary says whether the task ran: the task's own run events and its program's
/// runs first, else the `.job`'s or the TaskCache's record of its last run.
fn execution_clause(
    job_run: Option<&str>,
    launched: Option<Timestamp>,
    ran_events: usize,
    runs: &ActionRuns,
) -> String {
    let program_runs = runs.count;
    let executed = ran_events > 0 || program_runs > 0 || job_run.is_some() || launched.is_some();
    if let (Some(at), 0, 0) = (job_run, ran_events, program_runs) {
        format!("; executed: the .job records its last run at {at} (local time)")
    } else if let (Some(at), 0, 0) = (launched, ran_events, program_runs) {
        format!("; executed: the TaskCache records its last launch at {at}")
    } else if executed {
        format!(
            "; executed: {ran_events} task run event(s), {program_runs} Prefetch run time(s) or process start(s) of its program{}",
            job_run
                .map(|at| format!(", the .job's last run at {at} (local time)"))
                .unwrap_or_default()
        )
    } else if !runs.shared_hosts.is_empty() {
        format!(
            "; no task run event, and its program ({}) runs for many others: its runs do not show this task ran",
            runs.shared_hosts.join(", ")
        )
    } else {
        "; no evidence of execution of its program in the artifacts present".to_string()
    }
}

impl Sources<'_> {
    /// The actions, from the task file, else the TaskCache, else the last logged content.
    fn actions(&self) -> Vec<TaskAction> {
        self.file
            .map(|f| f.actions.clone())
            .filter(|a| !a.is_empty())
            .or_else(|| {
                self.cache
                    .map(|c| c.actions.clone())
                    .filter(|a| !a.is_empty())
            })
            .or_else(|| {
                self.events
                    .iter()
                    .rev()
                    .find_map(|e| e.content.as_ref().map(|c| c.actions.clone()))
            })
            .unwrap_or_default()
    }

    fn first(&self, kind: TaskEventKind) -> Option<Timestamp> {
        self.events.iter().find(|e| e.kind == kind).map(|e| e.time)
    }

    fn last(&self, kind: TaskEventKind) -> Option<Timestamp> {
        self.events
            .iter()
            .rev()
            .find(|e| e.kind == kind)
            .map(|e| e.time)
    }

    /// Present, removed, or registered in the logs with no file left.
    fn status(&self) -> TaskStatus {
        let stored = self.file.is_some() || self.cache.is_some();
        let (registered, deleted) = (
            self.first(TaskEventKind::Registered),
            self.last(TaskEventKind::Deleted),
        );
        match (stored, registered, deleted) {
            (false, Some(r), Some(d)) if d >= r => TaskStatus::PersistedThenRemoved,
            (false, None, Some(_)) => TaskStatus::Removed,
            (true, Some(_), _) => TaskStatus::Present,
            (true, None, _) => TaskStatus::PresentUnlogged,
            _ => TaskStatus::RegisteredFileAbsent,
        }
    }

    /// The status with the logged registration, update and deletion times.
    fn status_line(&self, status: TaskStatus) -> String {
        let times = [
            ("registered", self.first(TaskEventKind::Registered)),
            ("updated", self.last(TaskEventKind::Updated)),
            ("deleted", self.last(TaskEventKind::Deleted)),
        ]
        .iter()
        .filter_map(|(what, t)| t.map(|t| format!("{what} {t}")))
        .collect::<Vec<_>>();
        let mut line = status.label().to_string();
        if !times.is_empty() {
            line.push_str(&format!(" ({})", times.join(", ")));
        }
        line
    }

    /// The task exists from its registration: its program's runs before then are not its own.
    fn registered_since(&self) -> Option<Since> {
        Since::earliest(
            self.events
                .iter()
                .filter(|e| e.kind == TaskEventKind::Registered)
                .map(|e| Since {
                    at: e.time,
                    what: format!("registered ({})", record_text(&e.source)),
                })
                .chain(self.cache.and_then(|c| {
                    Some(Since {
                        at: c.registered?,
                        what: "registered (TaskCache DynamicInfo)".to_string(),
                    })
                })),
        )
    }
}

/// What the execution index knows of a task's programs.
struct ActionRuns {
    /// Runs since the task was registered.
    count: usize,
    /// Those runs, and what Amcache recorded of the programs.
    items: Vec<EvidenceItem>,
    /// Runs before the task existed: said, never its execution.
    earlier: Vec<EvidenceItem>,
    /// Programs that run for many others (svchost, rundll32…): their runs are not the task's.
    shared_hosts: Vec<String>,
}

impl ActionRuns {
    fn gather(
        actions: &[TaskAction],
        execution: &ExecutionIndex<'_>,
        system_root: &str,
        since: Option<&Since>,
    ) -> ActionRuns {
        let mut out = ActionRuns {
            count: 0,
            items: Vec::new(),
            earlier: Vec::new(),
            shared_hosts: Vec::new(),
        };
        for action in actions {
            let TaskAction::Exec { command, .. } = action else {
                continue;
            };
            let command = expand_system_root(command.trim_matches('"'), system_root);
            let found = execution.of_program(&command, &[]);
            if found.shared_host {
                out.shared_hosts.push(command);
                continue;
            }
            let mut runs = found.prefetch_runs.clone();
            runs.extend(found.process_starts.iter().cloned());
            let (runs, before) = split_runs(runs, since);
            out.count += runs.len();
            out.items.extend(runs);
            out.earlier.extend(before);
            // Present on the system (Amcache), as for services and autostart entries.
            out.items.extend(found.recorded_items());
        }
        out
    }
}

/// The TaskCache's record of the last launch.
fn launch_item(c: &TaskCacheEntry, at: Timestamp) -> EvidenceItem {
    EvidenceItem {
        source: c.source.clone(),
        time: Some(at),
        summary: format!(
            "TaskCache DynamicInfo: the Task Scheduler last launched {} at {at}",
            c.path
        )
        .into(),
    }
}

/// A `.job`'s own record of its last run (local time, UTC once the zone is known).
fn job_run_item(f: &ScheduledTask, at: &str) -> EvidenceItem {
    EvidenceItem {
        source: f.source.clone(),
        time: f.last_run_utc,
        summary: format!(
            "the .job records its last run at {at} (local time, as written{}): the Task Scheduler started it then",
            f.last_run_utc
                .map(|t| format!("; {t} with the SYSTEM hive's time zone"))
                .unwrap_or_default()
        )
        .into(),
    }
}

/// A task event as evidence: what happened to which task, what it runs.
pub(crate) fn event_item(e: &TaskEvent) -> EvidenceItem {
    let what = match e.kind {
        TaskEventKind::Registered => "task registered",
        TaskEventKind::Updated => "task updated",
        TaskEventKind::Deleted => "task deleted",
        TaskEventKind::Enabled => "task enabled",
        TaskEventKind::Disabled => "task disabled",
        TaskEventKind::ActionStarted => "task action started",
        TaskEventKind::ActionCompleted => "task action completed",
        TaskEventKind::ProcessCreated => "task process created",
    };
    let actions = e
        .content
        .as_ref()
        .map(|c| format!(", runs {}", actions_line(&c.actions)))
        .unwrap_or_default();
    let detail = if e.detail.is_empty() {
        String::new()
    } else {
        format!(" ({})", e.detail)
    };
    EvidenceItem {
        source: e.source.clone(),
        time: Some(e.time),
        summary: shared(format!("{what}: {}{actions}{detail}", e.task)),
    }
}

/// Processes that created the task: `schtasks /create … /tn NAME` (Security 4688, Sysmon 1);
/// `creators` are the task-creating processes with their lower-cased command lines.
fn creation_items(name: &str, creators: &[(&ProcessEvent, String)]) -> Vec<EvidenceItem> {
    let short = name.trim_start_matches('\\').to_lowercase();
    if short.is_empty() {
        return Vec::new();
    }
    creators
        .iter()
        .filter(|(_, line)| names_task(line, &short))
        .map(|(p, _)| EvidenceItem {
            source: p.source.clone(),
            time: Some(p.time),
            summary: format!("task created by process {}", process_text(p)).into(),
        })
        .collect()
}

/// The command line's `/tn` argument is the task (quoted or not, with or without `\`).
fn names_task(line: &str, short: &str) -> bool {
    let Some(at) = line.find("/tn ") else {
        return false;
    };
    let rest = line[at + 4..].trim_start();
    let value = match rest.strip_prefix('"') {
        Some(quoted) => quoted.split('"').next().unwrap_or(""),
        None => rest.split_whitespace().next().unwrap_or(""),
    };
    value.trim_start_matches('\\') == short
}

/// Flags on the task's definition; `defined_by` cites the event carrying it when no file does.
fn attention(
    file: Option<&ScheduledTask>,
    actions: &[TaskAction],
    defined_by: Option<EvidenceItem>,
) -> Vec<Attention> {
    let mut flags = Vec::new();
    if let Some(f) = file.filter(|f| f.hidden) {
        flags.push(Attention {
            id: Flag::HiddenTask,
            reason: "the task is marked hidden (<Settings><Hidden>true): the Task Scheduler console does not show it".into(),
            evidence: vec![file_item(f)],
        });
    }
    for action in actions {
        let TaskAction::Exec {
            command, arguments, ..
        } = action
        else {
            continue;
        };
        let item = || file.map(file_item).or_else(|| defined_by.clone());
        if let Some(place) = user_writable_place(&command.to_ascii_lowercase()) {
            flags.push(Attention {
                id: Flag::UserWritableProgram,
                reason: format!(
                    "the task runs `{command}`, in a user-writable place (`{}`)",
                    place.trim_matches('\\')
                ),
                evidence: item().into_iter().collect(),
            });
        }
        if let Some(shell) = interpreter(&format!("{command} {arguments}")) {
            flags.push(Attention {
                id: Flag::InterpreterCommand,
                reason: format!("the task runs a command interpreter (`{shell}`)"),
                evidence: item().into_iter().collect(),
            });
        }
        flags.extend(lolbin_flag(
            command,
            "the task",
            item().into_iter().collect(),
        ));
    }
    flags
}

/// The task's registration in the TaskCache, as evidence.
fn cache_item(c: &TaskCacheEntry) -> EvidenceItem {
    EvidenceItem {
        source: c.source.clone(),
        time: c.registered,
        summary: format!(
            "TaskCache registration {}{}: runs {}{}",
            c.path,
            c.id.as_deref()
                .map(|id| format!(" ({id})"))
                .unwrap_or_default(),
            if c.actions.is_empty() {
                "?".to_string()
            } else {
                actions_line(&c.actions)
            },
            if c.has_security_descriptor {
                ""
            } else {
                "; no SD value"
            }
        )
        .into(),
    }
}

/// Flags from comparing the two task stores: the TaskCache (what the service runs) and the
/// files under `System32\Tasks` (what most tools list).
fn store_flags(
    file: Option<&ScheduledTask>,
    cache: Option<&TaskCacheEntry>,
    collected: Collected,
) -> Vec<Attention> {
    let mut flags = Vec::new();
    if let Some(c) = cache {
        if !c.has_security_descriptor {
            flags.push(Attention {
                id: Flag::TaskSecurityDescriptorRemoved,
                reason: "the TaskCache Tree key has no SD value: the task is hidden from schtasks and the Task Scheduler console, yet still runs (the \"Tarrask\" technique)".into(),
                evidence: vec![cache_item(c)],
            });
        }
        if file.is_none() && collected.task_files {
            flags.push(Attention {
                id: Flag::TaskFileMissing,
                reason: "registered in the TaskCache, but its file under System32\\Tasks is not among the task files collected: deleted to hide the task (it still runs while registered), or not collected".into(),
                evidence: vec![cache_item(c)],
            });
        }
        if let Some(f) = file.filter(|f| !f.legacy_job && !c.actions.is_empty()) {
            if actions_line(&f.actions) != actions_line(&c.actions) {
                flags.push(Attention {
                    id: Flag::TaskActionsDiffer,
                    reason: format!(
                        "the TaskCache runs `{}`, the task file says `{}`: the Task Scheduler runs what its cache holds",
                        actions_line(&c.actions),
                        actions_line(&f.actions)
                    ),
                    evidence: vec![cache_item(c), file_item(f)],
                });
            }
        }
    } else if let Some(f) = file.filter(|f| !f.legacy_job && collected.task_cache) {
        flags.push(Attention {
            id: Flag::TaskNotRegistered,
            reason: "its file is under System32\\Tasks but the TaskCache does not register it: placed on disk without the Task Scheduler (it does not run until registered), or its registration was removed".into(),
            evidence: vec![file_item(f)],
        });
    }
    flags
}

fn file_item(f: &ScheduledTask) -> EvidenceItem {
    EvidenceItem {
        source: f.source.clone(),
        time: None,
        summary: format!(
            "task file {}: runs {}; triggers: {}; registered (local time, as written) {}{}",
            f.name,
            actions_line(&f.actions),
            if f.triggers.is_empty() {
                "none".to_string()
            } else {
                f.triggers.join("; ")
            },
            f.date_local.as_deref().unwrap_or("?"),
            f.date_utc
                .map(|t| format!(" = {t} (the SYSTEM hive's time zone)"))
                .unwrap_or_default()
        )
        .into(),
    }
}

/// The earliest time among items, for sorting reports in tables.
pub fn first_time(report: &TaskReport) -> Option<Timestamp> {
    report.evidence.iter().filter_map(|i| i.time).min()
}

/// Whether `text` holds `needle` (ASCII), ignoring ASCII case, without allocating. Every
/// process's command line is asked (a busy Security log holds hundreds of thousands): the
/// places where the needle's first letter is, in either case, are found with `memchr` (SIMD)
/// and only those compared.
fn contains_ascii_ci(text: &str, needle: &str) -> bool {
    let (text, needle) = (text.as_bytes(), needle.as_bytes());
    let Some(&first) = needle.first() else {
        return true;
    };
    let last_start = match text.len().checked_sub(needle.len()) {
        Some(last) => last,
        None => return false,
    };
    let (lower, upper) = (first.to_ascii_lowercase(), first.to_ascii_uppercase());
    memchr::memchr2_iter(lower, upper, &text[..=last_start])
        .any(|at| text[at..at + needle.len()].eq_ignore_ascii_case(needle))
}

#[cfg(test)]
mod tests {
    use super::contains_ascii_ci;

    #[test]
    fn a_needle_is_found_in_any_case_anywhere() {
        assert!(contains_ascii_ci(
            "C:\\Windows\\SchTasks.exe /CREATE /tn x",
            "schtasks"
        ));
        assert!(contains_ascii_ci("schtasks.exe /create", "/create"));
        assert!(contains_ascii_ci("x /cReAtE", "/create"), "at the very end");
        assert!(
            contains_ascii_ci("ssschtasks", "schtasks"),
            "after false starts"
        );
        assert!(
            !contains_ascii_ci("schtask", "schtasks"),
            "shorter than the needle"
        );
        assert!(!contains_ascii_ci("sch tasks /creat", "schtasks"));
        assert!(!contains_ascii_ci("", "/create"));
        assert!(contains_ascii_ci("anything", ""));
    }
}
