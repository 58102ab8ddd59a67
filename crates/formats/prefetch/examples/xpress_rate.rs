//! Decompresses every MAM Prefetch file under a directory `ROUNDS` times with our decoder and
//! with the `xpress-huffman` crate, and prints the time of each (for `docs/formats.md`):
//! `xpress_rate DIR [ROUNDS]`.
fn main() {
    let mut args = std::env::args().skip(1);
    let dir = std::path::PathBuf::from(args.next().expect("usage: xpress_rate DIR [ROUNDS]"));
    let rounds: u32 = args.next().and_then(|r| r.parse().ok()).unwrap_or(10);
    let mut files = Vec::new();
    let mut dirs = vec![dir];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                dirs.push(p);
            } else if let Ok(data) = std::fs::read(&p) {
                if data.starts_with(b"MAM\x04") {
                    files.push(data);
                }
            }
        }
    }
    let bytes: usize = files.iter().map(|d| d.len()).sum();
    let time = |f: &dyn Fn(&[u8], usize) -> usize| {
        let started = std::time::Instant::now();
        let mut out = 0;
        for _ in 0..rounds {
            for d in &files {
                let size = u32::from_le_bytes(d[4..8].try_into().unwrap()) as usize;
                out += f(&d[8..], size);
            }
        }
        (started.elapsed().as_secs_f64(), out)
    };
    let (ours, a) = time(&|d, s| konseki_prefetch::xpress::decompress(d, s).map_or(0, |v| v.len()));
    let (crate_, b) = time(&|d, s| xpress_huffman::decompress(d, s).map_or(0, |v| v.len()));
    println!(
        "{} files, {} KB compressed, {rounds} rounds: ours {ours:.3} s ({a} bytes out), xpress-huffman {crate_:.3} s ({b} bytes out): {:.1}x",
        files.len(),
        bytes / 1024,
        crate_ / ours
    );
}
