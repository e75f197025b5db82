#!/usr/bin/env bash
# make bench (native LLM engine): a random-weight model of the Qwen2.5-0.5B shape (written once
# by the engine's GGUF writer, Q4_0 and Q8_0), 2 threads: prompt processing and generation
# tokens/s (median of BENCH_RUNS), peak RSS, and the plain scalar kernels as the baseline in the
# same run (fewer tokens: they are slow). Targets: generation >= 24 tok/s, prompt >= 250 tok/s
# (llama.cpp measured on this machine: 30.0 Q4_0, 26.3 Q8_0 tok/s generation).
set -uo pipefail
build=${1:-build}
runs=${BENCH_RUNS:-3}
. "$(dirname "$0")/lib.sh"
need_built "$build"
need_tool /usr/bin/time time bench
dir="$build/bench-data/llm"
mkdir -p "$dir"
for t in q4_0 q8_0; do
  f="$dir/qwen2.5-0.5b-random-$t.gguf"
  if [ ! -f "$f" ]; then
    echo "writing $f (once)" >&2
    "$build/kgprofile" -q llm bench --write-random "$f" --shape qwen2.5-0.5b --type "$t" || exit 1
  fi
  timed "  process: %e s wall, peak RSS %M KB" \
    "$build/kgprofile" -q llm bench -m "$f" -p 128 -n 32 -j 2 -r "$runs" || exit 1
  timed "  process: %e s wall, peak RSS %M KB (baseline)" \
    "$build/kgprofile" -q llm bench -m "$f" -p 16 -n 4 -j 2 -r 1 --kernels scalar || exit 1
done
