//! Random round trips: events, files written by the forge and read back equal by konseki's
//! readers (over the evtx and mft crates). A small deterministic generator keeps failures
//! reproducible without a property-testing dependency; each case prints its seed on failure.

use jiff::{SignedDuration, Timestamp};
use konseki_evtx::{read_events, EventIdFilter};
use konseki_forge::evtx::{write_evtx, EvtxEvent};
use konseki_forge::mft::{write_mft, FileTimes, MftFile};

struct Rng(u64);

impl Rng {
    fn next(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }

    fn text(&mut self, max: u64) -> String {
        const ALPHABET: [&str; 12] = [
            "a", "Z", "0", " ", "\\", "é", "名", "%", "\"", "<", "&", "-",
        ];
        (0..1 + self.next(max))
            .map(|_| ALPHABET[self.next(12) as usize])
            .collect()
    }

    fn time(&mut self) -> Timestamp {
        let base: Timestamp = "2015-01-01T00:00:00Z".parse().unwrap();
        // 100 ns resolution, as FILETIME stores it.
        base + SignedDuration::from_nanos((self.next(1 << 50) * 100) as i64)
    }
}

fn temp(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("konseki-random-{name}-{}", std::process::id()))
}

#[test]
fn random_events_round_trip() {
    for seed in 1..=25u64 {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ seed);
        let events: Vec<EvtxEvent> = (0..1 + rng.next(400))
            .map(|_| {
                let id = 1 + rng.next(9000) as u16;
                let mut e = if rng.next(2) == 0 {
                    EvtxEvent::scm(
                        id,
                        [0x4000, 0xC000][rng.next(2) as usize],
                        rng.time(),
                        &rng.text(15),
                    )
                } else {
                    EvtxEvent::new(
                        "Microsoft-Windows-Security-Auditing",
                        "Security",
                        id,
                        rng.time(),
                        &rng.text(15),
                    )
                };
                for i in 0..rng.next(6) {
                    e = e.data(&format!("field{i}"), &rng.text(60));
                }
                if rng.next(2) == 0 {
                    e = e.binary_text(&rng.text(20));
                }
                if rng.next(2) == 0 {
                    e = e.user(&format!(
                        "S-1-5-21-{}-{}-1001",
                        rng.next(1 << 31),
                        rng.next(1 << 31)
                    ));
                }
                e
            })
            .collect();
        let path = temp(&format!("evtx-{seed}"));
        std::fs::write(&path, write_evtx(&events, 1 + rng.next(1 << 40))).unwrap();
        let mut read = Vec::new();
        let summary = read_events(&path, &EventIdFilter::new(1..=9001), |e| read.push(e)).unwrap();
        assert_eq!(
            (summary.records, summary.errors),
            (events.len() as u64, 0),
            "seed {seed}"
        );
        for (want, got) in events.iter().zip(&read) {
            let context = format!("seed {seed}, record {}", got.record_id);
            assert_eq!(got.event_id, want.event_id, "{context}");
            assert_eq!(got.qualifiers, want.qualifiers, "{context}");
            assert_eq!(got.time, want.time, "{context}");
            assert_eq!(&*got.provider, want.provider, "{context}");
            assert_eq!(&*got.computer, want.computer, "{context}");
            assert_eq!(
                got.user_sid.as_deref(),
                want.user_sid.as_deref(),
                "{context}"
            );
            let data: Vec<(&str, &str)> =
                got.data.iter().map(|(n, v)| (&**n, v.as_str())).collect();
            let wanted: Vec<(&str, &str)> = want
                .data
                .iter()
                .map(|(n, v)| (n.as_str(), v.as_str()))
                .collect();
            assert_eq!(data, wanted, "{context}");
            assert_eq!(got.binary, want.binary, "{context}");
        }
        std::fs::remove_file(&path).ok();
    }
}

#[test]
fn random_files_round_trip() {
    for seed in 1..=25u64 {
        let mut rng = Rng(0xd1b5_4a32_d192_ed03 ^ seed);
        let dirs = [
            "tmp",
            "Users\\alice\\AppData\\Local\\Temp",
            "Windows\\System32",
            "ProgramData\\x",
        ];
        let files: Vec<MftFile> = (0..1 + rng.next(60))
            .map(|i| {
                let dir = dirs[rng.next(dirs.len() as u64) as usize];
                let name = format!(
                    "f{i}-{}.bin",
                    rng.text(8).replace(['\\', '"', '<', '%'], "_")
                );
                let content: Vec<u8> = (0..rng.next(3) * rng.next(50_000))
                    .map(|b| b as u8)
                    .collect();
                MftFile {
                    path: format!("C:\\{dir}\\{name}"),
                    si: FileTimes {
                        created: rng.time(),
                        modified: rng.time(),
                        mft_modified: rng.time(),
                        accessed: rng.time(),
                    },
                    fn_times: FileTimes::all(rng.time()),
                    content,
                    dir: false,
                    deleted: false,
                }
            })
            .collect();
        let path = temp(&format!("mft-{seed}"));
        std::fs::write(&path, write_mft(&files)).unwrap();
        let mut read = Vec::new();
        let summary = konseki_mft::read_mft(&path, |r| read.push(r)).unwrap();
        assert!(
            summary.warnings.is_empty(),
            "seed {seed}: {:?}",
            summary.warnings
        );
        for want in &files {
            let rel = want.path.trim_start_matches("C:\\");
            let got = read
                .iter()
                .find(|r| r.path == rel)
                .unwrap_or_else(|| panic!("seed {seed}: {rel} missing"));
            let si = got.si.unwrap();
            assert_eq!(
                (si.created, si.modified, si.mft_modified, si.accessed),
                (
                    want.si.created,
                    want.si.modified,
                    want.si.mft_modified,
                    want.si.accessed
                ),
                "seed {seed}: {rel}"
            );
            assert_eq!(
                got.fn_times.unwrap().created,
                want.fn_times.created,
                "seed {seed}: {rel}"
            );
            assert_eq!(
                got.size,
                Some(want.content.len() as u64),
                "seed {seed}: {rel}"
            );
            assert!(got.in_use && !got.is_dir);
        }
        std::fs::remove_file(&path).ok();
    }
}
