//! One service's report: its configurations and events correlated with its host's boots and
//! clock, the execution evidence of its program, and the flags and verdict drawn from them.

use std::borrow::Cow;
use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use rayon::prelude::*;

use konseki_model::{
    AmcacheEntry, Attention, BootMarker, BootMarkerKind, ConfigOrigin, ControlSet, Evidence,
    EvidenceItem, Flag, LogCoverage, ProgramFile, RegistryEvent, RunWindow, ScmEvent, ScmEventKind,
    ServiceConfig, ServiceReport,
};

use crate::amcache_check::{amcache_flags, amcache_items};
use crate::attention::{attention, is_auto_start, is_driver};
use crate::causality::{earlier_runs_sentence, split_runs, Since};
use crate::clock::Clock;
use crate::describe::record_text;
use crate::execution::ExecutionIndex;
use crate::file_activity::FileTimeline;
use crate::hosts::Hosts;
use crate::lifecycle::lifecycle;
use crate::prefetch_activity::{inside, is_shared_host, program_path};
use crate::program_check::{program_flags, program_item, program_rationale};
use crate::verdict::{verdict, AfterLastBoot, VerdictContext};

/// A report per service: its configurations (one per control set) and events, in key order.
pub(crate) fn service_reports(
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
pub(crate) struct Shared<'a> {
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
    pub(crate) execution: ExecutionIndex<'a>,
    standard_roots: &'a [String],
    /// Program files found in the evidence, each naming the services that use it.
    programs: &'a [konseki_model::ProgramFile],
    /// %SystemRoot% of the evidence, for ImagePaths known only from install events.
    pub(crate) system_root: String,
}

fn service_report(
    configs: Vec<ServiceConfig>,
    events: Vec<ScmEvent>,
    shared: &Shared<'_>,
) -> ServiceReport {
    let name = configs
        .first()
        .map(|c| c.name.clone())
        .or_else(|| events.first().map(|e| e.service.to_string()))
        .unwrap_or_default();
    let programs = shared.programs_of(&name);
    let host = HostView::of(&events, shared);
    let computers = host.computers();
    let event_refs: Vec<&ScmEvent> = events.iter().collect();
    let mut life = lifecycle(
        &event_refs,
        &host.markers,
        shared.pipe_timeout_ms,
        shared.log_end,
        host.clock,
    );
    let since = installed_since(&events);
    let execution = ProgramExecution::gather(
        &configs,
        &events,
        since.as_ref(),
        &computers,
        &mut life.runs,
        shared,
    );
    let survivors = fill_run_activity(&mut life.runs, &execution, &computers, shared);
    let other_evidence = other_evidence(&name, &configs, &programs, &execution.recorded, shared);
    let mut flags = attention(
        &configs,
        &event_refs,
        &life.runs,
        shared.control_sets,
        shared.standard_roots,
    );
    flags.extend(program_flags(&programs));
    flags.extend(amcache_flags(&execution.recorded, &programs));
    flags.extend(survivors);
    let driver = is_driver(&configs, &event_refs);
    let after_last_boot = (is_auto_start(&configs, &event_refs) && !driver)
        .then(|| after_last_boot(&name, &events, &host.markers, &computers, &shared.failures))
        .flatten();
    let verdict = verdict(
        &life,
        VerdictContext {
            system_logs: shared.system_logs,
            failure_actions: configs.iter().find_map(|c| c.failure_actions.as_ref()),
            events: &events,
            other_evidence,
            program_rationale: program_rationale(&programs, &life.runs),
            pipe_timeout_ms: shared.pipe_timeout_ms,
            earlier_sentence: since
                .as_ref()
                .and_then(|s| earlier_runs_sentence(&execution.earlier_runs, s)),
            prefetch_runs: execution.prefetch_runs,
            earlier_runs: execution.earlier_runs,
            driver,
            after_last_boot,
        },
    );
    ServiceReport {
        notable: !events.is_empty() || !flags.is_empty(),
        ranking: konseki_model::Ranking::default(),
        name,
        display_names: display_names(&configs, &events),
        configs,
        events,
        programs,
        runs: life.runs,
        verdict,
        attention: flags,
    }
}

/// The host a service's events were logged on, as its correlation sees it: every name it went
/// by, its boot markers, its clock.
struct HostView<'s> {
    names: Vec<String>,
    markers: Cow<'s, [BootMarker]>,
    clock: &'s Clock,
}

/// The clock of events that no single host logged: not corrected.
static STEADY: std::sync::LazyLock<Clock> = std::sync::LazyLock::new(Clock::default);

impl<'s> HostView<'s> {
    fn of(events: &[ScmEvent], shared: &'s Shared<'_>) -> HostView<'s> {
        let hosts = shared.hosts;
        let logged_on: BTreeSet<HostKey> = computers_of(events)
            .into_iter()
            .map(|c| host_key(hosts, c))
            .collect();
        let names = logged_on
            .iter()
            .flat_map(|h| match h {
                HostKey::Host(h) => hosts.names(*h).iter().map(|n| n.to_string()).collect(),
                HostKey::Name(n) => vec![n.clone()],
            })
            .collect();
        let logged_on: Vec<&HostKey> = logged_on.iter().collect();
        let markers = match logged_on.as_slice() {
            [] => Cow::Borrowed(&[][..]),
            [one] => Cow::Borrowed(shared.markers.get(*one).map_or(&[][..], Vec::as_slice)),
            several => {
                let mut all: Vec<BootMarker> = several
                    .iter()
                    .flat_map(|h| shared.markers.get(*h).into_iter().flatten().cloned())
                    .collect();
                all.sort_by(|a, b| (a.time, &a.source).cmp(&(b.time, &b.source)));
                Cow::Owned(all)
            }
        };
        // One host's clock; events of several hosts under one service name are not put on
        // one line.
        let clock = match logged_on.as_slice() {
            [HostKey::Host(h)] => hosts.clock(*h),
            _ => &STEADY,
        };
        HostView {
            names,
            markers,
            clock,
        }
    }

    /// Every name of the host.
    fn computers(&self) -> BTreeSet<&str> {
        self.names.iter().map(String::as_str).collect()
    }
}

/// The service exists from its first install in the logs: its program's runs before then are
/// not its own (cause before effect).
fn installed_since(events: &[ScmEvent]) -> Option<Since> {
    Since::earliest(
        events
            .iter()
            .filter(|e| matches!(e.what, ScmEventKind::Installed { .. }))
            .map(|e| Since {
                at: e.time,
                what: format!("installed ({})", record_text(&e.source)),
            }),
    )
}

/// What the execution index knows of a service's program, split at the service's install.
struct ProgramExecution<'a> {
    /// The service's own program (not a shared host such as svchost.exe).
    own_program: Option<String>,
    /// Prefetch run times since the install.
    prefetch_runs: Vec<EvidenceItem>,
    /// Runs of the program before the service existed: said, never its execution.
    earlier_runs: Vec<EvidenceItem>,
    /// Amcache entries for the program (presence, not execution).
    recorded: Vec<&'a AmcacheEntry>,
}

impl<'a> ProgramExecution<'a> {
    /// Gathers it, and adds the program's own processes after the install to `runs` (exact
    /// start and end: runs too, outside the SCM's).
    fn gather(
        configs: &[ServiceConfig],
        events: &[ScmEvent],
        since: Option<&Since>,
        computers: &BTreeSet<&str>,
        runs: &mut Vec<RunWindow>,
        shared: &Shared<'a>,
    ) -> ProgramExecution<'a> {
        let image = configs.iter().find_map(|c| c.image_path.as_ref());
        let program_file = program_path(image.map(|i| i.executable.as_str()), events);
        // svchost.exe, cmd.exe (`%COMSPEC% /c …`) and other shared hosts run for many
        // services: their Prefetch runs and processes are not this service's.
        let own_program = program_file.clone().filter(|p| !is_shared_host(p));
        let found = program_file
            .as_deref()
            .map(|path| shared.execution.of_program(path, events))
            .unwrap_or_default();
        let (prefetch_runs, mut earlier_runs) = split_runs(found.prefetch_runs, since);
        if let Some(path) = own_program.as_deref() {
            let (own, before): (Vec<RunWindow>, Vec<RunWindow>) = shared
                .execution
                .processes()
                .program_runs(path, computers, runs)
                .into_iter()
                .partition(|r| {
                    let start = r.start.earliest();
                    !since.zip(start).is_some_and(|(s, t)| s.precedes(t))
                });
            for run in before {
                let (_, marked) = split_runs(run.evidence, since);
                earlier_runs.extend(marked);
            }
            if !own.is_empty() {
                runs.extend(own);
                runs.sort_by_key(|r| (r.start.earliest(), r.end.latest()));
            }
        }
        ProgramExecution {
            own_program,
            prefetch_runs,
            earlier_runs,
            recorded: found.recorded,
        }
    }
}

/// Fills each run window with what happened inside it: file activity, processes, Prefetch
/// runs. Returns the flag for child processes that outlived the run, if any.
fn fill_run_activity(
    runs: &mut [RunWindow],
    execution: &ProgramExecution<'_>,
    computers: &BTreeSet<&str>,
    shared: &Shared<'_>,
) -> Option<Attention> {
    let (own_program, prefetch_runs) = (execution.own_program.as_deref(), &execution.prefetch_runs);
    let processes = shared.execution.processes();
    let (mut survivors, mut survivor_ids) = (Vec::new(), Vec::new());
    for run in runs {
        run.activity = shared.timeline.inside(run);
        let window = processes.inside(run, own_program, computers);
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
    if survivors.is_empty() {
        return None;
    }
    // 4688 and Sysmon 1 record the same process: count it once.
    let distinct: BTreeSet<&(String, Option<u64>)> = survivor_ids.iter().collect();
    Some(Attention {
        id: Flag::ChildOutlivedService,
        reason: format!(
            "the service program started {} process(es) with no exit recorded before its run ended: whatever the SCM did to the service, they kept running",
            distinct.len()
        ),
        evidence: survivors,
    })
}

/// The evidence beside the events: the configurations, logged changes to the key, the program
/// files and what Amcache recorded of them.
fn other_evidence(
    name: &str,
    configs: &[ServiceConfig],
    programs: &[ProgramFile],
    recorded: &[&AmcacheEntry],
    shared: &Shared<'_>,
) -> Vec<EvidenceItem> {
    let changes = shared
        .registry
        .get(&name.to_ascii_lowercase())
        .map_or(&[][..], Vec::as_slice);
    configs
        .iter()
        .map(config_item)
        .chain(
            changes
                .iter()
                .take(MAX_CHANGES_CITED)
                .map(|e| change_item(e)),
        )
        .chain(programs.iter().map(program_item))
        .chain(amcache_items(recorded))
        .collect()
}

/// Every display name the service went by, in the hives then the logs, once each.
fn display_names(configs: &[ServiceConfig], events: &[ScmEvent]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for d in configs
        .iter()
        .filter_map(|c| c.display_name.as_deref())
        .chain(events.iter().filter_map(|e| e.display_name.as_deref()))
    {
        if !names.iter().any(|n| n == d) {
            names.push(d.to_string());
        }
    }
    names
}

impl<'a> Shared<'a> {
    /// The program files found for the service `name`.
    fn programs_of(&self, name: &str) -> Vec<ProgramFile> {
        self.programs
            .iter()
            .filter(|p| p.services.iter().any(|s| s.eq_ignore_ascii_case(name)))
            .cloned()
            .collect()
    }

    /// What every service's correlation reads, from `evidence`: the logged registry changes
    /// by service, every failure in `events`, the boot markers by host.
    pub(crate) fn new(
        evidence: &'a Evidence,
        hosts: &'a Hosts,
        events: &[Vec<ScmEvent>],
        system_logs: &'a [&'a LogCoverage],
    ) -> Shared<'a> {
        // A host's markers under all its names (a rename does not end a run).
        let mut markers: HashMap<HostKey, Vec<BootMarker>> = HashMap::new();
        for m in &evidence.markers {
            markers
                .entry(host_key(hosts, &m.computer))
                .or_default()
                .push(m.clone());
        }
        let mut registry: HashMap<String, Vec<&RegistryEvent>> = HashMap::new();
        for e in &evidence.registry_events {
            if let Some(service) = &e.service {
                registry
                    .entry(service.to_ascii_lowercase())
                    .or_default()
                    .push(e);
            }
        }
        Shared {
            registry,
            failures: failures(events),
            markers,
            hosts,
            control_sets: &evidence.control_sets,
            log_end: system_logs
                .iter()
                .filter_map(|l| l.span_of("System"))
                .map(|(_, last)| last)
                .max(),
            system_logs,
            pipe_timeout_ms: effective_pipe_timeout(&evidence.control_sets),
            timeline: FileTimeline::new(&evidence.files),
            execution: ExecutionIndex::new(evidence),
            standard_roots: &evidence.standard_roots,
            programs: &evidence.programs,
            system_root: evidence
                .standard_roots
                .first()
                .map_or("C:\\Windows".to_string(), |r| {
                    r.trim_end_matches('\\').to_string()
                }),
        }
    }
}
