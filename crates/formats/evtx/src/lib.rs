//! Streaming reader of Windows XML Event Log (EVTX) files, over the `evtx` crate.
//!
//! konseki wants a few dozen event ids out of logs that hold millions of records. Rendering every
//! record to JSON costs ~10× more than reading it (see `docs/formats.md`, "EVTX"), so this reader takes the
//! EventID from the record's template substitution values where it can (slot 3 of Windows'
//! standard `System` template) and counts the rest for the log's coverage summary.
//!
//! The wanted records are read straight from their substitution values too: each template
//! definition is read once per chunk into a template shape (which value is the channel,
//! which is `EventData/Data[@Name='ImagePath']`…), and the direct reader builds the event from the
//! values alone. Records of any other shape are rendered by the `evtx` crate as before; a test
//! checks on every record of the corpus that both paths give the same event.
//!
//! Reading is two passes ([`index_log`], then [`read_indexed`]): the first counts every record and
//! notes where the wanted ones are, with a [`RecordKey`] that identifies a record across copies
//! of its log; the second decodes only the records the caller keeps. [`read_events`] does both.
//!
//! The first pass reads the chunks straight from the file, one read each, a large log in parts
//! on several cores, and puts them in the order the crate iterates them (oldest first, as Windows
//! reads a log that wrapped around); the crate's parser reads the file header and any chunk the
//! raw scan finds damaged.
//!
//! Every chunk with a valid `ElfChnk` signature is read, not only the header's chunk count:
//! dirty logs undercount (see `docs/formats.md`, "EVTX"). Damaged records and chunks become
//! [`ReadWarning`]s that name the file offset; reading goes on.
//!
//! ```no_run
//! use konseki_evtx::{read_events, EventIdFilter};
//! let filter = EventIdFilter::new([7009, 7045]);
//! let summary = read_events("System.evtx".as_ref(), &filter, |event| {
//!     println!("{} {} {:?}", event.record_id, event.event_id, event.data);
//! })
//! .unwrap();
//! println!("{} records", summary.records);
//! ```
#![deny(missing_docs)]

mod direct;
#[cfg(test)]
mod direct_vs_rendered;
mod event;
mod reader;
mod record_runs;
mod scan;
mod template;
mod walk;

pub use event::Event;
pub use reader::{
    index_log, read_events, read_indexed, ChannelSpan, EventIdFilter, EvtxError, LogIndex,
    LogSummary, ReadWarning, RecordKey, RecordKeyHasher,
};
pub use record_runs::{RecordRun, RecordRuns};
