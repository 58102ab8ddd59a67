//! SCM events by service key: what each service's lifecycle is rebuilt from. Extraction hands
//! over each log's events as read; grouping them here lets it run beside the autostart and
//! task reports rather than alone before correlation starts.

use std::collections::BTreeMap;
use std::sync::Arc;

use foldhash::HashMap;
use rayon::prelude::*;

use konseki_model::ScmEvent;

/// Events grouped by service key (lower-case), each group in time order. Each group is sized
/// before it is filled and each log's events are freed once moved: a scan holds its events
/// once, not twice, at its peak. A key is lower-cased once per distinct spelling, not per event.
pub(crate) fn group_by_service(batches: Vec<Vec<ScmEvent>>) -> BTreeMap<String, Vec<ScmEvent>> {
    let mut slot_of: HashMap<Arc<str>, usize> = HashMap::default();
    let mut slot_of_key: HashMap<String, usize> = HashMap::default();
    let mut sizes: Vec<usize> = Vec::new();
    for e in batches.iter().flatten() {
        let slot = match slot_of.get(&*e.service) {
            Some(&slot) => slot,
            None => {
                let next = slot_of_key.len();
                let slot = *slot_of_key.entry(e.service.to_lowercase()).or_insert(next);
                if slot == sizes.len() {
                    sizes.push(0);
                }
                slot_of.insert(e.service.clone(), slot);
                slot
            }
        };
        sizes[slot] += 1;
    }
    let mut groups: Vec<Vec<ScmEvent>> = sizes.into_iter().map(Vec::with_capacity).collect();
    for batch in batches {
        for e in batch {
            groups[slot_of[&*e.service]].push(e);
        }
    }
    groups.par_iter_mut().for_each(|g| g.sort_by(in_time_order));
    let mut by_key: Vec<Option<Vec<ScmEvent>>> = groups.into_iter().map(Some).collect();
    slot_of_key
        .into_iter()
        .filter_map(|(key, slot)| Some((key, by_key[slot].take()?)))
        .collect()
}

/// The events in the order of [`group_by_service`]'s groups, each group's in time order,
/// without moving them (for the timeline).
pub(crate) fn in_service_order(batches: &[Vec<ScmEvent>]) -> Vec<&ScmEvent> {
    let mut events: Vec<&ScmEvent> = batches.iter().flatten().collect();
    events.sort_by(|a, b| in_time_order(a, b));
    // Stable: within a key, time order stays.
    events.sort_by_cached_key(|e| e.service.to_lowercase());
    events
}

fn in_time_order(a: &ScmEvent, b: &ScmEvent) -> std::cmp::Ordering {
    (a.time, &a.source).cmp(&(b.time, &b.source))
}

#[cfg(test)]
mod tests {
    use konseki_model::{KeyLink, Provenance, ScmEventKind};

    use super::*;

    fn event(service: &str, second: u8, record_id: u64) -> ScmEvent {
        ScmEvent {
            event_id: 7036,
            time: format!("2024-05-01T10:00:{second:02}Z").parse().unwrap(),
            service: service.into(),
            display_name: None,
            link: KeyLink::Binary,
            what: ScmEventKind::StateChanged {
                state: "running".into(),
            },
            computer: "H".into(),
            user_sid: None,
            source: Provenance::EventRecord {
                file: Arc::from(std::path::Path::new("System.evtx")),
                record_id,
                event_id: 7036,
            },
            data: Default::default(),
        }
    }

    /// One key spelled two ways across two logs is one group, in time order; the timeline's
    /// order is the groups' order.
    #[test]
    fn events_group_by_key_whatever_its_case_and_log() {
        let batches = vec![
            vec![event("Spooler", 30, 3), event("WinDefend", 10, 4)],
            vec![event("spooler", 20, 1), event("SPOOLER", 20, 2)],
        ];
        let ids = |events: &mut dyn Iterator<Item = &ScmEvent>| -> Vec<u64> {
            events
                .map(|e| match e.source {
                    Provenance::EventRecord { record_id, .. } => record_id,
                    _ => 0,
                })
                .collect()
        };
        let order = ids(&mut in_service_order(&batches).into_iter());
        let groups = group_by_service(batches);
        assert_eq!(groups.keys().collect::<Vec<_>>(), ["spooler", "windefend"]);
        assert_eq!(ids(&mut groups["spooler"].iter()), [1, 2, 3]);
        assert_eq!(order, ids(&mut groups.values().flatten()));
        assert_eq!(order, [1, 2, 3, 4]);
    }
}
