//! Evidence → the scan report: one [`ServiceReport`] per service key.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use rayon::prelude::*;

use konseki_model::{
    Attention, BootMarker, BootMarkerKind, ConfigOrigin, ControlSet, Evidence, EvidenceItem, Flag,
    LogCoverage, RegistryEvent, RunWindow, ScanReport, ScmEvent, ScmEventKind, ServiceConfig,
    ServiceReport,
};

use crate::amcache_check::{amcache_flags, amcache_items};
use crate::attention::{attention, is_auto_start, is_driver};
use crate::autostart::autostart_reports;
use crate::boot_sessions::boot_sessions;
use crate::causality::{earlier_runs_sentence, split_runs, Since};
use crate::clock::Clock;
use crate::control_set_diff::control_set_diffs;
use crate::describe::record_text;
use crate::execution::ExecutionIndex;
use crate::file_activity::FileTimeline;
use crate::hosts::Hosts;
use crate::lifecycle::lifecycle;
use crate::prefetch_activity::{inside, is_shared_host, program_path};
use crate::program_check::{program_flags, program_item, program_rationale};
use crate::service_groups::group_by_service;
use crate::tasks::task_reports;
use crate::verdict::{verdict, AfterLastBoot, VerdictContext};

/// Version of the JSON document (`docs/schema.json`); bump on incompatible change.
pub const SCHEMA_VERSION: u32 = 1;

/// Correlates everything extracted into the report.
pub fn analyse(mut evidence: Evidence) -> ScanReport {
    let hosts = Hosts::new(&evidence);
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
    // A host's markers under all its names (a rename does not end a run).
    let mut markers_by_host: HashMap<HostKey, Vec<BootMarker>> = HashMap::new();
    for m in &evidence.markers {
        markers_by_host
            .entry(host_key(&hosts, &m.computer))
            .or_default()
            .push(m.clone());
    }
    let failures = failures(&events);
    let mut registry: HashMap<String, Vec<&RegistryEvent>> = HashMap::new();
    for e in &evidence.registry_events {
        if let Some(service) = &e.service {
            registry
                .entry(service.to_ascii_lowercase())
                .or_default()
                .push(e);
        }
    }
    let shared = Shared {
        registry,
        failures,
        markers: markers_by_host,
        hosts: &hosts,
        control_sets: &evidence.control_sets,
        log_end: system_logs
            .iter()
            .filter_map(|l| l.span_of("System"))
            .map(|(_, last)| last)
            .max(),
        system_logs: &system_logs,
        pipe_timeout_ms: effective_pipe_timeout(&evidence.control_sets),
        timeline: FileTimeline::new(&evidence.files),
        execution: ExecutionIndex::new(&evidence),
        standard_roots: &evidence.standard_roots,
        programs: &evidence.programs,
        system_root: evidence
            .standard_roots
            .first()
            .map_or("C:\\Windows".to_string(), |r| {
                r.trim_end_matches('\\').to_string()
            }),
    };

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

    ScanReport {
        konseki_version: env!("CARGO_PKG_VERSION").to_string(),
        schema_version: SCHEMA_VERSION,
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
    }
}

/// A report per service: its configurations (one per control set) and events, in key order.
fn service_reports(
    events: BTreeMap<String, Vec<ScmEvent>>,
    configs: Vec<ServiceConfig>,
    shared: &Shared<'_>,
) -> Vec<(usize, ServiceReport)> {
    // Configurations join their service's group.
    let mut grouped: BTreeMap<String, (Vec<ServiceConfig>, Vec<ScmEvent>)> = events
        .into_iter()
        .map(|(key, events)| (key, (Vec::new(), events)))
        .collect();
    for c in configs {
        grouped.entry(c.name.to_lowercase()).or_default().0.push(c);
    }
    // The services with the most events first (a service started at every boot for years is
    // most of the work), handed out one at a time as extract's `largest_first` does
    // (`into_par_iter` would cut the sorted list in halves up front), reported in key order.
    let mut groups: Vec<_> = grouped.into_values().enumerate().collect();
    groups.sort_by_key(|(_, (_, events))| Reverse(events.len()));
    groups
        .into_iter()
        .par_bridge()
        .map(|(i, (configs, events))| (i, service_report(configs, events, shared)))
        .collect()
}

/// The computers a service's events were logged on. A service's events name one or two, each
/// thousands of times (shared text): collected into a set only once each, not sorted whole.
fn computers_of(events: &[ScmEvent]) -> BTreeSet<&str> {
    let mut distinct: Vec<&str> = Vec::new();
    for e in events {
        let computer = &*e.computer;
        if !distinct
            .iter()
            .any(|c| std::ptr::eq(*c, computer) || *c == computer)
        {
            distinct.push(computer);
        }
    }
    distinct.into_iter().collect()
}

/// The timeout of the control set in use (`Select\Current`), else of any set, else the default.
fn effective_pipe_timeout(sets: &[ControlSet]) -> u64 {
    sets.iter()
        .find(|s| s.roles.iter().any(|r| r == "current"))
        .or_else(|| sets.first())
        .map_or(30_000, |s| s.effective_pipe_timeout_ms)
}

/// An SCM failure of some service: context for the others on the same host.
struct Failure {
    time: jiff::Timestamp,
    computer: std::sync::Arc<str>,
    service: std::sync::Arc<str>,
    item: EvidenceItem,
}

/// Every failure event (crash, start failure, timeout, hang, failed recovery), by time.
fn failures(logs: &[Vec<ScmEvent>]) -> Vec<Failure> {
    let mut out: Vec<Failure> = logs
        .iter()
        .flatten()
        .filter(|e| {
            matches!(
                e.what,
                ScmEventKind::Crashed { .. }
                    | ScmEventKind::StartFailed { .. }
                    | ScmEventKind::ConnectTimeout { .. }
                    | ScmEventKind::TerminatedWithError { .. }
                    | ScmEventKind::HungOnStart
                    | ScmEventKind::RecoveryFailed { .. }
            )
        })
        .map(|e| Failure {
            time: e.time,
            computer: e.computer.clone(),
            service: e.service.clone(),
            item: crate::describe::event_item(e),
        })
        .collect();
    out.sort_by(|a, b| (a.time, &a.item.source).cmp(&(b.time, &b.item.source)));
    out
}

/// How far before and after an install other services' failures are cited as context.
const NEARBY_BEFORE: jiff::SignedDuration = jiff::SignedDuration::from_mins(10);
const NEARBY_AFTER: jiff::SignedDuration = jiff::SignedDuration::from_mins(60);
/// The most failures cited as context.
const NEARBY_MAX: usize = 5;

/// An auto-start service installed after the last boot of its host's logs, with that boot and
/// other services' failures near the install.
fn after_last_boot(
    name: &str,
    events: &[ScmEvent],
    markers: &[BootMarker],
    computers: &BTreeSet<&str>,
    failures: &[Failure],
) -> Option<AfterLastBoot> {
    let install = events
        .iter()
        .filter(|e| matches!(e.what, ScmEventKind::Installed { .. }))
        .max_by_key(|e| e.time)?;
    // Without a boot in the logs, "after the last boot" says nothing: the general
    // no-evidence wording (with the logs' span) applies.
    let last_boot = markers
        .iter()
        .filter(|m| m.kind == BootMarkerKind::Boot)
        .max_by_key(|m| m.time)?;
    if last_boot.time >= install.time {
        return None;
    }
    let (from, to) = (install.time - NEARBY_BEFORE, install.time + NEARBY_AFTER);
    let nearby = failures
        .iter()
        .filter(|f| f.time >= from && f.time <= to)
        .filter(|f| computers.contains(&*f.computer) && !f.service.eq_ignore_ascii_case(name))
        .take(NEARBY_MAX)
        .map(|f| f.item.clone())
        .collect();
    Some(AfterLastBoot {
        install: crate::describe::event_item(install),
        boot: Some(EvidenceItem {
            source: last_boot.source.clone(),
            time: Some(last_boot.time),
            summary: crate::describe::marker_text(last_boot.kind).into(),
        }),
        nearby,
    })
}

/// Logged changes to one service's key cited in its evidence chain at most (a value rewritten
/// at every boot would otherwise fill it).
const MAX_CHANGES_CITED: usize = 50;

/// The evidence item for a service configuration.
fn config_item(c: &ServiceConfig) -> EvidenceItem {
    let written = c
        .key_last_written
        .map_or("?".to_string(), |t| t.to_string());
    let image = c.image_path.as_ref().map_or("", |i| i.raw.as_str());
    let summary = match c.origin {
        ConfigOrigin::Hive => {
            format!("service key in {} (last written {written}), ImagePath `{image}`", c.control_set)
        }
        ConfigOrigin::LoggedChanges => format!(
            "service key known only from the registry changes logged under {} (the last at {written}; no hive holds it), ImagePath `{image}`",
            c.control_set
        ),
    };
    EvidenceItem {
        source: c.source.clone(),
        time: c.key_last_written,
        summary: summary.into(),
    }
}

/// The evidence item for a logged change to a service's key.
fn change_item(e: &RegistryEvent) -> EvidenceItem {
    let what = match &e.details {
        Some(data) => format!("{} `{}` = `{data}`", e.event_type, e.target),
        None => format!("{} `{}`", e.event_type, e.target),
    };
    EvidenceItem {
        source: e.source.clone(),
        time: Some(e.time),
        summary: format!(
            "registry change logged: {what}, by {}{}",
            e.image,
            e.pid.map(|p| format!(" (pid {p})")).unwrap_or_default()
        )
        .into(),
    }
}

/// A host, or a computer name no log file tied to one.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum HostKey {
    Host(usize),
    Name(String),
}

fn host_key(hosts: &Hosts, computer: &str) -> HostKey {
    match hosts.of(computer) {
        Some(h) => HostKey::Host(h),
        None => HostKey::Name(computer.to_lowercase()),
    }
}

/// What every service's correlation reads: the same for all services of a scan.
struct Shared<'a> {
    /// Logged registry changes under each service's key, by lower-cased service name.
    registry: HashMap<String, Vec<&'a RegistryEvent>>,
    /// Every service's failures, by time: context for installs near them.
    failures: Vec<Failure>,
    /// Boot markers per host: a run is only ended by its own host's boots and shutdowns.
    markers: HashMap<HostKey, Vec<BootMarker>>,
    /// The hosts, their names and clocks.
    hosts: &'a Hosts,
    control_sets: &'a [ControlSet],
    system_logs: &'a [&'a LogCoverage],
    /// The end of what the System logs cover.
    log_end: Option<jiff::Timestamp>,
    /// ServicesPipeTimeout of the control set in use.
    pipe_timeout_ms: u64,
    timeline: FileTimeline<'a>,
    /// Every execution artifact, by program: asked by services, autostarts and tasks alike.
    execution: ExecutionIndex<'a>,
    standard_roots: &'a [String],
    /// Program files found in the evidence, each naming the services that use it.
    programs: &'a [konseki_model::ProgramFile],
    /// %SystemRoot% of the evidence, for ImagePaths known only from install events.
    system_root: String,
}

fn service_report(
    configs: Vec<ServiceConfig>,
    events: Vec<ScmEvent>,
    shared: &Shared<'_>,
) -> ServiceReport {
    let Shared {
        hosts,
        registry,
        failures,
        markers,
        control_sets,
        system_logs,
        log_end,
        pipe_timeout_ms,
        timeline,
        execution,
        standard_roots,
        programs,
        ..
    } = shared;
    let name = configs
        .first()
        .map(|c| c.name.clone())
        .or_else(|| events.first().map(|e| e.service.to_string()))
        .unwrap_or_default();
    let programs: Vec<konseki_model::ProgramFile> = programs
        .iter()
        .filter(|p| p.services.iter().any(|s| s.eq_ignore_ascii_case(&name)))
        .cloned()
        .collect();
    // The hosts that logged the service's events, and every name each went by.
    let logged_on: BTreeSet<HostKey> = computers_of(&events)
        .into_iter()
        .map(|c| host_key(hosts, c))
        .collect();
    let names: Vec<String> = logged_on
        .iter()
        .flat_map(|h| match h {
            HostKey::Host(h) => hosts.names(*h).iter().map(|n| n.to_string()).collect(),
            HostKey::Name(n) => vec![n.clone()],
        })
        .collect();
    let computers: BTreeSet<&str> = names.iter().map(String::as_str).collect();
    let merged: Vec<BootMarker>;
    let own_markers: &[BootMarker] = match logged_on.iter().collect::<Vec<_>>().as_slice() {
        [] => &[],
        [one] => markers.get(*one).map_or(&[], Vec::as_slice),
        several => {
            let mut all: Vec<BootMarker> = several
                .iter()
                .flat_map(|h| markers.get(*h).into_iter().flatten().cloned())
                .collect();
            all.sort_by(|a, b| (a.time, &a.source).cmp(&(b.time, &b.source)));
            merged = all;
            &merged
        }
    };
    // One host's clock; events of several hosts under one service name are not put on one line.
    let steady = Clock::default();
    let clock = match logged_on.iter().collect::<Vec<_>>().as_slice() {
        [HostKey::Host(h)] => hosts.clock(*h),
        _ => &steady,
    };
    let event_refs: Vec<&ScmEvent> = events.iter().collect();
    let mut life = lifecycle(&event_refs, own_markers, *pipe_timeout_ms, *log_end, clock);
    let program = configs
        .iter()
        .find_map(|c| c.image_path.as_ref().map(|i| i.executable.clone()));
    let program_file = program_path(program.as_deref(), &events);
    // svchost.exe, cmd.exe (`%COMSPEC% /c …`) and other shared hosts run for many services:
    // their Prefetch runs and processes are not this service's.
    let own_program = program_file.as_deref().filter(|p| !is_shared_host(p));
    // The service exists from its first install in the logs: its program's runs before then
    // are not its own (cause before effect).
    let since = Since::earliest(
        events
            .iter()
            .filter(|e| matches!(e.what, ScmEventKind::Installed { .. }))
            .map(|e| Since {
                at: e.time,
                what: format!("installed ({})", record_text(&e.source)),
            }),
    );
    let found = program_file
        .as_deref()
        .map(|path| execution.of_program(path, &events))
        .unwrap_or_default();
    let (prefetch_runs, mut earlier_runs) = split_runs(found.prefetch_runs, since.as_ref());
    let recorded = found.recorded;
    let processes = execution.processes();
    // The program's own processes outside the SCM's runs are runs too (exact start and end).
    if let Some(path) = own_program {
        let (own, before): (Vec<RunWindow>, Vec<RunWindow>) = processes
            .program_runs(path, &computers, &life.runs)
            .into_iter()
            .partition(|r| {
                let start = r.start.earliest();
                !since
                    .as_ref()
                    .zip(start)
                    .is_some_and(|(s, t)| s.precedes(t))
            });
        for run in before {
            let (_, marked) = split_runs(run.evidence, since.as_ref());
            earlier_runs.extend(marked);
        }
        if !own.is_empty() {
            life.runs.extend(own);
            life.runs
                .sort_by_key(|r| (r.start.earliest(), r.end.latest()));
        }
    }
    let (mut survivors, mut survivor_ids) = (Vec::new(), Vec::new());
    for run in &mut life.runs {
        run.activity = timeline.inside(run);
        let window = processes.inside(run, own_program, &computers);
        run.activity.extend(window.items);
        survivors.extend(window.survivors);
        survivor_ids.extend(window.survivor_ids);
        let (from, to) = run.matching_span();
        run.activity.extend(
            prefetch_runs
                .iter()
                .filter(|i| i.time.is_some_and(|t| inside(t, from, to)))
                .cloned(),
        );
    }

    let changes = registry
        .get(&name.to_ascii_lowercase())
        .map_or(&[][..], Vec::as_slice);
    let other_evidence: Vec<EvidenceItem> = configs
        .iter()
        .map(config_item)
        .chain(
            changes
                .iter()
                .take(MAX_CHANGES_CITED)
                .map(|e| change_item(e)),
        )
        .chain(programs.iter().map(program_item))
        .chain(amcache_items(&recorded))
        .collect();
    let mut flags = attention(
        &configs,
        &event_refs,
        &life.runs,
        control_sets,
        standard_roots,
    );
    flags.extend(program_flags(&programs));
    flags.extend(amcache_flags(&recorded, &programs));
    if !survivors.is_empty() {
        // 4688 and Sysmon 1 record the same process: count it once.
        let distinct: BTreeSet<&(String, Option<u64>)> = survivor_ids.iter().collect();
        flags.push(Attention {
            id: Flag::ChildOutlivedService,
            reason: format!(
                "the service program started {} process(es) with no exit recorded before its run ended: whatever the SCM did to the service, they kept running",
                distinct.len()
            ),
            evidence: survivors,
        });
    }
    let (driver, auto_start) = (
        is_driver(&configs, &event_refs),
        is_auto_start(&configs, &event_refs),
    );
    let verdict = verdict(
        &life,
        VerdictContext {
            system_logs,
            failure_actions: configs.iter().find_map(|c| c.failure_actions.as_ref()),
            events: &events,
            other_evidence,
            program_rationale: program_rationale(&programs, &life.runs),
            prefetch_runs,
            pipe_timeout_ms: *pipe_timeout_ms,
            earlier_sentence: since
                .as_ref()
                .and_then(|s| earlier_runs_sentence(&earlier_runs, s)),
            earlier_runs,
            driver,
            after_last_boot: (auto_start && !driver)
                .then(|| after_last_boot(&name, &events, own_markers, &computers, failures))
                .flatten(),
        },
    );
    let mut display_names: Vec<String> = Vec::new();
    for d in configs.iter().filter_map(|c| c.display_name.clone()).chain(
        events
            .iter()
            .filter_map(|e| e.display_name.as_deref().map(str::to_string)),
    ) {
        if !display_names.contains(&d) {
            display_names.push(d);
        }
    }
    ServiceReport {
        notable: !events.is_empty() || !flags.is_empty(),
        name,
        display_names,
        configs,
        events,
        programs,
        runs: life.runs,
        verdict,
        attention: flags,
    }
}
