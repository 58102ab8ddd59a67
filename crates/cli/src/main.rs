//! `konseki`: did the persisted program run? A thin main: parse arguments, run the command, turn
//! errors into a message and an exit code (documented in README.md, "Exit codes").

mod args;
mod commands;
mod output;
mod progress;

use std::process::ExitCode;

use clap::Parser;

/// Exit code when the command could not do its job (unreadable input, nothing to read, I/O).
const EXIT_FAILURE: u8 = 1;

/// Exit code when writing was refused because it would touch the evidence (`-o` onto or into
/// an input) or existing files (`demo` into a non-empty folder).
const EXIT_REFUSED: u8 = 4;

/// Exit code when disk images were opened and none holds a Windows system volume.
const EXIT_NO_WINDOWS_VOLUME: u8 = 5;

fn main() -> ExitCode {
    quiet_parser_panics();
    let args = args::Args::parse();
    match commands::run(args) {
        Ok(code) => code,
        Err(err) => {
            if is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            eprintln!("konseki: error: {err:#}");
            if err.downcast_ref::<output::Refused>().is_some() {
                return ExitCode::from(EXIT_REFUSED);
            }
            if err
                .downcast_ref::<commands::scan::NoWindowsVolume>()
                .is_some()
            {
                return ExitCode::from(EXIT_NO_WINDOWS_VOLUME);
            }
            ExitCode::from(EXIT_FAILURE)
        }
    }
}

/// A panic inside a guarded third-party parser is damage in the evidence: it is caught and
/// reported as a warning in the output, so nothing (no message, no backtrace) goes to stderr.
/// Any other panic is a bug in konseki and keeps the default report.
fn quiet_parser_panics() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !konseki_extract::in_guarded_parser() {
            default(info);
        }
    }));
}

/// `konseki scan … | head` must not end in an error.
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
