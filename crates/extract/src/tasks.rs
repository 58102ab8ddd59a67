//! Scheduled task definitions (Task Scheduler 2.0 XML, MS-TSCH §2.5): the files under
//! `Windows\System32\Tasks` (UTF-16LE with a byte-order mark) and the `TaskContent` that
//! Security 4698/4702 events carry; and Task Scheduler 1.0 `.job` files (`Windows\Tasks`). `<Date>` and trigger boundaries are the machine's **local**
//! time with no zone: they are kept as written and labelled so, never shifted.

use std::path::Path;
use std::sync::Arc;

use konseki_model::{Provenance, ScheduledTask, TaskAction};

use crate::error::{Cause, ReadError};

/// Task files are a few kB; larger ones are not read.
const MAX_SIZE: u64 = 4 * 1024 * 1024;

/// Reads the task file at `path`; `None` when it is not a task definition.
pub fn read_task_file(path: &Path) -> Result<Option<ScheduledTask>, ReadError> {
    let failed = |cause: Cause| ReadError::new(path, cause);
    let size = konseki_source::metadata(path)
        .map_err(|e| failed(e.into()))?
        .len;
    if size > MAX_SIZE {
        return Err(failed(Cause::TooLarge {
            size,
            what: "a task definition",
        }));
    }
    let bytes = konseki_source::read(path).map_err(|e| failed(e.into()))?;
    if konseki_job::is_job(&bytes) {
        let source = Provenance::File {
            file: Arc::from(path),
        };
        let job = konseki_job::parse(&bytes).map_err(|e| failed(e.into()))?;
        return Ok(Some(from_job(job, path, source)));
    }
    let text = decode(&bytes);
    let name = name_from_path(path);
    let source = Provenance::File {
        file: Arc::from(path),
    };
    Ok(parse_task(&text, &name, source))
}

/// Parses task XML; `name` is used when the XML has no `<URI>`.
pub fn parse_task(xml: &str, name: &str, source: Provenance) -> Option<ScheduledTask> {
    let doc = roxmltree::Document::parse(xml.trim_start_matches('\u{feff}')).ok()?;
    let task = doc.root_element();
    if task.tag_name().name() != "Task" {
        return None;
    }
    let info = child(task, "RegistrationInfo");
    let settings = child(task, "Settings");
    let flag = |name: &str, default: bool| {
        text(settings, name).map_or(default, |v| v.eq_ignore_ascii_case("true"))
    };
    let actions = child(task, "Actions")
        .map(|a| {
            a.children()
                .filter(|c| c.is_element())
                .filter_map(|c| match c.tag_name().name() {
                    "Exec" => Some(TaskAction::Exec {
                        command: text(Some(c), "Command").unwrap_or_default(),
                        arguments: text(Some(c), "Arguments").unwrap_or_default(),
                        working_directory: text(Some(c), "WorkingDirectory").unwrap_or_default(),
                    }),
                    "ComHandler" => Some(TaskAction::ComHandler {
                        class_id: text(Some(c), "ClassId").unwrap_or_default(),
                        data: text(Some(c), "Data").unwrap_or_default(),
                    }),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    let triggers = child(task, "Triggers")
        .map(|t| {
            t.children()
                .filter(|c| c.is_element())
                .map(trigger_line)
                .collect()
        })
        .unwrap_or_default();
    let principal = child(task, "Principals")
        .and_then(|p| child(p, "Principal"))
        .map(|p| {
            let who = text(Some(p), "UserId")
                .or_else(|| text(Some(p), "GroupId"))
                .unwrap_or_else(|| "?".into());
            let mut line = who;
            for extra in ["LogonType", "RunLevel"] {
                if let Some(v) = text(Some(p), extra) {
                    line.push_str(&format!(", {v}"));
                }
            }
            line
        });
    Some(ScheduledTask {
        // Some Microsoft tasks write their URI without the leading `\`: one form for all.
        name: format!(
            "\\{}",
            text(info, "URI")
                .unwrap_or_else(|| name.to_string())
                .trim_start_matches('\\')
        ),
        author: text(info, "Author"),
        date_local: text(info, "Date"),
        date_utc: None,
        description: text(info, "Description"),
        actions,
        triggers,
        principal,
        hidden: flag("Hidden", false),
        enabled: flag("Enabled", true),
        legacy_job: false,
        last_run_local: None,
        last_run_utc: None,
        source,
    })
}

/// A Task Scheduler 1.0 `.job` as a task: `Windows\Tasks\NAME.job` is `\NAME`.
fn from_job(job: konseki_job::Job, path: &Path, source: Provenance) -> ScheduledTask {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    ScheduledTask {
        name: format!("\\{stem}"),
        author: Some(job.author.clone()).filter(|a| !a.is_empty()),
        date_local: None,
        date_utc: None,
        description: Some(job.comment.clone()).filter(|c| !c.is_empty()),
        actions: vec![TaskAction::Exec {
            command: job.application.clone(),
            arguments: job.parameters.clone(),
            working_directory: job.working_directory.clone(),
        }],
        hidden: job.hidden(),
        enabled: job.enabled(),
        legacy_job: true,
        last_run_local: job.last_run_local.clone(),
        last_run_utc: None,
        triggers: job.triggers,
        principal: None,
        source,
    }
}

type Node<'a, 'i> = roxmltree::Node<'a, 'i>;

/// The first child element named `name`.
fn child<'a, 'i>(node: Node<'a, 'i>, name: &str) -> Option<Node<'a, 'i>> {
    node.children()
        .find(|c| c.is_element() && c.tag_name().name() == name)
}

/// The trimmed text of `node`'s child element `name`, when not empty.
fn text(node: Option<Node<'_, '_>>, name: &str) -> Option<String> {
    node.and_then(|n| child(n, name))
        .and_then(|c| c.text())
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
}

/// `TimeTrigger from 2022-03-10T15:59:00 (local), every PT5M`.
fn trigger_line(node: Node<'_, '_>) -> String {
    let mut line = node.tag_name().name().to_string();
    if let Some(start) = text(Some(node), "StartBoundary") {
        line.push_str(&format!(" from {start} (local)"));
    }
    let repetition = child(node, "Repetition");
    if let Some(every) = text(repetition, "Interval") {
        line.push_str(&format!(", every {every}"));
    }
    if let Some(delay) = text(Some(node), "Delay") {
        line.push_str(&format!(", delay {delay}"));
    }
    if let Some(user) = text(Some(node), "UserId") {
        line.push_str(&format!(", user {user}"));
    }
    if text(Some(node), "Enabled").is_some_and(|v| v.eq_ignore_ascii_case("false")) {
        line.push_str(" (disabled)");
    }
    line
}

/// UTF-16LE (with or without BOM, as Windows writes task files) or UTF-8.
fn decode(bytes: &[u8]) -> String {
    let utf16 =
        bytes.starts_with(&[0xff, 0xfe]) || (bytes.len() > 1 && bytes[1] == 0 && bytes[0] == b'<');
    if utf16 {
        let units: Vec<u16> = bytes
            .chunks_exact(2)
            .map(|u| u16::from_le_bytes([u[0], u[1]]))
            .collect();
        String::from_utf16_lossy(&units)
    } else {
        String::from_utf8_lossy(bytes).into_owned()
    }
}

/// `…\Windows\System32\Tasks\Microsoft\X` → `\Microsoft\X`; else `\<file name>`.
fn name_from_path(path: &Path) -> String {
    let parts: Vec<String> = path
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    match parts.iter().rposition(|p| p.eq_ignore_ascii_case("Tasks")) {
        Some(i) if i + 1 < parts.len() => format!("\\{}", parts[i + 1..].join("\\")),
        _ => format!("\\{}", parts.last().cloned().unwrap_or_default()),
    }
}

/// Local times of tasks in UTC, with the machine's time zone.
pub fn convert_local_times(task: &mut ScheduledTask, zone: &konseki_model::TimeZone) {
    task.date_utc = task.date_local.as_deref().and_then(|d| zone.to_utc(d));
    task.last_run_utc = task.last_run_local.as_deref().and_then(|d| zone.to_utc(d));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source() -> Provenance {
        Provenance::File {
            file: Arc::from(Path::new("t")),
        }
    }

    #[test]
    fn non_task_and_broken_xml_are_not_tasks() {
        assert!(parse_task("<Other/>", "\\x", source()).is_none());
        assert!(parse_task("<Task><Actions>", "\\x", source()).is_none());
        assert!(parse_task("\u{0}\u{1}garbage", "\\x", source()).is_none());
        let minimal = parse_task(
            "<Task xmlns=\"http://schemas.microsoft.com/windows/2004/02/mit/task\"><Actions><Exec><Command>a.exe</Command></Exec></Actions></Task>",
            "Folder\\Name",
            source(),
        )
        .unwrap();
        assert_eq!(minimal.name, "\\Folder\\Name");
        assert!(minimal.enabled && !minimal.hidden);
    }

    #[test]
    fn names_come_from_the_tasks_folder() {
        let path = Path::new("/c/Windows/System32/Tasks/Microsoft/Windows/Defrag/ScheduledDefrag");
        assert_eq!(
            name_from_path(path),
            "\\Microsoft\\Windows\\Defrag\\ScheduledDefrag"
        );
        assert_eq!(decode(&[0xff, 0xfe, b'<', 0, b'a', 0]), "\u{feff}<a");
    }
}
