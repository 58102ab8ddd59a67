//! Autostart location definitions: data (`data/autostart/*.toml`, embedded in the binary) an
//! analyst can review, checked by [`lint`] (`konseki defs lint`) and in tests.

use std::collections::{BTreeMap, HashSet};

use serde::Deserialize;

/// The definitions shipped with konseki (file name, TOML text).
pub const BUILTIN: [(&str, &str); 2] = [
    (
        "registry.toml",
        include_str!("../../../../data/autostart/registry.toml"),
    ),
    (
        "folders.toml",
        include_str!("../../../../data/autostart/folders.toml"),
    ),
];

/// Which hive a location lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum HiveKind {
    /// HKLM\SOFTWARE.
    #[serde(rename = "SOFTWARE")]
    Software,
    /// HKLM\SYSTEM, every ControlSetNNN.
    #[serde(rename = "SYSTEM")]
    System,
    /// Every user's NTUSER.DAT (HKCU).
    #[serde(rename = "NTUSER")]
    Ntuser,
    /// Every user's UsrClass.dat (HKCU\Software\Classes).
    #[serde(rename = "USRCLASS")]
    UsrClass,
    /// Folders of the file system (`folders`, not `keys`): every file in them is an entry.
    #[serde(rename = "VOLUME")]
    Volume,
}

/// How entries are read from a location's key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Read {
    /// Every value is an entry.
    Values,
    /// The named values are entries.
    Named(Vec<String>),
    /// The named value of every subkey is an entry.
    SubkeyValue(String),
    /// Every value of every subkey is an entry.
    SubkeyValues,
    /// The named value of a key below every subkey (`subkeys:InprocServer32\(default)`):
    /// (path below the subkey, value name; `(default)` is the unnamed value).
    SubkeyPathValue(String, String),
    /// Every file in the folder (VOLUME locations).
    Files,
}

/// One autostart location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// Unique short name.
    pub id: String,
    /// What it is.
    pub title: String,
    /// MITRE ATT&CK technique.
    pub attack: String,
    /// Where it is documented.
    pub reference: String,
    /// The hive.
    pub hive: HiveKind,
    /// Key paths in the hive; for VOLUME locations, folder paths from the volume's root, where
    /// `*` stands for one user profile folder.
    pub keys: Vec<String>,
    /// How entries are read.
    pub read: Read,
    /// What the key's last-write time means for an entry.
    pub times: String,
    /// Windows' own values, by value name (`*`: any value): an entry matching none of its
    /// value's defaults is flagged. `*` inside a default stands for any text (a user name).
    pub defaults: BTreeMap<String, Vec<String>>,
    /// The value names a folder, not a command (the Startup folder's location): no program is
    /// looked for.
    pub folder_value: bool,
    /// For a per-user location that replaces a machine-wide one: the SOFTWARE key its keys
    /// stand under there (`Classes` for UsrClass.dat's `CLSID\{…}`), to name what it overrides.
    pub overrides: Option<String>,
    /// Read only from logged registry changes (Sysmon 12/13/14), not from the hive: the hive
    /// holds thousands of Windows' own entries of this kind (the machine's COM classes), while
    /// a change logged to one of them is what an examiner must see.
    pub changes_only: bool,
    /// Task Manager's startup list records each entry's enabled state under
    /// `Explorer\StartupApproved\Run` (the Run keys).
    pub startup_approved: bool,
}

impl Location {
    /// The defaults of `value` when it holds something else, joined for a reason; `None` when it
    /// is a default or the location declares none for it.
    pub fn differs_from_default(&self, value: &str, data: &str) -> Option<String> {
        let defaults = self
            .defaults
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(value))
            .or_else(|| self.defaults.get_key_value("*"))?
            .1;
        let data = data.trim().to_ascii_lowercase();
        let matches = |pattern: &String| glob(&pattern.to_ascii_lowercase(), &data);
        (!defaults.iter().any(matches)).then(|| {
            if defaults.is_empty() {
                return "no value: it is absent on a default install".to_string();
            }
            defaults
                .iter()
                .map(|d| format!("`{d}`"))
                .collect::<Vec<_>>()
                .join(" or ")
        })
    }
}

/// `*` matches any run of characters; everything else itself.
fn glob(pattern: &str, text: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        return rest.is_empty();
    };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    location: Vec<RawLocation>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLocation {
    id: String,
    title: String,
    attack: String,
    reference: String,
    hive: HiveKind,
    #[serde(default)]
    keys: Vec<String>,
    #[serde(default)]
    folders: Vec<String>,
    read: String,
    times: String,
    #[serde(default)]
    defaults: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    value: Option<String>,
    #[serde(default)]
    overrides: Option<String>,
    #[serde(default)]
    changes_only: bool,
    #[serde(default)]
    startup_approved: bool,
}

/// Parses and checks definition files (name, text). Every problem is reported, each naming
/// the file and the location.
pub fn lint(files: &[(&str, &str)]) -> Result<Vec<Location>, Vec<String>> {
    let mut problems = Vec::new();
    let mut locations = Vec::new();
    let mut ids = HashSet::new();
    for (name, text) in files {
        let file: File = match toml::from_str(text) {
            Ok(file) => file,
            Err(e) => {
                problems.push(format!("{name}: {e}"));
                continue;
            }
        };
        for raw in file.location {
            let mut found = identity_problems(&raw);
            if !ids.insert(raw.id.clone()) {
                found.push("id used twice".into());
            }
            found.extend(place_problems(&raw));
            let id = raw.id.clone();
            match checked(raw) {
                Ok(location) if found.is_empty() => locations.push(location),
                Ok(_) => {}
                Err(problems) => found.extend(problems),
            }
            problems.extend(
                found
                    .into_iter()
                    .map(|what| format!("{name}: location `{id}`: {what}")),
            );
        }
    }
    if problems.is_empty() {
        Ok(locations)
    } else {
        Err(problems)
    }
}

/// What is wrong with a location's id, title, ATT&CK id or reference.
fn identity_problems(raw: &RawLocation) -> Vec<String> {
    let mut bad = Vec::new();
    if raw.id.is_empty()
        || !raw
            .id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        bad.push("id must be lower case letters, digits and `_`".into());
    }
    if raw.title.trim().is_empty() || raw.times.trim().is_empty() {
        bad.push("title and times must say something".into());
    }
    if !is_attack_id(&raw.attack) {
        bad.push(format!(
            "attack `{}` is not a technique id like T1547.001",
            raw.attack
        ));
    }
    if !raw.reference.starts_with("https://") {
        bad.push(format!("reference `{}` is not an https URL", raw.reference));
    }
    bad
}

/// What is wrong with where a location looks: keys or folders, the hive, how they are read.
fn place_problems(raw: &RawLocation) -> Vec<String> {
    let mut bad: Vec<String> = Vec::new();
    let volume = raw.hive == HiveKind::Volume;
    if volume && (raw.folders.is_empty() || !raw.keys.is_empty()) {
        bad.push("a VOLUME location lists `folders`, not `keys`".into());
    }
    if !volume && (raw.keys.is_empty() || !raw.folders.is_empty()) {
        bad.push("a registry location lists `keys`, not `folders`".into());
    }
    if volume && raw.read != "files" {
        bad.push(format!(
            "read `{}`: a VOLUME location reads `files`",
            raw.read
        ));
    }
    if !volume && raw.read == "files" {
        bad.push("read `files` belongs to VOLUME locations".into());
    }
    let malformed = |p: &str| p.is_empty() || p.starts_with('\\') || p.ends_with('\\');
    for folder in &raw.folders {
        if malformed(folder) || folder.contains(':') || folder.contains("\\\\") {
            bad.push(format!(
                "folder `{folder}` is not a folder path from the volume's root (no drive)"
            ));
        }
    }
    for key in &raw.keys {
        if malformed(key) || key.contains("\\\\") {
            bad.push(format!("key `{key}` is not a relative key path"));
        }
        if key.contains("{ControlSet}") != (raw.hive == HiveKind::System) {
            bad.push(format!(
                "key `{key}`: `{{ControlSet}}` belongs in SYSTEM keys, and only there"
            ));
        }
    }
    if raw.changes_only && volume {
        bad.push("`changes_only` belongs to registry locations".into());
    }
    if raw.overrides.is_some() && !matches!(raw.hive, HiveKind::UsrClass | HiveKind::Ntuser) {
        bad.push("`overrides` belongs to per-user (NTUSER, USRCLASS) locations".into());
    }
    bad
}

/// The location a definition describes, once its `value` and `read` parse (else what is wrong
/// with them).
fn checked(raw: RawLocation) -> Result<Location, Vec<String>> {
    let folder_value = match raw.value.as_deref() {
        None | Some("command") => Ok(false),
        Some("folder") => Ok(true),
        Some(other) => Err(format!("value `{other}` is not `command` or `folder`")),
    };
    let read = parse_read(&raw.read).ok_or_else(|| {
        format!(
            "read `{}` is not `values`, `value:NAME[,NAME…]`, `subkeys:NAME`, `subkeys:PATH\\NAME`, `subkeys:*` or `files`",
            raw.read
        )
    });
    let (folder_value, read) = match (folder_value, read) {
        (Ok(folder_value), Ok(read)) => (folder_value, read),
        (a, b) => return Err(a.err().into_iter().chain(b.err()).collect()),
    };
    let volume = raw.hive == HiveKind::Volume;
    Ok(Location {
        id: raw.id,
        title: raw.title,
        attack: raw.attack,
        reference: raw.reference,
        hive: raw.hive,
        keys: if volume { raw.folders } else { raw.keys },
        read,
        times: raw.times,
        defaults: raw.defaults,
        folder_value,
        overrides: raw.overrides,
        changes_only: raw.changes_only,
        startup_approved: raw.startup_approved,
    })
}

/// The built-in definitions (checked by a test, so this cannot fail in a release).
pub fn builtin() -> Vec<Location> {
    lint(&BUILTIN).unwrap_or_default()
}

fn parse_read(read: &str) -> Option<Read> {
    match read.split_once(':') {
        None if read == "values" => Some(Read::Values),
        None if read == "files" => Some(Read::Files),
        Some(("value", names)) => {
            let names: Vec<String> = names.split(',').map(|n| n.trim().to_string()).collect();
            (!names.iter().any(String::is_empty)).then_some(Read::Named(names))
        }
        Some(("subkeys", "*")) => Some(Read::SubkeyValues),
        Some(("subkeys", spec)) if spec.contains('\\') => {
            let (path, name) = spec.rsplit_once('\\')?;
            let name = if name == "(default)" { "" } else { name };
            (!path.trim().is_empty()).then(|| Read::SubkeyPathValue(path.into(), name.into()))
        }
        Some(("subkeys", name)) if !name.trim().is_empty() => {
            Some(Read::SubkeyValue(name.trim().to_string()))
        }
        _ => None,
    }
}

/// `T1547` or `T1547.001`.
fn is_attack_id(id: &str) -> bool {
    let Some(rest) = id.strip_prefix('T') else {
        return false;
    };
    let (technique, sub) = rest.split_once('.').unwrap_or((rest, "000"));
    technique.len() == 4
        && sub.len() == 3
        && technique
            .bytes()
            .chain(sub.bytes())
            .all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_definitions_pass_lint() {
        let locations = lint(&BUILTIN).unwrap_or_else(|p| panic!("{}", p.join("\n")));
        assert!(locations.len() >= 15, "{}", locations.len());
        assert!(locations.iter().any(|l| l.id == "user_run"));
    }

    #[test]
    fn malformed_definitions_are_rejected_with_reasons() {
        let text = r#"
[[location]]
id = "Bad Id"
title = "x"
attack = "1547"
reference = "http://example.com"
hive = "SYSTEM"
keys = ['\Software\Run']
read = "everything"
times = "t"
"#;
        let problems = lint(&[("bad.toml", text)]).unwrap_err();
        let all = problems.join("\n");
        for expected in [
            "id must be",
            "attack `1547`",
            "not an https URL",
            "not a relative key path",
            "{ControlSet}",
            "read `everything`",
        ] {
            assert!(all.contains(expected), "missing `{expected}` in:\n{all}");
        }
        assert!(lint(&[("broken.toml", "[[location]\nid=")]).unwrap_err()[0]
            .starts_with("broken.toml: "));
        let unknown = "[[location]]\nid = \"a\"\ncolour = \"red\"";
        assert!(lint(&[("u.toml", unknown)]).is_err());
        assert!(
            lint(&[("dup.toml", &format!("{}{}", one("x"), one("x")))]).unwrap_err()[0]
                .contains("used twice")
        );
    }

    #[test]
    fn volume_and_registry_definitions_keep_to_their_kind() {
        let head = "[[location]]\nid = \"f\"\ntitle = \"t\"\nattack = \"T1547.001\"\nreference = \"https://e\"\ntimes = \"t\"\n";
        let volume_with_keys =
            format!("{head}hive = \"VOLUME\"\nkeys = ['Run']\nread = \"values\"\n");
        let all = lint(&[("v.toml", &volume_with_keys)])
            .unwrap_err()
            .join("\n");
        assert!(all.contains("lists `folders`, not `keys`"), "{all}");
        assert!(all.contains("a VOLUME location reads `files`"), "{all}");
        let drive = format!(
            "{head}hive = \"VOLUME\"\nfolders = ['C:\\Users\\*\\Startup']\nread = \"files\"\n"
        );
        let all = lint(&[("d.toml", &drive)]).unwrap_err().join("\n");
        assert!(all.contains("from the volume's root (no drive)"), "{all}");
        let machine_overrides = format!(
            "{head}hive = \"SOFTWARE\"\nkeys = ['Run']\nread = \"values\"\noverrides = 'Classes'\n"
        );
        assert!(lint(&[("o.toml", &machine_overrides)]).unwrap_err()[0]
            .contains("`overrides` belongs to per-user"));
        let registry_files = format!("{head}hive = \"NTUSER\"\nkeys = ['Run']\nread = \"files\"\n");
        assert!(lint(&[("r.toml", &registry_files)]).unwrap_err()[0].contains("belongs to VOLUME"));
        let good = format!("{head}hive = \"USRCLASS\"\nkeys = ['CLSID']\nread = 'subkeys:InprocServer32\\(default)'\n");
        let parsed = lint(&[("g.toml", &good)]).unwrap();
        assert_eq!(
            parsed[0].read,
            Read::SubkeyPathValue("InprocServer32".into(), String::new())
        );
    }

    #[test]
    fn defaults_match_with_wildcards_and_name_the_expected_values() {
        let text = "[[location]]\nid = \"w\"\ntitle = \"t\"\nattack = \"T1547.004\"\nreference = \"https://e\"\nhive = \"SOFTWARE\"\nkeys = ['Winlogon']\nread = \"value:Shell,Userinit\"\ntimes = \"t\"\ndefaults = { Shell = ['explorer.exe'], \"*\" = ['C:\\Users\\*\\x'] }\n";
        let location = &lint(&[("w.toml", text)]).unwrap()[0];
        assert_eq!(
            location.differs_from_default("shell", " Explorer.exe "),
            None
        );
        assert_eq!(
            location
                .differs_from_default("Shell", "explorer.exe, evil.exe")
                .as_deref(),
            Some("`explorer.exe`")
        );
        assert_eq!(
            location.differs_from_default("Other", "c:\\users\\bob\\x"),
            None
        );
        assert!(location
            .differs_from_default("Other", "c:\\users\\bob\\y")
            .is_some());
        assert!(glob("a*b*c", "axxbyyc") && !glob("a*b", "ab c") && glob("*", ""));
        let bad = text.replace("times = \"t\"", "times = \"t\"\nvalue = \"blob\"");
        assert!(lint(&[("b.toml", &bad)]).unwrap_err()[0].contains("`command` or `folder`"));
    }

    fn one(id: &str) -> String {
        format!(
            "[[location]]\nid = \"{id}\"\ntitle = \"t\"\nattack = \"T1547.001\"\nreference = \"https://e\"\nhive = \"NTUSER\"\nkeys = ['Software\\Run']\nread = \"values\"\ntimes = \"t\"\n"
        )
    }
}
