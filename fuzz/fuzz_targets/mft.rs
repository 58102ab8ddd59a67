//! An $MFT: FILE records (fixups, attributes, names, data runs) and full paths.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = common::as_file("$MFT", data);
    let _ = konseki_mft::read_mft(&path, |record| {
        std::hint::black_box(record);
    });
});
