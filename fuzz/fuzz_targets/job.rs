//! A Task Scheduler 1.0 `.job` file.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = konseki_job::parse(data);
});
