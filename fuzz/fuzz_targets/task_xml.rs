//! A scheduled task's XML definition (as a task file or a 4698 event's TaskContent holds it).
#![no_main]

use std::path::Path;
use std::sync::Arc;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(xml) = std::str::from_utf8(data) else {
        return;
    };
    let source = konseki_model::Provenance::File {
        file: Arc::from(Path::new("task")),
    };
    let _ = konseki_extract::parse_task(xml, "\\task", source);
});
