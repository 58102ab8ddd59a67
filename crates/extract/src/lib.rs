//! konseki extraction: find the evidence under a path, read it with the format adapters, and turn
//! it into the evidence model. One module per mechanism.
//!
//! ```no_run
//! let extracted = konseki_extract::extract(&["evidence/".into()], &konseki_extract::NoProgress);
//! let events: usize = extracted.events.iter().map(Vec::len).sum();
//! println!("{} services, {events} SCM events", extracted.services.len());
//! ```

mod amcache;
pub mod autostart;
mod containers;
mod discover;
mod error;
mod hive_role;
mod hives;
mod host_split;
mod image_path;
mod logs;
mod loose;
mod prefetch;
mod programs;
mod progress;
mod registry_target;
mod scan;
mod scope;
mod service_changes;
mod service_events;
mod services;
mod shared_text;
mod software;
mod task_cache;
mod tasks;
mod time_zones;
mod volumes;

pub use amcache::read_amcache;
pub use discover::{discover, Discovered};
pub use error::{Cause, ReadError};
pub use hive_role::HiveRole;
pub use image_path::{normalize_image_path, WindowsPaths};
pub use konseki_registry::in_guarded_parser;
pub use progress::{NoProgress, Progress};
pub use scan::{extract, extract_hosts, extract_with};
pub use scope::Scope;
pub use service_events::{resolve_display_names, scm_event_ids};
pub use services::{read_system_hive, SystemHive};
pub use software::read_windows_paths;
pub use tasks::parse_task;
pub use time_zones::tzi_rules;
