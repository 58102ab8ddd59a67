//! Reasons for an examiner to look closer at a service, each with why and what it rests on.
//!
//! Choices (where the issue left room): restart FailureActions are common on Windows' own
//! services, so a restart action is flagged only when the service also shows a failed or
//! timed-out run or a suspicious image; a run-command action is always flagged (the attacker
//! pattern `sc failure … command=`; `docs/windows-facts.md`, "Service values").

use konseki_model::{
    Attention, ConfigOrigin, ControlSet, EvidenceItem, FailureActionType, Flag, Provenance,
    RunOutcome, RunWindow, ScmEvent, ScmEventKind, ServiceConfig, StartType,
};

use crate::describe::{event_item, record_text};

/// Windows' default ServicesPipeTimeout (technet cc756342).
const DEFAULT_PIPE_TIMEOUT_MS: u64 = 30_000;

/// The most evidence items one attention flag cites.
const MAX_FLAG_EVIDENCE: usize = 25;

/// Places a standard user (or any process) can write to: a service image there can be replaced.
const USER_WRITABLE: [&str; 9] = [
    "\\users\\",
    "\\documents and settings\\",
    "\\temp\\",
    "\\tmp\\",
    "\\programdata\\",
    "\\appdata\\",
    "\\perflogs\\",
    "\\$recycle.bin\\",
    "\\public\\",
];

/// Interpreters that turn an ImagePath into a command line (smbexec, Metasploit psexec, …).
const INTERPRETERS: [&str; 8] = [
    "cmd.exe",
    "%comspec%",
    "powershell.exe",
    "pwsh.exe",
    "mshta.exe",
    "wscript.exe",
    "cscript.exe",
    "rundll32.exe",
];

/// The attention flags for one service.
pub fn attention(
    configs: &[ServiceConfig],
    events: &[&ScmEvent],
    runs: &[RunWindow],
    control_sets: &[ControlSet],
    standard_roots: &[String],
) -> Vec<Attention> {
    let mut flags = Vec::new();
    let failed_runs = runs.iter().any(|r| {
        matches!(
            r.outcome,
            RunOutcome::TimedOut { .. } | RunOutcome::Crashed { .. }
        )
    });
    // Images: every ImagePath a control set holds or an install logged, under the same rules.
    let mut suspicious_image = false;
    for image in images(configs, events) {
        suspicious_image |= image_flags(&mut flags, &image, standard_roots);
    }
    install_flags(&mut flags, configs, events);
    control_set_flags(&mut flags, configs);
    recovery_flags(&mut flags, configs, failed_runs || suspicious_image);
    pipe_timeout_flags(&mut flags, configs, events, runs, control_sets);
    flags
}

/// Installs inside the logs, and ImagePaths that differ from the one logged at install.
fn install_flags(flags: &mut Vec<Attention>, configs: &[ServiceConfig], events: &[&ScmEvent]) {
    for e in events {
        if let ScmEventKind::Installed { install } = &e.what {
            push_once(
                flags,
                Flag::InstalledWithinLogs,
                format!(
                    "installed at {} ({}), inside the period the logs cover",
                    e.time,
                    record_text(&e.source)
                ),
                event_item(e),
            );
            for c in configs {
                let Some(image) = &c.image_path else { continue };
                if !same_path(&image.raw, &install.image_path) {
                    push_once(
                        flags,
                        Flag::ImagePathDiffersFromInstall,
                        format!(
                            "ImagePath in {} (`{}`) differs from the one logged at install (`{}`)",
                            c.control_set, image.raw, install.image_path
                        ),
                        event_item(e),
                    );
                }
            }
        }
    }
}

/// ImagePaths that differ between control sets (of a hive: a configuration known from logged
/// changes is the key as it was then, not another control set).
fn control_set_flags(flags: &mut Vec<Attention>, configs: &[ServiceConfig]) {
    let from_hives: Vec<&ServiceConfig> = configs
        .iter()
        .filter(|c| c.origin == ConfigOrigin::Hive)
        .collect();
    for pair in from_hives.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        let (ia, ib) = (
            a.image_path.as_ref().map(|i| &i.raw),
            b.image_path.as_ref().map(|i| &i.raw),
        );
        if ia.map(|s| s.to_ascii_lowercase()) != ib.map(|s| s.to_ascii_lowercase()) {
            push_once(
                flags,
                Flag::ImagePathDiffersBetweenControlSets,
                format!(
                    "ImagePath differs: {} `{}` vs {} `{}`",
                    a.control_set,
                    ia.map_or("(none)", |s| s.as_str()),
                    b.control_set,
                    ib.map_or("(none)", |s| s.as_str())
                ),
                config_item(b, "ImagePath", format!("ImagePath in {}", b.control_set)),
            );
        }
    }
}

/// Recovery configured to run a command, or to restart a program that fails or looks wrong
/// (`worth_saying`).
fn recovery_flags(flags: &mut Vec<Attention>, configs: &[ServiceConfig], worth_saying: bool) {
    for c in configs {
        let Some(actions) = &c.failure_actions else {
            continue;
        };
        let runs_command = actions
            .actions
            .iter()
            .any(|a| a.action == FailureActionType::RunCommand);
        let restarts = actions
            .actions
            .iter()
            .any(|a| a.action == FailureActionType::Restart);
        if runs_command {
            push_once(
                flags,
                Flag::RecoveryRunsCommand,
                format!(
                    "FailureActions run a command on failure: `{}`",
                    c.failure_command
                        .as_deref()
                        .unwrap_or("(FailureCommand empty)")
                ),
                config_item(
                    c,
                    "FailureActions",
                    "FailureActions with RUN_COMMAND".into(),
                ),
            );
        }
        if restarts && worth_saying {
            push_once(flags, Flag::RecoveryRestarts, format!(
                "FailureActions restart the service on failure (reset after {}): a failing program can come back again and again; whether it did is judged from events only",
                actions.reset_period_s.map_or("never".to_string(), |s| format!("{s} s"))
            ), config_item(c, "FailureActions", "FailureActions with RESTART".into()));
        }
    }
}

/// A raised ServicesPipeTimeout, in a control set or in force at a 7009.
fn pipe_timeout_flags(
    flags: &mut Vec<Attention>,
    configs: &[ServiceConfig],
    events: &[&ScmEvent],
    runs: &[RunWindow],
    control_sets: &[ControlSet],
) {
    // ServicesPipeTimeout: a raised value gives a plain program longer to act before the kill.
    // It is the SCM's wait for a Win32 service process to connect: drivers are not subject to
    // it (the I/O manager loads them; technet cc756342).
    let auto_or_run = !runs.is_empty()
        || configs
            .iter()
            .any(|c| matches!(c.start, Some(StartType::Auto)));
    if auto_or_run && !is_driver(configs, events) {
        for set in control_sets.iter().filter(|s| {
            !s.pipe_timeout_is_default && s.effective_pipe_timeout_ms != DEFAULT_PIPE_TIMEOUT_MS
        }) {
            push_once(flags, Flag::RaisedPipeTimeout, format!(
                "{}\\Control\\ServicesPipeTimeout = {} ms (default 30000): every service gets longer before the SCM gives up on it",
                set.name, set.effective_pipe_timeout_ms
            ), EvidenceItem { source: set.source.clone(), time: None, summary: "ServicesPipeTimeout".into() });
        }
    }
    for e in events {
        if let ScmEventKind::ConnectTimeout {
            timeout_ms: Some(ms),
        } = &e.what
        {
            if *ms != DEFAULT_PIPE_TIMEOUT_MS {
                push_once(
                    flags,
                    Flag::RaisedPipeTimeout,
                    format!("the 7009 shows a timeout of {ms} ms in force (default 30000)"),
                    event_item(e),
                );
            }
        }
    }
}

/// A program a service runs, as one source names it: a control set's ImagePath or the
/// ImagePath logged at an install (7045/4697). Every image rule reads these, so a service known
/// only from its install (no hive) is flagged as one read from a hive would be.
struct Image<'a> {
    /// As stored or logged.
    raw: &'a str,
    /// The program, resolved (`%SystemRoot%` from the evidence).
    executable: &'a str,
    quoted: bool,
    auto_start: bool,
    driver: bool,
    account: Option<&'a str>,
    /// Where it was read (`ImagePath in ControlSet001`, `the ImagePath logged at install`).
    origin: String,
    item: EvidenceItem,
}

/// The images of a service: each control set's, then each install's.
fn images<'a>(configs: &'a [ServiceConfig], events: &'a [&'a ScmEvent]) -> Vec<Image<'a>> {
    let configured = configs.iter().filter_map(|c| {
        let image = c.image_path.as_ref()?;
        Some(Image {
            raw: &image.raw,
            executable: &image.executable,
            quoted: image.quoted,
            auto_start: matches!(c.start, Some(StartType::Auto)),
            driver: c.is_driver(),
            account: c.object_name.as_deref(),
            origin: format!("ImagePath in {}", c.control_set),
            item: config_item(
                c,
                "ImagePath",
                format!("ImagePath `{}` ({})", image.raw, c.control_set),
            ),
        })
    });
    let installed = events.iter().filter_map(|e| match &e.what {
        ScmEventKind::Installed { install } if !install.image_path.trim().is_empty() => {
            Some(Image {
                raw: &install.image_path,
                executable: &install.executable,
                quoted: install.image_path.trim_start().starts_with('"'),
                auto_start: install.start() == Some(StartType::Auto),
                driver: install.is_driver() == Some(true),
                account: Some(install.account.as_str()).filter(|a| !a.is_empty()),
                origin: format!(
                    "the ImagePath logged at install ({})",
                    record_text(&e.source)
                ),
                item: event_item(e),
            })
        }
        _ => None,
    });
    configured.chain(installed).collect()
}

/// The flags one image earns; whether it is suspicious in itself (for the recovery rule).
fn image_flags(flags: &mut Vec<Attention>, image: &Image<'_>, standard_roots: &[String]) -> bool {
    let exe = image.executable.to_ascii_lowercase();
    let mut suspicious = false;
    if let Some(place) = user_writable_place(&exe) {
        suspicious = true;
        push_once(flags, Flag::UserWritableImage, format!(
            "the program `{}` ({}) lies in a user-writable place (`{}`): anyone who can write there controls what runs as {}",
            image.executable, image.origin, place.trim_matches('\\'), image.account.unwrap_or("the service account")
        ), image.item.clone());
    }
    let standard = if standard_roots.is_empty() {
        exe.starts_with("c:\\windows\\") || exe.starts_with("c:\\program files")
    } else {
        standard_roots
            .iter()
            .any(|root| exe.starts_with(&root.to_ascii_lowercase()))
    };
    if image.auto_start && !image.driver && !standard && exe.contains('\\') {
        suspicious = true;
        push_once(
            flags,
            Flag::NonStandardImageLocation,
            format!(
                "auto-start service whose program `{}` ({}) is outside %SystemRoot% and Program Files ({})",
                image.executable,
                image.origin,
                if standard_roots.is_empty() { "C:\\Windows, C:\\Program Files".to_string() } else { standard_roots.join(", ") }
            ),
            image.item.clone(),
        );
    }
    if let Some(interp) = interpreter(image.raw) {
        suspicious = true;
        push_once(flags, Flag::InterpreterImage, format!(
            "{} runs a command interpreter (`{interp}`): a service used as a one-shot command launcher",
            image.origin
        ), image.item.clone());
    } else if let Some(program) =
        non_service_program(&exe).filter(|_| !msiexec_service_mode(image.raw))
    {
        suspicious = true;
        push_once(flags, Flag::NonServiceProgramImage, format!(
            "{} starts `{program}`, a Windows program that is not a service: the SCM will give up on it at the ServicesPipeTimeout, so a service is only the launcher here",
            image.origin
        ), image.item.clone());
    }
    if named_pipe_echo(image.raw) {
        suspicious = true;
        push_once(flags, Flag::NamedPipeImpersonation, format!(
            "{} (`{}`) writes into a named pipe: the well-known privilege escalation (Meterpreter `getsystem`, and tools like it) in which a service running as SYSTEM is made to connect to an attacker's pipe so that its token can be impersonated",
            image.origin, image.raw
        ), image.item.clone());
    }
    // Drivers are loaded by the I/O manager from the exact path, not through CreateProcess.
    if !image.quoted && !image.driver && image.executable.contains(' ') {
        push_once(
            flags,
            Flag::UnquotedPathWithSpaces,
            format!(
                "unquoted ImagePath with spaces ({}): CreateProcess tries `{}` first",
                image.origin,
                image
                    .executable
                    .split(' ')
                    .next()
                    .unwrap_or_default()
                    .to_string()
                    + ".exe"
            ),
            image.item.clone(),
        );
    }
    suspicious
}

/// The evidence item for one value of a service key.
fn config_item(c: &ServiceConfig, value: &str, summary: String) -> EvidenceItem {
    EvidenceItem {
        source: match &c.source {
            Provenance::RegistryKey { file, at } => {
                Provenance::registry_key(file.clone(), at.key.clone(), Some(value.to_string()))
            }
            other => other.clone(),
        },
        time: c.key_last_written,
        summary: summary.into(),
    }
}

/// `msiexec.exe /V`: Windows Installer's own service mode (the stock `msiserver` service), in
/// which msiexec is a service program that connects to the SCM.
fn msiexec_service_mode(raw: &str) -> bool {
    let lower = raw.to_ascii_lowercase();
    lower.contains("msiexec")
        && lower
            .split_whitespace()
            .any(|arg| arg == "/v" || arg == "-v")
}

/// Windows programs that are not services: registered as a service's image, the SCM starts
/// them and then gives up (7009/7000), and what they were given ran. Command interpreters are
/// flagged apart ([`INTERPRETERS`]).
const NON_SERVICE_PROGRAMS: [&str; 12] = [
    "calc.exe",
    "notepad.exe",
    "explorer.exe",
    "regsvr32.exe",
    "msiexec.exe",
    "certutil.exe",
    "bitsadmin.exe",
    "schtasks.exe",
    "net.exe",
    "net1.exe",
    "reg.exe",
    "sc.exe",
];

/// The non-service Windows program `exe` (lower-cased path) is, if any.
fn non_service_program(exe: &str) -> Option<&'static str> {
    let name = exe.rsplit('\\').next().unwrap_or(exe);
    NON_SERVICE_PROGRAMS.iter().copied().find(|p| *p == name)
}

/// `cmd /c echo … > \\.\pipe\…`: the image only writes into a named pipe.
fn named_pipe_echo(raw: &str) -> bool {
    let lower = raw.to_ascii_lowercase();
    lower.contains("echo") && lower.contains("\\\\.\\pipe\\")
}

/// Whether the service is a driver, by its `Type` in any control set or its logged install.
pub(crate) fn is_driver(configs: &[ServiceConfig], events: &[&ScmEvent]) -> bool {
    configs.iter().any(ServiceConfig::is_driver)
        || events.iter().any(|e| match &e.what {
            ScmEventKind::Installed { install } => install.is_driver() == Some(true),
            _ => false,
        })
}

/// Whether the service starts automatically, by any control set or its logged install.
pub(crate) fn is_auto_start(configs: &[ServiceConfig], events: &[&ScmEvent]) -> bool {
    configs
        .iter()
        .any(|c| matches!(c.start, Some(StartType::Auto)))
        || events.iter().any(|e| match &e.what {
            ScmEventKind::Installed { install } => install.start() == Some(StartType::Auto),
            _ => false,
        })
}

fn push_once(flags: &mut Vec<Attention>, id: Flag, reason: String, item: EvidenceItem) {
    match flags.iter_mut().find(|f| f.id == id) {
        // A flag cites a bounded number of items: enough to check it by hand, without making
        // a service with thousands of events quadratic.
        Some(flag) => {
            if flag.evidence.len() < MAX_FLAG_EVIDENCE && !flag.evidence.contains(&item) {
                flag.evidence.push(item);
            }
        }
        None => flags.push(Attention {
            id,
            reason,
            evidence: vec![item],
        }),
    }
}

/// Environment variables that name a user-writable folder; an install logs them unexpanded
/// (`%TEMP%\x.exe`), and the SCM expands them in the service's own environment.
const USER_WRITABLE_VARIABLES: [&str; 7] = [
    "%temp%",
    "%tmp%",
    "%appdata%",
    "%localappdata%",
    "%userprofile%",
    "%public%",
    "%programdata%",
];

/// The user-writable folder a lower-cased path lies in, if any.
pub(crate) fn user_writable_place(lower: &str) -> Option<&'static str> {
    USER_WRITABLE
        .iter()
        .copied()
        .find(|p| lower.contains(*p))
        .or(lower.starts_with("c:\\tmp\\").then_some("c:\\tmp\\"))
        .or_else(|| {
            let unquoted = lower.trim_start_matches('"');
            USER_WRITABLE_VARIABLES
                .iter()
                .copied()
                .find(|v| unquoted.starts_with(*v))
        })
}

pub(crate) fn interpreter(command: &str) -> Option<&'static str> {
    named_program(command, &INTERPRETERS)
}

/// Signed Windows programs that run code or fetch files they are given (LOLBAS,
/// https://lolbas-project.github.io/): in an autostart entry, what they are given is the
/// real program.
const LOLBINS: [&str; 16] = [
    "regsvr32.exe",
    "msiexec.exe",
    "certutil.exe",
    "bitsadmin.exe",
    "installutil.exe",
    "regasm.exe",
    "regsvcs.exe",
    "msbuild.exe",
    "cmstp.exe",
    "odbcconf.exe",
    "forfiles.exe",
    "wmic.exe",
    "msxsl.exe",
    "hh.exe",
    "pcalua.exe",
    "mavinject.exe",
];

/// The LOLBin an autostart command starts, if any.
pub(crate) fn lolbin(command: &str) -> Option<&'static str> {
    named_program(command, &LOLBINS)
}

/// `lolbin_command` when `command` starts a LOLBin; `subject` is what starts it (`the
/// entry`, `the task`).
pub(crate) fn lolbin_flag(
    command: &str,
    subject: &str,
    evidence: Vec<EvidenceItem>,
) -> Option<Attention> {
    let program = lolbin(command)?;
    Some(Attention {
        id: Flag::LolbinCommand,
        reason: format!(
            "{subject} starts `{program}`, a signed Windows program that runs what it is given (LOLBAS): its arguments are the real program"
        ),
        evidence,
    })
}

/// The first of `programs` the command names as a program (after a path separator, a space or
/// a quote, or at the start), not inside another name (`mycmd.exe` is not `cmd.exe`).
fn named_program(command: &str, programs: &[&'static str]) -> Option<&'static str> {
    let lower = command.to_ascii_lowercase();
    programs.iter().copied().find(|p| {
        lower.match_indices(p).any(|(at, _)| {
            at == 0 || matches!(lower.as_bytes()[at - 1], b'\\' | b'/' | b' ' | b'"')
        })
    })
}

fn same_path(a: &str, b: &str) -> bool {
    let clean = |s: &str| s.trim().trim_matches('"').to_ascii_lowercase();
    clean(a) == clean(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interpreters_are_found_as_programs_not_substrings() {
        assert_eq!(
            interpreter("c:\\windows\\system32\\cmd.exe /c x"),
            Some("cmd.exe")
        );
        assert_eq!(interpreter("%COMSPEC% /b /c start"), Some("%comspec%"));
        assert_eq!(interpreter("C:\\tools\\mycmd.exe"), None);
        assert_eq!(
            lolbin("regsvr32.exe /s /n /u /i:http://x/a.sct scrobj.dll"),
            Some("regsvr32.exe")
        );
        assert_eq!(lolbin("C:\\tools\\myregsvr32.exe"), None);
    }

    fn ids(flags: &[Attention]) -> Vec<Flag> {
        flags.iter().map(|f| f.id).collect()
    }

    /// Flags of an install alone (7045, no hive): the image rules read it as a hive's.
    #[test]
    fn an_installed_image_is_judged_by_the_image_rules() {
        use crate::fixtures::installed;
        let roots = ["C:\\Windows\\".to_string()];
        let temp = installed(0.0, 1, "C:\\Users\\bob\\AppData\\Local\\Temp\\a.exe");
        let flags = attention(&[], &[&temp], &[], &[], &roots);
        assert_eq!(
            ids(&flags),
            [
                Flag::UserWritableImage,
                Flag::NonStandardImageLocation,
                Flag::InstalledWithinLogs
            ]
        );
        let pipe = installed(0.0, 1, "cmd.exe /c echo x > \\\\.\\pipe\\x");
        let flags = ids(&attention(&[], &[&pipe], &[], &[], &roots));
        assert!(
            flags.contains(&Flag::InterpreterImage)
                && flags.contains(&Flag::NamedPipeImpersonation)
        );
        let calc = installed(0.0, 1, "C:\\Windows\\System32\\calc.exe");
        assert!(ids(&attention(&[], &[&calc], &[], &[], &roots))
            .contains(&Flag::NonServiceProgramImage));
    }
}
