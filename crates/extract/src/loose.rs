//! Loose files (in no collection's volume tree) told apart by the machines they record.
//!
//! A machine's own log (System, Security, Sysmon…) holds only its records, under whatever name
//! the machine had when each was written: the names in one such log are one machine renamed
//! over time, and logs whose names never meet are different machines. A SYSTEM hive names its
//! machine (`ComputerName` of each control set) and joins the logs of that name, or stands as a
//! machine of its own. When the loose files record one machine (or none), they are all that
//! machine's, as before. When they record several, the files that name no machine (Prefetch,
//! $MFT, tasks, other hives) and the logs that gather several machines' records
//! (`ForwardedEvents`, a merge of channels) cannot be tied to one: they form a host of their
//! own, said to be unattributed, rather than be correlated with a machine they may not be.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use konseki_model::{comparable_computer_name, ArtifactKind, Warning};
use konseki_registry::{Data, Hive};

use crate::host_split::HostFiles;
use crate::logs::LogResult;

/// One host's files to read: a collection, or a group of loose files with its logs as read.
pub(crate) struct LooseHost {
    pub files: HostFiles,
    /// Its logs as read (loose files); `None` for a collection, whose logs are read with the
    /// rest of its files.
    pub logs: Option<Vec<Result<LogResult, Warning>>>,
    /// The files record no machine, while the other loose files record several.
    pub unattributed: bool,
}

impl LooseHost {
    /// A collection's files (its logs read with the rest).
    pub(crate) fn collection(files: HostFiles) -> LooseHost {
        LooseHost {
            files,
            logs: None,
            unattributed: false,
        }
    }
}

/// Splits the loose files `host` into the machines they record.
pub(crate) fn split_loose(
    host: HostFiles,
    logs: Vec<Result<LogResult, Warning>>,
) -> Vec<LooseHost> {
    let log_names: Vec<Option<BTreeSet<String>>> = logs
        .iter()
        .map(|r| r.as_ref().ok().and_then(own_names))
        .collect();
    // Machines: sets of names, joined whenever one of a machine's own logs holds two of them.
    let mut machines: Vec<BTreeSet<String>> = Vec::new();
    for names in log_names.iter().flatten() {
        join_into(&mut machines, names.clone());
    }
    let hive_names: Vec<(usize, BTreeSet<String>)> = host
        .artifacts
        .iter()
        .enumerate()
        .filter(|(_, a)| a.kind == ArtifactKind::Hive)
        .filter_map(|(i, a)| system_names(&a.path, &a.logs).map(|n| (i, n)))
        .collect();
    for (_, names) in &hive_names {
        match machines.iter_mut().find(|m| meets(m, names)) {
            Some(m) => m.extend(names.iter().cloned()),
            None => machines.push(names.clone()),
        }
    }
    if machines.len() <= 1 {
        return vec![LooseHost {
            files: host,
            logs: Some(logs),
            unattributed: false,
        }];
    }
    let mut groups = assign(host, logs, &log_names, &hive_names, &machines);
    groups.retain(|g| {
        !g.files.artifacts.is_empty()
            || !g.files.folder_files.is_empty()
            || !g.files.warnings.is_empty()
    });
    groups
}

/// Each log and SYSTEM hive to its machine (by index in `machines`); everything else to the
/// unattributed group, the last.
fn assign(
    host: HostFiles,
    logs: Vec<Result<LogResult, Warning>>,
    log_names: &[Option<BTreeSet<String>>],
    hive_names: &[(usize, BTreeSet<String>)],
    machines: &[BTreeSet<String>],
) -> Vec<LooseHost> {
    let machine_of = |names: &BTreeSet<String>| machines.iter().position(|m| meets(m, names));
    let rest = machines.len();
    let mut groups: Vec<LooseHost> = (0..=rest)
        .map(|i| LooseHost {
            files: HostFiles::default(),
            logs: Some(Vec::new()),
            unattributed: i == rest,
        })
        .collect();
    let mut log_group: Vec<(PathBuf, usize)> = Vec::new();
    for (log, names) in logs.into_iter().zip(log_names) {
        let group = names.as_ref().and_then(machine_of).unwrap_or(rest);
        let file = match &log {
            Ok(l) => l.coverage.file.clone(),
            Err(w) => w.file.clone(),
        };
        log_group.push((file, group));
        groups[group].logs.get_or_insert_with(Vec::new).push(log);
    }
    for (i, artifact) in host.artifacts.into_iter().enumerate() {
        let group = match artifact.kind {
            ArtifactKind::EventLog => log_group
                .iter()
                .find(|(f, _)| *f == artifact.path)
                .map_or(rest, |(_, g)| *g),
            _ => hive_names
                .iter()
                .find(|(h, _)| *h == i)
                .and_then(|(_, names)| machine_of(names))
                .unwrap_or(rest),
        };
        groups[group].files.artifacts.push(artifact);
    }
    groups[rest].files.folder_files = host.folder_files;
    for warning in host.warnings {
        let group = log_group
            .iter()
            .find(|(f, _)| *f == warning.file)
            .map_or(rest, |(_, g)| *g);
        groups[group].files.warnings.push(warning);
    }
    groups
}

/// The names a machine's own log records (lower-cased); none for a log that gathers several
/// machines' records, or that holds no record konseki reads.
fn own_names(log: &LogResult) -> Option<BTreeSet<String>> {
    let forwarded = log
        .coverage
        .channel
        .as_deref()
        .is_some_and(|c| c.eq_ignore_ascii_case("ForwardedEvents"));
    if forwarded || !log.coverage.channels.is_empty() {
        return None;
    }
    let mut names = BTreeSet::new();
    for part in &log.parts {
        let computers = part
            .events
            .iter()
            .map(|e| &e.computer)
            .chain(part.markers.iter().map(|m| &m.computer))
            .chain(part.processes.iter().map(|p| &p.computer))
            .chain(part.clock_steps.iter().map(|c| &c.computer));
        // A log's records share a handful of names, each an `Arc` reused record after record:
        // compared by pointer first, a million records cost a million pointer comparisons.
        let mut last: Option<&std::sync::Arc<str>> = None;
        for computer in computers {
            if last.is_some_and(|l| std::sync::Arc::ptr_eq(l, computer)) {
                continue;
            }
            last = Some(computer);
            if !names.contains(&**computer) {
                names.insert(computer.to_string());
            }
        }
    }
    let names: BTreeSet<String> = names
        .into_iter()
        .map(|n| comparable_computer_name(&n))
        .collect();
    (!names.is_empty()).then_some(names)
}

/// Adds `names` to the machine that holds one of them, joining machines it links.
fn join_into(machines: &mut Vec<BTreeSet<String>>, names: BTreeSet<String>) {
    let mut joined = names;
    machines.retain(|m| {
        if meets(m, &joined) {
            joined.extend(m.iter().cloned());
            false
        } else {
            true
        }
    });
    machines.push(joined);
}

fn meets(a: &BTreeSet<String>, b: &BTreeSet<String>) -> bool {
    a.intersection(b).next().is_some()
}

/// The `ComputerName` of every control set of a SYSTEM hive; `None` for another hive or one
/// that cannot be read (its reading reports why).
fn system_names(path: &Path, logs: &[PathBuf]) -> Option<BTreeSet<String>> {
    let mut hive = Hive::open(path, logs).ok()?;
    hive.key("Select")?;
    let root = hive.key("")?;
    let mut names = BTreeSet::new();
    for set in hive.subkeys(&root) {
        if !set.name.to_ascii_lowercase().starts_with("controlset") {
            continue;
        }
        let name = hive
            .subkey(&set, "Control")
            .and_then(|c| hive.subkey(&c, "ComputerName"))
            .and_then(|c| hive.subkey(&c, "ComputerName"))
            .and_then(|k| k.value("ComputerName").and_then(Data::as_text));
        if let Some(name) = name.filter(|n| !n.is_empty()) {
            names.insert(comparable_computer_name(&name));
        }
    }
    (!names.is_empty()).then_some(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn machines_join_when_a_log_holds_two_of_their_names() {
        let set = |names: &[&str]| names.iter().map(|n| n.to_string()).collect::<BTreeSet<_>>();
        let mut machines = Vec::new();
        join_into(&mut machines, set(&["A"]));
        join_into(&mut machines, set(&["B"]));
        assert_eq!(machines.len(), 2);
        join_into(&mut machines, set(&["A", "B"]));
        assert_eq!(machines, [set(&["A", "B"])]);
        assert_eq!(comparable_computer_name("fs03.offsec.lan"), "FS03");
    }
}
