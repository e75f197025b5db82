#!/usr/bin/env bash
# Profile quality (from scripts/eval.sh): `kgprofile profile eval` on a generated shop (planted
# personas), on MovieLens 100K (demographics, genres, timestamps) and Amazon All_Beauty reviews
# (timestamps, per-review style) when ../shared/data has them.
set -uo pipefail
build=${1:-build}
data=${KGP_SHARED_DATA:-../shared/data}
bin="$build/kgprofile"
work="$build/eval-profile"
. "$(dirname "$0")/lib.sh"
need_built "$build"
rm -rf "$work"; mkdir -p "$work"
fail=0
echo "== profiles: generated shop (2,000 users, 200,000 events, seed 42) =="
"$bin" -q generate "$work/sample" --users 2000 --events 200000 >/dev/null || fail=1
"$bin" -q init "$work/shop" >/dev/null || fail=1
for f in categories brands catalog users events; do
  "$bin" -q ingest "$work/shop" "$work/sample/$f.csv" >/dev/null || fail=1
done
"$bin" -q graph build "$work/shop" >/dev/null || fail=1
"$bin" -q profile build "$work/shop" || fail=1
"$bin" -q profile eval "$work/shop" --personas "$work/sample/personas.jsonl" || fail=1
if [ -d "$data/ml-100k" ]; then
  echo "== profiles: MovieLens 100K (holdout: the last 30 days) =="
  "$bin" -q init "$work/ml100k" >/dev/null || fail=1
  "$bin" -q ingest "$work/ml100k" "$data/ml-100k" --format movielens >/dev/null || fail=1
  "$bin" -q graph build "$work/ml100k" >/dev/null || fail=1
  "$bin" -q profile build "$work/ml100k" || fail=1
  "$bin" -q profile eval "$work/ml100k" --holdout-days 30 || fail=1
else
  echo "eval-profile: $data/ml-100k not present, skipping MovieLens" >&2
fi
amazon="$data/amazon-all-beauty-5core/All_Beauty_5.json"
if [ -f "$amazon" ]; then
  echo "== profiles: Amazon All_Beauty 5-core reviews (holdout: the last 365 days) =="
  "$bin" -q init "$work/amazon" >/dev/null || fail=1
  "$bin" -q ingest "$work/amazon" "$amazon" --format amazon-reviews >/dev/null || fail=1
  "$bin" -q graph build "$work/amazon" >/dev/null || fail=1
  "$bin" -q profile build "$work/amazon" >/dev/null || fail=1
  "$bin" -q profile eval "$work/amazon" --holdout-days 365 || fail=1
else
  echo "eval-profile: $amazon not present, skipping Amazon reviews" >&2
fi
exit $fail
