//! Times reading every EVTX under a directory with a given filter: `read_all DIR ID...`.
fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(&p, out)
        } else if p.extension().is_some_and(|x| x == "evtx") {
            out.push(p)
        }
    }
}
fn main() {
    let mut args = std::env::args().skip(1);
    let dir: std::path::PathBuf = args.next().unwrap().into();
    let ids: Vec<u16> = args.filter_map(|a| a.parse().ok()).collect();
    let mut files = Vec::new();
    walk(&dir, &mut files);
    let filter = konseki_evtx::EventIdFilter::new(ids);
    let t = std::time::Instant::now();
    let (mut records, mut matched) = (0, 0);
    for f in &files {
        if let Ok(s) = konseki_evtx::read_events(f, &filter, |_| matched += 1) {
            records += s.records
        }
    }
    eprintln!(
        "{} files, {records} records, {matched} matched in {:?}",
        files.len(),
        t.elapsed()
    );
}
