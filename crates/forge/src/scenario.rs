//! Scenarios as data (`scenarios/*.toml`): a host, a boot, services as configured in the SYSTEM
//! hive, events in the System/Security/Sysmon logs, files created, and the verdicts konseki is
//! expected to reach. [`write_tree`] turns one into a KAPE-style evidence tree.
//!
//! Times in a scenario are seconds relative to `boot` (negative: before it).

use std::path::{Path, PathBuf};

use jiff::{SignedDuration, Timestamp};
use serde::Deserialize;

use crate::evtx::{write_evtx, EvtxEvent};
use crate::mft::{write_mft, FileTimes, MftFile};
use crate::pe::{write_pe, PeImage};
use crate::regf::{write_hive, RegData, RegKey};

/// The scenarios shipped with konseki (name, TOML text).
pub const BUILTIN: [(&str, &str); 7] = [
    (
        "service-timeout",
        include_str!("../../../scenarios/service-timeout.toml"),
    ),
    (
        "child-before-timeout",
        include_str!("../../../scenarios/child-before-timeout.toml"),
    ),
    (
        "long-pipe-timeout",
        include_str!("../../../scenarios/long-pipe-timeout.toml"),
    ),
    (
        "restart-on-failure",
        include_str!("../../../scenarios/restart-on-failure.toml"),
    ),
    (
        "timeout-with-recovery-configured",
        include_str!("../../../scenarios/timeout-with-recovery-configured.toml"),
    ),
    (
        "benign-service",
        include_str!("../../../scenarios/benign-service.toml"),
    ),
    (
        "clock-stepped-while-running",
        include_str!("../../../scenarios/clock-stepped-while-running.toml"),
    ),
];

/// One scenario.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Short name (`service-timeout`).
    pub name: String,
    /// One line saying what happens.
    pub summary: String,
    /// Computer name in every event.
    pub host: String,
    /// The boot the scenario starts with (a 6005 is logged then).
    pub boot: Timestamp,
    /// `Control\ServicesPipeTimeout`, when set.
    #[serde(default)]
    pub pipe_timeout_ms: Option<u32>,
    /// Service keys in `ControlSet001\Services`.
    #[serde(default)]
    pub services: Vec<ServiceSpec>,
    /// Events, in any order (written sorted by time).
    #[serde(default)]
    pub events: Vec<EventSpec>,
    /// Files on the volume.
    #[serde(default)]
    pub files: Vec<FileSpec>,
    /// Program files in the collection (a triage that grabbed the service's binary).
    #[serde(default)]
    pub programs: Vec<ProgramSpec>,
    /// Changes of the system clock: events after one (in the scenario's time) are logged on
    /// the changed clock, and a Kernel-General 1 records it.
    #[serde(default)]
    pub clock_steps: Vec<ClockStepSpec>,
    /// What konseki must conclude.
    #[serde(default)]
    pub expect: Vec<Expectation>,
}

/// A change of the system clock.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClockStepSpec {
    /// When, in seconds of real time after boot.
    pub at: f64,
    /// By how many seconds the clock is moved (negative: set back).
    pub by: f64,
}

/// A service key.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceSpec {
    /// Key name.
    pub name: String,
    /// `DisplayName`.
    #[serde(default)]
    pub display_name: Option<String>,
    /// `Type`.
    #[serde(rename = "type")]
    pub service_type: u32,
    /// `Start`.
    pub start: u32,
    /// `ErrorControl`.
    #[serde(default)]
    pub error_control: Option<u32>,
    /// `ImagePath` (REG_EXPAND_SZ).
    pub image_path: String,
    /// `ObjectName`.
    #[serde(default)]
    pub object_name: Option<String>,
    /// Key last-write time, seconds relative to boot.
    pub key_written: f64,
    /// `FailureActions`: reset period (s) and `[action, delay_ms]` pairs (`none`, `restart`,
    /// `reboot`, `run_command`).
    #[serde(default)]
    pub failure_actions: Option<FailureActionsSpec>,
    /// `FailureCommand`.
    #[serde(default)]
    pub failure_command: Option<String>,
}

/// FailureActions as data.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FailureActionsSpec {
    /// Reset period in seconds.
    pub reset_s: u32,
    /// `[action, delay_ms]` pairs.
    pub actions: Vec<(String, u32)>,
}

/// An event.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventSpec {
    /// Seconds relative to boot.
    pub t: f64,
    /// Event id.
    pub id: u16,
    /// `System` (default), `Security` or `Sysmon`.
    #[serde(default)]
    pub log: Option<String>,
    /// `Binary`: text written UTF-16LE with its NUL (the SCM's service key name).
    #[serde(default)]
    pub binary: Option<String>,
    /// Named data, in order.
    #[serde(default)]
    pub data: Vec<(String, String)>,
    /// `Security/@UserID`.
    #[serde(default)]
    pub user: Option<String>,
}

/// A file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileSpec {
    /// Windows path (`C:\tmp\test.txt`).
    pub path: String,
    /// Creation time, seconds relative to boot.
    pub created: f64,
    /// Last modification, seconds relative to boot (default: creation).
    #[serde(default)]
    pub modified: Option<f64>,
    /// Content (small files are resident in the MFT record).
    #[serde(default)]
    pub content: Option<String>,
}

/// A program file, written as a PE image into the tree.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProgramSpec {
    /// Windows path (`C:\tmp\TestWriteFile.exe`).
    pub path: String,
    /// Imported functions, `LIBRARY!Function`.
    #[serde(default)]
    pub imports: Vec<String>,
    /// Exported functions (a DLL's `ServiceMain`).
    #[serde(default)]
    pub exports: Vec<String>,
    /// A DLL rather than an executable.
    #[serde(default)]
    pub dll: bool,
}

/// What konseki must conclude about one service.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expectation {
    /// The service key.
    pub service: String,
    /// `executed`, `start_attempted_not_executed` or `no_evidence`.
    pub execution: String,
    /// `resident`, `not_resident`, `semi_resident` or `unknown`.
    pub residency: String,
    /// Number of runs.
    #[serde(default)]
    pub runs: Option<usize>,
    /// Longest run bound, ms.
    #[serde(default)]
    pub longest_run_ms: Option<u64>,
    /// Attention flags that must be present.
    #[serde(default)]
    pub attention: Vec<String>,
    /// Attention flags that must be absent.
    #[serde(default)]
    pub no_attention: Vec<String>,
    /// Files that must be reported inside a run window.
    #[serde(default)]
    pub files_in_window: Vec<String>,
    /// What the check of its program file must conclude (`plain_program`, `service_program`…).
    #[serde(default)]
    pub program: Option<String>,
}

impl Scenario {
    /// Parses a scenario.
    pub fn parse(text: &str) -> Result<Scenario, String> {
        toml::from_str(text).map_err(|e| e.to_string())
    }

    /// A built-in scenario by name.
    pub fn builtin(name: &str) -> Option<Scenario> {
        BUILTIN
            .iter()
            .find(|(n, _)| *n == name)
            .and_then(|(_, text)| Scenario::parse(text).ok())
    }

    /// The instant `seconds` after boot, as the host's clock showed it: moved by every clock
    /// step before it.
    pub fn at(&self, seconds: f64) -> Timestamp {
        let moved: f64 = self
            .clock_steps
            .iter()
            .filter(|s| s.at <= seconds)
            .map(|s| s.by)
            .sum();
        self.boot + SignedDuration::from_secs_f64(seconds + moved)
    }

    /// The Kernel-General 1 events of the clock steps, each at its real time.
    fn clock_events(&self) -> Vec<(f64, EvtxEvent)> {
        self.clock_steps
            .iter()
            .map(|s| {
                let new = self.at(s.at);
                let old = new - SignedDuration::from_secs_f64(s.by);
                let event = EvtxEvent::new(
                    "Microsoft-Windows-Kernel-General",
                    "System",
                    1,
                    new,
                    &self.host,
                )
                .data("NewTime", &new.to_string())
                .data("OldTime", &old.to_string())
                .data("Reason", "1")
                .data(
                    "ProcessName",
                    "\\Device\\HarddiskVolume2\\Windows\\System32\\rundll32.exe",
                );
                (s.at, event)
            })
            .collect()
    }

    /// The SYSTEM hive.
    pub fn system_hive(&self) -> Vec<u8> {
        let base = self.at(-86400.0 * 30.0);
        let mut root = RegKey::new("ROOT", base);
        root.path_mut("Select", base).values.extend([
            ("Current".into(), RegData::Dword(1)),
            ("Default".into(), RegData::Dword(1)),
            ("Failed".into(), RegData::Dword(0)),
            ("LastKnownGood".into(), RegData::Dword(1)),
        ]);
        let control = root.path_mut("ControlSet001\\Control", base);
        control.values.push((
            "WaitToKillServiceTimeout".into(),
            RegData::Sz("5000".into()),
        ));
        if let Some(ms) = self.pipe_timeout_ms {
            control
                .values
                .push(("ServicesPipeTimeout".into(), RegData::Dword(ms)));
        }
        root.path_mut("ControlSet001\\Control\\ComputerName\\ComputerName", base)
            .values
            .push(("ComputerName".into(), RegData::Sz(self.host.clone())));
        root.path_mut("ControlSet001\\Services", base);
        self.add_services(&mut root, "ControlSet001");
        write_hive(&root)
    }

    /// The real SYSTEM hive at `real` with this scenario's services planted into its current
    /// control set (`Select\Current`), among the machine's own: an attacker's persistence as it
    /// sits in a real registry. The scenario's pipe timeout, when set, is planted too.
    pub fn system_hive_planted_into(&self, real: &Path) -> Result<Vec<u8>, String> {
        let mut root = crate::regf::read_tree(real)?;
        let current = root
            .subkeys
            .iter()
            .find(|k| k.name.eq_ignore_ascii_case("Select"))
            .and_then(|k| k.values.iter().find(|(n, _)| n == "Current"))
            .and_then(|(_, d)| match d {
                RegData::Dword(n) => Some(*n),
                _ => None,
            })
            .ok_or_else(|| format!("{}: no Select\\Current: not a SYSTEM hive", real.display()))?;
        let set = format!("ControlSet{current:03}");
        if let Some(ms) = self.pipe_timeout_ms {
            let when = self.at(0.0);
            root.path_mut(&format!("{set}\\Control"), when)
                .values
                .push(("ServicesPipeTimeout".into(), RegData::Dword(ms)));
        }
        self.add_services(&mut root, &set);
        Ok(write_hive(&root))
    }

    /// The scenario's service keys, under `set\Services`.
    fn add_services(&self, root: &mut RegKey, set: &str) {
        for s in &self.services {
            let written = self.at(s.key_written);
            let key = root.path_mut(&format!("{set}\\Services\\{}", s.name), written);
            key.last_written = written;
            // Planted over an existing key, its values replace the ones of the same name.
            let values = service_values(s);
            key.values
                .retain(|(name, _)| !values.iter().any(|(v, _)| v.eq_ignore_ascii_case(name)));
            key.values.extend(values);
        }
    }

    /// The event logs: (file name, bytes). System always; Security and Sysmon when used.
    pub fn event_logs(&self) -> Vec<(&'static str, Vec<u8>)> {
        let mut logs = Vec::new();
        for (log, file) in [
            ("System", "System.evtx"),
            ("Security", "Security.evtx"),
            ("Sysmon", "Microsoft-Windows-Sysmon%4Operational.evtx"),
        ] {
            let specs: Vec<&EventSpec> = self
                .events
                .iter()
                .filter(|e| e.log.as_deref().unwrap_or("System") == log)
                .collect();
            if specs.is_empty() && log != "System" {
                continue;
            }
            // In the order they happened (record order), each at its time on the clock.
            let mut timed: Vec<(f64, EvtxEvent)> = specs
                .into_iter()
                .map(|e| (e.t, self.event(log, e)))
                .collect();
            if log == "System" {
                timed.push((
                    0.0,
                    EvtxEvent::new("EventLog", "System", 6005, self.boot, &self.host)
                        .qualifiers(0x8000),
                ));
                timed.extend(self.clock_events());
            }
            timed.sort_by(|a, b| a.0.total_cmp(&b.0));
            let events: Vec<EvtxEvent> = timed.into_iter().map(|(_, e)| e).collect();
            logs.push((file, write_evtx(&events, 1000)));
        }
        logs
    }

    fn event(&self, log: &str, spec: &EventSpec) -> EvtxEvent {
        let time = self.at(spec.t);
        let mut event = match log {
            "Security" => EvtxEvent::new(
                "Microsoft-Windows-Security-Auditing",
                "Security",
                spec.id,
                time,
                &self.host,
            ),
            "Sysmon" => EvtxEvent::new(
                "Microsoft-Windows-Sysmon",
                "Microsoft-Windows-Sysmon/Operational",
                spec.id,
                time,
                &self.host,
            ),
            _ if (7000..=7045).contains(&spec.id) => {
                EvtxEvent::scm(spec.id, scm_qualifiers(spec.id), time, &self.host)
            }
            _ => EvtxEvent::new("EventLog", "System", spec.id, time, &self.host).qualifiers(0x8000),
        };
        for (name, value) in &spec.data {
            event = event.data(name, value);
        }
        if let Some(text) = &spec.binary {
            event = event.binary_text(text);
        }
        if let Some(sid) = &spec.user {
            event = event.user(sid);
        }
        event
    }

    /// The volume's $MFT: the scenario's files (SI and FN times alike).
    pub fn mft(&self) -> Vec<u8> {
        let files: Vec<MftFile> = self
            .files
            .iter()
            .map(|f| {
                let created = self.at(f.created);
                let modified = self.at(f.modified.unwrap_or(f.created));
                let times = FileTimes {
                    created,
                    modified,
                    mft_modified: modified,
                    accessed: modified,
                };
                MftFile {
                    path: f.path.clone(),
                    si: times,
                    fn_times: FileTimes::all(created),
                    content: f.content.clone().unwrap_or_default().into_bytes(),
                    dir: false,
                    deleted: false,
                }
            })
            .collect();
        write_mft(&files)
    }

    /// Writes the scenario as a KAPE-style tree under `dir`; returns the files written.
    pub fn write_tree(&self, dir: &Path) -> std::io::Result<Vec<PathBuf>> {
        let config = dir.join("C/Windows/System32/config");
        let logs = dir.join("C/Windows/System32/winevt/Logs");
        std::fs::create_dir_all(&config)?;
        std::fs::create_dir_all(&logs)?;
        let mut written = vec![config.join("SYSTEM"), dir.join("C/$MFT")];
        std::fs::write(&written[0], self.system_hive())?;
        std::fs::write(&written[1], self.mft())?;
        for (name, bytes) in self.event_logs() {
            let path = logs.join(name);
            std::fs::write(&path, bytes)?;
            written.push(path);
        }
        for program in &self.programs {
            let path = tree_path(dir, &program.path);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            let imports: Vec<&str> = program.imports.iter().map(String::as_str).collect();
            let mut image = PeImage::importing(&imports);
            image.dll = program.dll;
            image.exports = program.exports.clone();
            std::fs::write(&path, write_pe(&image))?;
            written.push(path);
        }
        Ok(written)
    }
}

/// Where a Windows path (`C:\tmp\x.exe`) lies in a KAPE-style tree (`DIR/C/tmp/x.exe`).
fn tree_path(dir: &Path, windows_path: &str) -> PathBuf {
    let (drive, rest) = windows_path.split_once(':').unwrap_or(("C", windows_path));
    rest.split('\\')
        .filter(|p| !p.is_empty() && *p != "..")
        .fold(dir.join(drive), |at, part| at.join(part))
}

/// Error-level SCM events carry qualifier 0xC000, informational ones 0x4000 (as in the corpus).
fn scm_qualifiers(id: u16) -> u16 {
    match id {
        7036 | 7040 | 7045 => 0x4000,
        _ => 0xC000,
    }
}

fn service_values(s: &ServiceSpec) -> Vec<(String, RegData)> {
    let mut v = vec![
        ("Type".to_string(), RegData::Dword(s.service_type)),
        ("Start".to_string(), RegData::Dword(s.start)),
        (
            "ErrorControl".to_string(),
            RegData::Dword(s.error_control.unwrap_or(1)),
        ),
        (
            "ImagePath".to_string(),
            RegData::ExpandSz(s.image_path.clone()),
        ),
    ];
    if let Some(d) = &s.display_name {
        v.push(("DisplayName".into(), RegData::Sz(d.clone())));
    }
    if let Some(o) = &s.object_name {
        v.push(("ObjectName".into(), RegData::Sz(o.clone())));
    }
    if let Some(fa) = &s.failure_actions {
        // SERVICE_FAILURE_ACTIONS as stored: reset, lpRebootMsg, lpCommand, cActions, lpsaActions
        // (0x14, as in most real hives), then SC_ACTION pairs (MS-SCMR 2.2.37, 2.2.40).
        let mut bytes = Vec::new();
        let has_command = s.failure_command.is_some() as u32;
        for n in [fa.reset_s, 0, has_command, fa.actions.len() as u32, 0x14] {
            bytes.extend_from_slice(&n.to_le_bytes());
        }
        for (action, delay) in &fa.actions {
            let code: u32 = match action.as_str() {
                "restart" => 1,
                "reboot" => 2,
                "run_command" => 3,
                _ => 0,
            };
            bytes.extend_from_slice(&code.to_le_bytes());
            bytes.extend_from_slice(&delay.to_le_bytes());
        }
        v.push(("FailureActions".into(), RegData::Binary(bytes)));
    }
    if let Some(c) = &s.failure_command {
        v.push(("FailureCommand".into(), RegData::Sz(c.clone())));
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_scenarios_parse() {
        for (name, text) in BUILTIN {
            let scenario = Scenario::parse(text).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(scenario.name, name);
            assert!(!scenario.expect.is_empty(), "{name} states no expectation");
        }
    }

    #[test]
    fn unknown_fields_are_rejected() {
        let err = Scenario::parse(
            "name='x'\nsummary='s'\nhost='h'\nboot='2026-01-01T00:00:00Z'\ncolour='red'",
        )
        .unwrap_err();
        assert!(err.contains("colour"), "{err}");
    }
}
