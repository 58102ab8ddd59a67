//! Amcache.hve → the program files Windows inventoried: path, SHA-1, size, link date, and the
//! entry key's last-write time. Both layouts: `Root\InventoryApplicationFile\<name|hash>`
//! (Windows 10 1709 and later) and `Root\File\<volume GUID>\<file id>` (Windows 8 to 10 1607),
//! whose values are numbered (`15` path, `101` SHA-1, `6` size, `1` company; plaso's Amcache
//! plugin, libyal's dtformats "AMCache file format").

use std::path::{Path, PathBuf};
use std::sync::Arc;

use konseki_model::{AmcacheEntry, Provenance};
use konseki_registry::{Data, Hive, Key};

use crate::error::{Cause, ReadError};

/// Entries read at most from one hive: a real Amcache holds a few thousand.
const MAX_ENTRIES: usize = 200_000;

/// Reads the file entries of an Amcache hive (transaction logs replayed when given).
pub fn read_amcache(path: &Path, logs: &[PathBuf]) -> Result<Vec<AmcacheEntry>, ReadError> {
    let mut hive = Hive::open(path, logs).map_err(|e| ReadError::new(path, e))?;
    read_amcache_hive(&mut hive, path)
}

/// Whether an open hive is an Amcache, by its root keys (collections rename the file).
pub fn is_amcache(hive: &mut Hive) -> bool {
    hive.key("Root\\InventoryApplicationFile").is_some() || hive.key("Root\\File").is_some()
}

/// The file entries of an open Amcache hive read from `path`.
pub fn read_amcache_hive(hive: &mut Hive, path: &Path) -> Result<Vec<AmcacheEntry>, ReadError> {
    let file: Arc<Path> = Arc::from(path);
    let source = |key: &Key| Provenance::registry_key(file.clone(), key.path.clone(), None);
    let mut entries = Vec::new();
    if let Some(inventory) = hive.key("Root\\InventoryApplicationFile") {
        for key in hive.subkeys(&inventory).into_iter().take(MAX_ENTRIES) {
            let text = |name: &str| {
                key.value(name)
                    .and_then(Data::as_text)
                    .filter(|t| !t.is_empty())
            };
            let Some(path) = text("LowerCaseLongPath") else {
                continue;
            };
            entries.push(AmcacheEntry {
                path,
                sha1: text("FileId").and_then(|id| sha1_of(&id)),
                size: key.value("Size").and_then(Data::as_u64),
                link_date: text("LinkDate"),
                publisher: text("Publisher"),
                key_last_written: key.last_written,
                source: source(&key),
            });
        }
    }
    if let Some(files) = hive.key("Root\\File") {
        for volume in hive.subkeys(&files) {
            for key in hive.subkeys(&volume) {
                if entries.len() >= MAX_ENTRIES {
                    break;
                }
                let text = |name: &str| {
                    key.value(name)
                        .and_then(Data::as_text)
                        .filter(|t| !t.is_empty())
                };
                let Some(path) = text("15") else { continue };
                entries.push(AmcacheEntry {
                    path,
                    sha1: text("101").and_then(|id| sha1_of(&id)),
                    size: key.value("6").and_then(Data::as_u64),
                    link_date: None,
                    publisher: text("1"),
                    key_last_written: key.last_written,
                    source: source(&key),
                });
            }
        }
    }
    if entries.is_empty() && hive.key("Root").is_none() {
        return Err(ReadError::new(path, Cause::NotAmcacheHive));
    }
    Ok(entries)
}

/// `FileId` / value `101` hold `0000` + the SHA-1 in hex.
fn sha1_of(id: &str) -> Option<String> {
    let id = id.trim().trim_end_matches('\0');
    let hex = id.strip_prefix("0000").unwrap_or(id).to_ascii_lowercase();
    (hex.len() == 40 && hex.bytes().all(|b| b.is_ascii_hexdigit())).then_some(hex)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_ids_are_sha1_after_four_zeros() {
        assert_eq!(
            sha1_of("00006c7ea8bbd435163ae3945cbef30ef6b9872a4591").as_deref(),
            Some("6c7ea8bbd435163ae3945cbef30ef6b9872a4591")
        );
        assert_eq!(sha1_of("0000abc"), None);
    }
}
