//! One rendered event: the `System` fields konseki uses and the `EventData`/`UserData` payload.

use std::sync::Arc;

use jiff::Timestamp;
use serde_json::{Map, Value};

/// An event record, decoded from its rendered form.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// `System/EventRecordID` (what Event Viewer shows); the record header's id when absent.
    /// They differ in exported or re-serialised logs.
    pub record_id: u64,
    /// The record header's own id. Equal to `record_id` in a log Windows wrote; an exported
    /// copy (Event Viewer's "Save selected events", `wevtutil epl` with a query) numbers its
    /// records afresh from 1 and keeps the original ids in `EventRecordID`.
    pub header_record_id: u64,
    /// `System/TimeCreated/@SystemTime` (UTC); the record header's write time when absent.
    pub time: Timestamp,
    /// The 16-bit event id (without qualifiers).
    pub event_id: u16,
    /// `EventID/@Qualifiers`, when present (classic providers such as the SCM use them).
    pub qualifiers: Option<u16>,
    /// `System/Provider/@Name`.
    pub provider: Arc<str>,
    /// `System/Channel`.
    pub channel: Arc<str>,
    /// `System/Computer`.
    pub computer: Arc<str>,
    /// `System/Security/@UserID` (the SID that logged or caused the event), when present.
    pub user_sid: Option<Arc<str>>,
    /// Named `EventData/Data` elements (or unnamed ones as `Data`, `Data[1]`, …), or the leaf
    /// elements of `UserData`, in document order. Values are rendered as text.
    pub data: Vec<(Arc<str>, String)>,
    /// `EventData/Binary`, decoded from hex, when present.
    pub binary: Option<Vec<u8>>,
    /// The record was carved from unallocated chunk space, not read from the live record list.
    pub recovered: bool,
}

impl Event {
    /// The value of the named data element, if present.
    pub fn data(&self, name: &str) -> Option<&str> {
        self.data
            .iter()
            .find(|(n, _)| &**n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Builds an event from the JSON the `evtx` crate renders for one record.
    pub(crate) fn from_json(
        header_record_id: u64,
        header_time: Timestamp,
        recovered: bool,
        json: &Value,
    ) -> Option<Event> {
        let event = json.get("Event")?;
        let system = event.get("System")?;
        let (event_id, qualifiers) = event_id_and_qualifiers(system.get("EventID")?)?;
        let attr = |element: &str, name: &str| -> Option<String> {
            system
                .get(element)?
                .get("#attributes")?
                .get(name)
                .map(value_text)
        };
        let time = attr("TimeCreated", "SystemTime")
            .and_then(|s| s.parse::<Timestamp>().ok())
            .unwrap_or(header_time);
        let mut data = Vec::new();
        let mut binary = None;
        if let Some(Value::Object(fields)) = event.get("EventData") {
            collect_event_data(fields, &mut data, &mut binary);
        } else if let Some(user_data) = event.get("UserData") {
            collect_leaves("", user_data, &mut data);
        }
        let record_id = system
            .get("EventRecordID")
            .and_then(|v| match v {
                Value::Number(n) => n.as_u64(),
                other => value_text(other).trim().parse().ok(),
            })
            .unwrap_or(header_record_id);
        Some(Event {
            record_id,
            header_record_id,
            time,
            event_id,
            qualifiers,
            provider: attr("Provider", "Name").unwrap_or_default().into(),
            channel: system
                .get("Channel")
                .map(value_text)
                .unwrap_or_default()
                .into(),
            computer: system
                .get("Computer")
                .map(value_text)
                .unwrap_or_default()
                .into(),
            user_sid: attr("Security", "UserID").map(Arc::from),
            data,
            binary,
            recovered,
        })
    }
}

/// `EventID` renders as a number, a string, or `{"#attributes":{"Qualifiers":..},"#text":N}`.
fn event_id_and_qualifiers(value: &Value) -> Option<(u16, Option<u16>)> {
    match value {
        Value::Object(map) => {
            let id = map.get("#text").and_then(as_u16)?;
            let qualifiers = map
                .get("#attributes")
                .and_then(|a| a.get("Qualifiers"))
                .and_then(as_u16);
            Some((id, qualifiers))
        }
        other => as_u16(other).map(|id| (id, None)),
    }
}

fn as_u16(value: &Value) -> Option<u16> {
    match value {
        Value::Number(n) => n.as_u64().and_then(|n| u16::try_from(n).ok()),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn value_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        Value::Object(map) => map.get("#text").map(value_text).unwrap_or_default(),
        Value::Array(items) => items.iter().map(value_text).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

fn collect_event_data(
    fields: &Map<String, Value>,
    data: &mut Vec<(Arc<str>, String)>,
    binary: &mut Option<Vec<u8>>,
) {
    for (name, value) in fields {
        match name.as_str() {
            "#attributes" => {}
            "Binary" => *binary = decode_hex(&value_text(value)),
            "Data" => match value {
                // Unnamed `Data` elements render as an array (or one value) under "Data".
                Value::Array(items) => {
                    for (i, item) in items.iter().enumerate() {
                        data.push((format!("Data[{i}]").into(), value_text(item)));
                    }
                }
                other => data.push(("Data".into(), value_text(other))),
            },
            _ => data.push((name.as_str().into(), value_text(value))),
        }
    }
}

fn collect_leaves(prefix: &str, value: &Value, out: &mut Vec<(Arc<str>, String)>) {
    match value {
        Value::Object(map) => {
            for (name, child) in map {
                if name == "#attributes" {
                    continue;
                }
                collect_leaves(name, child, out);
            }
        }
        other => out.push((prefix.into(), value_text(other))),
    }
}

/// Binary data renders as upper-case hex without separators.
fn decode_hex(text: &str) -> Option<Vec<u8>> {
    let text = text.trim();
    if text.is_empty() || !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_id_forms() {
        assert_eq!(
            event_id_and_qualifiers(&serde_json::json!(7045)),
            Some((7045, None))
        );
        assert_eq!(
            event_id_and_qualifiers(&serde_json::json!("7009")),
            Some((7009, None))
        );
        assert_eq!(
            event_id_and_qualifiers(
                &serde_json::json!({"#attributes": {"Qualifiers": 49152}, "#text": 7000})
            ),
            Some((7000, Some(49152)))
        );
        assert_eq!(event_id_and_qualifiers(&serde_json::json!(70000)), None);
    }

    #[test]
    fn hex_decoding_rejects_odd_and_non_hex() {
        assert_eq!(decode_hex("7300"), Some(vec![0x73, 0]));
        assert_eq!(decode_hex("730"), None);
        assert_eq!(decode_hex("zz"), None);
    }
}
