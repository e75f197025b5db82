#!/usr/bin/env bash
# make eval: long runs on the shared datasets (../shared/data). For the foundation stage this
# ingests each real dataset and compares what landed with the published statistics.
set -uo pipefail
build=${1:-build}
data=${KGP_SHARED_DATA:-../shared/data}
bin="$build/kgprofile"
work="$build/eval"
here=$(dirname "$0")
. "$here/lib.sh"
need_built "$build"
if [ ! -d "$data" ]; then
  # The generated shop's profile evaluation needs no data.
  echo "eval: $data not present; only the profile evaluation on a generated shop runs" >&2
  exec bash "$here/eval-profile.sh" "$build"
fi
need_tool sqlite3 sqlite3 eval
rm -rf "$work"; mkdir -p "$work"
fail=0
check() {  # name sql expected
  local got; got=$(sqlite3 "$3" "$2")
  if [ "$got" = "$4" ]; then printf '  %-44s %10s  ok\n' "$1" "$got"
  else printf '  %-44s %10s  EXPECTED %s\n' "$1" "$got" "$4"; fail=1; fi
}
run() {  # name format path...: ingests the files into a new workspace and sets db to its database
  local name=$1 fmt=$2 p; shift 2
  local ws="$work/$name"
  for p in "$@"; do
    if [ ! -e "$p" ]; then echo "eval: $p missing, skipping $name" >&2; return 1; fi
  done
  if ! "$bin" -q init "$ws" >/dev/null; then echo "eval: init $ws failed, skipping $name" >&2; fail=1; return 1; fi
  for p in "$@"; do
    "$bin" -q ingest "$ws" "$p" --format "$fmt" >/dev/null || { echo "eval: ingest of $p failed" >&2; fail=1; }
  done
  db="$ws/kgprofile.db"
}
echo "MovieLens 100K (published: 100,000 ratings, 943 users, 1,682 items)"
if run ml100k movielens "$data/ml-100k"; then
  check "ratings" "select count(*) from events" "$db" 100000
  check "users" "select count(*) from users" "$db" 943
  check "items" "select count(*) from items" "$db" 1682
  check "users with age+gender+occupation" "select count(*) from users where age is not null and gender is not null and occupation is not null" "$db" 943
fi
echo "Amazon All_Beauty 5-core (published: 5,269 review lines, 991 users, 85 items; 1,027 lines are"
echo "  exact copies of another line, a known artifact of the 2018 files: 4,242 distinct lines)"
if run beauty amazon-reviews "$data/amazon-all-beauty-5core/All_Beauty_5.json"; then
  check "lines read (new + duplicate)" "select sum(events_new + events_dup) from ingest_files" "$db" 5269
  check "distinct review events" "select count(*) from events" "$db" 4239
  check "users" "select count(*) from users" "$db" 991
  check "items" "select count(*) from items" "$db" 85
fi
echo "S3-Rec Beauty (published: 198,502 actions, 22,363 users, 12,101 items)"
if run s3rec sequences "$data/s3rec-amazon-beauty/Beauty.txt"; then
  check "actions" "select count(*) from events" "$db" 198502
  check "users" "select count(*) from users" "$db" 22363
  check "items" "select count(*) from items" "$db" 12101
fi
echo "KGAT amazon-book train (published: 652,514 train interactions, 70,679 users)"
if run kgat sequences "$data/kgat-amazon-book/train.txt"; then
  check "interactions" "select count(*) from events" "$db" 652514
  check "users" "select count(*) from users" "$db" 70679
fi
echo "KGCN Last.FM KG (published: 15,518 triples, 9,366 entities, 60 relations; CRLF)"
if run lastfm triples "$data/kgcn-lastfm/kg.txt"; then
  check "triples" "select count(*) from triples" "$db" 15518
  check "relations" "select count(*) from relations" "$db" 60
fi
echo "WN18RR train (published: 86,835 triples, 11 relations)"
if run wn18rr triples "$data/wn18rr/train.txt"; then
  check "triples" "select count(*) from triples" "$db" 86835
  check "relations" "select count(*) from relations" "$db" 11
fi
echo "REES46 sample (1,000 rows)"
if run rees46 rees46 "$data/rees46-sample/2019-Oct-sample.csv"; then
  check "events" "select count(*) from events" "$db" 1000
  check "users" "select count(*) from users" "$db" 330
fi
for ws in "$work"/*/; do
  [ -d "$ws" ] || continue
  "$bin" -q graph build "$ws" >/dev/null || { echo "eval: graph build $ws failed" >&2; fail=1; }
done
echo "graphs built for every dataset"
echo; echo "Knowledge-graph embeddings (filtered link prediction)"
bash "$here/eval-kge.sh" "$build" || fail=1
bash "$here/eval-text.sh" "$build" || fail=1
bash "$here/eval-profile.sh" "$build" || fail=1
bash "$here/eval-rec.sh" "$build" || fail=1
exit $fail
