//! A real hive read into a [`RegKey`] tree (through konseki's own reader), so that a scenario
//! can be planted into a real machine's registry and the whole written again: the planted keys
//! sit among the real ones, as an attacker's would. Types konseki does not interpret are
//! written back as REG_BINARY with their bytes.

use std::path::Path;

use jiff::Timestamp;
use konseki_registry::{Data, Hive, Key};

use super::{RegData, RegKey};

/// Keys deeper than this are not copied (no real hive is this deep; a cycle cannot be).
const MAX_DEPTH: usize = 64;

/// Every key and value of the hive at `path`.
pub fn read_tree(path: &Path) -> Result<RegKey, String> {
    let mut hive = Hive::open(path, &[]).map_err(|e| format!("{}: {e}", path.display()))?;
    let root = hive
        .key("")
        .ok_or_else(|| format!("{}: no root key", path.display()))?;
    Ok(copy(&mut hive, &root, 0))
}

fn copy(hive: &mut Hive, key: &Key, depth: usize) -> RegKey {
    let mut out = RegKey::new(&key.name, key.last_written.unwrap_or(Timestamp::UNIX_EPOCH));
    out.values = key
        .values
        .iter()
        .map(|v| (v.name.clone(), data(&v.data)))
        .collect();
    if depth < MAX_DEPTH {
        for sub in hive.subkeys(key) {
            out.subkeys.push(copy(hive, &sub, depth + 1));
        }
    }
    out
}

fn data(d: &Data) -> RegData {
    match d {
        Data::Sz(s) => RegData::Sz(s.clone()),
        Data::ExpandSz(s) => RegData::ExpandSz(s.clone()),
        Data::MultiSz(items) => RegData::MultiSz(items.clone()),
        Data::Dword(n) => RegData::Dword(*n),
        Data::Qword(n) => RegData::Qword(*n),
        Data::Binary(b) => RegData::Binary(b.clone()),
        Data::None => RegData::Binary(Vec::new()),
    }
}
