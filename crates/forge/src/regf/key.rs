//! The typed description of a hive's tree.

use jiff::Timestamp;

/// A key with its values and sub-keys.
#[derive(Debug, Clone, PartialEq)]
pub struct RegKey {
    /// The key's name.
    pub name: String,
    /// Its last-write time.
    pub last_written: Timestamp,
    /// Values, in order.
    pub values: Vec<(String, RegData)>,
    /// Sub-keys (written sorted by upper-case name, as Windows keeps them).
    pub subkeys: Vec<RegKey>,
}

/// Value data by registry type.
#[derive(Debug, Clone, PartialEq)]
pub enum RegData {
    /// REG_SZ.
    Sz(String),
    /// REG_EXPAND_SZ.
    ExpandSz(String),
    /// REG_MULTI_SZ.
    MultiSz(Vec<String>),
    /// REG_DWORD.
    Dword(u32),
    /// REG_QWORD.
    Qword(u64),
    /// REG_BINARY.
    Binary(Vec<u8>),
}

impl RegData {
    /// The registry type number.
    pub fn type_code(&self) -> u32 {
        match self {
            RegData::Sz(_) => 1,
            RegData::ExpandSz(_) => 2,
            RegData::Binary(_) => 3,
            RegData::Dword(_) => 4,
            RegData::MultiSz(_) => 7,
            RegData::Qword(_) => 11,
        }
    }

    /// The bytes as stored: strings UTF-16LE with their NUL, multi-strings double-NUL ended.
    pub fn bytes(&self) -> Vec<u8> {
        let utf16 = |s: &str| -> Vec<u8> {
            s.encode_utf16()
                .chain([0])
                .flat_map(u16::to_le_bytes)
                .collect()
        };
        match self {
            RegData::Sz(s) | RegData::ExpandSz(s) => utf16(s),
            RegData::MultiSz(items) => {
                let mut out: Vec<u8> = items.iter().flat_map(|s| utf16(s)).collect();
                out.extend_from_slice(&[0, 0]);
                out
            }
            RegData::Dword(n) => n.to_le_bytes().to_vec(),
            RegData::Qword(n) => n.to_le_bytes().to_vec(),
            RegData::Binary(b) => b.clone(),
        }
    }
}

impl RegKey {
    /// An empty key.
    pub fn new(name: &str, last_written: Timestamp) -> RegKey {
        RegKey {
            name: name.to_string(),
            last_written,
            values: Vec::new(),
            subkeys: Vec::new(),
        }
    }

    /// Adds a value (builder style).
    pub fn value(mut self, name: &str, data: RegData) -> RegKey {
        self.values.push((name.to_string(), data));
        self
    }

    /// Adds a sub-key (builder style).
    pub fn subkey(mut self, key: RegKey) -> RegKey {
        self.subkeys.push(key);
        self
    }

    /// The key at `path` below this one (`\`-separated, case-insensitive), created with
    /// `last_written` where missing.
    pub fn path_mut(&mut self, path: &str, last_written: Timestamp) -> &mut RegKey {
        let mut key = self;
        for part in path.split('\\').filter(|p| !p.is_empty()) {
            let index = match key
                .subkeys
                .iter()
                .position(|k| k.name.eq_ignore_ascii_case(part))
            {
                Some(i) => i,
                None => {
                    key.subkeys.push(RegKey::new(part, last_written));
                    key.subkeys.len() - 1
                }
            };
            key = &mut key.subkeys[index];
        }
        key
    }
}
