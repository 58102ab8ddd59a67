//! A service program's PE image: headers, import and delay-load tables, exports, hashes.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = konseki_pe::check(std::path::Path::new("x.exe"), data);
});
