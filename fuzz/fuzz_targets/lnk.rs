//! A shell link (`.lnk`) from a Startup folder.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(shortcut) = konseki_lnk::parse(data) {
        std::hint::black_box(shortcut.command_line());
    }
});
