//! Writes an $MFT of `N` files in 100 folders, for benchmarks: `big_mft N OUT`.
fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args
        .next()
        .and_then(|a| a.parse().ok())
        .expect("usage: big_mft N OUT");
    let out = args.next().expect("usage: big_mft N OUT");
    let t = "2026-01-05T08:00:00Z".parse().unwrap();
    let files: Vec<konseki_forge::mft::MftFile> = (0..n)
        .map(|i| {
            konseki_forge::mft::MftFile::new(
                &format!("C:\\data\\folder{:03}\\file{i:07}.txt", i % 100),
                t,
                b"konseki benchmark",
            )
        })
        .collect();
    std::fs::write(out, konseki_forge::mft::write_mft(&files)).unwrap();
}
