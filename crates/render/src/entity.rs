//! One entity of a host's report (a service, an autostart entry, a scheduled task), as
//! `explain`, the findings and the HTML report look at it.

use konseki_model::{AutostartReport, HostReport, Ranking, ServiceReport, TaskReport, Timestamp};

use crate::narrative::{autostart_narrative, narrative, task_narrative};
use crate::text::clean;

/// One entity of the report, as `explain` looks it up.
pub(crate) enum Entity<'a> {
    Service(&'a ServiceReport),
    Autostart(&'a AutostartReport),
    Task(&'a TaskReport),
}

impl<'a> Entity<'a> {
    /// Every entity of `report`: services, autostart entries, tasks.
    pub(crate) fn all(report: &'a HostReport) -> impl Iterator<Item = Entity<'a>> {
        report
            .services
            .iter()
            .map(Entity::Service)
            .chain(report.autostarts.iter().map(Entity::Autostart))
            .chain(report.tasks.iter().map(Entity::Task))
    }

    /// `service`, `autostart`, `task`.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Entity::Service(_) => "service",
            Entity::Autostart(_) => "autostart",
            Entity::Task(_) => "task",
        }
    }

    /// Its name: service key, entry name, task path.
    pub(crate) fn name(&self) -> &'a str {
        match self {
            Entity::Service(s) => &s.name,
            Entity::Autostart(a) => &a.entry.name,
            Entity::Task(t) => &t.name,
        }
    }

    /// Its severity and the rules that set it.
    pub(crate) fn ranking(&self) -> &'a Ranking {
        match self {
            Entity::Service(s) => &s.ranking,
            Entity::Autostart(a) => &a.ranking,
            Entity::Task(t) => &t.ranking,
        }
    }

    /// When it was first seen: a service's first event, an entry's key write, a task's
    /// earliest evidence.
    pub(crate) fn first_seen(&self) -> Option<Timestamp> {
        match self {
            Entity::Service(s) => s.events.first().map(|e| e.time),
            Entity::Autostart(a) => a.entry.key_last_written,
            Entity::Task(t) => t.evidence.iter().filter_map(|e| e.time).min(),
        }
    }

    /// Worth showing without `--all` (correlation's judgement).
    pub(crate) fn notable(&self) -> bool {
        match self {
            Entity::Service(s) => s.notable,
            Entity::Autostart(a) => a.notable,
            Entity::Task(t) => t.notable,
        }
    }

    /// Its verdict in one line.
    pub(crate) fn summary(&self) -> &'a str {
        match self {
            Entity::Service(s) => &s.verdict.summary,
            Entity::Autostart(a) => &a.summary,
            Entity::Task(t) => &t.summary,
        }
    }

    /// The names it answers to: key or value name, display names, task path and its last part,
    /// a COM class's CLSID, a Startup item's file name.
    pub(crate) fn names(&self) -> Vec<&str> {
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
    pub(crate) fn programs(&self) -> Vec<&str> {
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
    pub(crate) fn line(&self) -> String {
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

    pub(crate) fn narrative(&self) -> String {
        match self {
            Entity::Service(s) => narrative(s),
            Entity::Autostart(a) => autostart_narrative(a),
            Entity::Task(t) => task_narrative(t),
        }
    }
}
