//! The extraction run: discover, read every artifact (hives and event logs in parallel), tie
//! events to keys.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;

use konseki_model::{
    ArtifactKind, Evidence as Extracted, FileEntry, FoundArtifact, Missing, NtfsTimes, Provenance,
    ScmEvent, Warning,
};

use crate::autostart;
use crate::discover::{discover, drive_of, file_size, Discovered};
use crate::hives::read_hives;
use crate::host_split::{split_hosts, HostFiles};
use crate::image_path::WindowsPaths;
use crate::logs::{read_logs, LogResult};
use crate::loose::{split_loose, LooseHost};
use crate::prefetch::read_prefetch_files;
use crate::programs::find_programs;
use crate::progress::Progress;
use crate::scope::Scope;
use crate::service_changes::services_from_changes;
use crate::service_events::{event_filter, resolve_display_names, resolve_install_programs};
use crate::tasks::{convert_local_times, read_task_file};
use crate::volumes::Volumes;

/// Reads all evidence under `roots`.
pub fn extract(roots: &[PathBuf], progress: &dyn Progress) -> Extracted {
    extract_with(roots, progress, &autostart::defs::builtin())
}

/// Reads all evidence under `roots` as one host's, looking for autostart entries in
/// `locations` (the built-in definitions, or an analyst's own: `konseki scan --defs`).
/// [`extract_hosts`] tells the hosts of a case apart.
pub fn extract_with(
    roots: &[PathBuf],
    progress: &dyn Progress,
    locations: &[autostart::defs::Location],
) -> Extracted {
    let Discovered {
        artifacts,
        folder_files,
        warnings,
        scope,
    } = discover_all(roots, progress, locations);
    let host = HostFiles {
        folder: None,
        artifacts,
        folder_files,
        warnings,
    };
    let out = read_host(roots, &scope, host, None, progress, locations);
    progress.end();
    out
}

/// Reads all evidence under `roots`, host by host ([`crate::host_split`]), hosts in parallel:
/// each host's evidence is handed to `each` as soon as it is read, and dropped by it (what it
/// returns is kept, in host order). At most a few hosts are in memory at once (one per core,
/// give or take the work a waiting core takes on). Returns what `each` made of every host, and
/// the warnings about paths that belong to no one host.
pub fn extract_hosts<R: Send>(
    roots: &[PathBuf],
    progress: &dyn Progress,
    locations: &[autostart::defs::Location],
    each: impl Fn(Extracted) -> R + Sync,
) -> (Vec<R>, Vec<Warning>) {
    let Discovered {
        artifacts,
        folder_files,
        warnings,
        scope,
    } = discover_all(roots, progress, locations);
    let (hosts, case_warnings) = split_hosts(&scope, artifacts, folder_files, warnings);
    let mut jobs: Vec<LooseHost> = Vec::with_capacity(hosts.len());
    for host in hosts {
        if host.folder.is_some() {
            jobs.push(LooseHost::collection(host));
        } else {
            // Loose files: their logs read first, to tell the machines they record apart.
            let logs = read_log_files(&host.artifacts, progress);
            jobs.extend(split_loose(host, logs));
        }
    }
    let results = jobs
        .into_par_iter()
        .map(|job| {
            let mut out = read_host(roots, &scope, job.files, job.logs, progress, locations);
            out.unattributed = job.unattributed;
            each(out)
        })
        .collect();
    progress.end();
    (results, case_warnings)
}

/// Discovery, with the warnings about roots that are no artifact, and the progress sized.
fn discover_all(
    roots: &[PathBuf],
    progress: &dyn Progress,
    locations: &[autostart::defs::Location],
) -> Discovered {
    let mut discovered = discover(roots, &autostart::folders::folder_patterns(locations));
    progress.step("evidence discovered");
    warn_unrecognised_roots(roots, &discovered.artifacts, &mut discovered.warnings);
    progress.begin(
        discovered
            .artifacts
            .iter()
            .map(|a| file_size(&a.path))
            .sum(),
    );
    discovered
}

/// Reads one host's files.
///
/// In phases, each reading what the ones before it established: the hives (each opened once;
/// the SOFTWARE hive's folders expand every ImagePath), the files (tasks, Prefetch), the event
/// logs, the ties between events and keys, the $MFT and the Startup folders.
fn read_host(
    roots: &[PathBuf],
    scope: &Scope,
    host: HostFiles,
    logs: Option<Vec<Result<LogResult, Warning>>>,
    progress: &dyn Progress,
    locations: &[autostart::defs::Location],
) -> Extracted {
    let HostFiles {
        folder,
        mut artifacts,
        folder_files,
        warnings,
    } = host;
    let volumes = Volumes::of(scope, &artifacts);
    let mut out = Extracted {
        warnings,
        collection: folder,
        ..Extracted::default()
    };
    out.inventory.roots = roots.to_vec();

    let software = read_hives(&mut artifacts, scope, locations, &mut out, progress);
    let paths = software.clone().unwrap_or_default();
    out.standard_roots = vec![
        format!("{}\\", paths.system_root),
        format!("{}\\", paths.program_files),
        format!("{}\\", paths.program_files_x86),
    ];
    out.programs = find_programs(&volumes, &out.services, &paths);
    read_task_files(&artifacts, &mut out, progress);
    read_prefetch(&artifacts, &mut out, progress);
    progress.step("hives, tasks and Prefetch read");

    let logs = logs.unwrap_or_else(|| read_log_files(&artifacts, progress));
    let batches = take_logs(logs, &mut out);
    localise_task_times(&mut out);
    tie_events_to_keys(batches, &volumes, locations, &paths, &mut out);
    progress.step("events tied to service keys");

    for artifact in of_kind(&artifacts, ArtifactKind::Mft) {
        read_files(scope, &artifact.path, &mut out);
        progress.advance(file_size(&artifact.path), &artifact.path.to_string_lossy());
    }
    let folder_entries = autostart::folders::read_folder_entries(
        scope,
        &folder_files,
        &out.files,
        locations,
        &paths,
        &mut out.warnings,
    );
    out.autostarts.extend(folder_entries);
    sort_timelines(&mut out);
    take_inventory(artifacts, software.is_some(), &paths, &mut out);
    out
}

/// The artifacts of one kind.
fn of_kind(
    artifacts: &[FoundArtifact],
    kind: ArtifactKind,
) -> impl Iterator<Item = &FoundArtifact> {
    artifacts.iter().filter(move |a| a.kind == kind)
}

/// A file the examiner named that is no artifact konseki reads is said, not silently skipped.
fn warn_unrecognised_roots(
    roots: &[PathBuf],
    artifacts: &[FoundArtifact],
    warnings: &mut Vec<Warning>,
) {
    for root in roots
        .iter()
        .filter(|r| konseki_source::metadata(r).is_ok_and(|m| m.kind == konseki_source::Kind::File))
    {
        // An artifact, or a container already named with how to read it.
        if artifacts.iter().any(|a| &a.path == root) || warnings.iter().any(|w| &w.file == root) {
            continue;
        }
        let empty = konseki_source::metadata(root).is_ok_and(|m| m.len == 0);
        warnings.push(Warning {
            file: root.clone(),
            offset: None,
            message: if empty {
                "empty file (0 bytes): not a registry hive or EVTX log: skipped".into()
            } else {
                "not a registry hive or EVTX log (no 'regf' or 'ElfFile' signature): skipped".into()
            },
        });
    }
}

/// Task definitions (XML and `.job`), read in parallel.
fn read_task_files(artifacts: &[FoundArtifact], out: &mut Extracted, progress: &dyn Progress) {
    let files: Vec<_> = of_kind(artifacts, ArtifactKind::Task).collect();
    let results: Vec<_> = files
        .par_iter()
        .map(|a| {
            let task = read_task_file(&a.path);
            progress.advance(file_size(&a.path), &a.path.to_string_lossy());
            task
        })
        .collect();
    for result in results {
        match result {
            Ok(Some(task)) => out.tasks.push(task),
            Ok(None) => {} // XML, but not a task definition
            Err(e) => {
                let mut warning = Warning::from(e);
                warning.message = format!("task file skipped: {}", warning.message);
                out.warnings.push(warning);
            }
        }
    }
}

/// Prefetch files, read in parallel.
fn read_prefetch(artifacts: &[FoundArtifact], out: &mut Extracted, progress: &dyn Progress) {
    let files: Vec<_> = of_kind(artifacts, ArtifactKind::Prefetch).collect();
    let (entries, warnings) = read_prefetch_files(&files);
    out.prefetch = entries;
    out.warnings.extend(warnings);
    for a in &files {
        progress.advance(file_size(&a.path), &a.path.to_string_lossy());
    }
}

/// Every event log of `artifacts`, read in parallel.
fn read_log_files(
    artifacts: &[FoundArtifact],
    progress: &dyn Progress,
) -> Vec<Result<LogResult, Warning>> {
    let filter = event_filter();
    let paths: Vec<&Path> = of_kind(artifacts, ArtifactKind::EventLog)
        .map(|a| a.path.as_path())
        .collect();
    read_logs(&paths, &filter, progress)
}

/// The logs as read: coverage, markers, process starts, task and registry events into `out`;
/// the SCM events returned in batches (one per log part), to be tied to service keys.
fn take_logs(results: Vec<Result<LogResult, Warning>>, out: &mut Extracted) -> Vec<Vec<ScmEvent>> {
    let mut markers = Vec::with_capacity(results.len());
    let mut processes = Vec::with_capacity(results.len());
    let mut batches = Vec::with_capacity(results.len());
    for result in results {
        let log = match result {
            Ok(log) => log,
            Err(warning) => {
                out.warnings.push(warning);
                continue;
            }
        };
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
    out.markers = concat_largest_first(markers);
    out.processes = concat_largest_first(processes);
    batches
}

/// Task times are the machine's local time: UTC once the SYSTEM hive says the zone (the
/// current control set's, else any).
fn localise_task_times(out: &mut Extracted) {
    let zone = out
        .control_sets
        .iter()
        .filter(|c| c.time_zone.is_some())
        .max_by_key(|c| c.roles.iter().any(|r| r == "current"))
        .and_then(|c| c.time_zone.clone());
    let Some(zone) = &zone else {
        return;
    };
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

/// Registry changes the logs saw become autostart entries and services (those only Sysmon
/// saw set, known before display names are resolved); then SCM events that name a service
/// by display name or by program are tied to its key.
fn tie_events_to_keys(
    mut batches: Vec<Vec<ScmEvent>>,
    volumes: &Volumes,
    locations: &[autostart::defs::Location],
    paths: &WindowsPaths,
    out: &mut Extracted,
) {
    out.autostarts
        .extend(autostart::changes::entries_from_changes(
            &out.registry_events,
            locations,
            paths,
        ));
    out.registry_events
        .sort_by(|a, b| (a.time, &a.source).cmp(&(b.time, &b.source)));
    let logged = services_from_changes(&out.registry_events, &out.services, paths);
    out.programs.extend(find_programs(volumes, &logged, paths));
    out.services.extend(logged);
    resolve_display_names(&mut batches, &out.services);
    resolve_install_programs(&mut batches, paths);
    // Grouped by service in correlate, beside its other work.
    out.events = batches;
}

/// Every timeline in time order; clock steps in record order (a step's time is on the clock
/// it set, so times do not order steps).
fn sort_timelines(out: &mut Extracted) {
    out.markers
        .sort_by(|a, b| (a.time, &a.source).cmp(&(b.time, &b.source)));
    out.clock_steps.sort_by(|a, b| a.source.cmp(&b.source));
    out.processes
        .sort_by(|a, b| (a.time, &a.source).cmp(&(b.time, &b.source)));
    out.task_events
        .sort_by(|a, b| (a.time, &a.source).cmp(&(b.time, &b.source)));
    out.registry_events
        .sort_by(|a, b| (a.time, &a.source).cmp(&(b.time, &b.source)));
}

/// What was found and what is missing, with what each absence costs.
fn take_inventory(
    artifacts: Vec<FoundArtifact>,
    has_software: bool,
    paths: &WindowsPaths,
    out: &mut Extracted,
) {
    out.inventory.found = artifacts;
    out.inventory.missing = missing(out);
    if !has_software && !out.hives.is_empty() {
        out.inventory.missing.push(Missing {
            what: "SOFTWARE hive".into(),
            consequence: format!(
                "ImagePath variables expanded with Windows' defaults: %SystemRoot% = {}, %ProgramFiles% = {}",
                paths.system_root, paths.program_files
            ),
        });
    }
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
