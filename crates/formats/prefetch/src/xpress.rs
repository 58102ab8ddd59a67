//! Xpress-Huffman (LZ77+Huffman) decompression, MS-XCA §2.2.4, as Windows 10 and later compress
//! Prefetch files. Table-driven: each block's 512 code lengths become a lookup table indexed by
//! the next 10 bits of the stream (small enough to stay in the first-level cache, and cheap to
//! build for each 64 KiB block), so a symbol costs one load, not a walk down a tree; the rare
//! longer codes are decoded canonically.
//!
//! Why our own: the `xpress-huffman` crate decodes one bit at a time through a tree, and on the
//! corpus its decoding was most of the Prefetch reader's time (`docs/formats.md`, "Prefetch",
//! with the measurement). Its output is the reference this decoder is tested against on every
//! compressed Prefetch file of the corpus.
//!
//! Every length and offset read from the input is checked: damaged input is an error, never a
//! panic or a read out of bounds.

/// Why a stream could not be decompressed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum XpressError {
    /// The input ended inside a block's code-length table or a match's length.
    Truncated,
    /// A block's code lengths do not describe a complete prefix code.
    BadTable,
    /// A match reaches before the start of the output.
    BadOffset,
    /// An extended match length below its minimum.
    BadLength,
}

impl std::fmt::Display for XpressError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            XpressError::Truncated => "input ends early",
            XpressError::BadTable => "invalid Huffman code lengths",
            XpressError::BadOffset => "match offset before the start of the output",
            XpressError::BadLength => "invalid match length",
        })
    }
}

const SYMBOLS: usize = 512;
/// Codes up to this long are decoded by one lookup; longer ones (rare) canonically.
const FAST_BITS: u32 = 10;
const BLOCK: usize = 65_536;

/// Decompresses `input` into `size` bytes.
pub fn decompress(input: &[u8], size: usize) -> Result<Vec<u8>, XpressError> {
    let mut out: Vec<u8> = Vec::with_capacity(size);
    let mut code = Code::new();
    let mut at = 0;
    while out.len() < size {
        let header = input.get(at..at + 256).ok_or(XpressError::Truncated)?;
        code.read(header)?;
        at += 256;
        let mut bits = Bits::new(input, at);
        let block_end = (out.len() + BLOCK).min(size);
        while out.len() < block_end {
            let (symbol, length) = code.decode(bits.peek())?;
            bits.consume(length);
            if symbol < 256 {
                out.push(symbol as u8);
                continue;
            }
            // 256 once the input is spent is the end of the stream, even when the container
            // announced more (Windows writes some Prefetch files one byte short of their size).
            if symbol == 256 && bits.position() >= input.len() {
                return Ok(out);
            }
            let symbol = symbol - 256;
            let offset_bits = (symbol >> 4) as u32;
            let mut length = symbol & 15;
            if length == 15 {
                length = usize::from(bits.byte().ok_or(XpressError::Truncated)?);
                if length == 255 {
                    length = usize::from(bits.word().ok_or(XpressError::Truncated)?);
                    if length < 15 {
                        return Err(XpressError::BadLength);
                    }
                    length -= 15;
                }
                length += 15;
            }
            length += 3;
            let extra = if offset_bits == 0 {
                0
            } else {
                bits.peek() >> (32 - offset_bits)
            };
            bits.consume(offset_bits);
            let offset = (1usize << offset_bits) + extra as usize;
            let from = out
                .len()
                .checked_sub(offset)
                .ok_or(XpressError::BadOffset)?;
            // A match may run past its block and the output's end: it stops at the size.
            let length = length.min(size - out.len());
            if offset == 1 {
                // A run of one byte (Prefetch files hold long runs of zeros).
                let byte = out[from];
                out.resize(out.len() + length, byte);
            } else {
                // Overlapping when shorter than the match: copied a period at a time, each
                // period being bytes this match has just written.
                let mut left = length;
                while left > 0 {
                    let start = out.len() - offset;
                    let n = left.min(offset);
                    out.extend_from_within(start..start + n);
                    left -= n;
                }
            }
        }
        at = bits.position();
    }
    Ok(out)
}

/// One block's code: a lookup table for the short codes, and the canonical code's counts and
/// sorted symbols for the long ones (MS-XCA §2.2.4: codes are assigned in order of length, then
/// of symbol value).
struct Code {
    /// By the next [`FAST_BITS`] bits: symbol << 4 | length, or [`LONG`] for a longer code, or
    /// [`UNUSED`] for bits no code starts with.
    fast: Vec<u16>,
    lengths: [u8; SYMBOLS],
    /// Symbols sorted by (length, value), and where each length's begin among them.
    sorted: Vec<u16>,
    count: [u16; 16],
    first: [u32; 16],
    start: [u16; 16],
}

const LONG: u16 = u16::MAX - 1;
/// Bits no code reaches (an incomplete code): a stream that reads them is invalid.
const UNUSED: u16 = u16::MAX;

impl Code {
    fn new() -> Code {
        Code {
            fast: vec![UNUSED; 1 << FAST_BITS],
            lengths: [0; SYMBOLS],
            sorted: Vec::with_capacity(SYMBOLS),
            count: [0; 16],
            first: [0; 16],
            start: [0; 16],
        }
    }

    /// Reads a block's 256-byte table of 4-bit code lengths.
    fn read(&mut self, header: &[u8]) -> Result<(), XpressError> {
        for (i, byte) in header.iter().enumerate() {
            self.lengths[2 * i] = byte & 0x0f;
            self.lengths[2 * i + 1] = byte >> 4;
        }
        self.count = [0; 16];
        for &l in &self.lengths {
            self.count[usize::from(l)] += 1;
        }
        self.count[0] = 0;
        // Canonical codes, most significant bit first: each length's first code follows the
        // previous length's last; no length may hold more codes than it has patterns.
        let (mut code, mut index) = (0u32, 0u16);
        for length in 1..16 {
            code <<= 1;
            self.first[length] = code;
            self.start[length] = index;
            code += u32::from(self.count[length]);
            index += self.count[length];
            if code > 1 << length {
                return Err(XpressError::BadTable);
            }
        }
        if index == 0 {
            return Err(XpressError::BadTable);
        }
        self.sorted.clear();
        for length in 1..16u8 {
            for (symbol, _) in self
                .lengths
                .iter()
                .enumerate()
                .filter(|(_, l)| **l == length)
            {
                self.sorted.push(symbol as u16);
            }
        }
        self.fast.fill(UNUSED);
        for (rank, &symbol) in self.sorted.iter().enumerate() {
            let length = u32::from(self.lengths[usize::from(symbol)]);
            let code = self.first[length as usize]
                + (rank as u32 - u32::from(self.start[length as usize]));
            if length <= FAST_BITS {
                let span = 1usize << (FAST_BITS - length);
                let at = (code as usize) << (FAST_BITS - length);
                self.fast[at..at + span].fill((symbol << 4) | length as u16);
            } else {
                self.fast[(code >> (length - FAST_BITS)) as usize] = LONG;
            }
        }
        Ok(())
    }

    /// The symbol the window begins with, and its length.
    fn decode(&self, window: u32) -> Result<(usize, u32), XpressError> {
        let entry = self.fast[(window >> (32 - FAST_BITS)) as usize];
        if entry < LONG {
            return Ok((usize::from(entry >> 4), u32::from(entry & 15)));
        }
        if entry == LONG {
            for length in FAST_BITS + 1..16 {
                let code = window >> (32 - length);
                let offset = code.wrapping_sub(self.first[length as usize]);
                if offset < u32::from(self.count[length as usize]) {
                    let rank = usize::from(self.start[length as usize]) + offset as usize;
                    return Ok((usize::from(self.sorted[rank]), length));
                }
            }
        }
        Err(XpressError::BadTable)
    }
}

/// The bit stream: 16-bit little-endian words, most significant bit first, read into a 32-bit
/// window; bytes and words of extended lengths are read from the input between them.
struct Bits<'a> {
    input: &'a [u8],
    at: usize,
    window: u32,
    /// Bits of the window not yet consumed beyond the 16 always held.
    extra: i32,
}

impl<'a> Bits<'a> {
    fn new(input: &'a [u8], at: usize) -> Bits<'a> {
        let mut bits = Bits {
            input,
            at,
            window: 0,
            extra: 16,
        };
        let high = bits.next_word();
        let low = bits.next_word();
        bits.window = (u32::from(high) << 16) | u32::from(low);
        bits
    }

    /// The next 16-bit word of the input; past its end, zero (the spec's decoder reads past
    /// the last word by construction; a stream that uses those bits is cut short anyway).
    fn next_word(&mut self) -> u16 {
        let word = match self.input.get(self.at..self.at + 2) {
            Some(w) => u16::from_le_bytes([w[0], w[1]]),
            None => 0,
        };
        self.at += 2;
        word
    }

    fn peek(&self) -> u32 {
        self.window
    }

    fn consume(&mut self, count: u32) {
        if count == 0 {
            return;
        }
        self.window = self.window.checked_shl(count).unwrap_or(0);
        self.extra -= count as i32;
        if self.extra < 0 {
            let word = u32::from(self.next_word());
            self.window |= word << (-self.extra) as u32;
            self.extra += 16;
        }
    }

    fn byte(&mut self) -> Option<u8> {
        let byte = *self.input.get(self.at)?;
        self.at += 1;
        Some(byte)
    }

    fn word(&mut self) -> Option<u16> {
        let w = self.input.get(self.at..self.at + 2)?;
        self.at += 2;
        Some(u16::from_le_bytes([w[0], w[1]]))
    }

    fn position(&self) -> usize {
        self.at
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn damaged_streams_are_errors_not_panics() {
        assert_eq!(decompress(&[], 10), Err(XpressError::Truncated));
        assert_eq!(decompress(&[0u8; 256], 10), Err(XpressError::BadTable));
        // Every symbol 9 bits long: 512 × 2^6 slots fill the table exactly.
        let mut all = vec![0x99u8; 256];
        all.extend([0xff; 64]);
        let _ = decompress(&all, 100);
        // Lengths that overfill the table.
        assert_eq!(decompress(&[0x11u8; 256], 10), Err(XpressError::BadTable));
        assert_eq!(decompress(&[], 0), Ok(Vec::new()));
    }
}
