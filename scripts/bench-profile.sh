#!/usr/bin/env bash
# Profile benchmark (from scripts/bench.sh): store-based build of a generated shop against a SQL
# GROUP BY, planted precision@3, batch build of USERS users / EVENTS synthetic events in memory on
# THREADS threads, incremental update throughput and latency against recompute-from-scratch.
# Defaults: 1 M users, 20 M events (BENCH_PROFILE_USERS, BENCH_PROFILE_EVENTS, BENCH_THREADS).
set -euo pipefail
build=${1:-build}
users=${BENCH_PROFILE_USERS:-1000000}
events=${BENCH_PROFILE_EVENTS:-20000000}
threads=${BENCH_THREADS:-2}
. "$(dirname "$0")/lib.sh"
need_built "$build" bench/kgprofile_bench_profile
echo "== profile benchmark: $users users, $events events, $threads threads; $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg) =="
"$build/bench/kgprofile_bench_profile" "$users" "$events" "$threads" "$build/bench-work/profile"
