//! Shared by the targets whose parser reads a file: the input is written to a file of this
//! process's own in memory-backed /dev/shm (the readers open evidence by path, read-only).

use std::path::PathBuf;

/// `data` written to a file named `name` in a folder of this process's own; its path.
pub fn as_file(name: &str, data: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("konseki-fuzz-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a scratch folder");
    let path = dir.join(name);
    std::fs::write(&path, data).expect("the input written");
    path
}

/// libFuzzer's panic hook aborts on every panic, even one the code under test catches. The
/// registry adapter catches notatin's panics on damaged cells (they become warnings in the
/// report), so those are let through here; any other panic is still a crash.
#[allow(dead_code)] // used by the targets whose parsers catch panics (hive)
pub fn abort_on_uncaught_panics() {
    std::panic::set_hook(Box::new(|info| {
        if konseki_registry::in_guarded_parser() {
            return;
        }
        eprintln!("{info}");
        std::process::abort();
    }));
}
