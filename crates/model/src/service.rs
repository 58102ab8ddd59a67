//! A service as configured in one control set of a SYSTEM hive.
//!
//! Reference: `docs/windows-facts.md`, "Service values" and "Control and Select" (value
//! meanings, with their Microsoft sources).

use serde::Serialize;

use crate::evidence::Provenance;
use crate::time::Timestamp;

/// `Start` value (SERVICE_*_START constants).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum StartType {
    /// 0: loaded by the boot loader (drivers).
    Boot,
    /// 1: loaded during kernel initialisation (drivers).
    System,
    /// 2: started by the SCM at every boot.
    Auto,
    /// 3: started on demand (or by a trigger).
    Demand,
    /// 4: disabled.
    Disabled,
    /// Any other value, kept.
    Other(u32),
}

impl StartType {
    /// Decodes the `Start` DWORD.
    pub fn from_raw(raw: u32) -> StartType {
        match raw {
            0 => StartType::Boot,
            1 => StartType::System,
            2 => StartType::Auto,
            3 => StartType::Demand,
            4 => StartType::Disabled,
            other => StartType::Other(other),
        }
    }

    /// A start type as an install event logs it: 7045 writes words (`auto start`, `demand
    /// start`), 4697 the `Start` number (`2`).
    pub fn from_logged(text: &str) -> Option<StartType> {
        let text = text.trim().to_ascii_lowercase();
        if let Ok(n) = text.parse::<u32>() {
            return Some(StartType::from_raw(n));
        }
        Some(match text.strip_suffix(" start").unwrap_or(&text) {
            "boot" => StartType::Boot,
            "system" => StartType::System,
            "auto" => StartType::Auto,
            "demand" => StartType::Demand,
            "disabled" => StartType::Disabled,
            _ => return None,
        })
    }

    /// The words 7045 logs for this start type (`auto start`, …).
    pub fn logged_words(&self) -> String {
        match self {
            StartType::Disabled => "disabled".into(),
            StartType::Other(n) => format!("unknown start type ({n})"),
            other => format!("{} start", other.label()),
        }
    }

    /// The name used in tables and narratives.
    pub fn label(&self) -> String {
        match self {
            StartType::Boot => "boot".into(),
            StartType::System => "system".into(),
            StartType::Auto => "auto".into(),
            StartType::Demand => "demand".into(),
            StartType::Disabled => "disabled".into(),
            StartType::Other(n) => format!("unknown({n})"),
        }
    }
}

/// `ImagePath` as stored and as konseki resolves it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ImagePath {
    /// The value as stored (REG_EXPAND_SZ is not expanded here).
    pub raw: String,
    /// Expanded (`%SystemRoot%` from the hive, `\SystemRoot\`, `\??\`, relative driver paths).
    pub normalized: String,
    /// The program the SCM or I/O manager would load.
    pub executable: String,
    /// The arguments after it.
    pub arguments: String,
    /// The executable part was quoted.
    pub quoted: bool,
}

/// One SC_ACTION.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct FailureAction {
    /// What the SCM does.
    pub action: FailureActionType,
    /// After how many milliseconds.
    pub delay_ms: u32,
}

/// SC_ACTION_TYPE (MS-SCMR 2.2.40).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum FailureActionType {
    /// 0.
    None,
    /// 1: restart the service.
    Restart,
    /// 2: reboot the computer.
    Reboot,
    /// 3: run `FailureCommand`.
    RunCommand,
    /// Any other value, kept.
    Other(u32),
}

/// The `FailureActions` value, decoded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct FailureActions {
    /// Seconds without failure after which the failure count resets; `None` = INFINITE.
    pub reset_period_s: Option<u32>,
    /// The actions for the 1st, 2nd, … failure (the last repeats).
    pub actions: Vec<FailureAction>,
}

impl FailureActions {
    /// Restart or run-command actions: the service can come back, or run something else, on its own.
    pub fn restarts_or_runs_command(&self) -> bool {
        self.actions.iter().any(|a| {
            matches!(
                a.action,
                FailureActionType::Restart | FailureActionType::RunCommand
            )
        })
    }
}

/// Where a service configuration was read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum ConfigOrigin {
    /// A control set of a SYSTEM hive: the key as it stood when the hive was collected.
    #[default]
    Hive,
    /// Registry changes a log recorded (Sysmon 12/13/14 under the service's key), no hive
    /// holding the key: the values as they were last set while the log ran.
    LoggedChanges,
}

impl ConfigOrigin {
    fn is_hive(&self) -> bool {
        *self == ConfigOrigin::Hive
    }
}

/// One service key in one control set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ServiceConfig {
    /// The key name (what SCM events' Binary field names).
    pub name: String,
    /// `ControlSet001`, … (for logged changes: the set the log names, `CurrentControlSet`…)
    pub control_set: String,
    /// Where it was read: a hive, or (`logged_changes`) the registry changes a log recorded.
    #[serde(default, skip_serializing_if = "ConfigOrigin::is_hive")]
    pub origin: ConfigOrigin,
    /// The key.
    pub source: Provenance,
    /// Last-write time of the service key.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[serde(serialize_with = "crate::time::seven::option")]
    pub key_last_written: Option<Timestamp>,
    /// Last-write time of its `Parameters` sub-key.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[serde(serialize_with = "crate::time::seven::option")]
    pub parameters_last_written: Option<Timestamp>,
    /// `DisplayName`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// `Description`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `Type` raw.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_type: Option<u32>,
    /// `Type` decoded into flag names.
    pub service_type_names: Vec<String>,
    /// `Start`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start: Option<StartType>,
    /// `DelayedAutostart` = 1.
    pub delayed_autostart: bool,
    /// `ErrorControl`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_control: Option<u32>,
    /// `ImagePath`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_path: Option<ImagePath>,
    /// `Parameters\ServiceDll` (or `ServiceDll` on the key itself).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_dll: Option<String>,
    /// `ObjectName` (account, or driver object).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object_name: Option<String>,
    /// `FailureActions`, decoded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_actions: Option<FailureActions>,
    /// `FailureCommand`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_command: Option<String>,
    /// `RebootMessage`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reboot_message: Option<String>,
    /// `FailureActionsOnNonCrashFailures`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_actions_on_non_crash_failures: Option<u32>,
    /// A `TriggerInfo` sub-key exists (a demand-start service can start by itself).
    pub has_trigger_info: bool,
    /// `RequiredPrivileges`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub required_privileges: Vec<String>,
}

impl ServiceConfig {
    /// Kernel, file-system or recogniser driver (Type bits 0x1, 0x2, 0x8).
    pub fn is_driver(&self) -> bool {
        self.service_type.is_some_and(is_driver_type)
    }
}

/// Kernel, file-system or recogniser driver (`Type` bits 0x1, 0x2, 0x8): loaded by the I/O
/// manager, not started as a process, and not subject to the ServicesPipeTimeout.
pub fn is_driver_type(service_type: u32) -> bool {
    service_type & 0xB != 0
}

/// A service type as an install event logs it: 7045 writes words (`user mode service`,
/// `kernel mode driver`, `file system driver`), 4697 the `Type` number (`0x00000010`).
pub fn service_type_from_logged(text: &str) -> Option<u32> {
    let text = text.trim().to_ascii_lowercase();
    if let Some(hex) = text.strip_prefix("0x") {
        return u32::from_str_radix(hex, 16).ok();
    }
    if let Ok(n) = text.parse::<u32>() {
        return Some(n);
    }
    match text.as_str() {
        "kernel mode driver" => Some(0x1),
        "file system driver" => Some(0x2),
        "user mode service" => Some(0x10),
        _ => None,
    }
}

/// The words 7045 logs for a service type.
pub fn service_type_words(service_type: u32) -> String {
    if service_type & 0x1 != 0 {
        "kernel mode driver".into()
    } else if service_type & 0x2 != 0 {
        "file system driver".into()
    } else if service_type & 0x30 != 0 {
        "user mode service".into()
    } else {
        format!("service type 0x{service_type:x}")
    }
}

/// A control set's service-wide settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ControlSet {
    /// `ControlSet001`, …
    pub name: String,
    /// Roles given by `Select` (`current`, `default`, `failed`, `last_known_good`).
    pub roles: Vec<String>,
    /// `Control\ServicesPipeTimeout` as stored; `None` when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub services_pipe_timeout_ms: Option<u64>,
    /// The timeout in force: the stored value, or the default 30000 ms.
    pub effective_pipe_timeout_ms: u64,
    /// The effective timeout is Windows' default because the value is absent.
    pub pipe_timeout_is_default: bool,
    /// `Control\WaitToKillServiceTimeout` (REG_SZ, milliseconds).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wait_to_kill_service_timeout: Option<String>,
    /// `Control\TimeZoneInformation`: the machine's time zone, for its local-time artifacts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<crate::TimeZone>,
    /// `Control\ComputerName\ComputerName` value `ComputerName`: the machine's name when
    /// the set was last saved.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub computer_name: Option<String>,
    /// `Services\Tcpip\Parameters` values `Hostname` and `Domain` (`host.domain`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tcpip_hostname: Option<String>,
    /// The number of service keys.
    pub service_count: usize,
    /// The `Control` key.
    pub source: Provenance,
}
