//! Windows shell links (`.lnk`, [MS-SHLLINK]): what a shortcut in a Startup folder starts.
//!
//! Read: the header (flags, the target's creation/access/write times and size as recorded
//! when the link was made), `LinkInfo` (local base path or network share, plus the common
//! path suffix, ANSI and Unicode forms), the `StringData` strings (description, relative path,
//! working directory, arguments, icon location) and two `ExtraData` blocks: the environment
//! variable target (`%windir%\system32\cmd.exe`) and the distributed link tracker's machine
//! name (the NetBIOS name of the machine the link was created on: a link made elsewhere and
//! dropped here shows it). From the `LinkTargetIDList`, the path its shell items spell (My
//! Computer, a volume, file entries with their long names) is read. The target is taken from
//! `LinkInfo`, then the ID list, then the environment block, then the relative path.
//!
//! Own reader rather than a crate: the maintained `lnk` crate (0.6) panics on some inputs
//! (`expect` on a missing base path, `debug_assert` on LinkInfo sizes) and pulls ~70 crates;
//! this one never indexes past the end and is checked against libyal's `lnkinfo` in tests.
//!
//! [MS-SHLLINK]: https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-shllink/

use std::io::Read;
use std::path::Path;

use jiff::Timestamp;
use konseki_bytes::{ansi_until_nul, filetime_set, u16_at, u32_at, u64_at, utf16_until_nul};

/// Shortcuts are a few kB; larger files are not shortcuts anyone made by hand.
const MAX_SIZE: u64 = 1024 * 1024;

/// `HeaderSize` and `LinkCLSID` {00021401-0000-0000-C000-000000000046}: the first 20 bytes.
pub const SIGNATURE: [u8; 20] = [
    0x4c, 0, 0, 0, 0x01, 0x14, 0x02, 0, 0, 0, 0, 0, 0xc0, 0, 0, 0, 0, 0, 0, 0x46,
];

const HAS_ID_LIST: u32 = 0x1;
const HAS_LINK_INFO: u32 = 0x2;
const HAS_NAME: u32 = 0x4;
const HAS_RELATIVE_PATH: u32 = 0x8;
const HAS_WORKING_DIR: u32 = 0x10;
const HAS_ARGUMENTS: u32 = 0x20;
const HAS_ICON_LOCATION: u32 = 0x40;
const IS_UNICODE: u32 = 0x80;
const FORCE_NO_LINK_INFO: u32 = 0x100;

const ENVIRONMENT_BLOCK: u32 = 0xA000_0001;
const TRACKER_BLOCK: u32 = 0xA000_0003;

/// Why a file is not read as a shortcut.
#[derive(Debug, thiserror::Error)]
pub enum LnkError {
    /// The file could not be read.
    #[error("cannot read: {0}")]
    Io(#[from] std::io::Error),
    /// Not a shell link, or cut short before its strings.
    #[error("not a shell link: {0}")]
    Invalid(String),
}

/// Where the target path was taken from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetSource {
    /// `LinkInfo`: local base path (or network share) and common path suffix.
    LinkInfo,
    /// The `LinkTargetIDList` shell items (volume and file entries).
    IdList,
    /// The environment variable block (`%windir%\…`, unexpanded).
    Environment,
    /// The `RelativePath` string, relative to the link's folder.
    RelativePath,
}

/// A shell link's contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shortcut {
    /// `LinkFlags`.
    pub flags: u32,
    /// The target path, when the link records one (see [`Shortcut::target_source`]).
    pub target: Option<String>,
    /// Which structure the target came from.
    pub target_source: Option<TargetSource>,
    /// `COMMAND_LINE_ARGUMENTS`.
    pub arguments: Option<String>,
    /// `WORKING_DIR`.
    pub working_dir: Option<String>,
    /// `RELATIVE_PATH`.
    pub relative_path: Option<String>,
    /// `NAME_STRING` (the description shown as the tooltip).
    pub description: Option<String>,
    /// `ICON_LOCATION`.
    pub icon_location: Option<String>,
    /// The environment block's target, as stored (unexpanded).
    pub environment_target: Option<String>,
    /// The path the `LinkTargetIDList` shell items spell, when they name a volume and files.
    pub id_list_path: Option<String>,
    /// The target's creation time when the link was made (header, UTC; zero = unset).
    pub target_created: Option<Timestamp>,
    /// The target's last access time when the link was made.
    pub target_accessed: Option<Timestamp>,
    /// The target's last write time when the link was made.
    pub target_modified: Option<Timestamp>,
    /// The target's size (low 32 bits) when the link was made.
    pub target_size: u32,
    /// `VolumeID`: drive type (3 = fixed, 2 = removable, 4 = network…), serial, label.
    pub volume: Option<Volume>,
    /// The distributed link tracker's machine id: the NetBIOS name of the machine the link
    /// was created on.
    pub machine_id: Option<String>,
}

/// The volume a local target was on when the link was made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Volume {
    /// `DriveType` (0 unknown, 2 removable, 3 fixed, 4 remote, 5 CD-ROM, 6 RAM disk).
    pub drive_type: u32,
    /// `DriveSerialNumber`.
    pub serial: u32,
    /// `VolumeLabel`.
    pub label: String,
}

impl Shortcut {
    /// Target and arguments on one line, as the shortcut runs them.
    pub fn command_line(&self) -> String {
        let target = self.target.as_deref().unwrap_or("?");
        let quoted = if target.contains(' ') {
            format!("\"{target}\"")
        } else {
            target.to_string()
        };
        match self.arguments.as_deref().filter(|a| !a.is_empty()) {
            Some(args) => format!("{quoted} {args}"),
            None => quoted,
        }
    }
}

/// Does this file start like a shell link?
pub fn is_shortcut(head: &[u8]) -> bool {
    head.starts_with(&SIGNATURE)
}

/// Reads the shortcut at `path` (opened read-only, at most 1 MiB).
pub fn read_shortcut(path: &Path) -> Result<Shortcut, LnkError> {
    let mut data = Vec::new();
    konseki_source::open(path)?
        .take(MAX_SIZE)
        .read_to_end(&mut data)?;
    parse(&data)
}

/// Parses a shortcut's bytes.
pub fn parse(d: &[u8]) -> Result<Shortcut, LnkError> {
    let invalid = |what: &str| LnkError::Invalid(what.to_string());
    if !is_shortcut(d) {
        return Err(invalid(
            "no shell link header (size 0x4C, CLSID 00021401-…)",
        ));
    }
    let flags = u32_at(d, 20).ok_or_else(|| invalid("truncated header"))?;
    let time = |at| u64_at(d, at).and_then(filetime_set);
    let mut at = 76usize;
    let mut id_list_path = None;
    if flags & HAS_ID_LIST != 0 {
        let size = usize::from(u16_at(d, at).ok_or_else(|| invalid("truncated LinkTargetIDList"))?);
        id_list_path = d.get(at + 2..at + 2 + size).and_then(shell_item_path);
        at += 2 + size;
    }
    let mut link_info = None;
    if flags & HAS_LINK_INFO != 0 && flags & FORCE_NO_LINK_INFO == 0 {
        let size = u32_at(d, at).ok_or_else(|| invalid("truncated LinkInfo"))? as usize;
        let block = d
            .get(at..at.saturating_add(size))
            .ok_or_else(|| invalid("LinkInfo runs past the end"))?;
        link_info = Some(read_link_info(block));
        at = at.saturating_add(size);
    }
    let unicode = flags & IS_UNICODE != 0;
    let mut strings: [Option<String>; 5] = Default::default();
    let order = [
        HAS_NAME,
        HAS_RELATIVE_PATH,
        HAS_WORKING_DIR,
        HAS_ARGUMENTS,
        HAS_ICON_LOCATION,
    ];
    for (slot, flag) in strings.iter_mut().zip(order) {
        if flags & flag == 0 {
            continue;
        }
        let count = usize::from(u16_at(d, at).ok_or_else(|| invalid("truncated StringData"))?);
        let bytes = if unicode { count * 2 } else { count };
        let raw = d
            .get(at + 2..at + 2 + bytes)
            .ok_or_else(|| invalid("StringData runs past the end"))?;
        *slot = Some(if unicode {
            utf16_until_nul(raw)
        } else {
            ansi_until_nul(raw)
        });
        at += 2 + bytes;
    }
    let [description, relative_path, working_dir, arguments, icon_location] = strings;
    let (environment_target, machine_id) = read_extra_data(d, at);
    let (info_target, volume) = link_info.unwrap_or_default();
    let candidates = [
        (&info_target, TargetSource::LinkInfo),
        (&id_list_path, TargetSource::IdList),
        (&environment_target, TargetSource::Environment),
        (&relative_path, TargetSource::RelativePath),
    ];
    let (target, target_source) = candidates
        .into_iter()
        .find_map(|(t, source)| Some((Some(t.clone()?), Some(source))))
        .unwrap_or((None, None));
    Ok(Shortcut {
        flags,
        target,
        target_source,
        arguments,
        working_dir,
        relative_path,
        description,
        icon_location,
        environment_target,
        id_list_path,
        target_created: time(28),
        target_accessed: time(36),
        target_modified: time(44),
        target_size: u32_at(d, 52).unwrap_or(0),
        volume,
        machine_id,
    })
}

/// "My Computer" {20D04FE0-3AEA-1069-A2D8-08002B30309D}, as stored (little-endian fields).
const MY_COMPUTER: [u8; 16] = [
    0xe0, 0x4f, 0xd0, 0x20, 0xea, 0x3a, 0x69, 0x10, 0xa2, 0xd8, 0x08, 0x00, 0x2b, 0x30, 0x30, 0x9d,
];
/// Shell items read at most: a crafted list must not make the path endless.
const MAX_SHELL_ITEMS: usize = 64;

/// The path an ID list's shell items spell: an optional My Computer root, a volume item
/// (`C:\`), then file entry items, each named by its long name (extension block 0xBEEF0004)
/// or else its short name (libfwsi's "Windows Shell Item format"). `None` when the list names
/// anything else (a network place, a control panel item…).
fn shell_item_path(list: &[u8]) -> Option<String> {
    let mut path = String::new();
    let mut at = 0;
    for _ in 0..MAX_SHELL_ITEMS {
        let size = usize::from(u16_at(list, at)?);
        if size == 0 {
            break;
        }
        let item = list.get(at..at.checked_add(size)?)?;
        at += size;
        let class = *item.get(2)?;
        match class {
            0x1f if item.get(4..20) == Some(&MY_COMPUTER) && path.is_empty() => {}
            0x20..=0x2f if path.is_empty() => {
                let drive = ansi_until_nul(item.get(3..)?);
                path.push_str(drive.trim_end_matches('\\'));
            }
            0x30..=0x3f if !path.is_empty() => {
                let name = file_entry_name(item, class)?;
                path.push('\\');
                path.push_str(&name);
            }
            _ => return None,
        }
    }
    (path.len() > 2).then_some(path)
}

/// A file entry item's long name (its 0xBEEF0004 extension block), else its primary name.
fn file_entry_name(item: &[u8], class: u8) -> Option<String> {
    let name_at = 14;
    let (primary, end) = if class & 0x04 != 0 {
        let text = utf16_until_nul(item.get(name_at..)?);
        let units = text.encode_utf16().count();
        (text, name_at + 2 * (units + 1))
    } else {
        let text = ansi_until_nul(item.get(name_at..)?);
        (text.clone(), name_at + text.len() + 1)
    };
    let extension = end + end % 2;
    Some(
        item.get(extension..)
            .and_then(extension_long_name)
            .unwrap_or(primary),
    )
}

/// The long name in a file entry extension block (versions 3, 7, 8, 9).
fn extension_long_name(block: &[u8]) -> Option<String> {
    if u32_at(block, 4)? != 0xbeef_0004 {
        return None;
    }
    let version = u16_at(block, 2)?;
    let mut at = 18;
    if version >= 7 {
        at += 18;
    }
    at += 2; // size of the localized name that follows the long name
    if version >= 9 {
        at += 4;
    }
    if version >= 8 {
        at += 4;
    }
    let size = usize::from(u16_at(block, 0)?).min(block.len());
    let name = utf16_until_nul(block.get(at..size)?);
    (!name.is_empty()).then_some(name)
}

/// The target path and volume from a `LinkInfo` structure (`b` is the whole structure).
fn read_link_info(b: &[u8]) -> (Option<String>, Option<Volume>) {
    let field = |at| u32_at(b, at).map(|v| v as usize);
    let header_size = field(4).unwrap_or(0);
    let flags = field(8).unwrap_or(0);
    let ansi_at = |offset: Option<usize>| {
        offset
            .filter(|&o| o != 0)
            .and_then(|o| b.get(o..))
            .map(ansi_until_nul)
    };
    let unicode_at = |offset: Option<usize>| {
        offset
            .filter(|&o| o != 0)
            .and_then(|o| b.get(o..))
            .map(utf16_until_nul)
    };
    let has_unicode = header_size >= 0x24;
    let suffix = if has_unicode {
        unicode_at(field(0x20)).or_else(|| ansi_at(field(0x18)))
    } else {
        ansi_at(field(0x18))
    }
    .unwrap_or_default();
    let mut volume = None;
    let base = if flags & 0x1 != 0 {
        volume = field(0x0c).and_then(|o| read_volume(b.get(o..)?));
        if has_unicode {
            unicode_at(field(0x1c)).or_else(|| ansi_at(field(0x10)))
        } else {
            ansi_at(field(0x10))
        }
    } else if flags & 0x2 != 0 {
        field(0x14).and_then(|o| read_share(b.get(o..)?))
    } else {
        None
    };
    let target = base.map(|mut base| {
        if !suffix.is_empty() {
            if !base.ends_with('\\') {
                base.push('\\');
            }
            base.push_str(&suffix);
        }
        base
    });
    (target.filter(|t| !t.is_empty()), volume)
}

fn read_volume(v: &[u8]) -> Option<Volume> {
    let label_offset = u32_at(v, 12)? as usize;
    let label = if label_offset == 0x14 {
        let unicode = u32_at(v, 16)? as usize;
        v.get(unicode..).map(utf16_until_nul)
    } else {
        v.get(label_offset..).map(ansi_until_nul)
    };
    Some(Volume {
        drive_type: u32_at(v, 4)?,
        serial: u32_at(v, 8)?,
        label: label.unwrap_or_default(),
    })
}

/// `CommonNetworkRelativeLink`: the share (`\\server\share`).
fn read_share(n: &[u8]) -> Option<String> {
    let name_offset = u32_at(n, 8)? as usize;
    if name_offset > 0x14 {
        let unicode = u32_at(n, 0x14)? as usize;
        if let Some(name) = n.get(unicode..).map(utf16_until_nul) {
            return Some(name);
        }
    }
    n.get(name_offset..).map(ansi_until_nul)
}

/// The environment target and the tracker's machine id from the `ExtraData` blocks.
fn read_extra_data(d: &[u8], mut at: usize) -> (Option<String>, Option<String>) {
    let (mut environment, mut machine) = (None, None);
    // A crafted file cannot loop: every block moves forward by at least 8 bytes.
    while let (Some(size), Some(signature)) = (u32_at(d, at), u32_at(d, at + 4)) {
        let size = size as usize;
        if size < 8 {
            break;
        }
        let Some(block) = d.get(at..at.saturating_add(size)) else {
            break;
        };
        match signature {
            ENVIRONMENT_BLOCK => {
                let unicode = block.get(268..788).map(utf16_until_nul);
                let ansi = block.get(8..268).map(ansi_until_nul);
                environment = unicode.filter(|t| !t.is_empty()).or(ansi);
            }
            TRACKER_BLOCK => machine = block.get(16..32).map(ansi_until_nul),
            _ => {}
        }
        at += size;
    }
    (
        environment.filter(|t| !t.is_empty()),
        machine.filter(|m| !m.is_empty()),
    )
}
