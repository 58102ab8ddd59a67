//! ImagePath normalisation: what program would the SCM (or the I/O manager) load?
//!
//! Rules (`docs/windows-facts.md`, "Service values"; Windows Internals): expand `%VAR%` from the evidence, not from the
//! analysis host; `\SystemRoot\` → %SystemRoot%; strip the NT `\??\` prefix; a driver path without
//! a drive is relative to %SystemRoot%; an empty driver ImagePath means
//! `%SystemRoot%\System32\drivers\<name>.sys`. Executable and arguments are split like
//! CreateProcess reads an unquoted command line: a quoted first token, else the text up to the
//! first `.exe`/`.sys`/… followed by a space, else the first token.

use konseki_model::ImagePath;

/// The folders a service ImagePath's variables expand to, from the evidence (SOFTWARE hive) or
/// Windows' defaults when it is absent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowsPaths {
    /// %SystemRoot% (`Microsoft\Windows NT\CurrentVersion\SystemRoot`).
    pub system_root: String,
    /// %ProgramFiles% (`Microsoft\Windows\CurrentVersion\ProgramFilesDir`).
    pub program_files: String,
    /// %ProgramFiles(x86)% (`ProgramFilesDir (x86)`).
    pub program_files_x86: String,
    /// Where these values come from, for the report.
    pub source: String,
}

impl Default for WindowsPaths {
    fn default() -> Self {
        WindowsPaths {
            system_root: "C:\\Windows".into(),
            program_files: "C:\\Program Files".into(),
            program_files_x86: "C:\\Program Files (x86)".into(),
            source: "Windows defaults (no SOFTWARE hive)".into(),
        }
    }
}

/// Extensions that end the program part of an unquoted command line.
const PROGRAM_EXTENSIONS: [&str; 6] = [".exe", ".sys", ".com", ".bat", ".cmd", ".dll"];

/// Normalises a raw ImagePath with the evidence's folders.
pub fn normalize_image_path(
    raw: &str,
    paths: &WindowsPaths,
    driver: bool,
    key_name: &str,
) -> ImagePath {
    let system_root = paths.system_root.as_str();
    let trimmed = raw.trim().trim_end_matches('\0');
    if trimmed.is_empty() && driver {
        let exe = format!("{system_root}\\System32\\drivers\\{key_name}.sys");
        return ImagePath {
            raw: raw.to_string(),
            normalized: exe.clone(),
            executable: exe,
            arguments: String::new(),
            quoted: false,
        };
    }
    // Expand first: `%COMSPEC% /c …` must split at the expanded cmd.exe.
    let expanded = expand(trimmed, paths);
    let (exe, args, quoted) = split_command_line(&expanded);
    let exe = resolve(exe, system_root, driver);
    let args = args.to_string();
    let normalized = if args.is_empty() {
        exe.clone()
    } else {
        format!("{exe} {args}")
    };
    ImagePath {
        raw: raw.to_string(),
        normalized,
        executable: exe,
        arguments: args,
        quoted,
    }
}

fn split_command_line(line: &str) -> (&str, &str, bool) {
    if let Some(rest) = line.strip_prefix('"') {
        return match rest.find('"') {
            Some(end) => (&rest[..end], rest[end + 1..].trim(), true),
            None => (rest, "", true),
        };
    }
    let lower = line.to_ascii_lowercase();
    let program_end = PROGRAM_EXTENSIONS
        .iter()
        .filter_map(|ext| {
            lower
                .match_indices(ext)
                .map(|(i, _)| i + ext.len())
                .find(|&end| lower[end..].is_empty() || lower[end..].starts_with(' '))
        })
        .min();
    let end = program_end.unwrap_or_else(|| line.find(' ').unwrap_or(line.len()));
    (&line[..end], line[end..].trim(), false)
}

/// Expands the environment variables a service ImagePath uses. Unknown ones stay as written.
fn expand(text: &str, paths: &WindowsPaths) -> String {
    let system_root = paths.system_root.as_str();
    let drive = system_root.get(..2).unwrap_or("C:");
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('%') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let Some(len) = after.find('%') else {
            out.push_str(&rest[start..]);
            return out;
        };
        let name = &after[..len];
        let value = match name.to_ascii_lowercase().as_str() {
            "systemroot" | "windir" => Some(system_root.to_string()),
            "systemdrive" => Some(drive.to_string()),
            "programfiles" => Some(paths.program_files.clone()),
            "programfiles(x86)" => Some(paths.program_files_x86.clone()),
            "programdata" => Some(format!("{drive}\\ProgramData")),
            "comspec" => Some(format!("{system_root}\\system32\\cmd.exe")),
            _ => None,
        };
        match value {
            Some(v) => out.push_str(&v),
            None => {
                out.push('%');
                out.push_str(name);
                out.push('%');
            }
        }
        rest = &after[len + 1..];
    }
    out.push_str(rest);
    out
}

fn resolve(exe: &str, system_root: &str, driver: bool) -> String {
    let lower = exe.to_ascii_lowercase();
    if lower.starts_with("\\systemroot\\") {
        return format!("{system_root}{}", &exe["\\SystemRoot".len()..]);
    }
    if let Some(rest) = exe
        .strip_prefix("\\??\\")
        .or_else(|| exe.strip_prefix("\\\\?\\"))
    {
        return rest.to_string();
    }
    let has_drive = exe.as_bytes().get(1) == Some(&b':');
    // A variable konseki cannot expand stays as written rather than be put under %SystemRoot%.
    let unexpanded = exe.starts_with('%');
    if !has_drive && !unexpanded && !exe.starts_with('\\') && (driver || exe.contains('\\')) {
        return format!("{system_root}\\{exe}");
    }
    exe.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(raw: &str, driver: bool) -> ImagePath {
        normalize_image_path(raw, &WindowsPaths::default(), driver, "svc")
    }

    #[test]
    fn forms_seen_in_real_hives() {
        let svchost = norm("%SystemRoot%\\system32\\svchost.exe -k netsvcs", false);
        assert_eq!(svchost.executable, "C:\\Windows\\system32\\svchost.exe");
        assert_eq!(svchost.arguments, "-k netsvcs");
        assert_eq!(
            norm("\\SystemRoot\\System32\\drivers\\x.sys", true).executable,
            "C:\\Windows\\System32\\drivers\\x.sys"
        );
        assert_eq!(
            norm("System32\\drivers\\x.sys", true).executable,
            "C:\\Windows\\System32\\drivers\\x.sys"
        );
        assert_eq!(
            norm(
                "\\??\\C:\\Documents and Settings\\moyix\\Desktop\\EXE\\msdirectx.sys",
                true
            )
            .executable,
            "C:\\Documents and Settings\\moyix\\Desktop\\EXE\\msdirectx.sys"
        );
        assert_eq!(
            norm("", true).executable,
            "C:\\Windows\\System32\\drivers\\svc.sys"
        );
        let quoted = norm("\"%ProgramFiles%\\Windows Defender\\MsMpEng.exe\"", false);
        assert!(quoted.quoted);
        assert_eq!(
            quoted.executable,
            "C:\\Program Files\\Windows Defender\\MsMpEng.exe"
        );
        assert_eq!(
            norm("f-response-ent.exe", false).executable,
            "f-response-ent.exe"
        );
    }

    #[test]
    fn unquoted_paths_with_spaces_end_at_the_program_extension() {
        let p = norm("C:\\Program Files\\Everything\\Everything.exe -svc", false);
        assert!(!p.quoted);
        assert_eq!(
            p.executable,
            "C:\\Program Files\\Everything\\Everything.exe"
        );
        assert_eq!(p.arguments, "-svc");
        let cmd = norm("%COMSPEC% /b /c start /b /min powershell.exe -nop", false);
        assert_eq!(cmd.executable, "C:\\Windows\\system32\\cmd.exe");
        assert_eq!(cmd.arguments, "/b /c start /b /min powershell.exe -nop");
        assert_eq!(
            norm("%UNKNOWN%\\a.exe", false).executable,
            "%UNKNOWN%\\a.exe"
        );
    }
}
