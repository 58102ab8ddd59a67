//! Prints the chosen events of one log, one line each: `dump_ids FILE ID...`.
fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().expect("usage: dump_ids FILE ID...");
    let ids: Vec<u16> = args.filter_map(|a| a.parse().ok()).collect();
    let filter = konseki_evtx::EventIdFilter::new(ids);
    match konseki_evtx::read_events(path.as_ref(), &filter, |e| println!("{e:?}")) {
        Ok(summary) => eprintln!("{summary:?}"),
        Err(e) => eprintln!("error: {e}"),
    }
}
