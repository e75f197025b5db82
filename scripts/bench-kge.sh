#!/usr/bin/env bash
# make bench (embeddings): throughput and scaling of training, evaluation time, and — around
# the CLI — start-up, peak memory and time to TransE MRR >= 0.22 on WN18RR.
set -uo pipefail
build=${1:-build}
data=${KGP_SHARED_DATA:-../shared/data}/wn18rr
if [ ! -f "$data/train.txt" ]; then echo "bench-kge: $data not present; skipping" >&2; exit 0; fi
"$build/bench/kgprofile_bench_kge" "$data" "${BENCH_RUNS:-3}" 10 || exit 1
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
echo
speed=(-m transe --dim 100 --negatives 1 --loss margin --optimizer sgd --lr 0.01 --valid-every 0 -j 2 --no-eval)
/usr/bin/time -f "start-up (load WN18RR, allocate, save; 0 epochs): %e s wall, peak RSS %M KB" \
  "$build/kgprofile" -q kge train --data "$data" "${speed[@]}" --epochs 0 -o "$tmp/s.kge" >/dev/null
/usr/bin/time -f "TransE d=100 1 negative, 10 epochs, 2 threads, CLI: %e s wall, peak RSS %M KB" \
  "$build/kgprofile" -q kge train --data "$data" "${speed[@]}" --epochs 10 -o "$tmp/t.kge" >/dev/null
# Time to quality: the large TransE preset as it is (its validation checks included), 2 threads,
# evaluated on test; the target is MRR >= 0.22 within 30 s.
/usr/bin/time -f "TransE large preset, CLI incl. evaluation: %e s wall, peak RSS %M KB" \
  "$build/kgprofile" -q kge train --data "$data" -m transe -j 2 -o "$tmp/q.kge" | grep -E "^(trained|filtered)"
