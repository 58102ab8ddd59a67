//! Runs → the verdict for one service, with its rationale in words.

use std::hash::{Hash, Hasher};

use foldhash::HashSet;

use konseki_model::{
    EvidenceItem, Execution, FailureActions, LogCoverage, Provenance, Residency, RunOutcome,
    RunWindow, ScmEvent, Timestamp, Verdict,
};

use crate::coverage::{gaps_text, has_gaps, only_isolated, span_text};
use crate::describe::{event_item, format_duration_at_most, same_file};
use crate::lifecycle::Lifecycle;

/// Runs explained and cited in full at each end of a long lifecycle (a service started at every
/// boot for years has thousands of runs; the examiner needs the first and the last).
const KEEP_RUNS: usize = 10;

/// What the verdict needs besides the lifecycle.
pub struct VerdictContext<'a> {
    /// The System logs read (their spans bound what "no evidence" means).
    pub system_logs: &'a [&'a LogCoverage],
    /// FailureActions configured in any control set, for the "configured ≠ happened" remark.
    pub failure_actions: Option<&'a FailureActions>,
    /// The service's events: those no run cites (installs, start-type changes) are appended
    /// to the chain.
    pub events: &'a [ScmEvent],
    /// Other evidence that is not a run (service keys, program files), appended to the chain.
    pub other_evidence: Vec<EvidenceItem>,
    /// What the program file says about the runs' endings, when it says something.
    pub program_rationale: Option<String>,
    /// The program's Prefetch run times, one item each: execution evidence of their own.
    pub prefetch_runs: Vec<EvidenceItem>,
    /// The ServicesPipeTimeout in force, for timeouts whose 7009 does not log it.
    pub pipe_timeout_ms: u64,
    /// Runs of the program recorded before the service existed: not its execution.
    pub earlier_runs: Vec<EvidenceItem>,
    /// What to say of them.
    pub earlier_sentence: Option<String>,
    /// The service is a driver: SCM run evidence does not apply to it.
    pub driver: bool,
    /// An auto-start service installed after the last boot the logs record, when it is one.
    pub after_last_boot: Option<AfterLastBoot>,
}

/// An auto-start service installed after the last boot in the logs: its auto-start cannot
/// have fired within them.
pub struct AfterLastBoot {
    /// The (latest) install.
    pub install: EvidenceItem,
    /// The last boot before it, when the logs hold one.
    pub boot: Option<EvidenceItem>,
    /// SCM failures of other services on the same host near the install: context, not proof.
    pub nearby: Vec<EvidenceItem>,
}

/// The verdict for one service.
pub fn verdict(life: &Lifecycle, ctx: VerdictContext<'_>) -> Verdict {
    let runs = &life.runs;
    let execution = if !runs.is_empty() || !ctx.prefetch_runs.is_empty() {
        Execution::Executed
    } else if !life.failed_starts.is_empty() {
        Execution::StartAttemptedNotExecuted
    } else {
        Execution::NoEvidence
    };
    let residency = residency_of(life);
    let longest_run_ms = if runs.iter().all(|r| r.max_duration_ms.is_some()) {
        runs.iter().filter_map(|r| r.max_duration_ms).max()
    } else {
        None
    };
    let mut rationale = runs_rationale(runs, ctx.pipe_timeout_ms);
    rationale.extend(context_rationale(life, residency, execution, &ctx));
    let mut summary = summary(
        execution,
        ctx.prefetch_runs.len(),
        runs.len(),
        longest_run_ms,
        residency,
        ctx.system_logs,
    );
    if execution == Execution::NoEvidence {
        if ctx.driver {
            summary = "driver: no SCM run evidence, and none is expected (drivers load without 7036 or Prefetch)".to_string();
        } else if ctx.after_last_boot.is_some() {
            summary = "installed after the last recorded boot: its auto-start never fired within the logs".to_string();
        }
    }
    let (evidence, evidence_omitted) = evidence_chain(life, execution, ctx);
    Verdict {
        evidence_omitted,
        execution,
        longest_run_ms,
        runs: runs.len(),
        residency,
        summary,
        rationale,
        evidence,
    }
}

/// Whether the program stayed resident after its runs, from how they ended and restarts.
fn residency_of(life: &Lifecycle) -> Residency {
    let runs = &life.runs;
    let ended = |outcome: fn(&RunOutcome) -> bool| runs.iter().any(|r| outcome(&r.outcome));
    if life.restarts > 0 {
        Residency::SemiResident
    } else if ended(|o| matches!(o, RunOutcome::StillRunning | RunOutcome::SystemShutdown)) {
        Residency::Resident
    } else if ended(|o| matches!(o, RunOutcome::EndNotRecorded)) || runs.is_empty() {
        Residency::Unknown
    } else {
        Residency::NotResident
    }
}

/// Whether run `i` of `count` is told in full: the first and last [`KEEP_RUNS`].
fn shown(i: usize, count: usize) -> bool {
    i < KEEP_RUNS || i + KEEP_RUNS >= count
}

/// A sentence per run told in full (its bounds, the clock, what happened inside); the runs
/// between are counted.
fn runs_rationale(runs: &[RunWindow], pipe_timeout_ms: u64) -> Vec<String> {
    let mut rationale = Vec::new();
    for (i, run) in runs.iter().enumerate() {
        if !shown(i, runs.len()) {
            if i == KEEP_RUNS {
                rationale.push(format!(
                    "… {} more runs like these (each listed under `runs`).",
                    runs.len() - 2 * KEEP_RUNS
                ));
            }
            continue;
        }
        rationale.push(explain_run(run, pipe_timeout_ms));
        rationale.extend(clock_sentence(run));
        rationale.extend(inside_sentence(run));
    }
    rationale
}

/// What the $MFT and the process records show inside a run's window.
fn inside_sentence(run: &RunWindow) -> Option<String> {
    let (files, processes): (Vec<&EvidenceItem>, Vec<&EvidenceItem>) = run
        .activity
        .iter()
        .partition(|a| matches!(a.source, Provenance::MftEntry { .. }));
    let mut seen = Vec::new();
    if let Some(last) = files.last() {
        seen.push(format!(
            "{} file change(s) in the $MFT, the last: {}",
            files.len(),
            last.summary
        ));
    }
    if let Some(first) = processes.first() {
        seen.push(format!(
            "{} process start record(s), the first: {}",
            processes.len(),
            first.summary
        ));
    }
    (!seen.is_empty()).then(|| format!(
        "Inside that window: {}. The program ran then; these times fit it, though they do not by themselves prove it caused them.",
        seen.join("; ")
    ))
}

/// The sentences beside the runs: failed starts, residency, recovery configured but not seen,
/// the program file, Prefetch, earlier runs, and why nothing shows it ran.
fn context_rationale(
    life: &Lifecycle,
    residency: Residency,
    execution: Execution,
    ctx: &VerdictContext<'_>,
) -> Vec<String> {
    let mut rationale: Vec<String> = life
        .failed_starts
        .iter()
        .map(|failed| {
            format!(
                "A start attempt failed and no event shows the program running ({}).",
                failed.summary
            )
        })
        .collect();
    match residency {
        Residency::NotResident => rationale.push(
            "No later start, running state or crash-restart follows the last run in the logs: not resident after it."
                .to_string(),
        ),
        Residency::SemiResident => rationale.push(format!(
            "The SCM restarted it {} time(s) after unexpected terminations (7031 corrective action, then a new run): semi-resident.",
            life.restarts
        )),
        _ => {}
    }
    rationale.extend(recovery_sentence(life, ctx.failure_actions));
    rationale.extend(ctx.program_rationale.clone());
    rationale.extend(prefetch_sentence(&ctx.prefetch_runs, &life.runs));
    rationale.extend(ctx.earlier_sentence.clone());
    if execution == Execution::NoEvidence {
        rationale.push(if ctx.driver {
            DRIVER_SENTENCE.to_string()
        } else if let Some(after) = &ctx.after_last_boot {
            after_last_boot_sentence(after, ctx.system_logs)
        } else {
            no_evidence_sentence(ctx.system_logs)
        });
    }
    rationale
}

/// Recovery actions are said only where a failure could have triggered them (a timed-out or
/// crashed run) and no restart followed: restarts come from events, never from configuration.
fn recovery_sentence(life: &Lifecycle, actions: Option<&FailureActions>) -> Option<String> {
    let actions = actions.filter(|a| a.restarts_or_runs_command())?;
    let failed = life.runs.iter().any(|r| {
        matches!(
            r.outcome,
            RunOutcome::TimedOut { .. } | RunOutcome::Crashed { .. }
        )
    });
    (life.restarts == 0 && failed).then(|| format!(
        "Recovery actions are configured ({}), but no restart is in the evidence; restarts are concluded from events, never from configuration.",
        describe_actions(actions)
    ))
}

/// The evidence chain, in time order, and how many items of untold runs it leaves out. It
/// cites every item of the runs told in full; the runs between are counted, and their evidence
/// stays with each run. Items already cited are not repeated (a set of references: a service
/// can have 100k events).
fn evidence_chain(
    life: &Lifecycle,
    execution: Execution,
    ctx: VerdictContext<'_>,
) -> (Vec<EvidenceItem>, usize) {
    let runs = &life.runs;
    let mut evidence: Vec<EvidenceItem> = Vec::new();
    let mut cited: HashSet<Cited> = HashSet::default();
    let mut omitted = 0;
    for (i, run) in runs.iter().enumerate() {
        for item in run.evidence.iter().chain(&run.activity) {
            if cited.insert(Cited(&item.source, item.time)) {
                if shown(i, runs.len()) {
                    evidence.push(item.clone());
                } else {
                    omitted += 1;
                }
            }
        }
    }
    for item in &life.failed_starts {
        if cited.insert(Cited(&item.source, item.time)) {
            evidence.push(item.clone());
        }
    }
    // Items are only made for events nothing cited yet.
    let uncited = ctx
        .events
        .iter()
        .filter(|e| !cited.contains(&Cited(&e.source, Some(e.time))))
        .map(event_item);
    evidence.extend(uncited.collect::<Vec<_>>());
    let context = ctx
        .after_last_boot
        .into_iter()
        .filter(|_| execution == Execution::NoEvidence)
        .flat_map(|a| a.boot.into_iter().chain(a.nearby));
    for item in ctx
        .other_evidence
        .into_iter()
        .chain(ctx.prefetch_runs)
        .chain(ctx.earlier_runs)
        .chain(context)
    {
        if !cited.contains(&Cited(&item.source, item.time)) {
            evidence.push(item);
        }
    }
    evidence.sort_by(|a, b| (a.time, &a.source).cmp(&(b.time, &b.source)));
    (evidence, omitted)
}

/// An item of the evidence chain as the chain tells items apart: its source and time.
///
/// Hashed by what tells records apart, not by their file: `Path` hashes component by
/// component, and a service started at every boot for years cites thousands of records of one
/// log. Equal keys still hash equal (the file is compared, just not hashed), by
/// [`same_file`]: copies of a log whose records share ids and times collide in the hash.
struct Cited<'a>(&'a Provenance, Option<Timestamp>);

impl PartialEq for Cited<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.1 == other.1
            && match (self.0, other.0) {
                (
                    Provenance::EventRecord {
                        file: a,
                        record_id: ra,
                        event_id: ea,
                    },
                    Provenance::EventRecord {
                        file: b,
                        record_id: rb,
                        event_id: eb,
                    },
                ) => ra == rb && ea == eb && same_file(a, b),
                (
                    Provenance::MftEntry { file: a, entry: x },
                    Provenance::MftEntry { file: b, entry: y },
                ) => x == y && same_file(a, b),
                (a, b) => a == b,
            }
    }
}

impl Eq for Cited<'_> {}

impl Hash for Cited<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.1.hash(state);
        match self.0 {
            Provenance::EventRecord {
                record_id,
                event_id,
                ..
            } => (record_id, event_id).hash(state),
            Provenance::MftEntry { entry, .. } => entry.hash(state),
            Provenance::File { file } => file.hash(state),
            Provenance::RegistryKey { at, .. } => (&at.key, &at.value).hash(state),
        }
    }
}

/// What the Prefetch run times add: execution on their own when no SCM event shows a run,
/// corroboration when they fall inside the runs.
fn prefetch_sentence(items: &[EvidenceItem], runs: &[RunWindow]) -> Option<String> {
    let first = items.first()?;
    let after_install = items
        .iter()
        .filter(|i| i.summary.contains("after the install"))
        .count();
    let installs = if after_install > 0 {
        format!(", {after_install} of them just after an install of the service (7045/4697)")
    } else {
        String::new()
    };
    Some(if runs.is_empty() {
        format!(
            "No SCM event shows a run (an install is not a start), but Prefetch records the program running at {} time(s){installs}: the program ran; how long is not recorded. The first: {}.",
            items.len(),
            first.summary
        )
    } else {
        format!(
            "Prefetch records the program running at {} time(s){installs}, independent of the SCM events.",
            items.len()
        )
    })
}

/// Why no run evidence says nothing about a driver.
const DRIVER_SENTENCE: &str = "A driver is loaded by the kernel's I/O manager (at boot, or when asked), not started as a process the SCM waits on: it leaves no 7036, 7009 or Prefetch record, so their absence says nothing about whether it loaded. Only failures to load are logged (7026, 7000).";

fn after_last_boot_sentence(after: &AfterLastBoot, logs: &[&LogCoverage]) -> String {
    let boot = after.boot.as_ref().map_or_else(
        || "no boot is recorded in the logs".to_string(),
        |b| {
            format!(
                "the last boot the logs record is at {}",
                b.time.map_or("?".to_string(), |t| t.to_string())
            )
        },
    );
    let end = logs
        .iter()
        .filter_map(|l| l.span_of("System"))
        .map(|(_, last)| last)
        .max()
        .map_or(String::new(), |t| format!(" (they end at {t})"));
    let mut sentence = format!(
        "It is an auto-start service installed at {} ({}), and {boot}: the SCM starts auto-start services at boot, so its auto-start never fired within the logs{end}. Whether it ran after them is not known. An install is not a start.",
        after.install.time.map_or("?".to_string(), |t| t.to_string()),
        after.install.summary,
    );
    if !after.nearby.is_empty() {
        let nearby: Vec<String> = after
            .nearby
            .iter()
            .map(|i| {
                format!(
                    "{} at {}",
                    i.summary,
                    i.time.map_or("?".to_string(), |t| t.to_string())
                )
            })
            .collect();
        sentence.push_str(&format!(
            " Near the install, other services on this host failed (context to examine, not proof of a link): {}.",
            nearby.join("; ")
        ));
    }
    sentence
}

/// What a step of the clock inside a run means for its bound.
fn clock_sentence(run: &RunWindow) -> Option<String> {
    if run.clock_steps.is_empty() {
        return None;
    }
    let steps: Vec<String> = run
        .clock_steps
        .iter()
        .map(|s| {
            format!(
                "{} (logged at {})",
                s.summary,
                s.time.map_or("?".to_string(), |t| t.to_string())
            )
        })
        .collect();
    Some(format!(
        "The system clock was changed inside this run: {}. Its bounds are shown as the clock read then; how long it lasted is the time that passed across the change, not the difference of those times.",
        steps.join("; ")
    ))
}

fn explain_run(run: &RunWindow, pipe_timeout_ms: u64) -> String {
    let bound = run
        .max_duration_ms
        .map(format_duration_at_most)
        .unwrap_or_else(|| "for an unbounded time".to_string());
    let start = match (run.start.earliest(), run.start.latest()) {
        (Some(a), Some(b)) if a != b => format!("started between {a} and {b}"),
        (Some(a), _) => format!("started at {a}"),
        (None, Some(b)) => format!("started at an unknown time before {b}"),
        _ => "started at an unknown time".to_string(),
    };
    match &run.outcome {
        RunOutcome::TimedOut { timeout_ms } => {
            let wait = timeout_ms.unwrap_or(pipe_timeout_ms);
            let end = run.end.latest().map_or("?".to_string(), |t| t.to_string());
            match run.max_duration_ms {
                // The boot or install before it bounds the run more tightly than the wait: the
                // 7009 was logged when the process ended without connecting, not at the timeout.
                Some(ms) if ms < wait => format!(
                    "The SCM created the program's process and logged at {end} that it had not connected (7009/7000; the wait in force is {wait} ms). It {start}: {bound}, less than that wait, so the process ended before the wait ran out, without ever connecting. A program that timed out still ran: everything it did before then happened."
                ),
                _ => format!(
                    "The SCM created the program's process, waited up to the {wait} ms in force for it to connect, and gave up at {end} (7009/7000). It {start} and ran until at most then: {bound}. A timed-out program still ran: everything it did before the timeout happened."
                ),
            }
        }
        RunOutcome::StillRunning => format!(
            "It reached the running state ({start}) and no stop, crash or shutdown follows in the logs: it was still running at {}.",
            run.end.earliest().map_or("?".to_string(), |t| t.to_string())
        ),
        RunOutcome::SystemShutdown => format!(
            "It ran ({start}) until the system shut down ({}): {bound}.",
            run.end.latest().map_or("?".to_string(), |t| t.to_string())
        ),
        RunOutcome::Crashed { corrective_action } => format!(
            "It ran ({start}) and terminated unexpectedly at {}{}: {bound}.",
            run.end.latest().map_or("?".to_string(), |t| t.to_string()),
            corrective_action.as_ref().map(|a| format!(", corrective action: {a}")).unwrap_or_default()
        ),
        RunOutcome::Stopped => format!(
            "It ran ({start}) and stopped at {}: {bound}.",
            run.end.latest().map_or("?".to_string(), |t| t.to_string())
        ),
        RunOutcome::TerminatedWithError { error } => format!(
            "It ran ({start}) and stopped with error {error} at {}: {bound}.",
            run.end.latest().map_or("?".to_string(), |t| t.to_string())
        ),
        RunOutcome::StartFailed { error } => format!("Start failed: {error}."),
        RunOutcome::ProcessExited => format!(
            "Process events show the program itself: it {start} and exited at {}: {bound}.",
            run.end.latest().map_or("?".to_string(), |t| t.to_string())
        ),
        RunOutcome::EndNotRecorded => format!(
            "Process events show the program itself: it {start}; no exit is recorded (process exits may not be audited), so how long it ran is unknown."
        ),
    }
}

fn describe_actions(actions: &FailureActions) -> String {
    actions
        .actions
        .iter()
        .map(|a| format!("{:?} after {} ms", a.action, a.delay_ms).to_lowercase())
        .collect::<Vec<_>>()
        .join(", ")
}

fn no_evidence_sentence(logs: &[&LogCoverage]) -> String {
    match span_text(logs) {
        Some(span) => format!(
            "No SCM event shows this service starting in the System log(s) covering {span}.{} Absence of evidence outside what they cover is not evidence of absence.",
            gaps_text(logs).map(|g| format!(" {g}")).unwrap_or_default()
        ),
        None => "No System log was available: whether the service ran cannot be judged from SCM events.".to_string(),
    }
}

fn summary(
    execution: Execution,
    prefetch_runs: usize,
    runs: usize,
    longest: Option<u64>,
    residency: Residency,
    logs: &[&LogCoverage],
) -> String {
    match execution {
        Execution::Executed if runs == 0 => format!(
            "executed (Prefetch: {prefetch_runs} run time(s)), run length unknown, residency unknown"
        ),
        Execution::Executed => {
            let times = if runs > 1 {
                format!(" ×{runs}")
            } else {
                String::new()
            };
            let each = if runs > 1 { "each ran" } else { "ran" };
            let duration = longest
                .map(|ms| format!(", {each} {}", format_duration_at_most(ms)))
                .unwrap_or_default();
            let residency = match residency {
                Residency::Resident => "resident",
                Residency::NotResident => "not resident",
                Residency::SemiResident => "semi-resident (restarted by recovery)",
                Residency::Unknown => "residency unknown",
            };
            format!("executed{times}{duration}, {residency}")
        }
        Execution::StartAttemptedNotExecuted => "start attempted, program not run".to_string(),
        Execution::NoEvidence => match span_text(logs) {
            Some(span) => format!(
                "no evidence of execution in System logs {}{span}{}",
                if only_isolated(logs) { "holding only " } else { "" },
                if has_gaps(logs) { " (the logs have gaps)" } else { "" }
            ),
            None => "no evidence of execution (no System log)".to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::sync::Arc;

    use super::*;

    fn item(file: &str, record_id: u64) -> EvidenceItem {
        EvidenceItem {
            source: Provenance::EventRecord {
                file: Arc::from(Path::new(file)),
                record_id,
                event_id: 7000,
            },
            time: Some("2021-11-03T08:15:14Z".parse().unwrap()),
            summary: "7000: service failed to start".into(),
        }
    }

    #[test]
    fn the_chain_cites_an_item_once_and_tells_files_apart() {
        // Same record id and time in two logs: two records (the file is compared, not hashed).
        let life = Lifecycle {
            runs: Vec::new(),
            failed_starts: vec![item("a/System.evtx", 7), item("a/System.evtx", 7)],
            restarts: 0,
        };
        let other = vec![item("b/System.evtx", 7), item("a/System.evtx", 7)];
        let verdict = verdict(
            &life,
            VerdictContext {
                system_logs: &[],
                failure_actions: None,
                events: &[],
                other_evidence: other,
                program_rationale: None,
                prefetch_runs: Vec::new(),
                pipe_timeout_ms: 30_000,
                earlier_runs: Vec::new(),
                earlier_sentence: None,
                driver: false,
                after_last_boot: None,
            },
        );
        let files: Vec<String> = verdict
            .evidence
            .iter()
            .map(|i| match &i.source {
                Provenance::EventRecord { file, .. } => file.display().to_string(),
                other => panic!("unexpected source {other:?}"),
            })
            .collect();
        assert_eq!(files, ["a/System.evtx", "b/System.evtx"]);
    }
}

#[cfg(test)]
mod rules {
    use konseki_model::BootMarkerKind::Boot;

    use super::*;
    use crate::clock::Clock;
    use crate::fixtures::*;
    use crate::lifecycle::lifecycle;

    fn judge(events: &[ScmEvent], driver: bool) -> Verdict {
        let refs: Vec<&ScmEvent> = events.iter().collect();
        let life = lifecycle(
            &refs,
            &[marker(Boot, 0.0, 0)],
            30_000,
            None,
            &Clock::default(),
        );
        verdict(
            &life,
            VerdictContext {
                system_logs: &[],
                failure_actions: None,
                events,
                other_evidence: Vec::new(),
                program_rationale: None,
                prefetch_runs: Vec::new(),
                pipe_timeout_ms: 30_000,
                earlier_runs: Vec::new(),
                earlier_sentence: None,
                driver,
                after_last_boot: None,
            },
        )
    }

    /// The central rule: a timed-out service program ran. Executed, bounded, not resident.
    #[test]
    fn a_timeout_is_an_execution_never_a_failure_to_run() {
        let v = judge(
            &[timed_out(30.0, 1, 30_000), start_failed(30.0, 2, "%%1053")],
            false,
        );
        assert_eq!(v.execution, Execution::Executed);
        assert_eq!(v.residency, Residency::NotResident);
        assert_eq!(v.longest_run_ms, Some(30_000));
        assert_eq!(v.summary, "executed, ran ≤ 30 s, not resident");
        assert!(v.rationale[0].contains("A timed-out program still ran"));
    }

    /// A start that created no process is an attempt, not an execution.
    #[test]
    fn a_start_that_created_no_process_is_only_attempted() {
        let v = judge(&[start_failed(30.0, 1, "%%2")], false);
        assert_eq!(v.execution, Execution::StartAttemptedNotExecuted);
        assert_eq!(v.summary, "start attempted, program not run");
    }

    /// Running until the logs end: resident; restarted after a crash: semi-resident.
    #[test]
    fn residency_follows_the_runs_ends() {
        let v = judge(&[state(10.0, 1, "running")], false);
        assert_eq!(v.residency, Residency::Resident);
        let v = judge(
            &[
                state(10.0, 1, "running"),
                crashed(100.0, 2, true),
                state(160.0, 3, "running"),
            ],
            false,
        );
        assert_eq!(v.residency, Residency::SemiResident);
    }

    /// No SCM event and no System log: nothing is claimed; a driver is not judged by SCM
    /// events at all.
    #[test]
    fn no_evidence_says_what_was_looked_at() {
        let v = judge(&[], false);
        assert_eq!(v.execution, Execution::NoEvidence);
        assert_eq!(v.summary, "no evidence of execution (no System log)");
        let v = judge(&[], true);
        assert!(v.summary.starts_with("driver:"), "{}", v.summary);
    }
}
