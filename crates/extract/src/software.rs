//! SOFTWARE hive → the folders ImagePath variables expand to. Offline, %SystemRoot% must come
//! from the evidence, not from the analysis host (`docs/windows-facts.md`, "Service values"): a system installed on D:
//! or in `C:\WINNT` expands differently.

use std::path::Path;

use konseki_registry::{Data, Hive};

use crate::image_path::WindowsPaths;

/// Reads `SystemRoot` and `ProgramFilesDir` (and its x86 twin) from a SOFTWARE hive read from
/// `path`. `None` when `SystemRoot` is not text (a damaged or crafted hive).
pub fn read_windows_paths(hive: &mut Hive, path: &Path) -> Option<WindowsPaths> {
    let system_root = hive
        .key("Microsoft\\Windows NT\\CurrentVersion")?
        .value("SystemRoot")
        .and_then(Data::as_text)?;
    let defaults = WindowsPaths::default();
    let current = hive.key("Microsoft\\Windows\\CurrentVersion");
    let dir = |name: &str, fallback: String| {
        current
            .as_ref()
            .and_then(|k| k.value(name))
            .and_then(Data::as_text)
            .unwrap_or(fallback)
    };
    Some(WindowsPaths {
        program_files: dir("ProgramFilesDir", defaults.program_files),
        program_files_x86: dir("ProgramFilesDir (x86)", defaults.program_files_x86),
        system_root,
        source: format!(
            "{} (Microsoft\\Windows NT\\CurrentVersion\\SystemRoot, Microsoft\\Windows\\CurrentVersion\\ProgramFilesDir)",
            path.display()
        ),
    })
}
