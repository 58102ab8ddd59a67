//! `konseki explain`: which entity the examiner names (a service, an autostart entry, a
//! scheduled task), by name or by program, and its narrative; several matches are listed, never
//! guessed between.

use konseki_model::{AutostartReport, CaseReport, ServiceReport, TaskReport};

use crate::narrative::{autostart_narrative, narrative, task_narrative};
use crate::text::clean;

/// What `konseki explain` found for a name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Explanation {
    /// One entity: its narrative.
    One(String),
    /// Several entities answer to the name: one line each, to choose from.
    Several(Vec<String>),
    /// None.
    NotFound,
}

/// One entity of the report, as `explain` looks it up.
enum Entity<'a> {
    Service(&'a ServiceReport),
    Autostart(&'a AutostartReport),
    Task(&'a TaskReport),
}

impl Entity<'_> {
    /// The names it answers to: key or value name, display names, task path and its last part,
    /// a COM class's CLSID, a Startup item's file name.
    fn names(&self) -> Vec<&str> {
        match self {
            Entity::Service(s) => std::iter::once(s.name.as_str())
                .chain(s.display_names.iter().map(String::as_str))
                .collect(),
            Entity::Autostart(a) => {
                let name = a.entry.name.as_str();
                let first = name.split('\\').next().unwrap_or(name);
                vec![name, first]
            }
            Entity::Task(t) => vec![t.name.as_str(), t.name.rsplit('\\').next().unwrap_or("")],
        }
    }

    /// The programs it runs, as Windows paths.
    fn programs(&self) -> Vec<&str> {
        match self {
            Entity::Service(s) => s
                .configs
                .iter()
                .filter_map(|c| c.image_path.as_ref())
                .map(|i| i.executable.as_str())
                .collect(),
            Entity::Autostart(a) => a.entry.program.as_deref().into_iter().collect(),
            Entity::Task(t) => t.programs(),
        }
    }

    /// One line to tell it from the others.
    fn line(&self) -> String {
        match self {
            Entity::Service(s) => {
                format!("service `{}`: {}", clean(&s.name, 120), s.verdict.summary)
            }
            Entity::Autostart(a) => format!(
                "autostart `{}` ({}{}): {}",
                clean(&a.entry.name, 120),
                a.entry.location,
                a.entry
                    .user
                    .as_ref()
                    .map(|u| format!(", user {}", clean(u, 60)))
                    .unwrap_or_default(),
                clean(&a.summary, 200)
            ),
            Entity::Task(t) => {
                format!("task `{}`: {}", clean(&t.name, 120), clean(&t.summary, 200))
            }
        }
    }

    fn narrative(&self) -> String {
        match self {
            Entity::Service(s) => narrative(s),
            Entity::Autostart(a) => autostart_narrative(a),
            Entity::Task(t) => task_narrative(t),
        }
    }
}

/// The entity `query` names (case-insensitive), in any host of the case: by name first; when
/// no name matches, by the program it runs. Candidates are listed with their hosts, and the
/// narrative of the one found says its host.
pub fn explain(case: &CaseReport, query: &str) -> Explanation {
    let entities: Vec<(&str, Entity)> = case
        .hosts
        .iter()
        .flat_map(|report| {
            let host = report.host.label.as_str();
            report
                .services
                .iter()
                .map(Entity::Service)
                .chain(report.autostarts.iter().map(Entity::Autostart))
                .chain(report.tasks.iter().map(Entity::Task))
                .map(move |e| (host, e))
        })
        .collect();
    let query = query.trim();
    let named = |e: &&(&str, Entity)| e.1.names().iter().any(|n| n.eq_ignore_ascii_case(query));
    let runs = |e: &&(&str, Entity)| e.1.programs().iter().any(|p| p.eq_ignore_ascii_case(query));
    let mut found: Vec<&(&str, Entity)> = entities.iter().filter(named).collect();
    if found.is_empty() {
        found = entities.iter().filter(runs).collect();
    }
    match found.as_slice() {
        [] => Explanation::NotFound,
        [(host, one)] => {
            Explanation::One(format!("Host {}\n{}", clean(host, 200), one.narrative()))
        }
        several => Explanation::Several(
            several
                .iter()
                .map(|(host, e)| format!("[{}] {}", clean(host, 100), e.line()))
                .collect(),
        ),
    }
}
