//! Stacking across hosts: each entity keyed by what it is and what it runs (lower-cased, so
//! `C:\Windows` and `c:\windows` are one), counted by the hosts that hold it, rarest first,
//! the most severe first among equally rare. Frequency only: no host's evidence is used to
//! judge another's.

use std::collections::{BTreeMap, BTreeSet};

use konseki_model::{EntityKind, HostReport, Severity, StackItem, StackKey, StackRow};

/// The key of an entity: its kind, location, name and the programs it runs (a service's
/// program and ServiceDll, a task's actions), lower-cased. The one rule for reports made here
/// and reports read back from JSON.
pub fn stack_key(kind: EntityKind, location: &str, name: &str, programs: &[&str]) -> StackKey {
    StackKey {
        kind,
        location: location.to_lowercase(),
        name: name.to_lowercase(),
        program: programs
            .iter()
            .filter(|p| !p.is_empty())
            .map(|p| p.trim_matches('"').to_lowercase())
            .collect::<Vec<_>>()
            .join(" | "),
    }
}

/// The entities of one host's report, to stack.
pub fn stack_items(report: &HostReport) -> Vec<StackItem> {
    let host = &report.host.label;
    let item = |kind, location: &str, name: &str, programs: &[&str], severity| StackItem {
        host: host.clone(),
        key: stack_key(kind, location, name, programs),
        severity,
    };
    let mut items = Vec::new();
    for s in &report.services {
        // A service's program in the set listed first, with its ServiceDll; known only from
        // its install, the program the install logged.
        let config = s.configs.first();
        let installed = || s.installs().next().map(|(_, i)| i.executable.as_str());
        let image = config
            .and_then(|c| c.image_path.as_ref())
            .map(|i| i.executable.as_str())
            .or_else(installed)
            .unwrap_or("");
        let dll = config.and_then(|c| c.service_dll.as_deref()).unwrap_or("");
        items.push(item(
            EntityKind::Service,
            "",
            &s.name,
            &[image, dll],
            s.ranking.severity,
        ));
    }
    for a in &report.autostarts {
        items.push(item(
            EntityKind::Autostart,
            &a.entry.location,
            &a.entry.name,
            &[&a.entry.command],
            a.ranking.severity,
        ));
    }
    for t in &report.tasks {
        items.push(item(
            EntityKind::Task,
            "",
            &t.name,
            &t.programs(),
            t.ranking.severity,
        ));
    }
    items
}

/// Stacks `items` of `hosts` hosts: one row per entity, rarest first.
pub fn stack(items: Vec<StackItem>, hosts: usize) -> Vec<StackRow> {
    let mut by_key: BTreeMap<StackKey, (BTreeSet<String>, Severity)> = BTreeMap::new();
    for item in items {
        let (holders, severity) = by_key.entry(item.key).or_default();
        holders.insert(item.host);
        *severity = (*severity).max(item.severity);
    }
    let mut rows: Vec<StackRow> = by_key
        .into_iter()
        .map(|(key, (holders, severity))| StackRow {
            key,
            host_count: holders.len(),
            of_hosts: hosts,
            hosts: holders.into_iter().collect(),
            severity,
        })
        .collect();
    rows.sort_by(|a, b| {
        a.host_count
            .cmp(&b.host_count)
            .then(b.severity.cmp(&a.severity))
            .then(a.key.cmp(&b.key))
    });
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(host: &str, name: &str, program: &str) -> StackItem {
        StackItem {
            host: host.into(),
            key: StackKey {
                kind: EntityKind::Service,
                location: String::new(),
                name: name.into(),
                program: program.into(),
            },
            severity: Severity::Info,
        }
    }

    #[test]
    fn the_rarest_comes_first_and_a_changed_program_is_another_entity() {
        let items = vec![
            item("a", "spooler", "c:\\windows\\system32\\spoolsv.exe"),
            item("b", "spooler", "c:\\windows\\system32\\spoolsv.exe"),
            item("c", "spooler", "c:\\programdata\\spoolsv.exe"),
            item("c", "updsvc", "c:\\programdata\\u.exe"),
        ];
        let rows = stack(items, 3);
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0].host_count, 1);
        assert_eq!(rows[2].key.name, "spooler");
        assert_eq!(rows[2].hosts, ["a", "b"]);
        assert!(rows.iter().all(|r| r.of_hosts == 3));
    }
}
