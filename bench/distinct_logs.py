#!/usr/bin/env python3
"""Distinct event logs for benchmarks: copies of real logs whose records are all different.

Copies of the same files are nearly free to konseki (a record held twice is read once), so a
benchmark on copies measures the wrong thing. Each copy written here has its records' ids moved
by a different amount (in the record headers, the chunk headers and the file header) and every
checksum recomputed (the file header's, each chunk header's, each chunk's records'): to the
reader each record of each copy is a record of its own, read, decoded and correlated. The
records' content, and so their EventRecordID and times, are the original's; the logs read as
exported copies (their header ids differ from EventRecordID), which changes nothing of the work.

Layout (libevtx, "Windows XML Event Log (EVTX) format"): file header, 4096 bytes, CRC32 of its
first 120 bytes at 124; chunks of 65536 bytes, each header 512 bytes with the first and last
record number and id at 8, 16, 24, 32, the free-space offset at 48, the CRC32 of the records'
bytes (512 to the free-space offset) at 52, and the CRC32 of bytes 0-120 and 128-512 at 124;
records `2A 2A 00 00`, u32 size, u64 id, u64 FILETIME.

Usage: bench/distinct_logs.py SOURCE_DIR OUT_DIR TARGET_MB
"""
import os
import struct
import sys
import zlib

HEADER, CHUNK = 0x1000, 0x10000
MASK = (1 << 64) - 1


def shifted(data: bytes, shift: int) -> bytes:
    out = bytearray(data)
    if len(out) < HEADER or out[:8] != b"ElfFile\0":
        return bytes(out)
    # File header: next record identifier.
    (next_id,) = struct.unpack_from("<Q", out, 24)
    struct.pack_into("<Q", out, 24, (next_id + shift) & MASK)
    struct.pack_into("<I", out, 124, zlib.crc32(out[:120]))
    for at in range(HEADER, len(out) - CHUNK + 1, CHUNK):
        chunk = memoryview(out)[at : at + CHUNK]
        if chunk[:8] != b"ElfChnk\0":
            continue
        for field in (8, 16, 24, 32):
            (value,) = struct.unpack_from("<Q", chunk, field)
            struct.pack_into("<Q", chunk, field, (value + shift) & MASK)
        (free,) = struct.unpack_from("<I", chunk, 48)
        free = min(free, CHUNK)
        record = 512
        while record + 24 <= free and chunk[record : record + 4] == b"\x2a\x2a\x00\x00":
            (size,) = struct.unpack_from("<I", chunk, record + 4)
            if size < 28 or record + size > free:
                break
            (rid,) = struct.unpack_from("<Q", chunk, record + 8)
            struct.pack_into("<Q", chunk, record + 8, (rid + shift) & MASK)
            record += size
        struct.pack_into("<I", chunk, 52, zlib.crc32(chunk[512:free]))
        struct.pack_into("<I", chunk, 124, zlib.crc32(bytes(chunk[:120]) + bytes(chunk[128:512])))
    return bytes(out)


def main() -> None:
    source, out, target_mb = sys.argv[1], sys.argv[2], int(sys.argv[3])
    logs = []
    for folder, _, names in os.walk(source):
        for name in sorted(names):
            path = os.path.join(folder, name)
            with open(path, "rb") as f:
                if f.read(8) == b"ElfFile\0":
                    logs.append(path)
    originals = [(p, open(p, "rb").read()) for p in logs]
    total = sum(len(d) for _, d in originals)
    copies = max(1, -(-target_mb * 1024 * 1024 // total))
    for k in range(copies):
        folder = os.path.join(out, f"copy{k:03}")
        os.makedirs(folder, exist_ok=True)
        for i, (path, data) in enumerate(originals):
            name = f"{i:02}-{os.path.basename(path)}"
            with open(os.path.join(folder, name), "wb") as f:
                f.write(shifted(data, (k + 1) * 10_000_000))
    print(f"{copies} copies of {len(logs)} logs ({total / 1048576:.1f} MB each set) in {out}")


if __name__ == "__main__":
    main()
