//! SYSTEM hive → control sets and service configurations (every `ControlSetNNN`, not only the
//! current one: an attacker's change may sit in one set only).
//!
//! Reference: `docs/windows-facts.md`, "Service values" and "Control and Select".

use std::path::Path;
use std::sync::Arc;

use konseki_model::{
    ConfigOrigin, ControlSet, FailureAction, FailureActionType, FailureActions, Provenance,
    ServiceConfig, StartType,
};
use konseki_registry::{parse_failure_actions, Data, Hive, Key};

use crate::image_path::{normalize_image_path, WindowsPaths};
use crate::time_zones::time_zone_information;

/// ServicesPipeTimeout when the value is absent (technet cc756342 "Event ID 7009").
pub const DEFAULT_PIPE_TIMEOUT_MS: u64 = 30_000;

/// What a SYSTEM hive says about services.
#[derive(Debug, Default)]
pub struct SystemHive {
    /// Its control sets.
    pub control_sets: Vec<ControlSet>,
    /// Every service key of every control set.
    pub services: Vec<ServiceConfig>,
}

/// Reads the control sets and services of a SYSTEM hive read from `path` (its role told by
/// [`crate::hives`]).
pub fn read_system_hive(hive: &mut Hive, path: &Path, paths: &WindowsPaths) -> SystemHive {
    let mut out = SystemHive::default();
    let select = hive.key("Select");
    let role_of = |name: &str, set: u64| {
        select
            .as_ref()
            .and_then(|s| s.value(name))
            .and_then(Data::as_u64)
            .is_some_and(|n| n == set)
    };
    let sets: Vec<Key> = match hive.key("") {
        Some(root) => hive
            .subkeys(&root)
            .into_iter()
            .filter(|k| control_set_number(&k.name).is_some())
            .collect(),
        None => Vec::new(),
    };
    for set in sets {
        let number = control_set_number(&set.name).unwrap_or_default();
        let roles = [
            ("Current", "current"),
            ("Default", "default"),
            ("Failed", "failed"),
            ("LastKnownGood", "last_known_good"),
        ]
        .into_iter()
        .filter(|(value, _)| role_of(value, number))
        .map(|(_, role)| role.to_string())
        .collect();
        let service_keys = match hive.subkey(&set, "Services") {
            Some(services) => hive.subkeys(&services),
            None => Vec::new(),
        };
        for key in &service_keys {
            out.services
                .push(read_service(hive, path, &set.name, key, paths));
        }
        out.control_sets
            .push(read_control(hive, path, &set, roles, service_keys.len()));
    }
    out
}

/// A control set's `Control` values that bear on services, and its time zone.
fn read_control(
    hive: &mut Hive,
    path: &Path,
    set: &Key,
    roles: Vec<String>,
    service_count: usize,
) -> ControlSet {
    let control = hive.subkey(set, "Control");
    let pipe_timeout = control
        .as_ref()
        .and_then(|c| c.value("ServicesPipeTimeout"))
        .and_then(Data::as_u64);
    let wait_to_kill = control
        .as_ref()
        .and_then(|c| c.value("WaitToKillServiceTimeout"))
        .and_then(Data::as_text);
    let time_zone = control
        .as_ref()
        .and_then(|c| hive.subkey(c, "TimeZoneInformation"))
        .and_then(|k| time_zone_information(&k, path));
    let computer_name = control
        .as_ref()
        .and_then(|c| hive.subkey(c, "ComputerName"))
        .and_then(|k| hive.subkey(&k, "ComputerName"))
        .and_then(|k| k.value("ComputerName").and_then(Data::as_text))
        .filter(|n| !n.is_empty());
    let tcpip_hostname = tcpip_hostname(hive, set);
    ControlSet {
        name: set.name.clone(),
        roles,
        services_pipe_timeout_ms: pipe_timeout,
        effective_pipe_timeout_ms: pipe_timeout.unwrap_or(DEFAULT_PIPE_TIMEOUT_MS),
        pipe_timeout_is_default: pipe_timeout.is_none(),
        wait_to_kill_service_timeout: wait_to_kill,
        time_zone,
        computer_name,
        tcpip_hostname,
        service_count,
        source: Provenance::registry_key(Arc::from(path), format!("{}\\Control", set.name), None),
    }
}

/// `Services\Tcpip\Parameters` `Hostname` (else `NV Hostname`), with `.Domain` when one is
/// set: the DNS name the machine gave itself.
fn tcpip_hostname(hive: &mut Hive, set: &Key) -> Option<String> {
    let services = hive.subkey(set, "Services")?;
    let tcpip = hive.subkey(&services, "Tcpip")?;
    let parameters = hive.subkey(&tcpip, "Parameters")?;
    let text = |name: &str| {
        parameters
            .value(name)
            .and_then(Data::as_text)
            .filter(|t| !t.is_empty())
    };
    let host = text("Hostname").or_else(|| text("NV Hostname"))?;
    Some(match text("Domain").or_else(|| text("NV Domain")) {
        Some(domain) => format!("{host}.{domain}"),
        None => host,
    })
}

/// `ControlSet001` → 1.
fn control_set_number(name: &str) -> Option<u64> {
    let digits = name
        .get(..10)?
        .eq_ignore_ascii_case("ControlSet")
        .then(|| &name[10..])?;
    (digits.len() == 3).then(|| digits.parse().ok()).flatten()
}

fn read_service(
    hive: &mut Hive,
    file: &Path,
    control_set: &str,
    key: &Key,
    paths: &WindowsPaths,
) -> ServiceConfig {
    let text = |k: &Key, name: &str| k.value(name).and_then(Data::as_text);
    let number = |k: &Key, name: &str| k.value(name).and_then(Data::as_u64).map(|n| n as u32);
    let subkeys = hive.subkeys(key);
    let parameters = subkeys
        .iter()
        .find(|k| k.name.eq_ignore_ascii_case("Parameters"));
    let service_type = number(key, "Type");
    let driver = service_type.is_some_and(|t| t & 0xB != 0);
    let image_path =
        text(key, "ImagePath").map(|raw| normalize_image_path(&raw, paths, driver, &key.name));
    let image_path =
        image_path.or_else(|| driver.then(|| normalize_image_path("", paths, true, &key.name)));
    ServiceConfig {
        name: key.name.clone(),
        control_set: control_set.to_string(),
        origin: ConfigOrigin::Hive,
        source: Provenance::registry_key(Arc::from(file), key.path.clone(), None),
        key_last_written: key.last_written,
        parameters_last_written: parameters.and_then(|p| p.last_written),
        display_name: text(key, "DisplayName"),
        description: text(key, "Description"),
        service_type,
        service_type_names: service_type.map(type_names).unwrap_or_default(),
        start: number(key, "Start").map(StartType::from_raw),
        delayed_autostart: number(key, "DelayedAutostart") == Some(1),
        error_control: number(key, "ErrorControl"),
        image_path,
        service_dll: parameters
            .and_then(|p| text(p, "ServiceDll"))
            .or_else(|| text(key, "ServiceDll")),
        object_name: text(key, "ObjectName"),
        failure_actions: match key.value("FailureActions") {
            Some(Data::Binary(bytes)) => parse_failure_actions(bytes).ok().map(decode_actions),
            _ => None,
        },
        failure_command: text(key, "FailureCommand"),
        reboot_message: text(key, "RebootMessage"),
        failure_actions_on_non_crash_failures: number(key, "FailureActionsOnNonCrashFailures"),
        has_trigger_info: subkeys
            .iter()
            .any(|k| k.name.eq_ignore_ascii_case("TriggerInfo")),
        required_privileges: match key.value("RequiredPrivileges") {
            Some(Data::MultiSz(items)) => items.clone(),
            _ => Vec::new(),
        },
    }
}

fn decode_actions(raw: konseki_registry::RawFailureActions) -> FailureActions {
    FailureActions {
        reset_period_s: (raw.reset_period_s != u32::MAX).then_some(raw.reset_period_s),
        actions: raw
            .actions
            .into_iter()
            .map(|(kind, delay_ms)| FailureAction {
                action: match kind {
                    0 => FailureActionType::None,
                    1 => FailureActionType::Restart,
                    2 => FailureActionType::Reboot,
                    3 => FailureActionType::RunCommand,
                    other => FailureActionType::Other(other),
                },
                delay_ms,
            })
            .collect(),
    }
}

/// Decodes the `Type` bit flags (winnt.h SERVICE_* type constants).
pub(crate) fn type_names(raw: u32) -> Vec<String> {
    const FLAGS: [(u32, &str); 9] = [
        (0x1, "kernel_driver"),
        (0x2, "file_system_driver"),
        (0x4, "adapter"),
        (0x8, "recognizer_driver"),
        (0x10, "win32_own_process"),
        (0x20, "win32_share_process"),
        (0x40, "user_service"),
        (0x80, "userservice_instance"),
        (0x100, "interactive_process"),
    ];
    let mut names: Vec<String> = FLAGS
        .iter()
        .filter(|(bit, _)| raw & bit != 0)
        .map(|(_, name)| name.to_string())
        .collect();
    let unknown = raw & !0x1FF;
    if unknown != 0 {
        names.push(format!("0x{unknown:x}"));
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_set_names() {
        assert_eq!(control_set_number("ControlSet001"), Some(1));
        assert_eq!(control_set_number("controlset003"), Some(3));
        assert_eq!(control_set_number("ControlSet1"), None);
        assert_eq!(control_set_number("Select"), None);
    }

    #[test]
    fn type_flags() {
        assert_eq!(
            type_names(0x110),
            vec!["win32_own_process", "interactive_process"]
        );
        assert_eq!(type_names(0x1000), vec!["0x1000"]);
    }
}
