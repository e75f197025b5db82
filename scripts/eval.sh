#!/usr/bin/env bash
# make eval: long runs on the shared datasets (../shared/data). For the foundation stage this
# ingests each real dataset and compares what landed with the published statistics.
set -uo pipefail
build=${1:-build}
data=${KGP_SHARED_DATA:-../shared/data}
bin="$build/kgprofile"
work="$build/eval"
if [ ! -d "$data" ]; then echo "eval: $data not present; nothing to evaluate" >&2; exit 0; fi
rm -rf "$work"; mkdir -p "$work"
fail=0
check() {  # name sql expected
  local got; got=$(sqlite3 "$3" "$2")
  if [ "$got" = "$4" ]; then printf '  %-44s %10s  ok\n' "$1" "$got"
  else printf '  %-44s %10s  EXPECTED %s\n' "$1" "$got" "$4"; fail=1; fi
}
run() {  # name format path...
  local name=$1 fmt=$2; shift 2
  local ws="$work/$name"
  "$bin" -q init "$ws" >/dev/null
  for p in "$@"; do
    if [ ! -e "$p" ]; then echo "eval: $p missing, skipping $name" >&2; return 1; fi
    "$bin" -q ingest "$ws" "$p" --format "$fmt" >/dev/null || fail=1
  done
  echo "$ws/kgprofile.db"
}
echo "MovieLens 100K (published: 100,000 ratings, 943 users, 1,682 items)"
if db=$(run ml100k movielens "$data/ml-100k" | tail -1); then
  check "ratings" "select count(*) from events" "$db" 100000
  check "users" "select count(*) from users" "$db" 943
  check "items" "select count(*) from items" "$db" 1682
  check "users with age+gender+occupation" "select count(*) from users where age is not null and gender is not null and occupation is not null" "$db" 943
fi
echo "Amazon All_Beauty 5-core (published: 5,269 review lines, 991 users, 85 items; 1,027 lines are"
echo "  exact copies of another line, a known artifact of the 2018 files: 4,242 distinct lines)"
if db=$(run beauty amazon-reviews "$data/amazon-all-beauty-5core/All_Beauty_5.json" | tail -1); then
  check "lines read (new + duplicate)" "select sum(events_new + events_dup) from ingest_files" "$db" 5269
  check "distinct review events" "select count(*) from events" "$db" 4239
  check "users" "select count(*) from users" "$db" 991
  check "items" "select count(*) from items" "$db" 85
fi
echo "S3-Rec Beauty (published: 198,502 actions, 22,363 users, 12,101 items)"
if db=$(run s3rec sequences "$data/s3rec-amazon-beauty/Beauty.txt" | tail -1); then
  check "actions" "select count(*) from events" "$db" 198502
  check "users" "select count(*) from users" "$db" 22363
  check "items" "select count(*) from items" "$db" 12101
fi
echo "KGAT amazon-book train (published: 652,514 train interactions, 70,679 users)"
if db=$(run kgat sequences "$data/kgat-amazon-book/train.txt" | tail -1); then
  check "interactions" "select count(*) from events" "$db" 652514
  check "users" "select count(*) from users" "$db" 70679
fi
echo "KGCN Last.FM KG (published: 15,518 triples, 9,366 entities, 60 relations; CRLF)"
if db=$(run lastfm triples "$data/kgcn-lastfm/kg.txt" | tail -1); then
  check "triples" "select count(*) from triples" "$db" 15518
  check "relations" "select count(*) from relations" "$db" 60
fi
echo "WN18RR train (published: 86,835 triples, 11 relations)"
if db=$(run wn18rr triples "$data/wn18rr/train.txt" | tail -1); then
  check "triples" "select count(*) from triples" "$db" 86835
  check "relations" "select count(*) from relations" "$db" 11
fi
echo "REES46 sample (1,000 rows)"
if db=$(run rees46 rees46 "$data/rees46-sample/2019-Oct-sample.csv" | tail -1); then
  check "events" "select count(*) from events" "$db" 1000
  check "users" "select count(*) from users" "$db" 330
fi
for ws in "$work"/*/; do "$bin" -q graph build "$ws" >/dev/null || fail=1; done
echo "graphs built for every dataset"
echo; echo "Knowledge-graph embeddings (filtered link prediction)"
bash "$(dirname "$0")/eval-kge.sh" "$build" || fail=1
bash "$(dirname "$0")/eval-text.sh" "$build" || fail=1
bash "$(dirname "$0")/eval-profile.sh" "$build" || fail=1
bash "$(dirname "$0")/eval-rec.sh" "$build" || fail=1
exit $fail
