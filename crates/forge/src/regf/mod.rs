//! regf (registry hive) writer: base block with its XOR checksum, hive bins of 4 KiB multiples,
//! nk/vk/sk cells, lh subkey lists (ri above [`LH_MAX`] entries), value lists, big data (db) for
//! values over 16344 bytes, and a last-write time per key.
//!
//! Reference: Maxim Suhanov, "Windows registry file format specification" (base block, hive bin,
//! cells: nk, vk, sk, lh, ri, db).

mod cells;
mod copy;
mod key;

pub use copy::read_tree;
pub use key::{RegData, RegKey};

/// A hive whose every key and value is `root`'s tree, as a clean primary file.
pub fn write_hive(root: &RegKey) -> Vec<u8> {
    cells::HiveWriter::write(root)
}

/// The most entries one lh list holds before the writer splits the list under an ri cell.
pub const LH_MAX: usize = 512;
