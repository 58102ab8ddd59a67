//! One execution-evidence index per scan, queried by every report alike: what the evidence says
//! of a program having run (Prefetch run times, process starts logged by Security 4688 and
//! Sysmon 1) and of its being present (Amcache's inventory). Services, autostart entries and
//! scheduled tasks ask it the same question about their program, so a source added here is
//! weighed in every verdict, and none of them can forget one.
//!
//! What it holds is split by meaning: `runs` show the program ran; `recorded` shows the file
//! was on the system, which on Windows 10 and later is not proof that it ran.

use konseki_model::{AmcacheEntry, Evidence, EvidenceItem, ScmEvent};

use crate::amcache_check::{amcache_items, AmcacheIndex};
use crate::prefetch_activity::{is_shared_host, run_items, PrefetchIndex};
use crate::process_activity::ProcessTimeline;

/// Every execution artifact of a scan, indexed by program.
pub struct ExecutionIndex<'a> {
    prefetch: PrefetchIndex<'a>,
    amcache: AmcacheIndex<'a>,
    processes: ProcessTimeline<'a>,
}

/// What the evidence says of one program.
#[derive(Debug, Default)]
pub struct ProgramEvidence<'a> {
    /// A program that runs for many others (`cmd.exe`, `svchost.exe`, `rundll32.exe`…): its
    /// runs say nothing of which entry started it, and none are given.
    pub shared_host: bool,
    /// Prefetch run times, one item each.
    pub prefetch_runs: Vec<EvidenceItem>,
    /// Logged process starts (4688, Sysmon 1).
    pub process_starts: Vec<EvidenceItem>,
    /// Amcache's entries for the file: present, with its hash; not execution.
    pub recorded: Vec<&'a AmcacheEntry>,
}

impl ProgramEvidence<'_> {
    /// The Amcache entries as evidence items.
    pub fn recorded_items(&self) -> Vec<EvidenceItem> {
        amcache_items(&self.recorded)
    }
}

impl<'a> ExecutionIndex<'a> {
    /// Indexes the execution artifacts of `evidence`.
    pub fn new(evidence: &'a Evidence) -> ExecutionIndex<'a> {
        ExecutionIndex {
            prefetch: PrefetchIndex::new(&evidence.prefetch),
            amcache: AmcacheIndex::new(&evidence.amcache),
            processes: ProcessTimeline::new(&evidence.processes),
        }
    }

    /// What the evidence says of the program at `path` (a Windows path). `installs` are the
    /// install events of the entry asking (a Prefetch run just after one is said to follow it).
    pub fn of_program(&self, path: &str, installs: &[ScmEvent]) -> ProgramEvidence<'a> {
        if is_shared_host(path) {
            return ProgramEvidence {
                shared_host: true,
                ..ProgramEvidence::default()
            };
        }
        ProgramEvidence {
            shared_host: false,
            prefetch_runs: run_items(&self.prefetch.of_program(path), installs),
            process_starts: self.processes.starts_of(path),
            recorded: self.amcache.of_program(path),
        }
    }

    /// The process events, for what happened inside a run window and for a service's own runs.
    pub fn processes(&self) -> &ProcessTimeline<'a> {
        &self.processes
    }
}
