//! The registry phase: every hive of the evidence opened once (its transaction logs replayed
//! once), told apart by content ([`crate::hive_role`]) and read by its role: services and
//! control sets from SYSTEM, autostart entries from SYSTEM, SOFTWARE and the user hives,
//! program inventory from Amcache, the Task Scheduler's cache and time zone rules from SOFTWARE.
//!
//! Memory stays near one hive per thread: the SOFTWARE hive comes first (its folders expand
//! every ImagePath and command), then every other hive is opened, read and dropped in a
//! parallel stream. Only hives whose name says nothing (a loose folder of renamed files) are
//! held until the SOFTWARE hive is known, since any of them may be it; the machine's SOFTWARE
//! hive is held to the end (user COM entries are compared with its classes).

use std::path::PathBuf;

use rayon::prelude::*;

use konseki_model::{
    AmcacheEntry, ArtifactKind, AutostartEntry, ControlSet, Evidence, FoundArtifact, HiveState,
    ServiceConfig, Warning,
};
use konseki_registry::Hive;

use crate::amcache::read_amcache_hive;
use crate::autostart::{self, defs::Location};
use crate::discover::file_size;
use crate::error::{Cause, ReadError};
use crate::hive_role::{hive_role, HiveRole};
use crate::image_path::WindowsPaths;
use crate::progress::Progress;
use crate::scope::Scope;
use crate::services::read_system_hive;
use crate::software::read_windows_paths;
use crate::task_cache::read_task_cache;
use crate::time_zones::dynamic_rules;

/// A hive opened for reading, with its role.
struct OpenHive {
    hive: Hive,
    path: PathBuf,
    role: HiveRole,
    /// Which artifact it is (reports keep the artifacts' order).
    index: usize,
}

/// What one hive gave.
#[derive(Default)]
struct Findings {
    state: Option<HiveState>,
    warnings: Vec<Warning>,
    role: Option<HiveRole>,
    control_sets: Vec<ControlSet>,
    services: Vec<ServiceConfig>,
    autostarts: Vec<AutostartEntry>,
    amcache: Vec<AmcacheEntry>,
}

/// Reads every hive of `artifacts` into `out` (and each hive's role into its artifact).
/// Returns the folders ImagePath variables expand to, from the first SOFTWARE hive that
/// records them (`None` without one: Windows' defaults are used, and the inventory says so).
pub fn read_hives(
    artifacts: &mut [FoundArtifact],
    scope: &Scope,
    locations: &[Location],
    out: &mut Evidence,
    progress: &dyn Progress,
) -> Option<WindowsPaths> {
    let hives: Vec<usize> = (0..artifacts.len())
        .filter(|&i| artifacts[i].kind == ArtifactKind::Hive)
        .collect();
    // Hives that may be the SOFTWARE hive: named so, or named nothing konseki knows.
    let (first, rest): (Vec<usize>, Vec<usize>) = hives
        .into_iter()
        .partition(|&i| matches!(artifacts[i].role.as_deref(), None | Some("SOFTWARE")));
    let mut findings: Vec<(usize, Findings)> = Vec::new();
    let mut held: Vec<OpenHive> = first
        .par_iter()
        .map(|&i| (i, open(&artifacts[i], i, scope, progress)))
        .collect::<Vec<_>>()
        .into_iter()
        .filter_map(|(i, opened)| opened.map_err(|e| findings.push(failed(i, e))).ok())
        .collect();
    let software = held.iter_mut().enumerate().find_map(|(at, h)| {
        let paths = (h.role == HiveRole::Software)
            .then(|| read_windows_paths(&mut h.hive, &h.path))
            .flatten()?;
        Some((at, paths))
    });
    let machine = software.as_ref().map(|(at, _)| held.swap_remove(*at));
    let paths = software.map(|(_, paths)| paths);
    let expand = paths.clone().unwrap_or_default();
    let read = |mut open: OpenHive| (open.index, read_hive(&mut open, locations, &expand));
    findings.extend(held.into_iter().map(read));
    findings.par_extend(
        rest.par_iter()
            .map(|&i| match open(&artifacts[i], i, scope, progress) {
                Ok(open) => read(open),
                Err(e) => failed(i, e),
            }),
    );
    let mut machine = machine.map(|mut open| {
        findings.push((open.index, read_hive(&mut open, locations, &expand)));
        open
    });
    findings.sort_by_key(|(i, _)| *i);
    for (i, found) in findings {
        record(found, &mut artifacts[i], out);
    }
    // What the machine's SOFTWARE hive adds once every other hive is read.
    if let Some(software) = &mut machine {
        read_machine_software(software, locations, out);
    }
    paths
}

/// The findings of a hive that could not be opened: the reason.
fn failed(index: usize, e: ReadError) -> (usize, Findings) {
    let found = Findings {
        warnings: vec![e.into()],
        ..Findings::default()
    };
    (index, found)
}

/// Opens the hive of `artifact` (its `index`) and tells its role.
fn open(
    artifact: &FoundArtifact,
    index: usize,
    scope: &Scope,
    progress: &dyn Progress,
) -> Result<OpenHive, ReadError> {
    let path = &artifact.path;
    let opened = Hive::open(path, &artifact.logs);
    progress.advance(file_size(path), &path.to_string_lossy());
    let mut hive = opened.map_err(|e| ReadError::new(path, e))?;
    let role = hive_role(&mut hive, path, scope);
    Ok(OpenHive {
        hive,
        path: path.clone(),
        role,
        index,
    })
}

/// Everything an open hive says, by its role.
fn read_hive(open: &mut OpenHive, locations: &[Location], paths: &WindowsPaths) -> Findings {
    let (hive, path) = (&mut open.hive, &open.path);
    let mut found = Findings {
        state: Some(state_of(hive)),
        ..Findings::default()
    };
    match &open.role {
        HiveRole::System => {
            let system = read_system_hive(hive, path, paths);
            found.control_sets = system.control_sets;
            found.services = system.services;
        }
        HiveRole::Amcache => match read_amcache_hive(hive, path) {
            Ok(entries) => found.amcache = entries,
            Err(e) => found.warnings.push(e.into()),
        },
        _ => {}
    }
    found.autostarts = autostart::read_autostarts(hive, path, &open.role, locations, paths);
    found.role = Some(open.role.clone());
    // Last: the walks above add theirs (a panic in the parser on a damaged cell, caught).
    found.warnings.splice(0..0, hive_warnings(hive, 0));
    found
}

/// What the hive's adapter warned about, from the `from`th warning on.
fn hive_warnings(hive: &Hive, from: usize) -> Vec<Warning> {
    hive.info.warnings[from.min(hive.info.warnings.len())..]
        .iter()
        .map(|message| Warning {
            file: hive.info.path.clone(),
            offset: None,
            message: message.clone(),
        })
        .collect()
}

/// A hive's findings into the report, its role into its artifact. A file named like a hive
/// konseki reads that holds another is said: a reader trusting names would have read it.
fn record(found: Findings, artifact: &mut FoundArtifact, out: &mut Evidence) {
    if let Some(role) = &found.role {
        if let Some(cause) = artifact
            .role
            .as_deref()
            .filter(|&name| role.label() != Some(name))
            .and_then(HiveRole::misnamed)
        {
            out.warnings
                .push(ReadError::new(&artifact.path, cause).into());
        }
        artifact.role = role.label().map(str::to_string).or(artifact.role.take());
    }
    out.hives.extend(found.state);
    out.warnings.extend(found.warnings);
    out.control_sets.extend(found.control_sets);
    out.services.extend(found.services);
    out.autostarts.extend(found.autostarts);
    out.amcache.extend(found.amcache);
}

/// The user COM entries that shadow a machine class, the Task Scheduler's cache and the time
/// zone's yearly rules, from the machine's SOFTWARE hive.
fn read_machine_software(software: &mut OpenHive, locations: &[Location], out: &mut Evidence) {
    let (hive, path) = (&mut software.hive, &software.path);
    let reported = hive.info.warnings.len();
    autostart::mark_shadowed(hive, &mut out.autostarts, locations);
    let (tasks, warnings) = read_task_cache(hive, path);
    out.task_cache = tasks;
    out.warnings.extend(
        warnings
            .into_iter()
            .map(|message| Warning::from(ReadError::new(path, Cause::Walk(message)))),
    );
    for zone in out
        .control_sets
        .iter_mut()
        .filter_map(|c| c.time_zone.as_mut())
    {
        zone.yearly = dynamic_rules(hive, &zone.name);
    }
    out.warnings.extend(hive_warnings(hive, reported));
}

/// A hive's state: dirty, logs replayed.
fn state_of(hive: &Hive) -> HiveState {
    HiveState {
        path: hive.info.path.clone(),
        dirty: hive.info.dirty,
        logs: hive.info.logs.iter().map(|l| l.path.clone()).collect(),
        logs_replayed: hive.info.replayed,
    }
}
