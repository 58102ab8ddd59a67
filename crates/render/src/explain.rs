//! `konseki explain`: which entity the examiner names (a service, an autostart entry, a
//! scheduled task), by name or by program, and its narrative; several matches are listed, never
//! guessed between.

use konseki_model::CaseReport;

use crate::entity::Entity;
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

/// The entity `query` names (case-insensitive), in any host of the case: by name first; when
/// no name matches, by the program it runs. Candidates are listed with their hosts, and the
/// narrative of the one found says its host.
pub fn explain(case: &CaseReport, query: &str) -> Explanation {
    let entities: Vec<(&str, Entity)> = case
        .hosts
        .iter()
        .flat_map(|report| {
            let host = report.host.label.as_str();
            Entity::all(report).map(move |e| (host, e))
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
