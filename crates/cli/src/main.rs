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

fn main() -> ExitCode {
    let args = args::Args::parse();
    match commands::run(args) {
        Ok(code) => code,
        Err(err) => {
            if is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            eprintln!("konseki: error: {err:#}");
            ExitCode::from(EXIT_FAILURE)
        }
    }
}

/// `konseki scan … | head` must not end in an error.
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
