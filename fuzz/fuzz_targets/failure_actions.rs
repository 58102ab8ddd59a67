//! A service's FailureActions value.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = konseki_registry::parse_failure_actions(data);
});
