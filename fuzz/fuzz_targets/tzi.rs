//! A time zone's `TZI` value (TimeZoneInformation, Dynamic DST years): its biases and change
//! dates, then a local time converted with them (the change dates' arithmetic).
#![no_main]

use std::path::Path;
use std::sync::Arc;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some(rules) = konseki_extract::tzi_rules(data) else {
        return;
    };
    let zone = konseki_model::TimeZone {
        name: "fuzzed".into(),
        rules,
        daylight_disabled: false,
        yearly: Vec::new(),
        source: konseki_model::Provenance::File {
            file: Arc::from(Path::new("SYSTEM")),
        },
    };
    for local in ["2022-03-10T15:59:03", "2022-10-30T02:30:00", "1601-01-01T00:00:00"] {
        std::hint::black_box(zone.to_utc(local));
    }
});
