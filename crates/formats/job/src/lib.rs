//! Task Scheduler 1.0 `.job` files (`Windows\Tasks\*.job`, [MS-TSCH] §2.4): the legacy task
//! format `at.exe` and the `ITask` API still write. Read: the fixed-length section (flags,
//! status, exit code, last run time), the application, parameters, working directory, author,
//! comment, and the triggers.
//!
//! Times in a `.job` are SYSTEMTIMEs of the machine's **local** time, with no zone: they are
//! returned as written (`2013-08-24T12:42:00.112`), never shifted.
//!
//! [MS-TSCH]: https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-tsch/

use std::io::Read;
use std::path::Path;

use konseki_bytes::{guid, u16_at, u32_at, utf16_until_nul};

/// A `.job` file is a few kB.
const MAX_SIZE: u64 = 256 * 1024;
/// Triggers read at most: a crafted count must not make the report endless.
const MAX_TRIGGERS: usize = 256;

/// `TASK_FLAG_DISABLED`.
pub const FLAG_DISABLED: u32 = 0x4;
/// `TASK_FLAG_HIDDEN`.
pub const FLAG_HIDDEN: u32 = 0x200;

/// Why a file is not read as a `.job`.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// The file could not be read.
    #[error("cannot read: {0}")]
    Io(#[from] std::io::Error),
    /// Not a `.job`, or cut short.
    #[error("not a Task Scheduler 1.0 job: {0}")]
    Invalid(String),
}

/// A legacy scheduled task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    /// Product version (0x0601 = Windows 7…), the Windows that wrote it.
    pub product_version: u16,
    /// The job's UUID.
    pub uuid: String,
    /// The application it runs.
    pub application: String,
    /// Its parameters.
    pub parameters: String,
    /// Working directory.
    pub working_directory: String,
    /// Author (the account that created it).
    pub author: String,
    /// Comment.
    pub comment: String,
    /// `TASK_FLAG_*` bits.
    pub flags: u32,
    /// Status (`0x41300` ready, `0x41301` running, `0x41303` has not run, …).
    pub status: u32,
    /// Exit code of the last run.
    pub exit_code: u32,
    /// The last run's start, local time as written; `None` when it never ran.
    pub last_run_local: Option<String>,
    /// Instances running when the file was written.
    pub running_instances: u16,
    /// One line per trigger; start times local, as written.
    pub triggers: Vec<String>,
}

impl Job {
    /// `TASK_FLAG_HIDDEN`.
    pub fn hidden(&self) -> bool {
        self.flags & FLAG_HIDDEN != 0
    }
    /// Not `TASK_FLAG_DISABLED`.
    pub fn enabled(&self) -> bool {
        self.flags & FLAG_DISABLED == 0
    }
}

/// Reads the `.job` file at `path` (opened read-only).
pub fn read_job(path: &Path) -> Result<Job, JobError> {
    let mut data = Vec::new();
    konseki_source::open(path)?
        .take(MAX_SIZE)
        .read_to_end(&mut data)?;
    parse(&data)
}

/// Does this look like a `.job` (known product version, format version 1, the application
/// name right after the fixed section)?
pub fn is_job(head: &[u8]) -> bool {
    let version = u16_at(head, 0).unwrap_or(0);
    (0x0400..=0x0a00).contains(&version)
        && u16_at(head, 2) == Some(1)
        && u16_at(head, 20) == Some(0x46)
}

/// Parses a `.job` file's bytes.
pub fn parse(d: &[u8]) -> Result<Job, JobError> {
    let invalid = |what: &str| JobError::Invalid(what.to_string());
    if !is_job(d) {
        return Err(invalid(
            "no fixed-length section (product version, format version 1, name at 0x46)",
        ));
    }
    let field = |at| u32_at(d, at).ok_or_else(|| invalid("truncated fixed-length section"));
    let uuid = d.get(4..20).and_then(guid).unwrap_or_default();
    let triggers_at = usize::from(u16_at(d, 22).unwrap_or(0));
    let (exit_code, status, flags) = (field(40)?, field(44)?, field(48)?);
    let last_run_local = system_time(d.get(52..68).unwrap_or_default());
    let running_instances = u16_at(d, 68).unwrap_or(0);
    let mut at = 70;
    let mut text = || -> Result<String, JobError> {
        let chars = usize::from(u16_at(d, at).ok_or_else(|| invalid("truncated strings"))?);
        let raw = d
            .get(at + 2..at + 2 + 2 * chars)
            .ok_or_else(|| invalid("a string runs past the end"))?;
        at += 2 + 2 * chars;
        Ok(utf16_until_nul(raw))
    };
    let application = text()?;
    let parameters = text()?;
    let working_directory = text()?;
    let author = text()?;
    let comment = text()?;
    Ok(Job {
        product_version: u16_at(d, 0).unwrap_or(0),
        uuid,
        application,
        parameters,
        working_directory,
        author,
        comment,
        flags,
        status,
        exit_code,
        last_run_local,
        running_instances,
        triggers: triggers(d, triggers_at),
    })
}

/// The trigger array at `at` (the offset the fixed section gives), one line each.
fn triggers(d: &[u8], at: usize) -> Vec<String> {
    let count = usize::from(u16_at(d, at).unwrap_or(0)).min(MAX_TRIGGERS);
    (0..count)
        .map_while(|i| d.get(at + 2 + 48 * i..at + 2 + 48 * (i + 1)))
        .map(trigger_line)
        .collect()
}

fn trigger_line(t: &[u8]) -> String {
    let v = |at| u16_at(t, at).unwrap_or(0);
    let w = |at| u32_at(t, at).unwrap_or(0);
    let start = format!(
        "{:04}-{:02}-{:02} {:02}:{:02}",
        v(4),
        v(6),
        v(8),
        v(16),
        v(18)
    );
    let kind = match w(32) {
        0 => "once".to_string(),
        1 => format!("daily, every {} day(s)", v(36)),
        2 => format!("weekly, every {} week(s)", v(36)),
        3 => "monthly on given days".to_string(),
        4 => "monthly on given weekdays".to_string(),
        5 => "when idle".to_string(),
        6 => "at system start".to_string(),
        7 => "at logon".to_string(),
        other => format!("type {other}"),
    };
    let mut line = format!("{kind}, from {start} (local time)");
    let flags = w(28);
    if flags & 0x1 != 0 {
        line.push_str(&format!(" until {:04}-{:02}-{:02}", v(10), v(12), v(14)));
    }
    let (duration, interval) = (w(20), w(24));
    if interval != 0 {
        line.push_str(&format!(", repeat every {interval} min for {duration} min"));
    }
    if flags & 0x4 != 0 {
        line.push_str(" (trigger disabled)");
    }
    line
}

/// A SYSTEMTIME as written (local time); `None` when zero (never ran) or not a date.
fn system_time(b: &[u8]) -> Option<String> {
    let v = |i: usize| u16_at(b, 2 * i).unwrap_or(0);
    let (year, month, day) = (v(0), v(1), v(3));
    if year < 1601 || !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    Some(format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}",
        v(4),
        v(5),
        v(6),
        v(7)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_or_foreign_bytes_are_rejected_without_panicking() {
        assert!(parse(b"").is_err());
        assert!(parse(&[0x01, 0x06, 0x01, 0x00]).is_err());
        let mut head = vec![0u8; 70];
        head[0..2].copy_from_slice(&0x0601u16.to_le_bytes());
        head[2] = 1;
        head[20] = 0x46;
        assert!(matches!(parse(&head), Err(JobError::Invalid(_))));
    }
}
