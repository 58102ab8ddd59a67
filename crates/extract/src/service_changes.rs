//! Services known from the registry changes a log recorded (Sysmon 12/13/14 under
//! `…\Services\<name>\…`): a driver or service installed while Sysmon watched, whose key the
//! collection does not hold (no SYSTEM hive, or the key deleted since), is still a service,
//! with the image path, start type and type its values were last set to, and the records as
//! evidence.
//!
//! Choice: a service that a hive holds keeps the hive's configuration (what the key was when
//! collected); its logged changes are cited as evidence beside it, not merged into it.

use std::collections::BTreeMap;

use konseki_model::{ConfigOrigin, RegistryEvent, ServiceConfig, StartType};

use crate::image_path::{normalize_image_path, WindowsPaths};
use crate::registry_target;
use crate::services::type_names;

/// One service's values as the changes left them.
#[derive(Default)]
struct Values<'a> {
    name: &'a str,
    control_set: Option<String>,
    image_path: Option<String>,
    start: Option<u32>,
    service_type: Option<u32>,
    error_control: Option<u32>,
    display_name: Option<String>,
    object_name: Option<String>,
    description: Option<String>,
    service_dll: Option<String>,
    failure_command: Option<String>,
    /// The latest change, cited as the configuration's source.
    last: Option<&'a RegistryEvent>,
}

/// Configurations for the services the `events` (in time order) set values of, except those in
/// `known` (read from a hive).
pub fn services_from_changes(
    events: &[RegistryEvent],
    known: &[ServiceConfig],
    paths: &WindowsPaths,
) -> Vec<ServiceConfig> {
    let mut by_name: BTreeMap<String, Values<'_>> = BTreeMap::new();
    for e in events {
        let Some(name) = e.service.as_deref() else {
            continue;
        };
        if known.iter().any(|k| k.name.eq_ignore_ascii_case(name)) {
            continue;
        }
        let values = by_name
            .entry(name.to_ascii_lowercase())
            .or_insert_with(|| Values {
                name,
                ..Values::default()
            });
        values.last = Some(e);
        let Some(target) = registry_target::parse(&e.target) else {
            continue;
        };
        if values.control_set.is_none() {
            values.control_set = target.control_set.clone();
        }
        if !e.event_type.eq_ignore_ascii_case("SetValue") {
            continue; // a key created, deleted or renamed: the record is cited, no value set
        }
        let Some((_, below)) = target.service() else {
            continue;
        };
        let text = || e.details.clone().filter(|d| !d.is_empty());
        let number = || e.details.as_deref().and_then(logged_number);
        match (
            below.to_ascii_lowercase().as_str(),
            target.value.to_ascii_lowercase().as_str(),
        ) {
            ("", "imagepath") => values.image_path = text(),
            ("", "start") => values.start = number(),
            ("", "type") => values.service_type = number(),
            ("", "errorcontrol") => values.error_control = number(),
            ("", "displayname") => values.display_name = text(),
            ("", "objectname") => values.object_name = text(),
            ("", "description") => values.description = text(),
            ("", "failurecommand") => values.failure_command = text(),
            ("" | "parameters", "servicedll") => values.service_dll = text(),
            _ => {}
        }
    }
    by_name
        .into_values()
        .filter_map(|v| config(v, paths))
        .collect()
}

fn config(v: Values<'_>, paths: &WindowsPaths) -> Option<ServiceConfig> {
    let last = v.last?;
    let driver = v.service_type.is_some_and(konseki_model::is_driver_type);
    let image_path = match &v.image_path {
        Some(raw) => Some(normalize_image_path(raw, paths, driver, v.name)),
        None => driver.then(|| normalize_image_path("", paths, true, v.name)),
    };
    Some(ServiceConfig {
        name: v.name.to_string(),
        control_set: v.control_set.unwrap_or_else(|| "CurrentControlSet".into()),
        origin: ConfigOrigin::LoggedChanges,
        source: last.source.clone(),
        // The key was written when the last change was logged (later writes are not logged).
        key_last_written: Some(last.time),
        parameters_last_written: None,
        display_name: v.display_name,
        description: v.description,
        service_type: v.service_type,
        service_type_names: v.service_type.map(type_names).unwrap_or_default(),
        start: v.start.map(StartType::from_raw),
        delayed_autostart: false,
        error_control: v.error_control,
        image_path,
        service_dll: v.service_dll,
        object_name: v.object_name,
        failure_actions: None,
        failure_command: v.failure_command,
        reboot_message: None,
        failure_actions_on_non_crash_failures: None,
        has_trigger_info: false,
        required_privileges: Vec::new(),
    })
}

/// Sysmon's `Details` for a number: `DWORD (0x00000002)`, `QWORD (0x00000000-0x00000002)`.
fn logged_number(details: &str) -> Option<u32> {
    let inner = details
        .trim()
        .split_once('(')?
        .1
        .trim_end_matches(')')
        .trim();
    let low = inner.rsplit('-').next()?;
    let hex = low.strip_prefix("0x").or_else(|| low.strip_prefix("0X"))?;
    u32::from_str_radix(hex, 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logged_numbers() {
        assert_eq!(logged_number("DWORD (0x00000002)"), Some(2));
        assert_eq!(logged_number("QWORD (0x00000000-0x00000010)"), Some(16));
        assert_eq!(logged_number("Binary Data"), None);
        assert_eq!(logged_number("C:\\x.exe"), None);
    }
}
