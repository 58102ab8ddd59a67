//! An EVTX log through konseki's reader: the raw chunk walk (first pass), the direct decoder of
//! template values and the `evtx` crate's rendering of what it declines (second pass), every
//! event id wanted.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = common::as_file("System.evtx", data);
    let filter = konseki_evtx::EventIdFilter::new(0..=u16::MAX);
    let _ = konseki_evtx::read_events(&path, &filter, |event| {
        std::hint::black_box(event);
    });
});
