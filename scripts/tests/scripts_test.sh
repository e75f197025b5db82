#!/usr/bin/env bash
# ctest scripts: the bench and eval scripts against stub build folders (a kgprofile that succeeds,
# or fails on chosen arguments) and a stub data folder: exit codes and messages. Seconds; cases
# needing /usr/bin/time or python3 are skipped, saying so, where those are not installed.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
failed=0 passed=0 skipped=0

# A kgprofile that exits 1 with "stub: ARGS failed" when " ARGS " contains " $STUB_FAIL ", and
# otherwise succeeds (init makes the workspace folder, kge train --json prints a result with
# test MRR $STUB_MRR, else 0.5).
stub_build() {  # DIR
  mkdir -p "$1/bench"
  cat > "$1/kgprofile" <<'SH'
#!/usr/bin/env bash
args=" $* "
if [ -n "${STUB_FAIL:-}" ] && [[ "$args" == *" $STUB_FAIL "* ]]; then echo "stub: $* failed" >&2; exit 1; fi
[ "$2" = init ] && mkdir -p "$3"
if [[ "$args" == *" --json kge train "* ]]; then
  echo "{\"seconds\": 1, \"test\": {\"filtered\": {\"mrr\": ${STUB_MRR:-0.5}, \"hits@1\": 0.1, \"hits@10\": 0.6, \"mr\": 9}}}"
elif [[ "$args" == *" kge train "* ]]; then
  printf 'trained 1 epochs\nfiltered MRR 0.5\n'
fi
exit 0
SH
  printf '#!/bin/sh\nexit 0\n' > "$1/bench/kgprofile_bench_kge"
  # The live replay exits 1 (posted events did worse) when STUB_FAIL is "rec_live".
  printf '#!/bin/sh\n[ "${STUB_FAIL:-}" = rec_live ] && { echo "stub: rec_live worse" >&2; exit 1; }\nexit 0\n' \
    > "$1/bench/kgprofile_bench_rec_live"
  chmod +x "$1/kgprofile" "$1/bench/kgprofile_bench_kge" "$1/bench/kgprofile_bench_rec_live"
}
# expect NAME WANT_RC(0|nonzero|any) MESSAGE|"" COMMAND...: stdout and stderr together in $tmp/out
expect() {
  local name=$1 want=$2 msg=$3 rc=0; shift 3
  "$@" >"$tmp/out" 2>&1 || rc=$?
  if { [ "$want" = 0 ] && [ "$rc" -ne 0 ]; } || { [ "$want" = nonzero ] && [ "$rc" -eq 0 ]; }; then
    echo "FAILED $name: exit $rc (wanted $want)"; sed 's/^/    /' "$tmp/out" | tail -20; failed=$((failed + 1))
  elif [ -n "$msg" ] && ! grep -qF -- "$msg" "$tmp/out"; then
    echo "FAILED $name: exit $rc, no '$msg' in:"; sed 's/^/    /' "$tmp/out" | tail -20; failed=$((failed + 1))
  else
    echo "ok $name (exit $rc)"; passed=$((passed + 1))
  fi
}
has() { command -v "$1" >/dev/null 2>&1; }
skip() { echo "skipped $1: $2 not installed"; skipped=$((skipped + 1)); }

# 1. No build: one line saying to build first, not bash's or sqlite3's errors.
mkdir -p "$tmp/empty"
for s in bench bench-erase bench-kge bench-kge-scale bench-llm bench-profile bench-serve bench-text \
         eval eval-kge eval-profile eval-rec eval-text; do
  expect "$s.sh without a build" nonzero "build first: make build" bash "$root/scripts/$s.sh" "$tmp/empty"
done

stub_build "$tmp/b"
data="$tmp/data"; mkdir -p "$data/wn18rr" "$data/umls" "$data/ml-100k" "$data/ecommerce-ner-zh"
touch "$data/wn18rr/train.txt" "$data/umls/train.txt" "$data/ecommerce-ner-zh/train.txt"
# A sqlite3 that gives MovieLens 100K's published counts.
mkdir -p "$tmp/path"
cat > "$tmp/path/sqlite3" <<'SH'
#!/bin/sh
case $2 in
  *"from events") echo 100000 ;; *"from items") echo 1682 ;; *) echo 943 ;;
esac
SH
chmod +x "$tmp/path/sqlite3"
export PATH="$tmp/path:$PATH" KGP_SHARED_DATA="$data"

# 2. eval.sh: a failed ingest fails the run (it was lost inside $(...)); without the data folder
#    the generated shop's profile evaluation still runs, and its failure counts.
#    A data folder with MovieLens alone, so that nothing else fails.
mkdir -p "$tmp/ml/ml-100k"
# eval.sh runs eval-kge, eval-rec and eval-text, which need python3 and GNU time (`make eval`
# installs both; `make test` does not).
if has python3 && [ -x /usr/bin/time ]; then
  expect "eval.sh: everything succeeds" 0 "graphs built" env KGP_SHARED_DATA="$tmp/ml" bash "$root/scripts/eval.sh" "$tmp/b"
else skip "eval.sh: everything succeeds" "python3 and /usr/bin/time"; fi
expect "eval.sh: failed ingest" nonzero "eval: ingest of $tmp/ml/ml-100k failed" \
  env KGP_SHARED_DATA="$tmp/ml" STUB_FAIL="ingest $tmp/b/eval/ml100k" bash "$root/scripts/eval.sh" "$tmp/b"
expect "eval.sh: failed init" nonzero "eval: init $tmp/b/eval/ml100k failed" \
  env KGP_SHARED_DATA="$tmp/ml" STUB_FAIL="init $tmp/b/eval/ml100k" bash "$root/scripts/eval.sh" "$tmp/b"
expect "eval.sh: no data, generated shop evaluated" 0 "== profiles: generated shop" \
  env KGP_SHARED_DATA="$tmp/none" bash "$root/scripts/eval.sh" "$tmp/b"
expect "eval.sh: no data, profile eval fails" nonzero "only the profile evaluation on a generated shop" \
  env KGP_SHARED_DATA="$tmp/none" STUB_FAIL="profile eval" bash "$root/scripts/eval.sh" "$tmp/b"

# 3. eval-kge.sh: a failed training reports the command's own error.
if has python3; then
  expect "eval-kge.sh: failed training" nonzero "eval-kge: umls transe failed: stub:" \
    env KGE_SETS=umls KGE_MODELS=transe STUB_FAIL="kge train" bash "$root/scripts/eval-kge.sh" "$tmp/b"
  expect "eval-kge.sh: training succeeds" 0 "0.5000" \
    env KGE_SETS=umls KGE_MODELS=transe bash "$root/scripts/eval-kge.sh" "$tmp/b"
  expect "eval-kge.sh: WN18RR at its floors" 0 "0.22 ok" \
    env KGP_SHARED_DATA="$data" KGE_SETS=wn18rr STUB_MRR=0.48 bash "$root/scripts/eval-kge.sh" "$tmp/b"
  expect "eval-kge.sh: a WN18RR result below its floor fails the run" nonzero "WN18RR results below their floors: 1" \
    env KGP_SHARED_DATA="$data" KGE_SETS=wn18rr STUB_MRR=0.21 KGE_MODELS=transe bash "$root/scripts/eval-kge.sh" "$tmp/b"
else skip "eval-kge.sh" python3; fi

# 3b. eval-rec.sh: the live replay runs on a generated shop without any data; a replay where the
#     posted events do worse, or a shop that cannot be prepared, fails the run.
if has python3; then
  expect "eval-rec.sh: live replay without data" 0 "Live recommendations" \
    env KGP_SHARED_DATA="$tmp/none" bash "$root/scripts/eval-rec.sh" "$tmp/b"
  expect "eval-rec.sh: live replay worse" nonzero "stub: rec_live worse" \
    env KGP_SHARED_DATA="$tmp/none" STUB_FAIL=rec_live bash "$root/scripts/eval-rec.sh" "$tmp/b"
  expect "eval-rec.sh: shop not prepared" nonzero "could not prepare the generated shop" \
    env KGP_SHARED_DATA="$tmp/none" STUB_FAIL="graph build $tmp/b/eval/live/shop" bash "$root/scripts/eval-rec.sh" "$tmp/b"
else skip "eval-rec.sh" python3; fi

if [ -x /usr/bin/time ]; then
  # 4. eval-text.sh: a failed timed training fails the run; absent sentiment data is said.
  expect "eval-text.sh: failed NER training" nonzero "failed (exit 1)" \
    env STUB_FAIL="train-ner $data/ecommerce-ner-zh/train.txt --out $tmp/b/eval/text/ner-zh.bin" bash "$root/scripts/eval-text.sh" "$tmp/b"
  expect "eval-text.sh: failed no-context run" nonzero "" \
    env STUB_FAIL="--no-context" bash "$root/scripts/eval-text.sh" "$tmp/b"
  expect "eval-text.sh: sentiment data absent" any "skipping zh review sentiment" bash "$root/scripts/eval-text.sh" "$tmp/b"
  # 5. bench-kge.sh: a failed timed run fails the benchmark and prints no timing for it.
  expect "bench-kge.sh: failed start-up run" nonzero "failed (exit 1)" \
    env STUB_FAIL="--epochs 1" bash "$root/scripts/bench-kge.sh" "$tmp/b"
  if grep -q "start-up.*s wall" "$tmp/out"; then echo "FAILED bench-kge.sh: timing printed for a failed run"; failed=$((failed + 1)); fi
  expect "bench-kge.sh: all runs succeed" 0 "TransE large preset, CLI incl. evaluation:" bash "$root/scripts/bench-kge.sh" "$tmp/b"
  # 6. bench-kge-scale.sh: every model failing is a failure, with the model's error.
  if has python3; then
    expect "bench-kge-scale.sh: model fails" nonzero "transe failed: stub:" \
      env STUB_FAIL="kge train" bash "$root/scripts/bench-kge-scale.sh" "$tmp/b" transe
  else skip "bench-kge-scale.sh" python3; fi
else skip "eval-text.sh, bench-kge.sh, bench-kge-scale.sh" /usr/bin/time; fi

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
