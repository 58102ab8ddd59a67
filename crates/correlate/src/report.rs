//! Evidence → the scan report: one [`ServiceReport`] per service key.

use konseki_model::{Evidence, HostReport, LogCoverage};

use crate::autostart::autostart_reports;
use crate::boot_sessions::boot_sessions;
use crate::control_set_diff::control_set_diffs;
use crate::hosts::Hosts;
use crate::identity::identify;
use crate::service_groups::group_by_service;
use crate::service_report::{service_reports, Shared};
use crate::tasks::task_reports;

/// Version of the JSON document (`docs/schema.json`); bump on incompatible change.
pub const SCHEMA_VERSION: u32 = 2;

/// Correlates everything extracted into the report.
pub fn analyse(mut evidence: Evidence) -> HostReport {
    let hosts = Hosts::new(&evidence);
    let host = identify(&evidence, &hosts);
    let control_set_diffs = control_set_diffs(&evidence.services, &evidence.control_sets);
    // Configurations and events move into their service's group: no copies of large logs.
    let (events, configs) = (
        std::mem::take(&mut evidence.events),
        std::mem::take(&mut evidence.services),
    );
    let system_logs: Vec<&LogCoverage> = evidence
        .logs
        .iter()
        .filter(|l| l.holds_channel("System"))
        .collect();
    let shared = Shared::new(&evidence, &hosts, &events, &system_logs);

    let sessions = boot_sessions(&evidence.markers, &hosts);
    // Services are independent of each other and of the other autostarts and tasks: all on all
    // cores at once. The events are grouped by service on one core while the other writes the
    // autostart and task reports.
    let ((autostarts, tasks), mut services) = rayon::join(
        || {
            (
                autostart_reports(&evidence, &shared.execution),
                task_reports(&evidence, &shared.execution, &shared.system_root),
            )
        },
        || service_reports(group_by_service(events), configs, &shared),
    );
    services.sort_by_key(|(i, _)| *i);
    let services = services.into_iter().map(|(_, s)| s).collect();

    let mut report = HostReport {
        host,
        control_set_diffs,
        inventory: evidence.inventory,
        hives: evidence.hives,
        logs: evidence.logs,
        control_sets: evidence.control_sets,
        boot_markers: evidence.markers,
        boot_sessions: sessions,
        clock_steps: evidence
            .clock_steps
            .into_iter()
            .filter(|c| c.delta_ms.unsigned_abs() >= 1000)
            .collect(),
        services,
        autostarts,
        tasks,
        warnings: evidence.warnings,
    };
    for service in &mut report.services {
        crate::baseline::check_stock(service);
    }
    crate::severity::rank_report(&mut report);
    report
}
