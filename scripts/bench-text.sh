#!/usr/bin/env bash
# make bench, text stage: gazetteer (Aho-Corasick vs naive find), tagger (with vs without
# context features) and sentiment throughput, latency percentiles and peak memory. Uses the
# Taobao NER set from ../shared/data when present, generated titles otherwise.
set -euo pipefail
build=${1:-build}
data=${KGP_SHARED_DATA:-../shared/data}/ecommerce-ner-zh
. "$(dirname "$0")/lib.sh"
need_built "$build" bench/kgprofile_bench_text
if [ -f "$data/train.txt" ]; then
  "$build/bench/kgprofile_bench_text" "$data/train.txt" "$data/test.txt"
else
  "$build/bench/kgprofile_bench_text"
fi
