//! The direct reader against the `evtx` crate's rendering, on every record of the corpus: for
//! each record the direct reader takes, the event must equal the one built from the rendered
//! JSON. Also checks that it takes nearly all records, so that this cannot pass by declining.

use std::path::{Path, PathBuf};

use evtx::EvtxParser;

use crate::direct::{read_record, Cache};
use crate::event::Event;
use crate::reader::one_thread;
use crate::scan::scan_chunk;

fn evtx_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            evtx_files(&path, out);
        } else if path.extension().is_some_and(|x| x == "evtx") {
            out.push(path);
        }
    }
}

/// (records compared, records the direct reader declined)
fn compare(path: &Path) -> (usize, usize) {
    let Ok(mut parser) = EvtxParser::from_path(path) else {
        return (0, 0);
    };
    let settings = one_thread();
    let (mut compared, mut declined) = (0, 0);
    for data in parser.chunks() {
        let Ok(mut data) = data else { continue };
        let Some(raw) = scan_chunk(&data.data, data.header.free_space_offset) else {
            continue;
        };
        let mut shapes = Cache::default();
        let direct: Vec<_> = raw
            .iter()
            .map(|r| {
                let event =
                    read_record(&data.data, r.offset as usize, r.size as usize, &mut shapes);
                (u64::from(r.offset), event)
            })
            .collect();
        let Ok(mut chunk) = data.parse(settings.clone()) else {
            continue;
        };
        for record in chunk.iter().flatten() {
            let offset = record.binxml_offset - 24;
            let (id, time) = (record.event_record_id, record.timestamp);
            let Ok(rendered) = record.into_json_value() else {
                continue;
            };
            let expected = Event::from_json(id, time, false, &rendered.data);
            let i = direct.binary_search_by_key(&offset, |(o, _)| *o).unwrap();
            match &direct[i].1 {
                Some(event) => {
                    assert_eq!(
                        Some(event),
                        expected.as_ref(),
                        "{} record {id}",
                        path.display()
                    );
                    compared += 1;
                }
                None => declined += 1,
            }
        }
    }
    (compared, declined)
}

#[test]
fn direct_reading_equals_rendering_on_every_corpus_record() {
    let Some(root) = konseki_testutil::corpus("evtx") else {
        return;
    };
    let mut files = Vec::new();
    evtx_files(&root, &mut files);
    let (mut compared, mut declined) = (0, 0);
    for file in &files {
        let (c, d) = compare(file);
        compared += c;
        declined += d;
    }
    eprintln!("{compared} records equal, {declined} declined");
    assert!(compared > 20_000, "{compared} compared");
    assert!(
        declined * 20 < compared,
        "{declined} declined of {compared}"
    );
}

/// Damaged input: every byte of a record area overwritten in turn (and random bursts) must give
/// a decline or an event, never a panic or an out-of-bounds read.
#[test]
fn damaged_chunks_never_panic() {
    let Some(path) = konseki_testutil::corpus("evtx/APTSimulatorVM-Win10/Security.evtx") else {
        return;
    };
    let mut parser = EvtxParser::from_path(&path).unwrap();
    let data = parser.chunks().next().unwrap().unwrap();
    let free = data.header.free_space_offset;
    let records = scan_chunk(&data.data, free).unwrap();
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let (first, second) = (records[0], records[1]);
    let span = first.offset as usize..(second.offset + second.size) as usize;
    let mut taken = 0;
    let mut chunk = data.data.clone();
    for at in span.clone() {
        for value in [0x00, 0xff, 0x0c, 0x21] {
            chunk[at] = value;
            for r in [first, second] {
                let mut shapes = Cache::default();
                let event = read_record(&chunk, r.offset as usize, r.size as usize, &mut shapes);
                taken += usize::from(event.is_some());
            }
        }
        chunk[at] = data.data[at];
    }
    for _ in 0..2000 {
        let burst: Vec<usize> = (0..8)
            .map(|_| span.start + (next() as usize) % span.len())
            .collect();
        for &at in &burst {
            chunk[at] = next() as u8;
        }
        let mut shapes = Cache::default();
        for r in [first, second] {
            let _ = read_record(&chunk, r.offset as usize, r.size as usize, &mut shapes);
        }
        for &at in &burst {
            chunk[at] = data.data[at];
        }
    }
    // Most single-byte changes hit values, not structure: they still read.
    assert!(taken > span.len(), "{taken} of {} read", span.len() * 8);
}
