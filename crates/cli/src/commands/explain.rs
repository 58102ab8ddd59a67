//! `konseki explain PATH… NAME`: the narrative for one entity (a service, an autostart entry, a
//! scheduled task), named by its name or by the program it runs.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use konseki_render::Explanation;

/// Exit code when no single entity answers to the name (none, or several: they are listed).
const EXIT_NOT_ONE_ENTITY: u8 = 3;

pub fn run(
    paths: &[PathBuf],
    name: &str,
    quiet: bool,
    locations: &[konseki_extract::autostart::defs::Location],
) -> anyhow::Result<ExitCode> {
    let report = super::scan::build_report(paths, quiet, locations)?;
    let under = paths
        .iter()
        .map(|p| konseki_render::terminal_path(p))
        .collect::<Vec<_>>()
        .join(", ");
    match konseki_render::explain(&report, name) {
        Explanation::One(text) => {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())?;
            Ok(ExitCode::SUCCESS)
        }
        Explanation::Several(candidates) => {
            eprintln!(
                "konseki: {} entities answer to `{}` under {}; name one of them:",
                candidates.len(),
                konseki_render::terminal_safe(name),
                under
            );
            for line in candidates {
                eprintln!("  {line}");
            }
            Ok(ExitCode::from(EXIT_NOT_ONE_ENTITY))
        }
        Explanation::NotFound => {
            eprintln!(
                "konseki: nothing named `{}` in the evidence under {} (no service key or display name, autostart entry, task, or program path)",
                konseki_render::terminal_safe(name),
                under
            );
            Ok(ExitCode::from(EXIT_NOT_ONE_ENTITY))
        }
    }
}
