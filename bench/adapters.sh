#!/usr/bin/env bash
# Adapter benchmarks: konseki's $MFT reader next to the mft crate's own `mft_dump` on the same
# file (a forged $MFT of 200,000 files: the corpus's NIST one has 117 entries), and the Prefetch
# reader over the corpus's Prefetch files (files/s; libscca's `sccainfo`
# per file beside it when installed). Warm cache; hyperfine for wall times.
#
# Needs: hyperfine; mft_dump (`cargo install mft --version 0.9.1 --locked`) and sccainfo
# (Debian libscca-utils) are used when present.
# Usage: bench/adapters.sh [FILES]   (default 200000 files in the forged $MFT)
set -euo pipefail
cd "$(dirname "$0")/.."

corpus=../shared/corpus
files=${1:-200000}
command -v hyperfine >/dev/null || { echo "bench: hyperfine is needed" >&2; exit 1; }
cargo build --release --locked -q --example mft_rate -p konseki-mft --example prefetch_rate -p konseki-prefetch --example big_mft -p konseki-forge
bin=$PWD/target/release/examples
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mft=$work/MFT
"$bin/big_mft" "$files" "$mft"

echo "== \$MFT: $files files, $(stat -c %s "$mft") bytes"
"$bin/mft_rate" "$mft" 3
cmds=(-n konseki-mft "'$bin/mft_rate' '$mft' 1")
if command -v mft_dump >/dev/null; then
  cmds+=(-n "mft_dump -o json" "mft_dump -o json '$mft' > /dev/null" -n "mft_dump -o csv" "mft_dump -o csv '$mft' > /dev/null")
else
  echo "(mft_dump not installed: skipped)"
fi
hyperfine --warmup 1 --runs 5 --style basic "${cmds[@]}"

echo "== Prefetch: $corpus/prefetch"
"$bin/prefetch_rate" "$corpus/prefetch" "${PREFETCH_ROUNDS:-20}"
if command -v sccainfo >/dev/null; then
  files=$(find "$corpus/prefetch" -name '*.pf' | wc -l)
  hyperfine --warmup 1 --runs 3 --style basic \
    -n konseki-prefetch "'$bin/prefetch_rate' '$corpus/prefetch' 1" \
    -n "sccainfo x $files" "find '$corpus/prefetch' -name '*.pf' -exec sccainfo {} \\; > /dev/null 2>&1"
fi
