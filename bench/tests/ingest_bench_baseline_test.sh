#!/usr/bin/env bash
# ctest bench_ingest_baseline: the ingest benchmark on a four-row REES46 file must not print a
# "persist / baseline" ratio when its sqlite3 baseline could not run. Without sqlite3 on PATH, and
# with a sqlite3 whose .import fails, it exits non-zero and says why (it used to report 0 rows/s,
# a ratio of inf, and exit 0). Usage: ingest_bench_baseline_test.sh BENCH_BINARY
set -uo pipefail
bench=$1
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cat > "$tmp/events.csv" <<'CSV'
event_time,event_type,product_id,category_id,category_code,brand,price,user_id,user_session
2026-01-02 17:10:18 UTC,view,1000024,2053013555631882063,home.storage,muji,20.80,500000012,s1
2026-01-02 17:10:55 UTC,cart,1000024,2053013555631882063,home.storage,muji,20.80,500000012,s1
2026-01-02 17:11:30 UTC,purchase,1000024,2053013555631882063,home.storage,muji,20.80,500000012,s1
2026-01-03 09:00:00 UTC,view,1000031,2053013555631882063,home.storage,muji,9.90,500000013,s2
CSV
failed=0
expect_failure() {  # name PATH expected-message
  local rc=0
  PATH=$2 "$bench" "$tmp/events.csv" 1 "$tmp/work" >"$tmp/out" 2>"$tmp/err" || rc=$?
  if [ "$rc" -eq 0 ]; then
    echo "FAILED $1: exit 0"; cat "$tmp/out" "$tmp/err"; failed=1
  elif ! grep -q "$3" "$tmp/err"; then
    echo "FAILED $1: exit $rc, but stderr does not say '$3':"; cat "$tmp/err"; failed=1
  elif grep -q "persist / baseline" "$tmp/out"; then
    echo "FAILED $1: printed a ratio against a baseline that did not run"; cat "$tmp/out"; failed=1
  else
    echo "ok $1: exit $rc, $(grep "$3" "$tmp/err" | head -1)"
  fi
}
mkdir -p "$tmp/empty" "$tmp/stub"
expect_failure "no sqlite3 on PATH" "$tmp/empty" "sqlite3 not found"
printf '#!/bin/sh\necho "stub sqlite3: cannot import" >&2\nexit 1\n' > "$tmp/stub/sqlite3"
chmod +x "$tmp/stub/sqlite3"
expect_failure "sqlite3 .import fails" "$tmp/stub" "sqlite3 .import failed"
exit $failed
