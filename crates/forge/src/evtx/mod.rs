//! EVTX writer: file header, 64 KiB chunks with their string and template tables and CRC32s,
//! records whose BinXML is a template instance (as Windows writes them).
//!
//! References: MS-EVEN6 (BinXml), libevtx "Windows XML Event Log (EVTX) format" (file header,
//! chunk header, record layout, token values). Checked against the records of
//! `corpus/evtx/*.evtx`: a record is `0F 01 01 00` (fragment header), `0C` (template instance),
//! the template definition inline on its first use in a chunk, then the substitution array.

mod binxml;
mod event;
pub(crate) mod file;

pub use event::EvtxEvent;
pub(crate) use file::filetime;
pub use file::write_evtx;
