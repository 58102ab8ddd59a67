//! konseki's artifact forge: writes files in the real on-disk formats from typed descriptions,
//! so that tests and the built-in demo can replay cases no public evidence set contains (a plain
//! EXE started as a service, killed at the ServicesPipeTimeout after it wrote a file).
//!
//! Every writer is checked by independent parsers in tests (the `evtx` crate and python-evtx for
//! EVTX). Writers never read evidence; they only produce bytes.
//!
//! ```
//! use konseki_forge::evtx::{write_evtx, EvtxEvent};
//! let time = "2026-01-05T08:00:30Z".parse().unwrap();
//! let event = EvtxEvent::scm(7009, 0xC000, time, "HOST")
//!     .data("param1", "30000")
//!     .data("param2", "test")
//!     .binary_text("test");
//! let bytes = write_evtx(&[event], 1);
//! assert!(bytes.starts_with(b"ElfFile\0"));
//! ```

pub mod evtx;
pub mod lnk;
pub mod mft;
pub mod pe;
pub mod regf;
pub mod scenario;
