#!/usr/bin/env bash
# Whole-process benchmark: `konseki scan` (writing the whole JSON report, and the default
# terminal table) next to `cat` of the same bytes (the physical limit, warm cache) and per-file
# `evtx_dump -o jsonl` (the evtx crate's own tool), on distinct data:
#   - ../shared/corpus/evtx, and the whole ../shared/corpus as one triage tree (hives with their
#     logs, Amcache, $MFT, Prefetch, tasks, event logs);
#   - distinct logs of ~1/10 and of TARGET_MB (default 1024): copies of the corpus logs whose
#     records all differ (bench/distinct_logs.py: ids moved, checksums fixed; copies of the same
#     files would be nearly free, since a record held twice is read once), with the corpus
#     hives, $MFT and Prefetch beside them, as a large triage collection would hold;
#   - one forged Security.evtx of 250,000 and of 1,000,000 distinct records (100 and 400 MB).
# Prints wall times (hyperfine, warm cache), peak RSS (/usr/bin/time) and konseki's own time per
# phase (KONSEKI_TIMINGS).
#
# Needs: hyperfine, GNU time and python3 (Debian packages `hyperfine`, `time`), and evtx_dump
# (`cargo install evtx --version 0.15.1 --locked`); a missing evtx_dump is reported and skipped.
# Usage: bench/scan_vs_cat.sh [TARGET_MB]   (default 1024)
set -euo pipefail
cd "$(dirname "$0")/.."

corpus=../shared/corpus/evtx
target_mb=${1:-1024}
for tool in hyperfine /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is needed (apt-get install hyperfine time)" >&2; exit 1; }
done
evtx_dump=$(command -v evtx_dump || true)

cargo build --release --locked -q
konseki=$PWD/target/release/konseki

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
distinct() { # dir mb: distinct logs beside the corpus's other artifacts
  python3 bench/distinct_logs.py "$corpus" "$1/logs" "$2"
  cp -r ../shared/corpus/hives ../shared/corpus/amcache ../shared/corpus/mft \
    ../shared/corpus/prefetch "$1/"
}

measure() { # name dir [runs]
  local name=$1 dir=$2 runs=${3:-${RUNS:-3}} mb
  # Apparent size: several corpus logs are sparse, so du's block count understates what is read.
  mb=$(find "$dir" -type f -printf '%s\n' | awk '{s += $1} END {printf "%d", s / 1048576}')
  echo "== $name: $(find "$dir" -type f | wc -l) files, ${mb} MB"
  local cmds=(
    -n cat "find '$dir' -type f -exec cat {} + > /dev/null"
    -n konseki "'$konseki' scan '$dir' -q -f json -o /dev/null"
    -n konseki-table "'$konseki' scan '$dir' -q -o /dev/null"
  )
  if [[ -n $evtx_dump ]]; then
    cmds+=(-n evtx_dump "find '$dir' -name '*.evtx' -exec '$evtx_dump' -t 1 -o jsonl {} \\; > /dev/null 2>&1")
  else
    echo "(evtx_dump not installed: skipped)"
  fi
  hyperfine --warmup 1 --runs "$runs" --style basic --export-markdown "$work/$name.md" \
    --export-json "$work/$name.json" "${cmds[@]}" >/dev/null
  cat "$work/$name.md"
  # Medians too: this machine has slow spells of tens of ms, which pull a mean of 20 runs up.
  python3 - "$work/$name.json" <<'PY'
import json, sys
results = json.load(open(sys.argv[1]))["results"]
cat = next(r["median"] for r in results if r["command"] == "cat")
print("medians: " + ", ".join(f'{r["command"]} {r["median"] * 1000:.1f} ms ({r["median"] / cat:.2f}x)' for r in results))
PY
  KONSEKI_TIMINGS=1 /usr/bin/time -f "peak RSS konseki scan ($name): %M KB" \
    "$konseki" scan "$dir" -q -f json -o /dev/null
}

# The corpus takes some 50 ms a run, where this machine's noise is several ms: more runs.
measure corpus-evtx "$corpus" "${CORPUS_RUNS:-20}"
measure corpus-triage ../shared/corpus "${CORPUS_RUNS:-20}"
tenth=$(( target_mb / 10 ))
distinct "$work/tenth" "$tenth"
measure "distinct-${tenth}MB" "$work/tenth"
rm -rf "$work/tenth"
distinct "$work/big" "$target_mb"
measure "distinct-${target_mb}MB" "$work/big"
rm -rf "$work/big"
# One large log, as on a busy server (a single Security.evtx of gigabytes), at two sizes, every
# record different and one in four a process start kept for correlation. Both its passes run
# on all cores.
for records in 250000 1000000; do
  mkdir -p "$work/single-$records"
  cargo run --release --locked -q -p konseki-forge --example big_evtx "$records" "$work/single-$records/Security.evtx"
  measure "single-log-$records-records" "$work/single-$records"
  rm -rf "$work/single-$records"
done
