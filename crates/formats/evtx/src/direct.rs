//! Reading a templated record straight from its substitution values, using its template's
//! [`Shape`]: no XML tree, no JSON. This is what keeps konseki near the speed of reading the
//! bytes when a log holds hundreds of thousands of wanted records (Security 4688, Sysmon 1).
//!
//! The text of each value follows the `evtx` crate's JSON rendering (decimal integers, `0x…`
//! lower-case hex, lower-case braced GUIDs, `S-1-…` SIDs, upper-case hex binary), so an event
//! read here equals the one [`Event::from_json`] builds from the rendered record: a test checks
//! this on every record of the corpus. Value types konseki does not expect in the fields it
//! reads (floats, arrays, nested BinXML, times as text) make [`read_record`] return `None`, and
//! the caller renders that record with the `evtx` crate instead.

use foldhash::HashMap;
use std::fmt::Write as _;
use std::rc::Rc;
use std::sync::Arc;

use jiff::Timestamp;

use crate::event::Event;
use crate::reader::EventIdFilter;
use crate::template::{Field, Shape, Slot};
use konseki_bytes::{filetime, guid, u16_at, u32_at, u64_at, utf16_until_nul};

/// What reading one log keeps between records: the template shapes of the current chunk, by
/// definition offset (`None`: not of the accepted shape), and the `System` strings seen in the
/// log (provider, channel, computer, SID), shared rather than allocated for every event.
///
/// Both maps are looked up for every record: they use foldhash (seeded per process) rather than
/// SipHash, and stay small (`MAX_SHARED_STRINGS`), which bounds what crafted input can do to them.
///
/// It also carries the filter's fields-kept lists, which [`read_record`] applies.
#[derive(Default)]
pub(crate) struct Cache {
    shapes: HashMap<(u32, bool), Option<Rc<Shape>>>,
    strings: HashMap<Box<[u8]>, Arc<str>>,
    filter: Option<EventIdFilter>,
}

/// More distinct `System` strings than this in one log is not a log's normal vocabulary: stop
/// sharing rather than grow without bound on crafted input.
const MAX_SHARED_STRINGS: usize = 4096;

impl Cache {
    /// A cache whose events keep only the fields `filter` asks for.
    pub(crate) fn for_filter(filter: &EventIdFilter) -> Cache {
        Cache {
            filter: Some(filter.clone()),
            ..Cache::default()
        }
    }

    /// Template offsets are relative to their chunk: forget them at each new chunk.
    pub(crate) fn start_chunk(&mut self) {
        self.shapes.clear();
    }

    fn shape(&mut self, chunk: &[u8], offset: u32, nested: bool) -> Option<Rc<Shape>> {
        self.shapes
            .entry((offset, nested))
            .or_insert_with(|| Shape::parse(chunk, offset as usize, nested).map(Rc::new))
            .clone()
    }

    fn shared(&mut self, value: Value<'_>) -> Option<Arc<str>> {
        if let Some(text) = self.strings.get(value.bytes) {
            return Some(text.clone());
        }
        let text: Arc<str> = value_text(value)?.into();
        if self.strings.len() < MAX_SHARED_STRINGS {
            self.strings.insert(value.bytes.into(), text.clone());
        }
        Some(text)
    }
}

/// One substitution value: its type and bytes.
#[derive(Clone, Copy)]
struct Value<'a> {
    kind: u8,
    /// Where the value starts in the chunk (nested BinXML refers to chunk offsets).
    at: usize,
    bytes: &'a [u8],
}

mod kind {
    pub const NULL: u8 = 0x00;
    pub const STRING: u8 = 0x01;
    pub const INT8: u8 = 0x03;
    pub const UINT8: u8 = 0x04;
    pub const INT16: u8 = 0x05;
    pub const UINT16: u8 = 0x06;
    pub const INT32: u8 = 0x07;
    pub const UINT32: u8 = 0x08;
    pub const INT64: u8 = 0x09;
    pub const UINT64: u8 = 0x0a;
    pub const BOOL: u8 = 0x0d;
    pub const BINARY: u8 = 0x0e;
    pub const GUID: u8 = 0x0f;
    pub const SIZE_T: u8 = 0x10;
    pub const FILETIME: u8 = 0x11;
    pub const SID: u8 = 0x13;
    pub const BINXML: u8 = 0x21;
    pub const HEX32: u8 = 0x14;
    pub const HEX64: u8 = 0x15;
    /// An array of NUL-terminated UTF-16 strings (classic providers' insertion strings).
    pub const STRING_ARRAY: u8 = 0x81;
}

/// The record at `offset` (`size` bytes, header included) of `chunk`, read from its values.
/// `None` when the record is not a template instance of an accepted shape, is damaged, or
/// holds a value type this reader leaves to the full renderer.
pub(crate) fn read_record(
    chunk: &[u8],
    offset: usize,
    size: usize,
    cache: &mut Cache,
) -> Option<Event> {
    let (header_record_id, header_time, shape, values) = open(chunk, offset, size, cache)?;
    let mut payload = None;
    let nested;
    if let Some(field) = &shape.payload {
        let record = Record {
            shape: &shape,
            values: &values,
        };
        match record.get(Some(field)) {
            Got::Value(v) if v.kind == kind::BINXML && !v.bytes.is_empty() => {
                nested = instance(chunk, v.at, v.at + v.bytes.len(), cache, true)?;
                payload = Some(Record {
                    shape: &nested.0,
                    values: &nested.1,
                });
            }
            Got::Value(v) if v.kind == kind::BINXML || v.kind == kind::NULL => {}
            Got::Absent => {}
            _ => return None,
        }
    }
    Record {
        shape: &shape,
        values: &values,
    }
    .event(payload.as_ref(), header_record_id, header_time, cache)
}

/// The record's event time (as [`read_record`] would give it), without building the event: the
/// first pass widens a log's span with it, so that span does not depend on which copy of a log
/// the record is finally read from.
pub(crate) fn record_time(
    chunk: &[u8],
    offset: usize,
    size: usize,
    cache: &mut Cache,
) -> Option<Timestamp> {
    let (_, header_time, shape, values) = open(chunk, offset, size, cache)?;
    Record {
        shape: &shape,
        values: &values,
    }
    .time_created(header_time)
}

/// A record's header id and write time, and its template instance: `2A 2A 00 00`, u32 size,
/// u64 id, u64 FILETIME, BinXML, u32 size copy.
#[allow(clippy::type_complexity)]
fn open<'c>(
    chunk: &'c [u8],
    offset: usize,
    size: usize,
    cache: &mut Cache,
) -> Option<(u64, Timestamp, Rc<Shape>, Vec<Value<'c>>)> {
    let end = offset.checked_add(size)?.checked_sub(4)?;
    let header_record_id = u64_at(chunk, offset + 8)?;
    let header_time = filetime(u64_at(chunk, offset + 16)?)?;
    let (shape, values) = instance(chunk, offset + 24, end, cache, false)?;
    Some((header_record_id, header_time, shape, values))
}

/// The template instance starting at `start` (after an optional fragment header): its
/// template's shape and its values.
fn instance<'c>(
    chunk: &'c [u8],
    start: usize,
    end: usize,
    cache: &mut Cache,
    nested: bool,
) -> Option<(Rc<Shape>, Vec<Value<'c>>)> {
    // A record starts with a fragment header; a nested BinXML value may not.
    let start = if chunk.get(start..start + 4)? == [0x0f, 0x01, 0x01, 0x00] {
        start + 4
    } else {
        start
    };
    if *chunk.get(start)? != 0x0c {
        return None;
    }
    let mut at = start + 6; // token, unknown byte, template id
    let definition = u32_at(chunk, at)?;
    at += 4;
    if definition as usize == at {
        let body = u32_at(chunk, at + 20)? as usize;
        at = at.checked_add(24 + body)?;
    }
    let shape = cache.shape(chunk, definition, nested)?;
    let count = u32_at(chunk, at)? as usize;
    at += 4;
    if count > end.saturating_sub(at) / 4 {
        return None;
    }
    let mut values = Vec::with_capacity(count);
    let mut value_at = at + count * 4;
    for i in 0..count {
        let size = usize::from(u16_at(chunk, at + i * 4)?);
        let kind = *chunk.get(at + i * 4 + 2)?;
        let bytes = chunk.get(value_at..value_at.checked_add(size)?)?;
        values.push(Value {
            kind,
            at: value_at,
            bytes,
        });
        value_at += size;
    }
    (value_at <= end).then_some((shape, values))
}

struct Record<'a> {
    shape: &'a Shape,
    values: &'a [Value<'a>],
}

/// A field's value: absent (left out, or past the values), or present.
enum Got<'a> {
    Absent,
    Text(&'a str),
    Value(Value<'a>),
}

impl<'a> Record<'a> {
    /// The event; `EventData` comes from the nested `payload` record when there is one.
    fn event(
        &self,
        payload: Option<&Record<'a>>,
        header_record_id: u64,
        header_time: Timestamp,
        cache: &mut Cache,
    ) -> Option<Event> {
        let shape = self.shape;
        let (event_id, qualifiers) = match self.get(shape.event_id.as_ref()) {
            Got::Value(v) => (
                integer(v)?,
                self.optional_integer(shape.qualifiers.as_ref())?,
            ),
            Got::Text(t) => (t.trim().parse().ok()?, None),
            Got::Absent => return None,
        };
        let event_id = u16::try_from(event_id).ok()?;
        let qualifiers = qualifiers.and_then(|q| u16::try_from(q).ok());
        let time = self.time_created(header_time)?;
        let record_id = match self.get(shape.record_id.as_ref()) {
            Got::Absent => header_record_id,
            Got::Value(v) if v.kind == kind::NULL => header_record_id,
            Got::Value(v) => integer(v)?,
            Got::Text(t) => t.trim().parse().unwrap_or(header_record_id),
        };
        let mut text = |field: &'a Option<Field>| -> Option<Option<Arc<str>>> {
            let text = match self.get(field.as_ref()) {
                Got::Absent => return Some(None),
                Got::Text(t) => t.into(),
                Got::Value(v) => cache.shared(v)?,
            };
            Some(Some(text).filter(|t| !t.is_empty()))
        };
        let provider: Arc<str> = text(&shape.provider)?.unwrap_or_default();
        let channel = text(&shape.channel)?.unwrap_or_default();
        let computer = text(&shape.computer)?.unwrap_or_default();
        let user_sid = text(&shape.user_sid)?;
        let kept = cache
            .filter
            .as_ref()
            .and_then(|f| f.fields_kept(&provider, event_id));
        let (data, binary) = payload.unwrap_or(self).event_data(kept)?;
        Some(Event {
            record_id,
            header_record_id,
            time,
            event_id,
            qualifiers,
            provider,
            channel,
            computer,
            user_sid,
            data,
            binary,
            recovered: false,
        })
    }

    /// The `EventData/Data` texts (those in `kept`, when given) and the `Binary` bytes.
    #[allow(clippy::type_complexity)]
    fn event_data(
        &self,
        kept: Option<&[Box<str>]>,
    ) -> Option<(Vec<(Arc<str>, String)>, Option<Vec<u8>>)> {
        let shape = self.shape;
        let mut data = Vec::with_capacity(kept.map_or(shape.data.len(), <[_]>::len));
        for (name, field) in &shape.data {
            if kept.is_some_and(|kept| !kept.iter().any(|k| **k == **name)) {
                continue;
            }
            match self.get(Some(field)) {
                Got::Absent => {}
                // One unnamed `Data` holding a string array (classic providers' insertion
                // strings): the `evtx` crate's JSON rendering joins the strings with ", ".
                Got::Value(v) if v.kind == kind::STRING_ARRAY => {
                    if &**name != "Data" || shape.data.len() != 1 {
                        return None;
                    }
                    data.push((name.clone(), string_array(v.bytes).join(", ")));
                }
                got => data.push((name.clone(), self.text(got)?)),
            }
        }
        let binary = match self.get(shape.binary.as_ref()) {
            Got::Value(v) if v.kind == kind::BINARY && !v.bytes.is_empty() => {
                Some(v.bytes.to_vec())
            }
            Got::Value(v) if v.kind == kind::BINARY || v.kind == kind::NULL => None,
            Got::Absent => None,
            _ => return None,
        };
        Some((data, binary))
    }

    /// `TimeCreated/@SystemTime`; the header's time when the template has none.
    fn time_created(&self, header_time: Timestamp) -> Option<Timestamp> {
        match self.get(self.shape.time_created.as_ref()) {
            Got::Value(v) if v.kind == kind::FILETIME => {
                Some(filetime(u64_at(v.bytes, 0)?).unwrap_or(header_time))
            }
            Got::Value(v) if v.kind == kind::NULL => Some(header_time),
            Got::Absent => Some(header_time),
            _ => None,
        }
    }

    fn get(&self, field: Option<&'a Field>) -> Got<'a> {
        let Some(field) = field else {
            return Got::Absent;
        };
        let left_out = field.depends_on.iter().any(|&d| {
            self.values
                .get(usize::from(d))
                .is_some_and(|v| v.kind == kind::NULL)
        });
        if left_out {
            return Got::Absent;
        }
        match &field.slot {
            Slot::Text(text) => Got::Text(text),
            Slot::Value(i) => match self.values.get(usize::from(*i)) {
                Some(value) => Got::Value(*value),
                None => Got::Absent,
            },
        }
    }

    fn optional_integer(&self, field: Option<&'a Field>) -> Option<Option<u64>> {
        match self.get(field) {
            Got::Absent => Some(None),
            Got::Value(v) if v.kind == kind::NULL => Some(None),
            Got::Value(v) => integer(v).map(Some),
            Got::Text(t) => Some(t.trim().parse().ok()),
        }
    }

    fn text(&self, got: Got<'_>) -> Option<String> {
        match got {
            Got::Absent => Some(String::new()),
            Got::Text(t) => Some(t.to_string()),
            Got::Value(v) => value_text(v),
        }
    }
}

/// The strings of a string-array value: NUL-terminated UTF-16, the last terminator ending the
/// array (an empty string inside it is kept).
fn string_array(bytes: &[u8]) -> Vec<String> {
    let units: Vec<u16> = bytes
        .chunks_exact(2)
        .map(|u| u16::from_le_bytes([u[0], u[1]]))
        .collect();
    let units = units.strip_suffix(&[0]).unwrap_or(&units);
    units
        .split(|&u| u == 0)
        .map(|s| {
            char::decode_utf16(s.iter().copied())
                .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
                .collect()
        })
        .collect()
}

/// An unsigned integer value (EventID, Qualifiers, EventRecordID).
fn integer(v: Value<'_>) -> Option<u64> {
    match (v.kind, v.bytes.len()) {
        (kind::UINT8, 1) => Some(u64::from(v.bytes[0])),
        (kind::UINT16, 2) => u16_at(v.bytes, 0).map(u64::from),
        (kind::UINT32 | kind::HEX32, 4) => u32_at(v.bytes, 0).map(u64::from),
        (kind::UINT64 | kind::HEX64, 8) => u64_at(v.bytes, 0),
        (kind::STRING, _) => utf16_until_nul(v.bytes).trim().parse().ok(),
        _ => None,
    }
}

/// A value's text, as the `evtx` crate's JSON rendering gives it.
fn value_text(v: Value<'_>) -> Option<String> {
    let b = v.bytes;
    let fixed = |n: usize| -> Option<&[u8]> { (b.len() == n).then_some(b) };
    Some(match v.kind {
        kind::NULL => String::new(),
        kind::STRING => utf16_until_nul(b),
        kind::INT8 => (fixed(1)?[0] as i8).to_string(),
        kind::UINT8 => fixed(1)?[0].to_string(),
        kind::INT16 => i16::from_le_bytes(fixed(2)?.try_into().ok()?).to_string(),
        kind::UINT16 => u16_at(fixed(2)?, 0)?.to_string(),
        kind::INT32 => i32::from_le_bytes(fixed(4)?.try_into().ok()?).to_string(),
        kind::UINT32 => u32_at(fixed(4)?, 0)?.to_string(),
        kind::INT64 => i64::from_le_bytes(fixed(8)?.try_into().ok()?).to_string(),
        kind::UINT64 => u64_at(fixed(8)?, 0)?.to_string(),
        kind::BOOL => match i32::from_le_bytes(fixed(4)?.try_into().ok()?) {
            0 => "false".to_string(),
            1 => "true".to_string(),
            raw => raw.to_string(),
        },
        kind::HEX32 => format!("0x{:x}", u32_at(fixed(4)?, 0)?),
        kind::HEX64 => format!("0x{:x}", u64_at(fixed(8)?, 0)?),
        kind::SIZE_T if b.len() == 4 => format!("0x{:x}", u32_at(b, 0)?),
        kind::SIZE_T if b.len() == 8 => format!("0x{:x}", u64_at(b, 0)?),
        kind::BINARY => b
            .iter()
            .fold(String::with_capacity(b.len() * 2), |mut s, x| {
                let _ = write!(s, "{x:02X}");
                s
            }),
        kind::GUID => guid(fixed(16)?)?,
        kind::SID => sid(b)?,
        kind::FILETIME => filetime_text(u64_at(fixed(8)?, 0)?)?,
        _ => return None,
    })
}

/// `S-R-A-S1-…`: revision, sub-authority count, 48-bit big-endian authority, then u32s.
fn sid(b: &[u8]) -> Option<String> {
    let (&[revision, count, a0, a1, a2, a3, a4, a5], subs) = b.split_first_chunk::<8>()?;
    let count = usize::from(count);
    if subs.len() < count * 4 {
        return None;
    }
    let authority = u64::from_be_bytes([0, 0, a0, a1, a2, a3, a4, a5]);
    let mut out = format!("S-{revision}-{authority}");
    for sub in subs.chunks_exact(4).take(count) {
        let _ = write!(out, "-{}", u32::from_le_bytes(sub.try_into().ok()?));
    }
    Some(out)
}

/// A FILETIME as the `evtx` crate renders it: seven fractional digits, the 100 ns it counts.
fn filetime_text(raw: u64) -> Option<String> {
    let time = filetime(raw)?;
    let seconds = time.strftime("%Y-%m-%dT%H:%M:%S").to_string();
    (seconds.len() == 19).then(|| format!("{seconds}.{:07}Z", raw % 10_000_000))
}
