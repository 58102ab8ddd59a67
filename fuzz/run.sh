#!/usr/bin/env bash
# Runs every fuzz target (`cargo +nightly fuzz list`) for SECONDS each (default 600), one after
# the other, seeded from ../shared/corpus and from the forge's own files. Seeds are copied into
# fuzz/corpus/<target>, which git ignores: the corpus files carry other projects' licences and
# stay out of the repository. Crashes land in fuzz/artifacts/<target>/; each becomes a
# regression test named after it. Not part of CI.
# Usage: fuzz/run.sh [SECONDS] [TARGET…]   (needs the nightly toolchain and cargo-fuzz)
# RUNS=N stops a target after N executions if that comes before SECONDS.
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-600}
shift || true
shared=../../shared/corpus
targets=("$@")
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(cargo +nightly fuzz list)

seed() { # target, files or folders…
  local target=$1
  shift
  mkdir -p "corpus/$target"
  for from in "$@"; do
    if [ -d "$from" ]; then
      find "$from" -type f -size -600k -exec cp -n {} "corpus/$target/" \;
    elif [ -f "$from" ]; then
      cp -n "$from" "corpus/$target/"
    fi
  done
}

forged=$(mktemp -d)
trap 'rm -rf "$forged"' EXIT
(cd .. && cargo run --release --locked -q -- demo "$forged/case" >/dev/null)
seed hive "$shared/hives/SAM" "$shared/hives/SECURITY" "$shared/hives/corrupt" \
  "$shared/hives/yarp" "$forged/case/C/Windows/System32/config/SYSTEM"
seed evtx "$shared/evtx/corrupt" "$shared/evtx/metasploit-psexec-powershell-target-system.evtx" \
  "$shared/evtx/temp_scheduled_task_4698_4699.evtx" \
  "$shared/evtx/sysmon_13_1_persistence_via_winlogon_shell.evtx" \
  "$forged/case/C/Windows/System32/winevt/Logs"
seed prefetch "$shared/prefetch/Win10" "$shared/prefetch/Win7" "$shared/prefetch/XPPro" \
  "$shared/prefetch/corrupt"
seed mft "$shared/mft/entries" "$forged/case/C/\$MFT"
seed job "$shared/tasks/legacy"
seed task_xml "$shared/tasks/APTSimulatorVM-Win10/GameOver"
seed lnk "$shared/tasks/legacy"
seed pe "$forged/case/C/tmp"
mkdir -p corpus/failure_actions corpus/tzi

for target in "${targets[@]}"; do
  echo "== $target: $seconds s"
  cargo +nightly fuzz run "$target" "corpus/$target" -- \
    -max_total_time="$seconds" -runs="${RUNS:--1}" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 2>&1 |
    grep -E "stat::number_of_executed_units|stat::peak_rss|SUMMARY|Test unit written|ERROR" || true
done
