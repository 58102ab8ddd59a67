//! Reads every entry of an $MFT, `ROUNDS` times, and prints entries per second:
//! `mft_rate PATH [ROUNDS]` (for `bench/adapters.sh`).
fn main() {
    let mut args = std::env::args().skip(1);
    let path = std::path::PathBuf::from(args.next().expect("usage: mft_rate PATH [ROUNDS]"));
    let rounds: u32 = args.next().and_then(|r| r.parse().ok()).unwrap_or(1);
    let started = std::time::Instant::now();
    let mut entries = 0u64;
    for _ in 0..rounds {
        konseki_mft::read_mft(&path, |_| entries += 1).expect("readable $MFT");
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "konseki-mft: {entries} entries in {seconds:.3} s = {:.0} entries/s",
        entries as f64 / seconds
    );
}
