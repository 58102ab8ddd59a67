//! `konseki explain PATH SERVICE`: the narrative for one service.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

/// Exit code when the named service is not in the evidence.
const EXIT_SERVICE_NOT_FOUND: u8 = 3;

pub fn run(
    path: &Path,
    service: &str,
    quiet: bool,
    locations: &[konseki_extract::autostart::defs::Location],
) -> anyhow::Result<ExitCode> {
    let report = super::scan::build_report(&[path.to_path_buf()], quiet, locations)?;
    match konseki_render::explain(&report, service) {
        Some(text) => {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())?;
            Ok(ExitCode::SUCCESS)
        }
        None => {
            eprintln!(
                "konseki: no service `{service}` in the evidence under {} (neither a key name nor a display name)",
                path.display()
            );
            Ok(ExitCode::from(EXIT_SERVICE_NOT_FOUND))
        }
    }
}
