#!/usr/bin/env bash
# Erasure benchmark (from scripts/bench.sh): on a generated shop (USERS users, EVENTS events,
# through graph and profiles), the baseline erases users one per run (`erase --user`, RUNS runs),
# then `erase --users FILE` erases 10, then 100 users in one run each; prints wall seconds, users
# per second and peak RSS of each. Defaults: 20,000 users, 2 M events, 3 runs
# (BENCH_ERASE_USERS, BENCH_ERASE_EVENTS, BENCH_RUNS).
set -euo pipefail
build=${1:-build}
users=${BENCH_ERASE_USERS:-20000}
events=${BENCH_ERASE_EVENTS:-2000000}
runs=${BENCH_RUNS:-3}
. "$(dirname "$0")/lib.sh"
need_built "$build"
bin="$build/kgprofile"
work="$build/bench-work/erase"
sample="$build/bench-data/erase-$users-$events"
echo "== erasure benchmark: $users users, $events events; $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg) =="
if [ ! -f "$sample/events.csv" ]; then
  echo "generating the shop into $sample (once)" >&2
  "$bin" -q generate "$sample" --users "$users" --events "$events" --review-rate 0 >/dev/null
fi
rm -rf "$work"; mkdir -p "$work"
"$bin" -q init "$work/ws" >/dev/null
for f in categories brands catalog users events; do "$bin" -q ingest "$work/ws" "$sample/$f.csv" >/dev/null; done
"$bin" -q graph build "$work/ws" >/dev/null
"$bin" -q profile build "$work/ws" >/dev/null
echo "workspace: $(du -sh "$work/ws/kgprofile.db" | cut -f1) database"
# Users with events, in id order, from the 101st (the first hundred are left alone).
ids="$work/ids.txt"
"$bin" -q audience "$work/ws" --rule "events >= 1" --limit $((runs + 210)) 2>/dev/null | grep -E '^[0-9]+$' | tail -n +101 | head -n $((runs + 110)) >"$ids" || true
if [ "$(wc -l <"$ids")" -lt $((runs + 110)) ]; then
  echo "$script_name: fewer than $((runs + 210)) users with events in the shop; raise BENCH_ERASE_USERS" >&2
  exit 1
fi
walls=()
for i in $(seq 1 "$runs"); do
  id=$(sed -n "${i}p" "$ids")
  out=$(timed "%e %M" "$bin" -q erase "$work/ws" --user "$id" 2>&1 >/dev/null | tail -1)
  walls+=("${out% *}")
  echo "one user per run (baseline), run $i: ${out% *} s, peak RSS $((${out#* } / 1024)) MB"
done
median=$(printf '%s\n' "${walls[@]}" | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}')
echo "one user per run: median $median s, $(awk -v m="$median" 'BEGIN {printf "%.2f", 1 / m}') users/s"
from=$((runs + 1))
for n in 10 100; do
  list="$work/list-$n.txt"
  sed -n "${from},$((from + n - 1))p" "$ids" >"$list"
  from=$((from + n))
  out=$(timed "%e %M" "$bin" -q erase "$work/ws" --users "$list" 2>&1 >/dev/null | tail -1)
  wall=${out% *}
  echo "$n users in one run: $wall s, $(awk -v n="$n" -v w="$wall" 'BEGIN {printf "%.1f", n / w}') users/s," \
    "peak RSS $((${out#* } / 1024)) MB; one per run would take about $(awk -v n="$n" -v m="$median" 'BEGIN {printf "%.0f", n * m}') s"
done
