//! What a template definition says about its substitution values: which value is the EventID,
//! the time, the channel, each named `EventData/Data`… A record of that template is then read
//! from its value array alone ([`crate::direct`]), without building or rendering its XML tree.
//!
//! Layout (MS-EVEN6 2.2.12 and 2.3.14; libevtx "EVTX format"): a definition is u32 next
//! offset, GUID, u32 body size, then a BinXML fragment whose element-start tokens carry a u16
//! DependencyId. Names are offsets into the chunk (u32 next, u16 hash, u16 length, UTF-16,
//! NUL), stored inline when the offset points just past itself.
//!
//! Only the shape Windows' manifest-based and classic providers use is accepted: `System`
//! fields whose content or attribute is one substitution or literal text, `EventData` holding
//! `Data` elements with a literal `Name` (or none) and an optional `Binary`. Anything else
//! (`UserData`, nested elements under `Data`, mixed content, unknown tokens) makes
//! [`Shape::parse`] return `None`, and the caller renders the record with the `evtx` crate.

use std::sync::Arc;

use konseki_bytes::{u16_at, u32_at, utf16_until_nul};

/// Where a field's text comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Slot {
    /// Substitution value number `index`.
    Value(u16),
    /// Literal text in the template.
    Text(String),
}

/// A field of the shape: its slot and the DependencyIds of the elements holding it (the field
/// is left out when any of them names a NullType value, as Windows does).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Field {
    pub slot: Slot,
    pub depends_on: Vec<u16>,
}

/// The fields of a template that konseki reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Shape {
    pub event_id: Option<Field>,
    pub qualifiers: Option<Field>,
    pub provider: Option<Field>,
    pub channel: Option<Field>,
    pub computer: Option<Field>,
    pub time_created: Option<Field>,
    pub record_id: Option<Field>,
    pub user_sid: Option<Field>,
    /// `EventData/Data` in document order, with the name the JSON rendering gives them.
    pub data: Vec<(Arc<str>, Field)>,
    pub binary: Option<Field>,
    /// The `Event` element's content when it is one substitution: Windows' generic System
    /// template carries `EventData` as a nested BinXML value, itself a template instance.
    pub payload: Option<Field>,
}

const DEFINITION_HEADER_SIZE: usize = 24;
const VALUE_TYPE_STRING: u8 = 0x01;

/// An element being read: its name, dependencies (its own and its ancestors'), its `Name`
/// attribute and its content.
struct Open {
    name: String,
    depends_on: Vec<u16>,
    attributes: Vec<(String, Slot)>,
    content: Vec<Slot>,
    has_children: bool,
}

impl Shape {
    /// Reads the template definition at `offset` in `chunk`; `None` when it is damaged or not
    /// of the accepted shape. A `nested` template is the payload of an `Event` (its root is
    /// `EventData`).
    pub(crate) fn parse(chunk: &[u8], offset: usize, nested: bool) -> Option<Shape> {
        let parents: &[&str] = if nested { &["Event"] } else { &[] };
        let size = u32_at(chunk, offset.checked_add(20)?)? as usize;
        let start = offset.checked_add(DEFINITION_HEADER_SIZE)?;
        let end = start.checked_add(size)?;
        if end > chunk.len() {
            return None;
        }
        let mut at = start;
        let mut stack: Vec<Open> = Vec::new();
        let mut attribute: Option<String> = None;
        let mut shape = Shape::default();
        let mut unnamed_data = Vec::new();
        while at < end {
            let token = *chunk.get(at)?;
            at += 1;
            match token {
                0x00 => break,
                0x0f => at += 3,
                0x01 | 0x41 => {
                    let dependency = u16_at(chunk, at)?;
                    let name_offset = u32_at(chunk, at + 6)? as usize;
                    at += 10;
                    let (name, next) = read_name(chunk, name_offset, at)?;
                    at = next + if token & 0x40 != 0 { 4 } else { 0 };
                    let mut depends_on = stack.last().map(|o| o.depends_on.clone());
                    let depends_on = depends_on.get_or_insert_with(Vec::new);
                    // The root is always rendered, whatever its DependencyId (MS-EVEN6 2.2.12).
                    if dependency != 0xffff && !stack.is_empty() {
                        depends_on.push(dependency);
                    }
                    if let Some(parent) = stack.last_mut() {
                        parent.has_children = true;
                    }
                    stack.push(Open {
                        name,
                        depends_on: std::mem::take(depends_on),
                        attributes: Vec::new(),
                        content: Vec::new(),
                        has_children: false,
                    });
                }
                0x06 | 0x46 => {
                    let name_offset = u32_at(chunk, at)? as usize;
                    let (name, next) = read_name(chunk, name_offset, at + 4)?;
                    at = next;
                    attribute = Some(name);
                }
                0x05 | 0x45 | 0x0d | 0x0e => {
                    let slot = if token & 0x0f == 0x05 {
                        let (text, next) = literal_text(chunk, at)?;
                        at = next;
                        Slot::Text(text)
                    } else {
                        let index = u16_at(chunk, at)?;
                        at += 3;
                        Slot::Value(index)
                    };
                    let open = stack.last_mut()?;
                    match attribute.take() {
                        Some(name) => open.attributes.push((name, slot)),
                        None => open.content.push(slot),
                    }
                }
                0x02 => attribute = None,
                0x03 | 0x04 => {
                    attribute = None;
                    let element = stack.pop()?;
                    let path: Vec<&str> = parents
                        .iter()
                        .copied()
                        .chain(stack.iter().map(|o| o.name.as_str()))
                        .collect();
                    shape.take(&path, element, &mut unnamed_data)?;
                }
                _ => return None,
            }
        }
        if !stack.is_empty() || (shape.event_id.is_none() && !nested) {
            return None;
        }
        // The JSON rendering gathers unnamed `Data` into one array (`Data[i]`), or one value.
        let single = unnamed_data.len() == 1;
        for (i, (position, field)) in unnamed_data.into_iter().enumerate() {
            let name: Arc<str> = if single {
                "Data".into()
            } else {
                format!("Data[{i}]").into()
            };
            shape.data.insert(position + i, (name, field));
        }
        Some(shape)
    }

    /// Files a closed element under the field it feeds; `None` rejects the template.
    fn take(
        &mut self,
        parents: &[&str],
        element: Open,
        unnamed_data: &mut Vec<(usize, Field)>,
    ) -> Option<()> {
        let content = |element: &Open| -> Option<Option<Field>> {
            match element.content.as_slice() {
                [] => Some(None),
                [slot] => Some(Some(Field {
                    slot: slot.clone(),
                    depends_on: element.depends_on.clone(),
                })),
                _ => None, // mixed content: leave it to the full renderer
            }
        };
        let attribute = |element: &Open, name: &str| {
            element
                .attributes
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, slot)| Field {
                    slot: slot.clone(),
                    depends_on: element.depends_on.clone(),
                })
        };
        match (parents, element.name.as_str()) {
            (["Event", "System"], name) => match name {
                "Provider" => self.provider = attribute(&element, "Name"),
                "EventID" => {
                    self.event_id = content(&element)?;
                    self.qualifiers = attribute(&element, "Qualifiers");
                }
                "TimeCreated" => self.time_created = attribute(&element, "SystemTime"),
                "EventRecordID" => self.record_id = content(&element)?,
                "Channel" => self.channel = content(&element)?,
                "Computer" => self.computer = content(&element)?,
                "Security" => self.user_sid = attribute(&element, "UserID"),
                _ => {}
            },
            (["Event", "EventData"], "Data") => {
                if element.has_children || element.attributes.iter().any(|(n, _)| n != "Name") {
                    return None;
                }
                let field = content(&element)?.unwrap_or(Field {
                    slot: Slot::Text(String::new()),
                    depends_on: element.depends_on.clone(),
                });
                match attribute(&element, "Name").map(|f| f.slot) {
                    Some(Slot::Text(name)) => {
                        // Repeated names render as one JSON array: leave those to the renderer.
                        if self.data.iter().any(|(n, _)| **n == name) {
                            return None;
                        }
                        self.data.push((name.into(), field));
                    }
                    None => unnamed_data.push((self.data.len(), field)),
                    Some(Slot::Value(_)) => return None,
                }
            }
            (["Event", "EventData"], "Binary") => self.binary = content(&element)?,
            (["Event", "EventData"], _) | (["Event", "EventData", ..], _) => return None,
            (["Event"], "UserData") | (["Event", "UserData", ..], _) => return None,
            (["Event"], "EventData") if !element.content.is_empty() => return None,
            ([], "Event") => self.payload = content(&element)?,
            _ => {}
        }
        Some(())
    }
}

/// A name at `offset` in the chunk; also returns where reading goes on (past the name when it
/// is stored inline at `at`).
fn read_name(chunk: &[u8], offset: usize, at: usize) -> Option<(String, usize)> {
    let length = usize::from(u16_at(chunk, offset.checked_add(6)?)?);
    let text_start = offset + 8;
    let text = chunk.get(text_start..text_start.checked_add(length * 2)?)?;
    let name = utf16_until_nul(text);
    let next = if offset == at {
        text_start + length * 2 + 2
    } else {
        at
    };
    Some((name, next))
}

/// A literal value token's text (only strings occur in the templates konseki reads).
fn literal_text(chunk: &[u8], at: usize) -> Option<(String, usize)> {
    if *chunk.get(at)? != VALUE_TYPE_STRING {
        return None;
    }
    let length = usize::from(u16_at(chunk, at + 1)?);
    let start = at + 3;
    let text = chunk.get(start..start.checked_add(length * 2)?)?;
    Some((utf16_until_nul(text), start + length * 2))
}
