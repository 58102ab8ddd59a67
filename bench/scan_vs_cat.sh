#!/usr/bin/env bash
# Whole-process benchmark: `konseki scan` over a directory of event logs (writing the whole JSON
# report, and the default terminal table), next to `cat` of the same bytes (the physical limit,
# warm cache) and per-file `evtx_dump -o jsonl` (the evtx crate's own tool), at three sizes:
# ../shared/corpus/evtx, and the same files replicated to >= 1/4 and >= 1 GB (to show how cost
# grows); then one forged Security.evtx of 250,000 and of 1,000,000 distinct records (100 and
# 400 MB). Prints wall times (hyperfine, warm cache), peak RSS (/usr/bin/time) and konseki's own
# time per phase (KONSEKI_TIMINGS).
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
corpus_bytes=$(find "$corpus" -type f -printf '%s\n' | awk '{s += $1} END {print s}')
replicate() { # dir mb
  local copies=$(( ($2 * 1048576 + corpus_bytes - 1) / corpus_bytes ))
  mkdir -p "$1"
  for i in $(seq 1 "$copies"); do cp -r "$corpus" "$1/copy$i"; done
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
measure corpus "$corpus" "${CORPUS_RUNS:-20}"
quarter=$(( target_mb / 4 ))
replicate "$work/quarter" "$quarter"
measure "replicated-${quarter}MB" "$work/quarter"
rm -rf "$work/quarter"
replicate "$work/big" "$target_mb"
measure "replicated-${target_mb}MB" "$work/big"
rm -rf "$work/big"
# The replicated sets hold the same records 13 and 49 times: konseki reads each record once
# (a shadow copy beside the live log), so they measure the cost of reading the bytes, not of
# distinct events. Distinct events: one large log, as on a busy server (a single Security.evtx
# of gigabytes), at two sizes, every record different and one in four a process start kept for
# correlation. Both its passes run on all cores.
for records in 250000 1000000; do
  mkdir -p "$work/single-$records"
  cargo run --release --locked -q -p konseki-forge --example big_evtx "$records" "$work/single-$records/Security.evtx"
  measure "single-log-$records-records" "$work/single-$records"
  rm -rf "$work/single-$records"
done
