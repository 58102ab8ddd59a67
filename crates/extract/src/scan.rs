//! The extraction run: discover, read every artifact (event logs in parallel), tie events to keys.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;

use konseki_model::{
    ArtifactKind, Evidence as Extracted, FileEntry, HiveState, Missing, NtfsTimes, Provenance,
    Warning,
};
use konseki_registry::Hive;

use crate::amcache::{is_amcache, read_amcache_hive};
use crate::autostart;
use crate::discover::{discover, drive_of};
use crate::logs::read_logs;
use crate::prefetch::read_prefetch_files;
use crate::programs::find_programs;
use crate::progress::Progress;
use crate::scope::Scope;
use crate::service_changes::services_from_changes;
use crate::service_events::{event_filter, resolve_display_names, resolve_install_programs};
use crate::services::read_system_hive;
use crate::software::read_windows_paths;
use crate::task_cache::read_task_cache;
use crate::tasks::{convert_local_times, read_task_file};
use crate::time_zones::dynamic_rules;

/// Reads all evidence under `roots`.
pub fn extract(roots: &[PathBuf], progress: &dyn Progress) -> Extracted {
    extract_with(roots, progress, &autostart::defs::builtin())
}

/// Reads all evidence under `roots`, looking for autostart entries in `locations` (the
/// built-in definitions, or an analyst's own: `konseki scan --defs`).
pub fn extract_with(
    roots: &[PathBuf],
    progress: &dyn Progress,
    locations: &[autostart::defs::Location],
) -> Extracted {
    let discovered = discover(roots, &autostart::folders::folder_patterns(locations));
    progress.step("evidence discovered");
    let mut out = Extracted {
        warnings: discovered.warnings,
        ..Extracted::default()
    };
    out.inventory.roots = roots.to_vec();
    for root in roots.iter().filter(|r| r.is_file()) {
        if !discovered.artifacts.iter().any(|a| &a.path == root) {
            let empty = std::fs::metadata(root).is_ok_and(|m| m.len() == 0);
            out.warnings.push(Warning {
                file: root.clone(),
                offset: None,
                message: if empty {
                    "empty file (0 bytes): not a registry hive or EVTX log: skipped".into()
                } else {
                    "not a registry hive or EVTX log (no 'regf' or 'ElfFile' signature): skipped"
                        .into()
                },
            });
        }
    }
    let size = |p: &PathBuf| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
    progress.begin(discovered.artifacts.iter().map(|a| size(&a.path)).sum());

    // The folders ImagePath variables expand to come from the SOFTWARE hive when there is one.
    let software = discovered
        .artifacts
        .iter()
        .filter(|a| {
            a.kind == ArtifactKind::Hive && matches!(a.role.as_deref(), Some("SOFTWARE") | None)
        })
        .find_map(|a| read_windows_paths(&a.path, &a.logs).ok());
    let paths = software.clone().unwrap_or_default();
    out.standard_roots = vec![
        format!("{}\\", paths.system_root),
        format!("{}\\", paths.program_files),
        format!("{}\\", paths.program_files_x86),
    ];
    for artifact in discovered
        .artifacts
        .iter()
        .filter(|a| a.kind == ArtifactKind::Hive)
    {
        let named_system = artifact.role.as_deref() == Some("SYSTEM");
        if artifact.role.is_some() && !named_system {
            continue;
        }
        match read_system_hive(&artifact.path, &artifact.logs, &paths) {
            Ok(system) => {
                out.hives.extend(system.state);
                out.control_sets.extend(system.control_sets);
                out.services.extend(system.services);
                out.warnings.extend(system.warnings);
            }
            // An unnamed hive without `Select` is simply another hive (NTUSER, SOFTWARE…).
            Err(_) if !named_system => {}
            Err(message) => out.warnings.push(Warning {
                file: artifact.path.clone(),
                offset: None,
                message,
            }),
        }
        progress.advance(size(&artifact.path), &artifact.path.to_string_lossy());
    }
    let scope = &discovered.scope;
    out.programs = find_programs(scope, &discovered.artifacts, &out.services, &paths);
    // The first SOFTWARE hive stays open past the loop: the machine's COM classes (compared
    // with every user's, read in the loop), the Task Scheduler's cache and the time zone rules
    // come from it without parsing and replaying it again.
    let mut software_hive = None;
    for artifact in discovered
        .artifacts
        .iter()
        .filter(|a| a.kind == ArtifactKind::Hive && a.role.as_deref() != Some("AMCACHE.HVE"))
    {
        let mut hive = match Hive::open(&artifact.path, &artifact.logs) {
            Ok(hive) => hive,
            // A hive named SYSTEM was reported when it was read for its services.
            Err(e) if artifact.role.as_deref() != Some("SYSTEM") => {
                out.warnings.push(Warning {
                    file: artifact.path.clone(),
                    offset: None,
                    message: e.to_string(),
                });
                continue;
            }
            Err(_) => continue,
        };
        let role = autostart::hive_role(&mut hive, &artifact.path, scope);
        if role != Some(autostart::HiveRole::System) {
            // The SYSTEM hive's state and warnings were recorded with its services.
            record_hive(&hive, &mut out);
        }
        match role {
            Some(role) => {
                out.autostarts.extend(autostart::read_autostarts(
                    &mut hive,
                    &artifact.path,
                    &role,
                    locations,
                    &paths,
                ));
                if role == autostart::HiveRole::Software && software_hive.is_none() {
                    software_hive = Some((hive, &artifact.path));
                }
            }
            // Recognised by content, whatever its name (`Amcache_host1.hve`).
            None if is_amcache(&mut hive) => {
                let entries = read_amcache_hive(&mut hive, &artifact.path);
                out.amcache.extend(entries.unwrap_or_default());
            }
            None => {}
        }
    }
    if let Some((mut hive, path)) = software_hive {
        autostart::mark_shadowed(&mut hive, &mut out.autostarts, locations);
        let (tasks, warnings) = read_task_cache(&mut hive, path);
        out.task_cache = tasks;
        out.warnings
            .extend(warnings.into_iter().map(|message| Warning {
                file: path.clone(),
                offset: None,
                message,
            }));
        for zone in out
            .control_sets
            .iter_mut()
            .filter_map(|c| c.time_zone.as_mut())
        {
            zone.yearly = dynamic_rules(&mut hive, &zone.name);
        }
    }
    for artifact in discovered
        .artifacts
        .iter()
        .filter(|a| a.kind == ArtifactKind::Hive && a.role.as_deref() == Some("AMCACHE.HVE"))
    {
        match Hive::open(&artifact.path, &artifact.logs) {
            Ok(mut hive) => {
                record_hive(&hive, &mut out);
                match read_amcache_hive(&mut hive, &artifact.path) {
                    Ok(entries) => out.amcache.extend(entries),
                    Err(message) => out.warnings.push(Warning {
                        file: artifact.path.clone(),
                        offset: None,
                        message,
                    }),
                }
            }
            Err(e) => out.warnings.push(Warning {
                file: artifact.path.clone(),
                offset: None,
                message: e.to_string(),
            }),
        }
        progress.advance(size(&artifact.path), &artifact.path.to_string_lossy());
    }
    let task_files: Vec<_> = discovered
        .artifacts
        .iter()
        .filter(|a| a.kind == ArtifactKind::Task)
        .collect();
    for (artifact, result) in task_files
        .par_iter()
        .map(|a| (a, read_task_file(&a.path)))
        .collect::<Vec<_>>()
    {
        match result {
            Ok(Some(task)) => out.tasks.push(task),
            Ok(None) => {} // XML, but not a task definition
            Err(message) => out.warnings.push(Warning {
                file: artifact.path.clone(),
                offset: None,
                message: format!("task file skipped: {message}"),
            }),
        }
        progress.advance(size(&artifact.path), &artifact.path.to_string_lossy());
    }
    let prefetch: Vec<_> = discovered
        .artifacts
        .iter()
        .filter(|a| a.kind == ArtifactKind::Prefetch)
        .collect();
    let (entries, warnings) = read_prefetch_files(&prefetch);
    out.prefetch = entries;
    out.warnings.extend(warnings);
    for a in &prefetch {
        progress.advance(size(&a.path), &a.path.to_string_lossy());
    }
    progress.step("hives, tasks and Prefetch read");
    // Services first: events that name only a display name are tied to keys through them.
    let filter = event_filter();
    let logs: Vec<_> = discovered
        .artifacts
        .iter()
        .filter(|a| a.kind == ArtifactKind::EventLog)
        .collect();
    let paths_of_logs: Vec<&Path> = logs.iter().map(|a| a.path.as_path()).collect();
    let results = read_logs(&paths_of_logs, &filter, progress);
    let mut markers = Vec::with_capacity(results.len());
    let mut processes = Vec::with_capacity(results.len());
    let mut batches = Vec::with_capacity(results.len());
    for result in results {
        match result {
            Ok(log) => {
                out.logs.push(log.coverage);
                out.warnings.extend(log.warnings);
                for part in log.parts {
                    batches.push(part.events);
                    markers.push(part.markers);
                    processes.push(part.processes);
                    out.task_events.extend(part.task_events);
                    out.registry_events.extend(part.registry_events);
                    out.clock_steps.extend(part.clock_steps);
                }
            }
            Err(warning) => out.warnings.push(warning),
        }
    }
    out.markers = concat_largest_first(markers);
    out.processes = concat_largest_first(processes);
    // Task times are the machine's local time: UTC once the SYSTEM hive says the zone.
    let zone = out
        .control_sets
        .iter()
        .filter(|c| c.time_zone.is_some())
        .max_by_key(|c| c.roles.iter().any(|r| r == "current"))
        .and_then(|c| c.time_zone.clone());
    if let Some(zone) = &zone {
        for task in &mut out.tasks {
            convert_local_times(task, zone);
        }
        for content in out
            .task_events
            .iter_mut()
            .filter_map(|e| e.content.as_mut())
        {
            convert_local_times(content, zone);
        }
    }
    out.autostarts
        .extend(autostart::changes::entries_from_changes(
            &out.registry_events,
            locations,
            &paths,
        ));
    // Services whose key only Sysmon saw set: known before display names are resolved.
    out.registry_events
        .sort_by(|a, b| (a.time, &a.source).cmp(&(b.time, &b.source)));
    let logged = services_from_changes(&out.registry_events, &out.services, &paths);
    out.programs
        .extend(find_programs(scope, &discovered.artifacts, &logged, &paths));
    out.services.extend(logged);
    resolve_display_names(&mut batches, &out.services);
    resolve_install_programs(&mut batches, &paths);
    // Grouped by service in correlate, beside its other work.
    out.events = batches;
    progress.step("events tied to service keys");

    for artifact in discovered
        .artifacts
        .iter()
        .filter(|a| a.kind == ArtifactKind::Mft)
    {
        read_files(scope, &artifact.path, &mut out);
        progress.advance(size(&artifact.path), &artifact.path.to_string_lossy());
    }
    progress.end();
    let folder_entries = autostart::folders::read_folder_entries(
        scope,
        &discovered.folder_files,
        &out.files,
        locations,
        &paths,
        &mut out.warnings,
    );
    out.autostarts.extend(folder_entries);

    out.markers
        .sort_by(|a, b| (a.time, &a.source).cmp(&(b.time, &b.source)));
    // In record order: a step's time is on the clock it set, so times do not order steps.
    out.clock_steps.sort_by(|a, b| a.source.cmp(&b.source));
    out.processes
        .sort_by(|a, b| (a.time, &a.source).cmp(&(b.time, &b.source)));
    out.task_events
        .sort_by(|a, b| (a.time, &a.source).cmp(&(b.time, &b.source)));
    out.registry_events
        .sort_by(|a, b| (a.time, &a.source).cmp(&(b.time, &b.source)));

    out.inventory.found = discovered.artifacts;
    out.inventory.missing = missing(&out);
    if software.is_none() && !out.hives.is_empty() {
        out.inventory.missing.push(Missing {
            what: "SOFTWARE hive".into(),
            consequence: format!(
                "ImagePath variables expanded with Windows' defaults: %SystemRoot% = {}, %ProgramFiles% = {}",
                paths.system_root, paths.program_files
            ),
        });
    }
    out
}

/// A hive's state (dirty, logs replayed) and what opening it warned about, in the report.
fn record_hive(hive: &Hive, out: &mut Extracted) {
    let path = &hive.info.path;
    out.warnings
        .extend(hive.info.warnings.iter().map(|message| Warning {
            file: path.clone(),
            offset: None,
            message: message.clone(),
        }));
    out.hives.push(HiveState {
        path: path.clone(),
        dirty: hive.info.dirty,
        logs: hive.info.logs.iter().map(|l| l.path.clone()).collect(),
        logs_replayed: hive.info.replayed,
    });
}

/// One vector of all the batches. The largest (a busy server's Security log can hold most of a
/// case's process events) is kept in place and the others appended, sized once: copying it into a
/// new vector would hold its events twice at the peak.
fn concat_largest_first<T>(mut batches: Vec<Vec<T>>) -> Vec<T> {
    let Some(largest) = (0..batches.len()).max_by_key(|&i| batches[i].len()) else {
        return Vec::new();
    };
    let mut all = batches.swap_remove(largest);
    all.reserve_exact(batches.iter().map(Vec::len).sum());
    for batch in batches {
        all.extend(batch);
    }
    all
}

/// Every entry of an $MFT, with its drive letter, into `out.files`.
fn read_files(scope: &Scope, path: &Path, out: &mut Extracted) {
    let drive = drive_of(scope, path);
    let file: Arc<Path> = Arc::from(path);
    let ntfs = |t: konseki_mft::Times| NtfsTimes {
        created: t.created,
        modified: t.modified,
        mft_modified: t.mft_modified,
        accessed: t.accessed,
    };
    let result = konseki_mft::read_mft(path, |r| {
        // A record with no name (reserved, or an extension of another entry) is no path on
        // the volume: not `C:\`.
        if !r.named {
            return;
        }
        out.files.push(FileEntry {
            path: format!("{drive}\\{}", r.path),
            in_use: r.in_use,
            is_dir: r.is_dir,
            size: r.size,
            si: r.si.map(ntfs),
            fn_times: r.fn_times.map(ntfs),
            source: Provenance::MftEntry {
                file: file.clone(),
                entry: r.entry,
            },
        })
    });
    match result {
        Ok(summary) => {
            out.warnings.extend(
                summary
                    .warnings
                    .into_iter()
                    .map(|(entry, message)| Warning {
                        file: path.to_path_buf(),
                        offset: Some(entry * 1024),
                        message: format!("$MFT entry {entry} unreadable: {message}"),
                    }),
            )
        }
        Err(e) => out.warnings.push(Warning {
            file: path.to_path_buf(),
            offset: None,
            message: e.to_string(),
        }),
    }
}

/// What an examiner should know is absent, and what it costs.
fn missing(out: &Extracted) -> Vec<Missing> {
    let has_channel = |name: &str| out.logs.iter().any(|l| l.holds_channel(name));
    let mut missing = Vec::new();
    if out.hives.is_empty() {
        missing.push(Missing {
            what: "SYSTEM hive".into(),
            consequence: "no service configuration (ImagePath, Start, FailureActions), no ServicesPipeTimeout, no control-set comparison".into(),
        });
    }
    if !has_channel("System") {
        missing.push(Missing {
            what: "System.evtx".into(),
            consequence: "no SCM events: installs (7045), start timeouts (7009/7000), state changes (7036), crashes (7031/7034) not available".into(),
        });
    }
    if !has_channel("Security") {
        missing.push(Missing {
            what: "Security.evtx".into(),
            consequence: "4697 (service installed, with the installing account) not available"
                .into(),
        });
    }
    missing
}
