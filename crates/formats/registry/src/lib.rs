//! Offline registry hive reader for konseki, over `notatin`.
//!
//! What this adapter adds to notatin:
//! - it says whether the hive was **dirty** (primary ≠ secondary sequence number) and whether
//!   transaction logs were **replayed**, and it detects old-format (Vista/7, `DIRT`) logs that
//!   notatin silently does not apply (see `docs/formats.md`, "Registry hives");
//! - typed values ([`Data`]) that keep the registry type (REG_SZ vs REG_EXPAND_SZ matters for
//!   ImagePath) and key last-write times as `jiff` timestamps;
//! - a panic guard: notatin is third-party code fed with attacker-controlled bytes.
//!
//! ```no_run
//! use konseki_registry::Hive;
//! let mut hive = Hive::open("SYSTEM".as_ref(), &[]).unwrap();
//! if let Some(select) = hive.key("Select") {
//!     println!("{:?} written {:?}", select.value("Current"), select.last_written);
//! }
//! ```
#![deny(missing_docs)]

mod base_block;
mod failure_actions;
mod hive;
mod key;

pub use base_block::{sniff_log, BaseBlock, LogFormat};
pub use failure_actions::{parse_failure_actions, FailureActionsError, RawFailureActions};
pub use hive::{in_guarded_parser, Hive, HiveError, HiveInfo, LogFileInfo, MAX_HIVE_BYTES};
pub use key::{Data, Key, Value};
