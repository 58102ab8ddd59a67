//! A registry hive through konseki's whole hive path: the adapter over notatin (bounded reads,
//! log checks, panic guard), every reader that walks keys (services and control sets, autostart
//! locations, the TaskCache tree, Amcache), by discovery as an evidence folder would be.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;

fuzz_target!(
    init: common::abort_on_uncaught_panics(),
    |data: &[u8]| {
        let path = common::as_file("SYSTEM", data);
        let root = path.parent().unwrap().to_path_buf();
        let _ = konseki_extract::extract(&[root], &konseki_extract::NoProgress);
    }
);
