#!/usr/bin/env bash
# make bench: generates a REES46-format file (10 M events by default; BENCH_EVENTS to change),
# then runs the ingest benchmark against sqlite3's .import baseline; then the stage benchmarks
# (kge, text, profile, erase, llm) and the HTTP service (bench-serve.sh).
set -euo pipefail
build=${1:-build}
. "$(dirname "$0")/lib.sh"
need_built "$build" kgprofile bench/kgprofile_bench_ingest
need_tool sqlite3 sqlite3 bench
events=${BENCH_EVENTS:-10000000}
runs=${BENCH_RUNS:-3}
data="$build/bench-data/$events"
if [ ! -f "$data/events.csv" ]; then
  echo "generating $events events into $data (once)" >&2
  "$build/kgprofile" -q generate "$data" --events "$events" --users $((events / 40 + 1000)) \
    --products $((events / 200 + 1000)) --review-rate 0
fi
"$build/bench/kgprofile_bench_ingest" "$data/events.csv" "$runs" "$build/bench-work"
bash "$(dirname "$0")/bench-kge.sh" "$build"
bash "$(dirname "$0")/bench-text.sh" "$build"
bash "$(dirname "$0")/bench-profile.sh" "$build"
bash "$(dirname "$0")/bench-erase.sh" "$build"
bash "$(dirname "$0")/bench-llm.sh" "$build"
bash "$(dirname "$0")/bench-serve.sh" "$build"
