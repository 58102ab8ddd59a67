//! SOFTWARE hive → the folders ImagePath variables expand to. Offline, %SystemRoot% must come
//! from the evidence, not from the analysis host (`docs/windows-facts.md`, "Service values"): a system installed on D:
//! or in `C:\WINNT` expands differently.

use std::path::{Path, PathBuf};

use konseki_registry::{Data, Hive};

use crate::image_path::WindowsPaths;

/// Reads `SystemRoot` and `ProgramFilesDir` (and its x86 twin) from a SOFTWARE hive. `Err` when
/// the hive is not a SOFTWARE hive or cannot be read.
pub fn read_windows_paths(path: &Path, logs: &[PathBuf]) -> Result<WindowsPaths, String> {
    let mut hive = Hive::open(path, logs).map_err(|e| e.to_string())?;
    let nt = hive
        .key("Microsoft\\Windows NT\\CurrentVersion")
        .ok_or_else(|| {
            format!(
                "{}: no Microsoft\\Windows NT\\CurrentVersion: not a SOFTWARE hive",
                path.display()
            )
        })?;
    let system_root = nt
        .value("SystemRoot")
        .and_then(Data::as_text)
        .ok_or_else(|| format!("{}: CurrentVersion has no SystemRoot", path.display()))?;
    let defaults = WindowsPaths::default();
    let current = hive.key("Microsoft\\Windows\\CurrentVersion");
    let dir = |name: &str, fallback: String| {
        current
            .as_ref()
            .and_then(|k| k.value(name))
            .and_then(Data::as_text)
            .unwrap_or(fallback)
    };
    Ok(WindowsPaths {
        program_files: dir("ProgramFilesDir", defaults.program_files),
        program_files_x86: dir("ProgramFilesDir (x86)", defaults.program_files_x86),
        system_root,
        source: format!(
            "{} (Microsoft\\Windows NT\\CurrentVersion\\SystemRoot, Microsoft\\Windows\\CurrentVersion\\ProgramFilesDir)",
            path.display()
        ),
    })
}
