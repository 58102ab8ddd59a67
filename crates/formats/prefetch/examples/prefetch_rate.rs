//! Reads every `.pf` file under a directory, `ROUNDS` times, and prints files per second:
//! `prefetch_rate DIR [ROUNDS]` (for `bench/adapters.sh`).
fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            walk(&path, out);
        } else if path
            .extension()
            .is_some_and(|x| x.eq_ignore_ascii_case("pf"))
        {
            out.push(path);
        }
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = std::path::PathBuf::from(args.next().expect("usage: prefetch_rate DIR [ROUNDS]"));
    let rounds: u32 = args.next().and_then(|r| r.parse().ok()).unwrap_or(1);
    let mut files = Vec::new();
    walk(&dir, &mut files);
    let started = std::time::Instant::now();
    let (mut read, mut rejected) = (0u64, 0u64);
    for _ in 0..rounds {
        for f in &files {
            match konseki_prefetch::read_prefetch(f) {
                Ok(_) => read += 1,
                Err(_) => rejected += 1,
            }
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "konseki-prefetch: {read} files read ({rejected} rejected) in {seconds:.3} s = {:.0} files/s",
        (read + rejected) as f64 / seconds
    );
}
