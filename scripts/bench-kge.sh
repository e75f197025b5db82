#!/usr/bin/env bash
# make bench (embeddings): throughput and scaling of training, evaluation time, and — around
# the CLI — start-up, peak memory and time to TransE MRR >= 0.22 on WN18RR.
set -uo pipefail
build=${1:-build}
data=${KGP_SHARED_DATA:-../shared/data}/wn18rr
. "$(dirname "$0")/lib.sh"
need_built "$build" kgprofile bench/kgprofile_bench_kge
if [ ! -f "$data/train.txt" ]; then echo "bench-kge: $data not present; skipping" >&2; exit 0; fi
need_tool /usr/bin/time time bench
"$build/bench/kgprofile_bench_kge" "$data" "${BENCH_RUNS:-3}" 10 || exit 1
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail=0
echo
speed=(-m transe --dim 100 --negatives 1 --loss margin --optimizer sgd --lr 0.01 --valid-every 0 -j 2 --no-eval)
timed "start-up (load WN18RR, allocate, one epoch, save): %e s wall, peak RSS %M KB" \
  "$build/kgprofile" -q kge train --data "$data" "${speed[@]}" --epochs 1 -o "$tmp/s.kge" >/dev/null || fail=1
timed "TransE d=100 1 negative, 10 epochs, 2 threads, CLI: %e s wall, peak RSS %M KB" \
  "$build/kgprofile" -q kge train --data "$data" "${speed[@]}" --epochs 10 -o "$tmp/t.kge" >/dev/null || fail=1
# Time to quality: the large TransE preset as it is (its validation checks included), 2 threads,
# evaluated on test; the target is MRR >= 0.22 within 30 s.
timed "TransE large preset, CLI incl. evaluation: %e s wall, peak RSS %M KB" \
  "$build/kgprofile" -q kge train --data "$data" -m transe -j 2 -o "$tmp/q.kge" > "$tmp/q.txt" 2> "$tmp/q.err"
rc=$?
if [ "$rc" -eq 0 ]; then
  grep -E "^(trained|filtered)" "$tmp/q.txt" || { echo "bench-kge: no 'trained'/'filtered' lines in the output" >&2; fail=1; }
else
  fail=1
fi
cat "$tmp/q.err" >&2
exit $fail
