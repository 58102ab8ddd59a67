//! A Prefetch file, compressed (MAM, Xpress-Huffman) or not.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = konseki_prefetch::parse(std::path::Path::new("X.pf"), data);
});
