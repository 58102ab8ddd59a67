//! The JSON document of a report cut into pieces, written in order: a field, a service, or for
//! a large service each of its events and runs (one service can be a fifth of a report).

use konseki_model::{ScanReport, ServiceReport};
use serde::Serialize;

use super::writer;

/// A value written as JSON: an object-safe stand-in for `Serialize`.
pub(super) trait Json: Sync {
    fn write_json(&self, out: &mut Vec<u8>) -> Result<(), writer::Error>;
}

impl<T: Serialize + Sync> Json for T {
    fn write_json(&self, out: &mut Vec<u8>) -> Result<(), writer::Error> {
        writer::write(out, self)
    }
}

/// Literal JSON (punctuation, keys) followed by a value's JSON, if any.
pub(super) struct Piece<'a> {
    before: &'static str,
    value: Option<&'a dyn Json>,
    /// Roughly how much writing it takes (see [`weight`]).
    pub(super) weight: usize,
}

impl Piece<'_> {
    pub(super) fn write(&self, out: &mut Vec<u8>) -> Result<(), writer::Error> {
        out.extend_from_slice(self.before.as_bytes());
        self.value.map_or(Ok(()), |v| v.write_json(out))
    }
}

fn text(before: &'static str) -> Piece<'static> {
    Piece {
        before,
        value: None,
        weight: 0,
    }
}

fn value<'a>(before: &'static str, value: &'a dyn Json, weight: usize) -> Piece<'a> {
    Piece {
        before,
        value: Some(value),
        weight,
    }
}

/// The elements of an array, `[` and `]` left to the caller, one piece each.
fn elements<'a, T: Json>(items: &'a [T], weight: impl Fn(&T) -> usize) -> Vec<Piece<'a>> {
    let before = |i: usize| if i == 0 { "" } else { "," };
    let piece = |(i, item)| value(before(i), item as &dyn Json, weight(item));
    items.iter().enumerate().map(piece).collect()
}

/// How much writing a service takes, roughly: its events and runs (~750 bytes each in the
/// corpus's report).
pub(super) fn weight(service: &ServiceReport) -> usize {
    service.events.len() + service.runs.len() + 1
}

/// The report's fields in its order, as serde writes them; services heavier than
/// `split_weight` cut into their events and runs. Destructured without `..`: a field added to
/// `ScanReport` or `ServiceReport` fails to compile here until it is written.
pub(super) fn pieces(report: &ScanReport, split_weight: usize) -> Vec<Piece<'_>> {
    let ScanReport {
        konseki_version,
        schema_version,
        inventory,
        hives,
        logs,
        control_sets,
        control_set_diffs,
        boot_markers,
        boot_sessions,
        clock_steps,
        services,
        autostarts,
        tasks,
        warnings,
    } = report;
    let mut pieces = vec![
        value("{\"konseki_version\":", konseki_version, 1),
        value(",\"schema_version\":", schema_version, 1),
        value(",\"inventory\":", inventory, 1),
        value(",\"hives\":", hives, 1),
        value(",\"logs\":", logs, logs.len()),
        value(",\"control_sets\":", control_sets, 1),
        value(",\"control_set_diffs\":", control_set_diffs, 1),
        value(",\"boot_markers\":", boot_markers, boot_markers.len() / 4),
        value(
            ",\"boot_sessions\":",
            boot_sessions,
            boot_sessions.len() / 4,
        ),
        value(",\"clock_steps\":", clock_steps, clock_steps.len() / 4),
        text(",\"services\":["),
    ];
    for (i, service) in services.iter().enumerate() {
        let comma = if i == 0 { "" } else { "," };
        if weight(service) <= split_weight {
            pieces.push(value(comma, service, weight(service)));
            continue;
        }
        // A large service (a service started at every boot for years) in pieces of one event
        // or run each.
        let ServiceReport {
            name,
            display_names,
            configs,
            events,
            programs,
            runs,
            verdict,
            attention,
        } = service;
        pieces.push(text(comma));
        pieces.push(value("{\"name\":", name, 1));
        pieces.push(value(",\"display_names\":", display_names, 1));
        pieces.push(value(",\"configs\":", configs, 1));
        pieces.push(text(",\"events\":["));
        pieces.extend(elements(events, |_| 1));
        pieces.push(value("],\"programs\":", programs, 1));
        pieces.push(text(",\"runs\":["));
        pieces.extend(elements(runs, |_| 1));
        pieces.push(value("],\"verdict\":", verdict, 1));
        pieces.push(value(",\"attention\":", attention, 1));
        pieces.push(text("}"));
    }
    pieces.push(value("],\"autostarts\":", autostarts, autostarts.len()));
    pieces.push(text(",\"tasks\":["));
    pieces.extend(elements(tasks, |_| 4));
    pieces.push(value("],\"warnings\":", warnings, warnings.len() / 4));
    pieces.push(text("}\n"));
    pieces
}
