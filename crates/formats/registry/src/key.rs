//! Keys and typed values, converted from notatin's cells.

use jiff::Timestamp;
use notatin::cell_key_node::CellKeyNode;
use notatin::cell_key_value::{CellKeyValue, CellKeyValueDataTypes};
use notatin::cell_value::CellValue;

/// A registry key with its values (sub-keys are read on demand through [`crate::Hive`]).
#[derive(Debug, Clone)]
pub struct Key {
    /// The key's own name.
    pub name: String,
    /// Path from the hive root, `\`-separated, without the root key's name.
    pub path: String,
    /// The key's last-write time (FILETIME in the nk cell); `None` when zero or out of range.
    pub last_written: Option<Timestamp>,
    /// The key's values, in cell order.
    pub values: Vec<Value>,
    pub(crate) node: CellKeyNode,
}

/// A named, typed value.
#[derive(Debug, Clone, PartialEq)]
pub struct Value {
    /// Value name; empty for the default value.
    pub name: String,
    /// The data, typed by the value's registry type.
    pub data: Data,
}

/// Value data by registry type. Types konseki does not interpret keep their bytes.
#[derive(Debug, Clone, PartialEq)]
pub enum Data {
    /// REG_SZ.
    Sz(String),
    /// REG_EXPAND_SZ (unexpanded, as stored).
    ExpandSz(String),
    /// REG_MULTI_SZ.
    MultiSz(Vec<String>),
    /// REG_DWORD (and REG_DWORD_BIG_ENDIAN, already swapped).
    Dword(u32),
    /// REG_QWORD.
    Qword(u64),
    /// REG_BINARY and every other type, as raw bytes.
    Binary(Vec<u8>),
    /// REG_NONE or data notatin could not read.
    None,
}

impl Data {
    /// The data as text: strings as they are, numbers in decimal, multi-strings joined by `; `.
    pub fn as_text(&self) -> Option<String> {
        match self {
            Data::Sz(s) | Data::ExpandSz(s) => Some(s.clone()),
            Data::MultiSz(items) => Some(items.join("; ")),
            Data::Dword(n) => Some(n.to_string()),
            Data::Qword(n) => Some(n.to_string()),
            Data::Binary(_) | Data::None => None,
        }
    }

    /// The data as a number: DWORD/QWORD, or a decimal string (some tools write REG_SZ numbers,
    /// e.g. `WaitToKillServiceTimeout`).
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Data::Dword(n) => Some(u64::from(*n)),
            Data::Qword(n) => Some(*n),
            Data::Sz(s) | Data::ExpandSz(s) => s.trim().trim_end_matches('\0').parse().ok(),
            Data::Binary(b) if b.len() == 4 => {
                Some(u64::from(u32::from_le_bytes(b.as_slice().try_into().ok()?)))
            }
            _ => None,
        }
    }
}

impl Key {
    /// The key's cell offset in the hive file: the same key reached twice (a crafted subkey
    /// list can point back at an ancestor) has the same offset.
    pub fn offset(&self) -> usize {
        self.node.file_offset_absolute
    }

    /// The value with this name (case-insensitive, as Windows compares them).
    pub fn value(&self, name: &str) -> Option<&Data> {
        self.values
            .iter()
            .find(|v| v.name.eq_ignore_ascii_case(name))
            .map(|v| &v.data)
    }

    pub(crate) fn from_node(node: CellKeyNode, root_prefix_len: usize) -> Key {
        let values = node.value_iter().map(convert_value).collect();
        let path = node
            .path
            .get(root_prefix_len..)
            .unwrap_or_default()
            .trim_start_matches('\\')
            .to_string();
        Key {
            name: node.key_name.clone(),
            path,
            last_written: filetime(node.detail.last_key_written_date_and_time()),
            values,
            node,
        }
    }
}

fn convert_value(value: CellKeyValue) -> Value {
    let name = value.detail.value_name().to_string();
    let (content, _) = value.get_content();
    let data = match (value.data_type, content) {
        (CellKeyValueDataTypes::REG_EXPAND_SZ, CellValue::String(s)) => Data::ExpandSz(s),
        (_, CellValue::String(s)) => Data::Sz(s),
        (_, CellValue::MultiString(items)) => Data::MultiSz(items),
        (CellKeyValueDataTypes::REG_QWORD, CellValue::U64(n)) => Data::Qword(n),
        (_, CellValue::U32(n)) => Data::Dword(n),
        (_, CellValue::I32(n)) => Data::Dword(n as u32),
        (_, CellValue::U64(n)) => Data::Qword(n),
        (_, CellValue::I64(n)) => Data::Qword(n as u64),
        (_, CellValue::Binary(b)) => Data::Binary(b),
        (_, CellValue::None | CellValue::Error) => Data::None,
    };
    Value { name, data }
}

pub(crate) use konseki_bytes::filetime_set as filetime;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filetime_conversion() {
        assert_eq!(filetime(0), None);
        // 2021-11-03T08:15:14Z as FILETIME.
        let t = filetime(132_804_009_140_000_000).unwrap();
        assert_eq!(t.to_string(), "2021-11-03T08:15:14Z");
    }

    #[test]
    fn numbers_from_strings_and_dwords() {
        assert_eq!(Data::Sz("12000".into()).as_u64(), Some(12000));
        assert_eq!(Data::Dword(30000).as_u64(), Some(30000));
        assert_eq!(Data::Sz("x".into()).as_u64(), None);
    }
}
