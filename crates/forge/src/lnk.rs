//! Shell link (`.lnk`) writer: header with the target's times, `LinkInfo` with a local base
//! path and volume, Unicode `StringData`, and optionally the environment-variable and tracker
//! blocks ([MS-SHLLINK] §2). Checked by libyal's `lnkinfo` in tests.
//!
//! [MS-SHLLINK]: https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-shllink/

use jiff::Timestamp;

use crate::evtx::file::filetime;

/// A shortcut to write.
#[derive(Debug, Clone, Default)]
pub struct LnkSpec {
    /// Local target path (`C:\Users\bob\AppData\Local\Temp\upd.exe`), in `LinkInfo`.
    pub target: Option<String>,
    /// Environment-variable target (`%TEMP%\upd.exe`), in its extra data block.
    pub environment_target: Option<String>,
    /// `COMMAND_LINE_ARGUMENTS`.
    pub arguments: Option<String>,
    /// `WORKING_DIR`.
    pub working_dir: Option<String>,
    /// `NAME_STRING`.
    pub description: Option<String>,
    /// The target's times recorded in the header (creation, access, write).
    pub target_times: Option<(Timestamp, Timestamp, Timestamp)>,
    /// The target's size.
    pub target_size: u32,
    /// Volume serial number and label for `LinkInfo`'s `VolumeID`.
    pub volume: (u32, String),
    /// Tracker machine id (NetBIOS name, ≤ 15 characters).
    pub machine_id: Option<String>,
    /// A local path (`C:\\Users\\…\\x.exe`) written as `LinkTargetIDList` shell items: My
    /// Computer, the volume, one file entry per component with its long name.
    pub id_list: Option<String>,
}

/// The bytes of a `.lnk` file.
pub fn write_lnk(spec: &LnkSpec) -> Vec<u8> {
    let mut flags = 0x80u32; // IsUnicode
    if spec.id_list.is_some() {
        flags |= 0x1;
    }
    if spec.target.is_some() {
        flags |= 0x2;
    }
    for (present, flag) in [
        (spec.description.is_some(), 0x4),
        (spec.working_dir.is_some(), 0x10),
        (spec.arguments.is_some(), 0x20),
        (spec.environment_target.is_some(), 0x200),
    ] {
        if present {
            flags |= flag;
        }
    }
    let mut out = Vec::new();
    out.extend_from_slice(&[
        0x4c, 0, 0, 0, 0x01, 0x14, 0x02, 0, 0, 0, 0, 0, 0xc0, 0, 0, 0, 0, 0, 0, 0x46,
    ]);
    out.extend_from_slice(&flags.to_le_bytes());
    out.extend_from_slice(&0x20u32.to_le_bytes()); // FILE_ATTRIBUTE_ARCHIVE
    let (c, a, w) = spec
        .target_times
        .map(|(c, a, w)| (filetime(c), filetime(a), filetime(w)))
        .unwrap_or_default();
    for t in [c, a, w] {
        out.extend_from_slice(&t.to_le_bytes());
    }
    out.extend_from_slice(&spec.target_size.to_le_bytes());
    out.extend_from_slice(&0i32.to_le_bytes()); // IconIndex
    out.extend_from_slice(&1u32.to_le_bytes()); // SW_SHOWNORMAL
    out.extend_from_slice(&[0; 12]); // HotKey, reserved
    if let Some(path) = &spec.id_list {
        let list = id_list(path);
        out.extend_from_slice(&(list.len() as u16).to_le_bytes());
        out.extend(list);
    }
    if let Some(target) = &spec.target {
        out.extend(link_info(target, &spec.volume));
    }
    for text in [&spec.description, &spec.working_dir, &spec.arguments]
        .into_iter()
        .flatten()
    {
        let units: Vec<u16> = text.encode_utf16().collect();
        out.extend_from_slice(&(units.len() as u16).to_le_bytes());
        units
            .iter()
            .for_each(|u| out.extend_from_slice(&u.to_le_bytes()));
    }
    if let Some(env) = &spec.environment_target {
        out.extend_from_slice(&0x314u32.to_le_bytes());
        out.extend_from_slice(&0xA000_0001u32.to_le_bytes());
        let mut ansi = [0u8; 260];
        for (slot, b) in ansi.iter_mut().zip(env.bytes().take(259)) {
            *slot = b;
        }
        out.extend_from_slice(&ansi);
        let mut unicode = [0u8; 520];
        for (i, u) in env.encode_utf16().take(259).enumerate() {
            unicode[2 * i..2 * i + 2].copy_from_slice(&u.to_le_bytes());
        }
        out.extend_from_slice(&unicode);
    }
    if let Some(machine) = &spec.machine_id {
        out.extend_from_slice(&0x60u32.to_le_bytes());
        out.extend_from_slice(&0xA000_0003u32.to_le_bytes());
        out.extend_from_slice(&0x58u32.to_le_bytes());
        out.extend_from_slice(&0u32.to_le_bytes());
        let mut id = [0u8; 16];
        for (slot, b) in id.iter_mut().zip(machine.bytes().take(15)) {
            *slot = b;
        }
        out.extend_from_slice(&id);
        out.extend_from_slice(&[0x11; 64]); // droid and birth droid GUIDs
    }
    out.extend_from_slice(&0u32.to_le_bytes()); // TerminalBlock
    out
}

/// `LinkInfo` with `VolumeIDAndLocalBasePath`: the whole path as the local base path (ANSI
/// and Unicode), an empty common path suffix.
fn link_info(target: &str, (serial, label): &(u32, String)) -> Vec<u8> {
    let mut volume = Vec::new();
    volume.extend_from_slice(&0u32.to_le_bytes()); // size, set below
    volume.extend_from_slice(&3u32.to_le_bytes()); // DRIVE_FIXED
    volume.extend_from_slice(&serial.to_le_bytes());
    volume.extend_from_slice(&0x10u32.to_le_bytes()); // label right after the header
    volume.extend(label.bytes());
    volume.push(0);
    let size = volume.len() as u32;
    volume[..4].copy_from_slice(&size.to_le_bytes());

    let header = 0x24usize;
    let volume_at = header;
    let base_at = volume_at + volume.len();
    let ansi: Vec<u8> = target
        .chars()
        .map(|c| if c.is_ascii() { c as u8 } else { b'?' })
        .chain([0])
        .collect();
    let suffix_at = base_at + ansi.len();
    let base_unicode_at = suffix_at + 1;
    let mut unicode: Vec<u8> = target
        .encode_utf16()
        .flat_map(|u| u.to_le_bytes())
        .collect();
    unicode.extend_from_slice(&[0, 0]);
    let suffix_unicode_at = base_unicode_at + unicode.len();
    let total = suffix_unicode_at + 2;

    let mut out = Vec::with_capacity(total);
    for v in [
        total,
        header,
        1, // VolumeIDAndLocalBasePath
        volume_at,
        base_at,
        0, // no network link
        suffix_at,
        base_unicode_at,
        suffix_unicode_at,
    ] {
        out.extend_from_slice(&(v as u32).to_le_bytes());
    }
    out.extend(volume);
    out.extend(ansi);
    out.push(0); // empty ANSI suffix
    out.extend(unicode);
    out.extend_from_slice(&[0, 0]); // empty Unicode suffix
    out
}

/// Shell items for `path` (`C:\\dir\\file.exe`), ending with the empty terminator.
fn id_list(path: &str) -> Vec<u8> {
    let mut out = Vec::new();
    // My Computer: {20D04FE0-3AEA-1069-A2D8-08002B30309D}.
    out.extend_from_slice(&[0x14, 0, 0x1f, 0x50]);
    out.extend_from_slice(&[
        0xe0, 0x4f, 0xd0, 0x20, 0xea, 0x3a, 0x69, 0x10, 0xa2, 0xd8, 0x08, 0x00, 0x2b, 0x30, 0x30,
        0x9d,
    ]);
    let mut parts = path.split('\\');
    let drive = parts.next().unwrap_or("C:");
    let mut volume = vec![0x19, 0, 0x2f];
    volume.extend(format!("{drive}\\").bytes());
    volume.resize(0x19, 0);
    out.extend(volume);
    let names: Vec<&str> = parts.collect();
    for (i, name) in names.iter().enumerate() {
        out.extend(file_entry(name, i + 1 == names.len()));
    }
    out.extend_from_slice(&[0, 0]);
    out
}

/// A file entry shell item: an 8.3-style primary name, then a version 9 extension block
/// (0xBEEF0004) with the long name.
fn file_entry(name: &str, file: bool) -> Vec<u8> {
    let short: String = name
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(6)
        .collect::<String>()
        .to_ascii_uppercase()
        + "~1";
    let mut item = vec![0, 0, if file { 0x32 } else { 0x31 }, 0];
    item.extend_from_slice(&0u32.to_le_bytes()); // file size
    item.extend_from_slice(&0x5c21_4a6eu32.to_le_bytes()); // FAT date and time
    item.extend_from_slice(&(if file { 0x20u16 } else { 0x10 }).to_le_bytes());
    item.extend(short.bytes());
    item.push(0);
    if item.len() % 2 == 1 {
        item.push(0);
    }
    let extension_at = item.len() as u16;
    let mut block = Vec::new();
    block.extend_from_slice(&0u16.to_le_bytes()); // size, set below
    block.extend_from_slice(&9u16.to_le_bytes());
    block.extend_from_slice(&0xbeef_0004u32.to_le_bytes());
    block.extend_from_slice(&0x5c21_4a6eu32.to_le_bytes()); // created
    block.extend_from_slice(&0x5c21_4a6eu32.to_le_bytes()); // accessed
    block.extend_from_slice(&0x2eu16.to_le_bytes()); // identifier
    block.extend_from_slice(&[0; 2]);
    block.extend_from_slice(&[0; 8]); // file reference
    block.extend_from_slice(&[0; 8]);
    block.extend_from_slice(&0u16.to_le_bytes()); // no localized name
    block.extend_from_slice(&[0; 8]); // version 9 and 8 fields
    for unit in name.encode_utf16().chain([0]) {
        block.extend_from_slice(&unit.to_le_bytes());
    }
    block.extend_from_slice(&extension_at.to_le_bytes()); // first extension block offset
    let size = block.len() as u16;
    block[..2].copy_from_slice(&size.to_le_bytes());
    item.extend(block);
    let size = item.len() as u16;
    item[..2].copy_from_slice(&size.to_le_bytes());
    item
}
