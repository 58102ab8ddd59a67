//! Event records → SCM lifecycle events tied to service **key** names, and boot markers.
//!
//! Key names: 7009/7000/7031/7036 carry the key in `Binary` (UTF-16LE; 7036 as `Name/state`),
//! 7040 in param4, 4697 in ServiceName; 7045's ServiceName is the display name
//! (`docs/windows-facts.md`, "SCM and Security events", "Display names and key names"). Events with only a display name are tied to a
//! key afterwards by [`resolve_display_names`].

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use crate::image_path::{normalize_image_path, WindowsPaths};
use crate::shared_text::SharedText;
use konseki_evtx::{Event, EventIdFilter};
use konseki_model::{
    service_type_from_logged, service_type_words, BootMarker, BootMarkerKind, ClockStep, Install,
    KeyLink, ProcessEvent, ProcessEventKind, Provenance, RegistryEvent, ScmEvent, ScmEventKind,
    ServiceConfig, StartType, TaskEvent, TaskEventKind,
};

const SCM_PROVIDER: &str = "Service Control Manager";

/// The providers [`classify`] reads, as it spells them.
const PROVIDERS: [&str; 8] = [
    "EventLog",
    "Microsoft-Windows-Kernel-General",
    "User32",
    "Microsoft-Windows-Eventlog",
    SECURITY,
    SYSMON,
    "Microsoft-Windows-TaskScheduler",
    SCM_PROVIDER,
];

/// `provider` spelled as [`classify`] matches it, whatever its case.
fn canonical_provider(provider: &str) -> &str {
    PROVIDERS
        .iter()
        .copied()
        .find(|p| p.eq_ignore_ascii_case(provider))
        .unwrap_or(provider)
}

/// The event ids this extractor wants rendered.
pub fn scm_event_ids() -> impl Iterator<Item = u16> {
    [
        7045, 7009, 7000, 7011, 7022, 7023, 7024, 7026, 7031, 7032, 7034, 7036, 7040, // SCM
        4697, // Security: service installed
        6005, 6006, 6008, 6009, 12, 13, 1074, // boot and shutdown
        104, 1102, // log cleared
        4688, 4689, 1, 5, // process created / exited (Security, Sysmon)
        4698, 4699, 4700, 4701,
        4702, // Security: task registered, deleted, enabled, disabled, updated
        106, 140, 141, 142, 200, 201, 129, // TaskScheduler/Operational: task life and runs
        14,  // Sysmon: registry renamed (12 and 13, listed above, are Sysmon's too)
    ]
    .into_iter()
}

/// The `EventData` fields [`classify`] reads of process events, by provider and event id: the
/// reader converts only these (a Sysmon process start has over twenty).
const PROCESS_FIELDS: [(&str, u16, &[&str]); 4] = [
    (
        SECURITY,
        4688,
        &[
            "NewProcessName",
            "NewProcessId",
            "ProcessId",
            "ParentProcessName",
            "CommandLine",
        ],
    ),
    (SECURITY, 4689, &["ProcessName", "ProcessId"]),
    (
        SYSMON,
        1,
        &[
            "Image",
            "ProcessId",
            "ParentProcessId",
            "ParentImage",
            "CommandLine",
        ],
    ),
    (SYSMON, 5, &["Image", "ProcessId"]),
];
const SECURITY: &str = "Microsoft-Windows-Security-Auditing";
const SYSMON: &str = "Microsoft-Windows-Sysmon";

/// The reader's filter for what [`classify`] reads: [`scm_event_ids`], and of process events
/// only the fields it uses.
pub fn event_filter() -> EventIdFilter {
    PROCESS_FIELDS.iter().fold(
        EventIdFilter::new(scm_event_ids()),
        |filter, (provider, event_id, fields)| filter.keep_only_fields(provider, *event_id, fields),
    )
}

/// What one record is to konseki.
pub enum Extracted {
    /// A service lifecycle event.
    Service(ScmEvent),
    /// A boot/shutdown/log-cleared marker.
    Marker(BootMarker),
    /// A process start or end.
    Process(ProcessEvent),
    /// A scheduled task's registration, change, deletion or run.
    Task(TaskEvent),
    /// A registry change (Sysmon 12/13/14).
    Registry(RegistryEvent),
    /// A change of the system clock (Kernel-General 1).
    Clock(ClockStep),
}

/// Classifies one rendered event; `None` for ids shared with providers konseki does not read
/// (e.g. Sysmon 12/13 are registry events, not Kernel-General boot markers).
pub fn classify(file: &Arc<Path>, event: Event, text: &mut SharedText) -> Option<Extracted> {
    let source = Provenance::EventRecord {
        file: file.clone(),
        record_id: event.record_id,
        event_id: event.event_id,
    };
    // Providers are matched as Windows matches them, without regard to case (a 1074 is logged
    // by `User32` or `USER32` depending on the build).
    let provider = canonical_provider(&event.provider);
    if let Some(kind) = boot_marker_kind(event.event_id, provider) {
        return Some(Extracted::Marker(BootMarker {
            kind,
            time: event.time,
            computer: event.computer.clone(),
            source,
        }));
    }
    match (event.event_id, provider) {
        (1, "Microsoft-Windows-Kernel-General") => clock_step(&event, source).map(Extracted::Clock),
        (4688 | 4689, SECURITY) | (1 | 5, SYSMON) => {
            process_event(&event, source, text).map(Extracted::Process)
        }
        (12..=14, SYSMON) => registry_event(&event, source).map(Extracted::Registry),
        (4698..=4702, SECURITY)
        | (106 | 140 | 141 | 142 | 200 | 201 | 129, "Microsoft-Windows-TaskScheduler") => {
            task_event(&event, source, text).map(Extracted::Task)
        }
        (4697, SECURITY) => scm_event(event, source, text).map(Extracted::Service),
        (id, SCM_PROVIDER) if (7000..=7045).contains(&id) => {
            scm_event(event, source, text).map(Extracted::Service)
        }
        _ => None,
    }
}

/// The boot and shutdown markers (and log clearing, which cuts what a log can show).
fn boot_marker_kind(event_id: u16, provider: &str) -> Option<BootMarkerKind> {
    Some(match (event_id, provider) {
        (6005, "EventLog") | (12, "Microsoft-Windows-Kernel-General") => BootMarkerKind::Boot,
        (6006, "EventLog") | (13, "Microsoft-Windows-Kernel-General") => BootMarkerKind::Shutdown,
        (6008, "EventLog") => BootMarkerKind::UnexpectedShutdown,
        (6009, "EventLog") => BootMarkerKind::BootInfo,
        (1074, "User32") => BootMarkerKind::ShutdownInitiated,
        (104 | 1102, "Microsoft-Windows-Eventlog") => BootMarkerKind::LogCleared,
        _ => return None,
    })
}

/// Sysmon 12/13/14: a registry key or value created, set, deleted or renamed.
fn registry_event(event: &Event, source: Provenance) -> Option<RegistryEvent> {
    let field = |name: &str| {
        event
            .data(name)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    let target = field("TargetObject")?;
    let event_type = field("EventType").unwrap_or_default();
    // A key event (CreateKey, DeleteKey, RenameKey) names a key, not a value.
    let key_event = event_type.ends_with("Key");
    let parsed = if key_event {
        crate::registry_target::parse(&format!("{target}\\"))
    } else {
        crate::registry_target::parse(&target)
    };
    let service = parsed.and_then(|t| t.service().map(|(name, _)| name.to_string()));
    Some(RegistryEvent {
        time: event.time,
        event_type,
        target,
        service,
        details: field("Details").or_else(|| field("NewName")),
        image: field("Image").unwrap_or_default(),
        pid: field("ProcessId").and_then(|p| p.trim().parse().ok()),
        source,
    })
}

/// How an SCM event names its service: by key name (in its binary data, or a field), else by
/// display name, tied to a key later.
struct Naming<'a> {
    key: Option<&'a str>,
    link: KeyLink,
    display_name: Option<&'a str>,
}

/// An SCM event (or Security 4697) about one service.
fn scm_event(event: Event, source: Provenance, text: &mut SharedText) -> Option<ScmEvent> {
    let binary_key = event.binary.as_deref().and_then(utf16_text);
    let mut naming = Naming {
        key: binary_key.as_deref(),
        link: match &binary_key {
            Some(_) => KeyLink::Binary,
            None => KeyLink::Unresolved,
        },
        display_name: None,
    };
    let what = scm_kind(&event, &mut naming)?;
    let display_name = naming.display_name.filter(|d| !d.is_empty());
    // Names are shared from borrowed text: one allocation per distinct name in a log.
    let service = naming
        .key
        .filter(|k| !k.is_empty())
        .or(display_name)
        .unwrap_or_default();
    let (service, display_name) = (text.share(service), display_name.map(|d| text.share(d)));
    let link = naming.link;
    Some(ScmEvent {
        event_id: event.event_id,
        time: event.time,
        service,
        display_name,
        link,
        what,
        computer: event.computer,
        user_sid: event.user_sid,
        source,
        data: event
            .data
            .into_iter()
            .map(|(name, value)| (name, text.share(&value)))
            .collect(),
    })
}

/// What an SCM event says, and how it names its service (`naming`, updated).
fn scm_kind<'a>(event: &'a Event, naming: &mut Naming<'a>) -> Option<ScmEventKind> {
    let text_of = |name: &'static str| event.data(name).unwrap_or_default();
    let p = |name: &'static str| text_of(name).to_string();
    let number = |name: &'static str| text_of(name).trim().parse().ok();
    let (display, what) = match event.event_id {
        7045 | 4697 => return Some(install_kind(event, naming)),
        7036 => return Some(state_change(event, naming)),
        7040 => {
            if let Some(k) = event.data("param4").filter(|k| !k.is_empty()) {
                naming.key = Some(k);
                naming.link = KeyLink::Field;
            }
            let what = ScmEventKind::StartTypeChanged {
                from: p("param2"),
                to: p("param3"),
            };
            ("param1", what)
        }
        7026 => {
            // param1 lists driver key names; the event is attached to each by `push_per_driver`.
            naming.link = KeyLink::Field;
            return Some(ScmEventKind::DriversFailed {
                drivers: p("param1"),
            });
        }
        7009 => (
            "param2",
            ScmEventKind::ConnectTimeout {
                timeout_ms: number("param1"),
            },
        ),
        7011 => (
            "param2",
            ScmEventKind::TransactionTimeout {
                timeout_ms: number("param1"),
            },
        ),
        7000 => ("param1", ScmEventKind::StartFailed { error: p("param2") }),
        7022 => ("param1", ScmEventKind::HungOnStart),
        7023 | 7024 => (
            "param1",
            ScmEventKind::TerminatedWithError { error: p("param2") },
        ),
        7031 | 7034 => {
            let recovery = event.event_id == 7031;
            let what = ScmEventKind::Crashed {
                count: text_of("param2").trim().parse().ok(),
                action_delay_ms: recovery.then(|| number("param3")).flatten(),
                action: recovery.then(|| p("param5")).filter(|s| !s.is_empty()),
            };
            ("param1", what)
        }
        7032 => (
            "param2",
            ScmEventKind::RecoveryFailed {
                action: p("param1"),
                error: p("param3"),
            },
        ),
        _ => return None,
    };
    naming.display_name = Some(text_of(display));
    Some(what)
}

/// 7045 (System) or 4697 (Security): a service installed.
fn install_kind<'a>(event: &'a Event, naming: &mut Naming<'a>) -> ScmEventKind {
    let text_of = |name: &'static str| event.data(name).unwrap_or_default();
    let p = |name: &'static str| text_of(name).to_string();
    let install = if event.event_id == 7045 {
        naming.display_name = Some(text_of("ServiceName"));
        Install {
            image_path: p("ImagePath"),
            start_type: p("StartType"),
            service_type: p("ServiceType"),
            account: p("AccountName"),
            executable: String::new(), // resolved once the evidence's paths are known
        }
    } else {
        naming.key = Some(text_of("ServiceName"));
        naming.link = KeyLink::Field;
        // 4697 logs numbers (`3`, `0x00000010`); written in 7045's words so that every
        // install reads alike (the numbers stay in the event's data).
        Install {
            image_path: p("ServiceFileName"),
            start_type: StartType::from_logged(text_of("ServiceStartType"))
                .map_or_else(|| p("ServiceStartType"), |s| s.logged_words()),
            service_type: service_type_from_logged(text_of("ServiceType"))
                .map_or_else(|| p("ServiceType"), service_type_words),
            account: p("ServiceAccount"),
            executable: String::new(),
        }
    };
    ScmEventKind::Installed {
        install: Box::new(install),
    }
}

/// 7036: a service entered a state. The binary data is `KeyName/StateCode`; the code is
/// language-independent, param2 (the state's name) is not.
fn state_change<'a>(event: &'a Event, naming: &mut Naming<'a>) -> ScmEventKind {
    naming.display_name = event.data("param1");
    let (key, code) = match naming.key.and_then(|k| k.rsplit_once('/')) {
        Some((k, code)) => (Some(k), code.parse::<u32>().ok()),
        None => (naming.key, None),
    };
    naming.key = key;
    ScmEventKind::StateChanged {
        state: code.map(state_name).unwrap_or_else(|| {
            event
                .data("param2")
                .unwrap_or_default()
                .to_ascii_lowercase()
        }),
    }
}

/// Kernel-General 1: `OldTime`, `NewTime` (ISO 8601, UTC), and from Windows 8 on `Reason`,
/// `ProcessName` (`docs/windows-facts.md`, "Clock steps"). `None` when either time does not read.
fn clock_step(event: &Event, source: Provenance) -> Option<ClockStep> {
    let time = |name: &str| event.data(name)?.trim().parse::<jiff::Timestamp>().ok();
    let (old_time, new_time) = (time("OldTime")?, time("NewTime")?);
    let text = |name: &str| {
        event
            .data(name)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    Some(ClockStep {
        time: event.time,
        old_time,
        new_time,
        delta_ms: i64::try_from(new_time.duration_since(old_time).as_millis()).unwrap_or(i64::MAX),
        reason: text("Reason"),
        process: text("ProcessName"),
        computer: event.computer.clone(),
        source,
    })
}

/// Security 4698-4702 and TaskScheduler 106/140/141/142/200/201/129 (field names as logged:
/// `TaskName`, `TaskContent` / `TaskContentNew`, `ActionName`, `ResultCode`, `Path`, `ProcessID`).
fn task_event(event: &Event, source: Provenance, shared: &mut SharedText) -> Option<TaskEvent> {
    let field = |name: &str| {
        event
            .data(name)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    let task = field("TaskName")?;
    let kind = match event.event_id {
        4698 | 106 => TaskEventKind::Registered,
        4702 | 140 => TaskEventKind::Updated,
        4699 | 141 => TaskEventKind::Deleted,
        4700 => TaskEventKind::Enabled,
        4701 | 142 => TaskEventKind::Disabled,
        200 => TaskEventKind::ActionStarted,
        201 => TaskEventKind::ActionCompleted,
        129 => TaskEventKind::ProcessCreated,
        _ => return None,
    };
    let content = field("TaskContent")
        .or_else(|| field("TaskContentNew"))
        .and_then(|xml| crate::tasks::parse_task(&xml, &task, source.clone()))
        .map(Box::new);
    let detail = [
        ("action", "ActionName"),
        ("path", "Path"),
        ("process id", "ProcessID"),
        ("result", "ResultCode"),
        ("user", "UserContext"),
        ("user", "UserName"),
        ("by", "SubjectUserName"),
    ]
    .iter()
    .filter_map(|(label, name)| field(name).map(|v| format!("{label} {v}")))
    .collect::<Vec<_>>()
    .join(", ");
    Some(TaskEvent {
        time: event.time,
        kind,
        task: shared.share(&task),
        content,
        detail: shared.share(&detail),
        source,
    })
}

/// Security 4688/4689 (ids in hex, `NewProcessName`, `ParentProcessName`) and Sysmon 1/5 (ids in
/// decimal, `Image`, `ParentImage`), as one shape (`docs/windows-facts.md`, "SCM and Security events").
/// Paths and command lines are shared within a log: a busy server's Security log starts the
/// same few programs hundreds of thousands of times.
fn process_event(
    event: &Event,
    source: Provenance,
    shared: &mut SharedText,
) -> Option<ProcessEvent> {
    let mut field = |name: &str| {
        event
            .data(name)
            .filter(|v| !v.is_empty() && *v != "-")
            .map(|v| shared.share(v))
    };
    let number = |name: &str| {
        let text = event.data(name)?.trim();
        match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
            Some(hex) => u64::from_str_radix(hex, 16).ok(),
            None => text.parse().ok(),
        }
    };
    let (kind, image, pid, parent_pid, parent_image) = match event.event_id {
        4688 => (
            ProcessEventKind::Created,
            field("NewProcessName")?,
            number("NewProcessId"),
            number("ProcessId"),
            field("ParentProcessName"),
        ),
        4689 => (
            ProcessEventKind::Exited,
            field("ProcessName")?,
            number("ProcessId"),
            None,
            None,
        ),
        1 => (
            ProcessEventKind::Created,
            field("Image")?,
            number("ProcessId"),
            number("ParentProcessId"),
            field("ParentImage"),
        ),
        5 => (
            ProcessEventKind::Exited,
            field("Image")?,
            number("ProcessId"),
            None,
            None,
        ),
        _ => return None,
    };
    Some(ProcessEvent {
        kind,
        time: event.time,
        image,
        command_line: field("CommandLine"),
        pid,
        parent_pid,
        parent_image,
        computer: event.computer.clone(),
        source,
    })
}

/// Adds `event` to `events`. A 7026 names several drivers: it is added once per driver, so each
/// driver's report shows it.
pub fn push_per_driver(events: &mut Vec<ScmEvent>, event: ScmEvent) {
    let ScmEventKind::DriversFailed { drivers } = &event.what else {
        events.push(event);
        return;
    };
    events.extend(
        drivers
            .split(|c: char| c.is_whitespace() || c == ',')
            .filter(|d| !d.is_empty())
            .map(|driver| ScmEvent {
                service: driver.into(),
                ..event.clone()
            }),
    );
}

/// SERVICE_STATUS dwCurrentState values (winsvc.h).
fn state_name(code: u32) -> String {
    match code {
        1 => "stopped".into(),
        2 => "start_pending".into(),
        3 => "stop_pending".into(),
        4 => "running".into(),
        5 => "continue_pending".into(),
        6 => "pause_pending".into(),
        7 => "paused".into(),
        other => format!("state {other}"),
    }
}

/// UTF-16LE text up to the first NUL; `None` when empty or not valid UTF-16.
fn utf16_text(bytes: &[u8]) -> Option<String> {
    let units = bytes
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .take_while(|&u| u != 0);
    let mut text = String::with_capacity(bytes.len() / 2);
    for c in char::decode_utf16(units) {
        text.push(c.ok()?);
    }
    (!text.is_empty()).then_some(text)
}

/// Resolves the program each install event names (`Install::executable`) with the evidence's
/// folders, as a registry ImagePath is resolved.
pub fn resolve_install_programs(logs: &mut [Vec<ScmEvent>], paths: &WindowsPaths) {
    for e in logs.iter_mut().flatten() {
        if let ScmEventKind::Installed { install } = &mut e.what {
            let driver = install.is_driver().unwrap_or(false);
            install.executable =
                normalize_image_path(&install.image_path, paths, driver, &e.service).executable;
        }
    }
}

/// Ties events that carry only a display name (7045 always; 7009/7000 on Windows 7) to a key
/// name, using display→key pairs from events that carry both and from the registry. A display
/// name shared by several keys is left unresolved rather than guessed.
pub fn resolve_display_names(logs: &mut [Vec<ScmEvent>], services: &[ServiceConfig]) {
    // Each distinct pair is lower-cased once, in the order first seen: a log repeats the same
    // few pairs thousands of times.
    let mut seen: foldhash::HashSet<(&str, &str)> = foldhash::HashSet::default();
    let pairs: Vec<(&str, &str)> = logs
        .iter()
        .flatten()
        .filter(|e| matches!(e.link, KeyLink::Binary | KeyLink::Field))
        .filter_map(|e| Some((e.display_name.as_deref()?, &*e.service)))
        .chain(
            services
                .iter()
                .filter_map(|s| Some((s.display_name.as_deref()?, s.name.as_str()))),
        )
        .filter(|pair| seen.insert(*pair))
        .collect();
    let mut keys_by_display: HashMap<String, Vec<Arc<str>>> = HashMap::new();
    for (display, key) in pairs {
        let keys = keys_by_display.entry(display.to_lowercase()).or_default();
        if !keys.iter().any(|k| k.eq_ignore_ascii_case(key)) {
            keys.push(key.into());
        }
    }
    // The key of each display name as spelled, looked up once.
    let mut key_of: foldhash::HashMap<Arc<str>, Option<Arc<str>>> = foldhash::HashMap::default();
    for e in logs
        .iter_mut()
        .flatten()
        .filter(|e| e.link == KeyLink::Unresolved)
    {
        let Some(display) = &e.display_name else {
            continue;
        };
        let key = key_of.entry(display.clone()).or_insert_with(|| {
            match keys_by_display
                .get(&display.to_lowercase())
                .map(Vec::as_slice)
            {
                Some([key]) => Some(key.clone()),
                _ => None,
            }
        });
        if let Some(key) = key {
            e.service = key.clone();
            e.link = KeyLink::DisplayName;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(id: u16, what: ScmEventKind) -> ScmEvent {
        ScmEvent {
            event_id: id,
            time: "2015-08-08T09:14:01Z".parse().unwrap(),
            service: "".into(),
            display_name: None,
            link: KeyLink::Field,
            what,
            computer: "HOST".into(),
            user_sid: None,
            source: Provenance::EventRecord {
                file: Arc::from(Path::new("System.evtx")),
                record_id: 1,
                event_id: id,
            },
            data: Default::default(),
        }
    }

    /// A 7026 is added once per driver it names (as the corpus logs them, CRLF-separated); any
    /// other event once, as it is.
    #[test]
    fn a_7026_is_added_per_driver() {
        let mut events = Vec::new();
        let drivers = ScmEventKind::DriversFailed {
            drivers: "\r\nCSC\r\ndam".into(),
        };
        push_per_driver(&mut events, event(7026, drivers));
        let timeout = ScmEventKind::ConnectTimeout {
            timeout_ms: Some(30_000),
        };
        push_per_driver(&mut events, event(7009, timeout.clone()));
        let services: Vec<&str> = events.iter().map(|e| &*e.service).collect();
        assert_eq!(services, ["CSC", "dam", ""]);
        assert_eq!(events[2].what, timeout);
    }

    /// An install's ImagePath is resolved as a registry one: variables from the evidence,
    /// quotes and arguments split off.
    #[test]
    fn installed_programs_are_resolved() {
        let installed = |image: &str, service_type: &str| {
            event(
                7045,
                ScmEventKind::Installed {
                    install: Box::new(Install {
                        image_path: image.into(),
                        start_type: "demand start".into(),
                        service_type: service_type.into(),
                        account: String::new(),
                        executable: String::new(),
                    }),
                },
            )
        };
        let mut logs = vec![vec![
            installed("%SystemRoot%\\PSEXESVC.EXE", "user mode service"),
            installed("\"C:\\Program Files\\X\\x.exe\" -svc", "user mode service"),
            installed(
                "\\SystemRoot\\system32\\DRIVERS\\npcap.sys",
                "kernel mode driver",
            ),
        ]];
        let paths = WindowsPaths {
            system_root: "D:\\WIN".into(),
            ..WindowsPaths::default()
        };
        resolve_install_programs(&mut logs, &paths);
        let programs: Vec<&str> = logs[0]
            .iter()
            .map(|e| match &e.what {
                ScmEventKind::Installed { install } => install.executable.as_str(),
                _ => "",
            })
            .collect();
        assert_eq!(
            programs,
            [
                "D:\\WIN\\PSEXESVC.EXE",
                "C:\\Program Files\\X\\x.exe",
                "D:\\WIN\\system32\\DRIVERS\\npcap.sys"
            ]
        );
    }

    #[test]
    fn utf16_key_names() {
        assert_eq!(utf16_text(b"s\0e\0g\x001\0\0\0").as_deref(), Some("seg1"));
        assert_eq!(utf16_text(b"\0\0"), None);
        assert_eq!(utf16_text(b"W\0/\x004\0").as_deref(), Some("W/4"));
    }
}
