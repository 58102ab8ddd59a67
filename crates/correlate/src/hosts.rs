//! Which computer names are one host, and each host's clock.
//!
//! A machine's own logs (System, Security, Sysmon…) hold only its own records, under whatever
//! name it had when each was written: the names that occur in one such file are one host
//! renamed over time (a fresh install renamed at its first boot, a server promoted to domain
//! controller). Names that never meet in a file are different hosts. A file that gathers other
//! machines' events (`ForwardedEvents`, a merge of several channels) says nothing of this.
//! A boot session or a run is never split by a rename, and never joined across hosts.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use jiff::Timestamp;
use konseki_model::{Evidence, Provenance};

use crate::clock::Clock;

/// The hosts of a scan.
#[derive(Debug, Default)]
pub(crate) struct Hosts {
    /// Lower-cased computer name → host.
    of: HashMap<String, usize>,
    /// Each host's names, as first seen.
    names: Vec<Vec<Arc<str>>>,
    /// Each host's own log files that record its names.
    files: Vec<Vec<Arc<Path>>>,
    /// Each host's clock.
    clocks: Vec<Clock>,
}

impl Hosts {
    /// The hosts of `evidence`, from the names its logs record, with their clocks.
    pub fn new(evidence: &Evidence) -> Hosts {
        let local: HashMap<&Path, bool> = evidence
            .logs
            .iter()
            .map(|l| {
                let forwarded = l
                    .channel
                    .as_deref()
                    .is_some_and(|c| c.eq_ignore_ascii_case("ForwardedEvents"));
                (l.file.as_path(), l.channels.is_empty() && !forwarded)
            })
            .collect();
        // The names each file records, each pair once. Files are told apart by their shared
        // path (`Arc`), not by hashing the path: a log yields hundreds of thousands of events.
        let mut by_file: HashMap<*const Path, (&Arc<Path>, Vec<&Arc<str>>)> = HashMap::new();
        let pairs = evidence
            .events
            .iter()
            .flatten()
            .map(|e| (&e.source, &e.computer))
            .chain(evidence.markers.iter().map(|m| (&m.source, &m.computer)))
            .chain(
                evidence
                    .clock_steps
                    .iter()
                    .map(|c| (&c.source, &c.computer)),
            )
            .chain(evidence.processes.iter().map(|p| (&p.source, &p.computer)));
        for (source, computer) in pairs {
            let Provenance::EventRecord { file, .. } = source else {
                continue;
            };
            let (_, names) = by_file
                .entry(Arc::as_ptr(file))
                .or_insert_with(|| (file, Vec::new()));
            if !names
                .iter()
                .any(|n| Arc::ptr_eq(n, computer) || ***n == **computer)
            {
                names.push(computer);
            }
        }
        let mut hosts = Hosts::default();
        let mut files: Vec<&(&Arc<Path>, Vec<&Arc<str>>)> = by_file.values().collect();
        files.sort_by_key(|(file, _)| *file);
        for (file, names) in files {
            if !local.get(&***file).copied().unwrap_or(true) {
                for name in names {
                    if hosts.of(name).is_none() {
                        hosts.add(name, None);
                    }
                }
                continue;
            }
            // Every name of a machine's own log is that machine.
            let mut host: Option<usize> = None;
            for name in names {
                match (hosts.of(name), host) {
                    (Some(k), None) => host = Some(k),
                    (Some(k), Some(h)) if k != h => hosts.join(h, k),
                    (Some(_), Some(_)) => {}
                    (None, h) => host = Some(hosts.add(name, h)),
                }
            }
            if let Some(h) = host {
                hosts.files[h].push((*file).clone());
            }
        }
        hosts.clocks = (0..hosts.names.len())
            .map(|h| hosts.clock_of(h, evidence))
            .collect();
        hosts
    }

    /// Adds `name` to `host`, or as a host of its own; returns its host.
    fn add(&mut self, name: &Arc<str>, host: Option<usize>) -> usize {
        let host = host.unwrap_or_else(|| {
            self.names.push(Vec::new());
            self.files.push(Vec::new());
            self.names.len() - 1
        });
        self.names[host].push(name.clone());
        self.of.insert(name.to_lowercase(), host);
        host
    }

    /// Makes `other` part of `host`.
    fn join(&mut self, host: usize, other: usize) {
        let moved = std::mem::take(&mut self.names[other]);
        for name in &moved {
            self.of.insert(name.to_lowercase(), host);
        }
        self.names[host].extend(moved);
        let files = std::mem::take(&mut self.files[other]);
        self.files[host].extend(files);
    }

    /// The host that logged as `computer`.
    pub fn of(&self, computer: &str) -> Option<usize> {
        self.of.get(&computer.to_lowercase()).copied()
    }

    /// The names of `host`, as first seen.
    pub fn names(&self, host: usize) -> &[Arc<str>] {
        &self.names[host]
    }

    /// The hosts' names, host by host (a host joined into another has none).
    pub fn all_names(&self) -> impl Iterator<Item = (usize, &[Arc<str>])> {
        self.names
            .iter()
            .enumerate()
            .filter(|(_, n)| !n.is_empty())
            .map(|(h, n)| (h, n.as_slice()))
    }

    /// The host's own log files that record its names.
    pub fn files(&self, host: usize) -> &[Arc<Path>] {
        &self.files[host]
    }

    /// The clock of `host`.
    pub fn clock(&self, host: usize) -> &Clock {
        &self.clocks[host]
    }

    /// `host`'s clock: its steps, and the first record of its System logs (where the first
    /// segment begins).
    fn clock_of(&self, host: usize, evidence: &Evidence) -> Clock {
        let mine = |computer: &str| self.of(computer) == Some(host);
        let steps: Vec<_> = evidence
            .clock_steps
            .iter()
            .filter(|s| mine(&s.computer))
            .collect();
        if steps.is_empty() {
            return Clock::default();
        }
        let step_files: std::collections::HashSet<&Path> = steps
            .iter()
            .filter_map(|s| match &s.source {
                Provenance::EventRecord { file, .. } => Some(&**file),
                _ => None,
            })
            .collect();
        let first_record: Option<(u64, Timestamp)> = evidence
            .logs
            .iter()
            .filter(|l| step_files.contains(&l.file.as_path()))
            .filter_map(|l| {
                let ids = l.record_ids?;
                Some((ids.first_id, ids.first_time?))
            })
            .min();
        Clock::new(&steps, first_record)
    }
}
