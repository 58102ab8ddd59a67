#!/usr/bin/env bash
# Fleet scale: forged hosts (crates/forge/examples/fleet.rs) scanned as one case and stacked;
# wall time, per-host time and peak RSS for 10, 100 and 1,000 hosts, and the planted
# anomalies on top of `konseki stack`.
#   bench/fleet.sh [SIZES…]   (default: 10 100 1000)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p konseki -p konseki-forge --examples
bin=target/release/konseki
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf '| hosts | scan -f json --per-host | per host | peak RSS | stack | first rows of the stack |\n|---:|---:|---:|---:|---:|---|\n'
sizes=("$@")
((${#sizes[@]})) || sizes=(10 100 1000)
for n in "${sizes[@]}"; do
  dir="$work/fleet$n"
  target/release/examples/fleet --hosts "$n" "$dir"
  /usr/bin/time -f '%e %M' -o "$work/t" "$bin" scan "$dir" -q -f json -o "$work/r.json" --per-host "$work/per-host"
  read -r secs rss < "$work/t"
  /usr/bin/time -f '%e' -o "$work/s" "$bin" stack "$dir" -q -f csv -o "$work/s.csv"
  stack=$(cat "$work/s")
  first=$(sed -n '2,3p' "$work/s.csv" | cut -d, -f1,2,5,7 | tr '\n' ' ')
  per=$(python3 -c "print(f'{$secs/$n*1000:.2f} ms')")
  printf '| %s | %s s | %s | %s MB | %s s | %s |\n' "$n" "$secs" "$per" "$((rss / 1024))" "$stack" "$first"
  rm -rf "$dir" "$work/per-host"
done
