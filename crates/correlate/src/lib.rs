//! konseki correlation: pure functions from the evidence model to conclusions.
//!
//! For each service: its lifecycle (installs, start attempts, runs with explicit time bounds),
//! a verdict (did the program run, for how long at most, did it stay), attention flags, and the
//! evidence chain behind each. One rule per module:
//! - [`lifecycle`]: SCM events + boot markers → run windows;
//! - [`verdict`]: runs → execution / residency verdict and its rationale;
//! - [`attention`]: configuration and events → reasons to look closer;
//! - [`control_set_diff`]: differences between control sets;
//! - [`file_activity`]: files created or modified inside each run window;
//! - [`process_activity`]: processes started inside it, children of the service program, survivors;
//! - [`program_check`]: what the service's program file (PE imports) says about its runs;
//! - [`prefetch_activity`]: Prefetch run times of the service's program;
//! - [`amcache_check`]: Amcache's record of the program file (presence, SHA-1);
//! - [`timeline`]: every dated fact, merged, each with the meaning of its time;
//! - [`autostart`]: Run keys and other autostart entries with their execution evidence;
//! - [`tasks`]: scheduled tasks, their life (registered, updated, deleted) and runs;
//! - [`boot_sessions`]: boot markers → each computer's boot sessions.
//!
//! The central rule: a 7009 ("timeout waiting for the service to connect") means the SCM
//! *created the process* and gave up on it; the program ran until then. "It timed out, so it did
//! not run" is the conclusion this crate exists to prevent.

pub mod amcache_check;
pub mod attention;
pub mod autostart;
mod autostart_files;
mod baseline;
mod boot_sessions;
mod case;
pub(crate) mod causality;
pub(crate) mod clock;
pub mod control_set_diff;
mod coverage;
mod describe;
pub mod execution;
pub mod file_activity;
#[cfg(test)]
mod fixtures;
mod hosts;
mod identity;
pub(crate) mod lifecycle;
pub mod prefetch_activity;
pub mod process_activity;
pub mod program_check;
mod report;
mod service_groups;
mod service_report;
pub mod severity;
pub mod stack;
pub mod tasks;
pub mod timeline;
pub mod verdict;

pub use case::{case_report, unique_labels};
pub use describe::{format_duration_at_most, win32_error_text};
pub use report::analyse;
